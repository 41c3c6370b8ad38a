"""documents reacts to the apps below it through their signals (they never import documents)."""

from django.dispatch import receiver
from django.template.loader import render_to_string

from documents.models import OutboundEmail
from documents.outbox import queue_email
from organizations.signals import invite_created


@receiver(invite_created, dispatch_uid="documents.queue_invite_email")
def queue_invite_email(sender, *, organization, invite, accept_url, actor=None, **kwargs):
    """The invite email goes through the outbox like every other email (sent after commit)."""
    context = {
        "organization": organization,
        "invite": invite,
        "email": invite.email,
        "role": invite.get_role_display().lower(),
        "accept_url": accept_url,
        "expires_at": invite.expires_at,
        "inviter": (actor.get_full_name() if actor is not None else "") or "Someone",
    }
    queue_email(
        organization=organization,
        kind=OutboundEmail.Kind.INVITE,
        to=[invite.email],
        subject=render_to_string("organizations/email/invite_subject.txt", context).strip(),
        body=render_to_string("organizations/email/invite_message.txt", context),
        reply_to=[actor.email] if actor is not None else [],
        invite=invite,
        requested_by_label=actor.email if actor is not None else "system",
    )
