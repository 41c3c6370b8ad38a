"""Issued invoices (made through billing's services) as e-invoices: every format the document
satisfies passes the official rules, and the XML's amounts are the ones the API shows."""

from decimal import Decimal

import pytest
from lxml import etree

from documents.einvoice import FORMATS, EInvoiceRefused, check, render
from documents.einvoice_source import NotIssued, invoice_document
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.api.conftest import client_for
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

from .issued import ALL, CASES, DE_FULL_BUYER, DE_FULL_SELLER, IssuedCase, issue, reload
from .readback import NS, Amounts, amounts_in

D = Decimal


@pytest.fixture
def org(db):
    return OrganizationFactory(default_currency="EUR")


@pytest.fixture
def actor(org):
    return MembershipFactory(organization=org, role=Role.MEMBER).user


def document_of(org, invoice):
    with organization_scope(org):
        return invoice_document(reload(org, invoice))


def api_amounts(body: dict) -> Amounts:
    """The API's amounts for the invoice, in the readback's shape (allowances are not in the API)."""
    return Amounts(
        line_nets=tuple(D(item["line_total"]) for item in body["items"]),
        line_net_total=D(body["subtotal"]),
        allowance_total=D(body["discount_total"]),
        tax_exclusive=D(body["subtotal"]) - D(body["discount_total"]),
        tax_total=D(body["tax_total"]),
        tax_inclusive=D(body["total"]),
        prepaid=D(body["amount_paid"]),
        payable=D(body["balance_due"]),
        vat_breakdown=tuple(
            (row["category"], D(row["rate"]), D(row["taxable_amount"]), D(row["tax_amount"]))
            for row in body["tax_breakdown"]
        ),
        allowances=(),
    )


def without_allowances(amounts: Amounts) -> Amounts:
    return Amounts(**{**amounts.__dict__, "allowances": ()})


def test_the_cases_cover_every_vat_category_currency_and_format():
    categories = {item.get("vat_category", "S") for case in CASES for item in case.items}
    categories |= {"E"}  # the small business's lines take E from its default
    assert categories == {"S", "Z", "E", "AE", "K", "G", "O"}
    assert {case.data.get("currency", "EUR") for case in CASES} >= {"EUR", "JPY", "KWD"}
    assert {len(case.items) for case in CASES} >= {1, 500}
    assert set().union(*(case.formats for case in CASES)) == ALL


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_format_the_invoice_satisfies_passes_the_rules_with_the_apis_amounts(
    org, actor, case: IssuedCase, validator
):
    invoice = issue(org, actor, case)
    document = document_of(org, invoice)
    accepted = {key for key in FORMATS if check(document, key).ok}
    assert accepted >= case.formats, {key: check(document, key).missing_fields for key in FORMATS}
    body = client_for(make_api_key(org)[1]).get(f"/api/v1/invoices/{invoice.pk}/").json()
    expected = api_amounts(body)
    for key in sorted(accepted - {"facturx"}):  # facturx's XML is the cii XML
        xml = render(document, key)
        report = validator.validate(xml, FORMATS[key].rule_sets)
        assert not report.fatal, f"{key}:\n{report.describe()}"
        assert without_allowances(amounts_in(xml)) == expected, key


def test_a_partly_paid_invoice_says_what_was_prepaid_and_what_is_due(org, actor, validator):
    from billing import services

    invoice = issue(org, actor, CASES[0])
    services.payment_record(
        organization=org, actor=actor, invoice_id=invoice.pk, amount="100.00", date=invoice.issue_date
    )
    document = document_of(org, invoice)
    xml = render(document, "xrechnung-cii")
    assert not validator.validate(xml, FORMATS["xrechnung-cii"].rule_sets).fatal
    amounts = amounts_in(xml)
    assert (amounts.prepaid, amounts.payable) == (D("100.00"), amounts.tax_inclusive - D("100.00"))


def test_a_corrupted_total_fails_br_co_15(org, actor, validator):
    """The negative control: the validator really checks the sums of the generated file."""
    invoice = issue(org, actor, CASES[0])
    xml = render(document_of(org, invoice), "cii")
    root = etree.fromstring(xml)
    grand = root.xpath("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", namespaces=NS)[0]
    grand.text = str(D(grand.text) + D("0.01"))
    report = validator.validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), FORMATS["cii"].rule_sets)
    assert "BR-CO-15" in report.fatal_rules


def test_a_format_the_invoice_cannot_satisfy_is_refused_naming_billora_fields(org, actor):
    seller = {**DE_FULL_SELLER, "peppol_id": "", "contact_name": "", "iban": ""}
    buyer = {**DE_FULL_BUYER, "peppol_id": "", "buyer_reference": ""}
    case = IssuedCase(
        "refused", seller, buyer, [{"description": "Work", "quantity": "1", "unit_price": "10", "tax_rate": "19"}]
    )
    document = document_of(org, issue(org, actor, case))
    with pytest.raises(EInvoiceRefused) as refused:
        render(document, "peppol")
    assert {"business.peppol_id", "customer.peppol_id"} <= set(refused.value.verdict.missing_fields)
    with pytest.raises(EInvoiceRefused) as refused:
        render(document, "xrechnung-ubl")
    assert {"customer.buyer_reference", "business.contact_name", "business.iban"} <= set(
        refused.value.verdict.missing_fields
    )
    assert render(document, "ubl")  # plain EN 16931 needs none of those


def test_the_document_is_the_snapshot_at_issue_not_the_live_parties(org, actor):
    invoice = issue(org, actor, CASES[0])
    with organization_scope(org):
        business, customer = invoice.business, invoice.customer
        business.legal_name, business.iban = "Renamed GmbH", ""
        business.save()
        customer.peppol_id = ""
        customer.save()
    document = document_of(org, invoice)
    assert document.seller.name == "Müller Software GmbH"
    assert document.seller.trading_name == "Müller Software"
    assert document.payment_instructions.account_id == "DE89370400440532013000"
    assert document.buyer.electronic_address.identifier == "DE136695976"


def test_a_draft_has_no_e_invoice(org, actor):
    from billing import services
    from tests.billing.factories import BusinessFactory, CustomerFactory

    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    draft = services.invoice_create(
        organization=org,
        actor=actor,
        data={"business": str(business.pk), "customer": str(customer.pk), "items": CASES[1].items},
    )
    with organization_scope(org), pytest.raises(NotIssued):
        invoice_document(reload(org, draft))
