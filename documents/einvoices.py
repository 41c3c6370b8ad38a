"""E-invoice files of an issued invoice or credit note: the XML formats and the Factur-X PDF.

All of them are made by the document pipeline (``documents.pipeline``) with the PDF of a
version, and stored with it (README, E-invoicing): the Factur-X PDF is the version's PDF when
the business uses Factur-X (``wants_facturx``), else a file of its own beside it; each XML
format the document satisfies is a file too. Downloads and emails read the stored bytes.

The caller opens the organization scope and passes the document (``invoice`` below: an
``Invoice`` or a ``CreditNote``) with its items prefetched.
"""

import datetime
import logging
from dataclasses import dataclass

from django.utils.text import get_valid_filename
from django.utils.translation import gettext

from documents.einvoice import FORMATS, Document, EInvoiceRefused, Verdict, check, render
from documents.einvoice_source import source_document
from documents.pdf.pdfa import facturx_pdf

logger = logging.getLogger(__name__)

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


def content_type(format_key: str) -> str:
    return PDF if format_key == FACTURX else XML


def filename(invoice, format_key: str) -> str:
    """``INV-2026-0001-xrechnung-cii.xml``, ``INV-2026-0001.pdf`` for Factur-X (it is the invoice PDF)."""
    stem = invoice.number or "invoice"
    name = f"{stem}.pdf" if format_key == FACTURX else f"{stem}-{format_key}.xml"
    return get_valid_filename(name) or ("invoice.pdf" if format_key == FACTURX else "invoice.xml")


def document_of(invoice) -> Document:
    return source_document(invoice)


def verdict(invoice, format_key: str) -> Verdict:
    """Whether the issued document can be written in the format, and what it lacks if not."""
    return check(document_of(invoice), format_key)


def satisfied_formats(invoice) -> frozenset[str]:
    """Every format the issued document can be written in (what its stored version holds).
    None when its amounts do not add up the EN 16931 way (a bug, logged): its PDF is still
    stored, and every e-invoice download says what the verdict says."""
    try:
        document = document_of(invoice)
    except ValueError:
        logger.exception("%s %s cannot be mapped to EN 16931", type(invoice).__name__, invoice.pk)
        return frozenset()
    return frozenset(key for key in FORMATS if check(document, key).ok)


def rendered_files(invoice, pdf: bytes, *, is_facturx: bool, formats) -> dict[str, bytes | None]:
    """The e-invoices of the version whose PDF is ``pdf``, one per format in ``formats`` (the
    satisfied ones): XML bytes, the Factur-X PDF, or None for Factur-X when ``pdf`` is it."""
    document = document_of(invoice)
    files: dict[str, bytes | None] = {}
    for key in sorted(formats):
        if key != FACTURX:
            files[key] = render(document, key)
        else:
            files[key] = None if is_facturx else facturx_from_pdf(invoice, pdf)
    return files


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
    """The PDF ``pdf`` of the document's current version as Factur-X (EInvoiceRefused if the
    document lacks what EN 16931 needs)."""
    document = document_of(invoice)
    xml = render(document, FACTURX)
    seller = invoice.business_snapshot or {}
    language = (invoice.customer_snapshot or {}).get("language") or seller.get("language") or "en"
    return facturx_pdf(
        pdf,
        xml,
        dated=_dated(invoice),
        title=f"{'Credit note' if document.is_credit_note else 'Invoice'} {invoice.number}",
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
