"""Postal addresses of the parties: the one rendering of a structured address as lines, and
the ISO 3166-1 countries with their names in a language.

The API's read-only ``address``/``billing_address``, the web pages and the PDF all render an
address with ``address_lines``, so an address reads the same everywhere.
"""

import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError

ADDRESS_FIELDS = ("address_line1", "address_line2", "postcode", "city", "country")
DEFAULT_LOCALE = "en"


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@lru_cache(maxsize=16)
def _territory_names(language: str) -> Mapping[str, str]:
    try:
        return Locale.parse(language.replace("-", "_")).territories
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE).territories


def country_name(code: str, language: str = DEFAULT_LOCALE) -> str:
    """The country's name in ``language`` (CLDR through Babel); the code if it has none."""
    if not code:
        return ""
    name = _territory_names(language or DEFAULT_LOCALE).get(code)
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


@lru_cache(maxsize=16)
def country_choices(language: str = DEFAULT_LOCALE) -> tuple[tuple[str, str], ...]:
    """``(code, name)`` of every ISO 3166-1 country, sorted by its name in ``language``."""
    names = [(code, country_name(code, language)) for code in country_codes()]
    return tuple(sorted(names, key=lambda pair: (_sort_key(pair[1]), pair[0])))


def _sort_key(name: str) -> str:
    # Accented initials sort with their letter ("Österreich" among the O's), not after Z.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def address_lines(values: Mapping, language: str = DEFAULT_LOCALE) -> list[str]:
    """The printed lines of an address: street lines, "postcode city", the country's name.

    ``values`` holds the ``ADDRESS_FIELDS`` (a party's snapshot or ``party_address(party)``).
    A snapshot taken before addresses were structured holds only the old free text under
    ``address`` or ``billing_address``: it is printed as it was."""
    if not any(values.get(field) for field in ADDRESS_FIELDS):
        legacy = values.get("address") or values.get("billing_address") or ""
        return [line for line in legacy.splitlines() if line.strip()]
    locality = " ".join(part for part in (values.get("postcode", ""), values.get("city", "")) if part)
    lines = [values.get("address_line1", ""), values.get("address_line2", ""), locality]
    lines.append(country_name(values.get("country", ""), language))
    return [line for line in lines if line]


def party_address(party) -> dict:
    """The structured address fields of a business or customer, as a dict."""
    return {field: getattr(party, field) for field in ADDRESS_FIELDS}


def render_address(values: Mapping, language: str = DEFAULT_LOCALE) -> str:
    """The address as multi-line text (LF between lines)."""
    return "\n".join(address_lines(values, language))
