"""E-invoice files of an issued invoice: the XML formats and the Factur-X PDF.

Which is made where (README, E-invoicing):
- The XML formats are rendered when asked for, from the invoice's immutable state at its
  current version (snapshots, stored items and totals): a few milliseconds, deterministic,
  nothing to store or to go stale.
- The Factur-X PDF is made by the document pipeline with the PDF when the business uses
  Factur-X (``wants_facturx``), and stored as that version's document. Otherwise a
  Factur-X download attaches the XML to the stored PDF of the version (no new rendering).

The caller opens the organization scope and passes an invoice with its items prefetched.
"""

import datetime
from dataclasses import dataclass

from django.utils.text import get_valid_filename
from django.utils.translation import gettext

from documents.einvoice import FORMATS, Document, EInvoiceRefused, Verdict, check, render
from documents.einvoice_source import invoice_document
from documents.pdf.pdfa import facturx_pdf

XML = "application/xml"
PDF = "application/pdf"
FACTURX = "facturx"
# A customer's einvoice_format -> the e-invoice its emails attach (besides or instead of the PDF).
EMAIL_FORMATS = {"facturx": FACTURX, "xrechnung": "xrechnung-cii", "peppol": "peppol"}


@dataclass(frozen=True)
class EInvoiceFile:
    content: bytes
    content_type: str
    filename: str


def unknown_format_message() -> str:
    return gettext("Choose a format: one of %(formats)s.") % {"formats": ", ".join(FORMATS)}


def filename(invoice, format_key: str) -> str:
    """``INV-2026-0001-xrechnung-cii.xml``, ``INV-2026-0001.pdf`` for Factur-X (it is the invoice PDF)."""
    stem = invoice.number or "invoice"
    name = f"{stem}.pdf" if format_key == FACTURX else f"{stem}-{format_key}.xml"
    return get_valid_filename(name) or ("invoice.pdf" if format_key == FACTURX else "invoice.xml")


def document_of(invoice) -> Document:
    return invoice_document(invoice)


def verdict(invoice, format_key: str) -> Verdict:
    """Whether the issued invoice can be written in the format, and what it lacks if not."""
    return check(document_of(invoice), format_key)


def xml_file(invoice, format_key: str) -> EInvoiceFile:
    """The invoice as XML in the format (EInvoiceRefused naming what is missing)."""
    key = "cii" if format_key == FACTURX else format_key
    return EInvoiceFile(render(document_of(invoice), key), XML, filename(invoice, key))


def wants_facturx(invoice) -> bool:
    """The business's Factur-X setting as it was when the invoice was issued (the snapshot;
    one taken before the setting existed: the business's current setting)."""
    snapshot = invoice.business_snapshot or {}
    if "facturx" in snapshot:
        return bool(snapshot["facturx"])
    return invoice.business.facturx


def _dated(invoice) -> datetime.datetime:
    """The one date a Factur-X file carries: the invoice's issue (the same for every render)."""
    if invoice.issued_at is not None:
        return invoice.issued_at
    return datetime.datetime.combine(invoice.issue_date, datetime.time(), tzinfo=datetime.UTC)


def facturx_from_pdf(invoice, pdf: bytes) -> bytes:
    """The invoice PDF ``pdf`` of the current version as Factur-X (EInvoiceRefused if the
    invoice lacks what EN 16931 needs)."""
    xml = render(document_of(invoice), FACTURX)
    seller = invoice.business_snapshot or {}
    language = (invoice.customer_snapshot or {}).get("language") or seller.get("language") or "en"
    return facturx_pdf(
        pdf,
        xml,
        dated=_dated(invoice),
        title=f"Invoice {invoice.number}",
        author=seller.get("legal_name") or seller.get("name") or "",
        lang=language,
    )


def facturx_for_pipeline(invoice, pdf: bytes) -> tuple[bytes, bool]:
    """What the document pipeline stores for a rendered ``pdf``: (file, is Factur-X). The
    Factur-X file when the business uses it and the invoice has what EN 16931 needs; else
    the plain PDF (the Factur-X download then says what is missing)."""
    if not wants_facturx(invoice):
        return pdf, False
    try:
        return facturx_from_pdf(invoice, pdf), True
    except EInvoiceRefused:
        return pdf, False
