"""Payment reminders through the API: the schedule on the business resource, an invoice's
reminders and its opt-out, the customer's opt-out."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from audit.models import AuditEntry
from billing import services
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice

DUE = date(2026, 3, 10)
STEPS = [
    {"offset_days": 14, "late_fee_type": "fixed", "late_fee_value": "15.00", "subject": "Still open: {number}"},
    {"offset_days": -3},
]


@pytest.fixture
def invoice(org, business, customer):
    with time_machine.travel(datetime(2026, 2, 1, 9, tzinfo=UTC), tick=False):
        return make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)


def test_the_schedule_is_set_and_read_on_the_business(api, business, org):
    url = f"/api/v1/businesses/{business.pk}/"
    response = api.patch(url, {"reminder_steps": STEPS}, format="json")
    assert response.status_code == 200, response.content
    steps = response.json()["reminder_steps"]
    assert [step["offset_days"] for step in steps] == [-3, 14]
    assert steps[1] == {
        "offset_days": 14,
        "subject": "Still open: {number}",
        "body": steps[1]["body"],
        "late_fee_type": "fixed",
        "late_fee_value": "15",
    }
    assert "{open_invoices}" in steps[1]["body"] and steps[0]["late_fee_type"] == "none"
    assert api.get(url).json()["reminder_steps"] == steps
    assert api.get("/api/v1/businesses/").json()["results"][0]["reminder_steps"] == steps
    with organization_scope(org):
        assert AuditEntry.objects.filter(action="business.reminders_updated", target_id=str(business.pk)).exists()
    assert api.patch(url, {"reminder_steps": []}, format="json").json()["reminder_steps"] == []


def test_a_business_is_created_with_its_schedule(api):
    body = {"name": "Acme", "country": "FR", "reminder_steps": [{"offset_days": 7}]}
    response = api.post("/api/v1/businesses/", body, format="json")
    assert response.status_code == 201, response.content
    assert [step["offset_days"] for step in response.json()["reminder_steps"]] == [7]


@pytest.mark.parametrize(
    ("steps", "errors"),
    [
        ([{"offset_days": n} for n in range(6)], {"reminder_steps"}),
        ([{"offset_days": 7}, {"offset_days": 7}], {"reminder_steps.1.offset_days"}),
        ([{"offset_days": 7, "late_fee_type": "weekly"}], {"reminder_steps.0.late_fee_type"}),
        ([{"offset_days": 7, "late_fee_type": "percent", "late_fee_value": "-1"}], {"reminder_steps.0.late_fee_value"}),
        ([{"offset_days": 7, "late_fee_type": "fixed"}], {"reminder_steps.0.late_fee_value"}),
        ([{"offset_days": 1000}], {"reminder_steps.0.offset_days"}),
        ("soon", {"reminder_steps"}),
        ([7], {"reminder_steps.0"}),
    ],
)
def test_schedule_errors_are_400_tied_to_the_field(api, business, steps, errors):
    response = api.patch(f"/api/v1/businesses/{business.pk}/", {"reminder_steps": steps}, format="json")
    assert response.status_code == 400, response.content
    assert _paths(response.json()) >= errors, response.json()


def _paths(body, prefix="") -> set[str]:
    """The field paths of an error body, nested or dotted."""
    paths = set()
    entries = body.items() if isinstance(body, dict) else enumerate(body)
    for key, value in entries:
        if isinstance(value, str):
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if value:
            paths.add(path)
        paths |= _paths(value, path) if isinstance(value, dict | list) else set()
    return paths


def test_an_invoice_reminders_and_its_opt_out(api, org, business, invoice):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    with time_machine.travel(datetime(2026, 3, 8, 9, tzinfo=UTC), tick=False):
        services.run_due_reminders(now=datetime(2026, 3, 8, 9, tzinfo=UTC))
    url = f"/api/v1/invoices/{invoice.pk}/reminders/"
    body = api.get(url).json()
    assert body["reminders_enabled"] is True
    assert [(r["step"], r["date"], r["status"], r["upcoming"]) for r in body["reminders"]] == [
        (1, "2026-03-07", "scheduled", False),
        (2, "2026-03-24", "scheduled", True),
    ]
    response = api.patch(url, {"reminders_enabled": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["reminders_enabled"] is False
    assert [r["step"] for r in response.json()["reminders"]] == [1]  # nothing more to come
    detail = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert detail["reminders_enabled"] is False and detail["late_fee_for"] is None
    assert detail["version"] == invoice.version
    assert api.patch(url, {"reminders_enabled": "maybe"}, format="json").status_code == 400
    with organization_scope(org):
        assert AuditEntry.objects.filter(action="invoice.reminders_changed", target_id=str(invoice.pk)).exists()


def test_read_only_keys_cannot_opt_out(ro_api, invoice):
    url = f"/api/v1/invoices/{invoice.pk}/reminders/"
    assert ro_api.get(url).status_code == 200
    assert ro_api.patch(url, {"reminders_enabled": False}, format="json").status_code == 403


def test_a_customer_opts_out(api, customer):
    url = f"/api/v1/customers/{customer.pk}/"
    assert api.get(url).json()["reminders_enabled"] is True
    response = api.patch(url, {"reminders_enabled": False}, format="json")
    assert response.status_code == 200 and response.json()["reminders_enabled"] is False


def test_another_organizations_invoice_reminders_are_404(outsider_api, invoice):
    url = f"/api/v1/invoices/{invoice.pk}/reminders/"
    assert outsider_api.get(url).status_code == 404
    assert outsider_api.patch(url, {"reminders_enabled": False}, format="json").status_code == 404


def test_a_late_fee_invoice_names_its_invoice(api, org, business, invoice):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    now = datetime(2026, 3, 25, 9, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        services.run_due_reminders(now=now)
    reminders = api.get(f"/api/v1/invoices/{invoice.pk}/reminders/").json()["reminders"]
    fee_id = reminders[-1]["late_fee_invoice"]
    assert [r["reason"] for r in reminders] == ["superseded", ""] and fee_id
    fee = api.get(f"/api/v1/invoices/{fee_id}/").json()
    assert fee["late_fee_for"] == str(invoice.pk) and fee["total"] == "15.00" and fee["status"] == "issued"
    assert fee["due_date"] >= (DUE + timedelta(days=14)).isoformat()
