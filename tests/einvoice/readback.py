"""Read the amounts back out of a written e-invoice with XPath, to compare them with calc's."""

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from documents.einvoice import cii, ubl

from .builder import Built

NS = {"rsm": cii.RSM, "ram": cii.RAM, "cac": ubl.CAC, "cbc": ubl.CBC}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Amounts:
    line_nets: tuple[Decimal, ...]  # BT-131
    line_net_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    payable: Decimal  # BT-115
    vat_breakdown: tuple[tuple[str, Decimal, Decimal, Decimal], ...]  # BT-118, BT-119, BT-116, BT-117
    allowances: tuple[tuple[str, Decimal | None, Decimal], ...]  # BT-95, BT-96, BT-92


def _decimal(root, path: str) -> Decimal:
    found = root.xpath(path, namespaces=NS)
    return Decimal(found[0].text) if found else ZERO


def _decimals(root, path: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(node.text) for node in root.xpath(path, namespaces=NS))


def _rate(node, path: str) -> Decimal | None:
    found = node.xpath(path, namespaces=NS)
    return Decimal(found[0].text) if found else None


def amounts_in(xml: bytes) -> Amounts:
    root = etree.fromstring(xml)
    if root.tag == f"{{{cii.RSM}}}CrossIndustryInvoice":
        settlement = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
        summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
        return Amounts(
            line_nets=_decimals(
                root,
                "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement"
                "/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
            ),
            line_net_total=_decimal(root, f"{summation}/ram:LineTotalAmount"),
            allowance_total=_decimal(root, f"{summation}/ram:AllowanceTotalAmount"),
            tax_exclusive=_decimal(root, f"{summation}/ram:TaxBasisTotalAmount"),
            tax_total=_decimal(root, f"{summation}/ram:TaxTotalAmount"),
            tax_inclusive=_decimal(root, f"{summation}/ram:GrandTotalAmount"),
            prepaid=_decimal(root, f"{summation}/ram:TotalPrepaidAmount"),
            payable=_decimal(root, f"{summation}/ram:DuePayableAmount"),
            vat_breakdown=tuple(
                (
                    tax.findtext("ram:CategoryCode", namespaces=NS),
                    _rate(tax, "ram:RateApplicablePercent"),
                    Decimal(tax.findtext("ram:BasisAmount", namespaces=NS)),
                    Decimal(tax.findtext("ram:CalculatedAmount", namespaces=NS)),
                )
                for tax in root.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=NS)
            ),
            allowances=tuple(
                (
                    charge.findtext("ram:CategoryTradeTax/ram:CategoryCode", namespaces=NS),
                    _rate(charge, "ram:CategoryTradeTax/ram:RateApplicablePercent"),
                    Decimal(charge.findtext("ram:ActualAmount", namespaces=NS)),
                )
                for charge in root.xpath(f"{settlement}/ram:SpecifiedTradeAllowanceCharge", namespaces=NS)
            ),
        )
    monetary = "/*/cac:LegalMonetaryTotal"
    return Amounts(
        line_nets=_decimals(
            root, "/*/cac:InvoiceLine/cbc:LineExtensionAmount | /*/cac:CreditNoteLine/cbc:LineExtensionAmount"
        ),
        line_net_total=_decimal(root, f"{monetary}/cbc:LineExtensionAmount"),
        allowance_total=_decimal(root, f"{monetary}/cbc:AllowanceTotalAmount"),
        tax_exclusive=_decimal(root, f"{monetary}/cbc:TaxExclusiveAmount"),
        tax_total=_decimal(root, "/*/cac:TaxTotal/cbc:TaxAmount"),
        tax_inclusive=_decimal(root, f"{monetary}/cbc:TaxInclusiveAmount"),
        prepaid=_decimal(root, f"{monetary}/cbc:PrepaidAmount"),
        payable=_decimal(root, f"{monetary}/cbc:PayableAmount"),
        vat_breakdown=tuple(
            (
                sub.findtext("cac:TaxCategory/cbc:ID", namespaces=NS),
                _rate(sub, "cac:TaxCategory/cbc:Percent"),
                Decimal(sub.findtext("cbc:TaxableAmount", namespaces=NS)),
                Decimal(sub.findtext("cbc:TaxAmount", namespaces=NS)),
            )
            for sub in root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
        ),
        allowances=tuple(
            (
                charge.findtext("cac:TaxCategory/cbc:ID", namespaces=NS),
                _rate(charge, "cac:TaxCategory/cbc:Percent"),
                Decimal(charge.findtext("cbc:Amount", namespaces=NS)),
            )
            for charge in root.xpath("/*/cac:AllowanceCharge", namespaces=NS)
        ),
    )


def expected_amounts(built: Built) -> Amounts:
    """What billing.calc computed for the document, in the same shape (amounts compare as numbers)."""
    totals = built.totals
    prepaid = built.document.totals.prepaid  # an input (payments so far), not a computed amount
    return Amounts(
        line_nets=tuple(amounts.line_net for amounts in totals.lines),
        line_net_total=totals.subtotal,
        allowance_total=totals.discount_total,
        tax_exclusive=totals.subtotal - totals.discount_total,
        tax_total=totals.tax_total,
        tax_inclusive=totals.total,
        prepaid=prepaid,
        payable=totals.total - prepaid,
        vat_breakdown=tuple(
            (row.category, row.rate, row.taxable_amount, row.tax_amount) for row in totals.tax_breakdown
        ),
        # One allowance per (category, rate) row that took a share; "outside scope" carries no rate.
        allowances=tuple(
            (row.category, None if row.category == "O" else row.rate, row.discount_amount)
            for row in totals.tax_breakdown
            if row.discount_amount
        ),
    )
