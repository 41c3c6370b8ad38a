"""Invoices: create with items, totals as strings in the currency's places, edit, delete,
issue, void, filters, and the error shapes of api.md."""

from datetime import date, timedelta

import pytest

from audit.models import AuditEntry
from billing.models import Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, assert_stored_totals, make_invoice

URL = "/api/v1/invoices/"
ITEM = {"description": "Design work", "quantity": "12.5", "unit_price": "80.00", "tax_rate": "20"}


def body(business, customer, **extra):
    return {"business": str(business.pk), "customer": str(customer.pk), "items": [dict(ITEM)], **extra}


def test_create_draft_with_items_and_defaults(api, org, business, customer):
    response = api.post(URL, body(business, customer), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    today = org.local_today()
    assert data["status"] == "draft" and data["number"] is None and data["is_overdue"] is False
    assert data["currency"] == "EUR"
    assert data["issue_date"] == today.isoformat()
    assert data["due_date"] == (today + timedelta(days=14)).isoformat()
    assert (data["subtotal"], data["discount_total"], data["tax_total"], data["total"]) == (
        "1000.00",
        "0.00",
        "200.00",
        "1200.00",
    )
    assert (data["amount_paid"], data["balance_due"]) == ("0.00", "1200.00")
    assert data["tax_breakdown"] == [
        {
            "category": "S",
            "rate": "20",
            "taxable_amount": "1000.00",
            "tax_amount": "200.00",
            "exemption_reason": "",
            "exemption_reason_code": "",
        }
    ]
    assert data["vat_exemption_reasons"] == {}
    [item] = data["items"]
    assert item["vat_category"] == "S"
    assert item["line_total"] == "1000.00" and item["quantity"] == "12.5" and item["id"]
    assert data["document"] is None or data["document"]["version"] == data["version"]
    for field in ("id", "version", "issued_at", "sent_at", "created_at", "updated_at", "business", "customer"):
        assert field in data
    with organization_scope(org):
        invoice = Invoice.objects.get(pk=data["id"])
        assert invoice.created_by_api_key is not None
        assert AuditEntry.objects.filter(action="invoice.created", target_id=data["id"]).exists()
    assert_stored_totals(invoice)


@pytest.mark.parametrize(
    ("currency", "unit_price", "total"),
    [("JPY", "1500", "1500"), ("KWD", "1.25", "1.250"), ("USD", "3", "3.00")],
)
def test_money_has_exactly_the_currency_places(api, business, customer, currency, unit_price, total):
    items = [{"description": "x", "quantity": "1", "unit_price": unit_price, "tax_rate": "0"}]
    response = api.post(URL, body(business, customer, currency=currency, items=items), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["total"] == total and data["items"][0]["line_total"] == total and data["balance_due"] == total


@pytest.mark.parametrize("field", ["quantity", "unit_price", "tax_rate"])
@pytest.mark.parametrize("number", [12.5, 12])
def test_json_numbers_for_decimals_are_400(api, business, customer, field, number):
    item = {**ITEM, field: number}
    response = api.post(URL, body(business, customer, items=[dict(ITEM), item]), format="json")
    assert response.status_code == 400
    errors = response.json()["items"]
    assert errors[0] == {} and "strings" in errors[1][field][0]


def test_json_number_discount_is_400(api, business, customer):
    response = api.post(URL, body(business, customer, discount_type="amount", discount_value=5.5), format="json")
    assert response.status_code == 400
    assert "strings" in response.json()["discount_value"][0]


def test_nested_item_errors_are_shaped_per_item(api, org, business, customer):
    items = [dict(ITEM), {**ITEM, "quantity": "0"}, {**ITEM, "unit_price": "1.23456", "description": ""}]
    response = api.post(URL, body(business, customer, items=items), format="json")
    assert response.status_code == 400
    errors = response.json()["items"]
    assert errors[0] == {}
    assert set(errors[1]) == {"quantity"}
    assert set(errors[2]) == {"unit_price", "description"}
    with organization_scope(org):
        assert not Invoice.objects.exists()


@pytest.mark.parametrize("value", ["1e5", "NaN", "Infinity", "abc", ""])
def test_unparseable_quantity_is_a_field_error(api, business, customer, value):
    response = api.post(URL, body(business, customer, items=[{**ITEM, "quantity": value}]), format="json")
    assert response.status_code == 400
    assert "quantity" in response.json()["items"][0]


def test_field_errors(api, business, customer):
    response = api.post(
        URL,
        body(business, customer, currency="EURO", due_date="2020-01-01", issue_date="2020-02-01", discount_type="x"),
        format="json",
    )
    assert response.status_code == 400
    assert {"currency", "discount_type"} <= set(response.json())


def test_a_currency_with_more_places_than_stored_is_refused(api, business, customer):
    response = api.post(URL, body(business, customer, currency="CLF"), format="json")
    assert response.status_code == 400
    assert response.json() == {"currency": ["CLF has 4 decimal places; Billora keeps amounts to 3."]}


def test_due_date_before_issue_date(api, business, customer):
    response = api.post(URL, body(business, customer, issue_date="2026-02-01", due_date="2026-01-01"), format="json")
    assert response.status_code == 400
    assert "due_date" in response.json()


def test_amount_discount_larger_than_subtotal_is_400(api, business, customer):
    response = api.post(URL, body(business, customer, discount_type="amount", discount_value="5000"), format="json")
    assert response.status_code == 400 and "discount_value" in response.json()


def test_unknown_and_other_org_references_get_the_same_message(api, org, other_org, business, customer):
    foreign = CustomerFactory(organization=other_org)
    foreign_business = BusinessFactory(organization=other_org)
    missing = "00000000-0000-0000-0000-000000000000"
    a = api.post(URL, {**body(business, customer), "customer": str(foreign.pk)}, format="json")
    b = api.post(URL, {**body(business, customer), "customer": missing}, format="json")
    c = api.post(URL, {**body(business, customer), "business": str(foreign_business.pk)}, format="json")
    assert a.status_code == b.status_code == c.status_code == 400
    assert a.json()["customer"] == b.json()["customer"] == c.json()["business"]
    with organization_scope(org):
        assert not Invoice.objects.exists()


def test_patch_replaces_items_and_recomputes(api, org, business, customer):
    created = api.post(URL, body(business, customer), format="json").json()
    items = [{"description": "A", "quantity": "2", "unit_price": "10", "tax_rate": "0"}]
    response = api.patch(f"{URL}{created['id']}/", {"items": items, "notes": "Thanks"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert len(data["items"]) == 1 and data["total"] == "20.00" and data["notes"] == "Thanks"
    assert data["version"] > created["version"]
    response = api.patch(f"{URL}{created['id']}/", {"terms": "Net 14"}, format="json")
    assert len(response.json()["items"]) == 1  # no items key: items kept


def test_patch_item_errors(api, business, customer):
    created = api.post(URL, body(business, customer), format="json").json()
    response = api.patch(f"{URL}{created['id']}/", {"items": [{**ITEM, "tax_rate": "101"}]}, format="json")
    assert response.status_code == 400
    assert "tax_rate" in response.json()["items"][0]


def test_issue_then_conflicts(api, org, business, customer):
    created = api.post(URL, body(business, customer), format="json").json()
    response = api.post(f"{URL}{created['id']}/issue/")
    assert response.status_code == 200, response.content
    issued = response.json()
    assert issued["status"] == "issued" and issued["number"].startswith("INV-") and issued["issued_at"]
    again = api.post(f"{URL}{created['id']}/issue/")
    assert again.status_code == 409 and again.json()["detail"]
    assert api.delete(f"{URL}{created['id']}/").status_code == 409
    changed = api.patch(
        f"{URL}{created['id']}/", {"customer": str(CustomerFactory(organization=org).pk)}, format="json"
    )
    assert changed.status_code == 409 and "credit note" in changed.json()["detail"]


def test_issue_without_items_is_409(api, business, customer):
    created = api.post(URL, body(business, customer, items=[]), format="json").json()
    assert api.post(f"{URL}{created['id']}/issue/").status_code == 409


def test_void_of_an_issued_invoice_is_409_naming_cancel(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = api.post(f"{URL}{invoice.pk}/void/")
    assert response.status_code == 409 and "cancel" in response.json()["detail"]
    assert api.get(f"{URL}{invoice.pk}/").json()["status"] == "issued"
    assert api.patch(f"{URL}{invoice.pk}/", {"notes": "x"}, format="json").status_code == 409
    old = make_invoice(organization=org, status="void")  # voided before: history
    assert api.get(f"{URL}{old.pk}/").json()["status"] == "void"
    assert api.post(f"{URL}{old.pk}/void/").status_code == 409


def test_void_paid_invoice_is_409(api, org):
    invoice = make_invoice(organization=org, status="paid")
    response = api.post(f"{URL}{invoice.pk}/void/")
    assert response.status_code == 409


def test_delete_draft(api, org, business, customer):
    created = api.post(URL, body(business, customer), format="json").json()
    assert api.delete(f"{URL}{created['id']}/").status_code == 204
    with organization_scope(org):
        assert not Invoice.objects.filter(pk=created["id"]).exists()
        assert AuditEntry.objects.filter(action="invoice.deleted").exists()


def test_read_only_key_cannot_touch_invoices(ro_api, org):
    invoice = make_invoice(organization=org)
    assert ro_api.get(f"{URL}{invoice.pk}/").status_code == 200
    assert ro_api.post(f"{URL}{invoice.pk}/issue/").status_code == 403
    assert ro_api.delete(f"{URL}{invoice.pk}/").status_code == 403
    assert ro_api.patch(f"{URL}{invoice.pk}/", {"notes": "x"}, format="json").status_code == 403


def test_list_filters_search_and_overdue(api, org):
    business = BusinessFactory(organization=org)
    acme = CustomerFactory(organization=org, name="Acme Corp")
    other = CustomerFactory(organization=org, name="Umbrella")
    draft = make_invoice(organization=org, business=business, customer=acme)
    past = org.local_today() - timedelta(days=40)
    overdue = make_invoice(
        organization=org, business=business, customer=other, status="issued",
        issue_date=past.isoformat(), due_date=(past + timedelta(days=10)).isoformat(),
    )  # fmt: skip
    paid = make_invoice(organization=org, customer=acme, status="paid")

    def ids(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {str(draft.pk), str(overdue.pk), str(paid.pk)}
    assert ids(status="draft") == {str(draft.pk)}
    assert ids(customer=str(acme.pk)) == {str(draft.pk), str(paid.pk)}
    assert ids(business=str(business.pk)) == {str(draft.pk), str(overdue.pk)}
    assert ids(overdue="true") == {str(overdue.pk)}
    assert ids(overdue="false") == {str(draft.pk), str(paid.pk)}
    assert ids(search="acme") == {str(draft.pk), str(paid.pk)}
    by_number = ids(search=overdue.number)  # the paid invoice's own business may reuse the number
    assert str(overdue.pk) in by_number and str(draft.pk) not in by_number
    assert ids(issue_date_before=(past + timedelta(days=1)).isoformat()) == {str(overdue.pk)}
    assert ids(issue_date_after=org.local_today().isoformat()) == {str(draft.pk), str(paid.pk)}
    assert ids(customer="00000000-0000-0000-0000-000000000000") == set()
    listed = {row["id"]: row for row in api.get(URL).json()["results"]}
    assert listed[str(overdue.pk)]["is_overdue"] is True
    assert api.get(URL, {"status": "nonsense"}).status_code == 400
    assert api.get(URL, {"customer": "not-a-uuid"}).status_code == 400
    assert api.get(URL, {"issue_date_after": "25/11/2026"}).status_code == 400


def test_list_is_newest_first_and_orderable(api, org):
    first = make_invoice(organization=org, issue_date=date(2026, 1, 5).isoformat(), due_date="2026-02-05")
    second = make_invoice(organization=org, issue_date=date(2026, 1, 1).isoformat(), due_date="2026-02-01")
    assert [row["id"] for row in api.get(URL).json()["results"]] == [str(second.pk), str(first.pk)]
    ordered = [row["id"] for row in api.get(URL, {"ordering": "issue_date"}).json()["results"]]
    assert ordered == [str(second.pk), str(first.pk)]
    ordered = [row["id"] for row in api.get(URL, {"ordering": "-issue_date"}).json()["results"]]
    assert ordered == [str(first.pk), str(second.pk)]


@pytest.mark.parametrize("currency", ["EUR", "JPY", "KWD"])
def test_list_and_detail_are_one_representation_of_the_declared_fields(api, org, currency):
    """The list presents plain ``.values()`` rows, the detail a model instance: the one presenter
    gives the same dict from both, with exactly the fields the schema declares, in that order."""
    from billing.api.serializers import InvoiceItemSerializer, InvoiceSerializer

    invoice = make_invoice(
        organization=org, status="partially_paid", currency=currency, discount_type="percent", discount_value="5"
    )
    detail = api.get(f"{URL}{invoice.pk}/")
    [listed] = api.get(URL).json()["results"]
    assert listed == detail.json()
    assert list(listed) == list(InvoiceSerializer().fields)
    assert [list(item) for item in listed["items"]] == [list(InvoiceItemSerializer().fields)] * 2


# --- the create response is the GET representation ------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {},  # every default: the business's currency (EUR), dates, notes and terms
        {
            "currency": "JPY",
            "discount_type": "amount",
            "discount_value": "500",
            "items": [
                {"description": "Tea", "quantity": "1.5", "unit_price": "1000", "tax_rate": "10"},
                {"description": "Untaxed", "quantity": "3", "unit_price": "333.3333"},
            ],
        },
        {
            "currency": "KWD",
            "issue_date": "2026-01-31",
            "due_date": "2026-03-01",
            "discount_type": "percent",
            "discount_value": "12.5",
            "notes": "  spaces kept  ",
            "terms": "",
            "items": [
                {"description": "Line ä ✓", "quantity": "3.0001", "unit_price": "1.2345", "tax_rate": "5.5"},
                {"description": " x ", "quantity": "2.5000", "unit_price": "0.0001", "tax_rate": "20.000"},
                {"description": "Same rate", "quantity": "1", "unit_price": "7", "tax_rate": "5.500"},
            ],
        },
        {"currency": "EUR", "discount_type": "none", "discount_value": "7", "items": []},
        {"issue_date": "2020-01-01", "due_date": "2020-01-02", "discount_type": "amount", "discount_value": "0.5"},
    ],
)
def test_create_response_is_what_get_returns(api, org, business, customer, extra):
    # The create response is serialized from what the service wrote, not read back.
    payload = {**body(business, customer), **extra}
    created = api.post(URL, payload, format="json")
    assert created.status_code == 201, created.content
    fetched = api.get(f"{URL}{created.json()['id']}/")
    assert fetched.status_code == 200
    assert created.content == fetched.content


def test_create_response_of_a_business_with_other_defaults_is_what_get_returns(api, org, customer):
    business = BusinessFactory(
        organization=org, default_currency="KWD", payment_terms_days=0, default_notes="Shukran", default_terms="Cash"
    )
    created = api.post(URL, body(business, customer), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["currency"] == "KWD" and created.json()["notes"] == "Shukran"
    assert created.content == api.get(f"{URL}{created.json()['id']}/").content
