"""The VAT table of eu-invoicing.md as test cases: parties, lines, the breakdown Billora must
store and the verdict at issue. The service, API and e-invoice tests all run this one table."""

from dataclasses import dataclass, field

FR_VAT, FR_VAT_2, DE_VAT, AT_VAT = "FR40303265045", "FR61954506077", "DE136695976", "ATU13585627"

SMALL_BUSINESS_DE = {"text": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.", "code": ""}
REVERSE_CHARGE = {
    "text": "Reverse charge: VAT to be accounted for by the recipient, art. 196 Directive 2006/112/EC",
    "code": "VATEX-EU-AE",
}
INTRA_COMMUNITY = {"text": "Exempt intra-community supply, art. 138 Directive 2006/112/EC", "code": "VATEX-EU-IC"}
EXPORT = {"text": "Exempt export outside the EU, art. 146 Directive 2006/112/EC", "code": "VATEX-EU-G"}
NOT_SUBJECT = {"text": "Not subject to VAT (grant)", "code": "VATEX-EU-O"}


def line(quantity, price, rate, category=None, description="Consulting"):
    item = {"description": description, "quantity": quantity, "unit_price": price, "tax_rate": rate}
    if category is not None:
        item["vat_category"] = category
    return item


@dataclass(frozen=True)
class VatCase:
    id: str
    seller: dict  # Business fields: country, vat_id, tax_id, default_vat_category, vat_exemption_reasons
    buyer: dict  # Customer fields: country, vat_id
    items: list
    # (category, rate, taxable amount, tax amount, exemption reason, code), as the API shows them
    breakdown: list
    reasons: dict | None = None  # the invoice's vat_exemption_reasons as sent; None: not sent
    refused: dict = field(default_factory=dict)  # field path -> the message issue answers with

    @property
    def allowed(self) -> bool:
        return not self.refused


def _row(category, rate, taxable, tax, reason=None):
    reason = reason or {"text": "", "code": ""}
    return (category, rate, taxable, tax, reason["text"], reason["code"])


CASES = [
    VatCase(
        "domestic-standard-and-reduced-rates",
        seller={"country": "FR", "vat_id": FR_VAT},
        buyer={"country": "FR", "vat_id": FR_VAT_2},
        items=[line("10", "100.00", "20"), line("3", "12.50", "5.5", description="Books"), line("1", "5", "0")],
        breakdown=[
            _row("Z", "0", "5.00", "0.00"),
            _row("S", "5.5", "37.50", "2.06"),
            _row("S", "20", "1000.00", "200.00"),
        ],
    ),
    VatCase(
        # A German small business sets E and its reason once; its lines need no category.
        "e-small-business-exemption-from-the-business-defaults",
        seller={
            "country": "DE",
            "vat_id": "",
            "tax_id": "27/123/45678",
            "legal_registration_id": "HRA 4711",
            "default_vat_category": "E",
            "vat_exemption_reasons": {"E": SMALL_BUSINESS_DE},
        },
        buyer={"country": "DE", "vat_id": ""},
        items=[line("8", "65.00", "0", description="Logo"), line("1", "120.00", "0", description="Print files")],
        breakdown=[_row("E", "0", "640.00", "0.00", SMALL_BUSINESS_DE)],
    ),
    VatCase(
        "e-exemption-without-a-reason",
        seller={"country": "DE", "vat_id": "", "tax_id": "27/123/45678"},
        buyer={"country": "DE", "vat_id": ""},
        items=[line("1", "100.00", "0", "E")],
        breakdown=[_row("E", "0", "100.00", "0.00")],
        refused={"vat_exemption_reasons.E": "Exempt lines need the reason no VAT is charged"},
    ),
    VatCase(
        "ae-reverse-charge-with-the-buyers-vat-id",
        seller={"country": "AT", "vat_id": AT_VAT},
        buyer={"country": "DE", "vat_id": DE_VAT},
        items=[line("12.5", "140.00", "0", "AE"), line("1", "350.00", "0", "AE", "Workshop")],
        reasons={"AE": REVERSE_CHARGE},
        breakdown=[_row("AE", "0", "2100.00", "0.00", REVERSE_CHARGE)],
    ),
    VatCase(
        "ae-reverse-charge-without-the-buyers-vat-id",
        seller={"country": "AT", "vat_id": AT_VAT},
        buyer={"country": "DE", "vat_id": ""},
        items=[line("1", "350.00", "0", "AE")],
        reasons={"AE": REVERSE_CHARGE},
        breakdown=[_row("AE", "0", "350.00", "0.00", REVERSE_CHARGE)],
        refused={"customer.vat_id": "Reverse charge needs the customer's VAT number."},
    ),
    VatCase(
        "k-intra-community-to-a-buyer-in-the-same-country",
        seller={"country": "FR", "vat_id": FR_VAT},
        buyer={"country": "FR", "vat_id": FR_VAT_2},
        items=[line("2", "400.00", "0", "K", "Machine parts")],
        reasons={"K": INTRA_COMMUNITY},
        breakdown=[_row("K", "0", "800.00", "0.00", INTRA_COMMUNITY)],
        refused={"customer.country": "same country as your business"},
    ),
    VatCase(
        "k-intra-community-to-a-buyer-in-another-eu-country",
        seller={"country": "FR", "vat_id": FR_VAT},
        buyer={"country": "DE", "vat_id": DE_VAT},
        items=[line("2", "400.00", "0", "K", "Machine parts")],
        reasons={"K": INTRA_COMMUNITY},
        breakdown=[_row("K", "0", "800.00", "0.00", INTRA_COMMUNITY)],
    ),
    VatCase(
        "g-export-outside-the-eu",
        seller={"country": "DE", "vat_id": DE_VAT},
        buyer={"country": "US", "vat_id": ""},
        items=[line("3", "250.00", "0", "G", "Spare parts")],
        reasons={"G": EXPORT},
        breakdown=[_row("G", "0", "750.00", "0.00", EXPORT)],
    ),
    VatCase(
        "g-export-to-a-buyer-in-the-eu",
        seller={"country": "DE", "vat_id": DE_VAT},
        buyer={"country": "FR", "vat_id": FR_VAT},
        items=[line("3", "250.00", "0", "G", "Spare parts")],
        reasons={"G": EXPORT},
        breakdown=[_row("G", "0", "750.00", "0.00", EXPORT)],
        refused={"customer.country": "An export outside the EU needs a customer outside the EU"},
    ),
    VatCase(
        "o-outside-the-scope-with-vat-ids-present",
        seller={"country": "FR", "vat_id": FR_VAT, "legal_registration_id": "303265045"},
        buyer={"country": "FR", "vat_id": FR_VAT_2},
        items=[line("1", "5000.00", "0", "O", "Grant")],
        reasons={"O": NOT_SUBJECT},
        breakdown=[_row("O", "0", "5000.00", "0.00", NOT_SUBJECT)],
        refused={
            "business.vat_id": "may not show a VAT number, and this business has one",
            "customer.vat_id": "may not show a VAT number, and this customer has one",
        },
    ),
    VatCase(
        "o-outside-the-scope-without-vat-ids",
        seller={"country": "FR", "vat_id": "", "legal_registration_id": "303265045"},
        buyer={"country": "FR", "vat_id": ""},
        items=[line("1", "5000.00", "0", "O", "Grant")],
        reasons={"O": NOT_SUBJECT},
        breakdown=[_row("O", "0", "5000.00", "0.00", NOT_SUBJECT)],
    ),
]

CASES_BY_ID = {case.id: case for case in CASES}
