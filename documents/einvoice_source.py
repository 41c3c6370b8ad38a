"""An issued invoice or credit note as an EN 16931 document (`documents.einvoice.model.Document`).

The pure core (`documents.einvoice`) knows no ORM; this module reads one issued document, as
it was printed: the business and customer snapshots taken at issue, the items and the totals
billing.calc stored (line nets, line discount shares, the VAT breakdown). Nothing is
computed again, so the e-invoice says exactly what the PDF and the API say.

The mapping works on plain values (`SourceDocument`), so a credit note maps through the same
`document_from` with its own type code, number and preceding invoice.

Mapping decisions beyond the core's (documents/einvoice/__init__.py):
- BT-27 is the business's legal name when it has one (its trading name then goes to BT-28).
- Electronic addresses (BT-34, BT-49): the party's Peppol id ("scheme:id"), else its email
  address with the EAS scheme EM.
- Payment instructions (BG-16): a SEPA credit transfer (58) to the snapshot's IBAN and BIC,
  with the invoice number as remittance information; none without an IBAN.
- Intra-community supplies (K) need a delivery date (BR-IC-11): Billora has no separate
  delivery date, the issue date is the date of supply, and the deliver-to address is the
  customer's. Other invoices carry no delivery group.
- BT-113 is what was paid on the invoice when this version was printed (payments change the
  version); BT-115 is the stored balance due.
- A credit note (type code 381) states its own amounts, positive as EN 16931 wants them (the
  document type says they are credited), references the invoice it corrects (BG-3: its number
  and issue date, copied at issue), has no due date and nothing prepaid (BT-115 = BT-112).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from billing.models import CreditNote, InvoiceStatus
from documents.einvoice.model import (
    CREDIT_NOTE,
    INTRA_COMMUNITY,
    INVOICE,
    SEPA_CREDIT_TRANSFER,
    Address,
    Allowance,
    Buyer,
    Contact,
    Delivery,
    Document,
    ElectronicAddress,
    Line,
    PaymentInstructions,
    PrecedingInvoice,
    Seller,
    Totals,
    VatBreakdown,
    item_name_and_description,
    legal_registration_scheme_for,
)


class NotIssued(ValueError):  # noqa: N818 (a state, not a crash)
    """A draft has no e-invoice: its numbers and parties are not final."""


@dataclass(frozen=True)
class SourceItem:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    vat_category: str
    line_net: Decimal
    line_discount: Decimal  # its share of the document discount (billing.calc rule 4)


@dataclass(frozen=True)
class SourceDocument:
    """What an issued invoice or credit note holds, as stored: plain values only."""

    type_code: str
    number: str
    issue_date: datetime.date
    due_date: datetime.date | None
    currency: str
    seller: dict  # the business snapshot
    buyer: dict  # the customer snapshot
    items: tuple[SourceItem, ...]
    tax_breakdown: tuple[dict, ...]  # the stored BG-23 rows
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    prepaid: Decimal
    discount_label: str
    notes: str = ""
    terms: str = ""
    preceding_invoice: PrecedingInvoice | None = None


def _text(snapshot: dict, key: str) -> str:
    value = snapshot.get(key)
    return "" if value is None else str(value).strip()


def _address(snapshot: dict) -> Address:
    return Address(
        line1=_text(snapshot, "address_line1"),
        line2=_text(snapshot, "address_line2"),
        city=_text(snapshot, "city"),
        postcode=_text(snapshot, "postcode"),
        country=_text(snapshot, "country").upper(),
    )


def _electronic_address(snapshot: dict) -> ElectronicAddress | None:
    peppol_id = _text(snapshot, "peppol_id")
    if peppol_id and ":" in peppol_id:
        return ElectronicAddress.from_peppol_id(peppol_id)
    email = _text(snapshot, "email")
    return ElectronicAddress(scheme="EM", identifier=email) if email else None


def _seller(snapshot: dict) -> Seller:
    name, legal_name = _text(snapshot, "name"), _text(snapshot, "legal_name")
    legal_id = _text(snapshot, "legal_registration_id")
    address = _address(snapshot)
    return Seller(
        name=legal_name or name,
        trading_name=name if legal_name and legal_name != name else "",
        address=address,
        legal_registration_id=legal_id,
        legal_registration_scheme=legal_registration_scheme_for(address.country) if legal_id else "",
        vat_id=_text(snapshot, "vat_id"),
        tax_registration_id=_text(snapshot, "tax_id"),
        legal_info=_text(snapshot, "legal_mentions"),
        electronic_address=_electronic_address(snapshot),
        contact=Contact(
            name=_text(snapshot, "contact_name"), phone=_text(snapshot, "phone"), email=_text(snapshot, "email")
        ),
    )


def _buyer(snapshot: dict) -> Buyer:
    legal_id = _text(snapshot, "legal_registration_id")
    address = _address(snapshot)
    return Buyer(
        name=_text(snapshot, "name"),
        address=address,
        legal_registration_id=legal_id,
        legal_registration_scheme=legal_registration_scheme_for(address.country) if legal_id else "",
        vat_id=_text(snapshot, "vat_id"),
        electronic_address=_electronic_address(snapshot),
        contact=Contact(phone=_text(snapshot, "phone"), email=_text(snapshot, "email")),
    )


def _lines(items: tuple[SourceItem, ...]) -> tuple[Line, ...]:
    lines = []
    for index, item in enumerate(items, start=1):
        name, description = item_name_and_description(item.description)
        lines.append(
            Line(
                id=str(index),
                quantity=item.quantity,
                net_amount=item.line_net,
                net_price=item.unit_price,
                name=name,
                description=description,
                vat_category=item.vat_category,
                vat_rate=item.tax_rate,
            )
        )
    return tuple(lines)


def _allowances(source: SourceDocument) -> tuple[Allowance, ...]:
    """One BG-20 allowance per VAT (category, rate) row: the sum of its lines' stored shares."""
    shares: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for item in source.items:
        shares[item.vat_category, item.tax_rate] += item.line_discount
    order = [(row["category"], Decimal(str(row["rate"]))) for row in source.tax_breakdown]
    return tuple(
        Allowance(amount=shares[key], vat_category=key[0], vat_rate=key[1], reason=source.discount_label)
        for key in order
        if shares.get(key)
    )


def _breakdown(rows: tuple[dict, ...]) -> tuple[VatBreakdown, ...]:
    return tuple(
        VatBreakdown(
            category=row["category"],
            rate=Decimal(str(row["rate"])),
            taxable_amount=Decimal(str(row["taxable_amount"])),
            tax_amount=Decimal(str(row["tax_amount"])),
            exemption_reason=str(row.get("exemption_reason") or ""),
            exemption_reason_code=str(row.get("exemption_reason_code") or ""),
        )
        for row in rows
    )


def _payment_instructions(source: SourceDocument) -> PaymentInstructions | None:
    iban = _text(source.seller, "iban").replace(" ", "")
    if not iban:
        return None
    return PaymentInstructions(
        means_code=SEPA_CREDIT_TRANSFER,
        remittance_information=source.number,
        account_id=iban,
        bank_id=_text(source.seller, "bic").replace(" ", ""),
    )


def document_from(source: SourceDocument) -> Document:
    """The EN 16931 document of an issued invoice or credit note, from its stored values."""
    buyer = _buyer(source.buyer)
    intra_community = any(item.vat_category == INTRA_COMMUNITY for item in source.items)
    return Document(
        type_code=source.type_code,
        number=source.number,
        issue_date=source.issue_date,
        currency=source.currency,
        seller=_seller(source.seller),
        buyer=buyer,
        lines=_lines(source.items),
        vat_breakdown=_breakdown(source.tax_breakdown),
        totals=Totals(
            line_net_total=source.subtotal,
            allowance_total=source.discount_total,
            tax_exclusive=source.subtotal - source.discount_total,
            tax_total=source.tax_total,
            tax_inclusive=source.total,
            prepaid=source.prepaid,
            payable=source.total - source.prepaid,
        ),
        allowances=_allowances(source),
        due_date=source.due_date,
        buyer_reference=_text(source.buyer, "buyer_reference"),
        notes=(source.notes.strip(),) if source.notes.strip() else (),
        payment_terms=source.terms.strip(),
        preceding_invoice=source.preceding_invoice,
        payment_instructions=_payment_instructions(source),
        delivery=Delivery(date=source.issue_date, address=buyer.address) if intra_community else None,
    )


def _discount_label(document) -> str:
    if document.discount_type == "percent" and document.discount_value:
        return f"Discount {Decimal(document.discount_value).normalize():f}%"
    return "Discount"


def _items(document) -> tuple[SourceItem, ...]:
    """The stored lines of an invoice or credit note (prefetched by the caller), in order."""
    return tuple(
        SourceItem(
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            tax_rate=item.tax_rate,
            vat_category=item.vat_category,
            line_net=item.line_net,
            line_discount=item.line_discount,
        )
        for item in sorted(document.items.all(), key=lambda item: item.position)
    )


def invoice_source(invoice) -> SourceDocument:
    """An issued invoice's stored values (items and payments prefetched by the caller, who
    opens the organization scope). A draft has none yet: NotIssued."""
    if invoice.status == InvoiceStatus.DRAFT or not invoice.number:
        raise NotIssued("A draft invoice has no e-invoice; issue it first.")
    return SourceDocument(
        type_code=INVOICE,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        seller=invoice.business_snapshot or {},
        buyer=invoice.customer_snapshot or {},
        items=_items(invoice),
        tax_breakdown=tuple(invoice.tax_breakdown or ()),
        subtotal=invoice.subtotal,
        discount_total=invoice.discount_total,
        tax_total=invoice.tax_total,
        total=invoice.total,
        prepaid=invoice.amount_paid,
        discount_label=_discount_label(invoice),
        notes=invoice.notes or "",
        terms=invoice.terms or "",
    )


def invoice_document(invoice) -> Document:
    """The EN 16931 document of an issued invoice (see `invoice_source`)."""
    return document_from(invoice_source(invoice))


def credit_note_source(note) -> SourceDocument:
    """An issued credit note's stored values (items prefetched by the caller, inside the
    organization scope). A draft has none yet: NotIssued."""
    if note.is_draft or not note.number:
        raise NotIssued("A draft credit note has no e-invoice; issue it first.")
    return SourceDocument(
        type_code=CREDIT_NOTE,
        number=note.number,
        issue_date=note.issue_date,
        due_date=None,
        currency=note.currency,
        seller=note.business_snapshot or {},
        buyer=note.customer_snapshot or {},
        items=_items(note),
        tax_breakdown=tuple(note.tax_breakdown or ()),
        subtotal=note.subtotal,
        discount_total=note.discount_total,
        tax_total=note.tax_total,
        total=note.total,
        prepaid=Decimal(0),
        discount_label=_discount_label(note),
        notes=note.reason or "",
        preceding_invoice=PrecedingInvoice(number=note.invoice_number, issue_date=note.invoice_issue_date),
    )


def source_document(document) -> Document:
    """The EN 16931 document of an issued invoice or credit note."""
    if isinstance(document, CreditNote):
        return document_from(credit_note_source(document))
    return invoice_document(document)
