"""/api/v1/recurring-invoices/: templates, pause and resume, and the run history."""

from datetime import UTC, datetime

import pytest
import time_machine

from audit.models import AuditEntry
from billing import services
from billing.models import RecurringInvoice
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.vat_cases import AT_VAT, DE_VAT, REVERSE_CHARGE, line

URL = "/api/v1/recurring-invoices/"
ITEM = {"description": "Retainer", "quantity": "1", "unit_price": "500.00", "tax_rate": "19"}
FIELDS = {
    "id", "name", "business", "customer", "currency", "discount_type", "discount_value", "notes", "terms", "items",
    "vat_exemption_reasons", "frequency", "day_of_month", "start_date", "end_date", "count", "skip_weekends", "mode",
    "time_zone", "max_catch_up", "paused", "next_run_date", "last_period", "last_run_at", "skipped_count",
    "last_error", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def body(business, customer):
    return {
        "name": "Monthly retainer",
        "business": str(business.pk),
        "customer": str(customer.pk),
        "frequency": "monthly",
        "day_of_month": "last",
        "start_date": "2026-01-01",
        "items": [ITEM],
    }


@pytest.fixture
def template(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_and_read(api, template, org):
    assert set(template) == FIELDS
    assert template["day_of_month"] == "last" and template["next_run_date"] == "2026-01-31"
    assert template["items"][0] | {"id": None} == {**ITEM, "unit_price": "500", "vat_category": "S", "id": None}
    assert template["vat_exemption_reasons"] == {}
    assert template["mode"] == "issue_and_send" and template["max_catch_up"] == 3
    assert template["time_zone"] == org.time_zone and template["paused"] is False
    assert api.get(f"{URL}{template['id']}/").json() == template
    listed = api.get(URL).json()
    assert listed["count"] == 1 and listed["results"] == [template]
    with organization_scope(org):
        assert AuditEntry.objects.filter(action="recurring_invoice.created", target_id=template["id"]).exists()


def test_field_errors_are_400_with_paths(api, body):
    cases = [
        ({"frequency": "daily"}, "frequency"),
        ({"day_of_month": 0}, "day_of_month"),
        ({"day_of_month": True}, "day_of_month"),
        ({"day_of_month": [1]}, "day_of_month"),
        ({"count": "3"}, "count"),
        ({"end_date": "2025-01-01"}, "end_date"),
        ({"items": []}, "items"),
        ({"items": "x"}, "items"),
        ({"mode": None}, "mode"),
        ({"business": 5}, "business"),
        ({"start_date": "31.01.2026"}, "start_date"),
    ]
    for change, field in cases:
        response = api.post(URL, {**body, **change}, format="json")
        assert response.status_code == 400, (change, response.content)
        assert field in response.json(), (change, response.json())
    response = api.post(URL, {**body, "items": [{**ITEM, "quantity": 2}]}, format="json")
    assert response.json() == {"items": [{"quantity": ['Send decimals as strings (e.g. "12.50"), not JSON numbers.']}]}
    response = api.post(URL, {**body, "items": [ITEM, {**ITEM, "unit_price": "-1"}]}, format="json")
    assert response.status_code == 400 and response.json()["items"][0] == {}


def test_patch_pause_resume_and_delete(api, template, org):
    url = f"{URL}{template['id']}/"
    response = api.patch(url, {"max_catch_up": 6, "mode": "draft_only", "end_date": None}, format="json")
    assert response.status_code == 200 and response.json()["max_catch_up"] == 6
    paused = api.post(f"{url}pause/")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert api.post(f"{url}pause/").status_code == 409
    assert api.get(URL, {"paused": "true"}).json()["count"] == 1
    assert api.get(URL, {"paused": "maybe"}).status_code == 400
    with time_machine.travel(datetime(2026, 1, 15, tzinfo=UTC), tick=False):
        assert api.post(f"{url}resume/").json()["paused"] is False
    assert api.post(f"{url}resume/").status_code == 409
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_runs_list_the_history_with_invoice_ids_and_numbers(api, template, org):
    services.run_due_recurring_invoices(now=datetime(2026, 3, 31, 12, tzinfo=UTC))
    response = api.get(f"{URL}{template['id']}/runs/")
    assert response.status_code == 200, response.content
    runs = response.json()["results"]
    assert [(r["period"], r["status"], r["invoice_number"]) for r in runs] == [
        ("2026-03-31", "created", "INV-2026-0003"),
        ("2026-02-28", "created", "INV-2026-0002"),
        ("2026-01-31", "created", "INV-2026-0001"),
    ]
    invoice = api.get(f"/api/v1/invoices/{runs[0]['invoice']}/").json()
    assert invoice["number"] == "INV-2026-0003" and invoice["issue_date"] == "2026-03-31"
    assert api.get(f"{URL}{template['id']}/runs/", {"page_size": 1}).json()["count"] == 3
    assert api.get(f"{URL}{template['id']}/runs/", {"status": "x"}).status_code == 400
    detail = api.get(f"{URL}{template['id']}/").json()
    assert detail["last_period"] == "2026-03-31" and detail["next_run_date"] == "2026-04-30"


def test_the_catch_up_cap_is_visible(api, body, org):
    created = api.post(URL, {**body, "start_date": "2025-01-01", "max_catch_up": 2}, format="json").json()
    services.run_due_recurring_invoices(now=datetime(2026, 1, 31, 12, tzinfo=UTC))
    detail = api.get(f"{URL}{created['id']}/").json()
    assert detail["skipped_count"] == 11
    runs = api.get(f"{URL}{created['id']}/runs/").json()["results"]
    assert [r["status"] for r in runs[:3]] == ["created", "created", "skipped"]
    assert runs[2]["invoice"] is None and runs[2]["note"]


def test_read_only_keys_cannot_write(ro_api, api, template):
    assert ro_api.get(URL).status_code == 200
    assert ro_api.post(URL, {}, format="json").status_code == 403
    assert ro_api.post(f"{URL}{template['id']}/pause/").status_code == 403
    assert ro_api.delete(f"{URL}{template['id']}/").status_code == 403


def test_list_queries_do_not_grow_with_templates(api, body, org, django_assert_num_queries):
    for _ in range(3):
        api.post(URL, body, format="json")
    with organization_scope(org):
        assert RecurringInvoice.objects.count() == 3
    # The key, the count, the page of templates, and all their items.
    with django_assert_num_queries(4):
        assert api.get(URL).json()["count"] == 3
    for _ in range(5):
        api.post(URL, body, format="json")
    with django_assert_num_queries(4):
        assert api.get(URL).json()["count"] == 8


def test_a_line_whose_rate_does_not_suit_its_category_is_a_field_error(api, body):
    items = [line("1", "10", "20"), line("1", "10", "19", "AE"), line("1", "10", "0", "S"), line("1", "1", "0", "Q")]
    response = api.post(URL, {**body, "items": items}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "items": [
            {},
            {"tax_rate": ["Lines with reverse charge carry no VAT: set the tax rate to 0."]},
            {
                "tax_rate": [
                    "A line with the standard or a reduced rate needs a tax rate above 0; for 0% choose “Zero rated”."
                ]
            },
            {"vat_category": ["Choose a VAT category: one of S, Z, E, AE, K, G, O."]},
        ]
    }
    reasons = {"AE": {"code": "VATEX-EU-G", "text": "Export"}}
    response = api.post(URL, {**body, "vat_exemption_reasons": reasons}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "vat_exemption_reasons": {"AE": {"code": ["VATEX-EU-G explains export outside the EU, not reverse charge."]}}
    }


def test_a_reverse_charge_template_creates_reverse_charge_invoices(api, body, org):
    business = BusinessFactory(organization=org, country="AT", vat_id=AT_VAT)
    customer = CustomerFactory(organization=org, country="DE", vat_id=DE_VAT)
    created = api.post(
        URL,
        {
            **body,
            "business": str(business.pk),
            "customer": str(customer.pk),
            "items": [line("10", "150.00", "0", "AE")],
            "vat_exemption_reasons": {"AE": REVERSE_CHARGE},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["items"][0]["vat_category"] == "AE"
    assert created.json()["vat_exemption_reasons"] == {"AE": REVERSE_CHARGE}
    services.run_due_recurring_invoices(now=datetime(2026, 1, 31, 12, tzinfo=UTC))
    (run,) = api.get(f"{URL}{created.json()['id']}/runs/").json()["results"]
    invoice = api.get(f"/api/v1/invoices/{run['invoice']}/").json()
    assert invoice["status"] == "issued" and invoice["items"][0]["vat_category"] == "AE"
    assert (invoice["total"], invoice["tax_total"]) == ("1500.00", "0.00")
    assert invoice["tax_breakdown"] == [
        {
            "category": "AE",
            "rate": "0",
            "taxable_amount": "1500.00",
            "tax_amount": "0.00",
            "exemption_reason": REVERSE_CHARGE["text"],
            "exemption_reason_code": REVERSE_CHARGE["code"],
        }
    ]


# --- what its invoices will need, checked when it is saved ----------------------------------


def test_a_template_its_invoices_could_not_be_issued_from_is_refused_with_paths(api, body, org):
    """The issue rules, at save: the parties' VAT numbers for reverse charge, the reason."""
    response = api.post(URL, {**body, "items": [line("10", "150.00", "0", "AE")]}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "business": {"vat_id": ["Reverse charge needs your business's VAT number."]},
        "customer": {"vat_id": ["Reverse charge needs the customer's VAT number."]},
        "vat_exemption_reasons": {
            "AE": [
                "Reverse charge needs its reason, e.g. “Reverse charge: VAT to be accounted for by the recipient, "
                "art. 196 Directive 2006/112/EC”."
            ]
        },
    }
    with organization_scope(org):
        assert not RecurringInvoice.objects.filter(organization=org).exists()


def test_a_patch_that_would_break_issue_is_refused_and_changes_nothing(api, body, org):
    business = BusinessFactory(organization=org, country="AT", vat_id=AT_VAT)
    customer = CustomerFactory(organization=org, country="DE", vat_id=DE_VAT)
    reverse_charge = {
        **body,
        "business": str(business.pk),
        "customer": str(customer.pk),
        "items": [line("10", "150.00", "0", "AE")],
        "vat_exemption_reasons": {"AE": REVERSE_CHARGE},
    }
    created = api.post(URL, reverse_charge, format="json").json()
    outside_the_eu = CustomerFactory(organization=org, country="US", vat_id="")
    response = api.patch(f"{URL}{created['id']}/", {"customer": str(outside_the_eu.pk)}, format="json")
    assert response.status_code == 400
    assert response.json() == {"customer": {"vat_id": ["Reverse charge needs the customer's VAT number."]}}
    response = api.patch(
        f"{URL}{created['id']}/", {"items": [line("1", "10", "0", "K")], "vat_exemption_reasons": {}}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["vat_exemption_reasons"]) == ["K"]
    assert api.get(f"{URL}{created['id']}/").json() == created
