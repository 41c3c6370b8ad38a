"""Billing test data. Businesses and customers are plain model factories; invoices and
payments are made through the services, so their stored totals are always right.

    business = BusinessFactory(organization=org)
    invoice = make_invoice(organization=org, business=business, status="partially_paid")
    assert_stored_totals(invoice)
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.db.models import F
from django.utils import timezone

from billing import services
from billing.calc import LineInput, balance_and_status, compute_totals, quantize_money
from billing.models import Business, Customer, Invoice, InvoiceStatus, Payment, PaymentKind
from organizations.tenancy import organization_scope
from tests.organizations.factories import OrganizationFactory, TenantFactory

DEFAULT_ITEMS = (
    {"description": "Design work", "quantity": "12.5", "unit_price": "80.00", "tax_rate": "20"},
    {"description": "Hosting", "quantity": "1", "unit_price": "49.99", "tax_rate": "0"},
)


class BusinessFactory(TenantFactory):
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


class CustomerFactory(TenantFactory):
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
    of it; ``credited`` cancels it; ``void`` is history (invoices voided before issued ones
    became final): it issues, then sets the status as the old void did. Extra keyword
    arguments go into the create data."""
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
        with organization_scope(organization):
            Invoice.objects.filter(pk=invoice.pk).update(
                status=InvoiceStatus.VOID, voided_at=timezone.now(), version=F("version") + 1
            )
            return Invoice.objects.get(pk=invoice.pk)
    if status == InvoiceStatus.CREDITED:
        services.invoice_cancel(organization=organization, actor=actor, invoice_id=invoice.pk, reason="Cancelled")
        with organization_scope(organization):
            return Invoice.objects.get(pk=invoice.pk)
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


def make_recurring_invoice(*, organization, business, customer, actor=None):
    """A monthly template that started a few days ago, run once: it has a line, a run and
    the invoice that run created (the beat job runs every due template of every organization)."""
    start = organization.local_today() - timedelta(days=3)
    template = services.recurring_invoice_create(
        organization=organization,
        actor=actor,
        data={
            "business": str(business.pk),
            "customer": str(customer.pk),
            "frequency": "monthly",
            "start_date": start.isoformat(),
            "items": [{"description": "Retainer", "quantity": "1", "unit_price": "100.00", "tax_rate": "10"}],
        },
    )
    services.run_due_recurring_invoices()
    with organization_scope(organization):
        assert template.runs.count() == 1
    return template


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
        live = Payment.objects.filter(invoice=invoice, voided=False)
        paid = sum((payment.amount for payment in live if payment.kind == PaymentKind.PAYMENT), Decimal(0))
        refunded = sum((payment.amount for payment in live if payment.kind == PaymentKind.REFUND), Decimal(0))
    return items, totals, paid, refunded


def assert_stored_totals(invoice: Invoice) -> None:
    """The stored totals of ``invoice`` equal a fresh recomputation by billing.calc."""
    with organization_scope(invoice.organization):
        invoice = Invoice.objects.get(pk=invoice.pk)
    items, totals, paid, refunded = recomputed_totals(invoice)
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
    assert invoice.amount_refunded == refunded
    assert invoice.balance_due == invoice.total - invoice.credited_total - paid + refunded
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        assert (invoice.balance_due, invoice.status) == balance_and_status(
            total=totals.total,
            amount_paid=quantize_money(paid, invoice.currency),
            credited_total=invoice.credited_total,
            amount_refunded=quantize_money(refunded, invoice.currency),
        )
