"""The parties of an invoice: businesses (sellers) and customers (buyers)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import record
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import Business, Customer, Invoice, InvoiceStatus
from billing.services.reminders import reminder_schedule_set
from billing.services.shared import changed, created, find_target
from billing.validation import (
    BUSINESS_COUNTRY_MESSAGE,
    BUSINESS_INPUT,
    CUSTOMER_COUNTRY_KEPT_MESSAGE,
    CUSTOMER_INPUT,
    REQUIRED_MESSAGE,
    FieldErrors,
    number_format_messages,
    refuse_unknown_fields,
)
from billing.vat import EU_COUNTRIES
from organizations.tenancy import organization_scope

# --- businesses -----------------------------------------------------------------------------


def _parse_business(data: dict, *, current: Business | None) -> dict:
    refuse_unknown_fields(data, BUSINESS_INPUT)
    errors = FieldErrors()
    values = {
        field: errors.parse(field, parse, data[field]) for field, parse in BUSINESS_INPUT.items() if field in data
    }
    if current is None and "name" not in data:
        errors.add("name", REQUIRED_MESSAGE)
    if (current is None or "country" in data) and "country" not in errors and not values.get("country"):
        errors.add("country", BUSINESS_COUNTRY_MESSAGE)  # BT-40: every invoice prints the seller's country
    errors.raise_if_any()

    def setting(field):
        return values[field] if field in values else getattr(current or Business(), field)

    for prefix in ("invoice", "credit_note"):  # each kind of document has its own numbering
        for message in number_format_messages(
            setting(f"{prefix}_number_format"),
            yearly_reset=setting(f"{prefix}_number_yearly_reset"),
            width=setting(f"{prefix}_number_width"),
            on_date=timezone.now().date(),
        ):
            errors.add(f"{prefix}_number_format", message)
    errors.raise_if_any()
    return values


def _business_audit_values(business: Business) -> dict:
    values = {field: getattr(business, field) for field in BUSINESS_INPUT}
    values["logo"] = business.logo.name if business.logo else ""
    return values


def business_create(*, organization, actor, data: dict) -> Business:
    """Create a seller profile; the numbering format must yield unique numbers.
    ``reminder_steps``, when given, is its reminder schedule (``reminder_schedule_set``)."""
    data = dict(data)
    steps = data.pop("reminder_steps", None)
    with organization_scope(organization), transaction.atomic():
        values = _parse_business(data, current=None)
        values.setdefault("default_currency", organization.default_currency)
        # Factur-X is the invoice PDF by default where EN 16931 e-invoicing is (becoming) the law.
        values.setdefault("facturx", values["country"] in EU_COUNTRIES)
        business = Business(organization=organization, **values)
        business.save(force_insert=True)
        record(
            organization=organization,
            actor=actor,
            action="business.created",
            target=business,
            changes=created(_business_audit_values(business)),
        )
        if steps is not None:
            reminder_schedule_set(organization=organization, actor=actor, business_id=business.pk, steps=steps)
    return business


def business_update(*, organization, actor, business_id, data: dict) -> Business:
    """Edit a seller profile. Issued invoices keep their snapshot of the old details.
    ``reminder_steps``, when given, replaces its reminder schedule, in the same transaction."""
    data = dict(data)
    steps = data.pop("reminder_steps", None)
    with organization_scope(organization), transaction.atomic():
        business = find_target(Business, organization, business_id, for_update=True, label="business")
        before = _business_audit_values(business)
        for field, value in _parse_business(data, current=business).items():
            setattr(business, field, value)
        business.save()
        record(
            organization=organization,
            actor=actor,
            action="business.updated",
            target=business,
            changes=changed(before, _business_audit_values(business)),
        )
        if steps is not None:
            reminder_schedule_set(organization=organization, actor=actor, business_id=business.pk, steps=steps)
    return business


# --- customers ------------------------------------------------------------------------------


def _parse_customer(data: dict, *, creating: bool) -> dict:
    refuse_unknown_fields(data, CUSTOMER_INPUT)
    errors = FieldErrors()
    values = {
        field: errors.parse(field, parse, data[field]) for field, parse in CUSTOMER_INPUT.items() if field in data
    }
    if creating and "name" not in data:
        errors.add("name", REQUIRED_MESSAGE)
    errors.raise_if_any()
    return values


def _customer_audit_values(customer: Customer) -> dict:
    return {field: getattr(customer, field) for field in CUSTOMER_INPUT}


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
            changes=created(_customer_audit_values(customer)),
        )
    return customer


def customer_update(*, organization, actor, customer_id, data: dict) -> Customer:
    """Edit a customer; ``{"archived": true}`` archives it (audited as ``customer.archived``).
    Issued invoices keep their snapshot of the old details."""
    with organization_scope(organization), transaction.atomic():
        customer = find_target(Customer, organization, customer_id, for_update=True, label="customer")
        before = _customer_audit_values(customer)
        values = _parse_customer(data, creating=False)
        if values.get("country") == "" and customer.country and _has_issued_invoices(organization, customer):
            raise BillingValidationError({"country": [CUSTOMER_COUNTRY_KEPT_MESSAGE]})
        for field, value in values.items():
            setattr(customer, field, value)
        customer.save()
        archived_now = customer.archived and not before["archived"]
        record(
            organization=organization,
            actor=actor,
            action="customer.archived" if archived_now else "customer.updated",
            target=customer,
            changes=changed(before, _customer_audit_values(customer)),
        )
    return customer


def _has_issued_invoices(organization, customer) -> bool:
    return (
        Invoice.objects.filter(organization=organization, customer=customer)
        .exclude(status=InvoiceStatus.DRAFT)
        .exists()
    )


def customer_delete(*, organization, actor, customer_id) -> None:
    """Only a customer without invoices can be deleted; one with invoices is archived instead."""
    with organization_scope(organization), transaction.atomic():
        customer = find_target(Customer, organization, customer_id, for_update=True, label="customer")
        if Invoice.objects.filter(organization=organization, customer=customer).exists():
            raise StateConflict(gettext("This customer has invoices and cannot be deleted; archive it instead."))
        record(
            organization=organization,
            actor=actor,
            action="customer.deleted",
            target=customer,
            changes=changed(_customer_audit_values(customer), dict.fromkeys(CUSTOMER_INPUT)),
        )
        customer.delete()
