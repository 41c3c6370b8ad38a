"""Payments: billing-rules.md "Payments" and the void-payment row of the lifecycle table."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import Invoice, Payment
from organizations.tenancy import organization_scope
from tests.billing.factories import assert_stored_totals, make_invoice
from tests.organizations.factories import make_api_key

ITEM = {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}


@pytest.fixture
def invoice(org, business, customer):
    return make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")


def pay(org, actor, invoice, amount, **kwargs):
    kwargs.setdefault("date", org.local_today())
    return services.payment_record(organization=org, actor=actor, invoice_id=invoice.pk, amount=amount, **kwargs)


def reload(org, invoice):
    with organization_scope(org):
        return Invoice.objects.get(pk=invoice.pk)


def errors_of(call, *args, **kwargs):
    with pytest.raises(BillingValidationError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.errors


def test_partial_then_full_payment(org, user, invoice, audit_entries):
    payment = pay(org, user, invoice, "40.00", method="card", reference="ch_1", note="first")
    assert payment.recorded_by_user == user
    assert payment.recorded_by_label == user.email
    after = reload(org, invoice)
    assert (after.status, after.amount_paid, after.balance_due) == ("partially_paid", Decimal(40), Decimal(60))
    assert after.version == invoice.version + 1
    pay(org, user, invoice, "60")
    after = reload(org, invoice)
    assert (after.status, after.amount_paid, after.balance_due) == ("paid", Decimal(100), Decimal(0))
    assert after.version == invoice.version + 2
    assert_stored_totals(after)
    entry = audit_entries(action="payment.recorded")[0]
    assert entry.target_type == "payment"
    assert entry.target_id == str(payment.pk)
    assert entry.changes["amount"] == [None, "40.00"]
    assert entry.changes["invoice_amount_paid"] == ["0.00", "40.00"]
    assert entry.changes["invoice_status"] == ["issued", "partially_paid"]


def test_overpayment_by_one_minor_unit_is_refused_on_amount(org, user, invoice):
    errors = errors_of(pay, org, user, invoice, "100.01")
    assert errors == {"amount": ["The amount may not exceed the balance due (100.00 EUR)."]}
    pay(org, user, invoice, "99.99")
    errors = errors_of(pay, org, user, invoice, "0.02")
    assert errors == {"amount": ["The amount may not exceed the balance due (0.01 EUR)."]}
    assert reload(org, invoice).amount_paid == Decimal("99.99")


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        ("0", "greater than 0"),
        ("-5", "greater than 0"),
        ("10.005", "at most 2 decimal places"),
        (10.0, "decimal strings"),
        ("1e1", "exponent"),
        ("NaN", "finite"),
        ("ten", "valid number"),
    ],
)
def test_amount_rules(org, user, invoice, amount, fragment):
    assert fragment in errors_of(pay, org, user, invoice, amount)["amount"][0]
    with organization_scope(org):
        assert not Payment.objects.exists()


def test_amount_in_the_currency_minor_unit(org, user, business, customer):
    jpy = make_invoice(
        organization=org,
        business=business,
        customer=customer,
        currency="JPY",
        status="issued",
        items=[{**ITEM, "unit_price": "1000"}],
    )
    assert "no decimal places" in errors_of(pay, org, user, jpy, "10.5")["amount"][0]
    pay(org, user, jpy, "1000")
    assert reload(org, jpy).status == "paid"


@pytest.mark.parametrize("status", ["draft", "void", "paid"])
def test_payments_only_on_issued_or_partially_paid(org, user, business, customer, status):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status, items=[ITEM])
    with pytest.raises(StateConflict):
        pay(org, user, invoice, "1.00")


def test_payment_date_may_not_be_after_today_in_the_org_time_zone(org, user, invoice, monkeypatch):
    # 23:30 UTC on 25 November is already 26 November in Auckland, still the 25th in Los Angeles.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 25, 23, 30, tzinfo=UTC))
    org.time_zone = "America/Los_Angeles"
    errors = errors_of(pay, org, user, invoice, "1.00", date="2026-11-26")
    assert errors == {"date": ["The payment date cannot be in the future."]}
    pay(org, user, invoice, "1.00", date="2026-11-25")
    org.time_zone = "Pacific/Auckland"
    pay(org, user, invoice, "1.00", date=date(2026, 11, 26))
    assert "future" in errors_of(pay, org, user, invoice, "1.00", date="2026-11-27")["date"][0]


def test_method_reference_and_note_are_validated(org, user, invoice):
    errors = errors_of(pay, org, user, invoice, "1.00", method="bitcoin", reference="x" * 201, date="yesterday")
    assert set(errors) == {"method", "reference", "date"}


def test_invoice_of_another_organization_is_an_error_on_invoice(org, other_org, user):
    foreign = make_invoice(organization=other_org, status="issued")
    errors = errors_of(pay, org, user, foreign, "1.00")
    assert errors == {"invoice": ["Object does not exist."]}
    assert reload(other_org, foreign).amount_paid == 0


def test_api_key_as_recorder(org, invoice):
    api_key, _ = make_api_key(org)
    payment = pay(org, api_key, invoice, "5.00")
    assert (payment.recorded_by_api_key, payment.recorded_by_user) == (api_key, None)
    assert payment.recorded_by_label == api_key.label


# --- voiding payments -----------------------------------------------------------------------


def test_void_payment_recomputes_paid_to_partially_paid_to_issued(org, user, invoice, audit_entries):
    first = pay(org, user, invoice, "30.00")
    second = pay(org, user, invoice, "70.00")
    assert reload(org, invoice).status == "paid"
    voided = services.payment_void(organization=org, actor=user, payment_id=second.pk, reason="Charge back")
    assert (voided.voided, voided.void_reason, voided.voided_by_user) == (True, "Charge back", user)
    assert voided.voided_at is not None
    after = reload(org, invoice)
    assert (after.status, after.amount_paid, after.balance_due) == ("partially_paid", Decimal(30), Decimal(70))
    services.payment_void(organization=org, actor=user, payment_id=first.pk, reason="Duplicate")
    after = reload(org, invoice)
    assert (after.status, after.amount_paid, after.balance_due) == ("issued", Decimal(0), Decimal(100))
    assert after.version == invoice.version + 4
    assert_stored_totals(after)
    with organization_scope(org):
        assert Payment.objects.filter(invoice=invoice).count() == 2  # kept, never deleted
    entry = audit_entries(action="payment.voided")[0]
    assert entry.changes["invoice_status"] == ["paid", "partially_paid"]
    assert entry.changes["void_reason"] == [None, "Charge back"]


def test_a_voided_payment_frees_the_balance_again(org, user, invoice):
    payment = pay(org, user, invoice, "100.00")
    services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="Bounced")
    pay(org, user, invoice, "100.00")
    assert reload(org, invoice).status == "paid"


def test_void_payment_twice_is_refused(org, user, invoice):
    payment = pay(org, user, invoice, "10.00")
    services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="x")
    with pytest.raises(StateConflict, match="already voided"):
        services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="x")
    assert reload(org, invoice).amount_paid == 0


def test_void_payment_on_a_void_invoice_is_refused(org, user, invoice):
    payment = pay(org, user, invoice, "10.00")
    services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="x")
    with organization_scope(org):  # voided before issued invoices became final: history
        Invoice.objects.filter(pk=invoice.pk).update(status="void")
    with pytest.raises(StateConflict, match="void invoice"):
        services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="again")


def test_void_payment_needs_a_reason(org, user, invoice):
    payment = pay(org, user, invoice, "10.00")
    for reason in ("", "   ", None, "x" * 501):
        with pytest.raises(BillingValidationError) as excinfo:
            services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason=reason)
        assert "reason" in excinfo.value.errors
    assert reload(org, invoice).amount_paid == 10


def test_void_payment_of_another_organization_is_not_found(org, other_org, user):
    foreign = make_invoice(organization=other_org, status="paid")
    with organization_scope(other_org):
        payment = foreign.payments.get()
    with pytest.raises(NotFound):
        services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason="x")
    with organization_scope(other_org):
        assert not Payment.objects.get(pk=payment.pk).voided


def test_payment_changes_version_so_documents_refresh(org, user, invoice):
    before = reload(org, invoice).version
    pay(org, user, invoice, "1.00")
    assert reload(org, invoice).version == before + 1


def test_edit_cannot_push_the_total_below_paid_even_by_one_cent(org, user, invoice):
    pay(org, user, invoice, "100.00")
    # paid invoices are not editable at all
    with pytest.raises(StateConflict):
        services.invoice_update(organization=org, actor=user, invoice_id=invoice.pk, data={"notes": "x"})


def test_dates_in_the_past_are_fine(org, user, invoice):
    pay(org, user, invoice, "1.00", date=org.local_today() - timedelta(days=400))
    assert reload(org, invoice).amount_paid == 1


@pytest.mark.parametrize("amount", [" 10 ", "+10", "１０", "١٠", "10 000"])
def test_amount_takes_only_ascii_digits_and_a_point(org, user, invoice, amount):
    errors = errors_of(pay, org, user, invoice, amount)
    assert errors == {"amount": ["A valid number is required: use the digits 0-9 and at most one decimal point."]}
    assert reload(org, invoice).amount_paid == 0


def test_reference_is_one_line_and_note_keeps_its_lines(org, user, invoice):
    errors = errors_of(pay, org, user, invoice, "1.00", reference="REF\r\nBcc: x@example.com", note="bell\x07")
    assert errors == {
        "reference": ["Use a single line: line breaks are not allowed here."],
        "note": ["Text may not contain control characters (U+0007)."],
    }
    payment = pay(org, user, invoice, "1.00", reference="REF-1", note="first\r\nsecond")
    assert payment.note == "first\nsecond"


def test_void_reason_is_one_line_without_control_characters(org, user, invoice):
    payment = pay(org, user, invoice, "1.00")
    for reason in ("Bounced\nreally", "Bounced\ud800"):
        with pytest.raises(BillingValidationError) as excinfo:
            services.payment_void(organization=org, actor=user, payment_id=payment.pk, reason=reason)
        assert list(excinfo.value.errors) == ["reason"]
