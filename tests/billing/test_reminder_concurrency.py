"""Payment reminder runs at the same moment (PostgreSQL): two threads with their own
connections, and two real Celery worker processes; each due step is queued once, each late
fee charged once, and the late fee invoices' numbers stay gapless."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from billing import services
from billing.models import Invoice, PaymentReminder
from billing.tasks import send_due_reminders
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.test_concurrency import run_concurrently
from tests.billing.test_recurring_workers import scheduled_workers  # noqa: F401 - a fixture
from tests.documents.test_reliability import wait_for
from tests.organizations.factories import OrganizationFactory

pytestmark = [pytest.mark.postgres]

DUE = date(2026, 3, 10)
INVOICES = 6
STEPS = [
    {"offset_days": -3},
    {"offset_days": 7, "late_fee_type": "fixed", "late_fee_value": "10.00"},
    {"offset_days": 14},
]


def _world(time_zone="Europe/Berlin"):
    org = OrganizationFactory(time_zone=time_zone)
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    with time_machine.travel(datetime(2026, 2, 1, 9, tzinfo=UTC), tick=False):
        invoices = [
            make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)
            for _ in range(INVOICES)
        ]
    return org, invoices


def _assert_once(org, invoices, *, steps):
    with organization_scope(org):
        for invoice in invoices:
            rows = list(PaymentReminder.objects.filter(invoice=invoice).order_by("step_number"))
            assert [r.step_number for r in rows] == steps
            assert sum(1 for r in rows if r.status != "skipped") == 1
        emails = list(
            OutboundEmail.objects.filter(organization=org, kind="reminder").values_list("invoice_id", flat=True)
        )
        assert sorted(emails) == sorted(invoice.pk for invoice in invoices)
        fees = Invoice.objects.filter(organization=org, late_fee_for__isnull=False)
        numbers = sorted(Invoice.objects.filter(organization=org).values_list("number", flat=True))
        assert numbers == [f"INV-2026-{n:04d}" for n in range(1, len(numbers) + 1)]
        return fees.count()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_queue_each_step_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org, invoices = _world()
    now = datetime(2026, 3, 17, 8, tzinfo=UTC)  # step 2 (+7, with a fee) is due
    results, errors = run_concurrently([lambda: services.run_due_reminders(now=now)] * 2)
    assert errors == [None, None], errors
    assert sum(r["queued"] for r in results) == INVOICES
    assert _assert_once(org, invoices, steps=[1, 2]) == INVOICES  # one fee per invoice


@pytest.mark.django_db(transaction=True)
def test_two_runs_after_a_ten_day_outage_send_only_the_latest_step(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org, invoices = _world()
    now = datetime(2026, 3, 27, 8, tzinfo=UTC)  # the beat was down since before step 1
    results, errors = run_concurrently([lambda: services.run_due_reminders(now=now)] * 2)
    assert errors == [None, None], errors
    assert sum(r["queued"] for r in results) == INVOICES
    assert _assert_once(org, invoices, steps=[1, 2, 3]) == 0  # step 2's fee was superseded too


@pytest.mark.redis
def test_two_worker_processes_running_the_beat_task_at_once_queue_each_step_once(scheduled_workers):  # noqa: F811
    # The workers run today; the invoices fell due 8 days ago (step 2 of 3 is due).
    org = OrganizationFactory(time_zone="UTC")
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    due = org.local_today() - timedelta(days=8)
    with time_machine.travel(datetime(due.year, due.month, due.day, tzinfo=UTC) - timedelta(days=30), tick=False):
        [
            make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=due)
            for _ in range(INVOICES)
        ]
    for _ in range(2):
        send_due_reminders.apply_async()

    def done():
        logs = "".join(log.read_text(errors="replace") for log in scheduled_workers)
        finished = [line for line in logs.splitlines() if "send_due_reminders[" in line and "succeeded" in line]
        return len(finished) >= 2

    assert wait_for(done, timeout=240), "\n".join(log.read_text(errors="replace")[-2000:] for log in scheduled_workers)
    with organization_scope(org):
        rows = PaymentReminder.objects.filter(organization=org)
        assert rows.count() == INVOICES * 2
        assert rows.filter(status="scheduled", step_number=2).count() == INVOICES
        assert OutboundEmail.objects.filter(organization=org, kind="reminder").count() == INVOICES
        assert Invoice.objects.filter(organization=org, late_fee_for__isnull=False).count() == INVOICES
        numbers = sorted(Invoice.objects.filter(organization=org).values_list("number", flat=True))
        year = numbers[0].split("-")[1]
        assert numbers == [f"INV-{year}-{n:04d}" for n in range(1, 2 * INVOICES + 1)]
