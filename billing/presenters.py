"""Billing's objects as plain dicts: the one representation of each API resource.

List and detail, and the responses of writes, all go through these functions, so a field is
added in one place (and declared for the schema in ``billing.api.serializers``). Values come
out JSON-ready: ids as strings, money with exactly its currency's minor-unit places ("1500",
"12.50", "1.250"), other decimals as their shortest plain string ("12.5"), dates as
YYYY-MM-DD and timestamps as DRF writes them (ISO 8601 in the current time zone, "Z" for UTC).

Apps above billing add fields to an invoice without billing importing them: they register a
provider with ``register_invoice_extra`` in their ``AppConfig.ready()``.
"""

from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.utils import timezone

from billing import selectors
from billing.addresses import party_address
from billing.calc import currency_exponent
from billing.models import OPEN_STATUSES, DiscountType
from billora.api.formats import timestamp

# --- values ----------------------------------------------------------------------------------

_PLAIN: dict = {}
_PLAIN_MAX = 10_000
_UNITS: dict[str, Decimal] = {}


def plain_decimal(value) -> str | None:
    """A stored decimal as the shortest plain string: 12.5000 -> "12.5", 100 -> "100"."""
    if value is None:
        return None
    text = _PLAIN.get(value)  # equal decimals have the same plain text (12.50 == 12.5)
    if text is None:
        text = format(value if isinstance(value, Decimal) else Decimal(value), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        text = "0" if text in ("-0", "") else text
        if len(_PLAIN) >= _PLAIN_MAX:  # a bounded memo: rates and quantities repeat a lot
            _PLAIN.clear()
        _PLAIN[value] = text
    return text


def money_unit(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal to quantize with: EUR 0.01, JPY 1, KWD 0.001."""
    unit = _UNITS.get(currency)
    if unit is None:
        unit = _UNITS[currency] = Decimal(1).scaleb(-currency_exponent(currency))
    return unit


def money(value, currency: str) -> str | None:
    """Exactly the currency's minor-unit places, half up (``billing.calc.quantize_money``)."""
    if value is None:
        return None
    return str(Decimal(value).quantize(money_unit(currency), rounding=ROUND_HALF_UP))


def iso_date(value) -> str | None:
    return None if value is None else value.isoformat()


# --- businesses, customers, payments ------------------------------------------------------------


def business_dict(business, tz=None) -> dict:
    return {
        "id": str(business.pk),
        "name": business.name,
        "legal_name": business.legal_name,
        "email": business.email,
        "phone": business.phone,
        "address": business.address,
        **party_address(business),
        "tax_id": business.tax_id,
        "vat_id": business.vat_id,
        "legal_registration_id": business.legal_registration_id,
        "iban": business.iban,
        "bic": business.bic,
        "language": business.language,
        "legal_mentions": business.legal_mentions,
        "contact_name": business.contact_name,
        "peppol_id": business.peppol_id,
        "facturx": business.facturx,
        "default_currency": business.default_currency,
        "payment_terms_days": business.payment_terms_days,
        "invoice_number_format": business.invoice_number_format,
        "invoice_number_width": business.invoice_number_width,
        "invoice_number_yearly_reset": business.invoice_number_yearly_reset,
        "credit_note_number_format": business.credit_note_number_format,
        "credit_note_number_width": business.credit_note_number_width,
        "credit_note_number_yearly_reset": business.credit_note_number_yearly_reset,
        "default_notes": business.default_notes,
        "default_terms": business.default_terms,
        "default_vat_category": business.default_vat_category,
        "vat_exemption_reasons": business.vat_exemption_reasons or {},
        "reminder_steps": [reminder_step_dict(step) for step in business.reminder_steps.all()],
        "created_at": timestamp(business.created_at, tz),
        "updated_at": timestamp(business.updated_at, tz),
    }


def reminder_step_dict(step) -> dict:
    return {
        "offset_days": step.offset_days,
        "subject": step.subject,
        "body": step.body,
        "late_fee_type": step.late_fee_type,
        "late_fee_value": plain_decimal(step.late_fee_value),
    }


def reminder_dict(row: dict, tz=None) -> dict:
    """A row of ``selectors.reminder_timeline``."""
    return {
        "step": row["step"],
        "date": iso_date(row["date"]),
        "status": row["status"],
        "upcoming": row["upcoming"],
        "reason": row["reason_code"],
        "note": row["note"],
        "sent_at": timestamp(row["sent_at"], tz),
        "late_fee_invoice": _id(row["late_fee_invoice"]),
    }


def customer_dict(customer, tz=None) -> dict:
    return {
        "id": str(customer.pk),
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "billing_address": customer.billing_address,
        **party_address(customer),
        "tax_id": customer.tax_id,
        "vat_id": customer.vat_id,
        "legal_registration_id": customer.legal_registration_id,
        "language": customer.language,
        "buyer_reference": customer.buyer_reference,
        "peppol_id": customer.peppol_id,
        "einvoice_format": customer.einvoice_format,
        "currency": customer.currency,
        "notes": customer.notes,
        "archived": customer.archived,
        "reminders_enabled": customer.reminders_enabled,
        "created_at": timestamp(customer.created_at, tz),
        "updated_at": timestamp(customer.updated_at, tz),
    }


def payment_dict(payment, currency: str, tz=None) -> dict:
    """``currency``: the invoice's (the amount has exactly its places)."""
    return {
        "id": str(payment.pk),
        "invoice": str(payment.invoice_id),
        "kind": payment.kind,
        "amount": money(payment.amount, currency),
        "date": iso_date(payment.date),
        "method": payment.method,
        "reference": payment.reference,
        "note": payment.note,
        "voided": payment.voided,
        "voided_at": timestamp(payment.voided_at, tz),
        "void_reason": payment.void_reason,
        "recorded_by": payment.recorded_by_label,
        "created_at": timestamp(payment.created_at, tz),
    }


# --- invoices ----------------------------------------------------------------------------------

# The invoice columns the representation reads: a list reads exactly these (``.values()``).
INVOICE_COLUMNS = (
    "id",
    "number",
    "status",
    "version",
    "business_id",
    "customer_id",
    "currency",
    "issue_date",
    "due_date",
    "discount_type",
    "discount_value",
    "notes",
    "terms",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "amount_paid",
    "credited_total",
    "amount_refunded",
    "balance_due",
    "tax_breakdown",
    "vat_exemption_reasons",
    "replaces_id",
    "reminders_enabled",
    "late_fee_for_id",
    "issued_at",
    "sent_at",
    "created_at",
    "updated_at",
)


class InvoiceExtra(NamedTuple):
    provider: Callable  # (*, organization, invoices: list of rows) -> {invoice id: value}
    schema_field: Callable  # () -> a read-only serializer field describing the value


_INVOICE_EXTRAS: dict[str, InvoiceExtra] = {}


def register_invoice_extra(name: str, provider: Callable, *, schema_field: Callable) -> None:
    """Add the field ``name`` to every invoice's representation, after billing's own fields.

    ``provider(organization=..., invoices=[row, ...])`` gets a page of invoices (mappings of
    ``INVOICE_COLUMNS``) and returns ``{invoice id: value}`` for them, in one query;
    an invoice it leaves out gets None. ``schema_field()`` returns a fresh read-only DRF field
    that describes the value in the OpenAPI schema. Called from an ``AppConfig.ready()``."""
    if name in _INVOICE_EXTRAS or name in INVOICE_COLUMNS:
        raise ValueError(f"The invoice field {name!r} is already defined.")
    _INVOICE_EXTRAS[name] = InvoiceExtra(provider, schema_field)


def invoice_extras() -> dict[str, InvoiceExtra]:
    return dict(_INVOICE_EXTRAS)


def invoice_row(invoice) -> Mapping:
    """An Invoice instance as the mapping the presenter reads (a ``.values()`` row already is one)."""
    if isinstance(invoice, Mapping):
        return invoice
    return {column: getattr(invoice, column) for column in INVOICE_COLUMNS}


def present_invoices(invoices: Iterable, *, organization) -> list[dict]:
    """Invoices (instances or ``.values(*INVOICE_COLUMNS)`` rows) with their items, in the order
    given: one query for all their items and one per registered extra, whatever their number."""
    rows = [invoice_row(invoice) for invoice in invoices]
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    items = selectors.invoice_item_rows(organization=organization, invoice_ids=ids)
    # Only credited invoices have issued credit notes, and only they are replaced (correct
    # cancels first): a page of invoices without credits asks nothing more.
    credited = [row["id"] for row in rows if row["credited_total"]]
    notes, replaced_by = (
        selectors.invoice_corrections(organization=organization, invoice_ids=credited) if credited else ({}, {})
    )
    extras = [
        (name, extra.provider(organization=organization, invoices=rows)) for name, extra in _INVOICE_EXTRAS.items()
    ]
    today = organization.local_today()
    tz = timezone.get_current_timezone()
    presented = []
    for row in rows:
        data = _invoice_dict(row, items.get(row["id"], ()), today, tz)
        data["replaced_by"] = _id(replaced_by.get(row["id"]))
        data["credit_notes"] = [str(note_id) for note_id in notes.get(row["id"], ())]
        for name, values in extras:
            data[name] = values.get(row["id"])
        presented.append(data)
    return presented


def present_invoice(invoice, *, organization) -> dict:
    return present_invoices([invoice], organization=organization)[0]


def _id(value) -> str | None:
    return None if value is None else str(value)


def _items(items, amount: Callable) -> list[dict]:
    """Invoice items or credit note lines (``invoice_item_rows`` tuples)."""
    return [
        {
            "id": str(item_id),
            "description": description,
            "quantity": plain_decimal(quantity),
            "unit_price": plain_decimal(unit_price),
            "tax_rate": plain_decimal(tax_rate),
            "vat_category": vat_category,
            "line_total": amount(line_net),
        }
        for item_id, description, quantity, unit_price, tax_rate, vat_category, line_net in items
    ]


def _amount_in(currency: str) -> Callable:
    unit = money_unit(currency)

    def amount(value):
        if type(value) is not Decimal:  # the tax breakdown's amounts are JSON strings
            value = Decimal(value)
        return str(value.quantize(unit, rounding=ROUND_HALF_UP))

    return amount


def _tax_row(tax: Mapping, amount: Callable) -> dict:
    """One VAT breakdown row (BG-23) as stored by the services, amounts in the invoice's currency."""
    return {
        "category": tax["category"],
        "rate": plain_decimal(tax["rate"]),
        "taxable_amount": amount(tax["taxable_amount"]),
        "tax_amount": amount(tax["tax_amount"]),
        "exemption_reason": tax["exemption_reason"],
        "exemption_reason_code": tax["exemption_reason_code"],
    }


def _invoice_dict(row: Mapping, items, today, tz) -> dict:
    currency = row["currency"]
    amount = _amount_in(currency)
    discount_value = row["discount_value"]
    return {
        "id": str(row["id"]),
        "number": row["number"],
        "status": row["status"],
        "is_overdue": row["status"] in OPEN_STATUSES and row["due_date"] < today,
        "version": row["version"],
        "business": str(row["business_id"]),
        "customer": str(row["customer_id"]),
        "currency": currency,
        "issue_date": row["issue_date"].isoformat(),
        "due_date": row["due_date"].isoformat(),
        "discount_type": row["discount_type"],
        "discount_value": amount(discount_value)
        if row["discount_type"] == DiscountType.AMOUNT
        else plain_decimal(discount_value),
        "notes": row["notes"],
        "terms": row["terms"],
        "items": _items(items, amount),
        "subtotal": amount(row["subtotal"]),
        "discount_total": amount(row["discount_total"]),
        "tax_total": amount(row["tax_total"]),
        "total": amount(row["total"]),
        "amount_paid": amount(row["amount_paid"]),
        "credited_total": amount(row["credited_total"]),
        "amount_refunded": amount(row["amount_refunded"]),
        "balance_due": amount(row["balance_due"]),
        "tax_breakdown": [_tax_row(tax, amount) for tax in row["tax_breakdown"] or ()],
        "vat_exemption_reasons": row["vat_exemption_reasons"] or {},
        "replaces": _id(row["replaces_id"]),
        "reminders_enabled": row["reminders_enabled"],
        "late_fee_for": _id(row["late_fee_for_id"]),
        "issued_at": timestamp(row["issued_at"], tz),
        "sent_at": timestamp(row["sent_at"], tz),
        "created_at": timestamp(row["created_at"], tz),
        "updated_at": timestamp(row["updated_at"], tz),
    }


# --- credit notes ------------------------------------------------------------------------------


# The credit note columns the representation reads (its invoice's number, date and customer too).
CREDIT_NOTE_COLUMNS = (
    "id",
    "number",
    "status",
    "version",
    "invoice_id",
    "invoice_number",
    "invoice_issue_date",
    "business_id",
    "currency",
    "reason",
    "issue_date",
    "discount_type",
    "discount_value",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "tax_breakdown",
    "vat_exemption_reasons",
    "issued_at",
    "sent_at",
    "created_at",
    "updated_at",
)


def present_credit_notes(notes: Iterable, *, organization) -> list[dict]:
    """Credit notes with their lines, in the order given (one query for all the lines)."""
    notes = list(notes)
    if not notes:
        return []
    lines = selectors.credit_note_item_rows(organization=organization, credit_note_ids=[n.pk for n in notes])
    tz = timezone.get_current_timezone()
    return [_credit_note_dict(note, lines.get(note.pk, ()), tz) for note in notes]


def present_credit_note(note, *, organization) -> dict:
    return present_credit_notes([note], organization=organization)[0]


def _credit_note_dict(note, lines, tz) -> dict:
    amount = _amount_in(note.currency)
    return {
        "id": str(note.pk),
        "number": note.number,
        "status": note.status,
        "version": note.version,
        "invoice": str(note.invoice_id),
        "invoice_number": note.invoice_number or note.invoice.number,
        "invoice_issue_date": iso_date(note.invoice_issue_date or note.invoice.issue_date),
        "business": str(note.business_id),
        "customer": str(note.invoice.customer_id),
        "currency": note.currency,
        "reason": note.reason,
        "issue_date": iso_date(note.issue_date),
        "discount_type": note.discount_type,
        "discount_value": amount(note.discount_value)
        if note.discount_type == DiscountType.AMOUNT
        else plain_decimal(note.discount_value),
        "items": _items(lines, amount),
        "subtotal": amount(note.subtotal),
        "discount_total": amount(note.discount_total),
        "tax_total": amount(note.tax_total),
        "total": amount(note.total),
        "tax_breakdown": [_tax_row(tax, amount) for tax in note.tax_breakdown or ()],
        "vat_exemption_reasons": note.vat_exemption_reasons or {},
        "issued_at": timestamp(note.issued_at, tz),
        "sent_at": timestamp(note.sent_at, tz),
        "created_at": timestamp(note.created_at, tz),
        "updated_at": timestamp(note.updated_at, tz),
    }


# --- recurring invoices ------------------------------------------------------------------------

LAST_DAY_OF_MONTH = "last"


def present_recurring_invoices(templates: Iterable, *, organization) -> list[dict]:
    """Recurring templates with their items, in the order given (one query for all items)."""
    templates = list(templates)
    if not templates:
        return []
    lines = selectors.recurring_line_rows(organization=organization, template_ids=[t.pk for t in templates])
    tz = timezone.get_current_timezone()
    return [_recurring_dict(t, lines.get(t.pk, ()), organization.time_zone, tz) for t in templates]


def present_recurring_invoice(template, *, organization) -> dict:
    return present_recurring_invoices([template], organization=organization)[0]


def _recurring_dict(template, lines, time_zone: str, tz) -> dict:
    currency = template.currency
    day = template.day_of_month
    return {
        "id": str(template.pk),
        "name": template.name,
        "business": str(template.business_id),
        "customer": str(template.customer_id),
        "currency": currency,
        "discount_type": template.discount_type,
        "discount_value": money(template.discount_value, currency)
        if template.discount_type == DiscountType.AMOUNT
        else plain_decimal(template.discount_value),
        "notes": template.notes,
        "terms": template.terms,
        "items": [
            {
                "id": str(line_id),
                "description": description,
                "quantity": plain_decimal(quantity),
                "unit_price": plain_decimal(unit_price),
                "tax_rate": plain_decimal(tax_rate),
                "vat_category": vat_category,
            }
            for line_id, description, quantity, unit_price, tax_rate, vat_category in lines
        ],
        "vat_exemption_reasons": template.vat_exemption_reasons,
        "frequency": template.frequency,
        "day_of_month": LAST_DAY_OF_MONTH if day == 0 else day,
        "start_date": iso_date(template.start_date),
        "end_date": iso_date(template.end_date),
        "count": template.count,
        "skip_weekends": template.skip_weekends,
        "mode": template.mode,
        "time_zone": time_zone,
        "max_catch_up": template.max_catch_up,
        "paused": template.paused,
        "next_run_date": iso_date(template.next_run_date),
        "last_period": iso_date(template.last_period),
        "last_run_at": timestamp(template.last_run_at, tz),
        "skipped_count": template.skipped_count,
        "last_error": template.last_error,
        "created_at": timestamp(template.created_at, tz),
        "updated_at": timestamp(template.updated_at, tz),
    }


def recurring_run_dict(run, tz=None) -> dict:
    """One period of a template's history; ``invoice_number`` is null for a draft."""
    invoice = run.invoice if run.invoice_id else None
    return {
        "id": str(run.pk),
        "recurring_invoice": str(run.template_id),
        "period": iso_date(run.period),
        "run_date": iso_date(run.run_date),
        "status": run.status,
        "invoice": str(run.invoice_id) if run.invoice_id else None,
        "invoice_number": invoice.number if invoice else None,
        "email_queued": run.email_queued,
        "note": run.note,
        "created_at": timestamp(run.created_at, tz),
    }


# --- statements -------------------------------------------------------------------------------


def _statement_line_dict(line, currency: str) -> dict:
    return {
        "kind": line.kind,
        "id": str(line.id),
        "date": iso_date(line.date),
        "number": line.number or "",
        "invoice": str(line.invoice_id),
        "invoice_number": line.invoice_number or "",
        "due_date": iso_date(line.due_date),
        "method": line.method or None,
        "amount": money(line.amount, currency),
        "balance": money(line.balance, currency),
    }


def statement_dict(statement) -> dict:
    """A ``billing.statements.Statement``: the period and, per currency, the opening balance,
    the lines with the balance after each, and the closing balance."""
    return {
        "customer": str(statement.customer.pk),
        "start": iso_date(statement.start),
        "end": iso_date(statement.end),
        "currencies": [
            {
                "currency": section.currency,
                "opening_balance": money(section.opening_balance, section.currency),
                "lines": [_statement_line_dict(line, section.currency) for line in section.lines],
                "closing_balance": money(section.closing_balance, section.currency),
            }
            for section in statement.currencies
        ],
    }
