"""Billing reads: already filtered by organization, with the joins, prefetches and
annotations lists need, so every page and endpoint runs a constant number of queries.

Overdue is derived, never stored: status issued or partially paid and a due date before
today in the organization's time zone (``Organization.local_today()``)."""

import re
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth

from billing.calc import RowAmounts, left_to_credit, quantize_money
from billing.exceptions import NotFound
from billing.models import (
    INVOICED_STATUSES,
    OPEN_STATUSES,
    CreditNote,
    CreditNoteItem,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceItem,
    Payment,
    PaymentKind,
    PaymentReminder,
    RecurringInvoice,
    RecurringInvoiceLine,
    RecurringRun,
    ReminderStatus,
    ReminderStep,
)
from billing.validation import object_pk

INVOICE_ORDERINGS = {
    "created_at",
    "-created_at",
    "issue_date",
    "-issue_date",
    "due_date",
    "-due_date",
    "number",
    "-number",
    "total",
    "-total",
    "balance_due",
    "-balance_due",
    "status",
    "-status",
    "customer__name",
    "-customer__name",
}
# (pattern, thousands separator), tried in order; what is left of a comma is the decimal one.
AMOUNT_PATTERNS = (
    (re.compile(r"\d+", re.ASCII), None),
    (re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+", re.ASCII), ","),
    (re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d{1,2}", re.ASCII), "."),
)
CUSTOMER_ORDERINGS = {"name", "-name", "created_at", "-created_at"}
PAID_WINDOW_DAYS = 30


def overdue_condition(today: date) -> Q:
    return Q(status__in=OPEN_STATUSES, due_date__lt=today)


def _with_overdue(queryset, today: date):
    return queryset.annotate(
        is_overdue=Case(
            When(overdue_condition(today), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def invoice_list(
    *,
    organization,
    status=None,
    customer=None,
    business=None,
    overdue=None,
    search=None,
    issue_date_after=None,
    issue_date_before=None,
    ordering=None,
) -> QuerySet:
    """Invoices with customer and business joined and ``is_overdue`` annotated.

    ``status`` is one status or a list; ``overdue`` True/False filters on the derived flag;
    ``search`` matches the number or the customer's name; ``ordering`` is one of
    ``INVOICE_ORDERINGS`` (anything else falls back to newest first)."""
    today = organization.local_today()
    queryset = _with_overdue(
        Invoice.objects.filter(organization=organization).select_related("customer", "business"), today
    )
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        queryset = queryset.filter(status__in=statuses)
    if customer:
        queryset = queryset.filter(customer_id=object_pk(customer))
    if business:
        queryset = queryset.filter(business_id=object_pk(business))
    if overdue is True:
        queryset = queryset.filter(overdue_condition(today))
    elif overdue is False:
        queryset = queryset.exclude(overdue_condition(today))
    if search:
        search = search.strip()
        matches = Q(number__icontains=search) | Q(customer__name__icontains=search)
        amount = search_amount(search)
        if amount is not None:
            matches |= Q(total=amount)
        queryset = queryset.filter(matches)
    if issue_date_after:
        queryset = queryset.filter(issue_date__gte=issue_date_after)
    if issue_date_before:
        queryset = queryset.filter(issue_date__lte=issue_date_before)
    if ordering in INVOICE_ORDERINGS:
        return queryset.order_by(ordering, "-created_at", "pk")
    return queryset.order_by("-created_at", "pk")


def search_amount(text: str) -> Decimal | None:
    """The amount a search names, if it reads as one, else None: ``500``, ``500.00``,
    ``1,200.50`` and ``1,200`` (comma groups thousands), ``1.200,50`` and ``500,5`` (a decimal
    comma)."""
    text = text.strip()
    if len(text) > 20:
        return None
    for pattern, thousands in AMOUNT_PATTERNS:
        if pattern.fullmatch(text):
            return Decimal(text.replace(thousands, "").replace(",", ".") if thousands else text)
    return None


def invoice_item_rows(*, organization, invoice_ids) -> dict:
    """The items of the given invoices in one query, as plain rows (a page of 100 invoices can
    have thousands of items): ``{invoice id: [(id, description, quantity, unit_price, tax_rate,
    vat_category, line_net), ...]}`` in position order."""
    by_invoice: dict = {}
    rows = (
        InvoiceItem.objects.filter(organization=organization, invoice_id__in=list(invoice_ids))
        .order_by("invoice_id", "position")
        .values_list(
            "invoice_id", "id", "description", "quantity", "unit_price", "tax_rate", "vat_category", "line_net"
        )
    )
    for invoice_id, *item in rows:
        by_invoice.setdefault(invoice_id, []).append(item)
    return by_invoice


def invoice_corrections(*, organization, invoice_ids) -> tuple[dict, dict]:
    """For the given invoices, in two queries: ``{invoice id: [issued credit note id, ...]}``
    (oldest first) and ``{invoice id: id of the draft or invoice that replaces it}``."""
    ids = list(invoice_ids)
    credit_notes: dict = {}
    rows = (
        CreditNote.objects.filter(organization=organization, invoice_id__in=ids, status=CreditNoteStatus.ISSUED)
        .order_by("invoice_id", "issued_at", "id")
        .values_list("invoice_id", "id")
    )
    for invoice_id, note_id in rows:
        credit_notes.setdefault(invoice_id, []).append(note_id)
    replaced_by = dict(
        Invoice.objects.filter(organization=organization, replaces_id__in=ids).values_list("replaces_id", "id")
    )
    return credit_notes, replaced_by


def credit_note_item_rows(*, organization, credit_note_ids) -> dict:
    """The lines of the given credit notes in one query, shaped like ``invoice_item_rows``."""
    by_note: dict = {}
    rows = (
        CreditNoteItem.objects.filter(organization=organization, credit_note_id__in=list(credit_note_ids))
        .order_by("credit_note_id", "position")
        .values_list(
            "credit_note_id", "id", "description", "quantity", "unit_price", "tax_rate", "vat_category", "line_net"
        )
    )
    for note_id, *item in rows:
        by_note.setdefault(note_id, []).append(item)
    return by_note


def _row_amounts(rows) -> list[RowAmounts]:
    return [
        RowAmounts(row["category"], Decimal(row["rate"]), Decimal(row["taxable_amount"]), Decimal(row["tax_amount"]))
        for row in rows or ()
    ]


def invoice_left_to_credit(*, organization, invoice: Invoice) -> tuple[RowAmounts, ...]:
    """What is left to credit of each (VAT category, rate) row of ``invoice``: its stored row
    less its issued credit notes' rows (``billing.calc.left_to_credit``), in one query."""
    issued = CreditNote.objects.filter(
        organization=organization, invoice=invoice, status=CreditNoteStatus.ISSUED
    ).values_list("tax_breakdown", flat=True)
    credited = [row for breakdown in issued for row in _row_amounts(breakdown)]
    return left_to_credit(_row_amounts(invoice.tax_breakdown), credited, invoice.currency)


def invoice_left_to_credit_by_id(*, organization, invoice_id) -> tuple[RowAmounts, ...] | None:
    """``invoice_left_to_credit`` of the organization's invoice ``invoice_id``; None for an id
    that names none of its invoices (the web editor's preview of a credit note)."""
    pk = object_pk(invoice_id)
    invoice = Invoice.objects.filter(organization=organization, pk=pk).first() if pk is not None else None
    return None if invoice is None else invoice_left_to_credit(organization=organization, invoice=invoice)


def credit_notes(*, organization, status: str = "", search: str = "") -> QuerySet:
    """The organization's credit notes, newest first, with their invoice (and its customer);
    ``status`` filters (draft, issued), ``search`` matches its or its invoice's number."""
    queryset = CreditNote.objects.filter(organization=organization).select_related("invoice__customer")
    if status in CreditNoteStatus.values:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(Q(number__icontains=search) | Q(invoice__number__icontains=search))
    return queryset.order_by("-created_at", "-id")


def invoice_detail(*, organization, invoice_id) -> Invoice:
    """One invoice with customer, business, items (by position) and payments (oldest first)
    loaded in four queries; another organization's id raises ``NotFound``."""
    pk = object_pk(invoice_id)
    invoice = None
    if pk is not None:
        invoice = (
            _with_overdue(Invoice.objects.filter(organization=organization, pk=pk), organization.local_today())
            .select_related("customer", "business", "created_by_user")
            .prefetch_related(
                Prefetch("items", queryset=InvoiceItem.objects.filter(organization=organization).order_by("position")),
                Prefetch(
                    "payments",
                    queryset=Payment.objects.filter(organization=organization)
                    .select_related("recorded_by_user")
                    .order_by("date", "created_at"),
                ),
            )
            .first()
        )
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def customer_list(*, organization, search=None, archived=None, ordering=None) -> QuerySet:
    """Customers by name; ``search`` matches name or email, ``archived`` True/False filters."""
    queryset = Customer.objects.filter(organization=organization)
    if archived is not None:
        queryset = queryset.filter(archived=archived)
    if search:
        search = search.strip()
        queryset = queryset.filter(Q(name__icontains=search) | Q(email__icontains=search))
    return queryset.order_by(ordering if ordering in CUSTOMER_ORDERINGS else "name", "pk")


def payment_list(*, organization, invoice=None) -> QuerySet:
    """Payments, newest first, with their invoice joined; ``invoice`` narrows to one invoice."""
    queryset = Payment.objects.filter(organization=organization).select_related("invoice", "recorded_by_user")
    if invoice:
        queryset = queryset.filter(invoice_id=object_pk(invoice))
    return queryset.order_by("-created_at", "pk")


def dashboard_figures(*, organization) -> list[dict]:
    """Per currency, in two SQL aggregates over the open invoices and the last 30 days' payments
    only (the partial indexes ``invoice_open_org_due`` and ``payment_live_org_date`` hold exactly
    those rows), so the cost does not grow with the organization's history::

        [{"currency": "EUR", "outstanding": Decimal, "overdue_count": int,
          "overdue_amount": Decimal, "paid_last_30_days": Decimal}, ...]

    Outstanding is the balance of issued and partially paid invoices; paid in the last 30
    days counts payments not voided dated within the last 30 days (org time zone)."""
    today = organization.local_today()
    # The rows are open already: the overdue filter needs only the due date, which keeps the
    # aggregate inside the partial index's columns (an index-only scan on PostgreSQL).
    overdue = Q(due_date__lt=today)
    invoice_rows = (
        Invoice.objects.filter(organization=organization, status__in=OPEN_STATUSES)
        .values("currency")
        .annotate(
            outstanding=Sum("balance_due"),
            overdue_count=Count("due_date", filter=overdue),  # a column of the index, never null
            overdue_amount=Sum("balance_due", filter=overdue),
        )
        .order_by()
    )
    paid_rows = (
        _live_payments(organization, date__gt=today - timedelta(days=PAID_WINDOW_DAYS), date__lte=today)
        .values("currency")
        .annotate(paid=NET_PAID)
        .order_by()
    )
    figures: dict[str, dict] = {}
    for item in invoice_rows:
        currency = item["currency"]
        figures_row = _figures_row(figures, currency)
        figures_row["outstanding"] = _money(item["outstanding"], currency)
        figures_row["overdue_count"] = item["overdue_count"]
        figures_row["overdue_amount"] = _money(item["overdue_amount"], currency)
    for item in paid_rows:
        currency = item["currency"]
        _figures_row(figures, currency)["paid_last_30_days"] = _money(item["paid"], currency)
    return [figures[currency] for currency in sorted(figures)]


# Money received less money paid back: a refund counts against the payments of its period.
NET_PAID = Sum(Case(When(kind=PaymentKind.REFUND, then=-F("amount")), default=F("amount")))


def _live_payments(organization, **dates) -> QuerySet:
    """Payments not voided in a date range, summed by their own ``currency`` (the invoice's,
    copied when recorded): the partial index ``payment_live_org_date`` holds every column
    these sums read, so no invoice is joined."""
    return Payment.objects.filter(organization=organization, voided=False, **dates)


def _figures_row(figures: dict, currency: str) -> dict:
    return figures.setdefault(
        currency,
        {
            "currency": currency,
            "outstanding": Decimal(0),
            "overdue_count": 0,
            "overdue_amount": Decimal(0),
            "paid_last_30_days": Decimal(0),
        },
    )


def _money(value, currency) -> Decimal:
    # SQLite sums decimals as floats; quantizing to the currency brings them back exact.
    return quantize_money(Decimal(str(value or 0)), currency)


def _month_starts(today: date, months: int) -> list[date]:
    starts = []
    year, month = today.year, today.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def invoiced_vs_paid_by_month(*, organization, months=12) -> list[dict]:
    """For each currency, the last ``months`` calendar months (this one included, org time
    zone), oldest first, from two SQL aggregates over those months only (partial indexes
    ``invoice_invoiced_org_issue`` and ``payment_live_org_date``)::

        [{"currency": "EUR", "months": [{"month": date(2026, 1, 1), "invoiced": Decimal,
                                          "paid": Decimal}, ...]}, ...]

    Invoiced sums the totals of issued (not draft, not void) invoices by issue date; paid sums
    payments not voided by payment date."""
    today = organization.local_today()
    starts = _month_starts(today, months)
    first = starts[0]
    invoiced = (
        Invoice.objects.filter(
            organization=organization, status__in=INVOICED_STATUSES, issue_date__gte=first, issue_date__lte=today
        )
        .annotate(month=TruncMonth("issue_date"))
        .values("currency", "month")
        .annotate(amount=Sum(F("total") - F("credited_total")))
        .order_by()
    )
    paid = (
        _live_payments(organization, date__gte=first, date__lte=today)
        .annotate(month=TruncMonth("date"))
        .values("currency", "month")
        .annotate(amount=NET_PAID)
        .order_by()
    )
    series: dict[str, dict[date, dict]] = {}

    def cell(currency, month):
        by_month = series.setdefault(
            currency, {start: {"month": start, "invoiced": Decimal(0), "paid": Decimal(0)} for start in starts}
        )
        return by_month[_as_date(month)]

    for item in invoiced:
        cell(item["currency"], item["month"])["invoiced"] = _money(item["amount"], item["currency"])
    for item in paid:
        currency = item["currency"]
        cell(currency, item["month"])["paid"] = _money(item["amount"], currency)
    for currency, by_month in series.items():
        for month in by_month.values():
            month["invoiced"] = quantize_money(month["invoiced"], currency)
            month["paid"] = quantize_money(month["paid"], currency)
    return [{"currency": currency, "months": list(series[currency].values())} for currency in sorted(series)]


def _as_date(value) -> date:
    # TruncMonth of a DateField is a date; some backends hand back a datetime.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def recurring_line_rows(*, organization, template_ids) -> dict:
    """The lines of the given recurring templates in one query: ``{template id: [(id,
    description, quantity, unit_price, tax_rate, vat_category), ...]}`` in position order."""
    by_template: dict = {}
    rows = (
        RecurringInvoiceLine.objects.filter(organization=organization, template_id__in=list(template_ids))
        .order_by("template_id", "position")
        .values_list("template_id", "id", "description", "quantity", "unit_price", "tax_rate", "vat_category")
    )
    for template_id, *line in rows:
        by_template.setdefault(template_id, []).append(line)
    return by_template


def recurring_runs(*, organization, template) -> QuerySet:
    """A template's run history, the latest period first, with the invoice's number."""
    return (
        RecurringRun.objects.filter(organization=organization, template=template)
        .select_related("invoice")
        .only(*RECURRING_RUN_COLUMNS, "invoice__number", "invoice__status")
        .order_by("-period")
    )


RECURRING_RUN_COLUMNS = (
    "id",
    "template_id",
    "period",
    "run_date",
    "status",
    "invoice_id",
    "email_queued",
    "note",
    "created_at",
)


def recurring_invoice_list(*, organization) -> QuerySet:
    """The organization's recurring templates with their customer and business, the next
    run first (ended schedules last)."""
    return (
        RecurringInvoice.objects.filter(organization=organization)
        .select_related("customer", "business")
        .order_by(F("next_run_date").asc(nulls_last=True), "name", "pk")
    )


def recurring_invoice_detail(*, organization, template_id) -> RecurringInvoice:
    """One template with its customer, business and lines; another organization's id raises
    ``NotFound``."""
    pk = object_pk(template_id)
    template = None
    if pk is not None:
        template = (
            RecurringInvoice.objects.filter(organization=organization, pk=pk)
            .select_related("customer", "business")
            .prefetch_related(Prefetch("lines", RecurringInvoiceLine.objects.filter(organization=organization)))
            .first()
        )
    if template is None:
        raise NotFound("No such recurring invoice.")
    return template


# --- payment reminders ----------------------------------------------------------------------

OPEN_INVOICES_LISTED = 50


def customers_open_invoices(*, organization, customer_ids, limit: int = OPEN_INVOICES_LISTED) -> dict:
    """What each customer has open (issued or partly paid, a balance above zero), by due
    date: the statement a reminder lists; at most ``limit`` rows each, all in one query.
    Customer id -> list."""
    ranked = (
        Invoice.objects.filter(
            organization=organization, customer_id__in=list(customer_ids), status__in=OPEN_STATUSES, balance_due__gt=0
        )
        .only("customer_id", "number", "due_date", "balance_due", "currency")
        .annotate(rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=[F("due_date"), F("number")]))
        .filter(rank__lte=limit)
        .order_by("customer_id", "due_date", "number")
    )
    listed: dict = {customer_id: [] for customer_id in customer_ids}
    for invoice in ranked:
        listed[invoice.customer_id].append(invoice)
    return listed


def with_open_invoice(invoices: list[Invoice], invoice: Invoice, limit: int = OPEN_INVOICES_LISTED) -> list[Invoice]:
    """``invoices`` (a customer's open ones) with ``invoice``, just opened, in its place."""
    return sorted([*invoices, invoice], key=lambda row: (row.due_date, row.number))[:limit]


def reminder_steps(*, organization, business_id) -> list[ReminderStep]:
    return list(ReminderStep.objects.filter(organization=organization, business_id=business_id).order_by("position"))


def reminder_timeline(*, organization, invoice) -> list[dict]:
    """The invoice's reminders: each step done (sent, scheduled, skipped and why), then the
    steps still to come with their dates, while the invoice is open and wants reminders."""
    done = list(PaymentReminder.objects.filter(organization=organization, invoice=invoice).order_by("step_number"))
    rows = [
        {
            "step": row.step_number,
            "date": row.scheduled_for,
            "status": row.status,
            "status_label": row.get_status_display(),
            "reason": row.get_reason_display() if row.reason else "",
            "reason_code": row.reason,
            "note": row.note,
            "sent_at": row.sent_at,
            "late_fee_invoice": row.late_fee_invoice_id,
            "upcoming": False,
        }
        for row in done
    ]
    wants = invoice.status in OPEN_STATUSES and invoice.balance_due > 0 and invoice.reminders_enabled
    if not wants or not invoice.customer.reminders_enabled:
        return rows
    last = done[-1].step_number if done else 0
    for step in reminder_steps(organization=organization, business_id=invoice.business_id):
        if step.position > last:
            rows.append(
                {
                    "step": step.position,
                    "date": invoice.due_date + timedelta(step.offset_days),
                    "status": ReminderStatus.SCHEDULED,
                    "status_label": ReminderStatus.SCHEDULED.label,
                    "reason": "",
                    "reason_code": "",
                    "note": "",
                    "sent_at": None,
                    "late_fee_invoice": None,
                    "upcoming": True,
                }
            )
    return rows


def invoice_reminders(*, organization, invoice_id) -> tuple[Invoice, list[dict]]:
    """The invoice (with its customer) and its ``reminder_timeline``."""
    invoice = (
        Invoice.objects.select_related("customer").filter(organization=organization, pk=object_pk(invoice_id)).first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice, reminder_timeline(organization=organization, invoice=invoice)


def last_reminder_step(organization):
    """The number of the last step an invoice had: a subquery on the invoice's row."""
    return (
        PaymentReminder.objects.filter(organization=organization, invoice=OuterRef("pk"))
        .order_by("-step_number")
        .values("step_number")[:1]
    )


def _upcoming_ids(organization, steps, today, days: int, limit: int) -> Q:
    """Per step offset, the ``limit`` open invoices with the soonest due date whose step of
    that offset falls in the window and has not been done: the soonest reminders of each
    offset, whatever the number of invoices and of the other offsets' reminders."""
    candidates = (
        Invoice.objects.filter(organization=organization, status__in=OPEN_STATUSES, balance_due__gt=0)
        .filter(reminders_enabled=True, customer__reminders_enabled=True)
        .annotate(done=Subquery(last_reminder_step(organization)))
    )
    by_offset: dict = {}
    for business_id, position, offset in steps:
        by_offset.setdefault(offset, []).append((business_id, position))
    wanted = Q()
    for offset, businesses in by_offset.items():
        not_done = Q()
        for business_id, position in businesses:
            not_done |= Q(business_id=business_id) & (Q(done__isnull=True) | Q(done__lt=position))
        start, end = today - timedelta(offset), today + timedelta(days - 1 - offset)
        soonest = candidates.filter(not_done, due_date__gte=start, due_date__lte=end).order_by("due_date", "pk")
        wanted |= Q(pk__in=soonest.values("pk")[:limit])
    return wanted


def upcoming_reminders(*, organization, days: int = 7, limit: int = 10) -> list[dict]:
    """The reminders going out in the next ``days`` days (today included), soonest first, at
    most ``limit``: per step of each schedule, the open invoices whose step date falls in the
    window and that have not had that step yet. Two queries, whatever the number of invoices:
    the steps, then the invoices (the soonest ``limit`` of each step offset, in one query)."""
    today = organization.local_today()
    steps = list(
        ReminderStep.objects.filter(organization=organization).values_list("business_id", "position", "offset_days")
    )
    if not steps:
        return []
    invoices = (
        Invoice.objects.filter(_upcoming_ids(organization, steps, today, days, limit))
        .filter(organization=organization)
        .annotate(done=Subquery(last_reminder_step(organization)))
        .select_related("customer")
    )
    rows = []
    for invoice in invoices:
        for business_id, position, offset in steps:
            date_of = invoice.due_date + timedelta(offset)
            if (
                business_id == invoice.business_id
                and today <= date_of < today + timedelta(days)
                and position > (invoice.done or 0)
            ):
                rows.append({"invoice": invoice, "step": position, "date": date_of})
    return sorted(rows, key=lambda row: (row["date"], str(row["invoice"])))[:limit]
