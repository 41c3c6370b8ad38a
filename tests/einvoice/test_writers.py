"""The writers: deterministic bytes, the validator really runs, and the model's own guards."""

from dataclasses import replace
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from documents.einvoice import FORMATS, render
from documents.einvoice.decimals import amount_text, number_text
from documents.einvoice.model import (
    Allowance,
    ElectronicAddress,
    PaymentInstructions,
    VatBreakdown,
    item_name_and_description,
    legal_registration_scheme_for,
)
from documents.pdf.pdfa import FACTURX_LEVEL

from .cases import CASES
from .readback import NS
from .test_validity import built

D = Decimal
DE_PUBLIC = "de-public-buyer-19-7-0-percent-discount"


@pytest.mark.parametrize("format_key", sorted(FORMATS))
def test_the_same_document_gives_byte_identical_xml(format_key):
    first = render(built(DE_PUBLIC).document, format_key)
    again = render(CASES[0].make().document, format_key)  # built afresh from the same Billora data
    assert CASES[0].id == DE_PUBLIC
    assert first == again
    assert first.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_facturx_xml_is_the_cii_xml_for_every_case():
    for case in CASES:
        if "cii" in case.formats:
            document = built(case.id).document
            assert render(document, "facturx") == render(document, "cii"), case.id


def test_facturx_xml_passes_the_facturx_en16931_schema_for_every_case():
    """The Factur-X PDF is made without the factur-x package's own XSD check (it would run on
    every render): the profile's schema is checked here instead, for every case."""
    checked = 0
    for case in CASES:
        if "facturx" in case.formats:
            assert facturx.xml_check_xsd(render(built(case.id).document, "facturx"), "factur-x", FACTURX_LEVEL)
            checked += 1
    assert checked >= 40


def test_the_facturx_schema_check_refuses_an_element_outside_the_profile():
    xml = etree.fromstring(render(built(DE_PUBLIC).document, "facturx"))
    header = xml.find(".//ram:ApplicableHeaderTradeAgreement", NS)
    etree.SubElement(header, f"{{{NS['ram']}}}NotInTheProfile").text = "x"
    with pytest.raises(Exception, match="NotInTheProfile"):
        facturx.xml_check_xsd(etree.tostring(xml), "factur-x", FACTURX_LEVEL)


@pytest.mark.parametrize(
    ("format_key", "total_path"),
    [
        ("cii", "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"),
        ("ubl", "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
        ("xrechnung-cii", "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"),
        ("peppol", "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
    ],
)
def test_a_corrupted_total_fails_br_co_15(format_key, total_path, validator):
    """Negative control: the validator really ran, and it checks the totals."""
    xml = render(built(DE_PUBLIC).document, format_key)
    rule_sets = FORMATS[format_key].rule_sets
    assert validator.validate(xml, rule_sets).fatal == []
    root = etree.fromstring(xml)
    (total,) = root.xpath(total_path, namespaces=NS)
    total.text = str(D(total.text) + D("0.01"))
    report = validator.validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), rule_sets)
    assert "BR-CO-15" in report.fatal_rules, report.describe()


def test_the_cii_xsd_runs_too(validator):
    root = etree.fromstring(render(built(DE_PUBLIC).document, "cii"))
    header = root.find("rsm:ExchangedDocument", NS)
    header.addprevious(header.find("ram:TypeCode", NS))  # an element out of the D16B sequence
    report = validator.validate(etree.tostring(root), ("en16931-cii",))
    assert "XSD" in report.fatal_rules


def test_outside_scope_documents_carry_no_vat_ids_and_no_line_rates():
    document = built("fr-outside-scope-association").document
    assert document.seller.vat_id  # the business has one, but BR-O-02 forbids writing it
    for key in ("cii", "ubl"):
        assert document.seller.vat_id not in render(document, key).decode()
    assert 'schemeID="VA"' not in render(document, "cii").decode()
    root = etree.fromstring(render(document, "ubl"))
    assert root.xpath("//cac:ClassifiedTaxCategory/cbc:Percent", namespaces=NS) == []
    assert root.xpath("//cac:PartyTaxScheme", namespaces=NS) == []


def test_peppol_writes_one_note_other_formats_keep_them_apart():
    document = built("de-three-notes-joined-for-peppol").document
    peppol = etree.fromstring(render(document, "peppol"))
    plain = etree.fromstring(render(document, "ubl"))
    assert [n.text for n in peppol.xpath("/*/cbc:Note", namespaces=NS)] == ["\n\n".join(document.notes)]
    assert [n.text for n in plain.xpath("/*/cbc:Note", namespaces=NS)] == list(document.notes)


def test_credit_notes_are_ubl_credit_notes_with_the_invoice_reference():
    document = built("de-credit-note-full").document
    root = etree.fromstring(render(document, "ubl"))
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert root.xpath("/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()", namespaces=NS) == [
        "INV-2026-0001"
    ]
    assert root.xpath("/*/cac:PaymentMeans/cbc:PaymentDueDate/text()", namespaces=NS) == ["2026-04-01"]
    assert root.xpath("/*/cbc:DueDate", namespaces=NS) == []  # UBL 2.1 credit notes have none
    assert len(root.xpath("/*/cac:CreditNoteLine", namespaces=NS)) == 3
    cii_root = etree.fromstring(render(document, "cii"))
    assert cii_root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=NS) == [
        "INV-2026-0001"
    ]


def test_no_element_is_written_empty():
    # Peppol forbids empty elements (R008); CII's header delivery is the one the XSD requires.
    for case in CASES:
        for key in case.formats:
            root = etree.fromstring(render(built(case.id).document, key))
            empty = [
                el.tag
                for el in root.iter()
                if len(el) == 0 and not (el.text or "").strip() and not el.tag.endswith("ApplicableHeaderTradeDelivery")
            ]
            assert empty == [], (case.id, key)


def test_a_document_that_does_not_add_up_is_refused_as_a_bug():
    document = built(DE_PUBLIC).document
    totals = document.totals
    with pytest.raises(ValueError, match=r"BR-CO-15 tax inclusive: 254.82 != 254.81"):
        replace(
            document,
            totals=replace(totals, tax_inclusive=totals.tax_inclusive + D("0.01"), payable=totals.payable + D("0.01")),
        )
    with pytest.raises(ValueError, match="BR-CO-10 line net total"):
        replace(document, lines=document.lines[1:])
    with pytest.raises(ValueError, match="BR-CO-11 allowance total"):
        replace(document, allowances=document.allowances[1:])
    shifted = tuple(
        replace(a, amount=a.amount + D("0.01") * (1 if i == 0 else -1)) for i, a in enumerate(document.allowances)
    )
    with pytest.raises(ValueError, match="taxable amount of"):
        replace(document, allowances=shifted)


def test_model_guards():
    with pytest.raises(ValueError, match="BT-84"):
        PaymentInstructions(means_code="58")
    assert PaymentInstructions(means_code="1").account_id == ""
    with pytest.raises(ValueError, match="takes no exemption reason"):
        VatBreakdown(category="S", rate=D(19), taxable_amount=D(1), tax_amount=D("0.19"), exemption_reason="x")
    with pytest.raises(ValueError, match="Unknown VAT category"):
        VatBreakdown(category="X", rate=D(0), taxable_amount=D(1), tax_amount=D(0))
    with pytest.raises(ValueError, match="scheme:identifier"):
        ElectronicAddress.from_peppol_id("0208-0412345614")
    assert ElectronicAddress.from_peppol_id(" 0208:0412345614 ") == ElectronicAddress("0208", "0412345614")
    assert Allowance(amount=D(1), vat_category="S", vat_rate=D(19), reason="Discount").reason_code == "95"
    assert legal_registration_scheme_for("nl") == "0106"
    assert legal_registration_scheme_for("FR") == ""


@pytest.mark.parametrize(
    ("text", "name", "description"),
    [
        ("Consulting", "Consulting", ""),
        ("  Logo design \n", "Logo design", ""),
        ("Web site\nPhase 1: design\nPhase 2: build", "Web site", "Web site\nPhase 1: design\nPhase 2: build"),
        ("\n\nSecond line first", "Second line first", ""),
        ("x" * 2000, "x" * 99 + "…", "x" * 2000),
    ],
)
def test_item_name_and_description(text, name, description):
    assert item_name_and_description(text) == (name, description)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12.5", "EUR", "12.50"),
        ("1500", "JPY", "1500"),
        ("2.470", "KWD", "2.47"),
        ("0.000", "BHD", "0.00"),
        ("1E+3", "EUR", "1000.00"),
    ],
)
def test_amounts_are_written_with_at_most_two_exact_decimals(amount, currency, text):
    assert amount_text(D(amount), currency) == text


@pytest.mark.parametrize(("amount", "currency"), [("2.471", "KWD"), ("0.005", "EUR"), ("1.5", "JPY")])
def test_amounts_that_would_need_rounding_are_refused(amount, currency):
    with pytest.raises(ValueError, match="needs more than"):
        amount_text(D(amount), currency)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2.5000", "2.5"),
        ("19.000", "19"),
        ("1E+2", "100"),
        ("0.0001", "0.0001"),
        ("0.000", "0"),
        ("9999.9999", "9999.9999"),
    ],
)
def test_quantities_prices_and_rates_are_written_plainly(value, text):
    assert number_text(D(value)) == text
