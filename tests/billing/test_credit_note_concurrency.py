"""Credit notes under real concurrency (PostgreSQL): issuing locks the invoice row, so N
concurrent credit notes whose sum exceeds the invoice never credit more than its total (as
another connection sees it at every moment of the run), and the credit note and invoice
sequences of one business both stay gapless."""

import threading
from decimal import Decimal

import pytest
from django.db.models import Sum

from billing import services
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import CreditNote, Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import assert_stored_totals, make_invoice
from tests.billing.test_concurrency import run_concurrently, setup  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEM = {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}
CREDIT = {**ITEM, "unit_price": "7.00"}  # 20 of them: 140.00 asked of a 100.00 invoice


def draft_credit(org, invoice):
    data = {"invoice": invoice.pk, "reason": "Rebate", "issue_date": "2026-06-02", "items": [CREDIT]}
    return services.credit_note_create(organization=org, actor=None, data=data)


def test_20_concurrent_credit_notes_exceeding_the_total_issue_only_what_fits(setup):  # noqa: F811
    org, business, customer = setup
    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=[ITEM], status="issued", issue_date="2026-06-01"
    )
    notes = [draft_credit(org, invoice) for _ in range(20)]
    finished, all_finished = [], threading.Event()

    def issue(note):
        try:
            return services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)
        finally:
            finished.append(note.pk)
            if len(finished) == len(notes):
                all_finished.set()

    def watch():
        """What other connections see while the issues run: never more credited than invoiced."""
        seen = []
        while True:
            last = all_finished.wait(timeout=0.005)
            with organization_scope(org):
                credited = Invoice.objects.values_list("credited_total", flat=True).get(pk=invoice.pk)
                notes_total = CreditNote.objects.filter(invoice=invoice, status="issued").aggregate(sum=Sum("total"))
            seen.append((credited, notes_total["sum"] or Decimal(0)))
            if last:
                return seen

    results, errors = run_concurrently([lambda n=n: issue(n) for n in notes] + [watch])
    seen = results.pop()
    assert errors.pop() is None
    assert len(seen) > 1 and seen[-1] == (Decimal("98.00"), Decimal("98.00"))
    assert all(credited <= invoice.total and notes_total <= invoice.total for credited, notes_total in seen), seen
    issued = [result for result in results if result is not None]
    assert len(issued) == 14  # 14 x 7.00 = 98.00; a 15th would make 105.00
    assert all(isinstance(error, BillingValidationError) for error in errors if error is not None)
    assert sorted(note.number for note in issued) == [f"CN-2026-{n:04d}" for n in range(1, 15)]
    with organization_scope(org):
        stored = Invoice.objects.get(pk=invoice.pk)
        assert stored.credited_total == Decimal("98.00") <= stored.total
        assert CreditNote.objects.filter(status="draft").count() == 6
    assert_stored_totals(stored)


def test_credit_note_and_invoice_issues_interleaved_keep_both_sequences_gapless(setup):  # noqa: F811
    org, business, customer = setup
    invoices = [
        make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
        for _ in range(5)
    ]
    notes = [draft_credit(org, invoice) for invoice in invoices for _ in range(2)]
    drafts = [make_invoice(organization=org, business=business, customer=customer, items=[ITEM]) for _ in range(10)]
    calls = [lambda n=n: services.credit_note_issue(organization=org, actor=None, credit_note_id=n.pk) for n in notes]
    calls += [lambda d=d: services.invoice_issue(organization=org, actor=None, invoice_id=d.pk) for d in drafts]
    calls += [
        lambda i=i: services.invoice_cancel(organization=org, actor=None, invoice_id=i.pk, reason="Cancelled")
        for i in invoices[:2]
    ]
    _, errors = run_concurrently(calls)
    # A cancel that ran after both notes of its invoice credits the rest; one before them leaves
    # them nothing: every note either issues or is refused, never crediting more than is left.
    refused = (BillingValidationError, StateConflict)
    assert all(error is None or isinstance(error, refused) for error in errors), errors
    assert all(error is None for error in errors[10:]), errors  # the invoice issues and the cancels
    year = org.local_today().year
    with organization_scope(org):
        note_numbers = sorted(CreditNote.objects.exclude(number=None).values_list("number", flat=True))
        invoice_numbers = sorted(Invoice.objects.exclude(number=None).values_list("number", flat=True))
        for invoice in Invoice.objects.exclude(number=None):
            assert invoice.credited_total <= invoice.total
    assert note_numbers == [f"CN-2026-{n:04d}" for n in range(1, len(note_numbers) + 1)]
    assert invoice_numbers == [f"INV-{year}-{n:04d}" for n in range(1, 16)]
