"""Selectors: filters, derived overdue in the org's time zone, SQL aggregates, query counts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import selectors, services
from billing.exceptions import NotFound
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice

ITEM = {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}


def invoice(org, **kwargs):
    kwargs.setdefault("items", [ITEM])
    return make_invoice(organization=org, **kwargs)


def ids(queryset):
    return {row.pk for row in queryset}


@pytest.fixture
def scoped(org):
    """Evaluate querysets the way views do: inside the organization's scope."""
    with organization_scope(org):
        yield


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze "now" at 2026-11-25 23:30 UTC: already the 26th in Auckland, the 25th in Berlin."""
    moment = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_overdue_uses_the_organization_time_zone(org, frozen_now, scoped):
    due_25 = invoice(org, status="issued", issue_date="2026-11-01", due_date="2026-11-25")
    org.time_zone = "Europe/Berlin"  # 26 Nov 00:30 there: due the 25th -> overdue
    assert ids(selectors.invoice_list(organization=org, overdue=True)) == {due_25.pk}
    org.time_zone = "America/New_York"  # still 25 Nov 18:30: not overdue yet
    assert ids(selectors.invoice_list(organization=org, overdue=True)) == set()
    with organization_scope(org):
        row = selectors.invoice_list(organization=org).get(pk=due_25.pk)
    assert row.is_overdue is False


def test_only_open_invoices_are_overdue(org, scoped):
    past = {"issue_date": "2020-01-01", "due_date": "2020-01-31"}
    open_ones = {invoice(org, status=s, **past).pk for s in ("issued", "partially_paid")}
    closed = {invoice(org, status=s, **past).pk for s in ("draft", "paid", "void")}
    not_due = invoice(org, status="issued", issue_date="2020-01-01", due_date="2999-01-01").pk
    with organization_scope(org):
        rows = {row.pk: row.is_overdue for row in selectors.invoice_list(organization=org)}
    assert {pk for pk, overdue in rows.items() if overdue} == open_ones
    assert ids(selectors.invoice_list(organization=org, overdue=True)) == open_ones
    assert ids(selectors.invoice_list(organization=org, overdue=False)) == closed | {not_due}


def test_invoice_list_filters(org, other_org):
    business, other_business = BusinessFactory(organization=org), BusinessFactory(organization=org)
    alice = CustomerFactory(organization=org, name="Alice Ltd")
    bob = CustomerFactory(organization=org, name="Bob & Co")
    a = invoice(org, business=business, customer=alice, status="issued", issue_date="2026-01-10", due_date="2026-02-10")
    b = invoice(
        org, business=other_business, customer=bob, status="draft", issue_date="2026-03-10", due_date="2026-04-10"
    )
    c = invoice(org, business=business, customer=bob, status="paid", issue_date="2026-05-10", due_date="2026-06-10")
    foreign = invoice(other_org, status="issued")
    with organization_scope(org):
        assert ids(selectors.invoice_list(organization=org)) == {a.pk, b.pk, c.pk}
        assert ids(selectors.invoice_list(organization=org, status="draft")) == {b.pk}
        assert ids(selectors.invoice_list(organization=org, status=["issued", "paid"])) == {a.pk, c.pk}
        assert ids(selectors.invoice_list(organization=org, customer=bob.pk)) == {b.pk, c.pk}
        assert ids(selectors.invoice_list(organization=org, customer=str(alice.pk))) == {a.pk}
        assert ids(selectors.invoice_list(organization=org, business=other_business)) == {b.pk}
        assert ids(selectors.invoice_list(organization=org, search="alice")) == {a.pk}
        assert ids(selectors.invoice_list(organization=org, search=a.number)) == {a.pk}
        assert ids(selectors.invoice_list(organization=org, issue_date_after=date(2026, 3, 1))) == {b.pk, c.pk}
        assert ids(selectors.invoice_list(organization=org, issue_date_before="2026-03-10")) == {a.pk, b.pk}
        assert ids(selectors.invoice_list(organization=org, customer=foreign.customer_id)) == set()
        assert ids(selectors.invoice_list(organization=org, customer="not-a-uuid")) == set()
        ordered = [row.pk for row in selectors.invoice_list(organization=org, ordering="issue_date")]
        assert ordered == [a.pk, b.pk, c.pk]
        newest = [row.pk for row in selectors.invoice_list(organization=org, ordering="drop table")]
        assert newest == [c.pk, b.pk, a.pk]


def test_invoice_detail_and_tenancy(org, other_org, django_assert_num_queries):
    paid = invoice(org, status="paid")
    foreign = invoice(other_org, status="issued")
    with organization_scope(org):
        with django_assert_num_queries(3):  # invoice + joins, items, payments
            detail = selectors.invoice_detail(organization=org, invoice_id=paid.pk)
            assert [item.description for item in detail.items.all()] == ["Work"]
            assert [payment.amount for payment in detail.payments.all()] == [Decimal("100.000")]
            assert detail.customer.name and detail.business.name
        for bad in (foreign.pk, "nope", None):
            with pytest.raises(NotFound):
                selectors.invoice_detail(organization=org, invoice_id=bad)


def test_customer_list(org, other_org):
    alice = CustomerFactory(organization=org, name="Alice", email="a@x.example")
    bob = CustomerFactory(organization=org, name="Bob", email="finance@alice.example", archived=True)
    CustomerFactory(organization=other_org, name="Alice elsewhere")
    with organization_scope(org):
        assert [c.pk for c in selectors.customer_list(organization=org)] == [alice.pk, bob.pk]
        assert ids(selectors.customer_list(organization=org, search="alice")) == {alice.pk, bob.pk}
        assert ids(selectors.customer_list(organization=org, archived=False)) == {alice.pk}
        assert ids(selectors.customer_list(organization=org, archived=True)) == {bob.pk}


def test_payment_list(org, user):
    first = invoice(org, status="paid")
    invoice(org, status="partially_paid")
    with organization_scope(org):
        assert selectors.payment_list(organization=org).count() == 2
        [payment] = selectors.payment_list(organization=org, invoice=first.pk)
        assert payment.invoice_id == first.pk


def test_dashboard_figures(org, other_org, user):
    today = org.local_today()
    long_ago = {"issue_date": "2020-01-01", "due_date": "2020-01-31"}
    invoice(org, status="issued", **long_ago)  # 100 overdue
    partly = invoice(
        org, status="issued", issue_date=today.isoformat(), due_date=(today + timedelta(days=9)).isoformat()
    )
    services.payment_record(organization=org, actor=user, invoice_id=partly.pk, amount="30.00", date=today)
    old = invoice(org, status="issued", **long_ago)
    services.payment_record(
        organization=org, actor=user, invoice_id=old.pk, amount="100.00", date=today - timedelta(days=45)
    )  # paid, outside the 30-day window
    voided = invoice(org, status="issued")
    payment = services.payment_record(organization=org, actor=user, invoice_id=voided.pk, amount="50", date=today)
    services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="bounced")
    invoice(org, status="draft")
    invoice(org, status="void")
    invoice(org, status="issued", currency="JPY", items=[{**ITEM, "unit_price": "5000"}], **long_ago)
    invoice(other_org, status="issued", **long_ago)
    with organization_scope(org):
        figures = selectors.dashboard_figures(organization=org)
    assert figures == [
        {
            "currency": "EUR",
            "outstanding": Decimal("270.00"),  # 100 + 70 + 100 (voided payment does not count)
            "overdue_count": 1,
            "overdue_amount": Decimal("100.00"),
            "paid_last_30_days": Decimal("30.00"),
        },
        {
            "currency": "JPY",
            "outstanding": Decimal("5000"),
            "overdue_count": 1,
            "overdue_amount": Decimal("5000"),
            "paid_last_30_days": Decimal("0"),
        },
    ]


def test_invoiced_vs_paid_by_month(org, user, frozen_now):
    org.time_zone = "Pacific/Auckland"  # already 26 November there, in both months below
    this_month = invoice(org, status="issued", issue_date="2026-11-26", due_date="2026-12-26")
    services.payment_record(organization=org, actor=user, invoice_id=this_month.pk, amount="40", date="2026-11-26")
    invoice(org, status="paid", issue_date="2026-01-15", due_date="2026-02-15")  # paid today: Nov
    invoice(org, status="issued", issue_date="2025-11-30", due_date="2025-12-30")  # 12 months back + 1: out
    invoice(org, status="draft", issue_date="2026-11-02", due_date="2026-11-30")
    invoice(org, status="void", issue_date="2026-11-02", due_date="2026-11-30")
    invoice(org, status="issued", currency="USD", issue_date="2026-06-01", due_date="2026-06-01")
    with organization_scope(org):
        series = selectors.invoiced_vs_paid_by_month(organization=org, months=12)
    assert [s["currency"] for s in series] == ["EUR", "USD"]
    eur = series[0]["months"]
    assert [m["month"] for m in eur] == [date(2025, 12, 1)] + [date(2026, month, 1) for month in range(1, 12)]
    by_month = {m["month"]: (m["invoiced"], m["paid"]) for m in eur}
    assert by_month[date(2026, 11, 1)] == (Decimal("100.00"), Decimal("140.00"))
    assert by_month[date(2026, 1, 1)] == (Decimal("100.00"), Decimal("0.00"))
    assert sum(invoiced for invoiced, _ in by_month.values()) == Decimal("200.00")
    usd = {m["month"]: m["invoiced"] for m in series[1]["months"]}
    assert usd[date(2026, 6, 1)] == Decimal("100.00")


def test_list_and_aggregates_run_a_constant_number_of_queries(org, user):
    def build(count):
        for index in range(count):
            status = ["issued", "paid", "partially_paid", "draft"][index % 4]
            invoice(
                org,
                status=status,
                customer=CustomerFactory(organization=org),
                business=BusinessFactory(organization=org),
            )

    def queries():
        with organization_scope(org), CaptureQueriesContext(connection) as captured:
            rows = list(selectors.invoice_list(organization=org))
            assert all(row.customer.name and row.business.name for row in rows)
            assert len(selectors.dashboard_figures(organization=org)) == 1
            assert len(selectors.invoiced_vs_paid_by_month(organization=org)) == 1
            list(selectors.customer_list(organization=org))
            list(selectors.payment_list(organization=org))
        return len(rows), len(captured)

    build(2)
    small = queries()
    build(10)
    large = queries()
    assert (small[0], large[0]) == (2, 12)
    # list 1, dashboard 2, months 2, customers 1, payments 1: the same for 2 or 12 invoices
    assert small[1] == large[1] == 7


def _brute_force_dashboard(org, today, months):
    """The dashboard's figures computed in Python from every invoice and payment row."""
    from billing.models import Invoice, Payment

    with organization_scope(org):
        invoices = list(Invoice.objects.filter(organization=org))
        payments = list(Payment.objects.filter(organization=org).select_related("invoice"))
    figures, series = {}, {}
    zero = {"outstanding": Decimal(0), "overdue_count": 0, "overdue_amount": Decimal(0), "paid_last_30_days": 0}
    starts = selectors._month_starts(today, months)
    for row in invoices:
        if row.status in ("issued", "partially_paid"):
            entry = figures.setdefault(row.currency, {"currency": row.currency, **zero})
            entry["outstanding"] += row.balance_due
            if row.due_date < today:
                entry["overdue_count"] += 1
                entry["overdue_amount"] += row.balance_due
        if row.status in ("issued", "partially_paid", "paid") and starts[0] <= row.issue_date <= today:
            month = date(row.issue_date.year, row.issue_date.month, 1)
            cells = series.setdefault(row.currency, {start: [Decimal(0), Decimal(0)] for start in starts})
            cells[month][0] += row.total
    for payment in payments:
        currency = payment.invoice.currency
        if payment.voided:
            continue
        if today - timedelta(days=30) < payment.date <= today:
            entry = figures.setdefault(currency, {"currency": currency, **zero})
            entry["paid_last_30_days"] += payment.amount
        if starts[0] <= payment.date <= today:
            cells = series.setdefault(currency, {start: [Decimal(0), Decimal(0)] for start in starts})
            cells[date(payment.date.year, payment.date.month, 1)][1] += payment.amount
    return figures, series


def test_dashboard_aggregates_match_a_brute_force_computation(org, other_org, user):
    """Random invoices over two years (every status, three currencies, due dates on both sides
    of today, payments inside and outside the windows, some voided): the bounded SQL aggregates
    give exactly what summing every row in Python gives."""
    import random

    rng = random.Random(7)
    today = org.local_today()
    businesses = [BusinessFactory(organization=org)]
    customers = {currency: CustomerFactory(organization=org, currency=currency) for currency in ("EUR", "USD", "JPY")}
    for _ in range(36):
        currency = rng.choice(sorted(customers))
        issue_date = today - timedelta(days=rng.randrange(730))
        due_date = issue_date + timedelta(days=rng.choice([0, 14, 30, 60]))
        price = "5000" if currency == "JPY" else rng.choice(["100.00", "33.33", "1250.50"])
        status = rng.choice(["draft", "issued", "issued", "void", "paid"])
        created = invoice(
            org,
            status="draft" if status in ("draft", "paid") else status,
            business=businesses[0],
            customer=customers[currency],
            currency=currency,
            issue_date=issue_date.isoformat(),
            due_date=due_date.isoformat(),
            items=[{**ITEM, "unit_price": price, "quantity": str(rng.randint(1, 3))}],
        )
        if status != "paid":
            continue
        created = services.invoice_issue(organization=org, actor=user, invoice_id=created.pk)
        for share in rng.choice([[1], [Decimal("0.5")], [Decimal("0.25"), Decimal("0.5")]]):
            paid_on = issue_date + timedelta(days=rng.randrange((today - issue_date).days + 1))
            amount = created.total if share == 1 else (created.total * share).quantize(Decimal(1))
            payment = services.payment_record(
                organization=org, actor=user, invoice_id=created.pk, amount=str(max(amount, 1)), date=paid_on
            )
            if rng.random() < 0.2:
                services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="bounced")
    invoice(other_org, status="issued", issue_date=today.isoformat(), due_date=today.isoformat())
    figures, series = _brute_force_dashboard(org, today, 12)
    assert len(figures) >= 2 and any(row["overdue_count"] for row in figures.values())

    with organization_scope(org):
        got = selectors.dashboard_figures(organization=org)
        months = selectors.invoiced_vs_paid_by_month(organization=org, months=12)
    assert got == [figures[currency] for currency in sorted(figures)]
    assert [row["currency"] for row in months] == sorted(series)
    for row in months:
        expected = series[row["currency"]]
        assert [(m["month"], m["invoiced"], m["paid"]) for m in row["months"]] == [
            (start, *expected[start]) for start in sorted(expected)
        ]


def test_dashboard_counts_credits_and_refunds(org, user):
    """Outstanding is what customers still owe: a credit note lowers it, a cancelled invoice
    owes nothing, and a refund counts against the money received in its period."""
    today = org.local_today()
    dates = {"issue_date": today.isoformat(), "due_date": (today + timedelta(days=9)).isoformat()}
    credited = invoice(org, status="issued", **dates)  # 100, 30 credited: 70 owed
    note = services.credit_note_create(
        organization=org, actor=user, data={"invoice": credited.pk, "items": [{**ITEM, "unit_price": "30.00"}]}
    )
    services.credit_note_issue(organization=org, actor=user, credit_note_id=note.pk)
    cancelled = invoice(org, status="issued", **dates)
    services.payment_record(organization=org, actor=user, invoice_id=cancelled.pk, amount="100.00", date=today)
    services.invoice_cancel(organization=org, actor=user, invoice_id=cancelled.pk)  # 100 refund due
    services.payment_record(
        organization=org, actor=user, invoice_id=cancelled.pk, amount="40.00", date=today, kind="refund"
    )
    with organization_scope(org):
        [figures] = selectors.dashboard_figures(organization=org)
        [series] = selectors.invoiced_vs_paid_by_month(organization=org, months=1)
    assert (figures["outstanding"], figures["paid_last_30_days"]) == (Decimal("70.00"), Decimal("60.00"))
    assert series["months"][-1]["invoiced"] == Decimal("70.00")  # 100 - 30; the cancelled one counts nothing
    assert series["months"][-1]["paid"] == Decimal("60.00")
