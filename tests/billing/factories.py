"""Billing test data. Businesses and customers are plain model factories; invoices and
payments are made through the services, so their stored totals are always right.

    business = BusinessFactory(organization=org)
    invoice = make_invoice(organization=org, business=business, status="partially_paid")
    assert_stored_totals(invoice)
"""

from decimal import Decimal

import factory

from billing import services
from billing.calc import LineInput, balance_and_status, compute_totals, quantize_money
from billing.models import Business, Customer, Invoice, InvoiceStatus, Payment
from organizations.tenancy import organization_scope
from tests.organizations.factories import OrganizationFactory

DEFAULT_ITEMS = (
    {"description": "Design work", "quantity": "12.5", "unit_price": "80.00", "tax_rate": "20"},
    {"description": "Hosting", "quantity": "1", "unit_price": "49.99", "tax_rate": "0"},
)


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Business {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} GmbH")
    email = factory.Sequence(lambda n: f"billing{n}@business.example")
    address_line1 = "Hauptstraße 1"
    postcode = "10115"
    city = "Berlin"
    country = "DE"
    tax_id = "DE123456789"
    default_currency = "EUR"
    payment_terms_days = 30


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    address_line1 = "1 Main Street"
    city = "Springfield"
    country = "DE"
    currency = "EUR"


def make_invoice(
    *, organization=None, business=None, customer=None, actor=None, items=DEFAULT_ITEMS, status="draft", **data
) -> Invoice:
    """An invoice made through the services, brought to ``status``.

    ``partially_paid`` pays a third of the total (in the currency's minor unit), ``paid`` all
    of it; ``void`` issues then voids. Extra keyword arguments go into the create data."""
    if organization is None:
        owner = business or customer
        organization = owner.organization if owner else OrganizationFactory()
    business = business or BusinessFactory(organization=organization)
    customer = customer or CustomerFactory(organization=organization)
    payload = {"business": business.pk, "customer": customer.pk, "items": [dict(item) for item in items], **data}
    invoice = services.invoice_create(organization=organization, actor=actor, data=payload)
    if status == InvoiceStatus.DRAFT:
        return invoice
    invoice = services.invoice_issue(organization=organization, actor=actor, invoice_id=invoice.pk)
    if status == InvoiceStatus.VOID:
        return services.invoice_void(organization=organization, actor=actor, invoice_id=invoice.pk)
    if status in (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        amount = invoice.total if status == InvoiceStatus.PAID else quantize_money(invoice.total / 3, invoice.currency)
        services.payment_record(
            organization=organization,
            actor=actor,
            invoice_id=invoice.pk,
            amount=str(amount),
            date=organization.local_today(),
        )
        with organization_scope(organization):
            invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == status, f"wanted {status}, got {invoice.status}"
    return invoice


def recomputed_totals(invoice: Invoice):
    """What billing.calc says the invoice's stored totals must be (read from the database)."""
    with organization_scope(invoice.organization):
        items = list(invoice.items.order_by("position"))
        lines = [LineInput(item.quantity, item.unit_price, item.tax_rate, item.vat_category) for item in items]
        totals = compute_totals(
            currency=invoice.currency,
            lines=lines,
            discount_type=invoice.discount_type,
            discount_value=invoice.discount_value,
        )
        paid = sum((payment.amount for payment in Payment.objects.filter(invoice=invoice, voided=False)), Decimal(0))
    return items, totals, paid


def assert_stored_totals(invoice: Invoice) -> None:
    """The stored totals of ``invoice`` equal a fresh recomputation by billing.calc."""
    with organization_scope(invoice.organization):
        invoice = Invoice.objects.get(pk=invoice.pk)
    items, totals, paid = recomputed_totals(invoice)
    assert invoice.subtotal == totals.subtotal
    assert invoice.discount_total == totals.discount_total
    assert invoice.tax_total == totals.tax_total
    assert invoice.total == totals.total
    assert [(item.line_net, item.line_discount) for item in items] == [
        (line.line_net, line.line_discount) for line in totals.lines
    ]
    reasons = invoice.vat_exemption_reasons or {}
    assert invoice.tax_breakdown == [
        {
            "category": row.category,
            "rate": str(row.rate),
            "taxable_amount": str(row.taxable_amount),
            "tax_amount": str(row.tax_amount),
            "exemption_reason": reasons.get(row.category, {}).get("text", ""),
            "exemption_reason_code": reasons.get(row.category, {}).get("code", ""),
        }
        for row in totals.tax_breakdown
    ]
    assert invoice.amount_paid == paid
    assert invoice.balance_due == invoice.total - paid
    if invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        assert (invoice.balance_due, invoice.status) == balance_and_status(
            total=totals.total, amount_paid=quantize_money(paid, invoice.currency)
        )
