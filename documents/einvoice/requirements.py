"""What a document needs before it can be written in a format, named by Billora's fields.

`check(document, format_key)` answers with a `Verdict`: the fields the document lacks
(`missing`, stable dotted names such as `customer.peppol_id`, for the API's 422 `missing`)
and what it has but the format cannot carry (`problems`, e.g. a KWD amount that needs its
third decimal). `render` refuses a format whose verdict is not clean, so no file that the
official rules would reject is ever produced. Every entry names the rule it comes from
(EN 16931 BR-*, XRechnung BR-DE-*, Peppol PEPPOL-*/country rules) and says in words what to do,
in the language active when `check` runs (the rule ids and field names are never translated).

The names are Billora's API fields: `business.*` for the seller, `customer.*` for the buyer,
`invoice.*` or `credit_note.*` for the document itself.
"""

import re
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal

from django.utils.translation import gettext, ngettext

from billing.vat import VATEX_CODES

from .decimals import amount_fits, amount_places
from .formats import get_format
from .model import (
    EXEMPT,
    EXEMPTION_REASON_CATEGORIES,
    EXPORT,
    INTRA_COMMUNITY,
    OUTSIDE_SCOPE,
    REVERSE_CHARGE,
    STANDARD,
    ZERO_RATED,
    Document,
)

SELLER = "business"
BUYER = "customer"


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# CEF EAS codes for electronic addresses: EN 16931 (BR-CL-25) and the narrower Peppol list
# (PEPPOL-EN16931-CL008), as in the rule sets of ../shared/einvoicing.
_EAS_PEPPOL = _codes(
    """0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 0183 0184
    0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212
    0213 0215 0216 0217 0218 0221 0225 0230 0235 0240 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925
    9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946
    9947 9948 9949 9950 9951 9952 9953 9957 9959"""
)
_EAS_EN16931 = _EAS_PEPPOL | _codes("0219 0220 0242 0244 0245 0246 0248 AN AQ AS AU EM")

# UNCL 5305 categories' VATEX codes (BR-CL-22): the EU codes and the French ones EN 16931 lists.
_VATEX = VATEX_CODES
# Peppol ties some VATEX codes to one category (PEPPOL-EN16931-P0104..P0111).
_PEPPOL_VATEX_CATEGORY = {
    "VATEX-EU-G": EXPORT,
    "VATEX-EU-O": OUTSIDE_SCOPE,
    "VATEX-EU-IC": INTRA_COMMUNITY,
    "VATEX-EU-AE": REVERSE_CHARGE,
    "VATEX-EU-D": EXEMPT,
    "VATEX-EU-F": EXEMPT,
    "VATEX-EU-I": EXEMPT,
    "VATEX-EU-J": EXEMPT,
}
# XML 1.0 cannot carry most control characters (lxml refuses them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Peppol's price check allows 0.02 between quantity x price and the line net (PEPPOL-EN16931-R120).
_PEPPOL_LINE_SLACK = Decimal("0.02")


@dataclass(frozen=True)
class Finding:
    field: str  # Billora's dotted field name, e.g. "customer.peppol_id"
    rule: str  # the rule that needs it, e.g. "BR-DE-15"
    message: str


@dataclass(frozen=True)
class Verdict:
    format: str
    missing: tuple[Finding, ...]  # what the document lacks: fill these fields
    problems: tuple[Finding, ...]  # what the document has but this format cannot carry
    # One readable sentence list, for the API's `detail` and the web's message ("" when ok),
    # written in the language active when `check` ran, like every finding's message.
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problems

    @property
    def missing_fields(self) -> list[str]:
        return list(dict.fromkeys(finding.field for finding in self.missing))


def _detail(format_key: str, missing: tuple[Finding, ...], problems: tuple[Finding, ...]) -> str:
    if not missing and not problems:
        return ""
    # One message per missing field (several rules may need the same one), then every problem.
    messages = {finding.field: finding.message for finding in reversed(missing)}
    ordered = [messages[field] for field in dict.fromkeys(finding.field for finding in missing)]
    # Whole sentences joined: each one is translated as a whole.
    return gettext("This document cannot be produced as %(format)s: %(problems)s") % {
        "format": get_format(format_key).label,
        "problems": " ".join([*ordered, *(finding.message for finding in problems)]),
    }


class EInvoiceRefused(ValueError):  # noqa: N818 (a refusal, not a crash: the verdict says why)
    def __init__(self, verdict: Verdict):
        super().__init__(verdict.detail)
        self.verdict = verdict


def missing_fields(document: Document, format_key: str) -> list[str]:
    return check(document, format_key).missing_fields


def check(document: Document, format_key: str) -> Verdict:
    fmt = get_format(format_key)
    findings = _Findings(document)
    _en16931(document, findings)
    if fmt.is_xrechnung:
        _xrechnung(document, findings)
    if fmt.is_peppol:
        _peppol(document, findings)
    missing, problems = tuple(findings.missing), tuple(findings.problems)
    return Verdict(format=fmt.key, missing=missing, problems=problems, detail=_detail(fmt.key, missing, problems))


class _Findings:
    def __init__(self, document: Document):
        self.doc = "credit_note" if document.is_credit_note else "invoice"
        self.missing: list[Finding] = []
        self.problems: list[Finding] = []

    def need(self, condition: bool, field: str, rule: str, message: str) -> None:
        if not condition and all(f.field != field or f.rule != rule for f in self.missing):
            self.missing.append(Finding(field, rule, message))

    def refuse(self, field: str, rule: str, message: str) -> None:
        self.problems.append(Finding(field, rule, message))


def _given(text: str) -> bool:
    return bool(text.strip())


def _en16931(document: Document, findings: _Findings) -> None:
    _en16931_basics(document, findings)
    _en16931_seller_identity(document, findings)
    _en16931_category_parties(document, findings)
    _en16931_exemptions_and_addresses(document, findings)
    _amounts_fit(document, findings)
    _texts_are_xml(document, findings)


def _en16931_basics(document: Document, findings: _Findings) -> None:
    seller, buyer, doc = document.seller, document.buyer, findings.doc
    findings.need(
        _given(document.number), f"{doc}.number", "BR-02", gettext("The document has no number yet (issue it).")
    )
    findings.need(_given(seller.name), f"{SELLER}.name", "BR-06", gettext("The business needs a name."))
    findings.need(_given(buyer.name), f"{BUYER}.name", "BR-07", gettext("The customer needs a name."))
    findings.need(
        _given(seller.address.country), f"{SELLER}.country", "BR-09", gettext("The business address needs a country.")
    )
    findings.need(
        _given(buyer.address.country), f"{BUYER}.country", "BR-11", gettext("The customer address needs a country.")
    )
    if not document.lines:
        findings.refuse(f"{doc}.items", "BR-16", gettext("An e-invoice needs at least one line."))
    for index, line in enumerate(document.lines):
        findings.need(
            _given(line.name),
            f"{doc}.items.{index}.description",
            "BR-25",
            gettext("Line %(line)s needs a description.") % {"line": line.id},
        )


def _en16931_seller_identity(document: Document, findings: _Findings) -> None:
    seller = document.seller
    categories = document.vat_categories
    outside_scope = OUTSIDE_SCOPE in categories
    # The seller must be identifiable: VAT id or legal registration id (BR-CO-26). With
    # "outside the scope of VAT" lines no VAT id may be written (BR-O-02), so only the registration counts.
    if outside_scope:
        findings.need(
            _given(seller.legal_registration_id),
            f"{SELLER}.legal_registration_id",
            "BR-CO-26",
            gettext(
                "An invoice outside the scope of VAT cannot show a VAT number, so the business needs its "
                "legal registration number (e.g. SIREN, HRB)."
            ),
        )
    else:
        findings.need(
            _given(seller.vat_id) or _given(seller.legal_registration_id),
            f"{SELLER}.vat_id",
            "BR-CO-26",
            gettext("The business needs its VAT number or its legal registration number."),
        )
    if outside_scope and categories != {OUTSIDE_SCOPE}:
        findings.refuse(
            f"{findings.doc}.items",
            "BR-O-11",
            gettext("EN 16931 cannot mix lines outside the scope of VAT with other VAT categories in one document."),
        )


def _en16931_category_parties(document: Document, findings: _Findings) -> None:
    """The VAT ids, dates and countries each VAT category asks of the seller and the buyer."""
    seller, buyer, doc = document.seller, document.buyer, findings.doc
    categories = document.vat_categories
    seller_taxed_id = _given(seller.vat_id) or _given(seller.tax_registration_id)
    for category, rule in ((STANDARD, "BR-S-02"), (ZERO_RATED, "BR-Z-02"), (EXEMPT, "BR-E-02")):
        if category in categories:
            findings.need(
                seller_taxed_id,
                f"{SELLER}.vat_id",
                rule,
                _lines_need_seller_tax_id(category),
            )
    if REVERSE_CHARGE in categories:
        findings.need(
            seller_taxed_id, f"{SELLER}.vat_id", "BR-AE-02", gettext("Reverse charge needs the business's VAT number.")
        )
        findings.need(
            _given(buyer.vat_id) or _given(buyer.legal_registration_id),
            f"{BUYER}.vat_id",
            "BR-AE-02",
            gettext("Reverse charge needs the customer's VAT number."),
        )
    if INTRA_COMMUNITY in categories:
        findings.need(
            _given(seller.vat_id),
            f"{SELLER}.vat_id",
            "BR-IC-02",
            gettext("An intra-community supply needs the business's VAT number."),
        )
        findings.need(
            _given(buyer.vat_id),
            f"{BUYER}.vat_id",
            "BR-IC-02",
            gettext("An intra-community supply needs the customer's VAT number."),
        )
        delivery = document.delivery
        findings.need(
            delivery is not None and delivery.date is not None,
            f"{doc}.delivery_date",
            "BR-IC-11",
            gettext("An intra-community supply needs the delivery date."),
        )
        findings.need(
            delivery is not None and delivery.address is not None and _given(delivery.address.country),
            f"{BUYER}.country",
            "BR-IC-12",
            gettext("An intra-community supply needs the country the goods or services go to."),
        )
    if EXPORT in categories:
        findings.need(
            _given(seller.vat_id), f"{SELLER}.vat_id", "BR-G-02", gettext("An export needs the business's VAT number.")
        )


def _en16931_exemptions_and_addresses(document: Document, findings: _Findings) -> None:
    doc = findings.doc
    for row in document.vat_breakdown:
        if row.category in EXEMPTION_REASON_CATEGORIES:
            findings.need(
                _given(row.exemption_reason) or _given(row.exemption_reason_code),
                f"{doc}.vat_exemption_reasons.{row.category}",
                f"BR-{'IC' if row.category == INTRA_COMMUNITY else row.category}-10",
                _lines_need_exemption_reason(row.category),
            )
        code = row.exemption_reason_code.strip().upper()
        if code and code not in _VATEX:
            findings.refuse(
                f"{doc}.vat_exemption_reasons.{row.category}",
                "BR-CL-22",
                gettext("%(code)s is not a VATEX exemption reason code.") % {"code": repr(row.exemption_reason_code)},
            )

    for party, prefix in ((document.seller, SELLER), (document.buyer, BUYER)):
        address = party.electronic_address
        if address is not None and address.scheme not in _EAS_EN16931:
            findings.refuse(
                f"{prefix}.peppol_id",
                "BR-CL-25",
                gettext("%(scheme)s is not an electronic address scheme of the CEF EAS list.")
                % {"scheme": repr(address.scheme)},
            )


def _amounts_fit(document: Document, findings: _Findings) -> None:
    """BR-DEC-*: at most 2 decimals. A KWD/BHD amount needing its 3rd decimal is never rounded."""
    currency = document.currency
    amounts = [line.net_amount for line in document.lines]
    amounts += [allowance.amount for allowance in document.allowances]
    amounts += [value for row in document.vat_breakdown for value in (row.taxable_amount, row.tax_amount)]
    totals = document.totals
    amounts += [getattr(totals, field.name) for field in fields(totals)]
    unfit = [amount for amount in amounts if not amount_fits(amount, currency)]
    if unfit:
        findings.refuse(
            f"{findings.doc}.currency",
            "BR-DEC",
            ngettext(
                "EN 16931 allows at most %(places)s decimal, but amounts such as %(amount)s %(currency)s need "
                "more; they are never rounded.",
                "EN 16931 allows at most %(places)s decimals, but amounts such as %(amount)s %(currency)s need "
                "more; they are never rounded.",
                amount_places(currency),
            )
            % {"places": amount_places(currency), "amount": unfit[0], "currency": currency},
        )


def _texts_are_xml(document: Document, findings: _Findings) -> None:
    def walk(value, path: str) -> None:
        if isinstance(value, str):
            if _NOT_XML.search(value):
                message = gettext("%(field)s contains control characters XML cannot carry.") % {"field": path}
                findings.refuse(path, "XML 1.0", message)
        elif is_dataclass(value):
            for field in fields(value):
                walk(getattr(value, field.name), f"{path}.{field.name}")
        elif isinstance(value, tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}.{index}")

    # Named from Billora's side where the model has a counterpart (business, customer, items).
    prefixes = {"seller": SELLER, "buyer": BUYER, "lines": f"{findings.doc}.items"}
    for field in fields(document):
        walk(getattr(document, field.name), prefixes.get(field.name, f"{findings.doc}.{field.name}"))


def _xrechnung(document: Document, findings: _Findings) -> None:
    """KoSIT's BR-DE-* rules (fatal ones) and XRechnung 3.0's mandatory electronic addresses."""
    _german_rules(document, findings, prefix="BR-DE")
    seller, buyer = document.seller, document.buyer
    # XRechnung 3.0 makes BT-34 and BT-49 mandatory; an email address (scheme EM) is a valid one.
    findings.need(
        seller.electronic_address is not None,
        f"{SELLER}.email",
        "XRechnung BT-34",
        gettext("XRechnung needs the business's electronic address: its Peppol id or email address."),
    )
    findings.need(
        buyer.electronic_address is not None,
        f"{BUYER}.email",
        "XRechnung BT-49",
        gettext("XRechnung needs the customer's electronic address: its Peppol id or email address."),
    )


def _german_rules(document: Document, findings: _Findings, *, prefix: str) -> None:
    """The German CIUS rules: BR-DE-* in XRechnung, the same as DE-R-* in Peppol for DE-DE invoices."""
    seller, doc = document.seller, findings.doc

    def rule(number: int) -> str:
        return f"{prefix}-{number}" if prefix == "BR-DE" else f"{prefix}-{number:03d}"

    findings.need(
        document.payment_instructions is not None,
        f"{SELLER}.iban",
        rule(1),
        gettext("German e-invoices need payment instructions: the business's IBAN."),
    )
    findings.need(
        _given(seller.contact.name),
        f"{SELLER}.contact_name",
        rule(5),
        gettext("German e-invoices need a seller contact name."),
    )
    findings.need(
        _given(seller.contact.phone),
        f"{SELLER}.phone",
        rule(6),
        gettext("German e-invoices need the business's phone number."),
    )
    findings.need(
        _given(seller.contact.email),
        f"{SELLER}.email",
        rule(7),
        gettext("German e-invoices need the business's email address."),
    )
    _german_addresses(document, findings, rule)
    findings.need(
        _given(document.buyer_reference),
        f"{BUYER}.buyer_reference",
        rule(15),
        gettext("German e-invoices need the customer's buyer reference (Leitweg-ID for public buyers)."),
    )
    if document.vat_categories - {OUTSIDE_SCOPE}:
        findings.need(
            _given(seller.vat_id) or _given(seller.tax_registration_id),
            f"{SELLER}.vat_id",
            rule(16),
            gettext("German e-invoices need the business's VAT number or tax number."),
        )
    # Payment-term lines starting with "#" are XRechnung's structured cash discount (Skonto) syntax.
    if any(line.strip().startswith("#") for line in document.payment_terms.splitlines()):
        findings.refuse(
            f"{doc}.terms",
            rule(18),
            gettext(
                "German e-invoices reserve payment-term lines starting with '#' for structured cash discounts; "
                "reword those lines."
            ),
        )


def _german_addresses(document: Document, findings: _Findings, rule) -> None:
    seller, buyer = document.seller, document.buyer
    findings.need(
        _given(seller.address.city), f"{SELLER}.city", rule(3), gettext("German e-invoices need the business's city.")
    )
    findings.need(
        _given(seller.address.postcode),
        f"{SELLER}.postcode",
        rule(4),
        gettext("German e-invoices need the business's postcode."),
    )
    findings.need(
        _given(buyer.address.city), f"{BUYER}.city", rule(8), gettext("German e-invoices need the customer's city.")
    )
    findings.need(
        _given(buyer.address.postcode),
        f"{BUYER}.postcode",
        rule(9),
        gettext("German e-invoices need the customer's postcode."),
    )
    delivery = document.delivery
    if delivery is not None and delivery.address is not None:
        findings.need(
            _given(delivery.address.city),
            f"{BUYER}.city",
            rule(10),
            gettext("German e-invoices need the delivery city."),
        )
        findings.need(
            _given(delivery.address.postcode),
            f"{BUYER}.postcode",
            rule(11),
            gettext("German e-invoices need the delivery postcode."),
        )


def _peppol(document: Document, findings: _Findings) -> None:
    doc = findings.doc
    _peppol_party(document.seller, SELLER, "PEPPOL-EN16931-R020", findings)
    _peppol_party(document.buyer, BUYER, "PEPPOL-EN16931-R010", findings)
    findings.need(
        _given(document.buyer_reference) or _given(document.order_reference),
        f"{BUYER}.buyer_reference",
        "PEPPOL-EN16931-R003",
        gettext("Peppol needs the customer's buyer reference or a purchase order reference."),
    )
    for line in document.lines:
        if abs(line.quantity * line.net_price - line.net_amount) > _PEPPOL_LINE_SLACK:
            findings.refuse(
                f"{doc}.items",
                "PEPPOL-EN16931-R120",
                gettext(
                    "Line %(line)s: quantity x unit price (%(product)s) is more than 0.02 away from its "
                    "%(currency)s amount %(amount)s, which Peppol rejects."
                )
                % {
                    "line": line.id,
                    "product": line.quantity * line.net_price,
                    "currency": document.currency,
                    "amount": line.net_amount,
                },
            )
    for row in document.vat_breakdown:
        category = _PEPPOL_VATEX_CATEGORY.get(row.exemption_reason_code.strip().upper())
        if category is not None and category != row.category:
            findings.refuse(
                f"{doc}.vat_exemption_reasons.{row.category}",
                "PEPPOL-EN16931-P0104",
                gettext("The exemption code %(code)s belongs to another VAT category.")
                % {"code": row.exemption_reason_code},
            )
    _peppol_country_rules(document, findings)


def _peppol_party(party, prefix: str, rule: str, findings: _Findings) -> None:
    """The seller's (rule R020) or the buyer's (R010) Peppol id and identifiers."""
    seller = prefix == SELLER
    address = party.electronic_address
    # No address fails R010/R020; an email address (EM) is not a Peppol scheme (CL008).
    findings.need(
        address is not None and address.scheme != "EM",
        f"{prefix}.peppol_id",
        rule if address is None else "PEPPOL-EN16931-CL008",
        gettext("Peppol needs the business's Peppol id.")
        if seller
        else gettext("Peppol needs the customer's Peppol id."),
    )
    if address is not None and address.scheme != "EM":
        if address.scheme not in _EAS_PEPPOL:
            findings.refuse(
                f"{prefix}.peppol_id",
                "PEPPOL-EN16931-CL008",
                gettext("%(scheme)s is not a Peppol electronic address scheme.") % {"scheme": repr(address.scheme)},
            )
        elif rule_failed := _identifier_rule(address.scheme, address.identifier):
            findings.refuse(
                f"{prefix}.peppol_id",
                rule_failed,
                gettext("The business's Peppol id fails its scheme's check digits.")
                if seller
                else gettext("The customer's Peppol id fails its scheme's check digits."),
            )
    if party.legal_registration_scheme and (
        rule_failed := _identifier_rule(party.legal_registration_scheme, party.legal_registration_id)
    ):
        message = (
            gettext("The business's legal registration number is not a valid %(scheme)s identifier.")
            if seller
            else gettext("The customer's legal registration number is not a valid %(scheme)s identifier.")
        )
        findings.refuse(
            f"{prefix}.legal_registration_id", rule_failed, message % {"scheme": party.legal_registration_scheme}
        )


def _lines_need_seller_tax_id(category: str) -> str:
    """BR-S-02, BR-Z-02, BR-E-02: one whole sentence per VAT category."""
    return {
        STANDARD: gettext("Lines with standard rate need the business's VAT number or tax number."),
        ZERO_RATED: gettext("Lines with zero rate need the business's VAT number or tax number."),
        EXEMPT: gettext("Lines with VAT exemption need the business's VAT number or tax number."),
    }[category]


def _lines_need_exemption_reason(category: str) -> str:
    """BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10: one whole sentence per VAT category."""
    return {
        EXEMPT: gettext("Lines with VAT exemption need the reason why no VAT is charged."),
        REVERSE_CHARGE: gettext("Lines with reverse charge need the reason why no VAT is charged."),
        INTRA_COMMUNITY: gettext("Lines with intra-community supply need the reason why no VAT is charged."),
        EXPORT: gettext("Lines with export outside the EU need the reason why no VAT is charged."),
        OUTSIDE_SCOPE: gettext("Lines with outside the scope of VAT need the reason why no VAT is charged."),
    }[category]


def _peppol_country_rules(document: Document, findings: _Findings) -> None:
    """The national rules in Peppol BIS 3.0 that apply by the seller's (and buyer's) country."""
    seller, buyer = document.seller, document.buyer
    outside_scope = OUTSIDE_SCOPE in document.vat_categories
    # Peppol takes the seller's country from its VAT id when one is written, else from its address.
    vat_prefix = seller.vat_id.strip()[:2].upper() if _given(seller.vat_id) and not outside_scope else ""
    seller_country = vat_prefix or seller.address.country.upper()
    seller_address_country = seller.address.country.upper()
    buyer_country = buyer.address.country.upper()

    if seller_country in ("GR", "EL"):
        findings.refuse(
            f"{SELLER}.country",
            "GR-R-001",
            gettext("Peppol's rules for Greek sellers (invoice number segments, MARK number) are not supported yet."),
        )
    if seller_address_country == "DE" and buyer_country == "DE":
        _german_rules(document, findings, prefix="DE-R")
    if seller_address_country == "NL":
        _dutch_rules(document, findings, buyer_country)
    if seller_country == "IT":
        _italian_rules(document, findings)
    if seller_address_country == "DK":
        findings.need(
            _given(seller.legal_registration_id),
            f"{SELLER}.legal_registration_id",
            "DK-R-002",
            gettext("Danish sellers need their CVR number."),
        )
    if seller_country == "SE" and seller_address_country == "SE":
        _swedish_rules(document, findings)
    if vat_prefix == "NO" and not (
        re.fullmatch(r"NO[0-9]{9}MVA", seller.vat_id.strip()) and _mod11_ok(seller.vat_id.strip()[2:11])
    ):
        findings.refuse(f"{SELLER}.vat_id", "NO-R-001", gettext("A Norwegian VAT number is NO, 9 digits and MVA."))
    if seller_address_country == "IS":
        _icelandic_rules(document, findings, buyer_country)


def _dutch_rules(document: Document, findings: _Findings, buyer_country: str) -> None:
    seller, buyer = document.seller, document.buyer
    for value, field in (
        (seller.address.line1, "address_line1"),
        (seller.address.city, "city"),
        (seller.address.postcode, "postcode"),
    ):
        findings.need(
            _given(value), f"{SELLER}.{field}", "NL-R-002", gettext("Dutch sellers need a full street address.")
        )
    if not document.is_credit_note and document.totals.payable > 0:
        findings.need(
            document.payment_instructions is not None,
            f"{SELLER}.iban",
            "NL-R-007",
            gettext("Dutch sellers need payment instructions: the business's IBAN."),
        )
    if buyer_country == "NL":
        for value, field in (
            (buyer.address.line1, "address_line1"),
            (buyer.address.city, "city"),
            (buyer.address.postcode, "postcode"),
        ):
            findings.need(
                _given(value), f"{BUYER}.{field}", "NL-R-004", gettext("Dutch customers need a full street address.")
            )


def _italian_rules(document: Document, findings: _Findings) -> None:
    seller = document.seller
    for value, field, rule in (
        (seller.address.line1, "address_line1", "IT-R-002"),
        (seller.address.city, "city", "IT-R-003"),
        (seller.address.postcode, "postcode", "IT-R-004"),
    ):
        findings.need(_given(value), f"{SELLER}.{field}", rule, gettext("Italian sellers need a full street address."))
    if _given(seller.tax_registration_id) and not re.fullmatch(r"[A-Z0-9]{11,16}", seller.tax_registration_id.strip()):
        findings.refuse(
            f"{SELLER}.tax_id", "IT-R-001", gettext("An Italian tax number has 11 to 16 letters or digits.")
        )


def _swedish_rules(document: Document, findings: _Findings) -> None:
    seller = document.seller
    vat_id = seller.vat_id.strip()
    if not re.fullmatch(r"SE[0-9]{12}", vat_id):
        findings.refuse(f"{SELLER}.vat_id", "SE-R-001", gettext("A Swedish VAT number is SE followed by 12 digits."))
    if _given(seller.legal_registration_id) and not _luhn_ok(seller.legal_registration_id.strip(), 10):
        findings.refuse(
            f"{SELLER}.legal_registration_id",
            "SE-R-013",
            gettext("A Swedish organisation number has 10 digits with a valid check digit."),
        )
    if (
        _given(seller.legal_registration_id)
        and _given(seller.tax_registration_id)
        and seller.tax_registration_id.strip().upper() != "GODKÄND FÖR F-SKATT"
    ):
        findings.refuse(
            f"{SELLER}.tax_id",
            "SE-R-005",
            gettext("Swedish sellers state 'Godkänd för F-skatt' as their tax registration."),
        )
    for row in document.vat_breakdown:
        if row.category == STANDARD and row.rate not in (Decimal(6), Decimal(12), Decimal(25)):
            findings.refuse(
                f"{findings.doc}.items", "SE-R-006", gettext("Swedish standard VAT rates are 6, 12 and 25%.")
            )


def _icelandic_rules(document: Document, findings: _Findings, buyer_country: str) -> None:
    seller, buyer = document.seller, document.buyer
    findings.need(
        _given(seller.legal_registration_id),
        f"{SELLER}.legal_registration_id",
        "IS-R-002",
        gettext("Icelandic sellers need their kennitala."),
    )
    findings.need(
        _given(seller.address.line1), f"{SELLER}.address_line1", "IS-R-003", gettext("Icelandic sellers need a street.")
    )
    findings.need(
        _given(seller.address.postcode), f"{SELLER}.postcode", "IS-R-003", gettext("Icelandic sellers need a postcode.")
    )
    if buyer_country == "IS":
        findings.need(
            _given(buyer.legal_registration_id),
            f"{BUYER}.legal_registration_id",
            "IS-R-004",
            gettext("Icelandic customers need their kennitala."),
        )
        findings.need(
            _given(buyer.address.line1),
            f"{BUYER}.address_line1",
            "IS-R-005",
            gettext("Icelandic customers need a street."),
        )
        findings.need(
            _given(buyer.address.postcode),
            f"{BUYER}.postcode",
            "IS-R-005",
            gettext("Icelandic customers need a postcode."),
        )


def _identifier_rule(scheme: str, identifier: str) -> str:
    """The Peppol check-digit rule (PEPPOL-COMMON-R040..R050) the identifier fails, or ""."""
    value = identifier.strip()
    checks = {
        "0088": ("PEPPOL-COMMON-R040", lambda: value.isdigit() and _gs1_ok(value)),  # GLN
        "0192": ("PEPPOL-COMMON-R041", lambda: bool(re.fullmatch(r"[0-9]{9}", value)) and _mod11_ok(value)),
        "0184": ("PEPPOL-COMMON-R042", lambda: bool(re.fullmatch(r"(DK)?[0-9]{8}", value))),  # Danish CVR
        "0208": ("PEPPOL-COMMON-R043", lambda: _belgian_ok(value)),  # Belgian enterprise number
        "0007": ("PEPPOL-COMMON-R049", lambda: _luhn_ok(value, 10)),  # Swedish organisation number
        "0151": ("PEPPOL-COMMON-R050", lambda: _abn_ok(value)),  # Australian Business Number
    }
    rule, passes = checks.get(scheme, ("", lambda: True))
    return "" if passes() else rule


def _belgian_ok(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{10}", value)) and 97 - int(value[:8]) % 97 == int(value[8:])


def _abn_ok(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{11}", value):
        return False
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    digits = [int(d) for d in value]
    digits[0] -= 1
    return sum(w * d for w, d in zip(weights, digits, strict=True)) % 89 == 0


def _gs1_ok(value: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(value[:-1]), start=1))
    return (10 - total % 10) % 10 == int(value[-1]) if value else False


def _mod11_ok(value: str) -> bool:
    digits = [int(d) for d in value[:-1]]
    weighted = sum(d * ((i % 6) + 2) for i, d in enumerate(reversed(digits)))
    return int(value) > 0 and (11 - weighted % 11) % 11 == int(value[-1])


def _luhn_ok(value: str, length: int) -> bool:
    if not re.fullmatch(rf"[0-9]{{{length}}}", value):
        return False
    total = 0
    for i, d in enumerate(reversed(value)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0
