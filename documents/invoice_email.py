"""The invoice and credit note kinds of the outbox: attach the fresh stored PDF (and the
e-invoice the customer takes) before sending, mark the document sent after the SMTP server
accepted the message. Registered from ``DocumentsConfig.ready``."""

import logging

from django.utils.translation import gettext_lazy as _

from audit.presenters import Wording, describe_actions, describe_fields
from billing import services as billing_services
from billing.exceptions import StateConflict
from billing.models import Invoice
from documents import einvoices, pipeline
from documents.einvoice import EInvoiceRefused
from documents.models import OutboundEmail, StoredDocument
from documents.outbox import register_kind
from documents.services import SENDABLE_STATUSES, pdf_filename

logger = logging.getLogger(__name__)


class InvoiceNotSendable(Exception):  # noqa: N818 - reads as a state, like StateConflict
    """The invoice changed state after the email was queued (e.g. voided): do not send."""


def attach_invoice_pdf(email: OutboundEmail, message) -> None:
    """Runs in the worker inside the organization's scope, before the message is sent."""
    organization = email.organization
    invoice = Invoice.objects.filter(organization=organization, pk=email.invoice_id).first()
    if invoice is None or invoice.status not in SENDABLE_STATUSES:
        state = "deleted" if invoice is None else invoice.get_status_display().lower()
        raise InvoiceNotSendable(f"The invoice is {state}; it was not sent.")
    document = pipeline.ensure_fresh(pipeline.INVOICE, organization=organization, subject_id=invoice.pk)
    # The e-invoice must say what the PDF says: read the invoice again, at the PDF's version.
    invoice = Invoice.objects.select_related("business", "customer").get(organization=organization, pk=invoice.pk)
    for name, data, mimetype in einvoice_attachments(invoice, document):
        message.attach(name, data, mimetype)
    OutboundEmail.objects.filter(pk=email.pk, organization=organization).update(
        document_version=document.invoice_version
    )
    email.document_version = document.invoice_version


def einvoice_attachments(subject, document: StoredDocument) -> list[tuple[str, bytes, str]]:
    """What the email of an invoice or credit note attaches, by the customer's
    ``einvoice_format``, from the files stored with the version: its PDF (the business's:
    Factur-X or not), the Factur-X PDF, or the XRechnung / Peppol XML with the PDF for people
    to read. A format the version holds no file of raises EInvoiceRefused (the email fails)."""
    wanted = einvoices.EMAIL_FORMATS.get(subject.customer.einvoice_format)
    pdf = pipeline.read_pdf(document)
    if wanted is not None:
        stored = pipeline.read_einvoice(document, wanted)
        if stored is None:
            raise EInvoiceRefused(einvoices.verdict(subject, wanted))
        if wanted == einvoices.FACTURX:
            pdf, stored = stored, None
    attachments = [(pdf_filename(subject), pdf, einvoices.PDF)]
    if wanted not in (None, einvoices.FACTURX):
        attachments.append((einvoices.filename(subject, wanted), stored, einvoices.XML))
    return attachments


def mark_invoice_sent(email: OutboundEmail) -> None:
    """In the transaction that marks the row sent: the invoice's ``sent_at`` and the
    ``invoice.sent`` audit entry (actor: the system, which did the sending)."""
    try:
        billing_services.invoice_mark_sent(
            organization=email.organization, actor=None, invoice_id=email.invoice_id, sent_at=email.sent_at
        )
    except StateConflict:
        # Voided in the seconds between attaching and sending: the mail is out, the row
        # says so; the invoice keeps its (void) state.
        logger.warning("invoice %s changed state while its email %s was sent", email.invoice_id, email.pk)


def attach_credit_note_pdf(email: OutboundEmail, message) -> None:
    """The credit note's stored PDF (rendered here if its job has not run yet), and the
    e-invoice its customer takes, as for invoices."""
    organization = email.organization
    document = pipeline.ensure_fresh(pipeline.CREDIT_NOTE, organization=organization, subject_id=email.credit_note_id)
    note = pipeline.CREDIT_NOTE.load(organization, email.credit_note_id, for_print=True)
    for name, data, mimetype in einvoice_attachments(note, document):
        message.attach(name, data, mimetype)
    OutboundEmail.objects.filter(pk=email.pk, organization=organization).update(
        document_version=document.credit_note_version
    )
    email.document_version = document.credit_note_version


def mark_credit_note_sent(email: OutboundEmail) -> None:
    billing_services.credit_note_mark_sent(
        organization=email.organization, actor=None, credit_note_id=email.credit_note_id, sent_at=email.sent_at
    )


def _recipients(entry, links) -> dict:
    to = (entry.changes.get("to") or [None, []])[1] or []
    return {"to": ", ".join(to) if isinstance(to, list) else str(to)}


def register() -> None:
    register_kind(OutboundEmail.Kind.INVOICE, prepare=attach_invoice_pdf, after_sent=mark_invoice_sent)
    register_kind(OutboundEmail.Kind.CREDIT_NOTE, prepare=attach_credit_note_pdf, after_sent=mark_credit_note_sent)
    # How documents' audit entries read on the activity page.
    describe_actions(
        {
            "invoice.email_queued": Wording(
                _("{actor} emailed {target} to {to}"), _("Invoice emailed"), values=_recipients
            ),
            "credit_note.email_queued": Wording(
                _("{actor} emailed {target} to {to}"), _("Credit note emailed"), values=_recipients
            ),
            "credit_note.sent": Wording(_("{actor} sent {target} by email"), _("Credit note sent")),
            "invoice.pdf_render_requested": Wording(
                _("{actor} asked for the PDF of {target} to be made again"), _("PDF requested again")
            ),
        }
    )
    describe_fields({"to": _("To"), "cc": _("Copy to"), "version": None})
