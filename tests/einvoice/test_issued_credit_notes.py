"""Issued credit notes (made through billing's services, rendered and stored by the document
pipeline, downloaded from the API) pass the official rules in every format they satisfy, with
the API's amounts: for each issued-invoice case (every VAT category, EUR, USD, JPY, KWD, 1 and
500 lines, discounts, long and non-Latin texts) a full credit note, a partial one and a
partial one with its own discount."""

from decimal import Decimal

import pytest
from lxml import etree

from billing import services
from documents.einvoice import FORMATS
from documents.pdf.pdfa import attached_xml, facturx_level
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.api.conftest import client_for
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

from .issued import ALL, CASES, IssuedCase, issue
from .readback import NS, Amounts, amounts_in

D = Decimal
SHAPES = ("full", "partial", "partial-discounted")


@pytest.fixture
def org(db):
    return OrganizationFactory(default_currency="EUR")


@pytest.fixture
def actor(org):
    return MembershipFactory(organization=org, role=Role.MEMBER).user


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a block, then its after-commit work (the document pipeline's render)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def api(org):
    return client_for(make_api_key(org)[1])


def _partial_lines(org, invoice) -> list[dict]:
    """0.4 of the invoice's first line, in its own VAT category and rate."""
    with organization_scope(org):
        first = invoice.items.order_by("position").first()
    return [
        {
            "description": first.description,
            "quantity": "0.4",
            "unit_price": str(first.unit_price),
            "tax_rate": str(first.tax_rate),
            "vat_category": first.vat_category,
        }
    ]


def credit(org, actor, case: IssuedCase, shape: str, commit):
    """A credit note of the shape on a newly issued invoice of the case, issued and rendered."""
    invoice = issue(org, actor, case)
    data = {"invoice": str(invoice.pk), "reason": f"Credit ({shape}) · Gutschrift · 返金"}
    if shape == "full":
        data["full"] = True
    else:
        data["items"] = _partial_lines(org, invoice)
    if shape == "partial-discounted":
        data.update(discount_type="percent", discount_value="10")
    note = services.credit_note_create(organization=org, actor=actor, data=data)
    with commit():
        note = services.credit_note_issue(organization=org, actor=actor, credit_note_id=note.pk)
    return invoice, note


def api_amounts(body: dict) -> Amounts:
    """The API's amounts for the credit note (nothing prepaid: all of it is credited)."""
    return Amounts(
        line_nets=tuple(D(item["line_total"]) for item in body["items"]),
        line_net_total=D(body["subtotal"]),
        allowance_total=D(body["discount_total"]),
        tax_exclusive=D(body["subtotal"]) - D(body["discount_total"]),
        tax_total=D(body["tax_total"]),
        tax_inclusive=D(body["total"]),
        prepaid=D(0),
        payable=D(body["total"]),
        vat_breakdown=tuple(
            (row["category"], D(row["rate"]), D(row["taxable_amount"]), D(row["tax_amount"]))
            for row in body["tax_breakdown"]
        ),
        allowances=(),
    )


PAIRS = [pytest.param(case, shape, id=f"{case.id}-{shape}") for case in CASES for shape in SHAPES]


def test_the_corpus_has_forty_documents_of_every_category_and_currency():
    """The issued invoices of test_issued_invoices and these credit notes."""
    assert len(CASES) + len(PAIRS) >= 40
    assert {case.data.get("currency", "EUR") for case in CASES} >= {"EUR", "JPY", "KWD"}
    categories = {item.get("vat_category", "S") for case in CASES for item in case.items} | {"E"}
    assert categories == {"S", "Z", "E", "AE", "K", "G", "O"}
    assert set().union(*(case.formats for case in CASES)) == ALL


@pytest.mark.parametrize(("case", "shape"), PAIRS)
def test_every_format_the_credit_note_satisfies_passes_the_rules_with_the_apis_amounts(
    org, actor, api, commit, case: IssuedCase, shape: str, validator
):
    invoice, note = credit(org, actor, case, shape, commit)
    body = api.get(f"/api/v1/credit-notes/{note.pk}/").json()
    expected = api_amounts(body)
    accepted = set()
    for key in sorted(FORMATS):
        response = api.get(f"/api/v1/credit-notes/{note.pk}/einvoice/", {"format": key})
        assert response.status_code in (200, 422), (key, response.status_code, response.content[:300])
        if response.status_code == 422:
            continue
        accepted.add(key)
        if key == "facturx":  # its XML is the CII download's, byte for byte
            _name, xml = attached_xml(response.content)
            assert facturx_level(xml) == "en16931"
            assert xml == api.get(f"/api/v1/credit-notes/{note.pk}/einvoice/", {"format": "cii"}).content
            continue
        report = validator.validate(response.content, FORMATS[key].rule_sets)
        assert not report.fatal, f"{key}:\n{report.describe()}"
        amounts = amounts_in(response.content)
        assert Amounts(**{**amounts.__dict__, "allowances": ()}) == expected, key
        _assert_credit_note_of(response.content, invoice)
    assert accepted >= case.formats


def _assert_credit_note_of(xml: bytes, invoice) -> None:
    """Type code 381 and BG-3: the corrected invoice's number and issue date."""
    root = etree.fromstring(xml)
    if etree.QName(root).localname == "CreditNote":
        assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
        reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", namespaces=NS)
        assert reference.findtext("cbc:ID", namespaces=NS) == invoice.number
        assert reference.findtext("cbc:IssueDate", namespaces=NS) == invoice.issue_date.isoformat()
    else:
        assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
        reference = root.find(".//ram:InvoiceReferencedDocument", namespaces=NS)
        assert reference.findtext("ram:IssuerAssignedID", namespaces=NS) == invoice.number
        assert reference.findtext("ram:FormattedIssueDateTime/*", namespaces=NS) == invoice.issue_date.strftime(
            "%Y%m%d"
        )


def test_a_corrupted_credit_note_total_fails_br_co_15(org, actor, api, commit, validator):
    """The negative control, on a credit note: the validator really checks its sums."""
    _, note = credit(org, actor, CASES[0], "partial", commit)
    xml = api.get(f"/api/v1/credit-notes/{note.pk}/einvoice/", {"format": "cii"}).content
    assert not validator.validate(xml, FORMATS["cii"].rule_sets).fatal
    root = etree.fromstring(xml)
    grand = root.xpath("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", namespaces=NS)[0]
    grand.text = str(D(grand.text) + D("0.01"))
    report = validator.validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), FORMATS["cii"].rule_sets)
    assert "BR-CO-15" in report.fatal_rules
