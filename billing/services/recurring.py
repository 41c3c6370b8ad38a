"""Recurring invoices: templates (create, edit, delete, pause, resume) and the scheduled run
that turns their due periods into invoices.

Exactly once: a run locks the template (select_for_update) and creates the invoices of the
periods after its ``last_period`` in the same transaction that advances it, and every period
run gets a ``RecurringRun`` row, unique per (template, period). Two workers running at the
same moment queue on the template's lock; the second reads the advanced ``last_period`` and
finds nothing to do. Should anything slip past the lock, the unique constraint fails the
second transaction as a whole, so its invoice numbers roll back with it and stay gapless.

Lock order, as in every service: the template, then the business's number sequences (taken
up front, since ``invoice_create`` writes an audit entry before ``invoice_issue`` draws a
number), then the audit chain.
"""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal
from itertools import islice

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import record
from billing import hooks, vat
from billing.calc import VAT_STANDARD, DiscountExceedsSubtotal, LineInput, compute_totals
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import (
    Business,
    Customer,
    DiscountType,
    RecurringFrequency,
    RecurringInvoice,
    RecurringInvoiceLine,
    RecurringMode,
    RecurringRun,
)
from billing.numbering import lock_sequences
from billing.recurrence import Frequency, Period, Schedule, due_periods, local_today, periods
from billing.services.invoices import (
    ARCHIVED_CUSTOMER_MESSAGE,
    invoice_create,
    invoice_issue,
    issue_rule_errors,
    new_invoice_reasons,
)
from billing.services.shared import changed, created, find_reference, find_target, plain
from billing.validation import (
    INVOICE_TEXT,
    RECURRING_CATCH_UP,
    RECURRING_COUNT,
    RECURRING_NAME,
    FieldErrors,
    ItemInput,
    check_invoice_amounts,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_date,
    parse_day_of_month,
    parse_exemption_reasons,
    parse_items,
    parse_money,
    parse_percent,
    refuse_unknown_fields,
)
from organizations.models import Organization
from organizations.tenancy import all_tenants, organization_scope

logger = logging.getLogger(__name__)

TEMPLATE_FIELDS = (
    "name",
    "business",
    "customer",
    "currency",
    "discount_type",
    "discount_value",
    "notes",
    "terms",
    "items",
    "vat_exemption_reasons",
    "frequency",
    "day_of_month",
    "start_date",
    "end_date",
    "count",
    "skip_weekends",
    "mode",
    "max_catch_up",
)
SCHEDULE_FIELDS = (
    "frequency",
    "day_of_month",
    "start_date",
    "end_date",
    "count",
    "skip_weekends",
    "mode",
    "max_catch_up",
)
MONTH_BASED = (RecurringFrequency.MONTHLY, RecurringFrequency.QUARTERLY, RecurringFrequency.YEARLY)
# Optional schedule fields: null clears them.
NULLABLE = {"day_of_month": parse_day_of_month, "end_date": parse_date, "count": RECURRING_COUNT}
PAUSED_NOTE = "The template was paused."
CAPPED_NOTE = "Beyond the catch-up limit: not invoiced."


def schedule_of(template: RecurringInvoice) -> Schedule:
    return Schedule(
        frequency=Frequency(template.frequency),
        start_date=template.start_date,
        day_of_month=template.day_of_month,
        end_date=template.end_date,
        count=template.count,
        skip_weekends=template.skip_weekends,
    )


def _next_run_date(template: RecurringInvoice):
    following = next(periods(schedule_of(template), after=template.last_period), None)
    return following.run_date if following else None


# --- reading the body -----------------------------------------------------------------------


def _lines(organization, template) -> list[ItemInput]:
    rows = RecurringInvoiceLine.objects.filter(organization=organization, template=template).order_by("position")
    return [ItemInput(row.description, row.quantity, row.unit_price, row.tax_rate, row.vat_category) for row in rows]


def _parse_parties(organization, template, data: dict, errors: FieldErrors, creating: bool) -> None:
    if creating or "business" in data:
        template.business = find_reference(Business, organization, data.get("business"), "business", errors)
    if creating or "customer" in data:
        customer = find_reference(Customer, organization, data.get("customer"), "customer", errors)
        if customer is not None and customer.archived:
            errors.add("customer", ARCHIVED_CUSTOMER_MESSAGE)
        template.customer = customer
    business = template.business if template.business_id else None
    if data.get("currency") not in (None, ""):
        template.currency = errors.parse("currency", parse_currency, data["currency"])
    elif creating and business is not None:
        template.currency = business.default_currency
    for field, default in (("notes", "default_notes"), ("terms", "default_terms")):
        if field in data or creating:
            fallback = getattr(business, default, "") if creating else ""
            setattr(template, field, errors.parse(field, INVOICE_TEXT, data.get(field, fallback)))
    if "name" in data:
        template.name = errors.parse("name", RECURRING_NAME, data["name"])


def _parse_discount(template, data: dict, errors: FieldErrors) -> None:
    if "discount_type" in data:
        template.discount_type = errors.parse("discount_type", parse_choice, data["discount_type"], DiscountType)
    raw = data.get("discount_value", template.discount_value)
    if template.discount_type == DiscountType.PERCENT:
        template.discount_value = errors.parse("discount_value", parse_percent, raw)
    elif template.discount_type == DiscountType.AMOUNT and template.currency:
        template.discount_value = errors.parse("discount_value", parse_money, raw, template.currency)
    elif template.discount_type == DiscountType.NONE:
        template.discount_value = Decimal(0)


def _parse_schedule(organization, template, data: dict, errors: FieldErrors, creating: bool) -> None:
    if creating or "frequency" in data:
        template.frequency = errors.parse("frequency", parse_choice, data.get("frequency"), RecurringFrequency)
    if creating and data.get("start_date") in (None, ""):
        template.start_date = organization.local_today()
    elif "start_date" in data:
        template.start_date = errors.parse("start_date", parse_date, data["start_date"])
    for field, parser in NULLABLE.items():
        if field in data:
            setattr(template, field, None if data[field] is None else errors.parse(field, parser, data[field]))
    if "skip_weekends" in data:
        template.skip_weekends = errors.parse("skip_weekends", parse_bool, data["skip_weekends"])
    if creating or "mode" in data:
        template.mode = errors.parse("mode", parse_choice, data.get("mode", template.mode), RecurringMode)
    if "max_catch_up" in data:
        template.max_catch_up = errors.parse("max_catch_up", RECURRING_CATCH_UP, data["max_catch_up"])
    if template.day_of_month is not None and template.frequency not in (None, *MONTH_BASED):
        errors.add("day_of_month", gettext("Only monthly, quarterly and yearly schedules have a day of the month."))
    if template.end_date and template.start_date and template.end_date < template.start_date:
        errors.add("end_date", gettext("The end date cannot be before the start date."))


def _parse_items(template, data: dict, errors: FieldErrors, old_items):
    """The lines, by the invoice items' rules: a line without a VAT category gets the one an
    invoice line would (its rate and the business's default)."""
    if "items" not in data and old_items is not None:
        return old_items
    default_category = template.business.default_vat_category if template.business_id else VAT_STANDARD
    try:
        items = parse_items(
            data.get("items") if data.get("items") is not None else [], default_category=default_category
        )
    except BillingValidationError as exc:
        errors.merge(exc)
        return []
    if not items:
        errors.add("items", gettext("A recurring invoice needs at least one item."))
    return items


def _parse_exemption_reasons(template, data: dict, items: list[ItemInput], errors: FieldErrors) -> None:
    """The reasons sent (else the template's), kept for the exempt categories its lines use.
    A category without one here takes the business's reason on each invoice (``invoice_create``)."""
    reasons = template.vat_exemption_reasons or {}
    if "vat_exemption_reasons" in data:
        reasons = errors.parse("vat_exemption_reasons", parse_exemption_reasons, data["vat_exemption_reasons"]) or {}
    used = {item.vat_category for item in items}
    template.vat_exemption_reasons = {
        category: reasons[category]
        for category in vat.EXEMPTION_REASON_CATEGORIES
        if category in reasons and category in used
    }


def _check_totals(template, items: list[ItemInput], errors: FieldErrors) -> None:
    """The invoices it creates must be issuable: a total above zero, the discount within it."""
    if errors or not items:
        return
    try:
        totals = compute_totals(
            currency=template.currency,
            lines=[LineInput(item.quantity, item.unit_price, item.tax_rate, item.vat_category) for item in items],
            discount_type=template.discount_type,
            discount_value=template.discount_value,
        )
        check_invoice_amounts(subtotal=totals.subtotal, total=totals.total, currency=template.currency)
    except DiscountExceedsSubtotal:
        errors.add("discount_value", gettext("The discount may not be larger than the subtotal."))
        return
    except BillingValidationError as exc:
        errors.merge(exc)
        return
    if totals.total <= 0:
        errors.add("items", gettext("The invoices must have a total above zero."))


def _check_issue_rules(template, items: list[ItemInput], errors: FieldErrors) -> None:
    """Every invoice of the template is issued some day (by the run, or by hand from a draft):
    what issue needs of the parties and the VAT table (reasons, VAT ids, countries) is checked
    when the template is saved, by the issue's own rules, rather than failing every run."""
    if not items or template.business_id is None or template.customer_id is None:
        return
    reasons = new_invoice_reasons(template.vat_exemption_reasons, business=template.business, items=items)
    issue_rule_errors(
        items=items, reasons=reasons, business=template.business, customer=template.customer, errors=errors
    )


def _apply(organization, template, data: dict, *, old_items=None) -> list[ItemInput]:
    """Set what ``data`` says on ``template``; every error at once. Returns its items."""
    refuse_unknown_fields(data, TEMPLATE_FIELDS)
    creating = old_items is None
    errors = FieldErrors()
    _parse_parties(organization, template, data, errors, creating)
    _parse_discount(template, data, errors)
    _parse_schedule(organization, template, data, errors, creating)
    items = _parse_items(template, data, errors, old_items)
    _parse_exemption_reasons(template, data, items, errors)
    _check_totals(template, items, errors)
    _check_issue_rules(template, items, errors)
    errors.raise_if_any()
    return items


def _write_lines(template, items: list[ItemInput]) -> None:
    RecurringInvoiceLine.objects.filter(organization=template.organization_id, template=template).delete()
    RecurringInvoiceLine.objects.bulk_create(
        RecurringInvoiceLine(
            organization_id=template.organization_id,
            template=template,
            position=position,
            description=item.description,
            quantity=item.quantity,
            unit_price=item.unit_price,
            tax_rate=item.tax_rate,
            vat_category=item.vat_category,
        )
        for position, item in enumerate(items, start=1)
    )


def _audit_values(template, items) -> dict:
    values = {
        field: getattr(template, field) for field in TEMPLATE_FIELDS if field not in ("business", "customer", "items")
    }
    values.update(
        business=str(template.business_id),
        customer=str(template.customer_id),
        discount_value=plain(template.discount_value),
        start_date=template.start_date.isoformat(),
        end_date=template.end_date.isoformat() if template.end_date else None,
        items=[
            {"description": i.description, "quantity": plain(i.quantity), "unit_price": plain(i.unit_price)}
            | {"tax_rate": plain(i.tax_rate), "vat_category": i.vat_category}
            for i in items
        ],
    )
    return values


# --- what a schedule gives ------------------------------------------------------------------


@dataclass(frozen=True)
class SchedulePreview:
    upcoming: list[Period]  # the next periods to invoice, oldest first; past ones run at the next run
    skipped: int  # past periods beyond the catch-up limit: never invoiced
    max_catch_up: int
    more: bool  # the schedule goes on after ``upcoming``
    today: object  # the organization's date the preview was computed for


def recurring_invoice_preview(*, organization, data: dict, template_id=None, limit: int = 5) -> SchedulePreview:
    """The next run dates of the schedule ``data`` describes (the template's fields as
    ``recurring_invoice_create`` and ``_update`` take them; with ``template_id``, that template's
    schedule changed by ``data``, after its last period run), as the scheduled run would see them
    today in the organization's time zone: past periods beyond the catch-up limit are counted as
    skipped. Writes nothing; schedule errors raise ``BillingValidationError`` by field."""
    with organization_scope(organization):
        if template_id is None:
            template = RecurringInvoice(organization=organization)
        else:
            template = find_target(RecurringInvoice, organization, template_id, label="recurring invoice")
        errors = FieldErrors()
        schedule_data = {field: data[field] for field in SCHEDULE_FIELDS if field in data}
        _parse_schedule(organization, template, schedule_data, errors, template_id is None)
        errors.raise_if_any()
    today = organization.local_today()
    schedule = schedule_of(template)
    plan = due_periods(schedule, after=template.last_period, today=today, cap=template.max_catch_up)
    skipped = len(plan.skipped)
    window = list(islice(periods(schedule, after=template.last_period), skipped + limit + 1))
    return SchedulePreview(
        upcoming=window[skipped : skipped + limit],
        skipped=skipped,
        max_catch_up=template.max_catch_up,
        more=len(window) > skipped + limit,
        today=today,
    )


# --- template writes ------------------------------------------------------------------------


def recurring_invoice_create(*, organization, actor, data: dict) -> RecurringInvoice:
    """A template with at least one item whose invoices would have a total above zero and
    could be issued (``_check_issue_rules``: the issue's own rules, by field). Defaults: the
    business's currency, notes and terms; start today (organization's time zone); issue and
    send; catch up at most 3 periods."""
    with organization_scope(organization), transaction.atomic():
        template = RecurringInvoice(organization=organization)
        items = _apply(organization, template, data)
        template.next_run_date = _next_run_date(template)
        template.save(force_insert=True)
        _write_lines(template, items)
        record(
            organization=organization,
            actor=actor,
            action="recurring_invoice.created",
            target=template,
            changes=created(_audit_values(template, items)),
        )
    return template


def recurring_invoice_update(*, organization, actor, template_id, data: dict) -> RecurringInvoice:
    """Edit a template; ``items`` replaces its lines. Periods already run stay run: the new
    schedule applies to periods after the last one."""
    with organization_scope(organization), transaction.atomic():
        template = find_target(RecurringInvoice, organization, template_id, for_update=True, label="recurring invoice")
        old_items = _lines(organization, template)
        before = _audit_values(template, old_items)
        items = _apply(organization, template, data, old_items=old_items)
        template.next_run_date = _next_run_date(template)
        template.save()
        if items != old_items:
            _write_lines(template, items)
        record(
            organization=organization,
            actor=actor,
            action="recurring_invoice.updated",
            target=template,
            changes=changed(before, _audit_values(template, items)),
        )
    return template


def recurring_invoice_delete(*, organization, actor, template_id) -> None:
    """Delete a template and its run history; the invoices it created stay."""
    with organization_scope(organization), transaction.atomic():
        template = find_target(RecurringInvoice, organization, template_id, for_update=True, label="recurring invoice")
        target = {"target_type": "recurringinvoice", "target_id": str(template.pk), "target_label": str(template)}
        RecurringRun.objects.filter(organization=organization, template=template).delete()
        RecurringInvoiceLine.objects.filter(organization=organization, template=template).delete()
        template.delete()
        record(organization=organization, actor=actor, action="recurring_invoice.deleted", **target)


def recurring_invoice_pause(*, organization, actor, template_id) -> RecurringInvoice:
    """No invoice is created while paused."""
    with organization_scope(organization), transaction.atomic():
        template = find_target(RecurringInvoice, organization, template_id, for_update=True, label="recurring invoice")
        if template.paused:
            raise StateConflict(gettext("This recurring invoice is already paused."))
        template.paused = True
        template.save(update_fields=["paused", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="recurring_invoice.paused",
            target=template,
            changes={"paused": [False, True]},
        )
    return template


def recurring_invoice_resume(*, organization, actor, template_id) -> RecurringInvoice:
    """Periods whose run date passed while paused are skipped (recorded in the history, not
    invoiced); today's period and later ones are invoiced as scheduled."""
    with organization_scope(organization), transaction.atomic():
        template = find_target(RecurringInvoice, organization, template_id, for_update=True, label="recurring invoice")
        if not template.paused:
            raise StateConflict(gettext("This recurring invoice is not paused."))
        yesterday = organization.local_today() - timedelta(days=1)
        missed = due_periods(schedule_of(template), after=template.last_period, today=yesterday, cap=1_000_000)
        _record_skipped(template, missed.create, PAUSED_NOTE)
        template.paused = False
        template.next_run_date = _next_run_date(template)
        template.save()
        record(
            organization=organization,
            actor=actor,
            action="recurring_invoice.resumed",
            target=template,
            changes={"paused": [True, False], "skipped_periods": [None, len(missed.create)]},
        )
    return template


def _record_skipped(template, skipped, note: str) -> None:
    if not skipped:
        return
    RecurringRun.objects.bulk_create(
        RecurringRun(
            organization_id=template.organization_id,
            template=template,
            period=period.nominal,
            run_date=period.run_date,
            status=RecurringRun.Status.SKIPPED,
            note=note,
        )
        for period in skipped
    )
    template.last_period = skipped[-1].nominal
    template.skipped_count += len(skipped)


# --- the scheduled run ----------------------------------------------------------------------


def _invoice_data(template, lines: list[ItemInput], issue_date) -> dict:
    return {
        "business": template.business_id,
        "customer": template.customer_id,
        "currency": template.currency,
        "issue_date": issue_date,
        "discount_type": template.discount_type,
        "discount_value": template.discount_value,
        "notes": template.notes,
        "terms": template.terms,
        "items": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "tax_rate": line.tax_rate,
                "vat_category": line.vat_category,
            }
            for line in lines
        ],
        "vat_exemption_reasons": template.vat_exemption_reasons,
    }


def _send(organization, invoice) -> str:
    """Queue the invoice email in this transaction; a reason when it cannot be sent (the
    invoice stays issued, and the history says why)."""
    try:
        with transaction.atomic():
            hooks.send_invoice(organization=organization, actor=None, invoice_id=invoice.pk)
    except BillingValidationError as exc:
        return "Not sent: " + " ".join(message for messages in exc.messages.values() for message in messages)
    except StateConflict as exc:
        return f"Not sent: {exc}"
    return ""


def _create_period_invoice(organization, template, lines, period) -> RecurringRun:
    invoice = invoice_create(
        organization=organization, actor=None, data=_invoice_data(template, lines, period.run_date)
    )
    note = ""
    if template.mode == RecurringMode.ISSUE_AND_SEND:
        invoice = invoice_issue(organization=organization, actor=None, invoice_id=invoice.pk)
        note = _send(organization, invoice)
    return RecurringRun.objects.create(
        organization=organization,
        template=template,
        period=period.nominal,
        run_date=period.run_date,
        status=RecurringRun.Status.CREATED,
        invoice=invoice,
        email_queued=template.mode == RecurringMode.ISSUE_AND_SEND and not note,
        note=note,
    )


def recurring_invoice_run(*, organization, template_id, now) -> list[RecurringRun]:
    """Create the invoices of the template's due periods (today in the organization's time
    zone), oldest first, at most ``max_catch_up``; older due periods are skipped. One
    transaction, the template locked: runs at the same moment create each period once."""
    with organization_scope(organization), transaction.atomic():
        template = (
            RecurringInvoice.objects.select_for_update(of=("self",))
            .filter(organization=organization, pk=template_id, paused=False)
            .first()
        )
        if template is None:
            return []
        template.organization = organization
        plan = due_periods(
            schedule_of(template),
            after=template.last_period,
            today=local_today(now, organization.time_zone),
            cap=template.max_catch_up,
        )
        _record_skipped(template, plan.skipped, CAPPED_NOTE)
        if plan.create and template.mode == RecurringMode.ISSUE_AND_SEND:
            # Number sequences before the audit chain (see the module docstring).
            business = Business.objects.get(organization=organization, pk=template.business_id)
            lock_sequences(business, on_dates=[period.run_date for period in plan.create])
        lines = _lines(organization, template)
        runs = [_create_period_invoice(organization, template, lines, period) for period in plan.create]
        if plan.create:
            template.last_period = plan.create[-1].nominal
        template.next_run_date = plan.following.run_date if plan.following else None
        template.last_run_at = now
        template.last_error = ""
        template.save()
        if runs or plan.skipped:
            record(
                organization=organization,
                actor=None,
                action="recurring_invoice.ran",
                target=template,
                changes={
                    "invoices": [None, [str(run.invoice_id) for run in runs]],
                    "skipped_periods": [None, [period.key for period in plan.skipped]],
                },
            )
    return runs


def _failure_message(exc) -> str:
    if isinstance(exc, BillingValidationError):
        return " ".join(f"{path}: {message}" for path, messages in exc.messages.items() for message in messages)
    return str(exc)


def _record_failure(organization, template_id, message: str) -> None:
    with organization_scope(organization), transaction.atomic():
        RecurringInvoice.objects.filter(organization=organization, pk=template_id).update(
            last_error=message[:2000], updated_at=timezone.now()
        )


def run_due_recurring_invoices(*, now=None, time_budget: float | None = None) -> dict:
    """The beat job: every template whose next run date has come somewhere on Earth (UTC+14
    is a day ahead of UTC), each in its own organization's scope and transaction, the most
    overdue first. A template that fails (an archived customer, say) keeps its error and is
    tried again next time. After ``time_budget`` seconds no further template is started: the
    rest are counted as ``deferred`` for the next run (each template is all or nothing)."""
    started = time.monotonic()
    now = now or timezone.now()
    horizon = now.astimezone(UTC).date() + timedelta(days=1)
    # Which templates are due, across organizations: deliberately all tenants.
    with all_tenants():
        due = list(
            RecurringInvoice.objects.filter(paused=False, next_run_date__lte=horizon)
            .order_by("next_run_date", "pk")
            .values_list("organization_id", "pk")
        )
    organizations = Organization.objects.in_bulk({organization_id for organization_id, _ in due})
    summary = {"templates": 0, "invoices": 0, "failed": 0, "deferred": 0}
    for index, (organization_id, template_id) in enumerate(due):
        if index and time_budget is not None and time.monotonic() - started > time_budget:
            summary["deferred"] = len(due) - index
            break
        organization = organizations[organization_id]
        try:
            runs = recurring_invoice_run(organization=organization, template_id=template_id, now=now)
        except (BillingValidationError, StateConflict, DatabaseError) as exc:
            message = _failure_message(exc)
            logger.warning("recurring invoice %s failed: %s", template_id, message)
            _record_failure(organization, template_id, message)
            summary["failed"] += 1
            continue
        summary["templates"] += 1
        summary["invoices"] += len(runs)
    return summary
