"""``{% load money %}`` then ``{{ amount|money:invoice.currency }}``.

Amounts are rounded half-up to the currency's minor unit by ``billing.calc`` (Babel alone
would round half-even) and formatted by Babel for the active language.
"""

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.translation import get_language, to_locale

from billing.calc import currency_exponent, quantize_money

register = template.Library()


def _locale():
    return to_locale(get_language() or "en-us")


def _to_decimal(value):
    if value is None or value == "":
        return None
    if isinstance(value, float):  # never money; refuse rather than print a rounded float
        raise TypeError("money values must be Decimal, not float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@register.filter
def money(value, currency):
    """``€1,234.50`` / ``¥1,235`` / ``KWD 1.250``: exactly the currency's places."""
    amount = _to_decimal(value)
    if amount is None:
        return ""
    try:
        amount = quantize_money(amount, currency)
    except ValueError:  # unknown currency: still show the number, with its code
        return f"{amount} {currency}"
    return format_currency(amount, currency, locale=_locale(), currency_digits=True)


@register.filter
def money_number(value, currency):
    """The amount without its symbol (for table cells under a currency heading)."""
    amount = _to_decimal(value)
    if amount is None:
        return ""
    try:
        places = currency_exponent(currency)
        amount = quantize_money(amount, currency)
    except ValueError:
        return str(amount)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(amount, format=pattern, locale=_locale())


@register.filter
def percent(value):
    """A tax or discount rate without trailing zeros: ``20.000`` -> ``20``, ``7.500`` -> ``7.5``."""
    amount = _to_decimal(value)
    if amount is None:
        return ""
    text = format(amount.normalize(), "f")
    return text
