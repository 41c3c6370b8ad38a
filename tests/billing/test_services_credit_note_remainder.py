"""The credit note for everything left (cancel, correct, ``full``) after partial credit notes:
per (VAT category, rate) it credits the invoice row's taxable amount and tax less what was
credited, so it totals exactly ``total - credited_total`` and the invoice ends credited,
whatever the rounding of the earlier credit notes (billing.calc, "the rest of a row")."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from billing import services
from billing.calc import quantize_money
from billing.exceptions import BillingValidationError, StateConflict
from billing.models import CreditNote, CreditNoteItem, Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory, assert_stored_totals, make_invoice

D = Decimal


def line(price, rate, quantity="1", description="Line"):
    return {"description": description, "quantity": str(quantity), "unit_price": str(price), "tax_rate": str(rate)}


def reload(org, obj):
    with organization_scope(org):
        return type(obj).objects.get(pk=obj.pk)


def credit_and_issue(org, user, invoice, items):
    data = {"invoice": invoice.pk, "reason": "Partly returned", "items": items}
    note = services.credit_note_create(organization=org, actor=user, data=data)
    return services.credit_note_issue(organization=org, actor=user, credit_note_id=note.pk)


def cancel(org, user, invoice):
    return services.invoice_cancel(organization=org, actor=user, invoice_id=invoice.pk, reason="Cancelled")


def issued_rows(org, invoice) -> dict:
    """(category, rate) -> [taxable, tax] summed over the invoice's issued credit notes."""
    sums: dict = {}
    with organization_scope(org):
        for breakdown in CreditNote.objects.filter(invoice=invoice, status="issued").values_list(
            "tax_breakdown", flat=True
        ):
            for row in breakdown:
                amounts = sums.setdefault((row["category"], row["rate"]), [D(0), D(0)])
                amounts[0] += D(row["taxable_amount"])
                amounts[1] += D(row["tax_amount"])
    return sums


def assert_credited_exactly(org, invoice, *, paid="0"):
    """Credited in full, to the minor unit, row by row; the balance is what was paid, owed back."""
    after = reload(org, invoice)
    assert (after.credited_total, after.status) == (after.total, "credited")
    assert after.balance_due == -D(paid)
    credited = issued_rows(org, after)
    invoiced = {
        (row["category"], row["rate"]): [D(row["taxable_amount"]), D(row["tax_amount"])] for row in after.tax_breakdown
    }
    assert set(credited) <= set(invoiced)
    for key, amounts in invoiced.items():  # a row of zero (free lines only) needs no credit
        assert credited.get(key, [D(0), D(0)]) == amounts, key
    assert_stored_totals(after)
    return after


# --- cases that failed before the rest of a row -----------------------------------------------

PEN = line("0.33", "19", description="Pen")  # 3 pens: 0.99 + 0.19 VAT (0.1881); one alone: 0.06 VAT


def test_three_pens_at_19_credited_one_by_one_leave_nothing(org, user, business, customer):
    """Rounded line by line, three credits of 0.39 are 1.17 of 1.18: the last pen takes the
    rest of the row (0.33 + 0.07), and the invoice ends credited."""
    invoice = make_invoice(organization=org, business=business, customer=customer, items=[PEN] * 3, status="issued")
    assert invoice.total == D("1.18")
    first, second, last = (credit_and_issue(org, user, invoice, [PEN]) for _ in range(3))
    assert (first.total, second.total, last.total) == (D("0.39"), D("0.39"), D("0.40"))
    assert last.tax_breakdown[0]["tax_amount"] == "0.07"
    assert_credited_exactly(org, invoice)


def test_cancel_after_two_of_three_pens_credits_the_last_cent(org, user, business, customer):
    invoice = make_invoice(organization=org, business=business, customer=customer, items=[PEN] * 3, status="issued")
    for _ in range(2):
        credit_and_issue(org, user, invoice, [PEN])
    note = cancel(org, user, invoice)
    assert (note.subtotal, note.tax_total, note.total) == (D("0.33"), D("0.07"), D("0.40"))
    assert_credited_exactly(org, invoice)


def test_cancel_after_credits_that_rounded_up_is_not_refused(org, user, business, customer):
    """3 x 0.10 at 5 %: 0.30 + 0.02 VAT (0.015); each 0.10 alone rounds 0.005 up to 0.01. After
    two, 0.10 and no VAT are left: a new rounding (0.11) would exceed what is left."""
    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=[line("0.10", 5)] * 3, status="issued"
    )
    for _ in range(2):
        assert credit_and_issue(org, user, invoice, [line("0.10", 5)]).total == D("0.11")
    note = cancel(org, user, invoice)
    assert (note.tax_total, note.total) == (D("0.00"), D("0.10"))
    assert_credited_exactly(org, invoice)


# --- a table over rates, discounts and currencies ---------------------------------------------

CASES = [
    # (currency, invoice lines, discount, partial credit notes (each a list of lines), paid)
    ("EUR", [line("0.33", 19)] * 3, ("none", "0"), [[line("0.33", 19)], [line("0.33", 19)]], "0"),
    ("EUR", [line("9.99", 7, 3), line("0.05", 7)], ("none", "0"), [[line("0.05", 7)], [line("9.99", 7)]], "10.00"),
    ("EUR", [line("12.34", 20, 7)], ("percent", "12.5"), [[line("1.01", 20)], [line("3.33", 20)]], "0"),
    ("EUR", [line("0.15", "5.5")] * 7, ("none", "0"), [[line("0.15", "5.5")]] * 5, "0.50"),
    (
        "EUR",
        [line("19.99", 19, 2), line("4.95", 7, 3), line("0.01", 20)],
        ("amount", "3.17"),
        [[line("7.77", 19), line("1.11", 7)], [line("0.01", 20)]],
        "0",
    ),
    ("JPY", [line("333", 7)] * 3, ("none", "0"), [[line("333", 7)], [line("333", 7)]], "0"),
    (
        "JPY",
        [line("1999", 10, 3), line("149", 8, 7)],
        ("percent", "7"),
        [[line("999", 10)], [line("149", 8), line("149", 8)]],
        "1000",
    ),
    ("KWD", [line("0.333", "5.5")] * 3, ("none", "0"), [[line("0.333", "5.5")], [line("0.333", "5.5")]], "0"),
    (
        "KWD",
        [line("1.999", 19, 3), line("0.007", 20, 9)],
        ("amount", "0.013"),
        [[line("0.777", 19)], [line("0.021", 20)]],
        "0.500",
    ),
]


@pytest.mark.parametrize(("currency", "items", "discount", "partials", "paid"), CASES)
def test_cancel_after_partial_credit_notes_credits_exactly_what_is_left(
    org, user, business, customer, currency, items, discount, partials, paid
):
    invoice = make_invoice(
        organization=org,
        business=business,
        customer=customer,
        items=items,
        status="issued",
        currency=currency,
        discount_type=discount[0],
        discount_value=discount[1],
    )
    if D(paid):
        services.payment_record(
            organization=org, actor=user, invoice_id=invoice.pk, amount=paid, date=org.local_today()
        )
    for lines in partials:
        credit_and_issue(org, user, invoice, lines)
    before = reload(org, invoice)
    note = cancel(org, user, invoice)
    assert note.total == before.total - before.credited_total
    after = assert_credited_exactly(org, invoice, paid=paid)
    if D(paid):  # the refund of what was paid settles it
        services.payment_record(
            organization=org, actor=user, invoice_id=after.pk, amount=paid, date=org.local_today(), kind="refund"
        )
        assert assert_credited_exactly(org, invoice).balance_due == 0


# --- a property over random invoices and odd partial credits ---------------------------------

rates = st.sampled_from(["0", "5.5", "7", "19", "20", "8.125"])
prices = st.decimals(min_value=D("0.001"), max_value=D(500), places=3)
invoice_lines = st.lists(
    st.builds(lambda q, p, r: line(p, r, q), st.integers(1, 9), prices, rates), min_size=1, max_size=5
)
discounts = st.sampled_from([("none", "0"), ("percent", "3.5"), ("percent", "33.333"), ("amount", "1")])
fractions = st.sampled_from([D("0.1"), D("0.37"), D("0.5"), D("0.999"), D(1), D(2)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=invoice_lines,
    discount=discounts,
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    credits=st.lists(st.lists(st.tuples(st.integers(0, 4), fractions), min_size=1, max_size=3), max_size=4),
)
def test_property_partial_credits_then_cancel_end_credited_to_the_minor_unit(
    org, user, business, customer, items, discount, currency, credits
):
    data = {"currency": currency, "discount_type": discount[0], "discount_value": discount[1]}
    try:
        invoice = make_invoice(organization=org, business=business, customer=customer, items=items, **data)
        invoice = services.invoice_issue(organization=org, actor=user, invoice_id=invoice.pk)
    except (BillingValidationError, StateConflict):
        return  # an amount discount above a tiny subtotal, or a total of zero
    issued = 0
    for picks in credits:
        lines = []
        for index, fraction in picks:
            source = items[index % len(items)]
            lines.append(line(quantize_money(D(source["unit_price"]) * fraction, currency), source["tax_rate"]))
        try:
            credit_and_issue(org, user, invoice, lines)
            issued += 1
        except BillingValidationError:
            pass  # more than is left of a row or of the invoice: refused, nothing changes
        except StateConflict as exc:  # a total of zero, or nothing left
            assert "zero" in str(exc) or "in full" in str(exc), exc
    before = reload(org, invoice)
    event(f"{issued} partial credit notes issued, then {'nothing left' if before.status == 'credited' else 'cancel'}")
    if before.status != "credited":
        note = cancel(org, user, invoice)
        assert note.total == before.total - before.credited_total
    assert_credited_exactly(org, invoice)


# --- per-row limits and a stale draft for the rest --------------------------------------------

WORK = line("50.00", 20, 2)  # 100.00 + 20.00
HOSTING = line("30.00", 0)  # 30.00, zero rated


def test_a_credit_above_what_is_left_of_a_row_is_refused_even_when_the_total_fits(org, user, business, customer):
    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=[WORK, HOSTING], status="issued"
    )
    credit_and_issue(org, user, invoice, [line("20.00", 0)])
    with pytest.raises(BillingValidationError) as excinfo:  # 20.00 of 130.00 left, but 10.00 at 0 %
        credit_and_issue(org, user, invoice, [line("20.00", 0)])
    assert excinfo.value.messages == {
        "items": [
            "At 0 % VAT (Z) the invoice has 10.00 EUR before VAT and 0.00 EUR of VAT left to credit: "
            "credit no more than that."
        ]
    }
    credit_and_issue(org, user, invoice, [line("10.00", 0)])


def test_a_credit_whose_rounded_tax_exceeds_the_tax_left_of_its_row_is_refused(org, user, business, customer):
    """1.00 at 5 % has 0.05 VAT; five credits of 0.10 round 0.005 up five times and take it
    all. A sixth 0.10 would credit VAT that was never charged; the rest (0.50) takes none."""
    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=[line("0.10", 5, 10)], status="issued"
    )
    for _ in range(5):
        credit_and_issue(org, user, invoice, [line("0.10", 5)])
    with pytest.raises(BillingValidationError, match=r"0\.50 EUR before VAT and 0\.00 EUR of VAT"):
        credit_and_issue(org, user, invoice, [line("0.10", 5)])
    assert credit_and_issue(org, user, invoice, [line("0.10", 5, 5)]).total == D("0.50")
    assert_credited_exactly(org, invoice)


def test_a_draft_for_the_rest_is_refused_once_other_credits_were_issued_then_redone(org, user, business, customer):
    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=[WORK, HOSTING], status="issued"
    )
    credit_and_issue(org, user, invoice, [HOSTING])
    rest = services.credit_note_create(organization=org, actor=user, data={"invoice": invoice.pk, "full": True})
    assert rest.total == D("120.00")
    credit_and_issue(org, user, invoice, [line("10.00", 20)])
    with pytest.raises(BillingValidationError):
        services.credit_note_issue(organization=org, actor=user, credit_note_id=rest.pk)
    services.credit_note_update(organization=org, actor=user, credit_note_id=rest.pk, data={"full": True})
    assert services.credit_note_issue(organization=org, actor=user, credit_note_id=rest.pk).total == D("108.00")
    assert_credited_exactly(org, invoice)


# --- the line for the rest, in the credit note's language --------------------------------------


@pytest.mark.parametrize(
    ("customer_language", "business_language", "expected"),
    [
        ("fr", "en", "Montant restant de la facture {number}"),
        ("de", "fr", "Restbetrag der Rechnung {number}"),
        ("", "de", "Restbetrag der Rechnung {number}"),
        ("", "en", "Remaining amount of invoice {number}"),
    ],
)
def test_the_line_for_the_rest_is_written_in_the_customers_language(
    org, user, business, customer_language, business_language, expected
):
    with organization_scope(org):
        business.language = business_language
        business.save()
    customer = CustomerFactory(organization=org, language=customer_language)
    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=[WORK, HOSTING], status="issued"
    )
    credit_and_issue(org, user, invoice, [HOSTING])
    with translation.override("fr" if customer_language != "fr" else "de"):  # the request's: not the customer's
        note = cancel(org, user, invoice)
        assert translation.get_language() in ("fr", "de")
    with organization_scope(org):
        descriptions = list(CreditNoteItem.objects.filter(credit_note=note).values_list("description", flat=True))
    assert descriptions == [expected.format(number=invoice.number)]
    assert reload(org, invoice).status == "credited"
    with organization_scope(org):
        assert Invoice.objects.get(pk=invoice.pk).credited_total == invoice.total
