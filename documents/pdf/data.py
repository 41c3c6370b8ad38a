"""What an invoice PDF prints, as plain frozen data.

``print_data_for(invoice)`` reads the ORM (the caller opens the organization scope); the
renderer only ever sees an ``InvoicePrintData``, so it is testable without a database and
the same data always gives the same bytes.
"""

import datetime
import logging
from dataclasses import dataclass, fields
from decimal import Decimal

from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from billing.addresses import party_address, render_address
from billing.vat import CATEGORY_LABELS
from billora.formatting import formats_for

logger = logging.getLogger(__name__)

# Lazy: the renderer writes them in the document's language.
STATUS_LABELS = {
    "draft": _("Draft"),
    "issued": _("Issued"),
    "partially_paid": _("Partially paid"),
    "paid": _("Paid"),
    "credited": _("Credited"),
    "void": _("Void"),
}
MAX_LOGO_BYTES = 2_000_000


@dataclass(frozen=True)
class PrintParty:
    name: str
    legal_name: str = ""
    address: str = ""  # the postal address as printed, one line per line
    vat_id: str = ""  # BT-31 / BT-48
    legal_registration_id: str = ""  # BT-30 / BT-47
    tax_id: str = ""  # BT-32, the local tax number
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PrintLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    line_net: Decimal
    vat_category: str = "S"  # BT-151


@dataclass(frozen=True)
class PrintTaxRow:
    """One row of the VAT breakdown (BG-23): per (category, rate), with the reason no VAT is
    charged for an exempt category (BT-120, BT-121)."""

    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    category: str = "S"
    category_name: str = "Standard or reduced rate"
    exemption_reason: str = ""
    exemption_reason_code: str = ""


@dataclass(frozen=True)
class PrintPayment:
    date: datetime.date
    method: str  # readable label
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class InvoicePrintData:
    status: str  # draft | issued | partially_paid | paid | void
    number: str | None
    currency: str
    issue_date: datetime.date
    due_date: datetime.date
    seller: PrintParty
    buyer: PrintParty
    lines: tuple[PrintLine, ...]
    tax_rows: tuple[PrintTaxRow, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    amount_paid: Decimal = Decimal(0)
    balance_due: Decimal = Decimal(0)
    payments: tuple[PrintPayment, ...] = ()
    discount_label: str = "Discount"
    notes: str = ""
    terms: str = ""
    payment_instructions: str = ""
    iban: str = ""  # BT-84, compact; with bic printed in the payment section
    bic: str = ""  # BT-86
    legal_mentions: str = ""  # the seller's, printed in every page's footer
    logo: bytes | None = None
    version: int = 1
    language: str = "en"  # of labels, dates and numbers (customer data is never translated)
    # A credit note (document type 381) prints the invoice it corrects (BT-25, BT-26) and why.
    kind: str = "invoice"  # invoice | credit_note
    invoice_number: str = ""
    invoice_issue_date: datetime.date | None = None
    reason: str = ""

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())

    @property
    def title(self) -> str:
        with override(self.language):
            if self.is_credit_note:
                return str(
                    _("Credit note %(number)s") % {"number": self.number} if self.number else _("Draft credit note")
                )
            return str(_("Invoice %(number)s") % {"number": self.number} if self.number else _("Draft invoice"))


def _text(value) -> str:
    return "" if value is None else str(value)


def _party_from_snapshot(snapshot: dict, language: str) -> PrintParty:
    values = {field.name: _text(snapshot.get(field.name)) for field in fields(PrintParty)}
    # The country is named in the document's language; an old snapshot's free text as it was.
    values["address"] = render_address(snapshot, language)
    return PrintParty(**values)


def _from_attributes(cls, source, **derived):
    """A ``cls`` whose fields are ``source``'s attributes of the same names, except those given
    in ``derived``: the print data's fields are the one list of what is printed."""
    return cls(
        **{field.name: getattr(source, field.name) for field in fields(cls) if field.name not in derived}, **derived
    )


def _prints_snapshots(invoice) -> bool:
    # Issued invoices print what was snapshotted at issue; drafts print the live records.
    return invoice.status != "draft"


def _seller(invoice, language: str) -> PrintParty:
    if _prints_snapshots(invoice) and invoice.business_snapshot:
        return _party_from_snapshot(invoice.business_snapshot, language)
    return business_party(invoice.business, language)


def _buyer(invoice, language: str) -> PrintParty:
    if _prints_snapshots(invoice) and invoice.customer_snapshot:
        return _party_from_snapshot(invoice.customer_snapshot, language)
    return customer_party(invoice.customer, language)


def business_party(business, language: str) -> PrintParty:
    """A business as it is now, as a printed party (a draft's seller, a statement's)."""
    return _from_attributes(PrintParty, business, address=render_address(party_address(business), language))


def customer_party(customer, language: str) -> PrintParty:
    """A customer as it is now, as a printed party (a draft's buyer, a statement's)."""
    address = render_address(party_address(customer), language)
    return _from_attributes(PrintParty, customer, legal_name="", address=address)


def _payment_instructions(invoice) -> str:
    instructions = None
    if _prints_snapshots(invoice):
        instructions = (invoice.business_snapshot or {}).get("payment_instructions")
    if instructions is None:
        instructions = invoice.business.payment_instructions
    return _text(instructions)


def _seller_detail(invoice, field: str) -> str:
    """A business field printed outside the party block (bank details, legal mentions): an
    issued invoice's snapshot, which lacks it when taken before the field existed."""
    if _prints_snapshots(invoice) and invoice.business_snapshot:
        return _text(invoice.business_snapshot.get(field))
    return _text(getattr(invoice.business, field))


def _lines(invoice) -> tuple[PrintLine, ...]:
    return tuple(_from_attributes(PrintLine, item) for item in sorted(invoice.items.all(), key=lambda i: i.position))


def _tax_rows(invoice) -> tuple[PrintTaxRow, ...]:
    # The breakdown is stored as JSON (amounts as strings or numbers).
    return tuple(
        PrintTaxRow(
            rate=Decimal(str(row["rate"])),
            taxable_amount=Decimal(str(row["taxable_amount"])),
            tax_amount=Decimal(str(row["tax_amount"])),
            category=row["category"],
            category_name=str(CATEGORY_LABELS.get(row["category"], row["category"])),
            exemption_reason=_text(row.get("exemption_reason")),
            exemption_reason_code=_text(row.get("exemption_reason_code")),
        )
        for row in (invoice.tax_breakdown or [])
    )


def _payments(invoice) -> tuple[PrintPayment, ...]:
    live = sorted((p for p in invoice.payments.all() if not p.voided), key=lambda p: (p.date, p.created_at))
    return tuple(_from_attributes(PrintPayment, payment, method=str(payment.get_method_display())) for payment in live)


def _read_logo(invoice) -> bytes | None:
    """The logo bytes, or None. Issued invoices use the logo file named in their snapshot
    (a later logo change does not alter them); drafts the business's current one. A
    missing or unreadable file never stops an invoice."""
    snapshot = invoice.business_snapshot or {}
    if _prints_snapshots(invoice) and "logo" in snapshot:
        name = snapshot.get("logo") or ""
    else:
        name = invoice.business.logo.name if invoice.business.logo else ""
    return logo_bytes(name)


def logo_bytes(name: str) -> bytes | None:
    """The logo file ``name`` in storage, or None: a missing, unreadable or oversized file
    never stops a document."""
    if not name:
        return None
    try:
        if default_storage.size(name) > MAX_LOGO_BYTES:
            return None
        with default_storage.open(name, "rb") as fh:
            return fh.read()
    except (OSError, ValueError):
        logger.warning("logo %s unreadable", name)
        return None


def _discount_label(invoice, language: str) -> str:
    if invoice.discount_type == "percent" and invoice.discount_value:
        rate = formats_for(language).percent(Decimal(invoice.discount_value))
        return str(_("Discount (%(rate)s)") % {"rate": rate})
    return str(_("Discount"))


def print_data_for(invoice, *, language: str = "en") -> InvoicePrintData:
    """Everything printed for ``invoice`` as it is now. Caller opens the organization scope.

    Issued invoices print the seller and buyer snapshots taken at issue; drafts print the
    live business and customer. Every other field is the invoice's attribute of that name.
    ``language`` is the document's (``documents.language.document_language``).
    """
    with override(language):  # the labels it holds (payment methods, discount) in that language
        return _print_data(invoice, language)


def _print_data(invoice, language: str) -> InvoicePrintData:
    return _from_attributes(
        InvoicePrintData,
        invoice,
        seller=_seller(invoice, language),
        buyer=_buyer(invoice, language),
        lines=_lines(invoice),
        tax_rows=_tax_rows(invoice),
        payments=_payments(invoice),
        discount_label=_discount_label(invoice, language),
        payment_instructions=_payment_instructions(invoice),
        iban=_seller_detail(invoice, "iban"),
        bic=_seller_detail(invoice, "bic"),
        legal_mentions=_seller_detail(invoice, "legal_mentions"),
        logo=_read_logo(invoice),
        language=language,
        kind="invoice",
        invoice_number="",
        invoice_issue_date=None,
        reason="",
    )


def print_data_for_credit_note(note, *, language: str = "en") -> InvoicePrintData:
    """Everything printed for credit note ``note``: its lines and totals, both parties as
    snapshotted at issue (a draft: the live records), and the invoice it corrects. Nothing is
    due on it: no payments, no bank details. Caller opens the organization scope."""
    invoice = note.invoice
    with override(language):
        return InvoicePrintData(
            kind="credit_note",
            status=note.status,
            number=note.number,
            currency=note.currency,
            issue_date=note.issue_date,
            due_date=note.issue_date,
            seller=_seller(note, language),
            buyer=_buyer(note, language),
            lines=_lines(note),
            tax_rows=_tax_rows(note),
            subtotal=note.subtotal,
            discount_total=note.discount_total,
            tax_total=note.tax_total,
            total=note.total,
            discount_label=_discount_label(note, language),
            legal_mentions=_seller_detail(note, "legal_mentions"),
            logo=_read_logo(note),
            version=note.version,
            language=language,
            invoice_number=note.invoice_number or _text(invoice.number),
            invoice_issue_date=note.invoice_issue_date or invoice.issue_date,
            reason=note.reason,
        )
