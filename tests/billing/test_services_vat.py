"""VAT categories per line through the services: the table of cases (breakdown and verdict at
issue), the rate rules at save, exemption reasons and their defaults."""

from decimal import Decimal

import pytest

from billing import services
from billing.exceptions import BillingValidationError
from billing.models import Invoice, InvoiceItem
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, assert_stored_totals
from tests.billing.vat_cases import CASES, REVERSE_CHARGE, SMALL_BUSINESS_DE, VatCase, line


def reload(org, invoice):
    with organization_scope(org):
        return Invoice.objects.get(pk=invoice.pk)


def parties(org, case: VatCase):
    return BusinessFactory(organization=org, **case.seller), CustomerFactory(organization=org, **case.buyer)


def create(org, user, business, customer, items, **data):
    data = {"business": str(business.pk), "customer": str(customer.pk), "items": items, **data}
    return services.invoice_create(organization=org, actor=user, data=data)


def stored_breakdown(invoice):
    return [
        (
            row["category"],
            format(Decimal(row["rate"]).normalize(), "f"),
            row["taxable_amount"],
            row["tax_amount"],
            row["exemption_reason"],
            row["exemption_reason_code"],
        )
        for row in invoice.tax_breakdown
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_vat_table(org, user, case):
    """Each case: the draft saves whatever is missing, its breakdown groups by (category, rate)
    with the reasons, and issue accepts it or names exactly the fields the table needs."""
    business, customer = parties(org, case)
    data = {} if case.reasons is None else {"vat_exemption_reasons": case.reasons}
    invoice = create(org, user, business, customer, case.items, **data)
    assert stored_breakdown(reload(org, invoice)) == case.breakdown
    assert_stored_totals(invoice)

    if case.allowed:
        issued = services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
        assert issued.status == "issued" and issued.number
        assert stored_breakdown(reload(org, invoice)) == case.breakdown
        return
    with pytest.raises(BillingValidationError) as refused:
        services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    assert set(refused.value.messages) == set(case.refused)
    for path, fragment in case.refused.items():
        assert any(fragment in message for message in refused.value.messages[path]), refused.value.messages
    invoice = reload(org, invoice)
    assert invoice.status == "draft" and invoice.number is None


def test_a_refused_issue_lists_every_missing_field_at_once(org, user):
    business = BusinessFactory(organization=org, country="AT", vat_id="")
    customer = CustomerFactory(organization=org, country="DE", vat_id="")
    invoice = create(org, user, business, customer, [line("1", "100", "0", "AE"), line("1", "100", "0", "O")])
    with pytest.raises(BillingValidationError) as refused:
        services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    assert refused.value.billing_errors == {
        "vat_exemption_reasons": {
            "AE": [
                "Reverse charge needs its reason, e.g. “Reverse charge: VAT to be accounted for by the recipient, "
                "art. 196 Directive 2006/112/EC”."
            ],
            "O": ["Lines outside the scope of VAT need the reason, e.g. “Not subject to VAT”."],
        },
        "business": {"vat_id": ["Reverse charge needs your business's VAT number."]},
        "customer": {"vat_id": ["Reverse charge needs the customer's VAT number."]},
        "items": [
            {
                "vat_category": [
                    "Lines outside the scope of VAT cannot share an invoice with lines that have VAT: "
                    "put them on separate invoices."
                ]
            },
            {},
        ],
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (line("1", "10", "0", "S"), "A line with the standard or a reduced rate needs a tax rate above 0"),
        (line("1", "10", "20", "Z"), "Lines with zero rate carry no VAT: set the tax rate to 0."),
        (line("1", "10", "19", "AE"), "Lines with reverse charge carry no VAT: set the tax rate to 0."),
        (line("1", "10", "7", "K"), "Lines with intra-community supply carry no VAT"),
        (line("1", "10", "0.001", "E"), "Lines with VAT exemption carry no VAT"),
    ],
)
def test_the_rate_must_suit_the_category_when_saving(org, user, business, customer, item, message):
    with pytest.raises(BillingValidationError) as refused:
        create(org, user, business, customer, [line("1", "10", "20"), item])
    assert list(refused.value.messages) == ["items.1.tax_rate"]
    assert refused.value.messages["items.1.tax_rate"][0].startswith(message)


@pytest.mark.parametrize("category", ["X", "SS", 5, ["S"]])
def test_an_unknown_category_is_a_field_error(org, user, business, customer, category):
    with pytest.raises(BillingValidationError) as refused:
        create(org, user, business, customer, [{**line("1", "10", "0"), "vat_category": category}])
    assert refused.value.messages == {"items.0.vat_category": ["Choose a VAT category: one of S, Z, E, AE, K, G, O."]}


@pytest.mark.parametrize(("category", "stored"), [("", "Z"), (None, "Z"), (" ae ", "AE"), ("z", "Z")])
def test_a_blank_category_is_the_default_and_codes_are_read_in_any_case(
    org, user, business, customer, category, stored
):
    invoice = create(org, user, business, customer, [{**line("1", "10", "0"), "vat_category": category}])
    with organization_scope(org):
        assert InvoiceItem.objects.get(invoice=invoice).vat_category == stored


def test_lines_default_to_s_above_zero_and_to_the_business_default_at_zero(org, user, customer):
    small = BusinessFactory(organization=org, default_vat_category="E", vat_exemption_reasons={"E": SMALL_BUSINESS_DE})
    invoice = create(org, user, small, customer, [line("1", "10", "0"), line("1", "10", "19")])
    with organization_scope(org):
        assert list(InvoiceItem.objects.filter(invoice=invoice).values_list("vat_category", flat=True)) == ["E", "S"]
    assert reload(org, invoice).vat_exemption_reasons == {"E": SMALL_BUSINESS_DE}


@pytest.mark.parametrize(
    ("reasons", "errors"),
    [
        ({"S": {"text": "x"}}, {"vat_exemption_reasons.S": ["Standard-rated and zero-rated lines carry no"]}),
        ({"XX": {"text": "x"}}, {"vat_exemption_reasons.XX": ["Use one of the VAT categories E, AE, K, G, O."]}),
        ({"AE": {"code": "VATEX-EU-AE"}}, {"vat_exemption_reasons.AE.text": ["Write the reason as text too"]}),
        ({"AE": {"text": "RC", "code": "VATEX-EU-999"}}, {"vat_exemption_reasons.AE.code": ["Enter a VATEX"]}),
        ({"AE": {"text": "RC", "code": "VATEX-EU-IC"}}, {"vat_exemption_reasons.AE.code": ["VATEX-EU-IC explains"]}),
        ({"AE": {"text": "RC", "why": "x"}}, {"vat_exemption_reasons.AE.why": ["Unknown field."]}),
        ({"AE": "Reverse charge"}, {"vat_exemption_reasons.AE": ["Expected an object with “text” and “code”."]}),
        (["AE"], {"vat_exemption_reasons": ["Expected an object with one entry per VAT category"]}),
        ({"AE": {"text": 5}}, {"vat_exemption_reasons.AE.text": ["Enter text."]}),
    ],
)
def test_exemption_reasons_are_checked_by_path(org, user, business, customer, reasons, errors):
    with pytest.raises(BillingValidationError) as refused:
        create(org, user, business, customer, [line("1", "10", "0", "AE")], vat_exemption_reasons=reasons)
    assert set(refused.value.messages) == set(errors)
    for path, (start,) in errors.items():
        assert refused.value.messages[path][0].startswith(start), refused.value.messages


def test_business_reasons_are_checked_the_same_way(org, user):
    with pytest.raises(BillingValidationError) as refused:
        services.business_create(
            organization=org,
            actor=user,
            data={"name": "B", "country": "DE", "vat_exemption_reasons": {"K": {"code": "vatex-eu-ic"}}},
        )
    assert refused.value.messages == {
        "vat_exemption_reasons.K.text": ["Write the reason as text too: the code alone means nothing to a reader."]
    }
    business = services.business_create(
        organization=org,
        actor=user,
        data={
            "name": "B",
            "country": "DE",
            "default_vat_category": "ae",
            "vat_exemption_reasons": {"AE": {"text": " Reverse charge ", "code": "vatex-eu-ae"}, "E": {}},
        },
    )
    assert business.default_vat_category == "AE"
    assert business.vat_exemption_reasons == {"AE": {"text": "Reverse charge", "code": "VATEX-EU-AE"}}


def test_reasons_default_from_the_business_when_a_category_first_appears_and_are_kept_for_used_ones(org, user):
    business = BusinessFactory(organization=org, vat_id="ATU13585627", vat_exemption_reasons={"AE": REVERSE_CHARGE})
    customer = CustomerFactory(organization=org, vat_id="DE136695976")
    invoice = create(org, user, business, customer, [line("1", "10", "20")])
    assert reload(org, invoice).vat_exemption_reasons == {}

    own = {"text": "Steuerschuldnerschaft des Leistungsempfängers", "code": "VATEX-EU-AE"}
    invoice = services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"items": [line("1", "10", "0", "AE")]}
    )
    assert invoice.vat_exemption_reasons == {"AE": REVERSE_CHARGE}  # first appearance: the business's
    invoice = services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"vat_exemption_reasons": {"AE": own}}
    )
    version = invoice.version
    assert invoice.vat_exemption_reasons == {"AE": own}
    assert reload(org, invoice).tax_breakdown[0]["exemption_reason"] == own["text"]
    invoice = services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"items": [line("2", "10", "0", "AE")]}
    )
    assert invoice.vat_exemption_reasons == {"AE": own}  # still used: kept, not reset to the business's
    invoice = services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"vat_exemption_reasons": {}}
    )
    assert invoice.vat_exemption_reasons == {} and invoice.version == version + 2  # cleared: printed, so a version
    invoice = services.invoice_update(
        organization=org, actor=user, invoice_id=invoice.pk, data={"items": [line("1", "10", "20")]}
    )
    assert invoice.vat_exemption_reasons == {}


def test_reasons_of_categories_no_line_uses_are_not_kept(org, user, business, customer):
    invoice = create(
        org, user, business, customer, [line("1", "10", "20")], vat_exemption_reasons={"AE": REVERSE_CHARGE}
    )
    assert reload(org, invoice).vat_exemption_reasons == {}


def test_credit_note_lines_keep_to_the_categories_and_rates_of_their_invoice(org, user):
    business = BusinessFactory(organization=org, vat_id="ATU13585627")
    customer = CustomerFactory(organization=org, vat_id="")
    invoice = create(org, user, business, customer, [line("1", "10", "20"), line("1", "10", "0", "Z")])
    services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    with pytest.raises(BillingValidationError) as refused:
        services.credit_note_create(
            organization=org,
            actor=user,
            data={
                "invoice": invoice.pk,
                "items": [line("1", "5", "20"), line("1", "5", "10"), line("1", "5", "0", "E")],
            },
        )
    message = "Use a VAT category and rate the invoice uses: a credit note corrects what was invoiced."
    assert refused.value.messages == {"items.1.tax_rate": [message], "items.2.tax_rate": [message]}
    note = services.credit_note_create(
        organization=org,
        actor=user,
        data={"invoice": invoice.pk, "items": [line("1", "5", "20.000"), line("1", "5", "0")]},
    )
    assert [row["category"] for row in note.tax_breakdown] == ["Z", "S"]


def test_the_issue_check_reads_the_parties_as_they_are_at_issue(org, user):
    business = BusinessFactory(organization=org, vat_id="ATU13585627")
    customer = CustomerFactory(organization=org, vat_id="")
    invoice = create(
        org, user, business, customer, [line("1", "10", "0", "AE")], vat_exemption_reasons={"AE": REVERSE_CHARGE}
    )
    with pytest.raises(BillingValidationError):
        services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"vat_id": "DE136695976"})
    issued = services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    assert issued.customer_snapshot["vat_id"] == "DE136695976"
