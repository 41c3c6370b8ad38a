"""Input rules of billing-rules.md "Money", in one place.

Services call these on every write; forms and serializers may reuse them so a user sees the
same message everywhere. Every parser raises ``InvalidValue`` with a user-facing message;
``FieldErrors`` collects those per field into the DRF-shaped dict ``BillingValidationError``
carries. Nothing here rounds: a value with too many places is refused.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import is_currency

from billing.calc import currency_exponent
from billing.exceptions import BillingValidationError
from organizations.models import MAX_CURRENCY_PLACES, unsupported_currency_message

MAX_ITEMS = 500
MAX_DESCRIPTION_LENGTH = 2000
QUANTITY_MAX = Decimal("1000000000")
QUANTITY_PLACES = 4
UNIT_PRICE_MAX = Decimal("10000000000")
UNIT_PRICE_PLACES = 4
TAX_RATE_MAX = Decimal(100)
TAX_RATE_PLACES = 3
PERCENT_MAX = Decimal(100)
PERCENT_PLACES = 3
# Upper bound of an invoice's subtotal and total, in its currency (and so of any amount).
INVOICE_AMOUNT_MAX = Decimal("1000000000000")

FLOAT_MESSAGE = "Send amounts as decimal strings."
NUMBER_MESSAGE = "A valid number is required."
REQUIRED_MESSAGE = "This field is required."

# Plain decimal notation only: digits, an optional point, an optional sign. No exponent.
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_NUMBER_CHARS = 40


class InvalidValue(ValueError):  # noqa: N818 - it is a value, not an error, that is invalid
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def decimal_places(value: Decimal) -> int:
    """Significant decimal places: trailing zeros do not count ("10.500" has 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent)


def parse_decimal(
    value,
    *,
    places: int,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
    minimum_exclusive: bool = False,
    places_message: str | None = None,
) -> Decimal:
    """A Decimal from a decimal string, a Decimal or an int; floats and exponents refused."""
    if isinstance(value, bool):
        raise InvalidValue(NUMBER_MESSAGE)
    if isinstance(value, float):
        raise InvalidValue(FLOAT_MESSAGE)
    if value is None or value == "":
        raise InvalidValue(REQUIRED_MESSAGE)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValue("Enter a finite number (NaN and Infinity are not numbers).")
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_NUMBER_CHARS:
            raise InvalidValue(NUMBER_MESSAGE)
        if text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
            raise InvalidValue("Enter a finite number (NaN and Infinity are not numbers).")
        if not _PLAIN_DECIMAL.match(text):
            if re.match(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$", text):
                raise InvalidValue("Write the number without an exponent (e.g. 100000, not 1e5).")
            raise InvalidValue(NUMBER_MESSAGE)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern above already excludes this
            raise InvalidValue(NUMBER_MESSAGE) from None
    else:
        raise InvalidValue(NUMBER_MESSAGE)
    if decimal_places(number) > places:
        raise InvalidValue(places_message or f"Ensure that there are no more than {places} decimal places.")
    if minimum is not None:
        if minimum_exclusive and number <= minimum:
            raise InvalidValue(f"Ensure this value is greater than {minimum}.")
        if not minimum_exclusive and number < minimum:
            raise InvalidValue(f"Ensure this value is greater than or equal to {minimum}.")
    if maximum is not None and number > maximum:
        raise InvalidValue(f"Ensure this value is less than or equal to {maximum}.")
    return number


def parse_quantity(value) -> Decimal:
    return parse_decimal(
        value, places=QUANTITY_PLACES, minimum=Decimal(0), minimum_exclusive=True, maximum=QUANTITY_MAX
    )


def parse_unit_price(value) -> Decimal:
    return parse_decimal(value, places=UNIT_PRICE_PLACES, minimum=Decimal(0), maximum=UNIT_PRICE_MAX)


def parse_tax_rate(value) -> Decimal:
    return parse_decimal(value, places=TAX_RATE_PLACES, minimum=Decimal(0), maximum=TAX_RATE_MAX)


def parse_percent(value) -> Decimal:
    return parse_decimal(value, places=PERCENT_PLACES, minimum=Decimal(0), maximum=PERCENT_MAX)


def parse_money(value, currency: str, *, positive: bool = False) -> Decimal:
    """An amount in the currency's minor unit (EUR 2 places, JPY 0, KWD 3), never rounded."""
    places = currency_exponent(currency)
    if places:
        message = f"{currency} amounts have at most {places} decimal places."
    else:
        message = f"{currency} amounts have no decimal places."
    return parse_decimal(
        value,
        places=places,
        minimum=Decimal(0),
        minimum_exclusive=positive,
        maximum=INVOICE_AMOUNT_MAX,
        places_message=message,
    )


def parse_currency(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("Enter a three-letter ISO 4217 currency code.")
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or not is_currency(code):
        raise InvalidValue(f"“{value}” is not an ISO 4217 currency code.")
    places = currency_exponent(code)
    if places > MAX_CURRENCY_PLACES:
        raise InvalidValue(unsupported_currency_message(code, places))
    return code


def parse_date(value) -> date:
    if isinstance(value, datetime):
        raise InvalidValue("Enter a date (YYYY-MM-DD), not a date and time.")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None or value == "":
        raise InvalidValue(REQUIRED_MESSAGE)
    raise InvalidValue("Enter a valid date as YYYY-MM-DD.")


def parse_text(value, *, max_length: int, required: bool = False) -> str:
    """Text stripped of surrounding whitespace; NUL characters refused (PostgreSQL cannot store them)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidValue("Enter text.")
    text = value.strip()
    if "\x00" in text:
        raise InvalidValue("Text may not contain NUL characters.")
    if required and not text:
        raise InvalidValue(REQUIRED_MESSAGE if value == "" else "This field may not be blank.")
    if len(text) > max_length:
        raise InvalidValue(f"Ensure this field has no more than {max_length} characters.")
    return text


def parse_choice(value, choices) -> str:
    allowed = [str(choice) for choice in choices]
    if not isinstance(value, str) or value not in allowed:
        raise InvalidValue(f"“{value}” is not a valid choice; use one of: {', '.join(allowed)}.")
    return value


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
        return value.strip().lower() in {"true", "1"}
    raise InvalidValue("Must be a valid boolean.")


def parse_int(value, *, minimum: int, maximum: int) -> int:
    if isinstance(value, (bool, float)):
        raise InvalidValue("A valid integer is required.")
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise InvalidValue("A valid integer is required.")
    if value < minimum:
        raise InvalidValue(f"Ensure this value is greater than or equal to {minimum}.")
    if value > maximum:
        raise InvalidValue(f"Ensure this value is less than or equal to {maximum}.")
    return value


def object_pk(value) -> uuid.UUID | None:
    """A UUID from a model instance, a UUID, or a string; None for anything malformed."""
    if hasattr(value, "_meta"):
        value = value.pk
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


class FieldErrors:
    """Collects messages per field, then raises them all at once as a BillingValidationError."""

    def __init__(self):
        self.errors: dict = {}

    def add(self, field: str, message: str):
        self.errors.setdefault(field, []).append(message)

    def parse(self, field: str, parser, value, *args, **kwargs):
        """``parser(value, ...)``, or None with the message recorded under ``field``."""
        try:
            return parser(value, *args, **kwargs)
        except InvalidValue as exc:
            self.add(field, exc.message)
            return None

    def __contains__(self, field):
        return field in self.errors

    def __bool__(self):
        return bool(self.errors)

    def raise_if_any(self):
        if self.errors:
            raise BillingValidationError(self.errors)


def refuse_unknown_fields(data: dict, allowed) -> None:
    if not isinstance(data, dict):
        raise BillingValidationError({"non_field_errors": ["Expected an object of fields."]})
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BillingValidationError({field: ["Unknown field."] for field in unknown})


@dataclass(frozen=True)
class ItemInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


ITEM_FIELDS = ("description", "quantity", "unit_price", "tax_rate")


def parse_items(raw_items) -> list[ItemInput]:
    """The ``items`` list of an invoice; errors come back as ``{"items": [{}, {"quantity": [...]}]}``.

    Keys other than the four item fields (an ``id`` or ``line_total`` echoed back from a GET)
    are ignored: the list always replaces the invoice's items as a whole."""
    if not isinstance(raw_items, list | tuple):
        raise BillingValidationError({"items": ["Expected a list of items."]})
    if len(raw_items) > MAX_ITEMS:
        raise BillingValidationError({"items": [f"An invoice can have at most {MAX_ITEMS} items."]})
    parsed, item_errors = [], []
    for raw in raw_items:
        if not isinstance(raw, dict):
            item_errors.append({"non_field_errors": ["Expected an object with description, quantity, unit_price."]})
            continue
        errors = FieldErrors()
        description = errors.parse(
            "description", parse_text, raw.get("description"), max_length=MAX_DESCRIPTION_LENGTH, required=True
        )
        quantity = errors.parse("quantity", parse_quantity, raw.get("quantity"))
        unit_price = errors.parse("unit_price", parse_unit_price, raw.get("unit_price"))
        tax_rate = errors.parse("tax_rate", parse_tax_rate, raw.get("tax_rate", "0"))
        item_errors.append(errors.errors)
        if not errors:
            parsed.append(ItemInput(description, quantity, unit_price, tax_rate))
    if any(item_errors):
        raise BillingValidationError({"items": item_errors})
    return parsed


def check_invoice_amounts(*, subtotal: Decimal, total: Decimal, currency: str) -> None:
    """An invoice above 1,000,000,000,000 in its currency is refused (Money bounds)."""
    if subtotal > INVOICE_AMOUNT_MAX or total > INVOICE_AMOUNT_MAX:
        raise BillingValidationError(
            {"items": [f"An invoice's subtotal and total may not exceed 1,000,000,000,000 {currency}."]}
        )
