"""Invoice arithmetic: billing-rules.md "Money" and "Totals", as pure functions.

No ORM and no Django here: services feed validated Decimals in and store what comes out.
Rule numbers in the docstrings refer to the numbered list in the "Totals" section.

Credit notes (eu-invoicing.md "Issued documents are final; corrections by credit note") use
the same arithmetic plus one rule, "the rest of a row", given by ``left_to_credit``: a credit
note's (VAT category, rate) row whose taxable amount is exactly what is left of that row of
its invoice takes exactly what is left of the row's tax, instead of rounding the rate again.
What is left of a row is the invoice row's taxable amount and tax, each less the sum of the
issued credit notes' rows. So a credit note for everything left (cancel) totals exactly
``total - credited_total`` to the minor unit, and after it ``credited_total == total``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache

from babel.numbers import get_currency_precision, is_currency

DISCOUNT_NONE = "none"
DISCOUNT_PERCENT = "percent"
DISCOUNT_AMOUNT = "amount"

STATUS_ISSUED = "issued"
STATUS_PARTIALLY_PAID = "partially_paid"
STATUS_PAID = "paid"
STATUS_CREDITED = "credited"

# Tax rates are percents with up to 3 places; the breakdown keys them as e.g. Decimal("20.000").
RATE_PLACES = Decimal("0.001")
HUNDRED = Decimal(100)
# 1e9 * 1e10 with 8 places, times a rate with 3 more, overflows the default 28 digits: never round silently.
_PRECISION = 80

# VAT categories (UNCL 5305, EN 16931 BT-151; eu-invoicing.md "VAT treatment per line").
VAT_STANDARD = "S"
VAT_ZERO_RATED = "Z"
VAT_EXEMPT = "E"
VAT_REVERSE_CHARGE = "AE"
VAT_INTRA_COMMUNITY = "K"
VAT_EXPORT = "G"
VAT_OUTSIDE_SCOPE = "O"
VAT_CATEGORIES = (
    VAT_STANDARD,
    VAT_ZERO_RATED,
    VAT_EXEMPT,
    VAT_REVERSE_CHARGE,
    VAT_INTRA_COMMUNITY,
    VAT_EXPORT,
    VAT_OUTSIDE_SCOPE,
)


class DiscountExceedsSubtotal(ValueError):  # noqa: N818 (name agreed in the billing interface)
    """An amount discount larger than the subtotal (rule 3: refused, never clamped)."""


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    # UNCL 5305 code; None means the default (vat_category_of). Whether a category suits its rate
    # and parties is an issue-time rule of the services (a draft may be incomplete), not calc's.
    vat_category: str | None = None


@dataclass(frozen=True)
class LineAmounts:
    line_net: Decimal
    line_discount: Decimal


@dataclass(frozen=True)
class TaxRow:
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    category: str
    # The lines' discount shares in this row: net sum - discount_amount = taxable_amount, so an
    # e-invoice states the discount as one allowance per row (EN 16931 BR-S-08 and siblings).
    discount_amount: Decimal


@dataclass(frozen=True)
class RowAmounts:
    """The money of one (VAT category, rate) breakdown row: a stored row of an invoice or
    credit note, or what is left of an invoice's row to credit (``left_to_credit``)."""

    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    lines: tuple[LineAmounts, ...]  # same order as the input lines
    subtotal: Decimal
    discount_total: Decimal
    tax_breakdown: tuple[TaxRow, ...]  # one row per (category, rate), ascending by rate then category
    tax_total: Decimal
    total: Decimal


def _decimal(value, name: str) -> Decimal:
    """Money is Decimal, never float (Money rules): anything else is a programming error."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


@lru_cache(maxsize=512)
def currency_exponent(currency: str) -> int:
    """Number of minor-unit places of an ISO 4217 currency, from Babel (EUR 2, JPY 0, KWD 3)."""
    if not isinstance(currency, str) or not is_currency(currency):
        raise ValueError(f"Unknown currency: {currency!r}")
    return get_currency_precision(currency)


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """round_m: round to the currency's minor unit, ROUND_HALF_UP (Money rules)."""
    with localcontext(prec=_PRECISION):
        return _decimal(amount, "amount").quantize(_unit(currency), rounding=ROUND_HALF_UP)


def _normalize_rate(rate: Decimal) -> Decimal:
    """One key per rate: "20", "20.0" and "20.000" all become Decimal("20.000") (rule 5)."""
    rate = _decimal(rate, "tax_rate")
    if not 0 <= rate <= HUNDRED:
        raise ValueError(f"tax_rate must be between 0 and 100, got {rate}")
    normalized = rate.quantize(RATE_PLACES)
    if normalized != rate:
        raise ValueError(f"tax_rate has more than 3 decimal places: {rate}")
    return normalized


def vat_category_of(line: LineInput) -> str:
    """The line's VAT category: the one given, else S above a 0 rate and Z at 0 (eu-invoicing.md)."""
    if line.vat_category is None:
        return VAT_STANDARD if _decimal(line.tax_rate, "tax_rate") > 0 else VAT_ZERO_RATED
    if line.vat_category not in VAT_CATEGORIES:
        raise ValueError(f"Unknown VAT category {line.vat_category!r}; expected one of {', '.join(VAT_CATEGORIES)}")
    return line.vat_category


def _discount_total(subtotal: Decimal, discount_type: str, value: Decimal, currency: str) -> Decimal:
    """Rule 3: none 0, percent round_m(subtotal * v / 100), amount v (refused if > subtotal)."""
    if discount_type == DISCOUNT_NONE:
        return quantize_money(Decimal(0), currency)
    value = _decimal(value, "discount_value")
    if value < 0:
        raise ValueError(f"discount_value must not be negative, got {value}")
    if discount_type == DISCOUNT_PERCENT:
        if value > HUNDRED:
            raise ValueError(f"A percent discount must be at most 100, got {value}")
        discount = quantize_money(subtotal * value / HUNDRED, currency)
    elif discount_type == DISCOUNT_AMOUNT:
        discount = quantize_money(value, currency)
        if discount != value:
            raise ValueError(f"discount_value {value} has more places than {currency} allows")
    else:
        raise ValueError(f"Unknown discount_type: {discount_type!r}")
    if discount > subtotal:
        raise DiscountExceedsSubtotal(f"The discount {discount} exceeds the subtotal {subtotal}.")
    return discount


def spread_minor_units(total: int, weights: Sequence[int]) -> list[int]:
    """Rule 4: split `total` minor units over `weights` proportionally, by largest remainder.

    Each share gets floor(total * w / sum); the units left over go one each to the largest
    remainders, ties to the earlier index, so the shares add up to `total` exactly.
    With 0 <= total <= sum(weights) no share exceeds its weight. All-zero weights give zeros.
    """
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise ValueError("Cannot spread a non-zero amount over zero weights")
        return [0] * len(weights)
    shares, remainders = [], []
    for weight in weights:
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append(remainder)
    left_over = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left_over]:
        shares[index] += 1
    return shares


def compute_totals(
    *,
    currency: str,
    lines: Sequence[LineInput],
    discount_type: str,
    discount_value: Decimal,
    left: Sequence[RowAmounts] | None = None,
) -> InvoiceTotals:
    """Rules 1-6 of "Totals": line nets, subtotal, discount, its spread, tax per (category, rate), total.

    Rule 5 groups by (VAT category, rate) (eu-invoicing.md): with the default categories every
    rate has one category, so the rows are the per-rate rows of billing-rules.md.
    ``left``, for a credit note: what is left to credit of its invoice's rows
    (``left_to_credit``); a row whose taxable amount equals its row's left taxable amount takes
    the left tax (the rest of a row, module docstring). None for invoices.
    Every returned amount has exactly the currency's places (JPY "1500", EUR "12.50", KWD "1.250").
    Raises DiscountExceedsSubtotal (a ValueError) for an amount discount above the subtotal,
    ValueError for other impossible input, TypeError for a non-Decimal (e.g. float) value.
    """
    places = currency_exponent(currency)
    with localcontext(prec=_PRECISION):
        nets, keys = [], []
        for line in lines:
            quantity = _decimal(line.quantity, "quantity")
            unit_price = _decimal(line.unit_price, "unit_price")
            if quantity < 0 or unit_price < 0:
                raise ValueError("quantity and unit_price must not be negative")
            nets.append(quantize_money(quantity * unit_price, currency))  # rule 1
            keys.append((_normalize_rate(line.tax_rate), vat_category_of(line)))
        subtotal = quantize_money(sum(nets, Decimal(0)), currency)  # rule 2
        discount_total = _discount_total(subtotal, discount_type, discount_value, currency)  # rule 3

        # Rule 4 in integer minor units, so nothing can drift.
        shares = spread_minor_units(int(discount_total.scaleb(places)), [int(net.scaleb(places)) for net in nets])
        discounts = [quantize_money(Decimal(share).scaleb(-places), currency) for share in shares]

        breakdown = _breakdown(nets, discounts, keys, currency, _rests_by_key(left or (), currency))
        tax_total = quantize_money(sum((row.tax_amount for row in breakdown), Decimal(0)), currency)  # rule 6
        total = quantize_money(subtotal - discount_total + tax_total, currency)
    return InvoiceTotals(
        lines=tuple(LineAmounts(line_net=n, line_discount=d) for n, d in zip(nets, discounts, strict=True)),
        subtotal=subtotal,
        discount_total=discount_total,
        tax_breakdown=breakdown,
        tax_total=tax_total,
        total=total,
    )


def _rests_by_key(left: Sequence[RowAmounts], currency: str) -> dict[tuple[Decimal, str], RowAmounts]:
    """``left`` keyed as the breakdown groups are. A row with a negative amount left (only
    credit notes that broke the per-row limit could leave one) gives no rest: nothing credits
    the rest of it."""
    rests = {}
    for row in left:
        amounts = (_decimal(row.taxable_amount, "taxable_amount"), _decimal(row.tax_amount, "tax_amount"))
        if any(quantize_money(amount, currency) != amount for amount in amounts):
            raise ValueError(f"What is left of a row has more places than {currency} allows: {amounts}")
        if row.category not in VAT_CATEGORIES:
            raise ValueError(f"Unknown VAT category {row.category!r}")
        if min(amounts) >= 0:
            rests[(_normalize_rate(row.rate), row.category)] = row
    return rests


def _breakdown(nets, discounts, keys, currency: str, rests: dict) -> tuple[TaxRow, ...]:
    """Rule 5: one row per (category, rate), ascending by rate first (as before categories
    existed); its tax is round_m(taxable * rate / 100), or the rest of the row's tax when the
    taxable amount is exactly what is left of the row (``rests``, credit notes only)."""
    groups: dict[tuple[Decimal, str], list[Decimal]] = {}  # -> [net sum, discount sum]
    for net, discount, key in zip(nets, discounts, keys, strict=True):
        sums = groups.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += net
        sums[1] += discount
    rows = []
    for (rate, category), (net, discount) in sorted(groups.items()):
        taxable = quantize_money(net - discount, currency)
        rest = rests.get((rate, category))
        if rest is not None and taxable == rest.taxable_amount:
            tax = quantize_money(rest.tax_amount, currency)  # the rest of the row, in the currency's places
        else:
            tax = quantize_money(taxable * rate / HUNDRED, currency)
        discount_amount = quantize_money(discount, currency)
        rows.append(TaxRow(rate, taxable, tax, category, discount_amount))
    return tuple(rows)


def left_to_credit(
    invoiced: Sequence[RowAmounts], credited: Sequence[RowAmounts], currency: str
) -> tuple[RowAmounts, ...]:
    """What is left to credit of each (VAT category, rate) row of an invoice: the row's taxable
    amount and tax less the sums of the issued credit notes' rows (``credited``), ascending by
    rate then category. The rows add up to ``total - credited_total``; a row may be credited
    in full and stay with nothing left."""
    sums: dict[tuple[Decimal, str], list[Decimal]] = {}
    with localcontext(prec=_PRECISION):
        for sign, rows in ((1, invoiced), (-1, credited)):
            for row in rows:
                key = (_normalize_rate(row.rate), row.category)
                amounts = sums.setdefault(key, [Decimal(0), Decimal(0)])
                amounts[0] += sign * _decimal(row.taxable_amount, "taxable_amount")
                amounts[1] += sign * _decimal(row.tax_amount, "tax_amount")
        return tuple(
            RowAmounts(category, rate, quantize_money(taxable, currency), quantize_money(tax, currency))
            for (rate, category), (taxable, tax) in sorted(sums.items())
        )


def balance_and_status(
    *,
    total: Decimal,
    amount_paid: Decimal,
    credited_total: Decimal = Decimal(0),
    amount_refunded: Decimal = Decimal(0),
) -> tuple[Decimal, str]:
    """Rule 7 and eu-invoicing.md "Money", for an issued (not void) invoice.

    balance_due = total - credited_total - amount_paid + amount_refunded (negative: a refund
    is due). Status "credited" when everything invoiced was credited; else "paid" when nothing
    is left to pay and something was paid; else "partially_paid" when something was paid;
    else "issued". Negative amounts, credits above the total, or more kept than invoiced
    (overpayment) are never valid: ValueError.
    """
    total = _decimal(total, "total")
    amount_paid = _decimal(amount_paid, "amount_paid")
    credited_total = _decimal(credited_total, "credited_total")
    amount_refunded = _decimal(amount_refunded, "amount_refunded")
    if min(amount_paid, credited_total, amount_refunded) < 0:
        raise ValueError("amount_paid, credited_total and amount_refunded may not be negative")
    if credited_total > total:
        raise ValueError(f"credited_total {credited_total} may not exceed the total {total}")
    if amount_paid - amount_refunded > total:
        raise ValueError(f"amount_paid {amount_paid} less refunds may not exceed the total {total}")
    balance_due = total - credited_total - amount_paid + amount_refunded
    if credited_total == total and total > 0:
        return balance_due, STATUS_CREDITED
    if balance_due <= 0 and amount_paid > 0:
        return balance_due, STATUS_PAID
    if amount_paid > 0:
        return balance_due, STATUS_PARTIALLY_PAID
    return balance_due, STATUS_ISSUED


LATE_FEE_FIXED = "fixed"
LATE_FEE_PERCENT = "percent"


def late_fee_amount(*, fee_type: str, value: Decimal, balance: Decimal, currency: str) -> Decimal:
    """A reminder step's late fee for an invoice with ``balance`` open: the fixed amount, or
    ``value`` percent of the balance, each rounded to the currency's minor unit (round_m);
    0 for no fee or nothing open."""
    value, balance = _decimal(value, "value"), _decimal(balance, "balance")
    if balance <= 0 or value <= 0:
        return quantize_money(Decimal(0), currency)
    if fee_type == LATE_FEE_FIXED:
        return quantize_money(value, currency)
    if fee_type == LATE_FEE_PERCENT:
        with localcontext(prec=_PRECISION):
            return quantize_money(balance * value / HUNDRED, currency)
    return quantize_money(Decimal(0), currency)
