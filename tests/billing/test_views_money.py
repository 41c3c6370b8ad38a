"""The ``money`` template filters the pages use to print amounts."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from billora.templatetags.formatting import money, money_number, percent


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "EUR", "€1,234.50"),
        (Decimal("1234.500"), "USD", "$1,234.50"),
        (Decimal("1500"), "JPY", "¥1,500"),
        (Decimal("1.25"), "KWD", "KWD1.250"),
        ("20.00", "EUR", "€20.00"),
        (Decimal("0"), "EUR", "€0.00"),
        (Decimal("-5"), "EUR", "-€5.00"),
    ],
)
def test_money_prints_exactly_the_currency_places(amount, currency, expected):
    # Babel may put a no-break space between a code and the number; the digits are what matter.
    assert money(amount, currency).replace("\xa0", "") == expected


def test_money_rounds_half_up_not_half_even():
    # Babel alone would print €0.00 and €0.02 (banker's rounding); the rules say half up.
    assert money(Decimal("0.005"), "EUR") == "€0.01"
    assert money(Decimal("0.025"), "EUR") == "€0.03"
    assert money(Decimal("2.5"), "JPY") == "¥3"


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        money(0.1, "EUR")


@pytest.mark.parametrize("value", [None, "", "abc", Decimal("NaN")])
def test_money_of_nothing_is_empty(value):
    assert money(value, "EUR") == ""


def test_unknown_currency_still_shows_the_number():
    assert money(Decimal("5"), "ZZZ") == "5 ZZZ"


def test_money_number_and_percent():
    assert money_number(Decimal("1234.5"), "EUR") == "1,234.50"
    assert money_number(Decimal("1234.5"), "JPY") == "1,235"
    assert percent(Decimal("20.000")) == "20"
    assert percent(Decimal("7.500")) == "7.5"
    assert percent(Decimal("1000.0000")) == "1000"


def test_filter_in_a_template():
    template = Template("{% load money %}{{ amount|money:currency }}")
    assert template.render(Context({"amount": Decimal("12.3"), "currency": "EUR"})) == "€12.30"
