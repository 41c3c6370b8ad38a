"""Rules for what people type that every app shares: text fields and currency codes.

organizations is the lowest app, so the rules live here and ``billing.validation`` builds its
parsers on them; of Django, only gettext: each function returns the message that explains what
is wrong, or None, in the active language.
"""

import re
from datetime import date
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_name, get_currency_precision, get_territory_currencies, is_currency
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

# Amounts are stored with 3 decimal places, enough for every currency in use except the
# units of account CLF and UYW (4 places), which are refused rather than rounded.
MAX_CURRENCY_PLACES = 3

# No text field takes C0 or C1 control characters (NUL among them: PostgreSQL cannot store
# it), lone UTF-16 surrogates (no encoding can store them) or the Unicode line and paragraph
# separators. Multi-line fields keep "\t" and "\n". A line break in a single-line field (a
# name, a subject) would end up in email headers and break every email that prints it.
_REFUSED_IN_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_REFUSED_IN_MULTI_LINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() breaks on


def normalize_line_breaks(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; multi-line text is stored with LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_problem(text: str, *, multiline: bool) -> str | None:
    """Why ``text`` cannot be stored in a single-line (or multi-line) field, or None."""
    pattern = _REFUSED_IN_MULTI_LINE if multiline else _REFUSED_IN_SINGLE_LINE
    found = pattern.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return _("Text may not contain NUL characters.")
    if "\ud800" <= char <= "\udfff":
        return _("Text may not contain an unpaired surrogate character (U+%(code)s).") % {"code": f"{ord(char):04X}"}
    if not multiline and char in _LINE_BREAKS:
        return _("Use a single line: line breaks are not allowed here.")
    if char in "\u2028\u2029":
        return _("Use ordinary line breaks, not the Unicode separator U+%(code)s.") % {"code": f"{ord(char):04X}"}
    return _("Text may not contain control characters (U+%(code)s).") % {"code": f"{ord(char):04X}"}


def unsupported_currency_message(code: str, places: int) -> str:
    words = {"code": code, "places": places, "kept": MAX_CURRENCY_PLACES}
    return _("%(code)s has %(places)s decimal places; Billora keeps amounts to %(kept)s.") % words


@cache
def invoiceable_currencies() -> frozenset[str]:
    """The currencies that are legal tender in some country today (CLDR's data, through Babel).

    That leaves out what is not money a business can invoice in: "no currency" and testing
    codes (XXX, XTS), precious metals (XAU, XAG, XPT, XPD), units of account and funds (XDR,
    XSU, XUA, XBA to XBD, CLF, BOV), and currencies no longer in use (DEM). Read once per
    process: a currency that is retired while a process runs is refused after its restart."""
    today = date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, start_date=today, tender=True)
    )


def currency_problem(code: str) -> str | None:
    """Why ``code`` (upper case) is not a currency Billora invoices in, or None."""
    if not re.fullmatch(r"[A-Z]{3}", code) or not is_currency(code):
        return _("“%(code)s” is not an ISO 4217 currency code.") % {"code": code}
    places = get_currency_precision(code)
    if places > MAX_CURRENCY_PLACES:
        return unsupported_currency_message(code, places)
    if code not in invoiceable_currencies():
        name = get_currency_name(code, locale=to_locale(get_language() or "en"))
        return _(
            "%(code)s (%(name)s) is not a currency a business can invoice in; use one in use today, such as EUR or USD."
        ) % {"code": code, "name": name}
    return None
