"""``print_data_for``: what an invoice built through the billing services prints."""

import io
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image

from billing import services as billing_services
from billing.models import Invoice
from documents.pdf import print_data_for, render_invoice_pdf
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice
from tests.documents.helpers import pay, pdf_text


def load(invoice) -> Invoice:
    return (
        Invoice.objects.select_related("business", "customer").prefetch_related("items", "payments").get(pk=invoice.pk)
    )


def png(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_issued_invoice_prints_the_snapshot_not_later_changes(org, business, customer, member):
    invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    business.name = "Renamed Business"
    business.address_line1 = "Elsewhere 9"
    business.iban = "DE89370400440532013000"
    business.payment_instructions = "New bank"
    business.save()
    customer.name = "Renamed Customer"
    customer.save()
    with organization_scope(org):
        data = print_data_for(load(invoice))
    assert data.seller.name == "Acme Studio" and "Hauptstraße 1" in data.seller.address
    assert data.buyer.name == "Zoë Ελένη Дмитрий"
    assert data.payment_instructions == ""  # what the business had at issue
    text = pdf_text(render_invoice_pdf(data))
    assert "Renamed" not in text and "Acme Studio" in text


def test_draft_prints_the_live_business_and_customer(org, business, customer, member):
    draft = make_invoice(organization=org, business=business, customer=customer, actor=member)
    customer.name = "Renamed Customer"
    customer.save()
    with organization_scope(org):
        data = print_data_for(load(draft))
    assert data.status == "draft" and data.number is None
    assert data.buyer.name == "Renamed Customer"


def test_lines_totals_tax_rows_and_discount_come_from_the_invoice(org, business, customer, member):
    invoice = make_invoice(
        organization=org,
        business=business,
        customer=customer,
        actor=member,
        status="issued",
        discount_type="percent",
        discount_value="10",
    )
    with organization_scope(org):
        stored = load(invoice)
        data = print_data_for(stored)
        items = list(stored.items.order_by("position"))
    assert [line.description for line in data.lines] == [item.description for item in items]
    assert [line.line_net for line in data.lines] == [item.line_net for item in items]
    assert (data.subtotal, data.discount_total, data.tax_total, data.total) == (
        stored.subtotal,
        stored.discount_total,
        stored.tax_total,
        stored.total,
    )
    assert [(r.rate, r.taxable_amount, r.tax_amount) for r in data.tax_rows] == [
        (Decimal(r["rate"]), Decimal(r["taxable_amount"]), Decimal(r["tax_amount"])) for r in stored.tax_breakdown
    ]
    assert data.discount_label == "Discount (10%)"
    text = pdf_text(render_invoice_pdf(data))
    assert f"€{stored.total:,.2f}" in text and "Discount (10%)" in text


def test_voided_payments_are_not_printed(org, business, customer, member):
    invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    kept = pay(invoice, "10.00", actor=member)
    voided = pay(invoice, "7.00", actor=member)
    billing_services.payment_void(organization=org, actor=member, payment_id=voided.pk, reason="bounced")
    with organization_scope(org):
        data = print_data_for(load(invoice))
    assert [p.amount for p in data.payments] == [kept.amount]
    assert data.amount_paid == Decimal("10.00")


def test_issued_invoice_keeps_the_logo_it_was_issued_with(org, business, customer, member):
    business.logo.save("first.png", ContentFile(png((255, 0, 0))), save=True)
    first = png((255, 0, 0))
    invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    business.logo.save("second.png", ContentFile(png((0, 0, 255))), save=True)
    draft = make_invoice(organization=org, business=business, customer=customer, actor=member)
    with organization_scope(org):
        assert print_data_for(load(invoice)).logo == first
        assert print_data_for(load(draft)).logo == png((0, 0, 255))
