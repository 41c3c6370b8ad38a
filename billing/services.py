"""Every billing write (billing-rules.md is the specification).

Each service takes the acting principal (a User, an ApiKey, or None for the system) and the
organization, runs in one transaction inside the organization's scope, looks every id up
inside that organization (another organization's id behaves like a missing one), validates
with field-tied messages (``BillingValidationError``), refuses actions the current state does
not allow (``StateConflict``), recomputes totals with ``billing.calc``, writes exactly one
audit entry, and schedules side effects on commit.

``version`` counts the printed states of an invoice: every change to something printed on
it (items, dates, discount, notes, terms, issue, a payment or its void, void) increments it.
Marking an invoice sent does not: ``sent_at`` is not printed, so the PDF stays valid.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit.services import record
from billing import hooks
from billing.calc import (
    DiscountExceedsSubtotal,
    InvoiceTotals,
    LineInput,
    balance_and_status,
    compute_totals,
    quantize_money,
)
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import (
    Business,
    Customer,
    DiscountType,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
from billing.numbering import MAX_NUMBER_LENGTH, format_number, next_number, number_format_errors
from billing.validation import (
    MAX_ITEMS,
    FieldErrors,
    InvalidValue,
    ItemInput,
    check_invoice_amounts,
    object_pk,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_date,
    parse_int,
    parse_items,
    parse_money,
    parse_percent,
    parse_text,
    refuse_unknown_fields,
)
from organizations.models import ApiKey
from organizations.tenancy import organization_scope

# The same words for an unknown id and another organization's, whatever the id (no existence leak).
NOT_FOUND_MESSAGE = "Object does not exist."
EDITABLE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
SENDABLE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
LOGO_MAX_BYTES = 1024 * 1024
LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


# --- shared helpers -------------------------------------------------------------------------


def _target(model, organization, target_id, *, for_update=False, label):
    """The object a service acts on; missing or another organization's -> NotFound (404)."""
    pk = object_pk(target_id)
    queryset = model.objects.filter(organization=organization)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    obj = queryset.filter(pk=pk).first() if pk else None
    if obj is None:
        raise NotFound(f"No such {label}.")
    obj.organization = organization
    return obj


def _reference(model, organization, value, field: str, errors: FieldErrors, *, for_update=False):
    """An id given in the body; missing or another organization's -> an error on ``field`` (400).

    An instance of ``model`` already read in ``organization`` (the API serializer looked the id
    up in the key's organization moments ago) is used as it is: a second identical read costs a
    round trip per request. A locking read (``for_update``) always goes to the database."""
    if value is None or value == "":
        errors.add(field, "This field is required.")
        return None
    if not for_update and isinstance(value, model) and value.organization_id == organization.pk:
        value.organization = organization
        return value
    pk = object_pk(value)
    if not pk:
        obj = None
    elif for_update:
        obj = model.objects.filter(organization=organization).select_for_update(of=("self",)).filter(pk=pk).first()
    else:
        obj = model.objects.filter(organization=organization, pk=pk).first()
    if obj is None:
        errors.add(field, NOT_FOUND_MESSAGE)
        return None
    obj.organization = organization
    return obj


def _actor_user(actor):
    return None if actor is None or isinstance(actor, ApiKey) else actor


def _actor_api_key(actor):
    return actor if isinstance(actor, ApiKey) else None


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, ApiKey):
        return actor.label
    return actor.email


def _money(value, currency) -> str | None:
    """Money for audit entries and snapshots: a string with exactly the currency's places."""
    if value is None:
        return None
    return str(quantize_money(Decimal(value), currency))


def _changes(before: dict, after: dict) -> dict:
    return {field: [before.get(field), after[field]] for field in after if before.get(field) != after[field]}


def _created(values: dict) -> dict:
    """Audit changes of a new object: its non-empty fields as [None, value]."""
    return {field: [None, value] for field, value in values.items() if value not in ("", None)}


def _model_errors(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


# --- businesses -----------------------------------------------------------------------------

BUSINESS_TEXT_FIELDS = {
    "name": 200,
    "legal_name": 200,
    "phone": 50,
    "address": 1000,
    "tax_id": 50,
    "default_notes": 5000,
    "default_terms": 5000,
    "payment_instructions": 2000,
    "email_subject_template": 200,
    "email_body_template": 5000,
}
BUSINESS_FIELDS = (
    *BUSINESS_TEXT_FIELDS,
    "email",
    "default_currency",
    "payment_terms_days",
    "invoice_number_format",
    "invoice_number_width",
    "invoice_number_yearly_reset",
    "logo",
)


def _parse_email(value) -> str:
    text = parse_text(value, max_length=254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise InvalidValue("Enter a valid email address.") from None
    return text


def _parse_logo(value):
    """An uploaded PNG or JPEG up to 1 MB, or empty to remove the logo."""
    if value in (None, "", False):
        return ""
    if not hasattr(value, "read") or not hasattr(value, "size"):
        raise InvalidValue("Upload an image file.")
    if value.size > LOGO_MAX_BYTES:
        raise InvalidValue("The logo may be at most 1 MB.")
    value.seek(0)
    head = value.read(8)
    value.seek(0)
    if not any(head.startswith(signature) for signature in LOGO_SIGNATURES):
        raise InvalidValue("Upload a PNG or JPEG image.")
    return value


def _parse_business(data: dict, *, current: Business | None) -> dict:
    refuse_unknown_fields(data, BUSINESS_FIELDS)
    errors = FieldErrors()
    values = {}
    for field, max_length in BUSINESS_TEXT_FIELDS.items():
        if field in data:
            values[field] = errors.parse(
                field, parse_text, data[field], max_length=max_length, required=field == "name"
            )
    if current is None and "name" not in data:
        errors.add("name", "This field is required.")
    if "email" in data:
        values["email"] = errors.parse("email", _parse_email, data["email"])
    if "default_currency" in data:
        values["default_currency"] = errors.parse("default_currency", parse_currency, data["default_currency"])
    if "payment_terms_days" in data:
        values["payment_terms_days"] = errors.parse(
            "payment_terms_days", parse_int, data["payment_terms_days"], minimum=0, maximum=365
        )
    if "invoice_number_width" in data:
        values["invoice_number_width"] = errors.parse(
            "invoice_number_width", parse_int, data["invoice_number_width"], minimum=1, maximum=12
        )
    if "invoice_number_yearly_reset" in data:
        values["invoice_number_yearly_reset"] = errors.parse(
            "invoice_number_yearly_reset", parse_bool, data["invoice_number_yearly_reset"]
        )
    if "invoice_number_format" in data:
        values["invoice_number_format"] = errors.parse(
            "invoice_number_format", parse_text, data["invoice_number_format"], max_length=50, required=True
        )
    if "logo" in data:
        values["logo"] = errors.parse("logo", _parse_logo, data["logo"])
    for template_field in ("email_subject_template", "email_body_template"):
        if values.get(template_field) is not None and not _is_format_string(values[template_field]):
            errors.add(template_field, "Use braces only around placeholders such as {number}.")
    errors.raise_if_any()

    def setting(field):
        return values[field] if field in values else getattr(current or Business(), field)

    number_format = setting("invoice_number_format")
    messages = number_format_errors(number_format, yearly_reset=setting("invoice_number_yearly_reset"))
    if not messages:
        longest = format_number(
            number_format,
            sequence=10 ** setting("invoice_number_width"),
            width=setting("invoice_number_width"),
            on_date=timezone.now().date(),
        )
        if len(longest) > MAX_NUMBER_LENGTH:
            messages = [f"Numbers in this format would be longer than {MAX_NUMBER_LENGTH} characters."]
    for message in messages:
        errors.add("invoice_number_format", message)
    errors.raise_if_any()
    return values


def _is_format_string(text: str) -> bool:
    import string

    try:
        list(string.Formatter().parse(text))
    except ValueError:
        return False
    return True


def _business_audit_values(business: Business) -> dict:
    values = {field: getattr(business, field) for field in BUSINESS_FIELDS}
    values["logo"] = business.logo.name if business.logo else ""
    return values


def business_create(*, organization, actor, data: dict) -> Business:
    """Create a seller profile; the numbering format must yield unique numbers."""
    with organization_scope(organization), transaction.atomic():
        values = _parse_business(data, current=None)
        values.setdefault("default_currency", organization.default_currency)
        business = Business(organization=organization, **values)
        try:
            business.full_clean(exclude=["logo"])
        except ValidationError as exc:
            raise BillingValidationError(_model_errors(exc)) from None
        business.save(force_insert=True)
        record(
            organization=organization,
            actor=actor,
            action="business.created",
            target=business,
            changes=_created(_business_audit_values(business)),
        )
    return business


def business_update(*, organization, actor, business_id, data: dict) -> Business:
    """Edit a seller profile. Issued invoices keep their snapshot of the old details."""
    with organization_scope(organization), transaction.atomic():
        business = _target(Business, organization, business_id, for_update=True, label="business")
        before = _business_audit_values(business)
        values = _parse_business(data, current=business)
        for field, value in values.items():
            setattr(business, field, value)
        try:
            business.full_clean(exclude=["logo"])
        except ValidationError as exc:
            raise BillingValidationError(_model_errors(exc)) from None
        business.save()
        record(
            organization=organization,
            actor=actor,
            action="business.updated",
            target=business,
            changes=_changes(before, _business_audit_values(business)),
        )
    return business


# --- customers ------------------------------------------------------------------------------

CUSTOMER_TEXT_FIELDS = {"name": 200, "phone": 50, "billing_address": 1000, "tax_id": 50, "notes": 5000}
CUSTOMER_FIELDS = (*CUSTOMER_TEXT_FIELDS, "email", "currency", "archived")


def _parse_customer(data: dict, *, creating: bool) -> dict:
    refuse_unknown_fields(data, CUSTOMER_FIELDS)
    errors = FieldErrors()
    values = {}
    for field, max_length in CUSTOMER_TEXT_FIELDS.items():
        if field in data:
            values[field] = errors.parse(
                field, parse_text, data[field], max_length=max_length, required=field == "name"
            )
    if creating and "name" not in data:
        errors.add("name", "This field is required.")
    if "email" in data:
        values["email"] = errors.parse("email", _parse_email, data["email"])
    if "currency" in data:
        values["currency"] = errors.parse("currency", parse_currency, data["currency"])
    if "archived" in data:
        values["archived"] = errors.parse("archived", parse_bool, data["archived"])
    errors.raise_if_any()
    return values


def _customer_audit_values(customer: Customer) -> dict:
    return {field: getattr(customer, field) for field in CUSTOMER_FIELDS}


def customer_create(*, organization, actor, data: dict) -> Customer:
    with organization_scope(organization), transaction.atomic():
        values = _parse_customer(data, creating=True)
        values.setdefault("currency", organization.default_currency)
        customer = Customer(organization=organization, **values)
        customer.save(force_insert=True)
        record(
            organization=organization,
            actor=actor,
            action="customer.created",
            target=customer,
            changes=_created(_customer_audit_values(customer)),
        )
    return customer


def customer_update(*, organization, actor, customer_id, data: dict) -> Customer:
    """Edit a customer; ``{"archived": true}`` archives it (audited as ``customer.archived``).
    Issued invoices keep their snapshot of the old details."""
    with organization_scope(organization), transaction.atomic():
        customer = _target(Customer, organization, customer_id, for_update=True, label="customer")
        before = _customer_audit_values(customer)
        for field, value in _parse_customer(data, creating=False).items():
            setattr(customer, field, value)
        customer.save()
        archived_now = customer.archived and not before["archived"]
        record(
            organization=organization,
            actor=actor,
            action="customer.archived" if archived_now else "customer.updated",
            target=customer,
            changes=_changes(before, _customer_audit_values(customer)),
        )
    return customer


def customer_delete(*, organization, actor, customer_id) -> None:
    """Only a customer without invoices can be deleted; one with invoices is archived instead."""
    with organization_scope(organization), transaction.atomic():
        customer = _target(Customer, organization, customer_id, for_update=True, label="customer")
        if Invoice.objects.filter(organization=organization, customer=customer).exists():
            raise StateConflict("This customer has invoices and cannot be deleted; archive it instead.")
        record(
            organization=organization,
            actor=actor,
            action="customer.deleted",
            target=customer,
            changes=_changes(_customer_audit_values(customer), dict.fromkeys(CUSTOMER_FIELDS)),
        )
        customer.delete()


# --- invoices -------------------------------------------------------------------------------

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
)
TOTAL_FIELDS = ("subtotal", "discount_total", "tax_total", "total", "balance_due")
INVOICE_TEXT_MAX = 5000


def _item_inputs(invoice) -> list[ItemInput]:
    return [
        ItemInput(item.description, item.quantity, item.unit_price, item.tax_rate)
        for item in InvoiceItem.objects.filter(organization=invoice.organization_id, invoice=invoice).order_by(
            "position"
        )
    ]


def _item_values(items: list[ItemInput]) -> list[dict]:
    """Items as audit values: decimals as plain strings, trailing zeros dropped."""
    return [
        {
            "description": item.description,
            "quantity": _plain(item.quantity),
            "unit_price": _plain(item.unit_price),
            "tax_rate": _plain(item.tax_rate),
        }
        for item in items
    ]


def _plain(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _compute(*, currency, items: list[ItemInput], discount_type, discount_value) -> InvoiceTotals:
    try:
        totals = compute_totals(
            currency=currency,
            lines=[LineInput(item.quantity, item.unit_price, item.tax_rate) for item in items],
            discount_type=discount_type,
            discount_value=discount_value,
        )
    except DiscountExceedsSubtotal:
        raise BillingValidationError(
            {"discount_value": ["The discount may not be larger than the subtotal."]}
        ) from None
    check_invoice_amounts(subtotal=totals.subtotal, total=totals.total, currency=currency)
    return totals


def _apply_totals(invoice: Invoice, totals: InvoiceTotals) -> None:
    invoice.subtotal = totals.subtotal
    invoice.discount_total = totals.discount_total
    invoice.tax_total = totals.tax_total
    invoice.total = totals.total
    invoice.balance_due = totals.total - invoice.amount_paid
    invoice.tax_breakdown = [
        {"rate": str(row.rate), "taxable_amount": str(row.taxable_amount), "tax_amount": str(row.tax_amount)}
        for row in totals.tax_breakdown
    ]


def _write_items(invoice: Invoice, items: list[ItemInput], totals: InvoiceTotals, *, replace=True) -> list[InvoiceItem]:
    """Write the invoice's items in one bulk insert whatever their number (after one delete)."""
    if replace:
        InvoiceItem.objects.filter(organization=invoice.organization_id, invoice=invoice).delete()
    return InvoiceItem.objects.bulk_create(
        [
            InvoiceItem(
                organization_id=invoice.organization_id,
                invoice=invoice,
                position=position,
                description=item.description,
                quantity=item.quantity,
                unit_price=item.unit_price,
                tax_rate=item.tax_rate,
                line_net=amounts.line_net,
                line_discount=amounts.line_discount,
            )
            for position, (item, amounts) in enumerate(zip(items, totals.lines, strict=True), start=1)
        ],
        batch_size=MAX_ITEMS,
    )


def _cache_items(invoice: Invoice, items: list[InvoiceItem]) -> None:
    """Hand the rows just written back with the invoice as a prefetch would: ``invoice.items.all()``
    returns them (in position order) without a query; the API's create response uses them."""
    queryset = invoice.items.all()
    queryset._result_cache, queryset._prefetch_done = list(items), True
    invoice._prefetched_objects_cache = {"items": queryset}


def _parse_discount(errors: FieldErrors, discount_type, raw_value, currency):
    if discount_type == DiscountType.PERCENT:
        return errors.parse("discount_value", parse_percent, raw_value)
    if discount_type == DiscountType.AMOUNT:
        return errors.parse("discount_value", parse_money, raw_value, currency)
    return Decimal(0)  # "none": a value sent along is meaningless and not kept


def _invoice_audit_values(invoice: Invoice, items: list[ItemInput]) -> dict:
    currency = invoice.currency
    return {
        "business": str(invoice.business_id),
        "customer": str(invoice.customer_id),
        "currency": currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "discount_type": invoice.discount_type,
        "discount_value": _plain(invoice.discount_value),
        "notes": invoice.notes,
        "terms": invoice.terms,
        "items": _item_values(items),
        **{field: _money(getattr(invoice, field), currency) for field in TOTAL_FIELDS},
    }


def invoice_create(*, organization, actor, data: dict) -> Invoice:
    """Create a draft with its items in one transaction (no number until it is issued).

    Defaults: the business's currency, notes and terms; issue date today in the
    organization's time zone; due date issue date + the business's payment terms."""
    with organization_scope(organization), transaction.atomic():
        refuse_unknown_fields(data, INVOICE_FIELDS)
        errors = FieldErrors()
        business = _reference(Business, organization, data.get("business"), "business", errors)
        customer = _reference(Customer, organization, data.get("customer"), "customer", errors)
        if customer is not None and customer.archived:
            errors.add("customer", "This customer is archived; restore it before invoicing it.")
        if data.get("currency") not in (None, ""):
            currency = errors.parse("currency", parse_currency, data["currency"])
        else:
            currency = business.default_currency if business else None
        if data.get("issue_date") not in (None, ""):
            issue_date = errors.parse("issue_date", parse_date, data["issue_date"])
        else:
            issue_date = organization.local_today()
        if data.get("due_date") not in (None, ""):
            due_date = errors.parse("due_date", parse_date, data["due_date"])
        elif business is not None and issue_date is not None:
            try:
                due_date = issue_date + timedelta(days=business.payment_terms_days)
            except OverflowError:  # an issue date at the very end of the calendar
                due_date = None
                errors.add("due_date", "Enter a due date: the default would be past the year 9999.")
        else:
            due_date = None
        discount_type = errors.parse("discount_type", parse_choice, data.get("discount_type") or "none", DiscountType)
        discount_value = None
        if currency and discount_type:
            discount_value = _parse_discount(errors, discount_type, data.get("discount_value", "0"), currency)
        notes = errors.parse(
            "notes",
            parse_text,
            data["notes"] if "notes" in data else getattr(business, "default_notes", ""),
            max_length=INVOICE_TEXT_MAX,
        )
        terms = errors.parse(
            "terms",
            parse_text,
            data["terms"] if "terms" in data else getattr(business, "default_terms", ""),
            max_length=INVOICE_TEXT_MAX,
        )
        items = []
        try:
            items = parse_items(data.get("items") or [])
        except BillingValidationError as exc:
            errors.errors.update(exc.errors)
        if issue_date and due_date and due_date < issue_date:
            errors.add("due_date", "The due date cannot be before the issue date.")
        errors.raise_if_any()

        totals = _compute(currency=currency, items=items, discount_type=discount_type, discount_value=discount_value)
        invoice = Invoice(
            organization=organization,
            business=business,
            customer=customer,
            currency=currency,
            issue_date=issue_date,
            due_date=due_date,
            discount_type=discount_type,
            discount_value=discount_value,
            notes=notes,
            terms=terms,
            created_by_user=_actor_user(actor),
            created_by_api_key=_actor_api_key(actor),
        )
        _apply_totals(invoice, totals)
        invoice.save(force_insert=True)  # before record(): lock order, see invoice_delete
        _cache_items(invoice, _write_items(invoice, items, totals, replace=False))
        record(
            organization=organization,
            actor=actor,
            action="invoice.created",
            target=invoice,
            changes=_created(_invoice_audit_values(invoice, items)),
        )
        hooks.schedule_document_refresh(invoice)
    return invoice


def invoice_update(*, organization, actor, invoice_id, data: dict) -> Invoice:
    """Edit a draft, issued or partially paid invoice; ``items`` replaces the whole list.

    After issue the business, customer and currency are fixed, and the new total may not
    fall below what has been paid. Totals are recomputed by calc on every edit."""
    with organization_scope(organization), transaction.atomic():
        invoice = _target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if invoice.status not in EDITABLE_STATUSES:
            raise StateConflict(f"A {invoice.get_status_display().lower()} invoice cannot be edited.")
        refuse_unknown_fields(data, INVOICE_FIELDS)
        old_items = _item_inputs(invoice)
        before = _invoice_audit_values(invoice, old_items)
        printed_before = {field: getattr(invoice, field) for field in PRINTED_FIELDS}
        errors = FieldErrors()
        fixed = not invoice.is_draft

        if "business" in data:
            business = _reference(Business, organization, data["business"], "business", errors)
            if business is not None and business.pk != invoice.business_id:
                if fixed:
                    errors.add("business", "The business of an issued invoice cannot be changed.")
                else:
                    invoice.business = business
        if "customer" in data:
            customer = _reference(Customer, organization, data["customer"], "customer", errors)
            if customer is not None and customer.pk != invoice.customer_id:
                if fixed:
                    errors.add("customer", "The customer of an issued invoice cannot be changed.")
                elif customer.archived:
                    errors.add("customer", "This customer is archived; restore it before invoicing it.")
                else:
                    invoice.customer = customer
        if "currency" in data:
            currency = errors.parse("currency", parse_currency, data["currency"])
            if currency is not None and currency != invoice.currency:
                if fixed:
                    errors.add("currency", "The currency of an issued invoice cannot be changed.")
                else:
                    invoice.currency = currency
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
                invoice.discount_value = _parse_discount(errors, invoice.discount_type, raw, invoice.currency)
        for field in ("notes", "terms"):
            if field in data:
                setattr(invoice, field, errors.parse(field, parse_text, data[field], max_length=INVOICE_TEXT_MAX))
        items = old_items
        if "items" in data:
            try:
                items = parse_items(data["items"] if data["items"] is not None else [])
            except BillingValidationError as exc:
                errors.errors.update(exc.errors)
        if "issue_date" not in errors and "due_date" not in errors and invoice.due_date < invoice.issue_date:
            errors.add("due_date", "The due date cannot be before the issue date.")
        errors.raise_if_any()

        totals = _compute(
            currency=invoice.currency,
            items=items,
            discount_type=invoice.discount_type,
            discount_value=invoice.discount_value,
        )
        if fixed and totals.total < invoice.amount_paid:
            paid = _money(invoice.amount_paid, invoice.currency)
            raise BillingValidationError(
                {
                    "non_field_errors": [
                        f"The new total ({_money(totals.total, invoice.currency)}) would be below the amount "
                        f"already paid ({paid}); void a payment first."
                    ]
                }
            )
        if fixed and totals.total <= 0:
            raise BillingValidationError({"items": ["An issued invoice must keep a total above zero."]})
        _apply_totals(invoice, totals)
        if invoice.status != InvoiceStatus.DRAFT:
            invoice.balance_due, invoice.status = balance_and_status(
                total=invoice.total, amount_paid=invoice.amount_paid
            )

        stored_lines = list(
            InvoiceItem.objects.filter(organization=organization, invoice=invoice)
            .order_by("position")
            .values_list("line_net", "line_discount")
        )
        lines_changed = stored_lines != [(line.line_net, line.line_discount) for line in totals.lines]
        items_changed = _item_values(items) != _item_values(old_items)
        printed_changed = items_changed or any(
            getattr(invoice, field) != value for field, value in printed_before.items()
        )
        if printed_changed:
            invoice.version += 1
        invoice.save()
        if items_changed or lines_changed:
            _write_items(invoice, items, totals)
        record(
            organization=organization,
            actor=actor,
            action="invoice.updated",
            target=invoice,
            changes=_changes(before, _invoice_audit_values(invoice, items)),
        )
        if printed_changed:
            hooks.schedule_document_refresh(invoice)
    return invoice


def invoice_delete(*, organization, actor, invoice_id) -> None:
    """Only drafts can be deleted: they have no number yet, so no number is ever lost."""
    with organization_scope(organization), transaction.atomic():
        invoice = _target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if not invoice.is_draft:
            raise StateConflict("Only a draft can be deleted; void an issued invoice instead.")
        items = _item_inputs(invoice)
        changes = {field: [value, None] for field, value in _invoice_audit_values(invoice, items).items()}
        target = {"target_type": "invoice", "target_id": str(invoice.pk), "target_label": str(invoice)}
        # The rows go before the audit entry: the invoice count trigger locks the organization's
        # count row, and every transaction takes that lock before the audit chain's (as
        # invoice_create does), or a create and a delete could deadlock.
        InvoiceItem.objects.filter(organization=organization, invoice=invoice).delete()
        invoice.delete()
        record(organization=organization, actor=actor, action="invoice.deleted", changes=changes, **target)


def invoice_issue(*, organization, actor, invoice_id) -> Invoice:
    """Issue a draft with at least one item and a total above zero.

    The number comes from the business's locked sequence in this transaction (gapless), and
    the business and customer details are copied onto the invoice, never to change again."""
    with organization_scope(organization), transaction.atomic():
        invoice = _target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if not invoice.is_draft:
            raise StateConflict(f"Only a draft can be issued; this invoice is {invoice.get_status_display().lower()}.")
        items = _item_inputs(invoice)
        if not items:
            raise StateConflict("Add at least one item before issuing the invoice.")
        totals = _compute(
            currency=invoice.currency,
            items=items,
            discount_type=invoice.discount_type,
            discount_value=invoice.discount_value,
        )
        if totals.total <= 0:
            raise StateConflict("An invoice with a total of zero cannot be issued.")
        business = Business.objects.get(organization=organization, pk=invoice.business_id)
        customer = Customer.objects.get(organization=organization, pk=invoice.customer_id)
        number = next_number(business, on_date=invoice.issue_date)
        if Invoice.objects.filter(organization=organization, business=business, number=number).exists():
            # Only possible after the numbering settings were changed to overlap old numbers.
            raise StateConflict(
                f"The number {number} is already used by this business; change its numbering format first."
            )
        _apply_totals(invoice, totals)
        invoice.number = number
        invoice.status = InvoiceStatus.ISSUED
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
                "total": [None, _money(invoice.total, invoice.currency)],
            },
        )
        hooks.schedule_document_refresh(invoice)
    return invoice


def invoice_void(*, organization, actor, invoice_id) -> Invoice:
    """Void an issued invoice with nothing paid on it. Terminal; it keeps its number."""
    with organization_scope(organization), transaction.atomic():
        invoice = _target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if invoice.status == InvoiceStatus.DRAFT:
            raise StateConflict("A draft cannot be voided; delete it instead.")
        if invoice.status == InvoiceStatus.VOID:
            raise StateConflict("This invoice is already void.")
        if invoice.status != InvoiceStatus.ISSUED or invoice.amount_paid != 0:
            raise StateConflict("This invoice has payments; void them before voiding the invoice.")
        old_status = invoice.status
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.version += 1
        invoice.save()
        record(
            organization=organization,
            actor=actor,
            action="invoice.voided",
            target=invoice,
            changes={"status": [old_status, InvoiceStatus.VOID]},
        )
        hooks.schedule_document_refresh(invoice)
    return invoice


def invoice_mark_sent(*, organization, actor, invoice_id, sent_at=None) -> Invoice:
    """Record that the invoice went out (the email job calls this). ``sent_at`` is not
    printed, so ``version`` stays and the current PDF remains fresh."""
    with organization_scope(organization), transaction.atomic():
        invoice = _target(Invoice, organization, invoice_id, for_update=True, label="invoice")
        if invoice.status not in SENDABLE_STATUSES:
            raise StateConflict(f"A {invoice.get_status_display().lower()} invoice cannot be sent.")
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


# --- payments -------------------------------------------------------------------------------


def _recompute_paid(invoice: Invoice) -> None:
    """Rule 7 in SQL: amount_paid is the sum of the invoice's payments that are not voided."""
    paid = Payment.objects.filter(organization=invoice.organization_id, invoice=invoice, voided=False).aggregate(
        paid=Sum("amount")
    )["paid"] or Decimal(0)
    invoice.amount_paid = quantize_money(paid, invoice.currency)
    invoice.balance_due, invoice.status = balance_and_status(total=invoice.total, amount_paid=invoice.amount_paid)


def _payment_label(payment: Payment, invoice: Invoice) -> str:
    return f"{_money(payment.amount, invoice.currency)} {invoice.currency} on {invoice.number}"


def payment_record(
    *, organization, actor, invoice_id, amount, date, method="bank_transfer", reference="", note=""
) -> Payment:
    """Record a payment on an issued or partially paid invoice.

    The invoice row is locked first, so concurrent payments queue: each sees the balance the
    previous one left, and ``0 < amount <= balance_due`` holds for every one that succeeds.
    The date may not be later than today in the organization's time zone."""
    with organization_scope(organization), transaction.atomic():
        errors = FieldErrors()
        invoice = _reference(Invoice, organization, invoice_id, "invoice", errors, for_update=True)
        errors.raise_if_any()
        if invoice.status == InvoiceStatus.DRAFT:
            raise StateConflict("Issue the invoice before recording a payment.")
        if invoice.status == InvoiceStatus.VOID:
            raise StateConflict("A void invoice cannot take payments.")
        if invoice.status == InvoiceStatus.PAID:
            raise StateConflict("This invoice is already paid in full.")
        currency = invoice.currency
        amount = errors.parse("amount", parse_money, amount, currency, positive=True)
        if amount is not None and amount > invoice.balance_due:
            errors.add(
                "amount",
                f"The amount may not exceed the balance due ({_money(invoice.balance_due, currency)} {currency}).",
            )
        payment_date = errors.parse("date", parse_date, date)
        if payment_date is not None and payment_date > organization.local_today():
            errors.add("date", "The payment date cannot be in the future.")
        method = errors.parse("method", parse_choice, method or PaymentMethod.BANK_TRANSFER, PaymentMethod)
        reference = errors.parse("reference", parse_text, reference, max_length=200)
        note = errors.parse("note", parse_text, note, max_length=2000)
        errors.raise_if_any()

        payment = Payment(
            organization=organization,
            invoice=invoice,
            amount=amount,
            date=payment_date,
            method=method,
            reference=reference,
            note=note,
            recorded_by_user=_actor_user(actor),
            recorded_by_api_key=_actor_api_key(actor),
            recorded_by_label=_actor_label(actor)[:300],
        )
        payment.save(force_insert=True)
        before = {"amount_paid": _money(invoice.amount_paid, currency), "status": invoice.status}
        _recompute_paid(invoice)
        invoice.version += 1
        invoice.save(update_fields=["amount_paid", "balance_due", "status", "version", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="payment.recorded",
            target=payment,
            target_label=_payment_label(payment, invoice),
            changes={
                "invoice": [None, str(invoice.pk)],
                "amount": [None, _money(amount, currency)],
                "date": [None, payment_date.isoformat()],
                "method": [None, method],
                "invoice_amount_paid": [before["amount_paid"], _money(invoice.amount_paid, currency)],
                "invoice_status": [before["status"], invoice.status],
            },
        )
        hooks.schedule_document_refresh(invoice)
    return payment


def payment_void(*, organization, actor, payment_id, reason: str) -> Payment:
    """Void a payment (it is kept, marked voided with the reason) and recompute the invoice:
    paid -> partially paid or issued. Refused on a void invoice or an already voided payment."""
    with organization_scope(organization), transaction.atomic():
        found = _target(Payment, organization, payment_id, label="payment")
        # Lock the invoice first, as payment_record does, then read the payment under that lock.
        invoice = _target(Invoice, organization, found.invoice_id, for_update=True, label="invoice")
        payment = Payment.objects.get(organization=organization, pk=found.pk)
        payment.organization = organization
        payment.invoice = invoice
        if invoice.status == InvoiceStatus.VOID:
            raise StateConflict("Payments of a void invoice cannot be voided.")
        if payment.voided:
            raise StateConflict("This payment is already voided.")
        errors = FieldErrors()
        reason = errors.parse("reason", parse_text, reason, max_length=500, required=True)
        errors.raise_if_any()

        currency = invoice.currency
        payment.voided = True
        payment.voided_at = timezone.now()
        payment.void_reason = reason
        payment.voided_by_user = _actor_user(actor)
        payment.voided_by_label = _actor_label(actor)[:300]
        payment.save(
            update_fields=["voided", "voided_at", "void_reason", "voided_by_user", "voided_by_label", "updated_at"]
        )
        before = {"amount_paid": _money(invoice.amount_paid, currency), "status": invoice.status}
        _recompute_paid(invoice)
        invoice.version += 1
        invoice.save(update_fields=["amount_paid", "balance_due", "status", "version", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="payment.voided",
            target=payment,
            target_label=_payment_label(payment, invoice),
            changes={
                "voided": [False, True],
                "void_reason": [None, reason],
                "invoice_amount_paid": [before["amount_paid"], _money(invoice.amount_paid, currency)],
                "invoice_status": [before["status"], invoice.status],
            },
        )
        hooks.schedule_document_refresh(invoice)
    return payment
