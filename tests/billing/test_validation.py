"""billing-rules.md "Money": input parsing refuses what it cannot take exactly."""

from datetime import date
from decimal import Decimal

import pytest

from billing.exceptions import BillingValidationError
from billing.validation import (
    FLOAT_MESSAGE,
    NUMBER_MESSAGE,
    InvalidValue,
    check_invoice_amounts,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_int,
    parse_items,
    parse_money,
    parse_percent,
    parse_quantity,
    parse_tax_rate,
    parse_text,
    parse_unit_price,
)

ITEM = {"description": "Work", "quantity": "1", "unit_price": "1"}


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
    [
        ("12.5", Decimal("12.5")),
        ("3", Decimal(3)),
        (".5", Decimal("0.5")),
        ("2.", Decimal(2)),
        (7, Decimal(7)),
        (Decimal("0.0001"), Decimal("0.0001")),
    ],
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


# --- the exact syntax of numbers: ASCII digits and at most one point --------------------------

LOOSE_NUMBERS = [" 1 ", "1 ", " 1", "+1", "１２", "٣", "۳", "1\u00a0000", "1,5", "1_000", "0x1", "½"]


@pytest.mark.parametrize("value", LOOSE_NUMBERS)
@pytest.mark.parametrize(
    "parser",
    [parse_quantity, parse_unit_price, parse_tax_rate, parse_percent, lambda value: parse_money(value, "EUR")],
    ids=["quantity", "unit_price", "tax_rate", "percent", "money"],
)
def test_numbers_are_ascii_digits_with_at_most_one_point(parser, value):
    """Python's Decimal() takes all of these ("１２" is 12); the documented syntax takes none."""
    assert message(parser, value) == NUMBER_MESSAGE


@pytest.mark.parametrize("value", ["-5", "-0", "-0.00"])
def test_a_minus_sign_is_never_accepted_and_the_bound_says_why(value):
    assert "greater than or equal to 0" in message(parse_unit_price, value)
    assert "greater than 0" in message(parse_quantity, value)


@pytest.mark.parametrize("value", ["٣", "+1", " 1 ", "1.0", "１"])
def test_integers_are_ascii_digits(value):
    assert message(parse_int, value, minimum=0, maximum=365) == "A valid integer is required."


def test_integers_in_range():
    assert parse_int("14", minimum=0, maximum=365) == 14
    assert parse_int(14, minimum=0, maximum=365) == 14
    assert "greater than or equal to 0" in message(parse_int, "-1", minimum=0, maximum=365)
    assert "less than or equal to 365" in message(parse_int, "366", minimum=0, maximum=365)
    assert message(parse_int, "", minimum=0, maximum=365) == "This field is required."


# --- text: no surrogates, no control characters; line breaks only where a field has lines -----


@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a\ud800b", "surrogate"),
        ("\udfff", "surrogate"),
        ("a\x00b", "NUL"),
        ("bell\x07", "control characters (U+0007)"),
        ("esc\x1b[31m", "control characters (U+001B)"),
        ("c1\x9b", "control characters (U+009B)"),
    ],
)
def test_text_refuses_surrogates_and_control_characters(text, fragment, multiline):
    assert fragment in message(parse_text, text, max_length=100, multiline=multiline)


@pytest.mark.parametrize("text", ["Acme\r\nBcc: x@example.com", "Acme\nCorp", "Acme\rCorp", "Acme\x0bCorp", "a\u2028b"])
def test_single_line_text_refuses_line_breaks(text):
    assert message(parse_text, text, max_length=100) == "Use a single line: line breaks are not allowed here."


def test_single_line_text_refuses_tabs_and_multi_line_text_keeps_them():
    assert "U+0009" in message(parse_text, "a\tb", max_length=100)
    assert parse_text("a\tb\nc", max_length=100, multiline=True) == "a\tb\nc"


def test_multi_line_text_stores_line_breaks_as_lf_and_refuses_other_breaks():
    assert parse_text("one\r\ntwo\rthree\n", max_length=100, multiline=True) == "one\ntwo\nthree"
    assert "U+000B" in message(parse_text, "one\x0btwo", max_length=100, multiline=True)
    assert "U+2029" in message(parse_text, "one\u2029two", max_length=100, multiline=True)


def test_surrounding_whitespace_is_trimmed_not_refused():
    assert parse_text("  Acme \n", max_length=100) == "Acme"


def test_an_item_description_with_a_lone_surrogate_is_an_error_on_that_item():
    with pytest.raises(BillingValidationError) as excinfo:
        parse_items([{"description": "ok", "quantity": "1", "unit_price": "1"}, {**ITEM, "description": "x\ud800"}])
    assert excinfo.value.messages == {
        "items.1.description": ["Text may not contain an unpaired surrogate character (U+D800)."]
    }
    assert excinfo.value.billing_errors == {
        "items": [{}, {"description": ["Text may not contain an unpaired surrogate character (U+D800)."]}]
    }


def test_item_descriptions_may_have_several_lines():
    [item] = parse_items([{**ITEM, "description": "Design\r\n\tphase 2"}])
    assert item.description == "Design\n\tphase 2"


# --- currencies: only money a business can invoice in -----------------------------------------

NOT_MONEY = ["XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "DEM"]


@pytest.mark.parametrize("code", NOT_MONEY)
def test_codes_that_are_not_money_are_refused(code):
    text = message(parse_currency, code)
    assert text.startswith(f"{code} (") and "is not a currency a business can invoice in" in text


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "KWD", "BHD", "CHF", "GBP", "XAF", "XOF", "XCD", "XPF"])
def test_currencies_in_use_are_accepted(code):
    assert parse_currency(code.lower()) == code


# --- errors carry field paths ----------------------------------------------------------------


def test_item_errors_carry_paths_and_give_one_drf_entry_per_submitted_item():
    items = [dict(ITEM), dict(ITEM), dict(ITEM), {**ITEM, "quantity": "0"}, dict(ITEM)]
    with pytest.raises(BillingValidationError) as excinfo:
        parse_items(items)
    error = excinfo.value
    assert error.messages == {"items.3.quantity": ["Ensure this value is greater than 0."]}
    assert error.billing_errors == {"items": [{}, {}, {}, {"quantity": ["Ensure this value is greater than 0."]}, {}]}
    assert error.errors == error.billing_errors


def test_a_drf_shaped_dict_becomes_paths_and_back():
    shaped = {
        "customer": ["Invalid."],
        "items": [{}, {"non_field_errors": ["Expected an object."]}, {"quantity": ["A"], "unit_price": ["B"]}],
    }
    error = BillingValidationError(shaped)
    assert error.messages == {
        "customer": ["Invalid."],
        "items.1.non_field_errors": ["Expected an object."],
        "items.2.quantity": ["A"],
        "items.2.unit_price": ["B"],
    }
    assert error.sizes == {"items": 3}
    assert error.billing_errors == shaped


def test_paths_without_sizes_still_give_a_list_up_to_the_last_item():
    error = BillingValidationError({"items.2.quantity": ["A"], "amount": "B"})
    assert error.billing_errors == {"items": [{}, {}, {"quantity": ["A"]}], "amount": ["B"]}


def test_messages_about_a_list_win_over_its_entries_in_drf_shape():
    # DRF's shape cannot hold both; the paths keep both for the web form.
    error = BillingValidationError({"items": ["Too many."], "items.0.quantity": ["A"]})
    assert error.billing_errors == {"items": ["Too many."]}
    assert error.messages == {"items": ["Too many."], "items.0.quantity": ["A"]}
