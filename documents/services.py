"""Documents' services: downloads of invoice and credit note PDFs and e-invoices, and email.

The PDFs and e-invoices of issued documents are made and stored by the versioned pipeline
(``documents.pipeline``); these functions read what it stored, ask it for what is missing,
and answer ``None`` ("being rendered, retry") meanwhile. Drafts are never stored: they are
previewed, rendered on the fly with a DRAFT watermark.
"""

import io
import logging
import re
import zipfile

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext, override

from audit.services import record
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import DEFAULT_EMAIL_BODY, DEFAULT_EMAIL_SUBJECT, CreditNote, Invoice, InvoiceStatus
from billora.formatting import formats_for
from documents import einvoices, pipeline
from documents.einvoice import FORMATS, EInvoiceRefused
from documents.language import document_language
from documents.models import InvoiceDocument, OutboundEmail
from documents.outbox import queue_email
from documents.pdf import print_data_for, print_data_for_credit_note, render_invoice_pdf
from documents.pipeline import CREDIT_NOTE, INVOICE, Kind, pdf_filename
from documents.pipeline import valid_pk as _valid_pk
from organizations.models import ApiKey
from organizations.tenancy import organization_scope

logger = logging.getLogger(__name__)

SENDABLE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
MAX_RECIPIENTS = 20


# --- reading --------------------------------------------------------------------------------


def fresh_document(*, organization, invoice) -> InvoiceDocument | None:
    """The ready document of the invoice's current version, or None. Never an older one."""
    return pipeline.fresh_document(INVOICE, organization=organization, subject=invoice)


def latest_document(*, organization, invoice) -> InvoiceDocument | None:
    """The newest document row of any status (for showing progress or an error)."""
    return pipeline.latest_document(INVOICE, organization=organization, subject=invoice)


def preview_pdf(*, organization, invoice_id) -> tuple[Invoice, bytes]:
    """The PDF of the invoice as it is now, rendered on the fly and not stored (drafts)."""
    with organization_scope(organization):
        invoice = INVOICE.load(organization, invoice_id, for_print=True)
        if invoice is None:
            raise NotFound("No such invoice.")
        return invoice, render_invoice_pdf(print_data_for(invoice, language=document_language(invoice)))


def credit_note_preview_pdf(*, organization, credit_note_id) -> tuple[CreditNote, bytes]:
    """The PDF of a credit note as it is now, rendered on the fly and not stored: a draft's is
    watermarked DRAFT (an issued one's is the pipeline's, see ``stored_pdf``)."""
    with organization_scope(organization):
        note = CREDIT_NOTE.load(organization, credit_note_id, for_print=True)
        if note is None:
            raise NotFound(gettext("No such credit note."))
        return note, render_invoice_pdf(print_data_for_credit_note(note, language=document_language(note)))


def stored_pdf(kind: Kind, *, organization, subject):
    """The issued document's PDF to download: (the fresh stored document, None), or (None,
    the pending or failed document) after asking the pipeline for it (retry later)."""
    document = pipeline.fresh_document(kind, organization=organization, subject=subject)
    if document is not None:
        return document, None
    return None, pipeline.request_render(kind, organization=organization, subject_id=subject.pk)


# --- rendering ------------------------------------------------------------------------------


def document_schedule(*, organization, invoice_id, version) -> InvoiceDocument | None:
    """The pipeline's ``schedule`` for an invoice version."""
    return pipeline.schedule(INVOICE, organization=organization, subject_id=invoice_id, version=version)


def document_request_render(*, organization, invoice_id) -> InvoiceDocument | None:
    """The pipeline's ``request_render`` for an invoice's current version."""
    return pipeline.request_render(INVOICE, organization=organization, subject_id=invoice_id)


def document_render(*, organization, invoice_id, version=None) -> InvoiceDocument | None:
    """The pipeline's ``render`` for an invoice version (default: the current one)."""
    return pipeline.render(INVOICE, organization=organization, subject_id=invoice_id, version=version)


def ensure_fresh_document(*, organization, invoice_id) -> InvoiceDocument:
    """The pipeline's ``ensure_fresh`` for an invoice (the email job and bulk zips use it)."""
    return pipeline.ensure_fresh(INVOICE, organization=organization, subject_id=invoice_id)


def document_rerender(*, organization, actor, invoice_id) -> InvoiceDocument:
    """Support asks for the current version's PDF again (its render failed, or its job was
    lost): the render is enqueued after commit and the request audited. Refused for a draft
    (previewed on the fly, never stored) and for a fresh PDF (it would render the same bytes)."""
    with organization_scope(organization), transaction.atomic():
        invoice = INVOICE.load(organization, invoice_id)
        if invoice is None:
            raise NotFound("No such invoice.")
        document = document_schedule(organization=organization, invoice_id=invoice.pk, version=invoice.version)
        if document is None:
            raise StateConflict(gettext("No stored PDF to render: a draft is previewed on the fly."))
        if document.status == InvoiceDocument.Status.READY:
            raise StateConflict(
                gettext("The PDF of version %(version)s is already fresh.") % {"version": invoice.version}
            )
        record(
            organization=organization,
            actor=actor,
            action="invoice.pdf_render_requested",
            target=invoice,
            changes={"version": [None, invoice.version]},
        )
    return document


# --- e-invoices -----------------------------------------------------------------------------


def einvoice_download(
    kind: Kind = INVOICE, *, organization, format_key, subject_id=None, invoice_id=None
) -> einvoices.EInvoiceFile | None:
    """The issued invoice's or credit note's current version as the e-invoice ``format_key``,
    from the files the pipeline stored with it; None while they are being rendered (retry).
    A draft: StateConflict; a format the document cannot satisfy: EInvoiceRefused (its
    verdict names the missing fields), before any file."""
    if not isinstance(format_key, str) or format_key not in FORMATS:
        raise BillingValidationError({"format": [einvoices.unknown_format_message()]})
    subject_id = invoice_id if subject_id is None else subject_id
    with organization_scope(organization):
        subject = kind.load(organization, subject_id, for_print=True)
        if subject is None:
            raise NotFound(gettext("No such credit note.") if kind is CREDIT_NOTE else "No such invoice.")
        if subject.is_draft:
            raise StateConflict(gettext("A draft has no e-invoice; issue it first."))
        verdict = einvoices.verdict(subject, format_key)
        if not verdict.ok:
            raise EInvoiceRefused(verdict)
        document = pipeline.fresh_document(kind, organization=organization, subject=subject)
        content = pipeline.read_einvoice(document, format_key) if document is not None else None
        if content is None:
            pipeline.request_render(kind, organization=organization, subject_id=subject.pk, format_key=format_key)
            return None
    return einvoices.EInvoiceFile(content, einvoices.content_type(format_key), einvoices.filename(subject, format_key))


# --- email ----------------------------------------------------------------------------------


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, ApiKey):
        return f"API key {actor.label}"
    return actor.email


def parse_recipients(value, field: str, errors: dict) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[,;\s]+", value) if part]
    if not isinstance(value, list | tuple):
        errors[field] = [gettext("Enter a list of email addresses.")]
        return []
    addresses = []
    for address in value:
        if not isinstance(address, str):
            errors[field] = [gettext("Enter a list of email addresses.")]
            return []
        address = address.strip()
        try:
            validate_email(address)
        except ValidationError:
            message = gettext("Enter a valid email address: %(address)s is not one.") % {"address": repr(address[:254])}
            errors[field] = [message]
            return []
        addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        errors[field] = [gettext("At most %(count)s addresses.") % {"count": MAX_RECIPIENTS}]
    return addresses


def email_placeholders(invoice, language: str) -> dict[str, str]:
    business = invoice.business_snapshot or {}
    customer = invoice.customer_snapshot or {}
    formats = formats_for(language)
    return {
        "number": invoice.number or "",
        "total": formats.money(invoice.total, invoice.currency),
        "due_date": formats.date(invoice.due_date),
        "customer_name": customer.get("name") or invoice.customer.name,
        "business_name": business.get("name") or invoice.business.name,
    }


def email_template(template: str, default: str, language: str) -> str:
    """The business's subject or body template; the built-in default in the document's
    language when the business kept it (a template the business wrote is used as written)."""
    if template == default:
        with override(language):
            return gettext(default)
    return template


def fill_template(template: str, values: dict[str, str]) -> str:
    """Replace the known ``{placeholders}`` (the keys of ``values``); any other brace is left
    as written (a business's template must never make sending fail)."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template or "")


def _check_customer_einvoice_format(invoice) -> None:
    """The customer takes its documents as an e-invoice the invoice (or credit note) cannot be
    written in: the email is refused now, saying what is missing, rather than failing in the
    worker."""
    wanted = einvoices.EMAIL_FORMATS.get(invoice.customer.einvoice_format)
    if wanted is None:
        return
    verdict = einvoices.verdict(invoice, wanted)
    if not verdict.ok:
        raise StateConflict(
            gettext("%(customer)s receives e-invoices. %(problem)s")
            % {"customer": invoice.customer.name, "problem": verdict.detail}
        )


def invoice_send(*, organization, actor, invoice_id, to=None, cc=None, subject=None, body=None) -> OutboundEmail:
    """Queue the invoice email (sent after commit by the outbox task, with the PDF of the
    version current when it runs). Drafts and void invoices cannot be sent."""
    with organization_scope(organization), transaction.atomic():
        invoice = (
            Invoice.objects.select_related("business", "customer")
            .filter(organization=organization, pk=_valid_pk(invoice_id))
            .first()
        )
        if invoice is None:
            raise NotFound("No such invoice.")
        if invoice.status not in SENDABLE_STATUSES:
            raise StateConflict(
                gettext("A %(status)s invoice cannot be sent.") % {"status": invoice.get_status_display().lower()}
            )
        _check_customer_einvoice_format(invoice)
        errors: dict[str, list[str]] = {}
        recipients = parse_recipients(to, "to", errors)
        copies = parse_recipients(cc, "cc", errors)
        if not recipients and "to" not in errors:
            default = (invoice.customer_snapshot or {}).get("email") or invoice.customer.email
            if default:
                recipients = [default]
            else:
                errors["to"] = [gettext("The customer has no email address; enter the recipient.")]
        if subject is not None and (not isinstance(subject, str) or not subject.strip()):
            errors["subject"] = [gettext("Enter a subject or leave it out for the business's default.")]
        elif subject is not None and len(subject) > 300:
            errors["subject"] = [gettext("At most 300 characters.")]
        if body is not None and (not isinstance(body, str) or len(body) > 20_000):
            errors["body"] = [gettext("Enter the message text (at most 20,000 characters).")]
        if errors:
            raise BillingValidationError(errors)

        language = document_language(invoice)
        values = email_placeholders(invoice, language)
        business = invoice.business
        subject_template = email_template(business.email_subject_template, DEFAULT_EMAIL_SUBJECT, language)
        body_template = email_template(business.email_body_template, DEFAULT_EMAIL_BODY, language)
        reply_to = (invoice.business_snapshot or {}).get("email") or business.email
        email = queue_email(
            organization=organization,
            kind=OutboundEmail.Kind.INVOICE,
            to=recipients,
            cc=copies,
            reply_to=[reply_to] if reply_to else [],
            subject=fill_template(subject if subject is not None else subject_template, values),
            body=fill_template(body if body is not None else body_template, values),
            invoice=invoice,
            requested_by_label=actor_label(actor),
        )
        record(
            organization=organization,
            actor=actor,
            action="invoice.email_queued",
            target=invoice,
            changes={"to": [None, recipients], "cc": [None, copies]} if copies else {"to": [None, recipients]},
        )
    return email


def _credit_note_message(note) -> tuple[str, str]:
    """Subject and body of a credit note's email, in the document's language."""
    seller = (note.business_snapshot or {}).get("name") or note.business.name
    language = document_language(note)
    with override(language):
        values = {
            "number": note.number,
            "business": seller,
            "total": formats_for(language).money(note.total, note.currency),
            "invoice": note.invoice_number,
        }
        subject = gettext("Credit note %(number)s from %(business)s") % values
        body = (
            gettext(
                "Hello,\n\nPlease find attached credit note %(number)s, which credits %(total)s "
                "on invoice %(invoice)s.\n\n%(business)s"
            )
            % values
        )
    return subject, body


def credit_note_send(*, organization, actor, credit_note_id, to=None) -> OutboundEmail:
    """Queue an issued credit note's email to the customer (its stored PDF, and the e-invoice
    the customer takes, attached by the outbox task when it runs). Drafts cannot be sent."""
    with organization_scope(organization), transaction.atomic():
        pk = _valid_pk(credit_note_id)
        note = (
            CreditNote.objects.select_related("business", "invoice__customer")
            .filter(organization=organization, pk=pk)
            .first()
            if pk
            else None
        )
        if note is None:
            raise NotFound(gettext("No such credit note."))
        if note.is_draft:
            raise StateConflict(gettext("A draft credit note cannot be sent; issue it first."))
        _check_customer_einvoice_format(note)
        errors: dict[str, list[str]] = {}
        recipients = parse_recipients(to, "to", errors) or [
            address for address in [(note.customer_snapshot or {}).get("email")] if address
        ]
        if not recipients and "to" not in errors:
            errors["to"] = [gettext("The customer has no email address; enter the recipient.")]
        if errors:
            raise BillingValidationError(errors)
        subject, body = _credit_note_message(note)
        reply_to = (note.business_snapshot or {}).get("email") or note.business.email
        email = queue_email(
            organization=organization,
            kind=OutboundEmail.Kind.CREDIT_NOTE,
            to=recipients,
            reply_to=[reply_to] if reply_to else [],
            subject=subject,
            body=body,
            credit_note=note,
            requested_by_label=actor_label(actor),
        )
        record(
            organization=organization,
            actor=actor,
            action="credit_note.email_queued",
            target=note,
            changes={"to": [None, recipients]},
        )
    return email


# --- several invoices at once (the invoice list's bulk actions) --------------------------------

# Bulk actions do their work in the request: this bounds it (PDFs may have to be rendered).
MAX_BULK_INVOICES = 50


def _bulk_invoices(organization, invoice_ids) -> list[Invoice]:
    """The organization's invoices among ``invoice_ids``, in the order given; malformed ids
    and other organizations' are left out like missing ones. At least one, at most
    ``MAX_BULK_INVOICES``."""
    pks = list(dict.fromkeys(pk for pk in map(_valid_pk, invoice_ids or []) if pk is not None))
    if not pks:
        raise BillingValidationError({"invoices": [gettext("Select at least one invoice.")]})
    if len(pks) > MAX_BULK_INVOICES:
        raise BillingValidationError(
            {
                "invoices": [
                    gettext("Select at most %(limit)s invoices at a time (%(count)s were selected).")
                    % {"limit": MAX_BULK_INVOICES, "count": len(pks)}
                ]
            }
        )
    found = {invoice.pk: invoice for invoice in Invoice.objects.filter(organization=organization, pk__in=pks)}
    invoices = [found[pk] for pk in pks if pk in found]
    if not invoices:
        raise NotFound("No such invoice.")
    return invoices


def invoices_pdf_zip(*, organization, invoice_ids) -> bytes:
    """One zip of the selected invoices' PDFs: the current version of each (rendered now if
    its job has not run yet), drafts as previews. Names are the PDFs' download names."""
    with organization_scope(organization):
        invoices = _bulk_invoices(organization, invoice_ids)
    buffer = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            archive.writestr(_unique_name(pdf_filename(invoice), names), _current_pdf(organization, invoice))
    return buffer.getvalue()


def _current_pdf(organization, invoice) -> bytes:
    if invoice.is_draft:
        return preview_pdf(organization=organization, invoice_id=invoice.pk)[1]
    document = ensure_fresh_document(organization=organization, invoice_id=invoice.pk)
    with document.file.open("rb") as handle:
        return handle.read()


def _unique_name(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{dot}{suffix}"
    taken.add(candidate)
    return candidate


def invoices_send(*, organization, actor, invoice_ids) -> tuple[list[Invoice], list[tuple[Invoice, str]]]:
    """Queue each selected invoice's email to its customer, one ``invoice_send`` each (its
    own transaction and audit entry), so one that cannot be sent (a draft, a customer
    without an address) does not hold back the others. Returns (queued, [(skipped, why)])."""
    with organization_scope(organization):
        invoices = _bulk_invoices(organization, invoice_ids)
    queued, skipped = [], []
    for invoice in invoices:
        try:
            invoice_send(organization=organization, actor=actor, invoice_id=invoice.pk)
        except StateConflict as exc:
            skipped.append((invoice, exc.conflict_message))
        except BillingValidationError as exc:
            skipped.append((invoice, " ".join(text for texts in exc.messages.values() for text in texts)))
        except NotFound:
            skipped.append((invoice, gettext("It was deleted meanwhile.")))
        else:
            queued.append(invoice)
    return queued, skipped
