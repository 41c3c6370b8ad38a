"""Payment reminders: a business's schedule (up to five steps, each N days before or after the
due date), and the scheduled run that sends each invoice's due step once.

Exactly once: a run locks the invoice (the lock payments and credit notes take) and creates
its ``PaymentReminder`` rows in the transaction that queues the email, one per (invoice,
step) by a unique constraint. Two runs at the same moment queue on the invoice's lock; the
second finds the rows and does nothing. After an outage only the latest due step of an
invoice is sent; the earlier ones are recorded as skipped ("superseded"), never sent late.

The outbox re-checks at send time, in the transaction that marks the email sent and with the
invoice locked (``reminder_stop_reason``): a reminder of an invoice paid, credited or opted
out in the meantime is withdrawn, not sent, and recorded as skipped with the reason.

Lock order, as in every service: the invoice, then the business's number sequences (a late
fee invoice is issued in the same transaction), then the audit chain.
"""

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Max, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, override

from audit.services import record, record_many
from billing import hooks
from billing.calc import VAT_EXEMPT, VAT_OUTSIDE_SCOPE, late_fee_amount
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import (
    DEFAULT_REMINDER_BODY_AFTER,
    DEFAULT_REMINDER_BODY_BEFORE,
    DEFAULT_REMINDER_SUBJECT_AFTER,
    DEFAULT_REMINDER_SUBJECT_BEFORE,
    MAX_REMINDER_STEPS,
    OPEN_STATUSES,
    Business,
    Invoice,
    InvoiceStatus,
    LateFeeType,
    PaymentReminder,
    ReminderSkipReason,
    ReminderStatus,
    ReminderStep,
)
from billing.numbering import lock_sequences
from billing.recurrence import local_today
from billing.selectors import customers_open_invoices, last_reminder_step, with_open_invoice
from billing.services.invoices import invoice_create, invoice_issue
from billing.services.shared import created, find_target, plain
from billing.validation import (
    FieldErrors,
    Integer,
    Text,
    parse_choice,
    parse_money,
    parse_percent,
    refuse_unknown_fields,
)
from organizations.models import Organization
from organizations.tenancy import all_tenants, organization_scope

logger = logging.getLogger(__name__)

STEP_FIELDS = ("offset_days", "subject", "body", "late_fee_type", "late_fee_value")
MAX_OFFSET_DAYS = 365
REMINDER_OFFSET = Integer(-MAX_OFFSET_DAYS, MAX_OFFSET_DAYS)
REMINDER_SUBJECT = Text(200, placeholders=True)
REMINDER_BODY = Text(5000, multiline=True, placeholders=True)
CANDIDATES_PER_QUERY = 500
# Invoices reminded in one transaction: few enough that the locks are short and a failure
# (a concurrent run's row, a lock timeout) only sends this many through one by one.
INVOICES_PER_TRANSACTION = 100
# The reason printed on a late fee invoice: outside the scope of VAT (damages, not the price
# of a supply) where no VAT number is shown (BR-O-02); else exempt with the same explanation.
LATE_FEE_REASON_OUTSIDE = gettext_noop("Late payment compensation: outside the scope of VAT")
LATE_FEE_REASON_EXEMPT = gettext_noop("Late payment compensation: not consideration for a supply, no VAT charged")


def default_texts(offset_days: int) -> tuple[str, str]:
    """The built-in subject and body of a step (before the due date, or on/after it)."""
    if offset_days < 0:
        return DEFAULT_REMINDER_SUBJECT_BEFORE, DEFAULT_REMINDER_BODY_BEFORE
    return DEFAULT_REMINDER_SUBJECT_AFTER, DEFAULT_REMINDER_BODY_AFTER


# --- the schedule ---------------------------------------------------------------------------


def _parse_fee(raw: dict, path: str, currency: str, errors: FieldErrors) -> tuple[str, Decimal]:
    fee_type = errors.parse(f"{path}.late_fee_type", parse_choice, raw.get("late_fee_type") or "none", LateFeeType)
    value = raw.get("late_fee_value")
    if fee_type in (None, LateFeeType.NONE):
        return LateFeeType.NONE, Decimal(0)
    parser = parse_percent if fee_type == LateFeeType.PERCENT else parse_money
    args = () if fee_type == LateFeeType.PERCENT else (currency,)
    amount = errors.parse(f"{path}.late_fee_value", parser, value, *args)
    if amount is not None and amount <= 0:
        errors.add(f"{path}.late_fee_value", gettext("A late fee must be above zero; or choose no late fee."))
    return fee_type, amount or Decimal(0)


def _parse_step(raw, path: str, currency: str, errors: FieldErrors) -> dict | None:
    if not isinstance(raw, dict):
        errors.add(path, gettext("Each step is an object with offset_days, subject, body and a late fee."))
        return None
    try:
        refuse_unknown_fields(raw, STEP_FIELDS)
    except BillingValidationError as exc:
        for field, messages in exc.messages.items():
            for message in messages:
                errors.add(f"{path}.{field}", message)
        return None
    offset = errors.parse(f"{path}.offset_days", REMINDER_OFFSET, raw.get("offset_days"))
    subject_default, body_default = default_texts(offset or 0)
    subject = errors.parse(f"{path}.subject", REMINDER_SUBJECT, raw.get("subject")) or subject_default
    body = errors.parse(f"{path}.body", REMINDER_BODY, raw.get("body")) or body_default
    fee_type, fee_value = _parse_fee(raw, path, currency, errors)
    return {
        "offset_days": offset,
        "subject": subject,
        "body": body,
        "late_fee_type": fee_type,
        "late_fee_value": fee_value,
    }


def parse_reminder_steps(value, *, currency: str, field: str = "reminder_steps") -> list[dict]:
    """At most five steps with distinct offsets (days from the due date, -365..365), sorted
    by offset; blank texts take the built-in ones. Every problem at once, by field path."""
    errors = FieldErrors()
    if value is None:
        value = []
    if not isinstance(value, list | tuple):
        errors.add(field, gettext("Send a list of steps."))
        errors.raise_if_any()
    if len(value) > MAX_REMINDER_STEPS:
        errors.add(field, gettext("At most %(count)s steps.") % {"count": MAX_REMINDER_STEPS})
        errors.raise_if_any()
    steps = [_parse_step(raw, f"{field}.{index}", currency, errors) for index, raw in enumerate(value)]
    seen: set[int] = set()
    for index, step in enumerate(steps):
        if step is None or step["offset_days"] is None:
            continue
        if step["offset_days"] in seen:
            errors.add(f"{field}.{index}.offset_days", gettext("Two steps cannot have the same number of days."))
        seen.add(step["offset_days"])
    errors.raise_if_any()
    return sorted(steps, key=lambda step: step["offset_days"])


def _step_values(step) -> dict:
    return {
        "offset_days": step["offset_days"] if isinstance(step, dict) else step.offset_days,
        "late_fee_type": step["late_fee_type"] if isinstance(step, dict) else step.late_fee_type,
        "late_fee_value": plain(step["late_fee_value"] if isinstance(step, dict) else step.late_fee_value),
    }


def reminder_schedule_set(*, organization, actor, business_id, steps) -> list[ReminderStep]:
    """Replace the business's reminder steps. Reminders already sent or skipped stay as they
    are: the steps are numbered by offset, and an invoice is only ever sent steps after the
    last one it had."""
    with organization_scope(organization), transaction.atomic():
        business = find_target(Business, organization, business_id, for_update=True, label="business")
        parsed = parse_reminder_steps(steps, currency=business.default_currency)
        existing = list(ReminderStep.objects.filter(organization=organization, business=business))
        before = [_step_values(step) for step in existing]
        ReminderStep.objects.filter(organization=organization, business=business).delete()
        created = ReminderStep.objects.bulk_create(
            ReminderStep(organization=organization, business=business, position=position, **values)
            for position, values in enumerate(parsed, start=1)
        )
        after = [_step_values(values) for values in parsed]
        if before != after or any(_texts(old) != _texts(new) for old, new in zip(existing, created, strict=False)):
            record(
                organization=organization,
                actor=actor,
                action="business.reminders_updated",
                target=business,
                changes={"reminder_steps": [before, after]},
            )
    return created


def _texts(step) -> tuple[str, str]:
    return step.subject, step.body


# --- the opt-outs ---------------------------------------------------------------------------


def invoice_set_reminders(*, organization, actor, invoice_id, enabled: bool) -> Invoice:
    """Turn an invoice's reminders on or off; allowed in every state (not printed, so the
    issued invoice stays final and its ``version`` stays)."""
    if not isinstance(enabled, bool):
        raise BillingValidationError({"reminders_enabled": [gettext("Must be a valid boolean.")]})
    with organization_scope(organization), transaction.atomic():
        invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if invoice.reminders_enabled != enabled:
            old = invoice.reminders_enabled
            invoice.reminders_enabled = enabled
            invoice.save(update_fields=["reminders_enabled", "updated_at"])
            record(
                organization=organization,
                actor=actor,
                action="invoice.reminders_changed",
                target=invoice,
                changes={"reminders_enabled": [old, enabled]},
            )
    return invoice


# --- which step is due ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderPlan:
    send: ReminderStep | None
    superseded: tuple[ReminderStep, ...]


def plan_for(steps, *, due_date: date, today: date, done_through: int) -> ReminderPlan:
    """The steps after number ``done_through`` whose date (due date + offset) has come: the
    latest is sent, the earlier ones are superseded (an outage never sends a burst)."""
    due = [step for step in steps if step.position > done_through and due_date + timedelta(step.offset_days) <= today]
    if not due:
        return ReminderPlan(None, ())
    return ReminderPlan(due[-1], tuple(due[:-1]))


def stop_reason(invoice) -> str:
    """Why no reminder may go out for ``invoice`` now ("" when one may)."""
    if invoice.status == InvoiceStatus.CREDITED:
        return ReminderSkipReason.CREDITED
    if invoice.status == InvoiceStatus.PAID or (invoice.status in OPEN_STATUSES and invoice.balance_due <= 0):
        return ReminderSkipReason.CREDITED if invoice.amount_paid <= 0 else ReminderSkipReason.PAID
    if invoice.status not in OPEN_STATUSES:
        return ReminderSkipReason.NOT_OPEN
    if not invoice.reminders_enabled or not invoice.customer.reminders_enabled:
        return ReminderSkipReason.OPTED_OUT
    return ""


# --- sending one invoice's due step ---------------------------------------------------------


def _late_fee_vat(invoice) -> tuple[str, dict]:
    """Outside the scope of VAT when neither party shows a VAT number (BR-O-02 forbids them
    there); exempt, with the same explanation, when one does."""
    language = (invoice.customer_snapshot or {}).get("language") or invoice.business.language or "en"
    with override(language):
        if invoice.business.vat_id or invoice.customer.vat_id:
            return VAT_EXEMPT, {VAT_EXEMPT: {"text": gettext(LATE_FEE_REASON_EXEMPT), "code": ""}}
        return VAT_OUTSIDE_SCOPE, {VAT_OUTSIDE_SCOPE: {"text": gettext(LATE_FEE_REASON_OUTSIDE), "code": "VATEX-EU-O"}}


def _charge_late_fee(organization, invoice, step, today) -> Invoice | None:
    """A separate, numbered and issued invoice for the step's fee, referencing ``invoice``
    (never an edit of the issued invoice). None when the fee comes to nothing."""
    amount = late_fee_amount(
        fee_type=step.late_fee_type, value=step.late_fee_value, balance=invoice.balance_due, currency=invoice.currency
    )
    if amount <= 0:
        return None
    category, reasons = _late_fee_vat(invoice)
    language = (invoice.customer_snapshot or {}).get("language") or invoice.business.language or "en"
    with override(language):
        description = gettext("Late fee for invoice %(number)s") % {"number": invoice.number}
    item = {"description": description, "quantity": "1", "unit_price": amount, "tax_rate": "0"}
    data = {
        "business": invoice.business_id,
        "customer": invoice.customer_id,
        "currency": invoice.currency,
        "issue_date": today,
        "items": [item | {"vat_category": category}],
        "vat_exemption_reasons": reasons,
        "notes": "",
    }
    fee = invoice_create(organization=organization, actor=None, data=data)
    Invoice.objects.filter(organization=organization, pk=fee.pk).update(late_fee_for=invoice)
    return invoice_issue(organization=organization, actor=None, invoice_id=fee.pk)


def _queue(organization, invoice, reminder, step, today, open_invoices: list):
    """The late fee (if any) and the email, both or neither: when the email cannot be written
    (no address, say) no fee is charged and the reminder is saved as skipped with the reason.
    The email (returned, None when skipped) and the reminder row are written at the end of
    the chunk, naming each other (the foreign keys are checked at commit). Preparing the
    email writes nothing, so only a fee needs a savepoint to undo. ``open_invoices`` (the
    customer's) gains the fee invoice when one is issued."""
    charge = step.late_fee_type != LateFeeType.NONE and not invoice.late_fee_for_id
    try:
        with transaction.atomic() if charge else nullcontext():
            listed = open_invoices
            if charge:
                reminder.late_fee_invoice = _charge_late_fee(organization, invoice, step, today)
                if reminder.late_fee_invoice is not None:
                    listed = with_open_invoice(open_invoices, reminder.late_fee_invoice)
            email = hooks.prepare_reminder(organization=organization, reminder=reminder, open_invoices=listed)
        reminder.email_id = email.pk
        open_invoices[:] = listed
        return email
    except (BillingValidationError, StateConflict) as exc:
        messages = exc.messages.values() if isinstance(exc, BillingValidationError) else [[str(exc)]]
        note = " ".join(str(message) for group in messages for message in group)
    reminder.late_fee_invoice = None
    reminder.email_id = None
    reminder.status = ReminderStatus.SKIPPED
    reminder.reason = ReminderSkipReason.NOT_SENDABLE
    reminder.note = note[:2000]
    return None


def _reminder(organization, invoice, step, status, reason="") -> PaymentReminder:
    return PaymentReminder(
        organization=organization,
        invoice=invoice,
        step=step,
        step_number=step.position,
        offset_days=step.offset_days,
        scheduled_for=invoice.due_date + timedelta(step.offset_days),
        status=status,
        reason=reason,
    )


def _remind(organization, invoice, plan: ReminderPlan, today, open_invoices: list) -> tuple[list, object, dict]:
    """One locked invoice's rows (its due step queued or skipped, the earlier ones
    superseded), its email (None when skipped) and its audit entry."""
    skipped = [
        _reminder(organization, invoice, step, ReminderStatus.SKIPPED, ReminderSkipReason.SUPERSEDED)
        for step in plan.superseded
    ]
    reminder = _reminder(organization, invoice, plan.send, ReminderStatus.SCHEDULED)
    email = _queue(organization, invoice, reminder, plan.send, today, open_invoices)
    entry = {
        "action": "invoice.reminder_queued"
        if reminder.status == ReminderStatus.SCHEDULED
        else "invoice.reminder_skipped",
        "target": invoice,
        "changes": created(
            {
                "step": reminder.step_number,
                "superseded_steps": [row.step_number for row in skipped] or None,
                "late_fee_invoice": str(reminder.late_fee_invoice) if reminder.late_fee_invoice else None,
                "reason": reminder.note or None,
            }
        ),
    }
    return [*skipped, reminder], email, entry


def _steps_done(organization, invoices) -> dict:
    """The last step each invoice had, read after the invoices were locked (a run that held
    them before us has committed its rows by then)."""
    rows = (
        PaymentReminder.objects.filter(organization=organization, invoice__in=invoices)
        .values("invoice_id")
        .annotate(last=Max("step_number"))
    )
    return {row["invoice_id"]: row["last"] for row in rows}


def invoices_remind(*, organization, invoice_ids, steps_by_business: dict, today) -> list[PaymentReminder]:
    """Send each invoice's latest due step (``steps_by_business``: each business's steps, by
    position) and skip the earlier due ones, once, for a chunk of invoices in one transaction:
    the invoices are locked (in id order, so two runs queue rather than deadlock) and the rows
    are unique per step. The reminders queued or skipped, one per invoice that had a step due.
    Lock order: the invoices, the sequences of every business charging a fee, the audit chain."""
    with organization_scope(organization), transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update(of=("self",))
            .select_related("customer", "business")
            .filter(organization=organization, pk__in=list(invoice_ids))
            .order_by("pk")
        )
        done = _steps_done(organization, invoices)
        plans = []
        for invoice in invoices:
            steps = steps_by_business.get(invoice.business_id, ())
            plan = plan_for(steps, due_date=invoice.due_date, today=today, done_through=done.get(invoice.pk) or 0)
            if plan.send is not None and not stop_reason(invoice):
                plans.append((invoice, plan))
        charging = {
            invoice.business_id: invoice.business
            for invoice, plan in plans
            if plan.send.late_fee_type != LateFeeType.NONE and not invoice.late_fee_for_id
        }
        for business_id in sorted(charging, key=str):
            lock_sequences(charging[business_id], on_dates=[today])  # before the audit chain
        open_invoices = customers_open_invoices(
            organization=organization, customer_ids={invoice.customer_id for invoice, _ in plans}
        )
        rows, emails, entries = [], [], []
        for invoice, plan in plans:
            invoice_rows, email, entry = _remind(organization, invoice, plan, today, open_invoices[invoice.customer_id])
            rows += invoice_rows
            emails += [email] if email is not None else []
            entries.append(entry)
        hooks.queue_reminders(organization=organization, emails=emails)
        PaymentReminder.objects.bulk_create(rows)
        record_many(organization=organization, actor=None, entries=entries)
    return [row for row in rows if row.reason != ReminderSkipReason.SUPERSEDED]


# --- the scheduled run ----------------------------------------------------------------------


def _steps_by_business(organization) -> dict:
    steps: dict = {}
    for step in ReminderStep.objects.filter(organization=organization).order_by("business_id", "position"):
        steps.setdefault(step.business_id, []).append(step)
    return steps


def _candidates(organization, steps_by_business: dict, today: date):
    """(invoice id, business id, due date, last step done) of the open invoices of businesses
    with a schedule whose first step has come, with steps left, in chunks by id: memory stays
    flat whatever the number of invoices."""
    due = Q()
    for business_id, steps in steps_by_business.items():
        due |= Q(business_id=business_id, due_date__lte=today - timedelta(steps[0].offset_days)) & (
            Q(done__isnull=True) | Q(done__lt=steps[-1].position)
        )
    queryset = (
        Invoice.objects.filter(organization=organization, status__in=OPEN_STATUSES, balance_due__gt=0)
        .filter(reminders_enabled=True, customer__reminders_enabled=True)
        .annotate(done=Subquery(last_reminder_step(organization)))
        .filter(due)
        .order_by("pk")
    )
    after = None
    while True:
        chunk = queryset.filter(pk__gt=after) if after else queryset
        rows = list(chunk.values_list("pk", "business_id", "due_date", "done")[:CANDIDATES_PER_QUERY])
        yield from rows
        if len(rows) < CANDIDATES_PER_QUERY:
            return
        after = rows[-1][0]


def _due_chunks(organization, steps_by_business: dict, today: date):
    """The ids of the invoices whose next step has come, ``INVOICES_PER_TRANSACTION`` at a time."""
    chunk = []
    for invoice_id, business_id, due_date, done in _candidates(organization, steps_by_business, today):
        steps = steps_by_business[business_id]
        if plan_for(steps, due_date=due_date, today=today, done_through=done or 0).send is None:
            continue
        chunk.append(invoice_id)
        if len(chunk) == INVOICES_PER_TRANSACTION:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _remind_chunk(organization, invoice_ids, steps_by_business, today, summary: dict) -> None:
    """A chunk in one transaction; when it fails (a unique violation from a concurrent run, a
    lock timeout), each of its invoices again in a transaction of its own."""
    try:
        reminders = invoices_remind(
            organization=organization, invoice_ids=invoice_ids, steps_by_business=steps_by_business, today=today
        )
    except DatabaseError as exc:
        logger.warning("reminders of %s invoices failed together, retried one by one: %s", len(invoice_ids), exc)
        reminders = []
        for invoice_id in invoice_ids:
            try:
                reminders += invoices_remind(
                    organization=organization,
                    invoice_ids=[invoice_id],
                    steps_by_business=steps_by_business,
                    today=today,
                )
            except DatabaseError as exc:
                logger.warning("reminder of invoice %s failed: %s", invoice_id, exc)
                summary["failed"] += 1
    for reminder in reminders:
        summary["queued" if reminder.status == ReminderStatus.SCHEDULED else "skipped"] += 1


def _remind_organization(organization, now, summary: dict, deadline: float | None) -> bool:
    """Every due reminder of one organization; False when the time budget ran out."""
    today = local_today(now, organization.time_zone)
    with organization_scope(organization):
        steps_by_business = _steps_by_business(organization)
        chunks = _due_chunks(organization, steps_by_business, today) if steps_by_business else ()
        for invoice_ids in chunks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            _remind_chunk(organization, invoice_ids, steps_by_business, today, summary)
    return True


def run_due_reminders(*, now=None, time_budget: float | None = None) -> dict:
    """The beat job: in every organization with a reminder schedule, the invoices whose next
    step has come (today in the organization's time zone) get it, a chunk of invoices
    per transaction. After ``time_budget`` seconds it stops and says ``deferred`` (the task then
    enqueues itself again); what is left is found again by the next run."""
    deadline = time.monotonic() + time_budget if time_budget is not None else None
    now = now or timezone.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    # Which organizations have a schedule: deliberately all tenants.
    with all_tenants():
        organization_ids = set(ReminderStep.objects.values_list("organization_id", flat=True).distinct())
    summary = {"queued": 0, "skipped": 0, "failed": 0, "deferred": False}
    for organization in Organization.objects.filter(pk__in=organization_ids).order_by("pk"):
        if not _remind_organization(organization, now, summary, deadline):
            summary["deferred"] = True
            break
    return summary


# --- at send time (the outbox calls these in the transaction that marks the email sent) ----


def _locked(organization, reminder_id):
    reminder = PaymentReminder.objects.filter(organization=organization, pk=reminder_id).first()
    if reminder is None:
        return None, None
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(organization=organization, pk=reminder.invoice_id)
    )
    reminder = PaymentReminder.objects.select_for_update(of=("self",)).get(organization=organization, pk=reminder_id)
    return invoice, reminder


def reminder_stop_reason(*, organization, reminder_id) -> str:
    """Why the reminder's email must not go out now ("" when it may), with the invoice locked
    until the caller's transaction ends: a payment or credit note recorded meanwhile waits
    for it, so one either counts before the check or comes after the email."""
    with organization_scope(organization):
        invoice, reminder = _locked(organization, reminder_id)
        if reminder is None:
            return ReminderSkipReason.NOT_OPEN
        if reminder.status == ReminderStatus.SKIPPED:
            return reminder.reason or ReminderSkipReason.NOT_OPEN
        return stop_reason(invoice)


def reminder_skip(*, organization, reminder_id, reason: str) -> None:
    """The reminder's email was withdrawn: the reminder is skipped with the reason."""
    with organization_scope(organization), transaction.atomic():
        invoice, reminder = _locked(organization, reminder_id)
        if reminder is None or reminder.status != ReminderStatus.SCHEDULED:
            return
        reminder.status = ReminderStatus.SKIPPED
        reminder.reason = reason
        reminder.save(update_fields=["status", "reason", "updated_at"])
        record(
            organization=organization,
            actor=None,
            action="invoice.reminder_withdrawn",
            target=invoice,
            changes={"step": [None, reminder.step_number], "reason": [None, reason]},
        )


def reminder_mark_sent(*, organization, reminder_id, sent_at=None) -> None:
    with organization_scope(organization), transaction.atomic():
        invoice, reminder = _locked(organization, reminder_id)
        if reminder is None or reminder.status == ReminderStatus.SENT:
            return
        reminder.status = ReminderStatus.SENT
        reminder.sent_at = sent_at or timezone.now()
        reminder.save(update_fields=["status", "sent_at", "updated_at"])
        record(
            organization=organization,
            actor=None,
            action="invoice.reminder_sent",
            target=invoice,
            changes={"step": [None, reminder.step_number]},
        )
