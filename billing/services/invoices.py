"""Invoices: drafts with their items, edits, delete, issue (numbering), void, mark sent."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from audit.services import record
from billing import hooks, vat
from billing.calc import (
    VAT_STANDARD,
    DiscountExceedsSubtotal,
    InvoiceTotals,
    LineInput,
    RowAmounts,
    balance_and_status,
    compute_totals,
)
from billing.exceptions import FINAL_MESSAGE, BillingValidationError, StateConflict
from billing.models import Business, Customer, DiscountType, Invoice, InvoiceItem, InvoiceStatus
from billing.numbering import next_number
from billing.services.shared import (
    actor_api_key,
    actor_user,
    changed,
    created,
    find_reference,
    find_target,
    line_rows,
    money_text,
    plain,
)
from billing.validation import (
    INVOICE_TEXT,
    MAX_ITEMS,
    FieldErrors,
    ItemInput,
    check_invoice_amounts,
    check_parties_for_issue,
    parse_choice,
    parse_currency,
    parse_date,
    parse_exemption_reasons,
    parse_items,
    parse_money,
    parse_percent,
    refuse_unknown_fields,
)
from organizations.tenancy import organization_scope

SENDABLE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.CREDITED)

INVOICE_FIELDS = (
    "business",
    "customer",
    "currency",
    "issue_date",
    "due_date",
    "discount_type",
    "discount_value",
    "notes",
    "terms",
    "items",
    "vat_exemption_reasons",
)
# What is printed on the invoice; a change to any of these increments ``version``.
PRINTED_FIELDS = (
    "business_id",
    "customer_id",
    "currency",
    "issue_date",
    "due_date",
    "discount_type",
    "discount_value",
    "notes",
    "terms",
    "vat_exemption_reasons",
)
TOTAL_FIELDS = ("subtotal", "discount_total", "tax_total", "total", "balance_due")
ARCHIVED_CUSTOMER_MESSAGE = gettext_lazy("This customer is archived; restore it before invoicing it.")
DUE_BEFORE_ISSUE_MESSAGE = gettext_lazy("The due date cannot be before the issue date.")


# --- items, totals and audit values ---------------------------------------------------------


def item_inputs(invoice) -> list[ItemInput]:
    items = InvoiceItem.objects.filter(organization=invoice.organization_id, invoice=invoice).order_by("position")
    return [
        ItemInput(item.description, item.quantity, item.unit_price, item.tax_rate, item.vat_category) for item in items
    ]


def item_values(items: list[ItemInput]) -> list[dict]:
    """Items as audit values: decimals as plain strings, trailing zeros dropped."""
    return [
        {
            "description": item.description,
            "quantity": plain(item.quantity),
            "unit_price": plain(item.unit_price),
            "tax_rate": plain(item.tax_rate),
            "vat_category": item.vat_category,
        }
        for item in items
    ]


def parse_items_into(errors: FieldErrors, raw_items, business) -> list[ItemInput]:
    default_category = business.default_vat_category if business is not None else VAT_STANDARD
    try:
        return parse_items(raw_items, default_category=default_category)
    except BillingValidationError as exc:
        errors.merge(exc)
        return []


def _exemption_reasons(errors: FieldErrors, data: dict, *, invoice, business, items, old_items) -> dict:
    """The reason of each exempt category the lines use (BT-120, BT-121): the one sent, else the
    one the invoice had (unless ``vat_exemption_reasons`` was sent without it: cleared), else,
    for a category no line used before, the business's. Reasons of unused categories are dropped."""
    sent = None
    if "vat_exemption_reasons" in data:
        sent = errors.parse("vat_exemption_reasons", parse_exemption_reasons, data["vat_exemption_reasons"])
    current = (invoice.vat_exemption_reasons or {}) if invoice is not None else {}
    used_before = {item.vat_category for item in old_items}
    return _chosen_reasons(sent, current=current, used_before=used_before, business=business, items=items)


def new_invoice_reasons(sent: dict, *, business, items) -> dict:
    """The reasons a new invoice with these ``items`` gets when ``sent`` (already parsed) are
    given for it: each category's reason sent, else the business's (as ``invoice_create`` does)."""
    return _chosen_reasons(sent or {}, current={}, used_before=set(), business=business, items=items)


def _chosen_reasons(sent, *, current: dict, used_before: set, business, items) -> dict:
    defaults = (business.vat_exemption_reasons or {}) if business is not None else {}
    reasons = {}
    for category in vat.EXEMPTION_REASON_CATEGORIES:
        if not any(item.vat_category == category for item in items):
            continue
        if sent is not None and category in sent:
            reason = sent[category]
        elif sent is None and category in current:
            reason = current[category]
        elif category not in used_before:
            reason = defaults.get(category)
        else:
            reason = None
        if reason:
            reasons[category] = {"text": reason.get("text", ""), "code": reason.get("code", "")}
    return reasons


def parse_discount(errors: FieldErrors, discount_type, raw_value, currency):
    if discount_type == DiscountType.PERCENT:
        return errors.parse("discount_value", parse_percent, raw_value)
    if discount_type == DiscountType.AMOUNT:
        return errors.parse("discount_value", parse_money, raw_value, currency)
    return Decimal(0)  # "none": a value sent along is meaningless and not kept


def compute_document(invoice, items: list[ItemInput], *, left: tuple[RowAmounts, ...] | None = None) -> InvoiceTotals:
    """The totals of an invoice, or of a credit note (``left``: what is left to credit of its
    invoice's rows, ``billing.calc.compute_totals``), by calc."""
    try:
        totals = compute_totals(
            currency=invoice.currency,
            lines=[LineInput(item.quantity, item.unit_price, item.tax_rate, item.vat_category) for item in items],
            discount_type=invoice.discount_type,
            discount_value=invoice.discount_value,
            left=left,
        )
    except DiscountExceedsSubtotal:
        raise BillingValidationError(
            {"discount_value": [gettext("The discount may not be larger than the subtotal.")]}
        ) from None
    check_invoice_amounts(subtotal=totals.subtotal, total=totals.total, currency=invoice.currency)
    return totals


def _apply_totals(invoice: Invoice, totals: InvoiceTotals) -> None:
    invoice.subtotal = totals.subtotal
    invoice.discount_total = totals.discount_total
    invoice.tax_total = totals.tax_total
    invoice.total = totals.total
    invoice.balance_due = totals.total - invoice.amount_paid
    invoice.tax_breakdown = breakdown_rows(totals, invoice.vat_exemption_reasons)


def breakdown_rows(totals: InvoiceTotals, reasons: dict) -> list[dict]:
    """The stored VAT breakdown (BG-23): calc's rows, each with its category's exemption reason."""
    return [
        {
            "category": row.category,
            "rate": str(row.rate),
            "taxable_amount": str(row.taxable_amount),
            "tax_amount": str(row.tax_amount),
            "exemption_reason": (reasons.get(row.category) or {}).get("text", ""),
            "exemption_reason_code": (reasons.get(row.category) or {}).get("code", ""),
        }
        for row in totals.tax_breakdown
    ]


def _write_items(invoice: Invoice, items: list[ItemInput], totals: InvoiceTotals, *, replace=True) -> None:
    """Write the invoice's items in one bulk insert whatever their number (after one delete)."""
    if replace:
        InvoiceItem.objects.filter(organization=invoice.organization_id, invoice=invoice).delete()
    rows = line_rows(InvoiceItem, items, totals, organization_id=invoice.organization_id, invoice=invoice)
    InvoiceItem.objects.bulk_create(rows, batch_size=MAX_ITEMS)


def _invoice_audit_values(invoice: Invoice, items: list[ItemInput]) -> dict:
    currency = invoice.currency
    return {
        "business": str(invoice.business_id),
        "customer": str(invoice.customer_id),
        "currency": currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "discount_type": invoice.discount_type,
        "discount_value": plain(invoice.discount_value),
        "notes": invoice.notes,
        "terms": invoice.terms,
        "items": item_values(items),
        "vat_exemption_reasons": invoice.vat_exemption_reasons,
        **{field: money_text(getattr(invoice, field), currency) for field in TOTAL_FIELDS},
    }


# --- create ---------------------------------------------------------------------------------


def _new_invoice(organization, data: dict) -> tuple[Invoice, list[ItemInput]]:
    """The unsaved draft ``data`` describes, and its items; every error at once."""
    refuse_unknown_fields(data, INVOICE_FIELDS)
    errors = FieldErrors()
    business = find_reference(Business, organization, data.get("business"), "business", errors)
    customer = find_reference(Customer, organization, data.get("customer"), "customer", errors)
    if customer is not None and customer.archived:
        errors.add("customer", ARCHIVED_CUSTOMER_MESSAGE)
    if data.get("currency") not in (None, ""):
        currency = errors.parse("currency", parse_currency, data["currency"])
    else:
        currency = business.default_currency if business else None
    issue_date, due_date = _new_invoice_dates(organization, business, data, errors)
    discount_type = errors.parse("discount_type", parse_choice, data.get("discount_type") or "none", DiscountType)
    discount_value = None
    if currency and discount_type:
        discount_value = parse_discount(errors, discount_type, data.get("discount_value", "0"), currency)
    texts = {
        field: errors.parse(field, INVOICE_TEXT, data[field] if field in data else getattr(business, default, ""))
        for field, default in (("notes", "default_notes"), ("terms", "default_terms"))
    }
    items = parse_items_into(errors, data.get("items") or [], business)
    reasons = _exemption_reasons(errors, data, invoice=None, business=business, items=items, old_items=[])
    if issue_date and due_date and due_date < issue_date:
        errors.add("due_date", DUE_BEFORE_ISSUE_MESSAGE)
    errors.raise_if_any()
    invoice = Invoice(
        organization=organization,
        business=business,
        customer=customer,
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        discount_type=discount_type,
        discount_value=discount_value,
        vat_exemption_reasons=reasons,
        **texts,
    )
    return invoice, items


def _new_invoice_dates(organization, business, data: dict, errors: FieldErrors):
    """Issue date (default: today in the organization's time zone) and due date (default:
    the issue date plus the business's payment terms)."""
    if data.get("issue_date") not in (None, ""):
        issue_date = errors.parse("issue_date", parse_date, data["issue_date"])
    else:
        issue_date = organization.local_today()
    if data.get("due_date") not in (None, ""):
        return issue_date, errors.parse("due_date", parse_date, data["due_date"])
    if business is None or issue_date is None:
        return issue_date, None
    try:
        return issue_date, issue_date + timedelta(days=business.payment_terms_days)
    except OverflowError:  # an issue date at the very end of the calendar
        errors.add("due_date", gettext("Enter a due date: the default would be past the year 9999."))
        return issue_date, None


def invoice_create(*, organization, actor, data: dict) -> Invoice:
    """Create a draft with its items in one transaction (no number until it is issued).

    Defaults: the business's currency, notes and terms; issue date today in the
    organization's time zone; due date issue date + the business's payment terms."""
    with organization_scope(organization), transaction.atomic():
        return create_draft(organization, actor, data)


def invoice_duplicate(*, organization, actor, invoice_id) -> Invoice:
    """A new draft with another invoice's business, customer, currency, discount, notes,
    terms and lines, whatever that invoice's status; dated like any new draft (today, due
    after the business's payment terms). Checked like ``invoice_create`` (an archived customer
    is refused); the audit entry names the invoice it copies."""
    with organization_scope(organization), transaction.atomic():
        source = find_target(Invoice, organization, invoice_id, label="invoice")
        data = {
            "business": source.business_id,
            "customer": source.customer_id,
            "currency": source.currency,
            "discount_type": source.discount_type,
            "discount_value": plain(source.discount_value),
            "notes": source.notes,
            "terms": source.terms,
            "items": item_values(item_inputs(source)),
        }
        copied_from = {"duplicated_from": [None, str(source)]}  # its number, or "Draft 1a2b3c4d"
        return create_draft(organization, actor, data, extra_changes=copied_from)


def create_draft(organization, actor, data: dict, *, extra_changes=None) -> Invoice:
    invoice, items = _new_invoice(organization, data)
    totals = compute_document(invoice, items)
    invoice.created_by_user = actor_user(actor)
    invoice.created_by_api_key = actor_api_key(actor)
    _apply_totals(invoice, totals)
    invoice.save(force_insert=True)
    _write_items(invoice, items, totals, replace=False)
    record(
        organization=organization,
        actor=actor,
        action="invoice.created",
        target=invoice,
        changes={**created(_invoice_audit_values(invoice, items)), **(extra_changes or {})},
    )
    hooks.schedule_document_refresh(invoice)
    return invoice


# --- update ---------------------------------------------------------------------------------


def _edit_parties(organization, invoice: Invoice, data: dict, errors: FieldErrors) -> None:
    """Business, customer and currency: they may change on a draft, never after issue."""
    fixed = not invoice.is_draft
    if "business" in data:
        business = find_reference(Business, organization, data["business"], "business", errors)
        if business is not None and business.pk != invoice.business_id:
            if fixed:
                errors.add("business", gettext("The business of an issued invoice cannot be changed."))
            else:
                invoice.business = business
    if "customer" in data:
        customer = find_reference(Customer, organization, data["customer"], "customer", errors)
        if customer is not None and customer.pk != invoice.customer_id:
            if fixed:
                errors.add("customer", gettext("The customer of an issued invoice cannot be changed."))
            elif customer.archived:
                errors.add("customer", ARCHIVED_CUSTOMER_MESSAGE)
            else:
                invoice.customer = customer
    if "currency" in data:
        currency = errors.parse("currency", parse_currency, data["currency"])
        if currency is not None and currency != invoice.currency:
            if fixed:
                errors.add("currency", gettext("The currency of an issued invoice cannot be changed."))
            else:
                invoice.currency = currency


def _edit_terms(invoice: Invoice, data: dict, errors: FieldErrors) -> None:
    """Dates, discount, notes and terms."""
    for field in ("issue_date", "due_date"):
        if field in data:
            value = errors.parse(field, parse_date, data[field])
            if value is not None:
                setattr(invoice, field, value)
    if "discount_type" in data:
        invoice.discount_type = errors.parse("discount_type", parse_choice, data["discount_type"], DiscountType)
    if "discount_value" in data or "discount_type" in data or "currency" in data:
        raw = data.get("discount_value", invoice.discount_value)
        if invoice.discount_type:
            invoice.discount_value = parse_discount(errors, invoice.discount_type, raw, invoice.currency)
    for field in ("notes", "terms"):
        if field in data:
            setattr(invoice, field, errors.parse(field, INVOICE_TEXT, data[field]))


def _apply_edit(organization, invoice: Invoice, data: dict, old_items: list[ItemInput]) -> list[ItemInput]:
    """Set what ``data`` changes on ``invoice``; returns the items it will have."""
    errors = FieldErrors()
    _edit_parties(organization, invoice, data, errors)
    _edit_terms(invoice, data, errors)
    items = old_items
    if "items" in data:
        items = parse_items_into(errors, data["items"] if data["items"] is not None else [], invoice.business)
    invoice.vat_exemption_reasons = _exemption_reasons(
        errors, data, invoice=invoice, business=invoice.business, items=items, old_items=old_items
    )
    if "issue_date" not in errors and "due_date" not in errors and invoice.due_date < invoice.issue_date:
        errors.add("due_date", DUE_BEFORE_ISSUE_MESSAGE)
    errors.raise_if_any()
    return items


def _vat_problems(reasons: dict, items: list[ItemInput], *, seller, buyer, errors: FieldErrors) -> None:
    """Every rule of the VAT table (eu-invoicing.md), for the parties as they will be printed
    (the live records at issue, the snapshots after). A path the parties' own rules already
    flagged (a missing country) keeps their message only."""
    problems = vat.issue_problems(
        categories=[item.vat_category for item in items],
        reasons=reasons or {},
        seller=_vat_party(seller),
        buyer=_vat_party(buyer),
    )
    for path, messages in problems.items():
        if path not in errors:
            for message in messages:
                errors.add(path, message)
    errors.sizes["items"] = len(items)


def issue_rule_errors(*, items: list[ItemInput], reasons: dict, business, customer, errors: FieldErrors) -> None:
    """What an invoice needs before it is issued, added to ``errors`` by field path: both
    parties' countries and every rule of the VAT table for its lines' categories and ``reasons``.
    A draft may be incomplete; issue may not. Recurring templates check what their invoices
    will need with this too, when they are saved."""
    try:
        check_parties_for_issue(business=business, customer=customer)
    except BillingValidationError as exc:
        errors.merge(exc)
    _vat_problems(reasons, items, seller=business, buyer=customer, errors=errors)


def _vat_party(party) -> vat.Party:
    """A business or customer, or the snapshot an issued invoice keeps of it, as the VAT rules read it."""
    if isinstance(party, dict):
        return vat.Party(vat_id=party.get("vat_id") or "", country=party.get("country") or "")
    return vat.Party(vat_id=party.vat_id, country=party.country)


def _save_edit(invoice: Invoice, items, old_items, totals: InvoiceTotals, printed_before: dict) -> bool:
    """Save the edited invoice, with a new version when something printed changed, and write
    its items again when they or their amounts changed. True when something printed changed."""
    stored_lines = list(
        InvoiceItem.objects.filter(organization=invoice.organization_id, invoice=invoice)
        .order_by("position")
        .values_list("line_net", "line_discount")
    )
    lines_changed = stored_lines != [(line.line_net, line.line_discount) for line in totals.lines]
    items_changed = item_values(items) != item_values(old_items)
    printed_changed = items_changed or any(getattr(invoice, field) != value for field, value in printed_before.items())
    if printed_changed:
        invoice.version += 1
    invoice.save()
    if items_changed or lines_changed:
        _write_items(invoice, items, totals)
    return printed_changed


def invoice_update(*, organization, actor, invoice_id, data: dict) -> Invoice:
    """Edit a draft; ``items`` replaces the whole list. Totals are recomputed by calc.

    Issued invoices are final (eu-invoicing.md): nothing printed on them changes, and an
    edit is refused with a pointer to credit notes (cancel, or correct)."""
    with organization_scope(organization), transaction.atomic():
        invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if not invoice.is_draft:
            raise StateConflict(gettext(FINAL_MESSAGE))
        refuse_unknown_fields(data, INVOICE_FIELDS)
        old_items = item_inputs(invoice)
        before = _invoice_audit_values(invoice, old_items)
        printed_before = {field: getattr(invoice, field) for field in PRINTED_FIELDS}
        items = _apply_edit(organization, invoice, data, old_items)
        totals = compute_document(invoice, items)
        _apply_totals(invoice, totals)
        printed_changed = _save_edit(invoice, items, old_items, totals, printed_before)
        record(
            organization=organization,
            actor=actor,
            action="invoice.updated",
            target=invoice,
            changes=changed(before, _invoice_audit_values(invoice, items)),
        )
        if printed_changed:
            hooks.schedule_document_refresh(invoice)
    return invoice


# --- delete, issue, void, mark sent ---------------------------------------------------------


def invoice_delete(*, organization, actor, invoice_id) -> None:
    """Only drafts can be deleted: they have no number yet, so no number is ever lost."""
    with organization_scope(organization), transaction.atomic():
        invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if not invoice.is_draft:
            raise StateConflict(
                gettext("Only a draft can be deleted; cancel an issued invoice with a credit note instead.")
            )
        items = item_inputs(invoice)
        changes = {field: [value, None] for field, value in _invoice_audit_values(invoice, items).items()}
        target = {"target_type": "invoice", "target_id": str(invoice.pk), "target_label": str(invoice)}
        InvoiceItem.objects.filter(organization=organization, invoice=invoice).delete()
        invoice.delete()
        record(organization=organization, actor=actor, action="invoice.deleted", changes=changes, **target)


def invoice_issue(*, organization, actor, invoice_id) -> Invoice:
    """Issue a draft with at least one item and a total above zero, both parties' countries,
    and what the VAT table needs for its lines' categories (reasons, VAT ids, countries:
    ``billing.vat.issue_problems``); every missing field is named at once.

    The number comes from the business's locked sequence in this transaction (gapless), and
    the business and customer details are copied onto the invoice, never to change again."""
    with organization_scope(organization), transaction.atomic():
        invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if not invoice.is_draft:
            raise StateConflict(
                gettext("Only a draft can be issued; this invoice is %(status)s.")
                % {"status": invoice.get_status_display().lower()}
            )
        items = item_inputs(invoice)
        if not items:
            raise StateConflict(gettext("Add at least one item before issuing the invoice."))
        totals = compute_document(invoice, items)
        if totals.total <= 0:
            raise StateConflict(gettext("An invoice with a total of zero cannot be issued."))
        business = Business.objects.get(organization=organization, pk=invoice.business_id)
        customer = Customer.objects.get(organization=organization, pk=invoice.customer_id)
        errors = FieldErrors()
        issue_rule_errors(
            items=items, reasons=invoice.vat_exemption_reasons, business=business, customer=customer, errors=errors
        )
        errors.raise_if_any()
        number = next_number(business, on_date=invoice.issue_date)
        if Invoice.objects.filter(organization=organization, business=business, number=number).exists():
            # Only possible after the numbering settings were changed to overlap old numbers.
            raise StateConflict(
                gettext("The number %(number)s is already used by this business; change its numbering format first.")
                % {"number": number}
            )
        _apply_totals(invoice, totals)
        invoice.number = number
        invoice.issued_at = timezone.now()
        invoice.business_snapshot = business.snapshot()
        invoice.customer_snapshot = customer.snapshot()
        invoice.balance_due, invoice.status = balance_and_status(total=invoice.total, amount_paid=invoice.amount_paid)
        invoice.version += 1
        invoice.save()
        record(
            organization=organization,
            actor=actor,
            action="invoice.issued",
            target=invoice,
            changes={
                "status": [InvoiceStatus.DRAFT, invoice.status],
                "number": [None, number],
                "total": [None, money_text(invoice.total, invoice.currency)],
            },
        )
        hooks.schedule_document_refresh(invoice)
    return invoice


def invoice_void(*, organization, actor, invoice_id) -> Invoice:
    """Voiding is history: an issued invoice is final and is cancelled by a credit note
    (``invoice_cancel``); a draft is deleted. Every call is refused with the way to go."""
    with organization_scope(organization), transaction.atomic():
        invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if invoice.status == InvoiceStatus.DRAFT:
            raise StateConflict(gettext("A draft cannot be voided; delete it instead."))
        if invoice.status == InvoiceStatus.VOID:
            raise StateConflict(gettext("This invoice is already void."))
        raise StateConflict(
            gettext(
                "An issued invoice cannot be voided: cancel it instead, which issues a credit note for what is left."
            )
        )


def invoice_mark_sent(*, organization, actor, invoice_id, sent_at=None) -> Invoice:
    """Record that the invoice went out (the email job calls this). ``sent_at`` is not
    printed, so ``version`` stays and the current PDF remains fresh."""
    with organization_scope(organization), transaction.atomic():
        invoice = find_target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if invoice.status not in SENDABLE_STATUSES:
            raise StateConflict(
                gettext("A %(status)s invoice cannot be sent.") % {"status": invoice.get_status_display().lower()}
            )
        old = invoice.sent_at
        invoice.sent_at = sent_at or timezone.now()
        invoice.save(update_fields=["sent_at", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="invoice.sent",
            target=invoice,
            changes={"sent_at": [old.isoformat() if old else None, invoice.sent_at.isoformat()]},
        )
    return invoice
