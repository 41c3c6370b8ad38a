"""Locking under real concurrency (PostgreSQL): threads with their own connections.

A plain TestCase transaction would hide lock bugs, so these run with transaction=True and
each thread opens (and at the end closes) its own database connection."""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from billing import services
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import Invoice, Payment
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, assert_stored_totals, make_invoice
from tests.organizations.factories import OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEM = {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}


def run_concurrently(functions):
    """Start every function at the same moment in its own thread; return (results, errors)."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), [None] * len(functions)

    def worker(index, function):
        try:
            barrier.wait(timeout=30)
            results[index] = function()
        except Exception as exc:  # collected and asserted on by the caller
            errors[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results, errors


@pytest.fixture
def setup():
    org = OrganizationFactory()
    return org, BusinessFactory(organization=org), CustomerFactory(organization=org)


@pytest.mark.parametrize("sequence_exists", [False, True], ids=["first-numbers", "existing-sequence"])
def test_20_concurrent_issues_get_20_distinct_consecutive_numbers(setup, sequence_exists):
    org, business, customer = setup

    def draft():
        return make_invoice(
            organization=org,
            business=business,
            customer=customer,
            items=[ITEM],
            issue_date="2026-06-01",
            due_date="2026-07-01",
        )

    start = 1
    if sequence_exists:  # the counter row exists: every issuer queues on its row lock
        services.invoice_issue(organization=org, actor=None, invoice_id=draft().pk)
        start = 2
    drafts = [draft() for _ in range(20)]
    results, errors = run_concurrently(
        [lambda d=d: services.invoice_issue(organization=org, actor=None, invoice_id=d.pk).number for d in drafts]
    )
    assert errors == [None] * 20
    assert sorted(results) == [f"INV-2026-{n:04d}" for n in range(start, start + 20)]
    with organization_scope(org):
        numbers = sorted(Invoice.objects.exclude(number=None).values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, start + 20)]


def test_20_concurrent_payments_of_10_on_100_exactly_10_succeed(setup):
    org, business, customer = setup
    invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
    today = org.local_today()
    results, errors = run_concurrently(
        [
            lambda: services.payment_record(
                organization=org, actor=None, invoice_id=invoice.pk, amount="10.00", date=today
            )
            for _ in range(20)
        ]
    )
    succeeded = [result for result in results if result is not None]
    refused = [error for error in errors if error is not None]
    assert len(succeeded) == 10
    assert len(refused) == 10
    # Refused as a validation error (balance too small) or, once paid in full, a state conflict;
    # never a database error from the check constraint.
    assert all(isinstance(error, BillingValidationError | StateConflict) for error in refused), refused
    with organization_scope(org):
        after = Invoice.objects.get(pk=invoice.pk)
        assert Payment.objects.filter(invoice=invoice, voided=False).count() == 10
    assert (after.amount_paid, after.balance_due, after.status) == (Decimal("100.00"), Decimal(0), "paid")
    assert after.version == invoice.version + 10
    assert_stored_totals(after)


def test_concurrent_credit_note_and_payment_queue_on_the_invoice_row(setup):
    """Invoice 100.00: a payment of 80.00 and a credit note of 50.00 at once. Credit first leaves
    50.00 due and the payment is refused; payment first leaves 20.00 due and the credit makes it
    -30.00 (a refund due). Never both judged against the same old balance."""
    org, business, customer = setup
    today = org.local_today()
    outcomes = set()
    for _ in range(8):
        invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
        note = services.credit_note_create(
            organization=org, actor=None, data={"invoice": invoice.pk, "items": [{**ITEM, "unit_price": "50.00"}]}
        )

        def pay(invoice=invoice):
            return services.payment_record(
                organization=org, actor=None, invoice_id=invoice.pk, amount="80.00", date=today
            )

        def credit(note=note):
            return services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)

        _, errors = run_concurrently([pay, credit])
        assert errors[1] is None, errors
        assert errors[0] is None or isinstance(errors[0], BillingValidationError), errors
        with organization_scope(org):
            after = Invoice.objects.get(pk=invoice.pk)
        expected = Decimal("50.00") if errors[0] else Decimal("-30.00")
        assert (after.credited_total, after.balance_due) == (Decimal("50.00"), expected)
        assert_stored_totals(after)
        outcomes.add("credited first" if errors[0] else "paid first")
    assert outcomes  # which one wins depends on scheduling; both orders are safe


def test_concurrent_payment_and_payment_void_keep_amount_paid_exact(setup):
    org, business, customer = setup
    invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
    today = org.local_today()
    first = services.payment_record(organization=org, actor=None, invoice_id=invoice.pk, amount="60.00", date=today)
    _, errors = run_concurrently(
        [
            lambda: services.payment_void(organization=org, actor=None, payment_id=first.pk, reason="bounced"),
            lambda: services.payment_record(
                organization=org, actor=None, invoice_id=invoice.pk, amount="40.00", date=today
            ),
        ]
    )
    assert errors == [None, None]
    with organization_scope(org):
        after = Invoice.objects.get(pk=invoice.pk)
    assert (after.amount_paid, after.status) == (Decimal("40.00"), "partially_paid")
    assert_stored_totals(after)
