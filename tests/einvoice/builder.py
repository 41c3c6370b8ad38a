"""A small builder of e-invoice documents for tests, with Billora's own arithmetic.

Every amount comes from billing.calc.compute_totals (never typed by hand), and the builder
keeps the calc result beside the document so tests compare the XML against it.
"""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from billing.calc import InvoiceTotals, LineInput, compute_totals, vat_category_of
from documents.einvoice.model import (
    CREDIT_NOTE,
    INVOICE,
    SEPA_CREDIT_TRANSFER,
    Address,
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
    discount_allowances,
    item_name_and_description,
    legal_registration_scheme_for,
)

D = Decimal
ISSUED = datetime.date(2026, 3, 2)


def _electronic_address(peppol_id: str, email: str) -> ElectronicAddress | None:
    """The party's Peppol id, else its email address (EAS scheme EM), else none."""
    if peppol_id:
        return ElectronicAddress.from_peppol_id(peppol_id)
    return ElectronicAddress(scheme="EM", identifier=email) if email else None


def seller_party(
    name: str,
    country: str,
    *,
    vat_id: str = "",
    legal_id: str = "",
    tax_id: str = "",
    peppol_id: str = "",
    street: str = "1 Main Street",
    city: str = "Capital",
    postcode: str = "10000",
    contact: Contact | None = None,
    legal_info: str = "",
    trading_name: str = "",
) -> Seller:
    return Seller(
        name=name,
        trading_name=trading_name,
        address=Address(line1=street, city=city, postcode=postcode, country=country),
        vat_id=vat_id,
        legal_registration_id=legal_id,
        legal_registration_scheme=legal_registration_scheme_for(country) if legal_id else "",
        tax_registration_id=tax_id,
        legal_info=legal_info,
        electronic_address=_electronic_address(peppol_id, (contact or Contact()).email),
        contact=contact or Contact(),
    )


def buyer_party(
    name: str,
    country: str,
    *,
    vat_id: str = "",
    legal_id: str = "",
    peppol_id: str = "",
    email: str = "",
    street: str = "2 Market Square",
    city: str = "Town",
    postcode: str = "20000",
) -> Buyer:
    return Buyer(
        name=name,
        address=Address(line1=street, city=city, postcode=postcode, country=country),
        vat_id=vat_id,
        legal_registration_id=legal_id,
        legal_registration_scheme=legal_registration_scheme_for(country) if legal_id else "",
        electronic_address=_electronic_address(peppol_id, email),
        contact=Contact(email=email),
    )


def item(quantity, unit_price, rate="0", category=None, description="Consulting"):
    """(LineInput, description): one Billora invoice item."""
    return LineInput(
        quantity=D(quantity), unit_price=D(unit_price), tax_rate=D(rate), vat_category=category
    ), description


@dataclass(frozen=True)
class Built:
    document: Document
    totals: InvoiceTotals  # what billing.calc computed: the XML must say exactly this


def build(
    *,
    seller: Seller,
    buyer: Buyer,
    items,
    currency: str = "EUR",
    discount: tuple[str, str] = ("none", "0"),
    credit_note_of: tuple[str, datetime.date] | None = None,
    prepaid: str = "0",
    exemption_reasons: dict[str, tuple[str, str]] | None = None,
    buyer_reference: str = "",
    order_reference: str = "",
    notes: tuple[str, ...] = (),
    payment_terms: str = "Payment within 30 days.",
    due_days: int | None = 30,
    iban: str = "",
    bic: str = "",
    number: str = "INV-2026-0001",
    delivery: bool = False,
) -> Built:
    """A document as an adapter from Billora would build it, amounts from compute_totals."""
    inputs = [line for line, _ in items]
    totals = compute_totals(currency=currency, lines=inputs, discount_type=discount[0], discount_value=D(discount[1]))
    lines = []
    for index, ((line, description), amounts) in enumerate(zip(items, totals.lines, strict=True), start=1):
        name, long_description = item_name_and_description(description)
        lines.append(
            Line(
                id=str(index),
                quantity=line.quantity,
                net_amount=amounts.line_net,
                net_price=line.unit_price,
                name=name,
                description=long_description,
                vat_category=vat_category_of(line),
                vat_rate=line.tax_rate,
            )
        )
    reasons = exemption_reasons or {}
    label = f"Discount {discount[1]}%" if discount[0] == "percent" else "Discount"
    allowances = discount_allowances(totals.tax_breakdown, reason=label)
    breakdown = tuple(
        VatBreakdown(
            category=row.category,
            rate=row.rate,
            taxable_amount=row.taxable_amount,
            tax_amount=row.tax_amount,
            exemption_reason=reasons.get(row.category, ("", ""))[0],
            exemption_reason_code=reasons.get(row.category, ("", ""))[1],
        )
        for row in totals.tax_breakdown
    )
    paid = D(prepaid)
    document_totals = Totals(
        line_net_total=totals.subtotal,
        allowance_total=totals.discount_total,
        tax_exclusive=totals.subtotal - totals.discount_total,
        tax_total=totals.tax_total,
        tax_inclusive=totals.total,
        prepaid=paid,
        payable=totals.total - paid,
    )
    payment = (
        PaymentInstructions(
            means_code=SEPA_CREDIT_TRANSFER, remittance_information=number, account_id=iban, bank_id=bic
        )
        if iban
        else None
    )
    document = Document(
        type_code=CREDIT_NOTE if credit_note_of else INVOICE,
        number=number,
        issue_date=ISSUED,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=tuple(lines),
        vat_breakdown=breakdown,
        totals=document_totals,
        allowances=allowances,
        due_date=ISSUED + datetime.timedelta(days=due_days) if due_days is not None else None,
        buyer_reference=buyer_reference,
        order_reference=order_reference,
        notes=notes,
        payment_terms=payment_terms,
        preceding_invoice=PrecedingInvoice(*credit_note_of) if credit_note_of else None,
        payment_instructions=payment,
        delivery=Delivery(date=ISSUED, address=buyer.address) if delivery else None,
    )
    return Built(document=document, totals=totals)


def without(built: Built, **changes) -> Built:
    """The same document with some fields replaced (dataclasses.replace), e.g. to drop a requirement."""
    return Built(document=replace(built.document, **changes), totals=built.totals)
