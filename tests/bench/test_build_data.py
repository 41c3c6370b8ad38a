"""Smoke test of the benchmark data builder at a tiny size, so it cannot rot: the data it
writes (COPY on PostgreSQL, bulk_create elsewhere) must satisfy the billing rules and
constraints, and the app must be able to read it through the API with the printed keys."""

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bench import build_data
from billing.calc import LineInput, balance_and_status, compute_totals
from billing.models import Business, Customer, Invoice, InvoiceItem, InvoiceStatus, NumberSequence, Payment
from organizations.models import Organization
from organizations.tenancy import all_tenants, organization_scope
from tests.accounts.factories import UserFactory
from tests.database_roles import as_table_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny():
    # No scope is open here: the builder must open its own (the scoped managers fail closed).
    # It loads with COPY, which row-level security refuses to the roles it binds: the
    # benchmarks build their data as the tables' owner.
    with as_table_owner():
        return build_data.ensure_data(orgs=2, invoices=25, small=10, log=lambda *args: None)


def test_builds_the_planned_organizations_with_working_api_keys(tiny):
    assert tiny.built
    assert [(org.slug, org.invoices) for org in tiny.orgs] == [("bench-01", 25), ("bench-02", 25), ("bench-small", 10)]
    assert (tiny.total_invoices, tiny.total_items) == (60, 60 * build_data.ITEMS_PER_INVOICE)
    for org in tiny.orgs:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {org.api_key}")
        response = client.get("/api/v1/invoices/?page_size=50")
        assert response.status_code == 200, response.content
        assert response.json()["count"] == org.invoices  # the key sees its own organization only


def test_stored_amounts_agree_with_calc_and_payments(tiny):
    with all_tenants():
        items = defaultdict(list)
        for item in InvoiceItem.objects.order_by("invoice", "position"):
            items[item.invoice_id].append(item)
        paid = defaultdict(Decimal)
        for payment in Payment.objects.filter(voided=False):
            paid[payment.invoice_id] += payment.amount
            assert payment.created_at <= timezone.now()
        invoices = list(Invoice.objects.all())
    assert invoices
    for invoice in invoices:
        lines = items[invoice.pk]
        assert [item.position for item in lines] == list(range(1, len(lines) + 1))
        totals = compute_totals(
            currency=invoice.currency,
            lines=[LineInput(i.quantity, i.unit_price, i.tax_rate) for i in lines],
            discount_type=invoice.discount_type,
            discount_value=invoice.discount_value,
        )
        assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (
            totals.subtotal,
            totals.discount_total,
            totals.tax_total,
            totals.total,
        )
        assert [(i.line_net, i.line_discount) for i in lines] == [(a.line_net, a.line_discount) for a in totals.lines]
        assert invoice.amount_paid == paid[invoice.pk]
        assert invoice.balance_due == invoice.total - invoice.amount_paid
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            assert invoice.amount_paid == 0
            assert (invoice.number is None) == (invoice.status == InvoiceStatus.DRAFT)
        else:
            assert balance_and_status(total=invoice.total, amount_paid=invoice.amount_paid)[1] == invoice.status
        assert invoice.created_at <= timezone.now()


def test_numbers_are_gapless_per_business_and_the_sequences_continue_from_them(tiny):
    with all_tenants():
        sequences = {(s.business_id, s.year): s.last_value for s in NumberSequence.objects.all()}
        businesses = {b.pk: b for b in Business.objects.all()}
        numbered = list(Invoice.objects.exclude(number=None).values_list("business_id", "issue_date", "number"))
    assert numbered
    seen = defaultdict(list)
    for business_id, issue_date, number in numbered:
        business = businesses[business_id]
        year = issue_date.year if business.invoice_number_yearly_reset else 0
        seen[(business_id, year)].append(number)
    assert set(seen) == set(sequences)
    for key, numbers in seen.items():
        assert len(numbers) == len(set(numbers))
        business = businesses[key[0]]
        width = business.invoice_number_width
        assert sorted(int(n[-width:]) for n in numbers) == list(range(1, sequences[key] + 1))


def test_reuse_gives_new_keys_and_refuses_partial_data(tiny):
    again = build_data.ensure_data(orgs=2, invoices=25, small=10, log=lambda *args: None)
    assert not again.built
    assert [org.slug for org in again.orgs] == [org.slug for org in tiny.orgs]
    assert {org.api_key for org in again.orgs}.isdisjoint({org.api_key for org in tiny.orgs})
    assert again.total_invoices == tiny.total_invoices  # nothing built twice
    with pytest.raises(SystemExit, match="--reset"):
        build_data.ensure_data(orgs=3, invoices=25, small=10, log=lambda *args: None)


def test_generated_mix_has_every_status_and_overdue_invoices():
    organization = Organization(name="Mix", slug="mix", time_zone="Europe/Berlin")
    user = UserFactory.build()
    rng = random.Random(7)
    with organization_scope(organization):
        businesses = build_data._make_businesses(organization, 1)
        customers = build_data._make_customers(organization, rng, 50)
    assert all(isinstance(c, Customer) for c in customers)
    invoices, _, payments, _ = build_data.generate_org_data(organization, user, businesses, customers, 800, rng)
    statuses = {row["status"] for row in invoices}
    # Every status but credited: the bench data has no credit notes (yet).
    assert statuses == set(InvoiceStatus.values) - {InvoiceStatus.CREDITED}
    today = organization.local_today()
    overdue = [r for r in invoices if r["status"] in ("issued", "partially_paid") and r["due_date"] < today]
    assert 0.02 < len(overdue) / len(invoices) < 0.3
    assert {row["currency"] for row in invoices} == {"EUR", "USD", "JPY"}
    assert payments


def test_dashboard_bench_shape_keeps_recent_activity_and_settles_history():
    """bench/dashboard_scale.py's organizations: the first RECENT_INVOICES invoices fall in
    the last 13 months, the rest are older and settled (paid or void)."""
    from datetime import timedelta

    from bench import dashboard_scale
    from bench.build_data import prepare_org, write_org

    total = dashboard_scale.RECENT_INVOICES + 200
    with as_table_owner():  # COPY, as the benchmarks build their data (see ``tiny``)
        _, organization, rows = prepare_org(
            "bench-dash-test", 99, total, age=dashboard_scale.invoice_age, settled_after=dashboard_scale.RECENT_DAYS
        )
        write_org(organization, rows)
    boundary = organization.local_today() - timedelta(days=dashboard_scale.RECENT_DAYS)
    with organization_scope(organization):
        invoices = Invoice.objects.filter(organization=organization)
        assert invoices.count() == total
        assert invoices.filter(issue_date__gte=boundary).count() == dashboard_scale.RECENT_INVOICES
        older = invoices.filter(issue_date__lt=boundary)
        assert older.count() == 200
        assert set(older.values_list("status", flat=True)) <= {InvoiceStatus.PAID, InvoiceStatus.VOID}
        recent_statuses = set(invoices.filter(issue_date__gte=boundary).values_list("status", flat=True))
    assert {InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PAID} <= recent_statuses
