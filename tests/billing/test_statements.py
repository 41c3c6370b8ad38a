"""Customer statements: balances over a scripted history, exact per currency; bounded queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.exceptions import BillingValidationError, NotFound
from billing.statements import customer_statement
from billing.validation import default_statement_period
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.statement_history import END, EXPECTED_EUR, START, invoice, make_history, pay


@pytest.fixture
def history(org, business, customer):
    return make_history(org, business, customer)


def statement(org, customer, start=START, end=END):
    with organization_scope(org):
        return customer_statement(organization=org, customer_id=customer.pk, start=start, end=end)


def test_balances_lines_and_running_balance_per_currency(org, business, customer, history):
    result = statement(org, customer)
    assert (result.start, result.end) == (date(2025, 3, 1), date(2025, 3, 31))
    assert result.business == business
    eur, jpy = result.currencies
    assert eur.currency == "EUR" and jpy.currency == "JPY"
    assert eur.opening_balance == Decimal("80.00")
    assert [(line.kind, line.amount, line.balance) for line in eur.lines] == EXPECTED_EUR
    assert eur.closing_balance == Decimal("30.00")
    # Exact money at the currency's places, never floats.
    assert str(eur.closing_balance) == "30.00" and str(eur.lines[0].amount) == "360.00"
    invoices, notes, payments = history.invoices, history.credit_notes, history.payments
    assert [line.id for line in eur.lines] == [
        invoices["c"].pk,
        payments["b2"].pk,
        payments["c"].pk,
        notes["c"].pk,
        payments["refund"].pk,
        invoices["d"].pk,
        payments["d"].pk,
    ]
    first, b_payment, _, note, refund, *_ = eur.lines
    assert (first.number, first.due_date) == (invoices["c"].number, date(2025, 3, 5))
    assert (b_payment.number, b_payment.invoice_number, b_payment.method) == (
        "TRX-2",
        invoices["b"].number,
        "bank_transfer",
    )
    assert (note.number, note.invoice_number) == (notes["c"].number, invoices["c"].number)
    assert refund.invoice_number == invoices["c"].number
    assert eur.totals == {
        "invoice": Decimal("410.00"),
        "credit_note": Decimal("360.00"),
        "payment": Decimal("460.00"),
        "refund": Decimal("360.00"),
    }
    assert jpy.opening_balance == Decimal("600") and str(jpy.opening_balance) == "600"
    assert [(line.kind, line.amount, line.balance) for line in jpy.lines] == [
        ("payment", Decimal("-600"), Decimal("0"))
    ]
    assert jpy.closing_balance == Decimal("0")


def test_closing_balance_is_what_the_invoices_owe(org, business, customer, history):
    """Over all time, the closing balance equals the sum of the counted invoices' balances."""
    result = statement(org, customer, start="2000-01-01", end="2025-12-31")
    eur = result.currencies[0]
    assert eur.opening_balance == Decimal("0.00")
    owed = sum(history.invoices[key].balance_due for key in "abcde")
    assert eur.closing_balance == owed == Decimal("140.00")


def test_a_period_before_anything_and_one_after_everything(org, business, customer, history):
    assert statement(org, customer, start="2024-01-01", end="2024-12-31").currencies == ()
    later = statement(org, customer, start="2025-05-01", end="2025-05-31")
    [eur] = later.currencies  # JPY is settled: no section
    assert (eur.opening_balance, eur.lines, eur.closing_balance) == (Decimal("140.00"), (), Decimal("140.00"))


def test_a_one_day_period_includes_both_ends(org, business, customer, history):
    eur, jpy = statement(org, customer, start="2025-03-08", end="2025-03-08").currencies
    assert (jpy.opening_balance, jpy.lines, jpy.closing_balance) == (Decimal("600"), (), Decimal("600"))
    assert eur.opening_balance == Decimal("360.00")
    assert [line.kind for line in eur.lines] == ["payment"]
    assert eur.closing_balance == Decimal("0.00")


def test_other_customers_and_organizations_are_left_out(org, business, customer, other_org, history):
    other = CustomerFactory(organization=org)
    invoice(org, business, other, "2025-03-03", "10.00")
    foreign_business = BusinessFactory(organization=other_org)
    foreign_customer = CustomerFactory(organization=other_org)
    invoice(other_org, foreign_business, foreign_customer, "2025-03-03", "10.00")
    [eur, _jpy] = statement(org, customer).currencies
    assert len(eur.lines) == len(EXPECTED_EUR)
    [only] = statement(org, other).currencies
    assert [line.amount for line in only.lines] == [Decimal("12.00")]
    with pytest.raises(NotFound):
        statement(org, foreign_customer)


def test_query_count_does_not_grow_with_the_history(org, business, customer):
    def count():
        with organization_scope(org), CaptureQueriesContext(connection) as queries:
            customer_statement(organization=org, customer_id=customer.pk, start="2025-03-01", end="2025-03-31")
        return len(queries)

    assert count() == 9  # no invoice yet: the seller is the organization's first business
    invoice(org, business, customer, "2025-01-15", "10.00")
    small = count()
    for day in ("2025-02-01", "2025-03-02", "2025-03-03"):
        target = invoice(org, business, customer, day, "10.00")
        pay(org, target, "5.00", day)
    assert count() == small == 8


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2025-13-01", "2025-12-31", "start"),
        ("yesterday", "2025-12-31", "start"),
        ("2025-01-01", "2025-02-30", "end"),
        ("2025-01-01T00:00", "2025-02-01", "start"),
        ("2025-03-01", "2025-02-28", "end"),
    ],
)
def test_bad_periods_are_field_errors(org, customer, start, end, field):
    with pytest.raises(BillingValidationError) as caught:
        statement(org, customer, start=start, end=end)
    assert list(caught.value.messages) == [field]


def test_the_default_period_is_this_year_or_the_last_90_days(org, customer):
    assert default_statement_period(date(2026, 12, 1)) == (date(2026, 1, 1), date(2026, 12, 1))
    assert default_statement_period(date(2026, 2, 10)) == (date(2026, 2, 10) - timedelta(days=90), date(2026, 2, 10))
    result = statement(org, customer, start=None, end="")
    assert (result.start, result.end) == default_statement_period(org.local_today())
