"""Every input rule of billing-rules.md, and every bound of what billing stores, in one place.

The services parse their arguments with these functions, whoever calls them (API, web forms,
admin, commands); forms and serializers only translate what arrives into the services'
arguments and show the errors that come back. Every parser raises ``InvalidValue`` with a
user-facing message; ``FieldErrors`` collects them by field path (``"items.3.quantity"``) into
one ``BillingValidationError``. Nothing here rounds: a value with too many places is refused.
"""

import re
import string
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from PIL import Image
from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
    SchwiftyException,
)
from stdnum import exceptions as stdnum_exceptions
from stdnum.ch import vat as stdnum_ch_vat
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.gb import vat as stdnum_gb_vat
from stdnum.no import mva as stdnum_no_mva

from billing import vat
from billing.addresses import country_codes
from billing.calc import VAT_CATEGORIES, VAT_STANDARD, VAT_ZERO_RATED, RowAmounts, TaxRow, currency_exponent
from billing.exceptions import BillingValidationError
from billing.models import DOCUMENT_LANGUAGES
from billing.numbering import MAX_NUMBER_LENGTH, TOKENS, format_number
from organizations.validation import currency_problem, normalize_line_breaks, text_problem

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
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = ("PNG", "JPEG")

# Messages are translated when raised (InvalidValue, FieldErrors and BillingValidationError
# keep them as text): they follow the active language, English unless the request asked for another.
FLOAT_MESSAGE = gettext_lazy("Send amounts as decimal strings.")
NUMBER_MESSAGE = gettext_lazy("A valid number is required: use the digits 0-9 and at most one decimal point.")
REQUIRED_MESSAGE = gettext_lazy("This field is required.")

# The one syntax of a number: ASCII digits with at most one decimal point. No sign, no
# spaces, no other digits (Python's Decimal() would take " +１２ "), no exponent.
_PLAIN_DECIMAL = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_MAX_NUMBER_CHARS = 40


class InvalidValue(ValueError):  # noqa: N818 - it is a value, not an error, that is invalid
    def __init__(self, message: str):
        message = str(message)  # a lazy message in the active language, now
        super().__init__(message)
        self.message = message


# --- numbers --------------------------------------------------------------------------------


def decimal_places(value: Decimal) -> int:
    """Significant decimal places: trailing zeros do not count ("10.500" has 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent)


def parse_decimal(
    value,
    *,
    places: int,
    minimum: Decimal = Decimal(0),
    maximum: Decimal | None = None,
    minimum_exclusive: bool = False,
    places_message: str | None = None,
) -> Decimal:
    """A Decimal from a decimal string, a Decimal or an int; floats and exponents refused."""
    number = _number(value, minimum=minimum, minimum_exclusive=minimum_exclusive)
    if decimal_places(number) > places:
        raise InvalidValue(
            places_message or _("Ensure that there are no more than %(places)s decimal places.") % {"places": places}
        )
    if (minimum_exclusive and number <= minimum) or number < minimum:
        raise InvalidValue(_minimum_message(minimum, minimum_exclusive))
    if maximum is not None and number > maximum:
        raise InvalidValue(_("Ensure this value is less than or equal to %(maximum)s.") % {"maximum": maximum})
    return number


def _number(value, *, minimum: Decimal, minimum_exclusive: bool) -> Decimal:
    if isinstance(value, bool):
        raise InvalidValue(NUMBER_MESSAGE)
    if isinstance(value, float):
        raise InvalidValue(FLOAT_MESSAGE)
    if value is None or value == "":
        raise InvalidValue(REQUIRED_MESSAGE)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidValue(_("Enter a finite number (NaN and Infinity are not numbers)."))
        return value
    if not isinstance(value, str) or len(value) > _MAX_NUMBER_CHARS:
        raise InvalidValue(NUMBER_MESSAGE)
    if _PLAIN_DECIMAL.fullmatch(value):
        return Decimal(value)
    if value.startswith("-") and _PLAIN_DECIMAL.fullmatch(value[1:]):
        # Never valid (no bound goes below zero), but the bound is the clearer message.
        raise InvalidValue(_minimum_message(minimum, minimum_exclusive))
    if value.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
        raise InvalidValue(_("Enter a finite number (NaN and Infinity are not numbers)."))
    if _EXPONENT.fullmatch(value):
        raise InvalidValue(_("Write the number without an exponent (e.g. 100000, not 1e5)."))
    raise InvalidValue(NUMBER_MESSAGE)


def _minimum_message(minimum: Decimal, exclusive: bool) -> str:
    if exclusive:
        return _("Ensure this value is greater than %(minimum)s.") % {"minimum": minimum}
    return _("Ensure this value is greater than or equal to %(minimum)s.") % {"minimum": minimum}


def parse_quantity(value) -> Decimal:
    return parse_decimal(value, places=QUANTITY_PLACES, minimum_exclusive=True, maximum=QUANTITY_MAX)


def parse_unit_price(value) -> Decimal:
    return parse_decimal(value, places=UNIT_PRICE_PLACES, maximum=UNIT_PRICE_MAX)


def parse_tax_rate(value) -> Decimal:
    return parse_decimal(value, places=TAX_RATE_PLACES, maximum=TAX_RATE_MAX)


def parse_percent(value) -> Decimal:
    return parse_decimal(value, places=PERCENT_PLACES, maximum=PERCENT_MAX)


def parse_money(value, currency: str, *, positive: bool = False) -> Decimal:
    """An amount in the currency's minor unit (EUR 2 places, JPY 0, KWD 3), never rounded."""
    places = currency_exponent(currency)
    if places:
        message = f"{currency} amounts have at most {places} decimal places."
    else:
        message = f"{currency} amounts have no decimal places."
    return parse_decimal(
        value, places=places, minimum_exclusive=positive, maximum=INVOICE_AMOUNT_MAX, places_message=message
    )


@dataclass(frozen=True)
class Integer:
    """A whole number from ``minimum`` to ``maximum``, as an int or ASCII digits."""

    minimum: int
    maximum: int

    def __call__(self, value) -> int:
        return parse_int(value, minimum=self.minimum, maximum=self.maximum)


def parse_int(value, *, minimum: int, maximum: int) -> int:
    if value is None or value == "":
        raise InvalidValue(REQUIRED_MESSAGE)
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(_("A valid integer is required."))
    if value < minimum:
        raise InvalidValue(_("Ensure this value is greater than or equal to %(minimum)s.") % {"minimum": minimum})
    if value > maximum:
        raise InvalidValue(_("Ensure this value is less than or equal to %(maximum)s.") % {"maximum": maximum})
    return value


# --- codes, dates, choices ------------------------------------------------------------------


def parse_currency(value) -> str:
    """An ISO 4217 code a business can invoice in ("eur" is EUR); see ``currency_problem``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(_("Enter a three-letter ISO 4217 currency code."))
    code = value.strip().upper()
    problem = currency_problem(code)
    if problem:
        raise InvalidValue(problem)
    return code


def parse_date(value) -> date:
    if isinstance(value, datetime):
        raise InvalidValue(_("Enter a date (YYYY-MM-DD), not a date and time."))
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if value is None or value == "":
        raise InvalidValue(REQUIRED_MESSAGE)
    raise InvalidValue(_("Enter a valid date as YYYY-MM-DD."))


# A statement covers this year, or the last 90 days while the year is younger than that.
STATEMENT_DEFAULT_DAYS = 90


def default_statement_period(today: date) -> tuple[date, date]:
    return min(date(today.year, 1, 1), today - timedelta(days=STATEMENT_DEFAULT_DAYS)), today


def parse_statement_period(start, end, *, today: date) -> tuple[date, date]:
    """A statement's period from ``start`` and ``end`` (``YYYY-MM-DD``; either left out takes
    the default period's), errors on the field; an end before the start is an error on ``end``."""
    default_start, default_end = default_statement_period(today)
    errors = FieldErrors()
    start = default_start if start in (None, "") else errors.parse("start", parse_date, start)
    end = default_end if end in (None, "") else errors.parse("end", parse_date, end)
    if start is not None and end is not None and end < start:
        errors.add("end", _("The end of the period cannot be before its start."))
    errors.raise_if_any()
    return start, end


def parse_choice(value, choices) -> str:
    allowed = [str(choice) for choice in choices]
    if not isinstance(value, str) or value not in allowed:
        words = {"value": value, "choices": ", ".join(allowed)}
        raise InvalidValue(_("“%(value)s” is not a valid choice; use one of: %(choices)s.") % words)
    return value


def parse_vat_category(value) -> str:
    """A UNCL 5305 code: S, Z, E, AE, K, G or O (BT-151)."""
    if not isinstance(value, str) or value.strip().upper() not in VAT_CATEGORIES:
        raise InvalidValue(_("Choose a VAT category: one of %(codes)s.") % {"codes": ", ".join(VAT_CATEGORIES)})
    return value.strip().upper()


EINVOICE_FORMATS = ("pdf", "facturx", "xrechnung", "peppol")


def parse_einvoice_format(value) -> str:
    """What the invoice email attaches for a customer: pdf, facturx, xrechnung or peppol."""
    if not isinstance(value, str) or value.strip().lower() not in EINVOICE_FORMATS:
        raise InvalidValue(f"Choose one of {', '.join(EINVOICE_FORMATS)}.")
    return value.strip().lower()


EXEMPTION_REASON_TEXT_MAX = 500
EXEMPTION_REASON_FIELDS = ("text", "code")


def parse_exemption_reasons(value) -> dict:
    """``{"E": {"text": "...", "code": "VATEX-..."}, ...}``: the reason (BT-120) and optional VATEX
    code (BT-121) per exempt category. An entry with neither is dropped; a code needs a text.
    Errors are raised together, by path below the field (``AE.code``)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(_('Expected an object with one entry per VAT category, e.g. {"E": {"text": "..."}}.'))
    errors = FieldErrors()
    reasons = {}
    for category, entry in value.items():
        if category in (VAT_STANDARD, VAT_ZERO_RATED):
            errors.add(str(category), _("Standard-rated and zero-rated lines carry no exemption reason."))
        elif category not in vat.EXEMPTION_REASON_CATEGORIES:
            codes = ", ".join(vat.EXEMPTION_REASON_CATEGORIES)
            errors.add(str(category), _("Use one of the VAT categories %(codes)s.") % {"codes": codes})
        else:
            reason = _parse_exemption_reason(category, entry, errors)
            if reason:
                reasons[category] = reason
    errors.raise_if_any()
    return {category: reasons[category] for category in vat.EXEMPTION_REASON_CATEGORIES if category in reasons}


def _parse_exemption_reason(category: str, entry, errors: "FieldErrors") -> dict | None:
    if not isinstance(entry, dict):
        errors.add(category, _("Expected an object with “text” and “code”."))
        return None
    for key in sorted(set(entry) - set(EXEMPTION_REASON_FIELDS)):
        errors.add(f"{category}.{key}", _("Unknown field."))
    text = errors.parse(f"{category}.text", Text(EXEMPTION_REASON_TEXT_MAX), entry.get("text"))
    code = errors.parse(f"{category}.code", Text(30), entry.get("code"))
    if text is None or code is None:
        return None
    code = code.upper()
    if code:
        problem = vat.code_problem(category, code)
        if problem:
            errors.add(f"{category}.code", problem)
        if not text:
            errors.add(f"{category}.text", _("Write the reason as text too: the code alone means nothing to a reader."))
    return {"text": text, "code": code} if text or code else None


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
        return value.strip().lower() in {"true", "1"}
    raise InvalidValue(_("Must be a valid boolean."))


def object_pk(value) -> uuid.UUID | None:
    """A UUID from a UUID or a string (or a model instance's pk); None for anything malformed."""
    if hasattr(value, "_meta"):
        value = value.pk
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# --- text -----------------------------------------------------------------------------------


def parse_text(value, *, max_length: int, required: bool = False, multiline: bool = False) -> str:
    """Text stripped of surrounding whitespace, without control characters or surrogates;
    ``multiline`` text keeps tabs and line breaks (stored as LF)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidValue(_("Enter text."))
    text = value.strip()
    if multiline:
        text = normalize_line_breaks(text)
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise InvalidValue(problem)
    if required and not text:
        raise InvalidValue(REQUIRED_MESSAGE if value == "" else _("This field may not be blank."))
    if len(text) > max_length:
        raise InvalidValue(
            _("Ensure this field has no more than %(max_length)s characters.") % {"max_length": max_length}
        )
    return text


@dataclass(frozen=True)
class Text:
    """A text field's rule. ``placeholders``: a template whose braces may only hold names
    such as ``{number}``."""

    max_length: int
    multiline: bool = False
    required: bool = False
    placeholders: bool = False

    def __call__(self, value) -> str:
        text = parse_text(value, max_length=self.max_length, required=self.required, multiline=self.multiline)
        if self.placeholders and not _is_format_string(text):
            raise InvalidValue(_("Use braces only around placeholders such as {number}."))
        return text


def _is_format_string(text: str) -> bool:
    try:
        list(string.Formatter().parse(text))
    except ValueError:
        return False
    return True


def parse_email(value) -> str:
    text = parse_text(value, max_length=254)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise InvalidValue(_("Enter a valid email address.")) from None
    return text


def parse_logo(value):
    """An uploaded PNG or JPEG image up to 1 MB, or empty to remove the logo. Pillow reads
    the file: its name and the browser's content type say nothing about what it holds."""
    if value in (None, "", False):
        return ""
    if not hasattr(value, "read") or not hasattr(value, "size"):
        raise InvalidValue(_("Upload an image file."))
    if value.size > LOGO_MAX_BYTES:
        raise InvalidValue(_("The logo may be at most %(megabytes)s MB.") % {"megabytes": LOGO_MAX_BYTES // 2**20})
    value.seek(0)
    try:
        with Image.open(value) as image:
            image_format = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds of errors for a file that is not an image
        image_format = None
    value.seek(0)
    if image_format not in LOGO_FORMATS:
        raise InvalidValue(_("Upload a PNG or JPEG image."))
    return value


# --- parties -------------------------------------------------------------------------------


def parse_country(value) -> str:
    """An ISO 3166-1 alpha-2 country code ("fr" is FR), or blank."""
    text = parse_text(value, max_length=100).upper()
    if text and text not in country_codes():
        raise InvalidValue(_("Enter a two-letter ISO 3166-1 country code, like FR or DE."))
    return text


def parse_language(value) -> str:
    """One of the languages documents are written in."""
    text = parse_text(value, max_length=20).lower()
    if text not in DOCUMENT_LANGUAGES:
        raise InvalidValue(
            _("Choose a document language: one of %(codes)s.") % {"codes": ", ".join(DOCUMENT_LANGUAGES)}
        )
    return text


def parse_customer_language(value) -> str:
    """A document language, or blank for the business's."""
    if value in (None, ""):
        return ""
    return parse_language(value)


# VAT numbers (BT-31, BT-48) python-stdnum can check offline, by prefix: how a message names
# the country, and a valid number to show as the example. Greece's prefix is EL (GR is taken).
VAT_ID_COUNTRIES = {
    "AT": (pgettext_lazy("VAT number of", "Austrian"), "ATU13585627"),
    "BE": (pgettext_lazy("VAT number of", "Belgian"), "BE0428759497"),
    "BG": (pgettext_lazy("VAT number of", "Bulgarian"), "BG175074752"),
    "CY": (pgettext_lazy("VAT number of", "Cypriot"), "CY10259033P"),
    "CZ": (pgettext_lazy("VAT number of", "Czech"), "CZ25123891"),
    "DE": (pgettext_lazy("VAT number of", "German"), "DE136695976"),
    "DK": (pgettext_lazy("VAT number of", "Danish"), "DK13585628"),
    "EE": (pgettext_lazy("VAT number of", "Estonian"), "EE100594102"),
    "EL": (pgettext_lazy("VAT number of", "Greek"), "EL094259216"),
    "ES": (pgettext_lazy("VAT number of", "Spanish"), "ESB64717838"),
    "FI": (pgettext_lazy("VAT number of", "Finnish"), "FI20774740"),
    "FR": (pgettext_lazy("VAT number of", "French"), "FR40303265045"),
    "HR": (pgettext_lazy("VAT number of", "Croatian"), "HR33392005961"),
    "HU": (pgettext_lazy("VAT number of", "Hungarian"), "HU12892312"),
    "IE": (pgettext_lazy("VAT number of", "Irish"), "IE6433435F"),
    "IT": (pgettext_lazy("VAT number of", "Italian"), "IT00743110157"),
    "LT": (pgettext_lazy("VAT number of", "Lithuanian"), "LT119511515"),
    "LU": (pgettext_lazy("VAT number of", "Luxembourg"), "LU15027442"),
    "LV": (pgettext_lazy("VAT number of", "Latvian"), "LV40003521600"),
    "MT": (pgettext_lazy("VAT number of", "Maltese"), "MT11679112"),
    "NL": (pgettext_lazy("VAT number of", "Dutch"), "NL004495445B01"),
    "PL": (pgettext_lazy("VAT number of", "Polish"), "PL8567346215"),
    "PT": (pgettext_lazy("VAT number of", "Portuguese"), "PT501964843"),
    "RO": (pgettext_lazy("VAT number of", "Romanian"), "RO18547290"),
    "SE": (pgettext_lazy("VAT number of", "Swedish"), "SE123456789701"),
    "SI": (pgettext_lazy("VAT number of", "Slovenian"), "SI50223054"),
    "SK": (pgettext_lazy("VAT number of", "Slovak"), "SK2022749619"),
    "XI": (pgettext_lazy("VAT number of", "Northern Irish"), "XI980780684"),
    "GB": (pgettext_lazy("VAT number of", "British"), "GB980780684"),
    "CH": (pgettext_lazy("VAT number of", "Swiss"), "CHE107787577IVA"),
    "NO": (pgettext_lazy("VAT number of", "Norwegian"), "NO995525828MVA"),
}
_NON_EU_VAT = {"GB": stdnum_gb_vat, "CH": stdnum_ch_vat, "NO": stdnum_no_mva}
_VAT_PROBLEMS = {
    stdnum_exceptions.InvalidChecksum: gettext_lazy("its check digits do not match: look for a typo"),
    stdnum_exceptions.InvalidLength: gettext_lazy("it has too few or too many characters"),
    stdnum_exceptions.InvalidFormat: gettext_lazy("it has characters such a number never has"),
    stdnum_exceptions.InvalidComponent: gettext_lazy("part of it cannot be right"),
}
_IBAN_PROBLEMS = {
    InvalidChecksumDigits: gettext_lazy("its check digits do not match: look for a typo"),
    InvalidCountryCode: gettext_lazy("it starts with the code of its country, such as DE"),
    InvalidLength: gettext_lazy("it has too few or too many characters for its country"),
    InvalidStructure: gettext_lazy("it has characters an IBAN of its country never has"),
}
_PEPPOL_ID = re.compile(r"([0-9]{4}):([^\s:]{1,96})")


def parse_vat_id(value) -> str:
    """A VAT number with its country prefix, checked offline (format and check digits, never
    a network call) and stored compact and upper case: "fr 40 303 265 045" is FR40303265045."""
    text = parse_text(value, max_length=40)
    if not text:
        return ""
    compact = re.sub(r"[\s.\-/]", "", text).upper()
    if compact.startswith("GR"):
        compact = "EL" + compact[2:]
    prefix = compact[:2]
    if prefix not in VAT_ID_COUNTRIES:
        if not prefix.isalpha():
            raise InvalidValue(_("Enter the VAT number with its country prefix, like FR40303265045."))
        raise InvalidValue(
            _("Billora checks VAT numbers of the EU, GB, CH and NO; enter other tax numbers as the local tax number.")
        )
    adjective, example = VAT_ID_COUNTRIES[prefix]
    try:
        number = _validated_vat_number(prefix, compact)
    except stdnum_exceptions.ValidationError as exc:
        problem = next((text for kind, text in _VAT_PROBLEMS.items() if isinstance(exc, kind)), "")
        raise InvalidValue(_vat_id_message(adjective, example, problem)) from None
    return number


def _vat_id_message(adjective, example: str, problem) -> str:
    words = {"country": adjective, "example": example, "problem": problem}
    starts_with_vowel = str(adjective)[:1] in "AEIOU"  # English needs "an"; other languages ignore it
    if problem and starts_with_vowel:
        return _("Enter an %(country)s VAT number like %(example)s (%(problem)s).") % words
    if problem:
        return _("Enter a %(country)s VAT number like %(example)s (%(problem)s).") % words
    if starts_with_vowel:
        return _("Enter an %(country)s VAT number like %(example)s.") % words
    return _("Enter a %(country)s VAT number like %(example)s.") % words


def _validated_vat_number(prefix: str, compact: str) -> str:
    module = _NON_EU_VAT.get(prefix)
    if module is None:  # EU member states and XI (Northern Ireland)
        return stdnum_eu_vat.validate(compact)
    if prefix == "CH":
        return module.validate(compact)  # CHE123456789MWST: the prefix is part of the number
    return prefix + module.validate(compact)


def parse_iban(value) -> str:
    """An IBAN (checked by schwifty: country, length, structure, check digits), stored compact."""
    text = parse_text(value, max_length=50)
    if not text:
        return ""
    try:
        return IBAN(text).compact
    except SchwiftyException as exc:
        problem = next((text for kind, text in _IBAN_PROBLEMS.items() if isinstance(exc, kind)), "")
        if problem:
            raise InvalidValue(
                _("Enter an IBAN like DE89 3704 0044 0532 0130 00 (%(problem)s).") % {"problem": problem}
            ) from None
        raise InvalidValue(_("Enter an IBAN like DE89 3704 0044 0532 0130 00.")) from None


def parse_bic(value) -> str:
    """A BIC (SWIFT code) of 8 or 11 characters, checked by schwifty, stored compact."""
    text = parse_text(value, max_length=20)
    if not text:
        return ""
    try:
        return BIC(text).compact
    except SchwiftyException:
        raise InvalidValue(_("Enter a BIC of 8 or 11 letters and digits, like COBADEFFXXX.")) from None


def parse_peppol_id(value) -> str:
    """A Peppol participant id as ``scheme:id``: the 4-digit ICD/EAS scheme code, then the id."""
    text = parse_text(value, max_length=100)
    if text and not _PEPPOL_ID.fullmatch(text):
        raise InvalidValue(
            _("Enter a Peppol ID as scheme:id, like 0208:0123456789 (a 4-digit scheme, a colon, the id).")
        )
    return text


BUSINESS_COUNTRY_MESSAGE = gettext_lazy(
    "Choose the business's country (an ISO 3166-1 code such as FR); every invoice shows it."
)
CUSTOMER_COUNTRY_MESSAGE = gettext_lazy(
    "Add the customer's country before issuing: an invoice shows the buyer's full address."
)
CUSTOMER_COUNTRY_KEPT_MESSAGE = gettext_lazy("This customer has issued invoices, which need its country: choose one.")


def check_parties_for_issue(*, business, customer) -> None:
    """What an invoice needs of its parties before it is issued: both countries (BT-40, BT-55).
    A business made before addresses were structured, or a customer, may still lack one."""
    errors = FieldErrors()
    if not business.country:
        errors.add("business.country", BUSINESS_COUNTRY_MESSAGE)
    if not customer.country:
        errors.add("customer.country", CUSTOMER_COUNTRY_MESSAGE)
    errors.raise_if_any()


# --- what each kind of object takes ---------------------------------------------------------

INVOICE_TEXT = Text(5000, multiline=True)  # notes, terms
ITEM_DESCRIPTION = Text(MAX_DESCRIPTION_LENGTH, multiline=True, required=True)
PAYMENT_REFERENCE = Text(200)
PAYMENT_NOTE = Text(2000, multiline=True)
VOID_REASON = Text(500, required=True)

ADDRESS_INPUT = {
    "address_line1": Text(200),
    # Addresses typed as free text before they were structured keep all their other lines here.
    "address_line2": Text(1000),
    "postcode": Text(20),
    "city": Text(100),
    "country": parse_country,
}

BUSINESS_INPUT = {
    "name": Text(200, required=True),
    "legal_name": Text(200),
    "phone": Text(50),
    **ADDRESS_INPUT,
    "tax_id": Text(50),
    "vat_id": parse_vat_id,
    "legal_registration_id": Text(100),
    "iban": parse_iban,
    "bic": parse_bic,
    "language": parse_language,
    "legal_mentions": Text(2000, multiline=True),
    "contact_name": Text(200),
    "peppol_id": parse_peppol_id,
    "facturx": parse_bool,
    "default_notes": Text(5000, multiline=True),
    "default_terms": Text(5000, multiline=True),
    "payment_instructions": Text(2000, multiline=True),
    "email_subject_template": Text(200, required=True, placeholders=True),
    "email_body_template": Text(5000, multiline=True, required=True, placeholders=True),
    "email": parse_email,
    "default_currency": parse_currency,
    "payment_terms_days": Integer(0, 365),
    "invoice_number_format": Text(50, required=True),
    "invoice_number_width": Integer(1, 12),
    "invoice_number_yearly_reset": parse_bool,
    "credit_note_number_format": Text(50, required=True),
    "credit_note_number_width": Integer(1, 12),
    "credit_note_number_yearly_reset": parse_bool,
    "logo": parse_logo,
    "default_vat_category": parse_vat_category,
    "vat_exemption_reasons": parse_exemption_reasons,
}

CUSTOMER_INPUT = {
    "name": Text(200, required=True),
    "phone": Text(50),
    **ADDRESS_INPUT,
    "tax_id": Text(50),
    "vat_id": parse_vat_id,
    "legal_registration_id": Text(100),
    "language": parse_customer_language,
    "buyer_reference": Text(200),
    "peppol_id": parse_peppol_id,
    "einvoice_format": parse_einvoice_format,
    "notes": Text(5000, multiline=True),
    "email": parse_email,
    "currency": parse_currency,
    "archived": parse_bool,
    "reminders_enabled": parse_bool,
}


def number_format_messages(number_format: str, *, yearly_reset: bool, width: int, on_date: date) -> list[str]:
    """Messages for a numbering format that could not produce unique, well-formed numbers."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(number_format) if field is not None]
    except ValueError:
        return [_("Use braces only around the tokens {YYYY}, {YY}, {MM} and {SEQ}.")]
    unknown = sorted({field for field in fields if field not in TOKENS})
    if unknown:
        return [_("Unknown token {%(token)s}: use {YYYY}, {YY}, {MM} and {SEQ}.") % {"token": unknown[0]}]
    if fields.count("SEQ") != 1:
        return [_("The format must contain {SEQ} exactly once.")]
    if yearly_reset and "YYYY" not in fields and "YY" not in fields:
        # Without the year, a sequence that restarts every year would repeat last year's numbers.
        return [_("A sequence that restarts every year needs {YYYY} or {YY} in the format.")]
    longest = format_number(number_format, sequence=10**width, width=width, on_date=on_date)
    if len(longest) > MAX_NUMBER_LENGTH:
        return [_("Numbers in this format would be longer than %(length)s characters.") % {"length": MAX_NUMBER_LENGTH}]
    return []


# --- collecting errors ----------------------------------------------------------------------


class FieldErrors:
    """Collects messages by field path, then raises them all at once as a BillingValidationError."""

    def __init__(self):
        self.messages: dict[str, list[str]] = {}
        self.sizes: dict[str, int] = {}

    def add(self, path: str, message: str) -> None:
        self.messages.setdefault(path, []).append(str(message))

    def parse(self, path: str, parser, value, *args, **kwargs):
        """``parser(value, ...)``, or None with the message recorded under ``path``."""
        try:
            return parser(value, *args, **kwargs)
        except InvalidValue as exc:
            self.add(path, exc.message)
            return None
        except BillingValidationError as exc:  # a structured value: its errors go below ``path``
            for sub_path, messages in exc.messages.items():
                for message in messages:
                    self.add(f"{path}.{sub_path}", message)
            return None

    def merge(self, exc: BillingValidationError) -> None:
        for path, messages in exc.messages.items():
            self.messages.setdefault(path, []).extend(messages)
        self.sizes.update(exc.sizes)

    def __contains__(self, path):
        return path in self.messages

    def __bool__(self):
        return bool(self.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            raise BillingValidationError(self.messages, sizes=self.sizes)


def refuse_unknown_fields(data: dict, allowed) -> None:
    if not isinstance(data, dict):
        raise BillingValidationError({"non_field_errors": [_("Expected an object of fields.")]})
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BillingValidationError({field: [_("Unknown field.")] for field in unknown})


# --- invoice items --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    vat_category: str = VAT_STANDARD


ITEM_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "vat_category")


def parse_items(raw_items, *, field: str = "items", default_category: str = VAT_STANDARD) -> list[ItemInput]:
    """The ``items`` list of an invoice; an error names its item: ``items.3.quantity``.

    Keys other than the item fields (an ``id`` or ``line_total`` echoed back from a GET)
    are ignored: the list always replaces the invoice's items as a whole. A line without a
    VAT category gets ``vat.default_category`` of its rate and ``default_category`` (the
    business's); a category whose rate does not fit is an error on the line's ``tax_rate``."""
    errors = FieldErrors()
    if not isinstance(raw_items, list | tuple):
        errors.add(field, _("Expected a list of items."))
    elif len(raw_items) > MAX_ITEMS:
        errors.add(field, _("An invoice can have at most %(count)s items.") % {"count": MAX_ITEMS})
    errors.raise_if_any()
    errors.sizes[field] = len(raw_items)  # the API shows one entry per item submitted
    parsed = [_parse_item(raw, errors, f"{field}.{index}", default_category) for index, raw in enumerate(raw_items)]
    errors.raise_if_any()
    return parsed


def _parse_item(raw, errors: FieldErrors, path: str, default_category: str) -> ItemInput | None:
    if not isinstance(raw, dict):
        errors.add(f"{path}.non_field_errors", _("Expected an object with description, quantity, unit_price."))
        return None
    values = (
        errors.parse(f"{path}.description", ITEM_DESCRIPTION, raw.get("description")),
        errors.parse(f"{path}.quantity", parse_quantity, raw.get("quantity")),
        errors.parse(f"{path}.unit_price", parse_unit_price, raw.get("unit_price")),
        errors.parse(f"{path}.tax_rate", parse_tax_rate, raw.get("tax_rate", "0")),
    )
    category = raw.get("vat_category")
    if category not in (None, ""):
        category = errors.parse(f"{path}.vat_category", parse_vat_category, category)
    elif values[3] is not None:
        category = vat.default_category(values[3], default_category)
    if category is not None and values[3] is not None:
        problem = vat.rate_problem(category, values[3])
        if problem:
            errors.add(f"{path}.tax_rate", problem)
            return None
    if category is None or any(value is None for value in values):
        return None
    return ItemInput(*values, vat_category=category)


def check_invoice_amounts(*, subtotal: Decimal, total: Decimal, currency: str) -> None:
    """An invoice above 1,000,000,000,000 in its currency is refused (Money bounds)."""
    if subtotal > INVOICE_AMOUNT_MAX or total > INVOICE_AMOUNT_MAX:
        raise BillingValidationError(
            {
                "items": [
                    _("An invoice's subtotal and total may not exceed 1,000,000,000,000 %(currency)s.")
                    % {"currency": currency}
                ]
            }
        )


# --- recurring invoice templates ------------------------------------------------------------

RECURRING_NAME = Text(200)
RECURRING_COUNT = Integer(1, 1000)
RECURRING_CATCH_UP = Integer(1, 24)
LAST_DAY_OF_MONTH = "last"


def parse_day_of_month(value) -> int:
    """1 to 31 (a month without that day uses its last day), or "last" (stored as 0)."""
    if value == LAST_DAY_OF_MONTH:
        return 0
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise InvalidValue(_('Enter a day from 1 to 31, or "last".'))
    return parse_int(value, minimum=1, maximum=31)


# --- credit notes ---------------------------------------------------------------------------

CREDIT_NOTE_REASON = Text(2000, multiline=True)
CREDIT_NOTE_FIELDS = ("invoice", "reason", "issue_date", "discount_type", "discount_value", "items", "full")


def check_credit_lines(items: list[ItemInput], *, allowed: set[tuple[str, Decimal]], errors: FieldErrors) -> None:
    """Each credit note line uses a VAT category and rate its invoice used (eu-invoicing.md)."""
    for index, item in enumerate(items):
        if (item.vat_category, item.tax_rate.normalize()) not in allowed:
            errors.add(
                f"items.{index}.tax_rate",
                _("Use a VAT category and rate the invoice uses: a credit note corrects what was invoiced."),
            )


def check_credit_within(total: Decimal, *, left: Decimal, currency: str, errors: FieldErrors) -> None:
    """A credit note never credits more than is left of its invoice (``total - credited_total``)."""
    if total > left:
        message = _("The credit note's total may not exceed what is left to credit (%(left)s %(currency)s).")
        errors.add("items", message % {"left": left, "currency": currency})


def check_credit_rows(
    rows: tuple[TaxRow, ...], *, left: tuple[RowAmounts, ...], currency: str, errors: FieldErrors
) -> None:
    """Per VAT category and rate, a credit note never credits more than is left of that row of
    its invoice, neither taxable amount nor tax (``billing.calc.left_to_credit``): so nothing
    left ever goes below zero, and a credit note for the rest credits exactly the rest."""
    rests = {(rest.category, rest.rate.normalize()): rest for rest in left}
    for row in rows:
        rest = rests.get(
            (row.category, row.rate.normalize()), RowAmounts(row.category, row.rate, Decimal(0), Decimal(0))
        )
        if row.taxable_amount > rest.taxable_amount or row.tax_amount > rest.tax_amount:
            message = _(
                "At %(rate)s %% VAT (%(category)s) the invoice has %(taxable)s %(currency)s before VAT and "
                "%(tax)s %(currency)s of VAT left to credit: credit no more than that."
            )
            words = {"rate": f"{row.rate.normalize():f}", "category": row.category, "currency": currency}
            errors.add("items", message % {**words, "taxable": rest.taxable_amount, "tax": rest.tax_amount})
