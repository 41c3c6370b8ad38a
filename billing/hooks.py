"""Side effects of billing writes: listeners told after commit, and the invoice sender the
documents app registers."""

from collections.abc import Callable

from django.db import transaction

from billing.exceptions import StateConflict
from billing.models import CreditNote, Invoice
from billing.signals import credit_note_issued, invoice_version_changed


def schedule_document_refresh(invoice) -> None:
    """After commit (never on rollback), tell listeners the invoice has a new ``version``."""
    organization = invoice.organization
    invoice_id = invoice.pk
    version = invoice.version
    status = invoice.status

    def send():
        invoice_version_changed.send(
            sender=Invoice, organization=organization, invoice_id=invoice_id, version=version, status=status
        )

    transaction.on_commit(send)


def schedule_credit_note_document(note) -> None:
    """After commit (never on rollback), tell listeners the credit note was issued."""
    organization = note.organization
    credit_note_id = note.pk
    version = note.version

    def send():
        credit_note_issued.send(
            sender=CreditNote, organization=organization, credit_note_id=credit_note_id, version=version
        )

    transaction.on_commit(send)


# --- sending an invoice ---------------------------------------------------------------------
# Billing decides when an invoice goes out (a recurring template in "issue and send" mode);
# the documents app owns the email. It registers its send service here in its AppConfig.ready.

_INVOICE_SENDERS: dict[str, Callable] = {}


def register_invoice_sender(send: Callable) -> None:
    """``send(*, organization, actor, invoice_id)`` queues the invoice email in the caller's
    transaction, or raises BillingValidationError / StateConflict when it cannot."""
    _INVOICE_SENDERS["invoice"] = send


def send_invoice(*, organization, actor, invoice_id) -> None:
    send = _INVOICE_SENDERS.get("invoice")
    if send is None:
        raise StateConflict("Sending invoices is not available in this installation.")
    send(organization=organization, actor=actor, invoice_id=invoice_id)


def register_reminder_sender(prepare: Callable, queue: Callable) -> None:
    """``prepare(*, organization, reminder, open_invoices) -> email`` writes a payment
    reminder's email (an object with its ``pk`` set, not saved yet), or raises
    BillingValidationError / StateConflict when it cannot; ``queue(*, organization, emails)``
    saves the prepared emails in the caller's transaction, all at once, and sends them after
    commit. ``open_invoices``: what the customer has open
    (``billing.selectors.customers_open_invoices``, read once per run chunk)."""
    _INVOICE_SENDERS["reminder"] = prepare
    _INVOICE_SENDERS["reminder_queue"] = queue


def prepare_reminder(*, organization, reminder, open_invoices):
    prepare = _INVOICE_SENDERS.get("reminder")
    if prepare is None:
        raise StateConflict("Sending reminders is not available in this installation.")
    return prepare(organization=organization, reminder=reminder, open_invoices=open_invoices)


def queue_reminders(*, organization, emails) -> None:
    if emails:
        _INVOICE_SENDERS["reminder_queue"](organization=organization, emails=emails)


def register_reminder_preview(preview: Callable) -> None:
    """``preview(*, organization, business, step) -> (subject, body)``: the step's email as a
    customer of the business would read it (the settings page shows it)."""
    _INVOICE_SENDERS["reminder_preview"] = preview


def preview_reminder(*, organization, business, step) -> tuple[str, str] | None:
    preview = _INVOICE_SENDERS.get("reminder_preview")
    return preview(organization=organization, business=business, step=step) if preview else None
