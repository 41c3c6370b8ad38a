"""Property: whatever valid items and discount go in, the stored totals equal calc's
recomputation, and payments, a cancelling credit note and a refund keep it so
(billing-rules.md "Totals", eu-invoicing.md "Money")."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.calc import quantize_money
from billing.exceptions import BillingValidationError
from organizations.tenancy import organization_scope
from tests.billing.factories import assert_stored_totals

quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10000), places=4)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(100000), places=4)
rates = st.sampled_from(["0", "5", "7", "19", "20", "21.5", "8.125"])
items = st.lists(
    st.builds(
        lambda q, p, r: {"description": "Line", "quantity": str(q), "unit_price": str(p), "tax_rate": r},
        quantities,
        prices,
        rates,
    ),
    min_size=1,
    max_size=8,
)
discounts = st.one_of(
    st.just(("none", "0")),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3).map(lambda v: ("percent", str(v))),
    st.integers(min_value=0, max_value=500).map(lambda v: ("amount", str(v))),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=items, discount=discounts, currency=st.sampled_from(["EUR", "JPY", "KWD"]))
def test_stored_totals_always_match_calc(org, user, business, customer, items, discount, currency):
    data = {
        "business": business.pk,
        "customer": customer.pk,
        "currency": currency,
        "items": items,
        "discount_type": discount[0],
        "discount_value": discount[1],
    }
    try:
        invoice = services.invoice_create(organization=org, actor=user, data=data)
    except BillingValidationError as exc:
        assert set(exc.errors) == {"discount_value"}  # an amount discount above the subtotal
        return
    assert_stored_totals(invoice)
    if invoice.total <= 0:
        return
    invoice = services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    part = quantize_money(invoice.total / 3, currency)
    if part > 0:
        services.payment_record(
            organization=org, actor=user, invoice_id=invoice.pk, amount=str(part), date=org.local_today()
        )
    assert_stored_totals(invoice)
    # Cancel: a credit note for everything, whatever the lines and discount; then refund what was paid.
    note = services.invoice_cancel(organization=org, actor=user, invoice_id=invoice.pk, reason="Cancelled")
    assert note.total == invoice.total
    with organization_scope(org):  # row-level security: reads outside a scope see nothing
        invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due) == ("credited", -part)
    assert_stored_totals(invoice)
    if part > 0:
        services.payment_record(
            organization=org, actor=user, invoice_id=invoice.pk, amount=str(part), date=org.local_today(), kind="refund"
        )
        with organization_scope(org):
            invoice.refresh_from_db()
        assert invoice.balance_due == 0
    assert_stored_totals(invoice)
