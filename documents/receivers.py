"""documents reacts to the apps below it through their signals (they never import documents)."""

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from billing.models import InvoiceStatus
from billing.signals import credit_note_issued, invoice_version_changed
from documents import pipeline
from documents.models import OutboundEmail
from documents.outbox import queue_email
from documents.services import document_schedule
from organizations.signals import invite_created


@receiver(invite_created, dispatch_uid="documents.queue_invite_email")
def queue_invite_email(sender, *, organization, invite, accept_url, actor=None, **kwargs):
    """The invite email goes through the outbox like every other email (sent after commit),
    written in the inviter's language (the request's)."""
    context = {
        "organization": organization,
        "invite": invite,
        "email": invite.email,
        "role": invite.get_role_display().lower(),
        "accept_url": accept_url,
        "expires_at": invite.expires_at,
        "inviter": (actor.get_full_name() if actor is not None else "") or _("Someone"),
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


@receiver(invoice_version_changed, dispatch_uid="documents.refresh_invoice_document")
def refresh_invoice_document(sender, *, organization, invoice_id, version, status=None, **kwargs):
    """Sent by billing after commit: the invoice has a new printed version, so every older
    document is stale (by version comparison); create this version's pending document and
    enqueue its render."""
    if status == InvoiceStatus.DRAFT:
        # Drafts are never stored, and issuing one makes a new version with its own signal:
        # document_schedule would read the invoice only to do nothing.
        return

    document_schedule(organization=organization, invoice_id=invoice_id, version=version)


@receiver(credit_note_issued, dispatch_uid="documents.store_credit_note_document")
def store_credit_note_document(sender, *, organization, credit_note_id, version, **kwargs):
    """Sent by billing after commit: an issued credit note's PDF and e-invoices are rendered
    and stored by the pipeline, as an invoice version's are."""
    pipeline.schedule(pipeline.CREDIT_NOTE, organization=organization, subject_id=credit_note_id, version=version)
