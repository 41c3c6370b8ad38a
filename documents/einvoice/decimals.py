"""How numbers are written in the XML: exact, deterministic, never silently rounded.

EN 16931 allows at most two decimals for document amounts (BR-DEC-*). An amount is written
with min(currency places, 2) decimals (EUR "12.50", JPY "1500", KWD "2.47") only when that
is its exact value; a KWD or BHD amount that needs its third decimal cannot be represented,
which `requirements` reports before anything is written. Prices, quantities and rates have no
such limit and are written in plain notation with their significant digits.
"""

from decimal import Decimal

from babel.numbers import get_currency_precision

MAX_AMOUNT_PLACES = 2


def amount_places(currency: str) -> int:
    return min(get_currency_precision(currency), MAX_AMOUNT_PLACES)


def amount_fits(amount: Decimal, currency: str) -> bool:
    """True when the amount has no digit below EN 16931's (and the currency's) last decimal."""
    return amount == amount.quantize(Decimal(1).scaleb(-amount_places(currency)))


def amount_text(amount: Decimal, currency: str) -> str:
    if not amount_fits(amount, currency):
        raise ValueError(f"{amount} {currency} needs more than {amount_places(currency)} decimals")
    return format(amount.quantize(Decimal(1).scaleb(-amount_places(currency))), "f")


def number_text(value: Decimal) -> str:
    """A quantity, price or rate: "2.5", "19", "0.1234"; never an exponent ("1E+2")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text
