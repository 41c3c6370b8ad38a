"""Recurring runs at the same moment (PostgreSQL, threads with their own connections): each
due period gets exactly one invoice, and the invoice numbers stay gapless."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError

from billing import services
from billing.models import Invoice, RecurringInvoice, RecurringRun
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.test_concurrency import run_concurrently
from tests.organizations.factories import OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEM = {"description": "Retainer", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}


@pytest.fixture
def templates():
    """Two organizations, each with weekly and monthly templates started in May 2026."""
    made = []
    for _ in range(2):
        org = OrganizationFactory(time_zone="Europe/Berlin")
        business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
        for frequency, start in (("weekly", "2026-05-04"), ("monthly", "2026-05-15"), ("every_2_weeks", "2026-05-06")):
            data = {
                "business": str(business.pk),
                "customer": str(customer.pk),
                "frequency": frequency,
                "start_date": start,
                "items": [ITEM],
                "max_catch_up": 24,
            }
            made.append(services.recurring_invoice_create(organization=org, actor=None, data=data))
    return made


def assert_one_invoice_per_period_and_gapless(templates, expected_per_template):
    for template in templates:
        org = template.organization
        with organization_scope(org):
            runs = list(RecurringRun.objects.filter(organization=org, template=template).order_by("period"))
            assert [r.period for r in runs] == expected_per_template[template.frequency]
            assert len({r.invoice_id for r in runs}) == len(runs)
            numbers = sorted(Invoice.objects.filter(organization=org).values_list("number", flat=True))
            assert numbers == [f"INV-2026-{n:04d}" for n in range(1, len(numbers) + 1)]
            emails = OutboundEmail.objects.filter(organization=org).values_list("invoice_id", flat=True)
            assert sorted(emails) == sorted(Invoice.objects.filter(organization=org).values_list("pk", flat=True))


def weekly_from(start, until):
    days = []
    while start <= until:
        days.append(start)
        start += timedelta(days=7)
    return days


EXPECTED_JUNE_1 = {
    "weekly": weekly_from(date(2026, 5, 4), date(2026, 6, 1)),
    "monthly": [date(2026, 5, 15)],
    "every_2_weeks": [date(2026, 5, 6), date(2026, 5, 20)],
}


@pytest.mark.parametrize("workers", [2, 6])
def test_runs_at_the_same_moment_create_each_period_once(templates, workers):
    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    results, errors = run_concurrently([lambda: services.run_due_recurring_invoices(now=now)] * workers)
    assert errors == [None] * workers
    assert sum(result["invoices"] for result in results) == 2 * (5 + 1 + 2)
    assert all(result["failed"] == 0 for result in results)
    assert_one_invoice_per_period_and_gapless(templates, EXPECTED_JUNE_1)


def test_the_same_template_run_by_two_threads_waits_on_its_lock(templates):
    template = templates[0]
    now = datetime(2026, 6, 1, 8, tzinfo=UTC)

    def run_one():
        return len(services.recurring_invoice_run(organization=template.organization, template_id=template.pk, now=now))

    results, errors = run_concurrently([run_one, run_one])
    assert errors == [None, None]
    assert sorted(results) == [0, 5]


def test_the_unique_period_refuses_a_second_run_of_a_period_even_without_the_lock(templates):
    template = templates[0]
    org = template.organization
    services.recurring_invoice_run(organization=org, template_id=template.pk, now=datetime(2026, 5, 4, 9, tzinfo=UTC))
    with organization_scope(org), pytest.raises(IntegrityError):
        RecurringRun.objects.create(
            organization=org, template=template, period=date(2026, 5, 4), run_date=date(2026, 5, 4), status="skipped"
        )


def test_an_outage_then_concurrent_catch_up_creates_exactly_the_missing_invoices(templates):
    # Hourly runs until 10 May, nothing until 20 May, then six workers at once.
    moment = datetime(2026, 5, 4, 0, tzinfo=UTC)
    while moment < datetime(2026, 5, 10, tzinfo=UTC):
        services.run_due_recurring_invoices(now=moment)
        moment += timedelta(hours=1)
    with organization_scope(templates[0].organization):
        assert RecurringRun.objects.filter(template=templates[0]).count() == 1
    now = datetime(2026, 5, 20, 6, tzinfo=UTC)
    results, errors = run_concurrently([lambda: services.run_due_recurring_invoices(now=now)] * 6)
    assert errors == [None] * 6
    # Missing after the outage, per organization: weekly 11 and 18 May, monthly 15 May, fortnightly 20 May.
    assert sum(result["invoices"] for result in results) == 2 * 4
    expected = {
        "weekly": [date(2026, 5, 4), date(2026, 5, 11), date(2026, 5, 18)],
        "monthly": [date(2026, 5, 15)],
        "every_2_weeks": [date(2026, 5, 6), date(2026, 5, 20)],
    }
    assert_one_invoice_per_period_and_gapless(templates, expected)
    with organization_scope(templates[0].organization):
        assert RecurringInvoice.objects.get(pk=templates[0].pk).next_run_date == date(2026, 5, 25)


def test_runs_and_manual_issues_of_the_same_business_at_once_never_deadlock(templates):
    org = templates[0].organization
    business = templates[0].business
    drafts = [
        services.invoice_create(
            organization=org,
            actor=None,
            data={"business": str(business.pk), "customer": str(templates[0].customer_id), "items": [ITEM]}
            | {"issue_date": "2026-06-01", "due_date": "2026-06-30"},
        )
        for _ in range(8)
    ]
    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    issues = [lambda d=d: services.invoice_issue(organization=org, actor=None, invoice_id=d.pk).number for d in drafts]
    runs = [lambda: services.run_due_recurring_invoices(now=now)] * 3
    results, errors = run_concurrently(issues + runs)
    assert errors == [None] * len(errors)
    assert sum(result["failed"] for result in results[len(issues) :]) == 0
    with organization_scope(org):
        numbers = sorted(Invoice.objects.filter(organization=org).values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 8 + 8 + 1)]
