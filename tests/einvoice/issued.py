"""Issued invoices made through the services, for the adapter and endpoint tests.

Each case is a business, a customer (model fields), the items and extra invoice data as the
API takes them; `issue` creates and issues the invoice with billing's services, so every
stored amount is billing.calc's. `formats` is the least set of formats the case must satisfy
(so that every format is exercised by some issued invoice).
"""

from dataclasses import dataclass, field

from billing import services
from billing.models import Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.vat_cases import (
    AT_VAT,
    DE_VAT,
    EXPORT,
    FR_VAT,
    FR_VAT_2,
    INTRA_COMMUNITY,
    NOT_SUBJECT,
    REVERSE_CHARGE,
    SMALL_BUSINESS_DE,
    line,
)

ALL = frozenset({"facturx", "cii", "ubl", "xrechnung-cii", "xrechnung-ubl", "peppol"})
PLAIN = frozenset({"facturx", "cii", "ubl"})

DE_FULL_SELLER = {
    "name": "Müller Software",
    "legal_name": "Müller Software GmbH",
    "country": "DE",
    "address_line1": "Hauptstraße 1",
    "city": "Berlin",
    "postcode": "10115",
    "vat_id": "DE123456789",
    "tax_id": "21/815/08150",
    "legal_registration_id": "HRB 12345 B",
    "email": "rechnung@mueller.example",
    "phone": "+49 30 1234567",
    "contact_name": "Anna Müller",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "peppol_id": "9930:DE123456789",
    "legal_mentions": "Geschäftsführerin: Anna Müller · Amtsgericht Charlottenburg HRB 12345 B",
}
DE_FULL_BUYER = {
    "name": "Stadtverwaltung Musterstadt",
    "country": "DE",
    "address_line1": "Rathausplatz 1",
    "city": "Musterstadt",
    "postcode": "12345",
    "vat_id": DE_VAT,
    "email": "eingang@musterstadt.example",
    "peppol_id": "9930:DE136695976",
    "buyer_reference": "04011000-12345-34",
}
FR_SELLER = {"country": "FR", "vat_id": FR_VAT, "legal_registration_id": "303265045", "city": "Paris"}
FR_BUYER = {"country": "FR", "vat_id": FR_VAT_2, "city": "Lyon"}


@dataclass(frozen=True)
class IssuedCase:
    id: str
    seller: dict
    buyer: dict
    items: list
    data: dict = field(default_factory=dict)
    formats: frozenset = PLAIN


def _many_lines(count: int) -> list:
    rates = ("19", "7", "0")
    return [
        line(
            str(1 + index % 7), f"{3 + index % 50}.{index % 100:02d}", rates[index % 3], description=f"Position {index}"
        )
        for index in range(count)
    ]


CASES = [
    IssuedCase(
        "s-mixed-rates-percent-discount-every-format",
        DE_FULL_SELLER,
        DE_FULL_BUYER,
        [line("12.5", "80.00", "19"), line("3", "12.99", "7", description="Bücher"), line("1", "5", "0", "Z")],
        {"discount_type": "percent", "discount_value": "10", "terms": "Zahlbar innerhalb von 30 Tagen."},
        ALL,
    ),
    IssuedCase("s-single-line", FR_SELLER, FR_BUYER, [line("1", "100.00", "20")]),
    IssuedCase(
        "z-zero-rated-with-standard-amount-discount",
        FR_SELLER,
        FR_BUYER,
        [line("2", "45.00", "0", "Z", "Exported books"), line("3", "19.99", "20")],
        {"discount_type": "amount", "discount_value": "10.00"},
    ),
    IssuedCase(
        "e-small-business",
        {
            "country": "DE",
            "vat_id": "",
            "tax_id": "27/123/45678",
            "legal_registration_id": "HRA 4711",
            "default_vat_category": "E",
            "vat_exemption_reasons": {"E": SMALL_BUSINESS_DE},
        },
        {"country": "DE", "vat_id": ""},
        [line("8", "65.00", "0", description="Logo"), line("1", "120.00", "0", description="Druckdaten")],
    ),
    IssuedCase(
        "ae-reverse-charge",
        {"country": "AT", "vat_id": AT_VAT},
        {"country": "DE", "vat_id": DE_VAT},
        [line("12.5", "140.00", "0", "AE"), line("1", "350.00", "0", "AE", "Workshop")],
        {"vat_exemption_reasons": {"AE": REVERSE_CHARGE}},
    ),
    IssuedCase(
        "k-intra-community",
        FR_SELLER,
        {"country": "DE", "vat_id": DE_VAT, "city": "Berlin"},
        [line("2", "400.00", "0", "K", "Machine parts")],
        {"vat_exemption_reasons": {"K": INTRA_COMMUNITY}},
    ),
    IssuedCase(
        "g-export",
        {"country": "DE", "vat_id": DE_VAT},
        {"country": "US", "vat_id": ""},
        [line("3", "250.00", "0", "G", "Spare parts")],
        {"vat_exemption_reasons": {"G": EXPORT}, "currency": "USD"},
    ),
    IssuedCase(
        "o-outside-scope",
        {"country": "FR", "vat_id": "", "tax_id": "", "legal_registration_id": "303265045"},
        {"country": "FR", "vat_id": ""},
        [line("1", "5000.00", "0", "O", "Grant")],
        {"vat_exemption_reasons": {"O": NOT_SUBJECT}},
    ),
    IssuedCase(
        "jpy-whole-amounts",
        FR_SELLER,
        FR_BUYER,
        [line("3", "1500", "20"), line("1", "999", "5.5")],
        {"currency": "JPY"},
    ),
    IssuedCase(
        "kwd-three-decimals-that-fit-two",
        FR_SELLER,
        FR_BUYER,
        [line("2", "12.500", "20"), line("1", "3.250", "0", "Z")],
        {"currency": "KWD"},
    ),
    IssuedCase(
        "non-latin-and-long-texts",
        FR_SELLER,
        {"country": "GR", "vat_id": "EL094259216", "name": "Ελληνικά Λογισμικά Α.Ε.", "city": "Αθήνα"},
        [
            line("1", "250.00", "0", "K", "設計レビュー\n" + "長い説明。" * 300),
            line("2", "80.00", "0", "K", "Εγκατάσταση λογισμικού"),
        ],
        {"vat_exemption_reasons": {"K": INTRA_COMMUNITY}, "notes": "Merci · Ευχαριστώ · ありがとう"},
    ),
    IssuedCase(
        "five-hundred-lines-mixed-rates-discount-every-format",
        DE_FULL_SELLER,
        DE_FULL_BUYER,
        _many_lines(500),
        {"discount_type": "percent", "discount_value": "3.5"},
        ALL,
    ),
]


def issue(org, actor, case: IssuedCase) -> Invoice:
    """The case's invoice, created and issued through billing's services."""
    business = BusinessFactory(organization=org, **case.seller)
    customer = CustomerFactory(organization=org, **case.buyer)
    data = {"business": str(business.pk), "customer": str(customer.pk), "items": case.items, **case.data}
    invoice = services.invoice_create(organization=org, actor=actor, data=data)
    services.invoice_issue(organization=org, actor=actor, invoice_id=invoice.pk)
    return reload(org, invoice)


def reload(org, invoice) -> Invoice:
    with organization_scope(org):
        return Invoice.objects.prefetch_related("items").get(pk=invoice.pk)
