"""Payment reminders: the schedule, the scheduled run, the send-time check and late fees
(billing.services.reminders, documents.reminder_email)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from audit.verification import verify_chain
from billing import selectors, services
from billing.calc import late_fee_amount
from billing.exceptions import BillingValidationError
from billing.models import Invoice, InvoiceStatus, PaymentReminder, ReminderStep
from billing.tasks import send_due_reminders
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.documents.helpers import pdf_text

DUE = date(2026, 3, 10)
ITEMS = ({"description": "Consulting", "quantity": "1", "unit_price": "1000.00", "tax_rate": "19"},)
STEPS = [{"offset_days": -3}, {"offset_days": 7}, {"offset_days": 14}]


def at(day: date, hour=9, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def open_invoice(org, business, customer):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        return make_invoice(
            organization=org, business=business, customer=customer, items=ITEMS, status="issued", due_date=DUE
        )


def reminders(org, invoice):
    with organization_scope(org):
        return list(PaymentReminder.objects.filter(invoice=invoice).order_by("step_number"))


def emails(org, **filters):
    with organization_scope(org):
        return list(OutboundEmail.objects.filter(organization=org, kind="reminder", **filters))


def run(now, callbacks=None):
    with time_machine.travel(now, tick=False):
        return services.run_due_reminders(now=now)


# --- the schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "path", "message"),
    [
        ([{"offset_days": n} for n in range(6)], "reminder_steps", "At most 5 steps"),
        ([{"offset_days": 7}, {"offset_days": 7}], "reminder_steps.1.offset_days", "same number of days"),
        ([{"offset_days": 400}], "reminder_steps.0.offset_days", "less than or equal to 365"),
        ([{"offset_days": "soon"}], "reminder_steps.0.offset_days", "valid integer"),
        ([{}], "reminder_steps.0.offset_days", "required"),
        ([{"offset_days": 7, "late_fee_type": "daily"}], "reminder_steps.0.late_fee_type", "not a valid choice"),
        (
            [{"offset_days": 7, "late_fee_type": "fixed", "late_fee_value": "0"}],
            "reminder_steps.0.late_fee_value",
            "above zero",
        ),
        (
            [{"offset_days": 7, "late_fee_type": "fixed", "late_fee_value": "1.234"}],
            "reminder_steps.0.late_fee_value",
            "decimal places",
        ),
        (
            [{"offset_days": 7, "late_fee_type": "percent", "late_fee_value": "101"}],
            "reminder_steps.0.late_fee_value",
            "100",
        ),
        ([{"offset_days": 7, "subject": "Pay {number"}], "reminder_steps.0.subject", "braces"),
        ([{"offset_days": 7, "colour": "red"}], "reminder_steps.0.colour", ""),
        (["+7"], "reminder_steps.0", "object"),
        ("7,14", "reminder_steps", "list"),
    ],
)
def test_schedule_validation_names_the_field(org, business, steps, path, message):
    with pytest.raises(BillingValidationError) as error:
        services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    assert path in error.value.messages, error.value.messages
    assert message in " ".join(error.value.messages[path])


def test_schedule_is_sorted_by_offset_with_default_texts_and_audited(org, business, audit_entries):
    steps = [{"offset_days": 14, "late_fee_type": "percent", "late_fee_value": "2.5"}, {"offset_days": -3}]
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    with organization_scope(org):
        saved = list(ReminderStep.objects.filter(business=business).order_by("position"))
    assert [(s.position, s.offset_days) for s in saved] == [(1, -3), (2, 14)]
    assert saved[0].subject == "Invoice {number} is due on {due_date}"
    assert saved[1].subject.startswith("Reminder: invoice {number} was due")
    assert saved[1].late_fee_value == Decimal("2.5")
    (entry,) = audit_entries(action="business.reminders_updated")
    assert entry.changes["reminder_steps"][1][1] == {
        "offset_days": 14,
        "late_fee_type": "percent",
        "late_fee_value": "2.5",
    }
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    assert len(audit_entries(action="business.reminders_updated")) == 1  # no change, no entry


def test_late_fee_amount_rounds_to_the_currency():
    assert late_fee_amount(
        fee_type="percent", value=Decimal("2.5"), balance=Decimal("1123.45"), currency="EUR"
    ) == Decimal("28.09")
    assert late_fee_amount(fee_type="percent", value=Decimal("1"), balance=Decimal("1050"), currency="JPY") == Decimal(
        "11"
    )
    assert late_fee_amount(fee_type="fixed", value=Decimal("15"), balance=Decimal("0"), currency="EUR") == Decimal(
        "0.00"
    )
    assert late_fee_amount(fee_type="none", value=Decimal("15"), balance=Decimal("10"), currency="EUR") == Decimal(
        "0.00"
    )


# --- the scheduled run ----------------------------------------------------------------------


def test_each_step_goes_out_once_on_its_day(org, open_invoice, django_capture_on_commit_callbacks):
    assert run(at(DUE - timedelta(days=4)))["queued"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert run(at(DUE - timedelta(days=3)))["queued"] == 1
    assert run(at(DUE - timedelta(days=3), hour=20))["queued"] == 0  # the same day again
    assert run(at(DUE + timedelta(days=6)))["queued"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert run(at(DUE + timedelta(days=7)))["queued"] == 1
    rows = reminders(org, open_invoice)
    assert [(r.step_number, r.status, r.scheduled_for) for r in rows] == [
        (1, "sent", DUE - timedelta(days=3)),
        (2, "sent", DUE + timedelta(days=7)),
    ]
    assert [e.status for e in emails(org)] == ["sent", "sent"]
    first, second = sorted(mail.outbox, key=lambda m: m.subject)
    assert first.subject.startswith(f"Invoice {open_invoice.number} is due on ")
    assert second.subject.startswith(f"Reminder: invoice {open_invoice.number} was due")
    assert "7 days ago" in second.body and open_invoice.number in second.body
    (invoice_pdf, statement) = second.attachments
    assert invoice_pdf[0] == f"{open_invoice.number}.pdf" and invoice_pdf[2] == "application/pdf"
    assert statement[0].startswith("statement-") and statement[2] == "application/pdf"
    assert open_invoice.number in pdf_text(statement[1])
    assert str(rows[0].email_id) in {str(e.pk) for e in emails(org)}


def test_after_a_ten_day_outage_only_the_latest_step_is_sent(org, open_invoice, audit_entries):
    summary = run(at(DUE + timedelta(days=15)))
    assert summary == {"queued": 1, "skipped": 0, "failed": 0, "deferred": False}
    rows = reminders(org, open_invoice)
    assert [(r.step_number, r.status, r.reason) for r in rows] == [
        (1, "skipped", "superseded"),
        (2, "skipped", "superseded"),
        (3, "scheduled", ""),
    ]
    assert len(emails(org)) == 1
    assert run(at(DUE + timedelta(days=16)))["queued"] == 0
    (entry,) = audit_entries(action="invoice.reminder_queued")
    assert entry.changes["step"] == [None, 3] and entry.changes["superseded_steps"] == [None, [1, 2]]


def test_the_open_invoices_of_the_customer_are_listed(org, business, customer, open_invoice):
    with time_machine.travel(at(DUE - timedelta(days=20)), tick=False):
        other = make_invoice(organization=org, business=business, customer=customer, status="partially_paid")
        make_invoice(organization=org, business=business, customer=customer, status="paid")
    run(at(DUE + timedelta(days=7)))
    (email,) = emails(org, invoice=open_invoice)
    assert open_invoice.number in email.body and other.number in email.body
    assert email.body.count(" open") >= 2 and "1,190.00" in email.body


@pytest.mark.parametrize("status", ["paid", "credited", "draft"])
def test_no_reminder_for_an_invoice_not_open(org, business, customer, status):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        invoice = make_invoice(organization=org, business=business, customer=customer, status=status, due_date=DUE)
    run(at(DUE + timedelta(days=7)))
    assert reminders(org, invoice) == [] and emails(org) == []


def test_opted_out_customer_and_invoice_get_none(org, business, customer, open_invoice, audit_entries):
    services.customer_update(organization=org, actor=None, customer_id=customer.pk, data={"reminders_enabled": False})
    run(at(DUE + timedelta(days=7)))
    assert reminders(org, open_invoice) == []
    services.customer_update(organization=org, actor=None, customer_id=customer.pk, data={"reminders_enabled": True})
    services.invoice_set_reminders(organization=org, actor=None, invoice_id=open_invoice.pk, enabled=False)
    run(at(DUE + timedelta(days=7)))
    assert reminders(org, open_invoice) == []
    (entry,) = audit_entries(action="invoice.reminders_changed")
    assert entry.changes == {"reminders_enabled": [True, False]}
    with organization_scope(org):
        assert Invoice.objects.get(pk=open_invoice.pk).version == open_invoice.version


def test_no_email_address_skips_the_step_with_the_reason(org, business, open_invoice, customer):
    with organization_scope(org):
        Invoice.objects.filter(pk=open_invoice.pk).update(
            customer_snapshot={**open_invoice.customer_snapshot, "email": ""}
        )
    services.customer_update(organization=org, actor=None, customer_id=customer.pk, data={"email": ""})
    assert run(at(DUE + timedelta(days=7)))["skipped"] == 1
    (row,) = reminders(org, open_invoice)[-1:]
    assert row.status == "skipped" and row.reason == "not_sendable" and "email address" in row.note
    assert emails(org) == []


# --- checked again at send time -------------------------------------------------------------


@pytest.mark.parametrize("change", ["paid", "credited", "opted_out_customer", "opted_out_invoice"])
def test_a_queued_reminder_is_withdrawn_when_the_invoice_changed_before_sending(
    org, customer, open_invoice, change, django_capture_on_commit_callbacks, audit_entries
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run(at(DUE + timedelta(days=7)))
    assert len(callbacks) == 1  # the email's send job, not run yet
    if change == "paid":
        services.payment_record(
            organization=org, actor=None, invoice_id=open_invoice.pk, amount="1190.00", date=DUE.isoformat()
        )
    elif change == "credited":
        services.invoice_cancel(organization=org, actor=None, invoice_id=open_invoice.pk, reason="Wrong customer")
    elif change == "opted_out_customer":
        services.customer_update(
            organization=org, actor=None, customer_id=customer.pk, data={"reminders_enabled": False}
        )
    else:
        services.invoice_set_reminders(organization=org, actor=None, invoice_id=open_invoice.pk, enabled=False)
    callbacks[0]()
    (email,) = emails(org)
    (row,) = [r for r in reminders(org, open_invoice) if r.step_number == 2]
    expected = {"opted_out_customer": "opted_out", "opted_out_invoice": "opted_out"}.get(change, change)
    assert email.status == "withdrawn" and email.sent_at is None
    assert row.status == "skipped" and row.reason == expected
    assert mail.outbox == []
    (entry,) = audit_entries(action="invoice.reminder_withdrawn")
    assert entry.changes["reason"] == [None, expected]
    # and no later step is sent for a paid or credited invoice
    run(at(DUE + timedelta(days=20)))
    if change in ("paid", "credited"):
        assert len(reminders(org, open_invoice)) == 2


# --- time zones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "before", "after"),
    [
        # 23:30 on the 9th in Honolulu (UTC-10) is 09:30 UTC on the 10th: not yet the due date there.
        ("Pacific/Honolulu", datetime(2026, 3, 10, 9, 30, tzinfo=UTC), datetime(2026, 3, 10, 10, 30, tzinfo=UTC)),
        # 23:30 on the 9th on Kiritimati (UTC+14) is 09:30 UTC on the 9th.
        ("Pacific/Kiritimati", datetime(2026, 3, 9, 9, 30, tzinfo=UTC), datetime(2026, 3, 9, 10, 30, tzinfo=UTC)),
    ],
)
def test_a_step_is_due_on_its_date_in_the_organizations_time_zone(org, business, customer, time_zone, before, after):
    org.time_zone = time_zone
    org.save()
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=[{"offset_days": 0}])
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        invoice = make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)
    assert run(before)["queued"] == 0
    assert run(after)["queued"] == 1
    assert [r.scheduled_for for r in reminders(org, invoice)] == [DUE]


# --- late fees ------------------------------------------------------------------------------


def test_a_late_fee_is_a_separate_issued_invoice_charged_once(org, business, customer, audit_entries):
    steps = [{"offset_days": 7, "late_fee_type": "percent", "late_fee_value": "2.5"}]
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        invoice = make_invoice(
            organization=org, business=business, customer=customer, items=ITEMS, status="issued", due_date=DUE
        )
    run(at(DUE + timedelta(days=8)))
    run(at(DUE + timedelta(days=9)))
    (row,) = reminders(org, invoice)
    with organization_scope(org):
        fees = list(Invoice.objects.filter(late_fee_for=invoice))
        (item,) = fees[0].items.all()
        original = Invoice.objects.get(pk=invoice.pk)
    assert len(fees) == 1 and row.late_fee_invoice_id == fees[0].pk
    fee = fees[0]
    assert fee.status == InvoiceStatus.ISSUED and fee.number == "INV-2026-0002"
    assert fee.total == Decimal("29.75")  # 2.5 % of 1,190.00
    assert item.description == f"Late fee for invoice {invoice.number}" and item.vat_category == "O"
    assert fee.vat_exemption_reasons["O"]["text"].startswith("Late payment compensation")
    assert original.version == invoice.version and original.total == invoice.total  # never edited
    assert fee.number in emails(org)[0].body  # listed as open


def test_a_late_fee_from_a_business_with_a_vat_number_is_exempt(org, customer):
    business = BusinessFactory(organization=org, vat_id="DE136695976")
    steps = [{"offset_days": 7, "late_fee_type": "fixed", "late_fee_value": "15.00"}]
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        invoice = make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)
    run(at(DUE + timedelta(days=7)))
    with organization_scope(org):
        fee = Invoice.objects.get(late_fee_for=invoice)
        assert fee.status == "issued" and fee.total == Decimal("15.00")
        assert fee.items.get().vat_category == "E"


# --- the task -------------------------------------------------------------------------------


def test_the_beat_task_runs_the_service(org, open_invoice):
    with time_machine.travel(at(DUE + timedelta(days=7)), tick=False):
        summary = send_due_reminders.apply().get()
    assert summary["queued"] == 1 and not summary["deferred"]


def test_a_spent_time_budget_defers_the_rest(org, business):
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    customer = CustomerFactory(organization=org)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        for _ in range(2):
            make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)
    with time_machine.travel(at(DUE + timedelta(days=7)), tick=False):
        summary = services.run_due_reminders(now=at(DUE + timedelta(days=7)), time_budget=0)
    assert summary["deferred"] and summary["queued"] == 0
    assert services.run_due_reminders(now=at(DUE + timedelta(days=7)))["queued"] == 2


@pytest.mark.parametrize(
    ("language", "subject", "listing"),
    [
        ("fr", "Relance : la facture", "Ce qui reste à régler sur votre compte"),
        ("de", "Erinnerung: Rechnung", "Offene Posten auf Ihrem Konto"),
    ],
)
def test_the_built_in_texts_go_out_in_the_customers_language(org, business, language, subject, listing):
    customer = CustomerFactory(organization=org, language=language)
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=STEPS)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        invoice = make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)
    run(at(DUE + timedelta(days=7)))
    (email,) = emails(org)
    assert email.subject.startswith(f"{subject} {invoice.number}")
    assert listing in email.body and invoice.number in email.body


def test_a_text_the_business_wrote_is_sent_as_written_with_the_open_invoices_added(org, business, customer):
    steps = [{"offset_days": 7, "subject": "Payez {number}", "body": "Solde : {balance}. {unknown} reste."}]
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        invoice = make_invoice(organization=org, business=business, customer=customer, status="issued", due_date=DUE)
    run(at(DUE + timedelta(days=7)))
    (email,) = emails(org)
    assert email.subject == f"Payez {invoice.number}"
    assert email.body.startswith("Solde : €1,") and "{unknown} reste." in email.body
    assert "What is open on your account:" in email.body and invoice.number in email.body


# --- the cost of a run ----------------------------------------------------------------------


def _due_invoices(org, business, count):
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):
        return [
            make_invoice(
                organization=org,
                business=business,
                customer=CustomerFactory(organization=org),
                status="issued",
                due_date=DUE,
            )
            for _ in range(count)
        ]


def _queries_of_a_run(org, now) -> int:
    with CaptureQueriesContext(connection) as queries:
        summary = run(now)
    assert summary["failed"] == 0
    return len(queries), summary["queued"]


def test_a_run_costs_the_same_queries_for_three_reminders_as_for_twelve(org, business):
    """The invoices' lock, their steps done, the customers' open invoices, the emails, the
    reminder rows and the audit entries are read and written per chunk, not per reminder."""
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=[{"offset_days": 7}])
    _due_invoices(org, business, 3)
    small, queued = _queries_of_a_run(org, at(DUE + timedelta(days=7)))
    assert queued == 3
    with organization_scope(org):
        PaymentReminder.objects.all().delete()
        OutboundEmail.objects.all().delete()
    _due_invoices(org, business, 9)
    large, queued = _queries_of_a_run(org, at(DUE + timedelta(days=7)))
    assert queued == 12
    assert large == small


def test_a_chunk_chains_its_audit_entries_in_order(org, business, customer):
    with time_machine.travel(at(DUE - timedelta(days=30)), tick=False):  # the chain's times go forward
        services.reminder_schedule_set(
            organization=org, actor=None, business_id=business.pk, steps=[{"offset_days": 7}]
        )
    invoices = _due_invoices(org, business, 4)
    run(at(DUE + timedelta(days=7)))
    with organization_scope(org):
        report = verify_chain(org)
        entries = list(AuditEntry.objects.filter(action="invoice.reminder_queued").order_by("sequence"))
    assert report.ok, report.problem
    assert sorted(entry.target_id for entry in entries) == sorted(str(invoice.pk) for invoice in invoices)
    assert [entry.sequence for entry in entries] == list(range(entries[0].sequence, entries[0].sequence + 4))


# --- the dashboard's next 7 days ------------------------------------------------------------


def _bulk_invoices(org, business, customer, due_dates, prefix="BULK"):
    rows = [
        Invoice(
            organization=org,
            business=business,
            customer=customer,
            number=f"{prefix}-{n:04d}",
            status=InvoiceStatus.ISSUED,
            currency="EUR",
            issue_date=due_date - timedelta(days=30),
            due_date=due_date,
            subtotal=Decimal("10.00"),
            total=Decimal("10.00"),
            balance_due=Decimal("10.00"),
        )
        for n, due_date in enumerate(due_dates)
    ]
    with organization_scope(org):
        return Invoice.objects.bulk_create(rows)


def test_the_soonest_reminders_are_listed_whatever_the_invoices_due_earlier(org, business, customer):
    """Sixty invoices fell due yesterday (their +7 step goes out in six days): the one due in
    three days, whose -3 step goes out today, still comes first."""
    steps = [{"offset_days": -3}, {"offset_days": 7}]
    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=steps)
    today = org.local_today()
    _bulk_invoices(org, business, customer, [today - timedelta(days=1)] * 60)
    (soonest,) = _bulk_invoices(org, business, customer, [today + timedelta(days=3)], prefix="SOON")
    with organization_scope(org):
        _bulk_invoices(org, business, customer, [today + timedelta(days=4)] * 3, prefix="NEXT")
        rows = selectors.upcoming_reminders(organization=org, days=7, limit=10)
    assert len(rows) == 10
    assert (rows[0]["invoice"].pk, rows[0]["step"], rows[0]["date"]) == (soonest.pk, 1, today)
    assert [row["date"] for row in rows[1:4]] == [today + timedelta(days=1)] * 3
    assert [row["date"] for row in rows[4:]] == [today + timedelta(days=6)] * 6


def test_a_step_already_done_is_not_listed_as_upcoming(org, business, customer):
    services.reminder_schedule_set(
        organization=org, actor=None, business_id=business.pk, steps=[{"offset_days": 0}, {"offset_days": 3}]
    )
    today = org.local_today()
    (done, waiting) = _bulk_invoices(org, business, customer, [today, today])
    with organization_scope(org):
        step = ReminderStep.objects.get(business=business, position=1)
        PaymentReminder.objects.create(
            organization=org,
            invoice=done,
            step=step,
            step_number=1,
            offset_days=0,
            scheduled_for=today,
            status="skipped",
            reason="superseded",
        )
        rows = selectors.upcoming_reminders(organization=org, days=7, limit=10)
    assert [(row["invoice"].pk, row["step"]) for row in rows] == [(waiting.pk, 1), (done.pk, 2), (waiting.pk, 2)]


def test_a_chunk_that_fails_is_retried_invoice_by_invoice(org, business, monkeypatch):
    """A database error in a chunk (a concurrent run's row, a lock timeout) rolls the chunk
    back; each of its invoices then gets its own transaction, and only a failing one fails."""
    from billing.services import reminders as module

    services.reminder_schedule_set(organization=org, actor=None, business_id=business.pk, steps=[{"offset_days": 7}])
    invoices = _due_invoices(org, business, 3)
    unlucky = invoices[1].pk
    real = module.invoices_remind

    def flaky(*, invoice_ids, **kwargs):
        if len(invoice_ids) > 1 or unlucky in invoice_ids:
            raise DatabaseError("lock timeout")
        return real(invoice_ids=invoice_ids, **kwargs)

    monkeypatch.setattr(module, "invoices_remind", flaky)
    summary = run(at(DUE + timedelta(days=7)))
    assert (summary["queued"], summary["failed"]) == (2, 1)
    assert [len(reminders(org, invoice)) for invoice in invoices] == [1, 0, 1]
    assert len(emails(org)) == 2
