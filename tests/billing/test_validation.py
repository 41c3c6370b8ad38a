"""billing-rules.md "Money": input parsing refuses what it cannot take exactly."""

from datetime import date
from decimal import Decimal

import pytest

from billing.exceptions import BillingValidationError
from billing.validation import (
    FLOAT_MESSAGE,
    InvalidValue,
    check_invoice_amounts,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_items,
    parse_money,
    parse_percent,
    parse_quantity,
    parse_tax_rate,
    parse_text,
    parse_unit_price,
)


def message(parser, value, *args, **kwargs):
    with pytest.raises(InvalidValue) as excinfo:
        parser(value, *args, **kwargs)
    return excinfo.value.message


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan"), float("inf"), 10.0])
def test_floats_are_refused_with_a_message(value):
    assert message(parse_decimal, value, places=4) == FLOAT_MESSAGE
    assert message(parse_money, value, "EUR") == FLOAT_MESSAGE


@pytest.mark.parametrize("value", ["NaN", "nan", "-Infinity", "inf", "sNaN", Decimal("NaN"), Decimal("Infinity")])
def test_nan_and_infinity_are_refused(value):
    assert "finite" in message(parse_unit_price, value)


@pytest.mark.parametrize("value", ["1e5", "1E5", "2.5e-3", "1e+2"])
def test_exponent_notation_is_refused(value):
    assert "exponent" in message(parse_quantity, value)


@pytest.mark.parametrize("value", ["abc", "1,5", "1.2.3", "--1", "0x10", " ", [], {}, object(), True])
def test_non_numeric_values_are_refused(value):
    assert message(parse_quantity, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5", Decimal("12.5")), (" 3 ", Decimal(3)), (7, Decimal(7)), (Decimal("0.0001"), Decimal("0.0001"))],
)
def test_decimal_strings_ints_and_decimals_are_accepted(value, expected):
    assert parse_quantity(value) == expected


def test_too_many_places_is_an_error_not_rounding():
    assert "4 decimal places" in message(parse_quantity, "1.00001")
    assert "4 decimal places" in message(parse_unit_price, "0.12345")
    assert "3 decimal places" in message(parse_tax_rate, "19.0001")
    assert "3 decimal places" in message(parse_percent, "10.0005")
    assert "at most 2 decimal places" in message(parse_money, "10.001", "EUR")
    assert "no decimal places" in message(parse_money, "100.5", "JPY")
    assert parse_money("1.125", "KWD") == Decimal("1.125")
    assert "at most 3 decimal places" in message(parse_money, "1.1255", "KWD")
    # Trailing zeros are not extra precision.
    assert parse_money("10.000", "EUR") == Decimal("10")
    assert parse_quantity("2.50000") == Decimal("2.5")


def test_bounds():
    assert "greater than 0" in message(parse_quantity, "0")
    assert "greater than 0" in message(parse_quantity, "-1")
    assert parse_quantity("1000000000") == Decimal("1000000000")
    assert "less than or equal" in message(parse_quantity, "1000000000.0001")
    assert parse_unit_price("0") == 0
    assert "greater than or equal to 0" in message(parse_unit_price, "-0.01")
    assert parse_unit_price("10000000000") == Decimal("10000000000")
    assert "less than or equal" in message(parse_unit_price, "10000000000.0001")
    assert parse_tax_rate("100") == 100
    assert "less than or equal" in message(parse_tax_rate, "100.001")
    assert "greater than or equal" in message(parse_tax_rate, "-1")
    assert "less than or equal" in message(parse_percent, "100.001")
    assert "greater than 0" in message(parse_money, "0", "EUR", positive=True)
    assert parse_money("0", "EUR") == 0
    assert "less than or equal" in message(parse_money, "1000000000000.01", "EUR")


def test_check_invoice_amounts_refuses_above_1e12():
    check_invoice_amounts(subtotal=Decimal("1000000000000"), total=Decimal("1000000000000"), currency="EUR")
    with pytest.raises(BillingValidationError) as excinfo:
        check_invoice_amounts(subtotal=Decimal("900000000000"), total=Decimal("1000000000000.01"), currency="EUR")
    assert "1,000,000,000,000" in excinfo.value.errors["items"][0]


def test_items_errors_have_the_drf_nested_shape():
    with pytest.raises(BillingValidationError) as excinfo:
        parse_items(
            [
                {"description": "ok", "quantity": "1", "unit_price": "1"},
                {"description": "bad", "quantity": 1.5, "unit_price": "1"},
                {"description": "", "quantity": "1", "unit_price": "1e3"},
            ]
        )
    errors = excinfo.value.errors
    assert errors["items"][0] == {}
    assert errors["items"][1] == {"quantity": [FLOAT_MESSAGE]}
    assert set(errors["items"][2]) == {"description", "unit_price"}


def test_at_most_500_items():
    item = {"description": "x", "quantity": "1", "unit_price": "1"}
    assert len(parse_items([item] * 500)) == 500
    with pytest.raises(BillingValidationError) as excinfo:
        parse_items([item] * 501)
    assert "at most 500 items" in excinfo.value.errors["items"][0]


def test_description_is_1_to_2000_characters():
    assert parse_items([{"description": "x" * 2000, "quantity": "1", "unit_price": "1"}])[0].description == "x" * 2000
    for description in ("", "   ", "x" * 2001, None):
        with pytest.raises(BillingValidationError) as excinfo:
            parse_items([{"description": description, "quantity": "1", "unit_price": "1"}])
        assert "description" in excinfo.value.errors["items"][0]


def test_items_must_be_a_list_of_objects():
    with pytest.raises(BillingValidationError) as excinfo:
        parse_items("not a list")
    assert excinfo.value.errors == {"items": ["Expected a list of items."]}
    with pytest.raises(BillingValidationError) as excinfo:
        parse_items([42])
    assert "non_field_errors" in excinfo.value.errors["items"][0]


def test_tax_rate_defaults_to_zero():
    assert parse_items([{"description": "x", "quantity": "1", "unit_price": "1"}])[0].tax_rate == 0


def test_dates_currency_and_text():
    assert parse_date("2026-11-25") == date(2026, 11, 25)
    assert parse_date(date(2026, 1, 2)) == date(2026, 1, 2)
    for bad in ("2026-02-30", "20261125", "25.11.2026", 20261125):
        assert "YYYY-MM-DD" in message(parse_date, bad)
    assert parse_currency("eur") == "EUR"
    assert "ISO 4217" in message(parse_currency, "XXZ")
    # Amounts are stored with 3 places: a 4-place unit of account is refused, never rounded.
    assert parse_currency("KWD") == "KWD"
    for code in ("CLF", "UYW"):
        assert message(parse_currency, code) == f"{code} has 4 decimal places; Billora keeps amounts to 3."
    assert "NUL" in message(parse_text, "a\x00b", max_length=10)
    assert "no more than 3" in message(parse_text, "abcd", max_length=3)
