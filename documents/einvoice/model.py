"""The EN 16931 semantic model of one invoice or credit note, as frozen data.

Field names say what a field is; the comment names its business term (BT-n) or group (BG-n),
so the mapping can be checked against the standard. Amounts are Decimals with the document
currency's minor unit (EUR "12.50", JPY "1500", KWD "2.470"), exactly as Billora computed them.
Text fields use "" for "not given": whether a format needs one is `requirements`' business.

Building a `Document` checks that its numbers add up the way EN 16931 adds them (BR-CO-10..16,
each VAT breakdown row against its lines and allowances): those are Billora's calc invariants,
so a failure here is a bug in whatever built the document, reported as ValueError.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

INVOICE = "380"  # UNTDID 1001 commercial invoice
CREDIT_NOTE = "381"  # UNTDID 1001 credit note
DOCUMENT_TYPES = (INVOICE, CREDIT_NOTE)

# UNCL 5305 VAT categories Billora uses (the same codes as billing.calc.VAT_CATEGORIES).
STANDARD = "S"
ZERO_RATED = "Z"
EXEMPT = "E"
REVERSE_CHARGE = "AE"
INTRA_COMMUNITY = "K"
EXPORT = "G"
OUTSIDE_SCOPE = "O"
VAT_CATEGORIES = (STANDARD, ZERO_RATED, EXEMPT, REVERSE_CHARGE, INTRA_COMMUNITY, EXPORT, OUTSIDE_SCOPE)
# Categories whose VAT breakdown must state why no VAT is charged (BR-E-10, BR-AE-10, BR-IC-10,
# BR-G-10, BR-O-10); S and Z must not (BR-S-10, BR-Z-10).
EXEMPTION_REASON_CATEGORIES = (EXEMPT, REVERSE_CHARGE, INTRA_COMMUNITY, EXPORT, OUTSIDE_SCOPE)

SEPA_CREDIT_TRANSFER = "58"  # UNCL 4461
CREDIT_TRANSFER = "30"
DISCOUNT_REASON_CODE = "95"  # UNCL 5189 "Discount"
UNIT_ONE = "C62"  # UN/ECE Recommendation 20 "one": Billora's quantities have no unit


@dataclass(frozen=True)
class Address:  # BG-5 seller / BG-8 buyer / BG-15 deliver-to postal address
    line1: str = ""  # BT-35 / BT-50 / BT-75
    line2: str = ""  # BT-36 / BT-51 / BT-76
    city: str = ""  # BT-37 / BT-52 / BT-77
    postcode: str = ""  # BT-38 / BT-53 / BT-78
    country: str = ""  # BT-40 / BT-55 / BT-80, ISO 3166-1 alpha-2


@dataclass(frozen=True)
class ElectronicAddress:  # BT-34 seller / BT-49 buyer
    scheme: str  # BT-34-1 / BT-49-1, a CEF EAS code: "0208", "0088", "9930", "EM" (email), ...
    identifier: str

    @classmethod
    def from_peppol_id(cls, peppol_id: str) -> "ElectronicAddress":
        """Billora stores a Peppol participant id as "scheme:identifier", e.g. "0208:0123456789"."""
        scheme, sep, identifier = peppol_id.partition(":")
        if not sep or not scheme.strip() or not identifier.strip():
            raise ValueError(f"A Peppol id is 'scheme:identifier', got {peppol_id!r}")
        return cls(scheme=scheme.strip(), identifier=identifier.strip())


@dataclass(frozen=True)
class Contact:  # BG-6 seller contact / BG-9 buyer contact
    name: str = ""  # BT-41 / BT-56
    phone: str = ""  # BT-42 / BT-57
    email: str = ""  # BT-43 / BT-58


@dataclass(frozen=True)
class Seller:  # BG-4
    name: str  # BT-27 (legal name)
    address: Address  # BG-5
    trading_name: str = ""  # BT-28
    legal_registration_id: str = ""  # BT-30 (SIREN, HRB, KvK, ...)
    legal_registration_scheme: str = ""  # BT-30-1, ISO 6523 ICD (legal_registration_scheme_for)
    vat_id: str = ""  # BT-31, with its country prefix
    tax_registration_id: str = ""  # BT-32 (local tax number)
    legal_info: str = ""  # BT-33 additional legal information (Billora's legal mentions)
    electronic_address: ElectronicAddress | None = None  # BT-34
    contact: Contact = Contact()  # BG-6


@dataclass(frozen=True)
class Buyer:  # BG-7
    name: str  # BT-44
    address: Address  # BG-8
    trading_name: str = ""  # BT-45
    legal_registration_id: str = ""  # BT-47
    legal_registration_scheme: str = ""  # BT-47-1, ISO 6523 ICD
    vat_id: str = ""  # BT-48
    electronic_address: ElectronicAddress | None = None  # BT-49
    contact: Contact = Contact()  # BG-9


@dataclass(frozen=True)
class PrecedingInvoice:  # BG-3, what a credit note corrects
    number: str  # BT-25
    issue_date: datetime.date | None = None  # BT-26


@dataclass(frozen=True)
class PaymentInstructions:  # BG-16
    means_code: str  # BT-81, UNCL 4461: 58 SEPA credit transfer, 30 credit transfer, ...
    remittance_information: str = ""  # BT-83 (Billora: the document number)
    account_id: str = ""  # BT-84 (IBAN for 58)
    account_name: str = ""  # BT-85
    bank_id: str = ""  # BT-86 (BIC)

    def __post_init__(self):
        # BR-61: a credit transfer names the account to pay into.
        if self.means_code in (SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER) and not self.account_id.strip():
            raise ValueError(f"Payment means {self.means_code} needs the payment account (BT-84)")


@dataclass(frozen=True)
class Delivery:  # BG-13
    date: datetime.date | None = None  # BT-72 actual delivery date
    address: Address | None = None  # BG-15 deliver-to address
    party_name: str = ""  # BT-70


@dataclass(frozen=True)
class Allowance:  # BG-20 document level allowance
    amount: Decimal  # BT-92
    vat_category: str  # BT-95
    vat_rate: Decimal  # BT-96
    reason: str  # BT-97
    reason_code: str = DISCOUNT_REASON_CODE  # BT-98, UNCL 5189


@dataclass(frozen=True)
class Line:  # BG-25
    id: str  # BT-126
    quantity: Decimal  # BT-129
    net_amount: Decimal  # BT-131 = quantity x net price, rounded to the minor unit (Billora's line net)
    net_price: Decimal  # BT-146 (Billora's unit price, up to 4 places)
    name: str  # BT-153
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152
    description: str = ""  # BT-154
    unit_code: str = UNIT_ONE  # BT-130


@dataclass(frozen=True)
class VatBreakdown:  # BG-23
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120
    exemption_reason_code: str = ""  # BT-121, VATEX code

    def __post_init__(self):
        if self.category not in VAT_CATEGORIES:
            raise ValueError(f"Unknown VAT category {self.category!r}")
        if self.category not in EXEMPTION_REASON_CATEGORIES and (self.exemption_reason or self.exemption_reason_code):
            raise ValueError(f"VAT category {self.category} takes no exemption reason (BR-S-10, BR-Z-10)")


@dataclass(frozen=True)
class Totals:  # BG-22
    line_net_total: Decimal  # BT-106 sum of line nets
    allowance_total: Decimal  # BT-107 sum of document level allowances (Billora's discount total)
    tax_exclusive: Decimal  # BT-109 = BT-106 - BT-107
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112 = BT-109 + BT-110 (Billora's total)
    prepaid: Decimal  # BT-113 paid before this document version was produced
    payable: Decimal  # BT-115 = BT-112 - BT-113


@dataclass(frozen=True)
class Document:
    type_code: str  # BT-3: INVOICE (380) or CREDIT_NOTE (381)
    number: str  # BT-1
    issue_date: datetime.date  # BT-2
    currency: str  # BT-5, ISO 4217
    seller: Seller  # BG-4
    buyer: Buyer  # BG-7
    lines: tuple[Line, ...]  # BG-25
    vat_breakdown: tuple[VatBreakdown, ...]  # BG-23, one row per (category, rate)
    totals: Totals  # BG-22
    allowances: tuple[Allowance, ...] = ()  # BG-20, one per (category, rate) that took a discount share
    due_date: datetime.date | None = None  # BT-9
    buyer_reference: str = ""  # BT-10 (Leitweg-ID for German public buyers)
    order_reference: str = ""  # BT-13
    notes: tuple[str, ...] = ()  # BT-22
    payment_terms: str = ""  # BT-20
    preceding_invoice: PrecedingInvoice | None = None  # BG-3
    payment_instructions: PaymentInstructions | None = None  # BG-16
    delivery: Delivery | None = None  # BG-13

    def __post_init__(self):
        if self.type_code not in DOCUMENT_TYPES:
            raise ValueError(f"Unknown document type {self.type_code!r}")
        _check_sums(self)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE

    @property
    def vat_categories(self) -> frozenset[str]:
        return frozenset(line.vat_category for line in self.lines) | frozenset(
            row.category for row in self.vat_breakdown
        )


def _check_sums(document: Document) -> None:
    """The EN 16931 sums (BR-CO-10..16, BR-S-08 and siblings) hold, or the builder has a bug."""
    zero = Decimal(0)
    totals = document.totals
    problems = []

    def expect(rule: str, actual: Decimal, expected: Decimal) -> None:
        if actual != expected:
            problems.append(f"{rule}: {actual} != {expected}")

    expect("BR-CO-10 line net total", totals.line_net_total, sum((li.net_amount for li in document.lines), zero))
    expect("BR-CO-11 allowance total", totals.allowance_total, sum((a.amount for a in document.allowances), zero))
    expect("BR-CO-13 tax exclusive", totals.tax_exclusive, totals.line_net_total - totals.allowance_total)
    expect("BR-CO-14 tax total", totals.tax_total, sum((row.tax_amount for row in document.vat_breakdown), zero))
    expect("BR-CO-15 tax inclusive", totals.tax_inclusive, totals.tax_exclusive + totals.tax_total)
    expect("BR-CO-16 payable", totals.payable, totals.tax_inclusive - totals.prepaid)

    # Each breakdown row's taxable amount is its lines' nets minus its allowances (BR-S-08 ...).
    taxable: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for line in document.lines:
        taxable[line.vat_category, line.vat_rate] += line.net_amount
    for allowance in document.allowances:
        taxable[allowance.vat_category, allowance.vat_rate] -= allowance.amount
    rows = {(row.category, row.rate): row.taxable_amount for row in document.vat_breakdown}
    if len(rows) != len(document.vat_breakdown):
        problems.append("VAT breakdown has two rows for one (category, rate)")
    if set(rows) != set(taxable):
        problems.append(f"VAT breakdown rows {sorted(rows)} do not match the lines' {sorted(taxable)}")
    for key, amount in rows.items():
        expect(f"taxable amount of {key[0]} {key[1]}", amount, taxable.get(key, zero))
    if problems:
        raise ValueError("The document's amounts do not add up: " + "; ".join(problems))


def discount_allowances(rows, *, reason: str) -> tuple[Allowance, ...]:
    """The document discount as BG-20 allowances: one per VAT (category, rate) row with a share.

    `rows` are billing.calc's tax breakdown rows (anything with category, rate and
    discount_amount). Each row's allowance is the sum of its lines' discount shares, so the
    row's taxable amount is its line nets minus its allowance (BR-S-08 and siblings) and the
    allowances add up to the discount total (BT-107).
    """
    return tuple(
        Allowance(amount=row.discount_amount, vat_category=row.category, vat_rate=row.rate, reason=reason)
        for row in rows
        if row.discount_amount
    )


def item_name_and_description(text: str) -> tuple[str, str]:
    """BT-153 item name and BT-154 description from Billora's single item description.

    The name is the first non-blank line (cut to 100 characters); the full text goes to the
    description when the name does not already say everything.
    """
    text = text.strip()
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    name = first_line if len(first_line) <= 100 else first_line[:99].rstrip() + "…"
    return name, ("" if name == text else text)


# BT-30-1 / BT-47-1 where Peppol insists on a scheme for the legal registration id (NL-R-003
# KvK, DK-R-014 CVR, IS-R-002 kennitala); elsewhere the id is written without one, which every
# rule set accepts.
_LEGAL_REGISTRATION_SCHEMES = {"NL": "0106", "DK": "0184", "IS": "0196"}


def legal_registration_scheme_for(country: str) -> str:
    """The ISO 6523 ICD of a party's legal registration id in its country, or ""."""
    return _LEGAL_REGISTRATION_SCHEMES.get(country.upper(), "")
