"""billing.calc against billing-rules.md "Money" and "Totals".

The table holds hand-checked cases (the arithmetic is in the comments); the hypothesis
properties check the invariants on bounded random invoices that respect the input rules.
"""

from decimal import Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import calc
from billing.calc import (
    VAT_CATEGORIES,
    DiscountExceedsSubtotal,
    LineInput,
    balance_and_status,
    compute_totals,
    currency_exponent,
    quantize_money,
    spread_minor_units,
    vat_category_of,
)

D = Decimal
PLACES = {"EUR": 2, "USD": 2, "JPY": 0, "KWD": 3, "BHD": 3}


def line(quantity, unit_price, tax_rate="0"):
    return LineInput(quantity=D(quantity), unit_price=D(unit_price), tax_rate=D(tax_rate))


# --- Money: currency exponent and round_m ---------------------------------------------------


@pytest.mark.parametrize(("currency", "places"), sorted(PLACES.items()))
def test_currency_exponent_comes_from_babel(currency, places):
    assert currency_exponent(currency) == places


def test_currency_exponent_is_cached(monkeypatch):
    calls = []

    def counting(currency):
        calls.append(currency)
        return 2

    currency_exponent.cache_clear()
    monkeypatch.setattr(calc, "get_currency_precision", counting)
    try:
        for _ in range(3):
            assert currency_exponent("CHF") == 2
        assert calls == ["CHF"]
    finally:
        currency_exponent.cache_clear()


@pytest.mark.parametrize("currency", ["XYZ", "eur", "", "EURO"])
def test_unknown_currency_is_refused(currency):
    with pytest.raises(ValueError, match="Unknown currency"):
        currency_exponent(currency)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "EUR", "0.13"),  # exactly half: up (half-even and truncation give 0.12)
        ("0.1249", "EUR", "0.12"),
        ("12.5", "EUR", "12.50"),  # padded to the currency's places
        ("2.5", "JPY", "3"),  # half-even would give 2
        ("1499.4999", "JPY", "1499"),
        ("1500", "JPY", "1500"),
        ("1.0005", "KWD", "1.001"),  # half-even would give 1.000
        ("1.25", "KWD", "1.250"),
        ("0.0004", "BHD", "0.000"),
    ],
)
def test_quantize_money_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    result = quantize_money(D(amount), currency)
    assert str(result) == expected


# --- Totals: hand-checked table --------------------------------------------------------------

CASES = [
    pytest.param(
        # 3 x 500 = 1500; tax 1500 * 10% = 150; total 1650.
        "JPY",
        [line("3", "500", "10")],
        ("none", "0"),
        {
            "nets": ["1500"],
            "discounts": ["0"],
            "subtotal": "1500",
            "discount_total": "0",
            "breakdown": [("10.000", "1500", "150")],
            "tax_total": "150",
            "total": "1650",
        },
        id="jpy-simple",
    ),
    pytest.param(
        # rule 1 half-up in JPY: 2.5 x 1 = 2.5 -> 3 (half-even and truncation give 2).
        "JPY",
        [line("2.5", "1", "0")],
        ("none", "0"),
        {
            "nets": ["3"],
            "discounts": ["0"],
            "subtotal": "3",
            "discount_total": "0",
            "breakdown": [("0.000", "3", "0")],
            "tax_total": "0",
            "total": "3",
        },
        id="jpy-line-half-up",
    ),
    pytest.param(
        # subtotal 1000 + 333 = 1333; 10% -> 133.3 -> 133 (D=133, S=1333).
        # shares: 133*1000/1333 = 99 r1033, 133*333/1333 = 33 r300; 1 left -> line 1: 100, 33.
        # taxable 10%: 900 -> 90; 8%: 300 -> 24; tax 114; total 1333 - 133 + 114 = 1314.
        "JPY",
        [line("1", "1000", "10"), line("1", "333", "8")],
        ("percent", "10"),
        {
            "nets": ["1000", "333"],
            "discounts": ["100", "33"],
            "subtotal": "1333",
            "discount_total": "133",
            "breakdown": [("8.000", "300", "24"), ("10.000", "900", "90")],
            "tax_total": "114",
            "total": "1314",
        },
        id="jpy-percent-spread",
    ),
    pytest.param(
        # rule 1 half-up in EUR: 1 x 0.125 = 0.125 -> 0.13 (half-even and truncation give 0.12).
        "EUR",
        [line("1", "0.125", "0")],
        ("none", "0"),
        {
            "nets": ["0.13"],
            "discounts": ["0.00"],
            "subtotal": "0.13",
            "discount_total": "0.00",
            "breakdown": [("0.000", "0.13", "0.00")],
            "tax_total": "0.00",
            "total": "0.13",
        },
        id="eur-line-half-up",
    ),
    pytest.param(
        # rule 5 half-up: 0.50 * 5% = 0.025 -> 0.03 (half-even and truncation give 0.02).
        "EUR",
        [line("1", "0.50", "5")],
        ("none", "0"),
        {
            "nets": ["0.50"],
            "discounts": ["0.00"],
            "subtotal": "0.50",
            "discount_total": "0.00",
            "breakdown": [("5.000", "0.50", "0.03")],
            "tax_total": "0.03",
            "total": "0.53",
        },
        id="eur-tax-half-up",
    ),
    pytest.param(
        # rule 3 half-up: 0.50 * 5% = 0.025 -> 0.03 (half-even and truncation give 0.02); total 0.47.
        "EUR",
        [line("1", "0.50", "0")],
        ("percent", "5"),
        {
            "nets": ["0.50"],
            "discounts": ["0.03"],
            "subtotal": "0.50",
            "discount_total": "0.03",
            "breakdown": [("0.000", "0.47", "0.00")],
            "tax_total": "0.00",
            "total": "0.47",
        },
        id="eur-percent-discount-half-up",
    ),
    pytest.param(
        # 3 equal lines share 0.10: 10*100/300 = 3 r100 each, 1 left, equal remainders -> earliest.
        # shares 0.04, 0.03, 0.03; taxable 2.90 * 20% = 0.58; total 3.00 - 0.10 + 0.58 = 3.48.
        "EUR",
        [line("1", "1.00", "20")] * 3,
        ("amount", "0.10"),
        {
            "nets": ["1.00", "1.00", "1.00"],
            "discounts": ["0.04", "0.03", "0.03"],
            "subtotal": "3.00",
            "discount_total": "0.10",
            "breakdown": [("20.000", "2.90", "0.58")],
            "tax_total": "0.58",
            "total": "3.48",
        },
        id="eur-one-cent-tie-to-earlier-line",
    ),
    pytest.param(
        # 1.00 and 2.00 share 0.10: 10*100/300 = 3 r100, 10*200/300 = 6 r200; 1 left -> the
        # larger remainder (line 2, not the earlier one): 0.03, 0.07.
        # 7%: 0.97 -> 0.0679 -> 0.07; 19%: 1.93 -> 0.3667 -> 0.37; tax 0.44; total 3.34.
        "EUR",
        [line("1", "1.00", "7"), line("1", "2.00", "19")],
        ("amount", "0.10"),
        {
            "nets": ["1.00", "2.00"],
            "discounts": ["0.03", "0.07"],
            "subtotal": "3.00",
            "discount_total": "0.10",
            "breakdown": [("7.000", "0.97", "0.07"), ("19.000", "1.93", "0.37")],
            "tax_total": "0.44",
            "total": "3.34",
        },
        id="eur-largest-remainder-mixed-rates",
    ),
    pytest.param(
        # nets 20.00 (20%), 33.33 (5.5%), 4.50 (0%), 12.17 ("20.0" = 20%); subtotal 70.00.
        # 12.5% -> 8.75 = 875 minor units over S = 7000:
        #   875*2000/7000 = 250 r0; 875*3333/7000 = 416 r4375; 875*450/7000 = 56 r1750;
        #   875*1217/7000 = 152 r875; floors 874, 1 left -> line 2: 2.50, 4.17, 0.56, 1.52.
        # 0%: 4.50 - 0.56 = 3.94, tax 0; 5.5%: 33.33 - 4.17 = 29.16 -> 1.6038 -> 1.60;
        # 20%: 17.50 + 10.65 = 28.15 -> 5.63; tax 7.23; total 70.00 - 8.75 + 7.23 = 68.48.
        # Rows sorted numerically (a string sort would put "20" before "5.5").
        "EUR",
        [line("2", "10.00", "20"), line("1", "33.33", "5.5"), line("3", "1.50", "0"), line("1", "12.17", "20.0")],
        ("percent", "12.5"),
        {
            "nets": ["20.00", "33.33", "4.50", "12.17"],
            "discounts": ["2.50", "4.17", "0.56", "1.52"],
            "subtotal": "70.00",
            "discount_total": "8.75",
            "breakdown": [("0.000", "3.94", "0.00"), ("5.500", "29.16", "1.60"), ("20.000", "28.15", "5.63")],
            "tax_total": "7.23",
            "total": "68.48",
        },
        id="eur-percent-mixed-rates-0-5.5-20",
    ),
    pytest.param(
        # tax is rounded once per rate, not per line: 3 x 0.05 at 10% = 0.15 -> 0.015 -> 0.02
        # (per line 0.005 -> 0.01 each would give 0.03); "10", "10.0", "10.000" are one rate.
        "EUR",
        [line("1", "0.05", "10"), line("1", "0.05", "10.0"), line("1", "0.05", "10.000")],
        ("none", "0"),
        {
            "nets": ["0.05", "0.05", "0.05"],
            "discounts": ["0.00", "0.00", "0.00"],
            "subtotal": "0.15",
            "discount_total": "0.00",
            "breakdown": [("10.000", "0.15", "0.02")],
            "tax_total": "0.02",
            "total": "0.17",
        },
        id="eur-tax-per-rate-not-per-line",
    ),
    pytest.param(
        # a discount equal to the subtotal: shares are the nets, taxable 0, tax 0, total 0.00.
        "EUR",
        [line("1", "10.00", "20"), line("1", "5.00", "7")],
        ("amount", "15.00"),
        {
            "nets": ["10.00", "5.00"],
            "discounts": ["10.00", "5.00"],
            "subtotal": "15.00",
            "discount_total": "15.00",
            "breakdown": [("7.000", "0.00", "0.00"), ("20.000", "0.00", "0.00")],
            "tax_total": "0.00",
            "total": "0.00",
        },
        id="eur-amount-discount-equals-subtotal",
    ),
    pytest.param(
        # 100% off: 12.34 -> discount 12.34, total 0.00.
        "EUR",
        [line("2", "6.17", "19")],
        ("percent", "100"),
        {
            "nets": ["12.34"],
            "discounts": ["12.34"],
            "subtotal": "12.34",
            "discount_total": "12.34",
            "breakdown": [("19.000", "0.00", "0.00")],
            "tax_total": "0.00",
            "total": "0.00",
        },
        id="eur-percent-100",
    ),
    pytest.param(
        # a free line takes no share of the discount: 0.00 and 10.00 share 1.00 -> 0.00, 1.00.
        # taxable 20%: 9.00 -> 1.80; total 10.00 - 1.00 + 1.80 = 10.80.
        "EUR",
        [line("1", "0", "20"), line("1", "10.00", "20")],
        ("amount", "1"),
        {
            "nets": ["0.00", "10.00"],
            "discounts": ["0.00", "1.00"],
            "subtotal": "10.00",
            "discount_total": "1.00",
            "breakdown": [("20.000", "9.00", "1.80")],
            "tax_total": "1.80",
            "total": "10.80",
        },
        id="eur-free-line-gets-no-share",
    ),
    pytest.param(
        # 2 x 1.2345 = 2.469; 1 x 0.0005 = 0.0005 -> 0.001 (half-up); subtotal 2.470.
        # 0.250 = 250 over S = 2470: 250*2469/2470 = 249 r2220; 250*1/2470 = 0 r250; 1 left -> line 1.
        # taxable 5%: 2.219 + 0.001 = 2.220 -> 0.111; total 2.470 - 0.250 + 0.111 = 2.331.
        "KWD",
        [line("2", "1.2345", "5"), line("1", "0.0005", "5")],
        ("amount", "0.250"),
        {
            "nets": ["2.469", "0.001"],
            "discounts": ["0.250", "0.000"],
            "subtotal": "2.470",
            "discount_total": "0.250",
            "breakdown": [("5.000", "2.220", "0.111")],
            "tax_total": "0.111",
            "total": "2.331",
        },
        id="kwd-three-places",
    ),
    pytest.param(
        # 3 x 0.3335 = 1.0005 -> 1.001 (half-even gives 1.000); 15% -> 0.150075 -> 0.150;
        # taxable 1.001 - 0.150 = 0.851 at 0%; total 0.851.
        "KWD",
        [line("3", "0.3335", "0")],
        ("percent", "15"),
        {
            "nets": ["1.001"],
            "discounts": ["0.150"],
            "subtotal": "1.001",
            "discount_total": "0.150",
            "breakdown": [("0.000", "0.851", "0.000")],
            "tax_total": "0.000",
            "total": "0.851",
        },
        id="kwd-half-up-and-percent",
    ),
    pytest.param(
        # no lines at all: every amount is zero with the currency's places.
        "BHD",
        [],
        ("none", "0"),
        {
            "nets": [],
            "discounts": [],
            "subtotal": "0.000",
            "discount_total": "0.000",
            "breakdown": [],
            "tax_total": "0.000",
            "total": "0.000",
        },
        id="bhd-empty",
    ),
]


@pytest.mark.parametrize(("currency", "lines", "discount", "expected"), CASES)
def test_hand_checked_totals(currency, lines, discount, expected):
    result = compute_totals(currency=currency, lines=lines, discount_type=discount[0], discount_value=D(discount[1]))
    # Compared as strings, so the exact number of places is checked too (JPY "1500", KWD "2.470").
    assert [str(a.line_net) for a in result.lines] == expected["nets"]
    assert [str(a.line_discount) for a in result.lines] == expected["discounts"]
    assert str(result.subtotal) == expected["subtotal"]
    assert str(result.discount_total) == expected["discount_total"]
    assert [(str(r.rate), str(r.taxable_amount), str(r.tax_amount)) for r in result.tax_breakdown] == expected[
        "breakdown"
    ]
    assert str(result.tax_total) == expected["tax_total"]
    assert str(result.total) == expected["total"]


# --- Totals: refusals ------------------------------------------------------------------------


def _totals(lines=None, discount_type="none", discount_value="0", currency="EUR"):
    lines = [line("1", "10.00", "20")] if lines is None else lines
    return compute_totals(currency=currency, lines=lines, discount_type=discount_type, discount_value=discount_value)


def test_amount_discount_one_minor_unit_above_subtotal_is_refused_not_clamped():
    with pytest.raises(DiscountExceedsSubtotal):
        _totals(discount_type="amount", discount_value=D("10.01"))
    assert issubclass(DiscountExceedsSubtotal, ValueError)
    assert _totals(discount_type="amount", discount_value=D("10.00")).total == D("0.00")


def test_amount_discount_on_an_empty_invoice_is_refused():
    with pytest.raises(DiscountExceedsSubtotal):
        _totals(lines=[], discount_type="amount", discount_value=D("0.01"))


@pytest.mark.parametrize(
    ("currency", "value"),
    [("EUR", "1.005"), ("JPY", "1.5"), ("KWD", "0.0001")],
)
def test_amount_discount_finer_than_the_minor_unit_is_refused(currency, value):
    with pytest.raises(ValueError, match="more places"):
        _totals(currency=currency, discount_type="amount", discount_value=D(value))


@pytest.mark.parametrize(
    ("discount_type", "value", "message"),
    [
        ("percent", "100.001", "at most 100"),
        ("percent", "-1", "negative"),
        ("amount", "-0.01", "negative"),
        ("fixed", "1", "Unknown discount_type"),
        ("percent", "NaN", "finite"),
        ("amount", "Infinity", "finite"),
    ],
)
def test_impossible_discounts_are_refused(discount_type, value, message):
    with pytest.raises(ValueError, match=message):
        _totals(discount_type=discount_type, discount_value=D(value))


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (line("1", "1", "100.001"), "between 0 and 100"),
        (line("1", "1", "-1"), "between 0 and 100"),
        (line("1", "1", "19.0001"), "more than 3 decimal places"),
        (line("-1", "1", "0"), "negative"),
        (line("1", "-1", "0"), "negative"),
    ],
)
def test_impossible_lines_are_refused(bad_line, message):
    with pytest.raises(ValueError, match=message):
        _totals(lines=[bad_line])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lines": [LineInput(quantity=1.5, unit_price=D("1"), tax_rate=D("0"))]},
        {"lines": [LineInput(quantity=D("1"), unit_price=0.1, tax_rate=D("0"))]},
        {"lines": [LineInput(quantity=D("1"), unit_price=D("1"), tax_rate=20.0)]},
        {"discount_type": "amount", "discount_value": 0.5},
        {"discount_type": "percent", "discount_value": 10.0},
    ],
)
def test_a_float_anywhere_raises_type_error(kwargs):
    with pytest.raises(TypeError, match="must be a Decimal"):
        _totals(**kwargs)


def test_quantize_money_refuses_float():
    with pytest.raises(TypeError):
        quantize_money(0.125, "EUR")


# --- Rule 4 helper -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, [100, 100, 100], [4, 3, 3]),  # equal remainders: the earlier line first
        (2, [1, 1, 1], [1, 1, 0]),
        (10, [100, 200], [3, 7]),  # remainders 100 < 200: the larger one wins, not the earlier
        (3, [1, 0, 1, 1], [1, 0, 1, 1]),  # exact quotas, nothing left over
        (5, [0, 7], [0, 5]),
        (0, [0, 0], [0, 0]),
        (0, [], []),
    ],
)
def test_spread_minor_units(total, weights, expected):
    assert spread_minor_units(total, weights) == expected


def test_spread_refuses_a_non_zero_total_over_zero_weights():
    with pytest.raises(ValueError, match="zero weights"):
        spread_minor_units(1, [0, 0])


# --- balance and status (rule 7, Payments step 4) ----------------------------------------------


@pytest.mark.parametrize(
    ("total", "paid", "balance", "status"),
    [
        ("100.00", "0.00", "100.00", "issued"),
        ("100.00", "0.01", "99.99", "partially_paid"),
        ("100.00", "99.99", "0.01", "partially_paid"),
        ("100.00", "100.00", "0.00", "paid"),
        ("1500", "1500", "0", "paid"),
        ("0.00", "0.00", "0.00", "issued"),  # "paid" needs something paid (a zero total is never issued)
    ],
)
def test_balance_and_status(total, paid, balance, status):
    assert balance_and_status(total=D(total), amount_paid=D(paid)) == (D(balance), status)


@pytest.mark.parametrize(("total", "paid"), [("100.00", "100.01"), ("100.00", "-0.01")])
def test_balance_and_status_refuses_overpayment_and_negative_payments(total, paid):
    with pytest.raises(ValueError, match="may not"):
        balance_and_status(total=D(total), amount_paid=D(paid))


@pytest.mark.parametrize(
    ("total", "credited", "paid", "refunded", "balance", "status"),
    [
        ("100.00", "0", "0", "0", "100.00", "issued"),
        ("100.00", "30.00", "0", "0", "70.00", "issued"),
        ("100.00", "30.00", "20.00", "0", "50.00", "partially_paid"),
        ("100.00", "30.00", "70.00", "0", "0.00", "paid"),
        ("100.00", "30.00", "100.00", "0", "-30.00", "paid"),  # refund due
        ("100.00", "30.00", "100.00", "30.00", "0.00", "paid"),
        ("100.00", "100.00", "0", "0", "0.00", "credited"),
        ("100.00", "100.00", "40.00", "0", "-40.00", "credited"),  # refund due
        ("100.00", "100.00", "40.00", "40.00", "0.00", "credited"),
    ],
)
def test_balance_and_status_with_credits_and_refunds(total, credited, paid, refunded, balance, status):
    assert balance_and_status(
        total=D(total), amount_paid=D(paid), credited_total=D(credited), amount_refunded=D(refunded)
    ) == (D(balance), status)


@pytest.mark.parametrize(("credited", "refunded"), [("100.01", "0"), ("-1", "0"), ("0", "-1")])
def test_balance_and_status_refuses_credits_above_total_and_negatives(credited, refunded):
    with pytest.raises(ValueError, match="may not"):
        balance_and_status(total=D("100.00"), amount_paid=D(0), credited_total=D(credited), amount_refunded=D(refunded))


def test_balance_and_status_refuses_float():
    with pytest.raises(TypeError):
        balance_and_status(total=D("10.00"), amount_paid=5.0)


# --- hypothesis properties ---------------------------------------------------------------------

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

currencies = st.sampled_from(sorted(PLACES))
quantities = st.decimals(min_value=D("0.0001"), max_value=D("1000000000"), places=4)
prices = st.one_of(
    st.decimals(min_value=D(0), max_value=D("1000"), places=4),  # everyday prices, with ties and remainders
    st.decimals(min_value=D(0), max_value=D("10000000000"), places=4),
)
rates = st.one_of(
    st.sampled_from([D("0"), D("5.5"), D("7"), D("19"), D("20.0"), D("20.000")]),  # shared rates
    st.decimals(min_value=D(0), max_value=D(100), places=3),
)
line_inputs = st.builds(LineInput, quantity=quantities, unit_price=prices, tax_rate=rates)
invoice_lines = st.lists(line_inputs, max_size=50)
percents = st.decimals(min_value=D(0), max_value=D(100), places=3)


def _minor(amount, places):
    return int(amount.scaleb(places))


@st.composite
def invoices(draw):
    """(currency, lines, discount_type, discount_value) within the input rules."""
    currency = draw(currencies)
    lines = draw(invoice_lines)
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    if kind == "none":
        return currency, lines, kind, D(0)
    if kind == "percent":
        return currency, lines, kind, draw(percents)
    # An amount discount in the minor unit, between 0 and the subtotal (rules 1-2 are checked
    # separately, so asking compute_totals for the subtotal is fair here).
    places = PLACES[currency]
    subtotal = compute_totals(currency=currency, lines=lines, discount_type="none", discount_value=D(0)).subtotal
    minor = draw(st.integers(min_value=0, max_value=_minor(subtotal, places)))
    return currency, lines, kind, D(minor).scaleb(-places)


def _amounts(result):
    yield result.subtotal
    yield result.discount_total
    yield result.tax_total
    yield result.total
    for amounts in result.lines:
        yield amounts.line_net
        yield amounts.line_discount
    for row in result.tax_breakdown:
        yield row.taxable_amount
        yield row.tax_amount


def _check_invariants(result, currency, lines):
    places = PLACES[currency]
    zero = D(0)
    assert len(result.lines) == len(lines)
    # Every amount has exactly the currency's places.
    for amount in _amounts(result):
        assert isinstance(amount, Decimal)
        assert -amount.as_tuple().exponent == places, (amount, currency)
    # Rules 2, 4, 5, 6: the parts add up exactly.
    assert sum((a.line_net for a in result.lines), zero) == result.subtotal
    assert sum((a.line_discount for a in result.lines), zero) == result.discount_total
    assert sum((r.tax_amount for r in result.tax_breakdown), zero) == result.tax_total
    assert sum((r.taxable_amount for r in result.tax_breakdown), zero) == result.subtotal - result.discount_total
    assert result.total == result.subtotal - result.discount_total + result.tax_total
    # No line share is negative or above its line.
    for amounts in result.lines:
        assert zero <= amounts.line_discount <= amounts.line_net
    assert zero <= result.discount_total <= result.subtotal
    assert result.tax_total >= 0
    assert result.total >= 0
    # One row per distinct rate, ascending.
    row_rates = [r.rate for r in result.tax_breakdown]
    assert row_rates == sorted(set(row_rates))
    assert set(row_rates) == {line.tax_rate for line in lines}


def _assert_half_up(rounded, exact, places):
    """round_m: within half a minor unit of the exact value, and an exact half goes up."""
    half = D(1).scaleb(-places) / 2
    assert -half < rounded - exact <= half, (rounded, exact)


def _check_rounding(result, currency, lines, discount_type, discount_value):
    """Rules 1, 3 and 5 round once, half up, from the exact product."""
    places = PLACES[currency]
    with localcontext(prec=80):  # the exact values have more than the default 28 digits
        for li, amounts in zip(lines, result.lines, strict=True):
            _assert_half_up(amounts.line_net, li.quantity * li.unit_price, places)
        for row in result.tax_breakdown:
            _assert_half_up(row.tax_amount, row.taxable_amount * row.rate / 100, places)
        if discount_type == "percent":
            _assert_half_up(result.discount_total, result.subtotal * discount_value / 100, places)


def _check_largest_remainder(result, places):
    """Rule 4: every share is its quota rounded down or up, and the round-ups went to the
    largest remainders, ties to the earlier line."""
    total = _minor(result.discount_total, places)
    weights = [_minor(a.line_net, places) for a in result.lines]
    shares = [_minor(a.line_discount, places) for a in result.lines]
    weight_sum = sum(weights)
    if weight_sum == 0:
        assert shares == [0] * len(shares)
        return
    quotas = [divmod(total * w, weight_sum) for w in weights]
    up = [i for i, (share, (floor, _)) in enumerate(zip(shares, quotas, strict=True)) if share == floor + 1]
    down = [i for i, (share, (floor, _)) in enumerate(zip(shares, quotas, strict=True)) if share == floor]
    assert len(up) + len(down) == len(shares)
    for i in up:
        for j in down:
            assert (quotas[i][1], j) > (quotas[j][1], i), "a round-up went to a smaller or later remainder"


@FAST
@given(invoices())
def test_property_totals_add_up(invoice):
    currency, lines, discount_type, discount_value = invoice
    result = compute_totals(currency=currency, lines=lines, discount_type=discount_type, discount_value=discount_value)
    _check_invariants(result, currency, lines)
    _check_rounding(result, currency, lines, discount_type, discount_value)
    _check_largest_remainder(result, PLACES[currency])


@FAST
@given(invoices(), st.data())
def test_property_scaling_quantities_never_gives_negative_totals(invoice, data):
    currency, lines, discount_type, discount_value = invoice
    # An integer factor keeps 4 places and only grows the line nets, so an amount discount still fits;
    # the factor is capped so every scaled quantity stays within the 1e9 bound.
    largest = max((li.quantity for li in lines), default=D(1))
    factor = data.draw(st.integers(min_value=1, max_value=max(1, min(10**6, int(D(10**9) / largest)))))
    scaled = [LineInput(quantity=li.quantity * factor, unit_price=li.unit_price, tax_rate=li.tax_rate) for li in lines]
    before = compute_totals(currency=currency, lines=lines, discount_type=discount_type, discount_value=discount_value)
    after = compute_totals(currency=currency, lines=scaled, discount_type=discount_type, discount_value=discount_value)
    _check_invariants(after, currency, scaled)
    assert after.subtotal >= before.subtotal
    for amount in (after.subtotal, after.discount_total, after.tax_total, after.total):
        assert amount >= 0


@FAST
@given(invoices())
def test_property_result_does_not_depend_on_the_decimal_spelling(invoice):
    """Decimal only, and "20" == "20.0" == "20.000": re-spelling every input changes nothing."""
    currency, lines, discount_type, discount_value = invoice
    respelled = [
        LineInput(
            quantity=li.quantity.quantize(D("0.0001")),
            unit_price=li.unit_price.quantize(D("0.0001")),
            tax_rate=li.tax_rate.quantize(D("0.001")),
        )
        for li in lines
    ]
    first = compute_totals(currency=currency, lines=lines, discount_type=discount_type, discount_value=discount_value)
    second = compute_totals(
        currency=currency, lines=respelled, discount_type=discount_type, discount_value=discount_value
    )
    assert first == second
    assert [str(a) for a in _amounts(first)] == [str(a) for a in _amounts(second)]
    assert [str(r.rate) for r in first.tax_breakdown] == [str(r.rate) for r in second.tax_breakdown]


@FAST
@given(invoices(), st.integers(min_value=1, max_value=10**6))
def test_property_amount_discount_above_subtotal_is_always_refused(invoice, excess_minor):
    currency, lines, _, _ = invoice
    places = PLACES[currency]
    subtotal = compute_totals(currency=currency, lines=lines, discount_type="none", discount_value=D(0)).subtotal
    too_much = subtotal + D(excess_minor).scaleb(-places)
    with pytest.raises(DiscountExceedsSubtotal):
        compute_totals(currency=currency, lines=lines, discount_type="amount", discount_value=too_much)


@FAST
@given(currencies, st.data())
def test_property_balance_and_status(currency, data):
    places = PLACES[currency]
    total_minor = data.draw(st.integers(min_value=1, max_value=10**15))
    paid_minor = data.draw(st.integers(min_value=0, max_value=total_minor))
    total, paid = D(total_minor).scaleb(-places), D(paid_minor).scaleb(-places)
    balance, status = balance_and_status(total=total, amount_paid=paid)
    assert balance + paid == total
    assert balance >= 0
    expected = "paid" if paid_minor == total_minor else ("partially_paid" if paid_minor else "issued")
    assert status == expected


# --- VAT categories: the breakdown groups by (category, rate) -----------------------------------


def cat_line(quantity, unit_price, tax_rate, category):
    return LineInput(quantity=D(quantity), unit_price=D(unit_price), tax_rate=D(tax_rate), vat_category=category)


@pytest.mark.parametrize(
    ("given", "rate", "expected"),
    [
        (None, "20", "S"),
        (None, "0.001", "S"),
        (None, "0", "Z"),
        (None, "0.000", "Z"),
        ("E", "0", "E"),
        ("AE", "0", "AE"),
    ],
)
def test_vat_category_defaults_to_s_above_zero_and_z_at_zero(given, rate, expected):
    assert vat_category_of(cat_line("1", "1", rate, given)) == expected


@pytest.mark.parametrize("category", ["X", "s", "", "VAT", "L"])
def test_unknown_vat_category_is_refused(category):
    with pytest.raises(ValueError, match="Unknown VAT category"):
        _totals(lines=[cat_line("1", "10.00", "0", category)])


def test_every_uncl5305_code_billora_uses_is_accepted():
    assert VAT_CATEGORIES == ("S", "Z", "E", "AE", "K", "G", "O")
    lines = [cat_line("1", "1.00", "0", code) for code in VAT_CATEGORIES if code != "S"] + [
        cat_line("1", "1.00", "20", "S")
    ]
    result = _totals(lines=lines)
    assert sorted(row.category for row in result.tax_breakdown) == sorted(VAT_CATEGORIES)


def test_z_and_e_at_rate_zero_are_separate_rows_with_the_discount_spread_per_row():
    # nets 10.00 (S 20%), 6.00 (Z 0%), 4.00 (E 0%), 3.00 (Z 0%); subtotal 23.00; 10% -> 2.30 = 230 over 2300:
    #   230*1000/2300 = 100 r0, 230*600/2300 = 60 r0, 230*400/2300 = 40 r0, 230*300/2300 = 30 r0.
    # rows: (0, E) 4.00 - 0.40 = 3.60; (0, Z) 9.00 - 0.90 = 8.10; (20, S) 10.00 - 1.00 = 9.00 -> 1.80;
    # total 23.00 - 2.30 + 1.80 = 22.50.
    result = _totals(
        lines=[
            cat_line("1", "10.00", "20", None),
            cat_line("2", "3.00", "0", None),
            cat_line("1", "4.00", "0", "E"),
            cat_line("1", "3.00", "0", "Z"),
        ],
        discount_type="percent",
        discount_value=D("10"),
    )
    rows = [
        (r.category, str(r.rate), str(r.taxable_amount), str(r.tax_amount), str(r.discount_amount))
        for r in result.tax_breakdown
    ]
    assert rows == [
        ("E", "0.000", "3.60", "0.00", "0.40"),
        ("Z", "0.000", "8.10", "0.00", "0.90"),
        ("S", "20.000", "9.00", "1.80", "1.00"),
    ]
    assert result.tax_total == D("1.80")
    assert result.total == D("22.50")


def test_same_rate_different_categories_do_not_merge_and_the_tax_rounds_per_row():
    # Two S-rated groups cannot share a rate, so take two 0-rate categories and one S line at 7%:
    # AE 0.05 + K 0.05 stay apart; 3 x 0.05 at 7% = 0.0105 -> 0.01 in one row.
    result = _totals(
        lines=[
            cat_line("1", "0.05", "0", "AE"),
            cat_line("1", "0.05", "0", "K"),
            cat_line("3", "0.05", "7", None),
        ]
    )
    assert [(r.category, r.taxable_amount) for r in result.tax_breakdown] == [
        ("AE", D("0.05")),
        ("K", D("0.05")),
        ("S", D("0.15")),
    ]
    assert result.tax_breakdown[-1].tax_amount == D("0.01")


def test_default_categories_keep_the_per_rate_rows_and_their_order():
    # What callers saw before categories existed: one row per rate, ascending, now labelled S or Z.
    result = _totals(
        lines=[line("2", "10.00", "20"), line("1", "33.33", "5.5"), line("3", "1.50", "0"), line("1", "12.17", "20.0")],
        discount_type="percent",
        discount_value=D("12.5"),
    )
    assert [(r.category, str(r.rate), str(r.taxable_amount), str(r.tax_amount)) for r in result.tax_breakdown] == [
        ("Z", "0.000", "3.94", "0.00"),
        ("S", "5.500", "29.16", "1.60"),
        ("S", "20.000", "28.15", "5.63"),
    ]
    assert [str(r.discount_amount) for r in result.tax_breakdown] == ["0.56", "4.17", "4.02"]


categories = st.sampled_from([None, *VAT_CATEGORIES])
categorized_lines = st.lists(
    st.builds(LineInput, quantity=quantities, unit_price=prices, tax_rate=rates, vat_category=categories), max_size=50
)


@FAST
@given(currencies, categorized_lines, st.data())
def test_property_category_rows_add_up_to_the_line_nets_and_discount_shares(currency, lines, data):
    kind = data.draw(st.sampled_from(["none", "percent"]))
    value = data.draw(percents) if kind == "percent" else D(0)
    result = compute_totals(currency=currency, lines=lines, discount_type=kind, discount_value=value)
    zero = D(0)
    expected_keys = sorted({(li.tax_rate.quantize(D("0.001")), vat_category_of(li)) for li in lines})
    assert [(r.rate, r.category) for r in result.tax_breakdown] == expected_keys
    for row in result.tax_breakdown:
        members = [
            amounts
            for li, amounts in zip(lines, result.lines, strict=True)
            if (li.tax_rate.quantize(D("0.001")), vat_category_of(li)) == (row.rate, row.category)
        ]
        # BT-116 = sum of the group's line nets - the group's allowance (EN 16931 BR-S-08 and siblings).
        assert row.discount_amount == sum((a.line_discount for a in members), zero)
        assert row.taxable_amount == sum((a.line_net for a in members), zero) - row.discount_amount
    assert sum((r.discount_amount for r in result.tax_breakdown), zero) == result.discount_total
    assert sum((r.taxable_amount for r in result.tax_breakdown), zero) == result.subtotal - result.discount_total
    assert sum((r.tax_amount for r in result.tax_breakdown), zero) == result.tax_total


# --- credit notes: what is left of each row, and the rest of a row ----------------------------


def rows(totals):
    return tuple(calc.RowAmounts(r.category, r.rate, r.taxable_amount, r.tax_amount) for r in totals.tax_breakdown)


def remainder(currency, left):
    """The credit note for everything left: one line per row with its taxable amount left."""
    lines = [
        LineInput(D(1), rest.taxable_amount, rest.rate, rest.category)
        for rest in left
        if rest.taxable_amount > 0 or rest.tax_amount > 0
    ]
    return compute_totals(currency=currency, lines=lines, discount_type="none", discount_value=D(0), left=left)


@pytest.mark.parametrize(
    ("currency", "price", "rate", "left", "rounded_again"),
    [
        # 3 x 0.33 at 19 %: 0.99 taxable, tax 0.1881 -> 0.19; each line alone 0.0627 -> 0.06.
        # Two lines credited leave 0.33 and 0.07 (not the 0.06 a new rounding gives).
        ("EUR", "0.33", "19", ("0.33", "0.07"), "0.06"),
        # 3 x 0.10 at 5 %: 0.015 -> 0.02; each line alone 0.005 -> 0.01: two leave 0.10 and 0.00.
        ("EUR", "0.10", "5", ("0.10", "0.00"), "0.01"),
        # 3 x 333 JPY at 7 %: 69.93 -> 70; each 23.31 -> 23: two leave 333 and 24.
        ("JPY", "333", "7", ("333", "24"), "23"),
        # 3 x 0.333 KWD at 5.5 %: 0.054945 -> 0.055; each 0.018315 -> 0.018: two leave 0.333 and 0.019.
        ("KWD", "0.333", "5.5", ("0.333", "0.019"), "0.018"),
    ],
)
def test_the_rest_of_a_row_takes_the_tax_left_not_a_new_rounding(currency, price, rate, left, rounded_again):
    invoiced = compute_totals(
        currency=currency, lines=[line(1, price, rate)] * 3, discount_type="none", discount_value=D(0)
    )
    one = compute_totals(currency=currency, lines=[line(1, price, rate)], discount_type="none", discount_value=D(0))
    rests = calc.left_to_credit(rows(invoiced), rows(one) * 2, currency)
    assert [(r.taxable_amount, r.tax_amount) for r in rests] == [(D(left[0]), D(left[1]))]
    assert one.tax_total == D(rounded_again)  # what the last line alone would credit: not the rest
    last = compute_totals(
        currency=currency, lines=[line(1, price, rate)], discount_type="none", discount_value=D(0), left=rests
    )
    assert (last.tax_total, last.total) == (D(left[1]), invoiced.total - 2 * one.total)
    assert str(last.tax_total) == left[1]  # in the currency's places
    assert remainder(currency, rests) == last


def test_a_row_that_is_not_the_whole_rest_is_rounded_as_usual():
    rests = (calc.RowAmounts("S", D(19), D("0.66"), D("0.13")),)
    part = compute_totals(currency="EUR", lines=[line(1, "0.33", "19")], discount_type="none", discount_value=D(0))
    with_left = compute_totals(
        currency="EUR", lines=[line(1, "0.33", "19")], discount_type="none", discount_value=D(0), left=rests
    )
    assert with_left == part and part.tax_total == D("0.06")
    # Another category at the same rate, or a rest with a negative amount, is no rest of this row.
    for other in (calc.RowAmounts("AE", D(19), D("0.33"), D("0.07")), calc.RowAmounts("S", D(19), D("0.33"), D(-1))):
        again = compute_totals(
            currency="EUR", lines=[line(1, "0.33", "19")], discount_type="none", discount_value=D(0), left=(other,)
        )
        assert again.tax_total == D("0.06")


def test_the_rest_of_a_row_after_a_discount_counts_the_taxable_amount():
    # 100.00 at 20 % with 10 % off: taxable 90.00. A row left at 90.00 / 17.99 takes 17.99.
    rests = (calc.RowAmounts("S", D("20.000"), D("90.00"), D("17.99")),)
    totals = compute_totals(
        currency="EUR", lines=[line(1, "100", "20")], discount_type="percent", discount_value=D(10), left=rests
    )
    assert (totals.tax_breakdown[0].taxable_amount, totals.tax_total, totals.total) == (
        D("90.00"),
        D("17.99"),
        D("107.99"),
    )


def test_left_to_credit_subtracts_each_row_and_keys_rates_once():
    invoiced = (calc.RowAmounts("S", D("19"), D("10.00"), D("1.90")), calc.RowAmounts("Z", D(0), D("5.00"), D(0)))
    credited = (
        calc.RowAmounts("S", D("19.000"), D("3.33"), D("0.63")),
        calc.RowAmounts("S", D("19.0"), D(1), D("0.19")),
    )
    assert calc.left_to_credit(invoiced, credited, "EUR") == (
        calc.RowAmounts("Z", D("0.000"), D("5.00"), D("0.00")),
        calc.RowAmounts("S", D("19.000"), D("5.67"), D("1.08")),
    )
    assert calc.left_to_credit(invoiced, (), "EUR")[1].rate == D("19.000")


@pytest.mark.parametrize(
    "bad",
    [
        calc.RowAmounts("S", D(19), D("0.333"), D(0)),  # finer than the cent
        calc.RowAmounts("XX", D(19), D(1), D(0)),
        calc.RowAmounts("S", D("19.0001"), D(1), D(0)),
    ],
)
def test_impossible_rests_are_refused(bad):
    with pytest.raises(ValueError):
        compute_totals(currency="EUR", lines=[line(1, 1, 19)], discount_type="none", discount_value=D(0), left=(bad,))
    with pytest.raises(TypeError):
        compute_totals(
            currency="EUR",
            lines=[line(1, 1, 19)],
            discount_type="none",
            discount_value=D(0),
            left=(calc.RowAmounts("S", D(19), 1.0, D(0)),),
        )


def _fits(totals, left) -> bool:
    """The services' per-row limit: no row credits more taxable amount or tax than is left."""
    rests = {(r.rate.normalize(), r.category): r for r in left}
    for row in totals.tax_breakdown:
        rest = rests.get((row.rate.normalize(), row.category))
        if rest is None or row.taxable_amount > rest.taxable_amount or row.tax_amount > rest.tax_amount:
            return False
    return True


small_prices = st.decimals(min_value=D("0.01"), max_value=D("50"), places=2)
credit_rates = st.sampled_from([D(0), D("5.5"), D(7), D(19), D(20), D("8.125")])


@settings(max_examples=300, deadline=None)
@given(
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    lines=st.lists(st.builds(line, st.integers(1, 5), small_prices, credit_rates), min_size=1, max_size=6),
    percent=st.sampled_from([D(0), D("3.5"), D(10), D("33.333")]),
    data=st.data(),
)
def test_property_the_remainder_credits_exactly_what_is_left(currency, lines, percent, data):
    """Partial credit notes of odd amounts (each within what is left of its rows), then the
    credit note for everything left: it totals exactly total - credited, row by row."""
    invoiced = compute_totals(currency=currency, lines=lines, discount_type="percent", discount_value=percent)
    credited, credited_total = [], D(0)
    for _ in range(data.draw(st.integers(0, 6))):
        left = calc.left_to_credit(rows(invoiced), credited, currency)
        picked = data.draw(st.lists(st.sampled_from(lines), min_size=1, max_size=3))
        parts = [
            LineInput(
                D(1),
                quantize_money(li.unit_price * data.draw(st.sampled_from([D("0.3"), D("0.5"), D(1)])), currency),
                li.tax_rate,
            )
            for li in picked
        ]
        note = compute_totals(currency=currency, lines=parts, discount_type="none", discount_value=D(0), left=left)
        if _fits(note, left):
            credited += rows(note)
            credited_total += note.total
    left = calc.left_to_credit(rows(invoiced), credited, currency)
    assert all(r.taxable_amount >= 0 and r.tax_amount >= 0 for r in left)
    rest = remainder(currency, left)
    assert rest.total == invoiced.total - credited_total
    by_row = {(r.rate, r.category): (r.taxable_amount, r.tax_amount) for r in rest.tax_breakdown}
    for r in left:
        assert by_row.get((r.rate, r.category), (D(0), D(0))) == (r.taxable_amount, r.tax_amount)
    assert calc.left_to_credit(rows(invoiced), credited + list(rows(rest)), currency) == tuple(
        calc.RowAmounts(r.category, r.rate, quantize_money(D(0), currency), quantize_money(D(0), currency))
        for r in left
    )
