"""``billora.formatting``: dates, numbers and money in the reader's language, by Babel."""

import datetime
from decimal import Decimal as D  # noqa: N817 - short in the tables below

import pytest
from django.template import Context, Template
from django.utils import translation

from billing.forms import decimal_from_input
from billora.formatting import formats_for

NBSP = "\xa0"
NNBSP = "\u202f"


def plain(text):
    """Babel separates with no-break spaces (French groups with a narrow one): compare as spaces."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "€1,466.34"), ("fr", "1 466,34 €"), ("de", "1.466,34 €")],
)
def test_money_in_each_language(language, expected):
    assert plain(formats_for(language).money(D("1466.34"), "EUR")) == expected


def test_money_rounds_half_up_to_the_currency_places_in_every_language():
    assert formats_for("de").money(D("0.005"), "EUR") == f"0,01{NBSP}€"
    assert plain(formats_for("fr").money(D("1234.5"), "JPY")) == "1 235 JPY"
    assert formats_for("de").money(D("1.25"), "KWD") == f"1,250{NBSP}KWD"


@pytest.mark.parametrize(
    ("language", "price", "quantity", "rate", "date"),
    [
        ("en", "€88.40", "1,234.5", "7.5%", "Dec 1, 2026"),
        ("fr", "88,40 €", "1 234,5", "7,5 %", "1 déc. 2026"),
        ("de", "88,40 €", "1.234,5", "7,5 %", "01.12.2026"),
    ],
)
def test_prices_quantities_rates_and_dates(language, price, quantity, rate, date):
    formats = formats_for(language)
    assert plain(formats.price(D("88.4000"), "EUR")) == price
    assert plain(formats.number(D("1234.5000"))) == quantity
    assert plain(formats.percent(D("7.500"))) == rate
    assert formats.date(datetime.date(2026, 12, 1)) == date


def test_a_unit_price_keeps_its_extra_places():
    assert plain(formats_for("de").price(D("0.0125"), "EUR")) == "0,0125 €"


def test_the_web_filters_follow_the_active_language():
    template = Template(
        "{% load money %}{{ a|money:'EUR' }}|{{ p|price:'EUR' }}|{{ r|rate }}|{{ d|day }}|{{ q|quantity }}"
    )
    context = Context({"a": D("966.34"), "p": D("88.4"), "r": D("20.000"), "d": datetime.date(2026, 3, 9), "q": D("2")})
    with translation.override("de"):
        assert plain(template.render(context)) == "966,34 €|88,40 €|20 %|09.03.2026|2"
    with translation.override("en"):
        assert template.render(context) == "€966.34|€88.40|20%|Mar 9, 2026|2"


@pytest.mark.parametrize(("language", "expected"), [("en", "12.5"), ("fr", "12,5"), ("de", "12,5")])
def test_numbers_for_inputs_use_the_language_decimal_mark_and_read_back(language, expected):
    typed = formats_for(language).input_number(D("12.5000"))
    assert typed == expected
    assert decimal_from_input(typed) == "12.5"


@pytest.mark.parametrize(("typed", "read"), [("1,5", "1.5"), (" 1.5 ", "1.5"), ("80", "80"), ("1.000,5", "1.000,5")])
def test_a_decimal_comma_is_read_as_a_point_and_anything_else_left_for_the_service(typed, read):
    assert decimal_from_input(typed) == read


@pytest.mark.parametrize(
    ("language", "medium", "long", "short"),
    [
        ("en", "Mar 2026", "March 2026", "Mar"),
        ("fr", "mars 2026", "mars 2026", "mars"),
        ("de", "März 2026", "März 2026", "Mär"),
    ],
)
def test_months_of_the_dashboard_chart(language, medium, long, short):
    formats = formats_for(language)
    month = datetime.date(2026, 3, 1)
    assert (formats.month(month), formats.month(month, "long"), formats.month(month, "short")) == (medium, long, short)
