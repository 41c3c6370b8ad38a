"""Recording and voiding payments from the invoice page."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceStatus, Payment
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice
from tests.billing.webclient import ROLES, WRITERS, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db


def reload(invoice):
    with organization_scope(invoice.organization):
        return Invoice.objects.get(pk=invoice.pk)


def payment_post(org, amount, **overrides):
    data = {"amount": amount, "date": str(org.local_today()), "method": "bank_transfer", "reference": "", "note": ""}
    data.update(overrides)
    return data


@pytest.fixture
def issued(org):
    # 2 x 50.00 at 20% = 120.00
    return make_invoice(
        organization=org,
        status="issued",
        items=[{"description": "Work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}],
    )


@pytest.mark.parametrize("role", ROLES)
def test_record_payment_role_matrix(client, org, issued, role):
    log_in(client, org, role)
    response = client.post(org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, "20.00"))
    invoice = reload(issued)
    if role in WRITERS:
        assert response.status_code == 302
        assert response["Location"].endswith("#payments")
        assert invoice.amount_paid == Decimal("20.00")
    else:
        assert response.status_code == 403
        assert invoice.amount_paid == 0


def test_partial_then_final_payment_changes_the_status(client, org, issued, audit_entries):
    log_in(client, org)
    url = org_url("payment_record", org, invoice_id=issued.pk)
    client.post(url, payment_post(org, "20.00"))
    assert reload(issued).status == InvoiceStatus.PARTIALLY_PAID
    page = client.get(org_url("invoice_detail", org, invoice_id=issued.pk))
    assert "€100.00" in page.content.decode()  # the balance is shown with the form
    client.post(url, payment_post(org, "100.00"))
    invoice = reload(issued)
    assert (invoice.status, invoice.balance_due) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert len(audit_entries(action="payment.recorded")) == 2
    page = client.get(org_url("invoice_detail", org, invoice_id=issued.pk)).content.decode()
    assert "Record a payment" not in page


def test_overpayment_is_refused_with_the_services_message_and_input_kept(client, org, issued):
    log_in(client, org)
    response = client.post(
        org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, "120.01", reference="REF-77")
    )
    assert response.status_code == 400
    errors = response.context["payment_form"].errors
    assert "may not exceed the balance due (120.00 EUR)" in errors["amount"][0]
    content = response.content.decode()
    assert 'value="120.01"' in content and 'value="REF-77"' in content
    assert 'id="id_payment_amount_error"' in content
    assert reload(issued).amount_paid == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "greater than 0"),
        ("-5", "greater than 0"),
        ("10.001", "at most 2 decimal places"),
        ("1e2", "exponent"),
        ("abc", "valid number"),
        ("NaN", "finite"),
    ],
)
def test_bad_amounts_are_refused_on_the_field(client, org, issued, amount, message):
    log_in(client, org)
    response = client.post(org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, amount))
    assert response.status_code == 400
    assert message in response.context["payment_form"].errors["amount"][0]
    assert reload(issued).amount_paid == 0


def test_future_date_is_refused(client, org, issued):
    log_in(client, org)
    tomorrow = org.local_today() + timedelta(days=1)
    response = client.post(
        org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, "10.00", date=str(tomorrow))
    )
    assert response.status_code == 400
    assert "future" in response.context["payment_form"].errors["date"][0]


def test_payment_on_a_draft_is_refused(client, org):
    draft = make_invoice(organization=org)
    log_in(client, org)
    response = client.post(org_url("payment_record", org, invoice_id=draft.pk), payment_post(org, "1.00"))
    assert response.status_code == 400
    assert "Issue the invoice" in str(response.context["payment_form"].non_field_errors())


def test_another_organizations_invoice_is_404(client, org, other_org):
    foreign = make_invoice(organization=other_org, status="issued")
    log_in(client, org)
    response = client.post(org_url("payment_record", org, invoice_id=foreign.pk), payment_post(org, "1.00"))
    assert response.status_code == 404
    assert reload(foreign).amount_paid == 0


def test_outsider_gets_404(client, org, issued):
    log_in_outsider(client)
    response = client.post(org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, "1.00"))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_void_payment_role_matrix(client, org, role):
    invoice = make_invoice(organization=org, status="paid")
    with organization_scope(org):
        payment = Payment.objects.get(invoice=invoice)
    log_in(client, org, role)
    response = client.post(
        org_url("payment_void", org, invoice_id=invoice.pk, payment_id=payment.pk), {"reason": "Bounced"}
    )
    with organization_scope(org):
        payment.refresh_from_db()
    if role in WRITERS:
        assert response.status_code == 302
        assert payment.voided and payment.void_reason == "Bounced"
        assert reload(invoice).status == InvoiceStatus.ISSUED
    else:
        assert response.status_code == 403
        assert not payment.voided


def test_void_payment_needs_a_reason(client, org):
    invoice = make_invoice(organization=org, status="paid")
    with organization_scope(org):
        payment = Payment.objects.get(invoice=invoice)
    log_in(client, org)
    response = client.post(org_url("payment_void", org, invoice_id=invoice.pk, payment_id=payment.pk), {"reason": ""})
    assert response.status_code == 400
    voided_form = next(p.void_form for p in response.context["payments"] if p.pk == payment.pk)
    assert "reason" in voided_form.errors
    with organization_scope(org):
        payment.refresh_from_db()
    assert not payment.voided


def test_void_payment_twice_is_refused(client, org):
    invoice = make_invoice(organization=org, status="paid")
    with organization_scope(org):
        payment = Payment.objects.get(invoice=invoice)
    log_in(client, org)
    url = org_url("payment_void", org, invoice_id=invoice.pk, payment_id=payment.pk)
    client.post(url, {"reason": "Bounced"})
    response = client.post(url, {"reason": "Again"}, follow=True)
    assert "already voided" in response.content.decode()
    with organization_scope(org):
        payment.refresh_from_db()
    assert payment.void_reason == "Bounced"


def test_void_payment_of_another_organization_or_invoice_is_404(client, org, other_org):
    foreign_invoice = make_invoice(organization=other_org, status="paid")
    with organization_scope(other_org):
        foreign_payment = Payment.objects.get(invoice=foreign_invoice)
    mine = make_invoice(organization=org, status="issued")
    log_in(client, org)
    for invoice_id in (foreign_invoice.pk, mine.pk):
        url = org_url("payment_void", org, invoice_id=invoice_id, payment_id=foreign_payment.pk)
        assert client.post(url, {"reason": "x"}).status_code == 404
    with organization_scope(other_org):
        foreign_payment.refresh_from_db()
    assert not foreign_payment.voided


@pytest.mark.parametrize(
    ("typed", "paid"), [("10,50", Decimal("10.50")), ("10.5", Decimal("10.50")), (" 7 ", Decimal(7))]
)
def test_a_decimal_comma_and_surrounding_spaces_are_read_as_the_person_meant(client, org, issued, typed, paid):
    log_in(client, org)
    response = client.post(org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, typed))
    assert response.status_code == 302
    assert reload(issued).amount_paid == paid


@pytest.mark.parametrize("amount", ["+10", "١٠", "１０", "1.000,50"])
def test_amounts_the_service_refuses_are_refused_with_its_message(client, org, issued, amount):
    log_in(client, org)
    response = client.post(org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, amount))
    assert response.status_code == 400
    assert response.context["payment_form"].errors["amount"] == [
        "A valid number is required: use the digits 0-9 and at most one decimal point."
    ]


def test_a_reference_on_two_lines_is_refused_on_the_field(client, org, issued):
    log_in(client, org)
    response = client.post(
        org_url("payment_record", org, invoice_id=issued.pk), payment_post(org, "1.00", reference="A\r\nB")
    )
    assert response.status_code == 400
    assert response.context["payment_form"].errors["reference"] == [
        "Use a single line: line breaks are not allowed here."
    ]
