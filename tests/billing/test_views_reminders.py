"""Payment reminder pages: a business's schedule with its preview, the invoice's timeline,
the opt-out switches, and the dashboard's next 7 days; roles and outsiders."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing import services
from billing.models import ReminderStep
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice
from tests.billing.webclient import MANAGERS, ROLES, form_errors, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db

STEPS = [
    {"offset_days": -3},
    {"offset_days": 7, "late_fee_type": "fixed", "late_fee_value": "15.00"},
    {"offset_days": 30},
]


def steps_of(org, business):
    with organization_scope(org):
        return list(ReminderStep.objects.filter(business=business).order_by("position"))


@pytest.mark.parametrize("role", ROLES)
def test_the_settings_page_shows_the_steps_and_their_preview(client, org, business, role):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    log_in(client, org, role)
    response = client.get(org_url("business_reminders", org, business_id=business.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="reminder-preview-2"' in page
    assert "Sample customer" in page and "INV-0001" in page and "7 days ago" in page
    assert ("Save reminders" in page) is (role in MANAGERS)


def test_the_preview_is_in_the_business_language_with_a_real_open_invoice(client, org, business, customer):
    business.language = "de"
    with organization_scope(org):
        business.save()
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS[1:2])
    invoice = make_invoice(organization=org, business=business, customer=customer, status="issued")
    log_in(client, org)
    page = client.get(org_url("business_reminders", org, business_id=business.pk)).content.decode()
    assert invoice.number in page and customer.name in page
    assert "Erinnerung: Rechnung" in page  # the built-in subject, in German


def test_saving_the_schedule(client, org, business, audit_entries):
    log_in(client, org)
    url = org_url("business_reminders", org, business_id=business.pk)
    data = {"offset_days_0": "14", "offset_days_1": "-3", "late_fee_type_0": "percent", "late_fee_value_0": "2.5"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert [(s.offset_days, s.late_fee_type) for s in steps_of(org, business)] == [(-3, "none"), (14, "percent")]
    assert len(audit_entries(action="business.reminders_updated")) == 1
    assert client.post(url, {}).status_code == 302 and steps_of(org, business) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"offset_days_0": "7", "offset_days_3": "7"}, "offset_days_3", "same number of days"),
        ({"offset_days_0": "soon"}, "offset_days_0", "valid integer"),
        ({"offset_days_1": "7", "late_fee_type_1": "fixed", "late_fee_value_1": "-5"}, "late_fee_value_1", ""),
        ({"offset_days_0": "7", "subject_0": "Pay {number"}, "subject_0", "braces"),
    ],
)
def test_schedule_errors_show_on_the_row(client, org, business, data, field, message):
    log_in(client, org)
    response = client.post(org_url("business_reminders", org, business_id=business.pk), data)
    assert response.status_code == 400
    assert message in " ".join(form_errors(response)[field])
    assert steps_of(org, business) == []


def test_a_member_cannot_change_the_schedule_and_outsiders_see_nothing(client, org, business):
    url = org_url("business_reminders", org, business_id=business.pk)
    log_in(client, org, Role.MEMBER)
    assert client.post(url, {"offset_days_0": "7"}).status_code == 403
    log_in_outsider(client)
    assert client.get(url).status_code == 404
    assert client.post(url, {"offset_days_0": "7"}).status_code == 404
    assert steps_of(org, business) == []


@pytest.fixture
def overdue(org, business, customer):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    today = org.local_today()
    issued = datetime(today.year, today.month, today.day, 12, tzinfo=UTC) - timedelta(days=40)
    with time_machine.travel(issued, tick=False):
        invoice = make_invoice(
            organization=org, business=business, customer=customer, status="issued", due_date=today - timedelta(days=8)
        )
    services.run_due_reminders()
    return invoice


def test_the_invoice_page_shows_the_timeline(client, org, overdue):
    log_in(client, org, Role.VIEWER)
    page = client.get(org_url("invoice_detail", org, invoice_id=overdue.pk)).content.decode()
    assert 'data-testid="reminder-1"' in page and "A later step was due at the same time" in page
    assert 'data-testid="reminder-2"' in page and "Late fee invoice" in page
    assert 'data-testid="reminder-3"' in page and "Upcoming" in page
    assert "Turn reminders off" not in page  # a viewer changes nothing


def test_the_invoice_and_customer_switches(client, org, overdue, customer, audit_entries):
    log_in(client, org, Role.MEMBER)
    response = client.post(org_url("invoice_reminders", org, invoice_id=overdue.pk), {"enabled": "0"})
    assert response.status_code == 302
    with organization_scope(org):
        overdue.refresh_from_db()
    assert overdue.reminders_enabled is False
    page = client.get(org_url("invoice_detail", org, invoice_id=overdue.pk)).content.decode()
    assert "Turn reminders on for this invoice" in page and 'data-testid="reminder-3"' not in page
    client.post(org_url("customer_reminders", org, customer_id=customer.pk), {"enabled": "0"})
    with organization_scope(org):
        customer.refresh_from_db()
    assert customer.reminders_enabled is False
    assert "Turn on" in client.get(org_url("customer_detail", org, customer_id=customer.pk)).content.decode()
    assert len(audit_entries(action="invoice.reminders_changed")) == 1


def test_switches_refuse_viewers_and_outsiders(client, org, overdue, customer):
    log_in(client, org, Role.VIEWER)
    assert client.post(org_url("invoice_reminders", org, invoice_id=overdue.pk), {"enabled": "0"}).status_code == 403
    log_in_outsider(client)
    assert client.post(org_url("invoice_reminders", org, invoice_id=overdue.pk), {"enabled": "0"}).status_code == 404
    assert client.post(org_url("customer_reminders", org, customer_id=customer.pk), {"enabled": "0"}).status_code == 404
    with organization_scope(org):
        overdue.refresh_from_db()
        customer.refresh_from_db()
    assert overdue.reminders_enabled and customer.reminders_enabled


def test_the_dashboard_lists_the_reminders_of_the_next_7_days(client, org, business, customer):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    today = org.local_today()
    soon = make_invoice(
        organization=org, business=business, customer=customer, status="issued", due_date=today + timedelta(days=5)
    )  # step 1 (-3) in 2 days
    make_invoice(
        organization=org, business=business, customer=customer, status="issued", due_date=today + timedelta(days=20)
    )  # nothing within 7 days
    log_in(client, org)
    page = client.get(org_url("dashboard", org)).content.decode()
    assert page.count('data-testid="upcoming-reminder"') == 1 and soon.number in page
