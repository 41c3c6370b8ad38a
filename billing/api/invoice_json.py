"""The invoice list's JSON, written by PostgreSQL.

A list page holds up to 100 invoices with all their items; building that JSON in Python
(``InvoiceSerializer.to_representation`` and DRF's renderer) was most of the endpoint's cost,
and issue 7 wants the list at 40% of a trivial endpoint's throughput. On PostgreSQL the
database writes each invoice's JSON text instead: byte for byte what the serializer and
DRF's ``JSONRenderer`` produce (same keys, order, number formats and string escapes).
``tests/api/test_invoice_json.py`` holds the two to that. Where the database cannot do it
exactly (SQLite, or a ``TIME_ZONE`` other than UTC, whose offsets Python formats), the list
uses the serializer.

The SQL is built once from fixed column names and Babel's currency table, never from input;
the one value it takes (the organization's date) is a query parameter, and the filters,
ordering and page come from the usual queryset it annotates.
"""

import json
from functools import cache

from babel.core import get_global
from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL

from billing.calc import currency_exponent
from billing.models import OPEN_STATUSES, Invoice, InvoiceItem

INVOICE = Invoice._meta.db_table
ITEM = InvoiceItem._meta.db_table


def available() -> bool:
    """Whether this database can write the JSON exactly as the serializer does."""
    return connection.vendor == "postgresql" and settings.USE_TZ and settings.TIME_ZONE == "UTC"


def json_object(fields) -> str:
    """SQL for a compact JSON object: ``fields`` are (key, SQL giving the value's JSON text)."""
    parts = []
    for position, (key, value) in enumerate(fields):
        opening = "{" if position == 0 else ","
        parts.append(f"'{opening}{json.dumps(key)}:' || {value}")
    return "(" + " || ".join(parts) + " || '}')"


def json_string(sql: str) -> str:
    """A text column (maybe NULL) as a JSON string, escaped by PostgreSQL like ``json.dumps``."""
    return f"COALESCE(to_json({sql})::text, 'null')"


def json_uuid(sql: str) -> str:
    # A UUID's text has nothing to escape; to_json() would look up the type's output on every row.
    return f"('\"' || {sql}::text || '\"')"


def plain_decimal(sql: str) -> str:
    """``serializers.plain_decimal``: no trailing zeros ("12.5000" -> "12.5", "100.000" -> "100")."""
    return f"('\"' || trim_scale({sql})::text || '\"')"


def money(sql: str, exponent: str) -> str:
    """``quantize_money``: the currency's places, half up (PostgreSQL's round() rounds half away
    from zero, and amounts are never negative)."""
    return f"('\"' || round({sql}, {exponent})::text || '\"')"


def timestamp(sql: str) -> str:
    """``serializers.timestamp`` in UTC: ISO 8601, microseconds only when non-zero, "Z"."""
    text = f"replace(to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
    return f"CASE WHEN {sql} IS NULL THEN 'null' ELSE '\"' || {text} || 'Z\"' END"


def iso_date(sql: str) -> str:
    return f"('\"' || to_char({sql}, 'YYYY-MM-DD') || '\"')"


@cache
def _exponents_sql() -> str:
    """A JSON constant of every currency whose minor unit is not 2 places (JPY 0, KWD 3, ...)."""
    exponents = {}
    for code in sorted(get_global("currency_fractions")):
        try:
            places = currency_exponent(code)
        except ValueError:  # "DEFAULT" and codes Babel no longer lists as currencies
            continue
        if places != 2:
            exponents[code] = places
    return "'" + json.dumps(exponents, separators=(",", ":")) + "'::jsonb"


@cache
def _invoice_sql(extra_keys: tuple[str, ...], extra_sql: tuple[str, ...]) -> str:
    t = INVOICE
    exponent = "money.places"
    items = json_object(
        [
            ("id", json_uuid("item.id")),
            ("description", json_string("item.description")),
            ("quantity", plain_decimal("item.quantity")),
            ("unit_price", plain_decimal("item.unit_price")),
            ("tax_rate", plain_decimal("item.tax_rate")),
            ("line_total", money("item.line_net", exponent)),
        ]
    )
    tax_row = json_object(
        [
            ("rate", plain_decimal("(tax.entry ->> 'rate')::numeric")),
            ("taxable_amount", money("(tax.entry ->> 'taxable_amount')::numeric", exponent)),
            ("tax_amount", money("(tax.entry ->> 'tax_amount')::numeric", exponent)),
        ]
    )
    open_statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
    discount_value = (
        f"CASE WHEN {t}.discount_type = 'amount' THEN {money(f'{t}.discount_value', exponent)} "
        f"ELSE {plain_decimal(f'{t}.discount_value')} END"
    )
    fields = [
        ("id", json_uuid(f"{t}.id")),
        ("number", json_string(f"{t}.number")),
        ("status", json_string(f"{t}.status")),
        ("is_overdue", f"CASE WHEN {t}.status IN ({open_statuses}) AND {t}.due_date < %s THEN 'true' ELSE 'false' END"),
        ("version", f"{t}.version::text"),
        ("business", json_uuid(f"{t}.business_id")),
        ("customer", json_uuid(f"{t}.customer_id")),
        ("currency", json_string(f"{t}.currency")),
        ("issue_date", iso_date(f"{t}.issue_date")),
        ("due_date", iso_date(f"{t}.due_date")),
        ("discount_type", json_string(f"{t}.discount_type")),
        ("discount_value", discount_value),
        ("notes", json_string(f"{t}.notes")),
        ("terms", json_string(f"{t}.terms")),
        (
            "items",
            f"'[' || COALESCE((SELECT string_agg({items}, ',' ORDER BY item.position) FROM {ITEM} item "
            f"WHERE item.organization_id = {t}.organization_id AND item.invoice_id = {t}.id), '') || ']'",
        ),
        *((name, money(f"{t}.{name}", exponent)) for name in ("subtotal", "discount_total", "tax_total")),
        *((name, money(f"{t}.{name}", exponent)) for name in ("total", "amount_paid", "balance_due")),
        (
            "tax_breakdown",
            f"'[' || COALESCE((SELECT string_agg({tax_row}, ',' ORDER BY tax.n) "
            f"FROM jsonb_array_elements({t}.tax_breakdown) WITH ORDINALITY AS tax(entry, n)), '') || ']'",
        ),
        *((name, timestamp(f"{t}.{name}")) for name in ("issued_at", "sent_at", "created_at", "updated_at")),
        *zip(extra_keys, extra_sql, strict=True),
    ]
    places = f"COALESCE(({_exponents_sql()} ->> {t}.currency)::int, 2)"
    return f"(SELECT {json_object(fields)} FROM (SELECT {places} AS places) AS money)"


def invoice_json(*, today, extra_fields=()) -> RawSQL:
    """Each invoice's JSON text, exactly as ``InvoiceSerializer`` renders it, as an expression
    to annotate an ``Invoice`` queryset with. ``today``: the organization's date (for
    ``is_overdue``). ``extra_fields``: (key, SQL, params) appended to each object (the documents
    app adds ``document``); their SQL may use the invoice table's columns and must filter tenant
    tables by ``organization_id`` itself, as the items subquery does.

    Annotate the filtered, ordered queryset and slice it: PostgreSQL writes the JSON of the
    page's rows only (it evaluates costly select expressions after the sort and limit), and
    ``count()`` leaves the annotation out."""
    sql = _invoice_sql(tuple(key for key, _, _ in extra_fields), tuple(sql for _, sql, _ in extra_fields))
    return RawSQL(sql, [today, *(param for _, _, params in extra_fields for param in params)])
