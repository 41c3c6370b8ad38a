"""Dates, numbers and money as a reader of one language writes them, formatted by Babel.

The one place that turns values into text for people: the web's template filters
(``{% load money %}``), the PDF's print data renderer and the invoice email all ask
``formats_for(language)``. The web passes the active language (the browser's or the language
switcher's); documents pass the document's language. ``billing.calc`` rounds (half-up, to the
currency's minor unit: Babel alone would round half-even); Babel only writes the result:
``€1,466.34`` in English, ``1 466,34 €`` in French, ``1.466,34 €`` in German.
"""

import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, format_decimal, format_percent, get_decimal_symbol
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, to_locale

from billing.calc import currency_exponent, quantize_money

# Unit prices keep up to this many places when they have them (a price of 0.0125 per unit).
PRICE_PLACES = 4
QUANTITY_PATTERN = "#,##0.####"
AMOUNT_PATTERN = "#,##0.00##"
RATE_PLACES = 3


def as_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal; None for empty or malformed values (never a float:
    money must not have been a float anywhere)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("money values must be Decimal, not float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _places(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


class Formats:
    """Babel formatting for one language."""

    def __init__(self, language: str):
        self.language = language
        try:
            self.locale = Locale.parse(to_locale(language))
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse(to_locale(settings.LANGUAGE_CODE))

    def money(self, amount: Decimal, currency: str) -> str:
        """``€1,234.50`` / ``¥1,235`` / ``1.234,500 KWD``: exactly the currency's places."""
        try:
            amount = quantize_money(amount, currency)
        except ValueError:  # unknown currency: still show the number, with its code
            return f"{self.number(amount)} {currency}"
        return format_currency(amount, currency, locale=self.locale, currency_digits=True)

    def money_number(self, amount: Decimal, currency: str) -> str:
        """The amount without its symbol (for table cells under a currency heading)."""
        try:
            places = currency_exponent(currency)
            amount = quantize_money(amount, currency)
        except ValueError:
            return self.number(amount)
        return format_decimal(amount, format="#,##0" + ("." + "0" * places if places else ""), locale=self.locale)

    def price(self, amount: Decimal, currency: str) -> str:
        """A unit price: the currency's places, or more (up to 4) when the price has them."""
        try:
            places = currency_exponent(currency)
        except ValueError:
            return self.money(amount, currency)
        if _places(amount) <= places:
            return self.money(amount, currency)
        normalized = amount.normalize()
        return format_currency(normalized, currency, locale=self.locale, decimal_quantization=False)

    def amount(self, value: Decimal) -> str:
        """An amount whose currency is not at hand (a price in the activity log): two places at
        least, up to four (``88.40``, ``0.0125``; ``88,40`` in French)."""
        return format_decimal(value, format=AMOUNT_PATTERN, locale=self.locale, decimal_quantization=False)

    def number(self, value: Decimal) -> str:
        """A quantity: as many places as it has (up to 4), no trailing zeros."""
        return format_decimal(value.normalize(), format=QUANTITY_PATTERN, locale=self.locale)

    def percent(self, rate: Decimal) -> str:
        """A tax or discount rate given in percent (``7.5`` -> ``7.5%``, ``7,5 %`` in French)."""
        places = min(_places(rate), RATE_PLACES)
        pattern = "0" + ("." + "#" * places if places else "")
        # Babel multiplies by 100: give it the fraction, exactly.
        fraction = rate.normalize().scaleb(-2)
        percent_pattern = self.locale.percent_formats[None].pattern.replace("#,##0", pattern)
        return format_percent(fraction, format=percent_pattern, locale=self.locale, decimal_quantization=False)

    def rate_number(self, rate: Decimal) -> str:
        """A rate without its percent sign (``20.000`` -> ``20``, ``7.500`` -> ``7,5`` in French)."""
        return format_decimal(rate.normalize(), format="0.###", locale=self.locale)

    def input_number(self, value: Decimal) -> str:
        """A number as a person types it into a form: no grouping, no trailing zeros, the
        language's decimal mark (``12,5`` in French and German; the forms read either mark)."""
        return format(value.normalize(), "f").replace(".", get_decimal_symbol(self.locale))

    def date(self, value: datetime.date) -> str:
        """``Dec 1, 2026`` / ``1 déc. 2026`` / ``01.12.2026``."""
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return format_date(value, format="medium", locale=self.locale)

    def weekday_date(self, value: datetime.date) -> str:
        """A date with its day of the week: ``Mon, Feb 2, 2026`` / ``lun. 2 févr. 2026`` / ``Mo., 2. Feb. 2026``."""
        return format_skeleton("yMMMEd", value, locale=self.locale)

    def month(self, value: datetime.date, style: str = "medium") -> str:
        """A month: ``Mar 2026`` / ``mars 2026`` / ``März 2026`` (``long``: ``March 2026``;
        ``short``: the month alone, ``Mar``)."""
        if style == "short":
            return format_date(value, format="LLL", locale=self.locale)
        skeleton = "yMMMM" if style == "long" else "yMMM"
        return format_skeleton(skeleton, value, locale=self.locale)

    def datetime(self, value: datetime.datetime) -> str:
        """A moment in the server's time zone, to the minute: ``Dec 1, 2026, 1:05 PM``."""
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        pattern = str(self.locale.datetime_formats["medium"])
        time = format_time(value, format="short", locale=self.locale)
        return pattern.replace("{1}", format_date(value, format="medium", locale=self.locale)).replace("{0}", time)


@lru_cache(maxsize=16)
def _formats(language: str) -> Formats:
    return Formats(language)


def formats_for(language: str | None = None) -> Formats:
    """The formats of ``language``, or of the active language (the web request's)."""
    return _formats(language or get_language() or settings.LANGUAGE_CODE)
