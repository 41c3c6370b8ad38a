"""The email outbox: every outgoing email the app sends on someone's behalf (invoices,
invites) is an ``OutboundEmail`` row first, sent later by the ``send_outbound_email`` task.

The row is written in the caller's transaction and the task is enqueued after commit, so a
rolled-back action sends nothing and a down broker loses nothing (the row stays ``queued``
for the sweeper). What differs per kind (the invoice PDF attachment, marking the invoice
sent, keeping an invite's link out of the stored copy) plugs in through ``register_kind``;
this module knows nothing about invoices or invites.

Delivery is at least once: a worker that dies after the SMTP server accepted a message but
before the row says ``sent`` leaves the row to be sent again. Every send of a row carries the
same ``Message-ID`` (``message_id``), so such a duplicate is recognisable as one.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from documents import jobs
from documents.models import OutboundEmail

logger = logging.getLogger(__name__)


class RetryableEmailError(Exception):
    """Raised by a kind's ``prepare`` hook when the message cannot be built *yet* (e.g. the PDF
    is still rendering): the task retries with backoff like on an SMTP error."""


@dataclass(frozen=True)
class KindHandler:
    # Called inside the organization's scope before sending; may attach files to ``message``.
    prepare: Callable[[OutboundEmail, EmailMessage], None] | None = None
    # Called in the same transaction that marks the row sent (e.g. set invoice.sent_at, audit).
    after_sent: Callable[[OutboundEmail], None] | None = None
    # The body without what only its recipient may read (e.g. an invite's link): stored in
    # its place once sent, and all that is ever shown of a row (the admin).
    redact: Callable[[str], str] | None = None
    # Called inside a transaction just before sending, and again in the transaction that
    # sends and marks the row sent: a reason ("" for none) why it must not go out any more
    # (it may lock what the email is about until that transaction ends).
    check: Callable[[OutboundEmail], str] | None = None
    # Called when ``check`` gave a reason: the row is ``withdrawn``, never sent.
    withdrawn: Callable[[OutboundEmail, str], None] | None = None


KIND_HANDLERS: dict[str, KindHandler] = {}
REDACTED = "[removed once sent]"


def register_kind(kind: str, *, prepare=None, after_sent=None, redact=None, check=None, withdrawn=None) -> None:
    """Plug the per-kind steps in, e.g. from an AppConfig.ready():
    ``register_kind(OutboundEmail.Kind.INVOICE, prepare=attach_pdf, after_sent=mark_invoice_sent)``."""
    KIND_HANDLERS[kind] = KindHandler(
        prepare=prepare, after_sent=after_sent, redact=redact, check=check, withdrawn=withdrawn
    )


def handler_for(kind: str) -> KindHandler:
    return KIND_HANDLERS.get(kind) or KindHandler()


def displayed_body(email: OutboundEmail) -> str:
    """The body as support may read it: a sent row's, or a queued row's with its secrets out."""
    redact = handler_for(email.kind).redact
    return redact(email.body) if redact is not None else email.body


def message_id(email: OutboundEmail) -> str:
    """The ``Message-ID`` of every send of ``email``: the row's id at the sender's domain."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return f"<{email.pk}@{header_text(domain) or 'billora.invalid'}>"


# What may not stand in a header line: the C0 and C1 control characters (CR and LF, and VT,
# FF, FS, NEL, ... at which Python's email package also breaks lines, so a stored name holding
# one would inject a header) and the Unicode line and paragraph separators.
HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value) -> str:
    """``value`` as one line of header text: each run of control characters becomes a space.

    Every header the outbox builds goes through it, so no stored value (a business or
    customer name in the subject, an address) can make Django refuse the message
    (``BadHeaderError``) or add a header of its own."""
    return HEADER_BREAKERS.sub(" ", value or "").strip()


def header_addresses(values) -> list[str]:
    return [address for address in map(header_text, values or ()) if address]


def _addresses(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return [address.strip() for address in value or () if address and address.strip()]


def new_email(
    *,
    organization,
    kind,
    to,
    subject,
    body,
    cc=(),
    reply_to=(),
    invoice=None,
    invite=None,
    credit_note=None,
    customer=None,
    statement_period=None,
    reminder=None,
    requested_by_label="",
) -> OutboundEmail:
    """The outbox row, not written yet (``queue_emails`` writes it); its id is already set."""
    recipients = _addresses(to)
    if not recipients:
        raise ValueError("An email needs at least one recipient.")
    return OutboundEmail(
        organization=organization,
        kind=kind,
        to=recipients,
        cc=_addresses(cc),
        reply_to=_addresses(reply_to),
        subject=header_text(subject)[:300],
        body=body,
        invoice=invoice,
        credit_note=credit_note,
        reminder=reminder,
        invite=invite,
        customer=customer,
        statement_start=statement_period[0] if statement_period else None,
        statement_end=statement_period[1] if statement_period else None,
        requested_by_label=requested_by_label[:300],
    )


def queue_emails(emails: list[OutboundEmail]) -> list[OutboundEmail]:
    """Write the rows of ``new_email`` (in the caller's transaction, one statement) and send
    them after commit."""
    emails = OutboundEmail.objects.bulk_create(emails)
    email_ids = [str(email.pk) for email in emails]
    if email_ids:
        transaction.on_commit(lambda: jobs.enqueue_sends(email_ids))
    return emails


def queue_email(**fields) -> OutboundEmail:
    """Write the outbox row (in the caller's transaction) and send it after commit; the
    fields of ``new_email``."""
    return queue_emails([new_email(**fields)])[0]
