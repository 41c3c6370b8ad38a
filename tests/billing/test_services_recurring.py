"""Recurring invoices: template services and the scheduled run (billing.services.recurring)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing import services
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import Business, Invoice, InvoiceStatus, RecurringInvoice, RecurringRun
from billing.tasks import run_recurring_invoices
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.vat_cases import AT_VAT, CASES, DE_VAT, REVERSE_CHARGE, SMALL_BUSINESS_DE

ITEM = {"description": "Retainer", "quantity": "1", "unit_price": "500.00", "tax_rate": "19"}


@pytest.fixture
def make_template(org, business, customer):
    def make(**data):
        body = {
            "business": str(business.pk),
            "customer": str(customer.pk),
            "frequency": "monthly",
            "start_date": "2026-01-31",
            "items": [ITEM],
            **data,
        }
        return services.recurring_invoice_create(organization=org, actor=None, data=body)

    return make


def run(now):
    return services.run_due_recurring_invoices(now=now)


def invoices(org, **filters):
    with organization_scope(org):
        return list(Invoice.objects.filter(organization=org, **filters).order_by("issue_date", "number"))


def runs_of(org, template):
    with organization_scope(org):
        return list(RecurringRun.objects.filter(organization=org, template=template).order_by("period"))


# --- templates ------------------------------------------------------------------------------


def test_create_defaults_and_audit(org, business, make_template, audit_entries):
    business.default_notes = "Thanks!"
    with organization_scope(org):
        business.save()
    template = make_template()
    assert template.currency == "EUR" and template.mode == "issue_and_send" and template.max_catch_up == 3
    assert template.notes == "Thanks!"
    assert template.next_run_date == date(2026, 1, 31)
    (entry,) = audit_entries(action="recurring_invoice.created")
    assert entry.changes["frequency"] == [None, "monthly"]
    assert entry.changes["items"][1][0]["unit_price"] == "500"


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"frequency": "daily"}, "frequency", "not a valid choice"),
        ({"frequency": "weekly", "day_of_month": 5}, "day_of_month", "Only monthly"),
        ({"day_of_month": 32}, "day_of_month", "less than or equal to 31"),
        ({"day_of_month": "first"}, "day_of_month", '"last"'),
        ({"end_date": "2025-12-31"}, "end_date", "before the start date"),
        ({"count": 0}, "count", "greater than or equal to 1"),
        ({"max_catch_up": 25}, "max_catch_up", "less than or equal to 24"),
        ({"mode": "send"}, "mode", "not a valid choice"),
        ({"items": []}, "items", "at least one item"),
        ({"items": [{**ITEM, "quantity": "-1"}]}, "items.0.quantity", "greater than 0"),
        ({"discount_type": "amount", "discount_value": "600.00"}, "discount_value", "larger than the subtotal"),
        ({"discount_type": "percent", "discount_value": "100"}, "items", "total above zero"),
        ({"color": "red"}, "color", "Unknown field"),
        ({"items": [{**ITEM, "vat_category": "AE"}]}, "items.0.tax_rate", "reverse charge carry no VAT"),
        ({"items": [{**ITEM, "tax_rate": "0", "vat_category": "S"}]}, "items.0.tax_rate", "rate above 0"),
        ({"items": [{**ITEM, "vat_category": "X"}]}, "items.0.vat_category", "Choose a VAT category"),
        (
            {"vat_exemption_reasons": {"E": {"text": "Exempt", "code": "VATEX-EU-AE"}}},
            "vat_exemption_reasons.E.code",
            "explains reverse charge",
        ),
        ({"vat_exemption_reasons": {"S": {"text": "No"}}}, "vat_exemption_reasons.S", "carry no exemption reason"),
    ],
)
def test_invalid_templates_are_refused_with_field_errors(make_template, data, path, message):
    with pytest.raises(BillingValidationError) as info:
        make_template(**data)
    assert message in " ".join(info.value.messages[path])


def test_another_organizations_customer_is_refused_like_a_missing_one(make_template, other_org):
    stranger = CustomerFactory(organization=other_org)
    with pytest.raises(BillingValidationError) as info:
        make_template(customer=str(stranger.pk))
    assert info.value.messages["customer"] == ["Object does not exist."]


def test_update_replaces_items_and_moves_the_next_run(org, make_template, audit_entries):
    template = make_template()
    updated = services.recurring_invoice_update(
        organization=org,
        actor=None,
        template_id=template.pk,
        data={"day_of_month": "last", "start_date": "2026-02-01", "items": [{**ITEM, "unit_price": "600"}]},
    )
    assert updated.day_of_month == 0 and updated.next_run_date == date(2026, 2, 28)
    with organization_scope(org):
        assert [line.unit_price for line in updated.lines.all()] == [600]
    (entry,) = audit_entries(action="recurring_invoice.updated")
    assert set(entry.changes) == {"day_of_month", "start_date", "items"}


def test_delete_keeps_the_invoices(org, make_template):
    template = make_template()
    run(datetime(2026, 2, 1, 12, tzinfo=UTC))
    services.recurring_invoice_delete(organization=org, actor=None, template_id=template.pk)
    with organization_scope(org):
        assert not RecurringInvoice.objects.filter(organization=org).exists()
    assert len(invoices(org)) == 1


# --- the run --------------------------------------------------------------------------------


def test_issue_and_send_creates_issued_invoices_with_one_queued_email_each(org, make_template, customer):
    template = make_template()
    summary = run(datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert summary == {"templates": 1, "invoices": 2, "failed": 0, "deferred": 0}
    created = invoices(org)
    assert [(i.issue_date, i.status, i.number) for i in created] == [
        (date(2026, 1, 31), InvoiceStatus.ISSUED, "INV-2026-0001"),
        (date(2026, 2, 28), InvoiceStatus.ISSUED, "INV-2026-0002"),
    ]
    assert created[0].due_date == date(2026, 3, 2)  # the business's 30 days
    with organization_scope(org):
        emails = OutboundEmail.objects.filter(organization=org, invoice__in=created)
        assert sorted(e.to for e in emails) == [[customer.email], [customer.email]]
    assert [(r.period, r.invoice_id) for r in runs_of(org, template)] == [
        (date(2026, 1, 31), created[0].pk),
        (date(2026, 2, 28), created[1].pk),
    ]
    assert all(r.email_queued for r in runs_of(org, template))
    with organization_scope(org):
        template.refresh_from_db()
    assert template.last_period == date(2026, 2, 28) and template.next_run_date == date(2026, 3, 31)


def test_draft_only_creates_drafts_and_sends_nothing(org, make_template):
    make_template(mode="draft_only", notes="Monthly retainer")
    run(datetime(2026, 2, 1, tzinfo=UTC))
    (draft,) = invoices(org)
    assert draft.status == InvoiceStatus.DRAFT and draft.number is None and draft.notes == "Monthly retainer"
    with organization_scope(org):
        assert not OutboundEmail.objects.filter(organization=org).exists()


def test_a_customer_without_email_gets_an_issued_invoice_and_the_history_says_why(org, make_template, customer):
    customer.email = ""
    with organization_scope(org):
        customer.save()
    template = make_template()
    run(datetime(2026, 2, 1, tzinfo=UTC))
    (row,) = runs_of(org, template)
    with organization_scope(org):
        assert row.invoice.status == InvoiceStatus.ISSUED and not row.email_queued
    assert row.note == "Not sent: The customer has no email address; enter the recipient."


def test_repeated_runs_create_nothing_more(org, make_template):
    make_template()
    now = datetime(2026, 2, 1, tzinfo=UTC)
    assert run(now)["invoices"] == 1
    assert run(now)["invoices"] == 0
    assert run(now + timedelta(days=20))["invoices"] == 0
    assert len(invoices(org)) == 1


def test_catch_up_is_capped_and_the_skipped_periods_are_recorded(org, make_template, audit_entries):
    template = make_template(start_date="2025-01-15", max_catch_up=2)
    run(datetime(2026, 1, 20, tzinfo=UTC))
    assert [i.issue_date for i in invoices(org)] == [date(2025, 12, 15), date(2026, 1, 15)]
    history = runs_of(org, template)
    assert [r.status for r in history] == ["skipped"] * 11 + ["created"] * 2
    assert history[0].note == "Beyond the catch-up limit: not invoiced." and history[0].invoice is None
    with organization_scope(org):
        template.refresh_from_db()
    assert template.skipped_count == 11
    (entry,) = audit_entries(action="recurring_invoice.ran")
    assert len(entry.changes["skipped_periods"][1]) == 11


def test_weekends_move_the_issue_date_to_monday(org, make_template):
    make_template(start_date="2026-02-28", skip_weekends=True)  # a Saturday
    assert run(datetime(2026, 3, 1, 12, tzinfo=UTC))["invoices"] == 0
    run(datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert [i.issue_date for i in invoices(org)] == [date(2026, 3, 2)]


def test_count_and_end_date_end_the_schedule(org, make_template):
    counted = make_template(start_date="2026-01-01", count=2)
    ended = make_template(start_date="2026-01-01", frequency="weekly", end_date="2026-01-08")
    run(datetime(2026, 6, 1, tzinfo=UTC))
    assert len(runs_of(org, counted)) == 2 and len(runs_of(org, ended)) == 2
    with organization_scope(org):
        counted.refresh_from_db()
    assert counted.next_run_date is None
    assert run(datetime(2027, 6, 1, tzinfo=UTC)) == {"templates": 0, "invoices": 0, "failed": 0, "deferred": 0}


@pytest.mark.parametrize(
    ("time_zone", "utc_offset_hours"), [("Pacific/Honolulu", -10), ("Pacific/Kiritimati", 14)], ids=["-10", "+14"]
)
def test_a_run_at_23_30_local_time_waits_for_the_local_day(org, make_template, time_zone, utc_offset_hours):
    org.time_zone = time_zone
    org.save()
    make_template(start_date="2026-04-01")
    evening = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo(time_zone))
    assert evening.utcoffset() == timedelta(hours=utc_offset_hours)
    assert run(evening)["invoices"] == 0
    assert run(evening + timedelta(minutes=30))["invoices"] == 1


def test_a_failing_template_keeps_its_error_and_the_others_still_run(org, make_template, customer, business):
    failing = make_template()
    healthy = make_template(customer=str(CustomerFactory(organization=org).pk))
    services.customer_update(organization=org, actor=None, customer_id=customer.pk, data={"archived": True})
    summary = run(datetime(2026, 2, 1, tzinfo=UTC))
    assert summary == {"templates": 1, "invoices": 1, "failed": 1, "deferred": 0}
    with organization_scope(org):
        failing.refresh_from_db()
    assert "archived" in failing.last_error and failing.last_period is None
    assert len(runs_of(org, healthy)) == 1


def test_the_beat_task_runs_the_due_templates(org, make_template):
    make_template(start_date="2026-01-01")
    with time_machine.travel(datetime(2026, 1, 1, 9, tzinfo=UTC), tick=False):
        assert run_recurring_invoices.delay().get() == {"templates": 1, "invoices": 1, "failed": 0, "deferred": 0}


# --- pause and resume -----------------------------------------------------------------------


def test_paused_templates_do_not_run_and_resume_skips_what_was_missed(org, make_template, audit_entries):
    template = make_template(start_date="2026-01-10")
    run(datetime(2026, 1, 10, 12, tzinfo=UTC))
    services.recurring_invoice_pause(organization=org, actor=None, template_id=template.pk)
    with pytest.raises(StateConflict):
        services.recurring_invoice_pause(organization=org, actor=None, template_id=template.pk)
    assert run(datetime(2026, 4, 11, tzinfo=UTC))["invoices"] == 0
    with time_machine.travel(datetime(2026, 4, 10, 12, tzinfo=UTC), tick=False):
        services.recurring_invoice_resume(organization=org, actor=None, template_id=template.pk)
    history = runs_of(org, template)
    assert [(r.period, r.status) for r in history] == [
        (date(2026, 1, 10), "created"),
        (date(2026, 2, 10), "skipped"),
        (date(2026, 3, 10), "skipped"),
    ]
    assert history[1].note == "The template was paused."
    assert run(datetime(2026, 4, 10, 12, tzinfo=UTC))["invoices"] == 1  # today's period still runs
    assert [
        e.changes["paused"] for e in audit_entries(action__startswith="recurring_invoice.") if "paused" in e.changes
    ] == [
        [False, True],
        [True, False],
    ]


# --- a 10-day outage ------------------------------------------------------------------------


def test_after_a_10_day_outage_exactly_the_missing_invoices_are_created_with_gapless_numbers(org, make_template):
    weekly = make_template(frequency="weekly", start_date="2026-06-01")
    fortnightly = make_template(frequency="every_2_weeks", start_date="2026-06-03")
    monthly = make_template(frequency="monthly", start_date="2026-06-05", day_of_month=12)
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    while moment < datetime(2026, 6, 7, 12, tzinfo=UTC):  # the beat every 15 minutes
        run(moment)
        moment += timedelta(minutes=15)
    before = {t.pk: len(runs_of(org, t)) for t in (weekly, fortnightly, monthly)}
    assert before == {weekly.pk: 1, fortnightly.pk: 1, monthly.pk: 0}
    # Down from 7 June to 18 June; the first run after the outage catches up.
    assert run(datetime(2026, 6, 18, 0, 5, tzinfo=UTC))["invoices"] == 4
    assert run(datetime(2026, 6, 18, 0, 20, tzinfo=UTC))["invoices"] == 0
    assert [r.period for r in runs_of(org, weekly)] == [date(2026, 6, d) for d in (1, 8, 15)]
    assert [r.period for r in runs_of(org, fortnightly)] == [date(2026, 6, 3), date(2026, 6, 17)]
    assert [r.period for r in runs_of(org, monthly)] == [date(2026, 6, 12)]
    numbers = [i.number for i in invoices(org)]
    assert sorted(numbers) == [f"INV-2026-{n:04d}" for n in range(1, 7)]


def test_a_run_out_of_time_defers_the_remaining_templates_to_the_next_run(org, make_template):
    for _ in range(3):
        make_template()
    now = datetime(2026, 2, 1, tzinfo=UTC)
    # A budget of zero: the first template still runs whole, the others wait.
    assert services.run_due_recurring_invoices(now=now, time_budget=0) == {
        "templates": 1,
        "invoices": 1,
        "failed": 0,
        "deferred": 2,
    }
    assert run(now) == {"templates": 2, "invoices": 2, "failed": 0, "deferred": 0}


def test_the_beat_task_enqueues_itself_again_when_templates_were_deferred(monkeypatch):
    calls = []
    results = iter([{"deferred": 4}, {"deferred": 0}])
    monkeypatch.setattr(
        "billing.tasks.run_due_recurring_invoices", lambda **kwargs: calls.append(kwargs) or next(results)
    )
    run_recurring_invoices.delay()
    assert calls == [{"time_budget": 90}, {"time_budget": 90}]


# --- VAT categories -------------------------------------------------------------------------

AE_LINES = [
    {"description": "Consulting", "quantity": "12.5", "unit_price": "140.00", "tax_rate": "0", "vat_category": "AE"},
    {"description": "Workshop", "quantity": "1", "unit_price": "350.00", "tax_rate": "0", "vat_category": "AE"},
]
AE_ROW = {
    "category": "AE",
    "rate": "0.000",
    "taxable_amount": "2100.00",
    "tax_amount": "0.00",
    "exemption_reason": REVERSE_CHARGE["text"],
    "exemption_reason_code": REVERSE_CHARGE["code"],
}


@pytest.fixture
def reverse_charge_parties(org):
    business = BusinessFactory(organization=org, country="AT", vat_id=AT_VAT)
    customer = CustomerFactory(organization=org, country="DE", vat_id=DE_VAT)
    return {"business": str(business.pk), "customer": str(customer.pk)}


def test_a_reverse_charge_template_creates_issued_reverse_charge_invoices(
    org, make_template, reverse_charge_parties, audit_entries
):
    template = make_template(
        **reverse_charge_parties, items=AE_LINES, vat_exemption_reasons={"AE": REVERSE_CHARGE, "E": SMALL_BUSINESS_DE}
    )
    assert template.vat_exemption_reasons == {"AE": REVERSE_CHARGE}  # only the categories its lines use
    (entry,) = audit_entries(action="recurring_invoice.created")
    assert [item["vat_category"] for item in entry.changes["items"][1]] == ["AE", "AE"]
    assert run(datetime(2026, 2, 1, 12, tzinfo=UTC)) == {"templates": 1, "invoices": 1, "failed": 0, "deferred": 0}
    (invoice,) = invoices(org)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number == "INV-2026-0001"
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (2100, 0, 2100)
    assert invoice.tax_breakdown == [AE_ROW]
    assert invoice.vat_exemption_reasons == {"AE": REVERSE_CHARGE}
    with organization_scope(org):
        assert [item.vat_category for item in invoice.items.all()] == ["AE", "AE"]


def test_a_template_without_reasons_gives_its_invoices_the_business_reasons(org, make_template, reverse_charge_parties):
    with organization_scope(org):
        business = Business.objects.get(pk=reverse_charge_parties["business"])
        business.vat_exemption_reasons = {"AE": REVERSE_CHARGE}
        business.save()
    template = make_template(**reverse_charge_parties, items=AE_LINES)
    assert template.vat_exemption_reasons == {}
    run(datetime(2026, 2, 1, 12, tzinfo=UTC))
    (invoice,) = invoices(org)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.tax_breakdown == [AE_ROW]


def test_a_reverse_charge_template_whose_customer_lost_its_vat_id_fails_with_the_reason(
    org, make_template, reverse_charge_parties
):
    template = make_template(**reverse_charge_parties, items=AE_LINES, vat_exemption_reasons={"AE": REVERSE_CHARGE})
    customer_id = reverse_charge_parties["customer"]
    services.customer_update(organization=org, actor=None, customer_id=customer_id, data={"vat_id": ""})
    assert run(datetime(2026, 2, 1, 12, tzinfo=UTC))["failed"] == 1
    with organization_scope(org):
        template.refresh_from_db()
    assert "customer.vat_id: Reverse charge needs the customer's VAT number." in template.last_error
    assert invoices(org) == [] and template.last_period is None


# --- what the invoices will need, checked when the template is saved --------------------------


def refused(make_template, **data) -> dict:
    with pytest.raises(BillingValidationError) as caught:
        make_template(**data)
    return caught.value.messages


@pytest.mark.parametrize("mode", ["issue_and_send", "draft_only"])
def test_a_reverse_charge_template_without_vat_ids_is_refused_at_save(org, make_template, business, mode):
    customer = CustomerFactory(organization=org, country="DE", vat_id="")
    messages = refused(
        make_template,
        customer=str(customer.pk),
        items=AE_LINES,
        vat_exemption_reasons={"AE": REVERSE_CHARGE},
        mode=mode,
    )
    assert messages == {
        "business.vat_id": ["Reverse charge needs your business's VAT number."],
        "customer.vat_id": ["Reverse charge needs the customer's VAT number."],
    }
    with organization_scope(org):
        assert not RecurringInvoice.objects.filter(organization=org).exists()


@pytest.mark.parametrize("category", ["E", "AE", "K", "G", "O"])
def test_an_exempt_line_without_a_reason_anywhere_is_refused_at_save(org, make_template, category):
    line = {**ITEM, "tax_rate": "0", "vat_category": category}
    messages = refused(make_template, items=[line])
    assert f"vat_exemption_reasons.{category}" in messages


def test_the_business_reason_is_enough_for_the_template(org, make_template, reverse_charge_parties):
    with organization_scope(org):
        business = Business.objects.get(pk=reverse_charge_parties["business"])
        business.vat_exemption_reasons = {"AE": REVERSE_CHARGE}
        business.save()
    assert make_template(**reverse_charge_parties, items=AE_LINES).vat_exemption_reasons == {}


def test_an_intra_community_template_needs_a_customer_in_another_eu_country(org, make_template, reverse_charge_parties):
    line = {**ITEM, "tax_rate": "0", "vat_category": "K"}
    reason = {"K": {"text": "Exempt intra-community supply, art. 138 Directive 2006/112/EC", "code": ""}}
    same_country = CustomerFactory(organization=org, country="AT", vat_id=AT_VAT)
    messages = refused(
        make_template,
        business=reverse_charge_parties["business"],
        customer=str(same_country.pk),
        items=[line],
        vat_exemption_reasons=reason,
    )
    assert list(messages) == ["customer.country"] and "same country" in messages["customer.country"][0]
    assert make_template(**reverse_charge_parties, items=[line], vat_exemption_reasons=reason).pk


def test_an_update_that_would_break_issue_is_refused_and_changes_nothing(org, make_template, reverse_charge_parties):
    template = make_template(**reverse_charge_parties, items=AE_LINES, vat_exemption_reasons={"AE": REVERSE_CHARGE})
    update = {"organization": org, "actor": None, "template_id": template.pk}
    plain_customer = CustomerFactory(organization=org, country="DE", vat_id="")
    with pytest.raises(BillingValidationError) as caught:
        services.recurring_invoice_update(**update, data={"customer": str(plain_customer.pk)})
    assert caught.value.messages == {"customer.vat_id": ["Reverse charge needs the customer's VAT number."]}
    with pytest.raises(BillingValidationError) as caught:
        services.recurring_invoice_update(**update, data={"vat_exemption_reasons": {}})
    assert list(caught.value.messages) == ["vat_exemption_reasons.AE"]
    with organization_scope(org):
        template.refresh_from_db()
    assert str(template.customer_id) == reverse_charge_parties["customer"]
    assert template.vat_exemption_reasons == {"AE": REVERSE_CHARGE}


def test_lines_outside_the_scope_of_vat_may_not_share_a_template_with_taxed_lines(org, make_template):
    outside = {**ITEM, "tax_rate": "0", "vat_category": "O"}
    messages = refused(
        make_template, items=[ITEM, outside], vat_exemption_reasons={"O": {"text": "Not subject to VAT"}}
    )
    assert "items.0.vat_category" in messages and "items.1.vat_category" not in messages


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_vat_table_at_save_gives_the_verdict_of_issue(org, make_template, case):
    """The VAT table the invoice tests issue by: a template is saved exactly when its invoices
    could be issued, and otherwise refused with the fields issue would name."""
    business = BusinessFactory(organization=org, **case.seller)
    customer = CustomerFactory(organization=org, **case.buyer)
    data = {"business": str(business.pk), "customer": str(customer.pk), "items": case.items}
    if case.reasons is not None:
        data["vat_exemption_reasons"] = case.reasons
    if case.allowed:
        template = make_template(**data)
        assert run(datetime(2026, 2, 1, 12, tzinfo=UTC))["invoices"] == 1
        (invoice,) = invoices(org)
        assert invoice.status == InvoiceStatus.ISSUED
        assert [run.invoice_id for run in runs_of(org, template)] == [invoice.pk]
        return
    messages = refused(make_template, **data)
    assert set(messages) == set(case.refused)
    for path, fragment in case.refused.items():
        assert any(fragment in message for message in messages[path]), messages


def test_a_customer_without_a_country_is_refused_at_save(org, make_template):
    customer = CustomerFactory(organization=org, country="")
    messages = refused(make_template, customer=str(customer.pk))
    assert messages == {
        "customer.country": ["Add the customer's country before issuing: an invoice shows the buyer's full address."]
    }


@pytest.mark.parametrize(("business_default", "category"), [("S", "Z"), ("E", "E")])
def test_a_line_without_a_category_gets_the_one_an_invoice_line_would(
    org, make_template, business, business_default, category
):
    business.default_vat_category = business_default
    business.vat_exemption_reasons = {"E": SMALL_BUSINESS_DE}
    with organization_scope(org):
        business.save()
    template = make_template(items=[ITEM, {**ITEM, "tax_rate": "0"}])
    with organization_scope(org):
        assert [line.vat_category for line in template.lines.order_by("position")] == ["S", category]


def test_update_keeps_the_categories_and_reasons_until_they_are_sent(
    org, make_template, reverse_charge_parties, audit_entries
):
    template = make_template(**reverse_charge_parties, items=AE_LINES, vat_exemption_reasons={"AE": REVERSE_CHARGE})
    update = {"organization": org, "actor": None, "template_id": template.pk}
    template = services.recurring_invoice_update(**update, data={"name": "Retainer"})
    assert template.vat_exemption_reasons == {"AE": REVERSE_CHARGE}
    with organization_scope(org):
        assert [line.vat_category for line in template.lines.all()] == ["AE", "AE"]
    template = services.recurring_invoice_update(**update, data={"items": [ITEM]})
    assert template.vat_exemption_reasons == {}  # no AE line left
    entry = audit_entries(action="recurring_invoice.updated")[-1]
    assert entry.changes["vat_exemption_reasons"] == [{"AE": REVERSE_CHARGE}, {}]
    assert entry.changes["items"][1] == [
        {"description": "Retainer", "quantity": "1", "unit_price": "500", "tax_rate": "19", "vat_category": "S"}
    ]


# --- the preview of a schedule --------------------------------------------------------------


def preview(org, **kwargs):
    with time_machine.travel(datetime(2026, 1, 20, 11, tzinfo=UTC), tick=False):
        return services.recurring_invoice_preview(organization=org, **kwargs)


def test_the_preview_gives_the_run_dates_the_run_would_use(org, audit_entries):
    data = {"frequency": "monthly", "day_of_month": "last", "start_date": "2026-01-31", "skip_weekends": True}
    shown = preview(org, data=data, limit=4)
    assert [(p.nominal, p.run_date) for p in shown.upcoming] == [
        (date(2026, 1, 31), date(2026, 2, 2)),  # a Saturday: the Monday after
        (date(2026, 2, 28), date(2026, 3, 2)),
        (date(2026, 3, 31), date(2026, 3, 31)),
        (date(2026, 4, 30), date(2026, 4, 30)),
    ]
    assert shown.skipped == 0 and shown.more and shown.today == date(2026, 1, 20)
    assert preview(org, data={**data, "count": 2}).more is False
    assert audit_entries() == []


def test_the_preview_counts_what_the_catch_up_limit_skips(org):
    shown = preview(org, data={"frequency": "weekly", "start_date": "2025-12-02", "max_catch_up": 2}, limit=3)
    # Tuesdays from 2 December to 20 January: 8 are due, the last 2 run, 6 are skipped.
    assert shown.skipped == 6 and shown.max_catch_up == 2
    assert [p.run_date for p in shown.upcoming] == [date(2026, 1, 13), date(2026, 1, 20), date(2026, 1, 27)]


def test_the_preview_of_a_template_continues_after_its_last_period_with_its_changes(org, make_template):
    template = make_template(start_date="2026-01-05")
    run(datetime(2026, 1, 5, 12, tzinfo=UTC))
    assert preview(org, data={}, template_id=template.pk, limit=1).upcoming[0].run_date == date(2026, 2, 5)
    shown = preview(org, data={"day_of_month": 15}, template_id=template.pk, limit=1)
    assert shown.upcoming[0].run_date == date(2026, 1, 15)
    with organization_scope(org):
        template.refresh_from_db()
    assert template.day_of_month is None  # nothing saved


def test_the_preview_refuses_a_schedule_with_field_errors(org, other_org, make_template):
    with pytest.raises(BillingValidationError) as caught:
        preview(org, data={"frequency": "daily", "end_date": "2026-13-01"})
    assert set(caught.value.messages) == {"frequency", "end_date"}
    foreign = make_template()
    with pytest.raises(NotFound):
        preview(other_org, data={}, template_id=foreign.pk)
