"""``{% load formatting %}`` (or its older name ``{% load money %}``): amounts, rates,
quantities and dates in the active language.

``{{ amount|money:invoice.currency }}``, ``{{ item.unit_price|price:invoice.currency }}``,
``{{ item.quantity|quantity }}``, ``{{ row.rate|rate }}`` (with its percent sign),
``{{ invoice.issue_date|day }}``, ``{{ bar.month|month }}``, ``{{ invoice.sent_at|moment }}``. Every filter is a thin
wrapper over ``billora.formatting``, which the PDF and the email use too, so the web and the
documents write the same value the same way.
"""

from django import template

from billora.formatting import as_decimal, formats_for

register = template.Library()


def _amount(value):
    return as_decimal(value)


@register.filter
def money(value, currency):
    """``€1,234.50`` / ``1.234,50 €``: exactly the currency's places."""
    amount = _amount(value)
    return "" if amount is None else formats_for().money(amount, currency)


@register.filter
def money_number(value, currency):
    """The amount without its symbol (for table cells under a currency heading)."""
    amount = _amount(value)
    return "" if amount is None else formats_for().money_number(amount, currency)


@register.filter
def price(value, currency):
    """A unit price: the currency's places, more (up to 4) when it has them."""
    amount = _amount(value)
    return "" if amount is None else formats_for().price(amount, currency)


@register.filter
def quantity(value):
    """``1.5`` / ``1,5``: the places it has, no trailing zeros."""
    amount = _amount(value)
    return "" if amount is None else formats_for().number(amount)


@register.filter
def rate(value):
    """A rate in percent with its sign: ``7.5%`` / ``7,5 %``."""
    amount = _amount(value)
    return "" if amount is None else formats_for().percent(amount)


@register.filter
def percent(value):
    """A rate's number without its sign: ``20.000`` -> ``20``, ``7.500`` -> ``7.5`` (``7,5``)."""
    amount = _amount(value)
    return "" if amount is None else formats_for().rate_number(amount)


@register.filter
def day(value):
    """A date: ``Dec 1, 2026`` / ``1 déc. 2026`` / ``01.12.2026``."""
    return "" if not value else formats_for().date(value)


@register.filter
def weekday_day(value):
    """A date with its day of the week: ``Mon, Feb 2, 2026``."""
    return "" if not value else formats_for().weekday_date(value)


@register.filter
def month(value, style="medium"):
    """A month: ``Mar 2026``; ``|month:"long"``: ``March 2026``; ``|month:"short"``: ``Mar``."""
    return "" if not value else formats_for().month(value, style)


@register.filter
def moment(value):
    """A date and time to the minute, in the server's time zone."""
    return "" if not value else formats_for().datetime(value)
