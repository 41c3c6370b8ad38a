"""What an invoice PDF prints, as plain frozen data.

``print_data_for(invoice)`` reads the ORM (the caller opens the organization scope); the
renderer only ever sees an ``InvoicePrintData``, so it is testable without a database and
the same data always gives the same bytes.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "draft": "Draft",
    "issued": "Issued",
    "partially_paid": "Partially paid",
    "paid": "Paid",
    "void": "Void",
}
METHOD_LABELS = {
    "bank_transfer": "Bank transfer",
    "card": "Card",
    "cash": "Cash",
    "check": "Check",
    "other": "Other",
}
MAX_LOGO_BYTES = 2_000_000


@dataclass(frozen=True)
class PrintParty:
    name: str
    legal_name: str = ""
    address: str = ""
    tax_id: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PrintLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    line_net: Decimal


@dataclass(frozen=True)
class PrintTaxRow:
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


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
    logo: bytes | None = None
    version: int = 1
    locale: str = "en_US"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())

    @property
    def title(self) -> str:
        return f"Invoice {self.number}" if self.number else "Draft invoice"


def _text(value) -> str:
    return "" if value is None else str(value)


def _party_from_snapshot(snapshot: dict, *, address_keys=("address",)) -> PrintParty:
    address = next((snapshot[k] for k in address_keys if snapshot.get(k)), "")
    return PrintParty(
        name=_text(snapshot.get("name")),
        legal_name=_text(snapshot.get("legal_name")),
        address=_text(address),
        tax_id=_text(snapshot.get("tax_id")),
        email=_text(snapshot.get("email")),
        phone=_text(snapshot.get("phone")),
    )


def _seller_live(business) -> PrintParty:
    return PrintParty(
        name=business.name,
        legal_name=business.legal_name,
        address=business.address,
        tax_id=business.tax_id,
        email=business.email,
        phone=business.phone,
    )


def _buyer_live(customer) -> PrintParty:
    return PrintParty(
        name=customer.name,
        address=customer.billing_address,
        tax_id=customer.tax_id,
        email=customer.email,
        phone=customer.phone,
    )


def _read_logo(invoice) -> bytes | None:
    """The logo bytes, or None. Issued invoices use the logo file named in their snapshot
    (a later logo change does not alter them); drafts the business's current one. A
    missing or unreadable file never stops an invoice."""
    snapshot = invoice.business_snapshot or {}
    if invoice.status != "draft" and "logo" in snapshot:
        name = snapshot.get("logo") or ""
    else:
        name = invoice.business.logo.name if invoice.business.logo else ""
    if not name:
        return None
    try:
        if default_storage.size(name) > MAX_LOGO_BYTES:
            return None
        with default_storage.open(name, "rb") as fh:
            return fh.read()
    except (OSError, ValueError):
        logger.warning("invoice logo %s unreadable (invoice %s)", name, invoice.pk)
        return None


def _discount_label(invoice) -> str:
    if invoice.discount_type == "percent" and invoice.discount_value:
        value = Decimal(invoice.discount_value).normalize()
        # normalize() may give 1E+1; format with plain notation.
        return f"Discount ({value:f}%)"
    return "Discount"


def print_data_for(invoice, *, locale: str = "en_US") -> InvoicePrintData:
    """Everything printed for ``invoice`` as it is now. Caller opens the organization scope.

    Issued invoices print the seller and buyer snapshots taken at issue; drafts print the
    live business and customer.
    """
    business = invoice.business
    if invoice.status != "draft" and invoice.business_snapshot:
        seller = _party_from_snapshot(invoice.business_snapshot)
    else:
        seller = _seller_live(business)
    if invoice.status != "draft" and invoice.customer_snapshot:
        buyer = _party_from_snapshot(invoice.customer_snapshot, address_keys=("billing_address", "address"))
    else:
        buyer = _buyer_live(invoice.customer)
    snapshot = invoice.business_snapshot or {}
    instructions = snapshot.get("payment_instructions") if invoice.status != "draft" else None
    if instructions is None:
        instructions = business.payment_instructions

    lines = tuple(
        PrintLine(
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            tax_rate=item.tax_rate,
            line_net=item.line_net,
        )
        for item in sorted(invoice.items.all(), key=lambda i: i.position)
    )
    tax_rows = tuple(
        PrintTaxRow(
            rate=Decimal(str(row["rate"])),
            taxable_amount=Decimal(str(row["taxable_amount"])),
            tax_amount=Decimal(str(row["tax_amount"])),
        )
        for row in (invoice.tax_breakdown or [])
    )
    payments = tuple(
        PrintPayment(
            date=p.date,
            method=METHOD_LABELS.get(p.method, p.method),
            reference=p.reference,
            amount=p.amount,
        )
        for p in sorted(
            (p for p in invoice.payments.all() if not p.voided),
            key=lambda p: (p.date, p.created_at),
        )
    )
    return InvoicePrintData(
        status=invoice.status,
        number=invoice.number,
        currency=invoice.currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        seller=seller,
        buyer=buyer,
        lines=lines,
        tax_rows=tax_rows,
        subtotal=invoice.subtotal,
        discount_total=invoice.discount_total,
        tax_total=invoice.tax_total,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        balance_due=invoice.balance_due,
        payments=payments,
        discount_label=_discount_label(invoice),
        notes=invoice.notes,
        terms=invoice.terms,
        payment_instructions=_text(instructions),
        logo=_read_logo(invoice),
        version=invoice.version,
        locale=locale,
    )
