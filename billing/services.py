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

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from audit.services import record
from billing.calc import (
    quantize_money,
)
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import (
    Business,
    Customer,
    Invoice,
    InvoiceStatus,
)
from billing.numbering import MAX_NUMBER_LENGTH, format_number, number_format_errors
from billing.validation import (
    FieldErrors,
    InvalidValue,
    parse_bool,
    parse_currency,
    parse_int,
    parse_text,
    refuse_unknown_fields,
)
from organizations.models import ApiKey
from organizations.tenancy import organization_scope

NOT_FOUND_MESSAGE = 'Invalid pk "{pk}" - object does not exist.'  # DRF's wording for a bad related id
EDITABLE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
SENDABLE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
LOGO_MAX_BYTES = 1024 * 1024
LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


# --- shared helpers -------------------------------------------------------------------------


def _pk(value):
    """A UUID from a model instance, a UUID, or a string; None for anything malformed."""
    if hasattr(value, "_meta"):
        value = value.pk
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _target(model, organization, target_id, *, for_update=False, label):
    """The object a service acts on; missing or another organization's -> NotFound (404)."""
    pk = _pk(target_id)
    queryset = model.objects.filter(organization=organization)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    obj = queryset.filter(pk=pk).first() if pk else None
    if obj is None:
        raise NotFound(f"No such {label}.")
    obj.organization = organization
    return obj


def _reference(model, organization, value, field: str, errors: FieldErrors, *, for_update=False):
    """An id given in the body; missing or another organization's -> an error on ``field`` (400)."""
    if value is None or value == "":
        errors.add(field, "This field is required.")
        return None
    pk = _pk(value)
    queryset = model.objects.filter(organization=organization)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    obj = queryset.filter(pk=pk).first() if pk else None
    if obj is None:
        shown = value.pk if hasattr(value, "_meta") else value
        errors.add(field, NOT_FOUND_MESSAGE.format(pk=shown))
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
