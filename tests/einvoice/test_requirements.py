"""`requirements` names what a format needs, and the official rules agree with it.

Each row of the table takes a document that passes, removes one thing, and checks both
sides: `check` lists the Billora field (or refuses the content) for that format, and the
same document written anyway (straight through the writer, past the check) fails the very
rule the requirement cites in the official validator. So no requirement is invented, and
the ones the API reports are the ones the validators enforce.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from documents.einvoice import FORMATS, EInvoiceRefused, check, cii, missing_fields, render, ubl
from documents.einvoice.model import Address, Buyer, ElectronicAddress, Seller

from . import parties as p
from .builder import build, item
from .cases import DE_IBAN, EXPORT
from .test_validity import built

D = Decimal


def _write_anyway(document, format_key: str) -> bytes:
    fmt = FORMATS[format_key]
    return (cii if fmt.syntax == "cii" else ubl).write(document, fmt)


def _doc(case_id: str):
    return built(case_id).document


def _seller(document, **changes):
    return replace(document, seller=replace(document.seller, **changes))


def _buyer(document, **changes):
    return replace(document, buyer=replace(document.buyer, **changes))


DE_PUBLIC = "de-public-buyer-19-7-0-percent-discount"
DE_DE = "de-de-one-line"
SMALL = "de-small-business-e-exempt-email-addresses"
AE = "fr-de-reverse-charge"
K = "fr-de-intra-community-goods-amount-discount"
G = "fr-us-export"
NL = "nl-nl-peppol"
DK = "dk-dk-peppol-dkk"
SE = "se-se-peppol-sek"
NO = "no-no-peppol-nok"
BE = "be-be-peppol-amount-discount"


# (format, case, mutation, kind "missing"/"problem", Billora field, rule the validator reports)
TABLE = [
    (
        "xrechnung-cii",
        DE_PUBLIC,
        lambda d: replace(d, buyer_reference=""),
        "missing",
        "customer.buyer_reference",
        "BR-DE-15",
    ),
    (
        "xrechnung-ubl",
        DE_PUBLIC,
        lambda d: replace(d, buyer_reference=""),
        "missing",
        "customer.buyer_reference",
        "BR-DE-15",
    ),
    (
        "xrechnung-ubl",
        DE_PUBLIC,
        lambda d: _seller(d, contact=replace(d.seller.contact, name="")),
        "missing",
        "business.contact_name",
        "BR-DE-5",
    ),
    (
        "xrechnung-cii",
        DE_PUBLIC,
        lambda d: _seller(d, contact=replace(d.seller.contact, phone="")),
        "missing",
        "business.phone",
        "BR-DE-6",
    ),
    (
        "xrechnung-cii",
        DE_PUBLIC,
        lambda d: _seller(d, contact=replace(d.seller.contact, email="")),
        "missing",
        "business.email",
        "BR-DE-7",
    ),
    (
        "xrechnung-ubl",
        DE_PUBLIC,
        lambda d: replace(d, payment_instructions=None),
        "missing",
        "business.iban",
        "BR-DE-1",
    ),
    (
        "xrechnung-cii",
        DE_PUBLIC,
        lambda d: _buyer(d, address=replace(d.buyer.address, postcode="")),
        "missing",
        "customer.postcode",
        "BR-DE-9",
    ),
    (
        "xrechnung-ubl",
        DE_PUBLIC,
        lambda d: _seller(d, address=replace(d.seller.address, city="")),
        "missing",
        "business.city",
        "BR-DE-3",
    ),
    ("xrechnung-cii", SMALL, lambda d: _seller(d, tax_registration_id=""), "missing", "business.vat_id", "BR-DE-16"),
    (
        "xrechnung-cii",
        DE_PUBLIC,
        lambda d: replace(d, payment_terms="Zahlbar sofort.\n#SKONTO 2%"),
        "problem",
        "invoice.terms",
        "BR-DE-18",
    ),
    (
        "peppol",
        DE_DE,
        lambda d: _buyer(d, electronic_address=None),
        "missing",
        "customer.peppol_id",
        "PEPPOL-EN16931-R010",
    ),
    (
        "peppol",
        DE_DE,
        lambda d: _seller(d, electronic_address=None),
        "missing",
        "business.peppol_id",
        "PEPPOL-EN16931-R020",
    ),
    (
        "peppol",
        NL,
        lambda d: replace(d, buyer_reference=""),
        "missing",
        "customer.buyer_reference",
        "PEPPOL-EN16931-R003",
    ),
    (
        "peppol",
        DE_DE,
        lambda d: _seller(d, contact=replace(d.seller.contact, name="")),
        "missing",
        "business.contact_name",
        "DE-R-005",
    ),
    (
        "peppol",
        DE_DE,
        lambda d: replace(d, buyer_reference="", order_reference="PO-1"),
        "missing",
        "customer.buyer_reference",
        "DE-R-015",
    ),
    (
        "peppol",
        NL,
        lambda d: _seller(d, address=replace(d.seller.address, line1="")),
        "missing",
        "business.address_line1",
        "NL-R-002",
    ),
    ("peppol", NL, lambda d: replace(d, payment_instructions=None), "missing", "business.iban", "NL-R-007"),
    (
        "peppol",
        DK,
        lambda d: _seller(d, legal_registration_id="", legal_registration_scheme=""),
        "missing",
        "business.legal_registration_id",
        "DK-R-002",
    ),
    ("peppol", SE, lambda d: _seller(d, tax_registration_id="F-skatt"), "problem", "business.tax_id", "SE-R-005"),
    ("peppol", NO, lambda d: _seller(d, vat_id="NO923456783"), "problem", "business.vat_id", "NO-R-001"),
    (
        "peppol",
        BE,
        lambda d: _buyer(d, electronic_address=ElectronicAddress("0208", "0847639251")),
        "problem",
        "customer.peppol_id",
        "PEPPOL-COMMON-R043",
    ),
    (
        "peppol",
        BE,
        lambda d: _buyer(d, electronic_address=ElectronicAddress("0099", "12345")),
        "problem",
        "customer.peppol_id",
        "PEPPOL-EN16931-CL008",
    ),
    ("ubl", AE, lambda d: _buyer(d, vat_id=""), "missing", "customer.vat_id", "BR-AE-02"),
    (
        "cii",
        AE,
        lambda d: replace(
            d, vat_breakdown=tuple(replace(r, exemption_reason="", exemption_reason_code="") for r in d.vat_breakdown)
        ),
        "missing",
        "invoice.vat_exemption_reasons.AE",
        "BR-AE-10",
    ),
    ("cii", K, lambda d: replace(d, delivery=None), "missing", "invoice.delivery_date", "BR-IC-11"),
    ("ubl", K, lambda d: _buyer(d, vat_id=""), "missing", "customer.vat_id", "BR-IC-02"),
    ("ubl", G, lambda d: _seller(d, vat_id=""), "missing", "business.vat_id", "BR-G-02"),
    (
        "cii",
        SMALL,
        lambda d: replace(d, vat_breakdown=tuple(replace(r, exemption_reason="") for r in d.vat_breakdown)),
        "missing",
        "invoice.vat_exemption_reasons.E",
        "BR-E-10",
    ),
    (
        "cii",
        DE_DE,
        lambda d: _buyer(d, address=replace(d.buyer.address, country="")),
        "missing",
        "customer.country",
        "BR-11",
    ),
    (
        "cii",
        DE_DE,
        lambda d: _seller(d, vat_id="", legal_registration_id="", legal_registration_scheme=""),
        "missing",
        "business.vat_id",
        "BR-CO-26",
    ),
    (
        "ubl",
        AE,
        lambda d: replace(
            d, vat_breakdown=tuple(replace(r, exemption_reason_code="VATEX-EU-XX") for r in d.vat_breakdown)
        ),
        "problem",
        "invoice.vat_exemption_reasons.AE",
        "BR-CL-22",
    ),
    ("peppol", SMALL, None, "missing", "business.peppol_id", "PEPPOL-EN16931-CL008"),
]


ROWS = [
    pytest.param(fmt, case_id, mutate, kind, field, rule, id=f"{fmt}-{rule}-{field}")
    for fmt, case_id, mutate, kind, field, rule in TABLE
]


@pytest.mark.parametrize(("format_key", "case_id", "mutate", "kind", "field", "rule"), ROWS)
def test_requirement_matches_the_official_rule(format_key, case_id, mutate, kind, field, rule, validator):
    original = _doc(case_id)
    document = mutate(original) if mutate else original
    if mutate:
        # The unmutated document is accepted: the row tests exactly one thing.
        assert check(original, format_key).ok
    verdict = check(document, format_key)
    findings = verdict.missing if kind == "missing" else verdict.problems
    assert (field, rule) in [(f.field, f.rule) for f in findings], verdict
    with pytest.raises(EInvoiceRefused) as refused:
        render(document, format_key)
    assert refused.value.verdict == verdict
    assert field in refused.value.verdict.missing_fields or kind == "problem"

    report = validator.validate(_write_anyway(document, format_key), FORMATS[format_key].rule_sets)
    assert rule in report.fatal_rules, report.describe()


def test_a_document_with_almost_nothing_lists_stable_field_names():
    bare = replace(
        _doc(DE_DE),
        seller=Seller(name="Acme", address=Address(country="DE")),
        buyer=Buyer(name="Client", address=Address()),
        buyer_reference="",
        payment_instructions=None,
        due_date=None,
        payment_terms="",
    )
    assert missing_fields(bare, "cii") == ["customer.country", "business.vat_id"]
    assert missing_fields(bare, "xrechnung-ubl") == [
        "customer.country",
        "business.vat_id",
        "business.iban",
        "business.contact_name",
        "business.phone",
        "business.email",
        "business.city",
        "business.postcode",
        "customer.city",
        "customer.postcode",
        "customer.buyer_reference",
        "customer.email",
    ]
    assert missing_fields(bare, "peppol") == [
        "customer.country",
        "business.vat_id",
        "business.peppol_id",
        "customer.peppol_id",
        "customer.buyer_reference",
    ]


def test_credit_notes_name_their_own_fields():
    credit_note = _doc("de-credit-note-full")
    no_k_date = replace(_doc(K), type_code="381", delivery=None)
    # Without a delivery there is neither a delivery date (BR-IC-11) nor a deliver-to country (BR-IC-12).
    assert missing_fields(no_k_date, "cii") == ["credit_note.delivery_date", "customer.country"]
    assert missing_fields(replace(credit_note, number=""), "cii") == ["credit_note.number"]


def test_xrechnung_needs_electronic_addresses_even_where_the_rules_do_not_check():
    # XRechnung 3.0 makes BT-34 and BT-49 mandatory; KoSIT's schematron does not test it, so
    # this is the one requirement without a validator rule behind it. A Peppol id or an email counts.
    document = _buyer(_doc(DE_PUBLIC), electronic_address=None)
    assert missing_fields(document, "xrechnung-cii") == ["customer.email"]
    assert check(_buyer(_doc(DE_PUBLIC), electronic_address=ElectronicAddress("EM", "a@b.example")), "xrechnung-cii").ok


def test_kwd_amounts_needing_three_decimals_are_refused_never_rounded(validator):
    kwd = build(
        seller=p.DE_SELLER,
        buyer=p.KW_BUYER,
        currency="KWD",
        items=[item("2", "1.2345", "0", "G", "Filter"), item("1", "0.0005", "0", "G", "Washer")],
        exemption_reasons={"G": EXPORT},
    )
    assert kwd.totals.subtotal == D("2.470")  # this one fits...
    assert [a.line_net for a in kwd.totals.lines] == [D("2.469"), D("0.001")]  # ...these do not
    for key in FORMATS:
        verdict = check(kwd.document, key)
        assert [f.rule for f in verdict.problems] == ["BR-DEC"], key
        assert "2.469 KWD" in verdict.detail
        with pytest.raises(EInvoiceRefused):
            render(kwd.document, key)
    with pytest.raises(ValueError, match="needs more than 2 decimals"):
        cii.write(kwd.document, FORMATS["cii"])  # the writer itself never rounds either


def test_kwd_amounts_that_fit_two_decimals_are_written_exactly():
    document = _doc("de-kw-export-in-kwd-two-decimal-amounts")
    assert document.totals.tax_inclusive == D("25.500")
    assert check(document, "cii").ok
    xml = render(document, "ubl").decode()
    assert '<cbc:PayableAmount currencyID="KWD">25.50</cbc:PayableAmount>' in xml
    assert '<cbc:PriceAmount currencyID="KWD">12.5</cbc:PriceAmount>' in xml


def test_outside_scope_cannot_be_mixed_with_other_categories(validator):
    mixed = build(
        seller=p.FR_SELLER,
        buyer=p.FR_ASSOCIATION,
        items=[item("1", "100.00", "0", "O", "Subvention"), item("1", "50.00", "20", description="Prestation")],
        exemption_reasons={"O": ("Non soumis", "VATEX-EU-O")},
    ).document
    verdict = check(mixed, "cii")
    assert [f.rule for f in verdict.problems] == ["BR-O-11"]
    report = validator.validate(_write_anyway(mixed, "cii"), FORMATS["cii"].rule_sets)
    assert "BR-O-11" in report.fatal_rules


def test_peppol_refuses_jpy_lines_rounded_more_than_its_tolerance(validator):
    jpy = build(
        seller=p.DE_SELLER,
        buyer=p.DE_BUYER,
        currency="JPY",
        items=[item("2.5", "1001", "10", description="Stunden")],
        buyer_reference="X",
        **DE_IBAN,
    ).document
    assert jpy.lines[0].net_amount == D("2503")  # 2502.5 rounded half up, as Billora bills it
    assert check(jpy, "ubl").ok
    verdict = check(jpy, "peppol")
    assert [f.rule for f in verdict.problems] == ["PEPPOL-EN16931-R120"]
    report = validator.validate(_write_anyway(jpy, "peppol"), FORMATS["peppol"].rule_sets)
    assert "PEPPOL-EN16931-R120" in report.fatal_rules


def test_peppol_refuses_greek_sellers(validator):
    greek = _doc("gr-gr-greek-seller-not-for-peppol")
    verdict = check(greek, "peppol")
    assert [f.rule for f in verdict.problems] == ["GR-R-001"]
    report = validator.validate(_write_anyway(greek, "peppol"), FORMATS["peppol"].rule_sets)
    assert any(rule.startswith("GR-R-001") for rule in report.fatal_rules), report.describe()


def test_peppol_refuses_swedish_rates_other_than_25_12_6(validator):
    swedish = build(
        seller=p.SE_SELLER, buyer=p.SE_BUYER, currency="SEK", items=[item("1", "100.00", "20")], buyer_reference="X"
    ).document
    assert [f.rule for f in check(swedish, "peppol").problems] == ["SE-R-006"]
    assert "SE-R-006" in validator.validate(_write_anyway(swedish, "peppol"), ("en16931-ubl", "peppol-ubl")).fatal_rules


def test_peppol_refuses_exemption_codes_of_another_category(validator):
    wrong = replace(
        _doc(SMALL),
        vat_breakdown=tuple(replace(r, exemption_reason_code="VATEX-EU-G") for r in _doc(SMALL).vat_breakdown),
        seller=replace(p.DE_SMALL_BUSINESS, electronic_address=ElectronicAddress("9930", "DE111111125")),
        buyer=p.DE_BUYER,
    )
    assert [f.rule for f in check(wrong, "peppol").problems] == ["PEPPOL-EN16931-P0104"]
    assert "PEPPOL-EN16931-P0104" in validator.validate(_write_anyway(wrong, "peppol"), ("peppol-ubl",)).fatal_rules


def test_control_characters_are_refused_not_dropped():
    document = _seller(_doc(DE_DE), name="Müller\x07 GmbH")
    verdict = check(document, "cii")
    assert [(f.field, f.rule) for f in verdict.problems] == [("business.name", "XML 1.0")]
    lines = _doc(DE_DE).lines
    document = replace(_doc(DE_DE), lines=(replace(lines[0], description="a\x00b"),))
    assert [f.field for f in check(document, "ubl").problems] == ["invoice.items.0.description"]


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown e-invoice format 'pdf'"):
        check(_doc(DE_DE), "pdf")


def test_refusal_detail_names_the_format_and_what_to_do():
    verdict = check(_buyer(_doc(DE_DE), electronic_address=None), "peppol")
    assert verdict.missing_fields == ["customer.peppol_id"]
    assert verdict.detail == (
        "This document cannot be produced as Peppol BIS Billing 3.0: Peppol needs the customer's Peppol id."
    )


def test_refusal_detail_says_each_missing_field_once():
    bare = _seller(
        _doc(DE_DE), vat_id="", legal_registration_id="", legal_registration_scheme="", tax_registration_id=""
    )
    verdict = check(bare, "cii")
    assert [(f.field, f.rule) for f in verdict.missing] == [
        ("business.vat_id", "BR-CO-26"),
        ("business.vat_id", "BR-S-02"),
    ]
    assert verdict.detail == (
        "This document cannot be produced as CII (UN/CEFACT D16B): "
        "The business needs its VAT number or its legal registration number."
    )
