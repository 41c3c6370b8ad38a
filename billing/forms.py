"""Web forms: they shape what the browser sends; the services decide what is valid.

Amounts, quantities and rates travel as text into ``billing.services`` (which parse them with
``billing.validation``: no float, no exponent, no silent rounding), so a form field here is a
plain ``CharField`` and the service's ``BillingValidationError`` is shown next to the field.
"""

from django import forms
from django.core.exceptions import ValidationError

from billing import validation
from billing.models import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_SUBJECT,
    DEFAULT_NUMBER_FORMAT,
    DiscountType,
    PaymentMethod,
)

LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}

# Service error keys that are not form fields end up above the form.
NON_FIELD_KEYS = {"non_field_errors", "detail", "__all__"}


class BillingForm(forms.Form):
    """Labels without a colon, and a way to show a service's field errors."""

    template_name_div = "billing/forms/div.html"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, errors: dict, *, skip=()):
        """Attach ``BillingValidationError.errors`` to the matching fields (others: form-wide)."""
        for key, messages in errors.items():
            if key in skip:
                continue
            for message in _flatten(messages):
                if key in self.fields:
                    self.add_error(key, message)
                elif key in NON_FIELD_KEYS:
                    self.add_error(None, message)
                else:
                    self.add_error(None, f"{key.replace('_', ' ').capitalize()}: {message}")


def _flatten(messages):
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _flatten(v)]
    out = []
    for message in messages or []:
        out.extend(_flatten(message))
    return out


def _text(max_length, **kwargs):
    kwargs.setdefault("required", False)
    return forms.CharField(max_length=max_length, **kwargs)


def _textarea(max_length, rows=3, **kwargs):
    kwargs.setdefault("required", False)
    return forms.CharField(max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _currency_field(**kwargs):
    return forms.CharField(
        min_length=3,
        max_length=3,
        widget=forms.TextInput(attrs={"list": "currency-codes", "autocapitalize": "characters", "size": 4}),
        help_text="ISO 4217 code, e.g. EUR, USD, JPY.",
        **kwargs,
    )


def _clean_currency(value, *, required=True):
    """The service's own currency rule, so its message shows along with the other fields'."""
    value = (value or "").strip().upper()
    if not value and not required:
        return ""
    try:
        return validation.parse_currency(value)
    except validation.InvalidValue as exc:
        raise ValidationError(exc.message) from None


def _decimal_text(label, **kwargs):
    """A decimal typed by a person: kept as text, parsed and checked by the service."""
    kwargs.setdefault("required", True)
    return forms.CharField(
        label=label,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class BusinessForm(BillingForm):
    name = _text(200, required=True)
    legal_name = _text(200)
    email = forms.EmailField(required=False, help_text="Reply-To of invoice emails.")
    phone = _text(50)
    address = _textarea(1000)
    tax_id = _text(50, label="Tax ID")
    default_currency = _currency_field(initial="EUR")
    payment_terms_days = forms.IntegerField(
        min_value=0, max_value=365, initial=30, label="Payment terms (days)", help_text="Due date = issue date + this."
    )
    invoice_number_format = _text(
        50,
        required=True,
        initial=DEFAULT_NUMBER_FORMAT,
        label="Number format",
        help_text="Tokens: {YYYY}, {YY}, {MM}, {SEQ}.",
    )
    invoice_number_width = forms.IntegerField(
        min_value=1, max_value=12, initial=4, label="Sequence width", help_text="{SEQ} is zero-padded to this width."
    )
    invoice_number_yearly_reset = forms.BooleanField(
        required=False, initial=True, label="Restart the sequence every year"
    )
    default_notes = _textarea(5000)
    default_terms = _textarea(5000)
    payment_instructions = _textarea(2000, help_text="Printed on the invoice, e.g. bank details.")
    logo = forms.ImageField(
        required=False,
        help_text="PNG or JPEG, at most 1 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(LOGO_FORMATS.values())}),
    )
    email_subject_template = _text(
        200,
        required=True,
        initial=DEFAULT_EMAIL_SUBJECT,
        label="Email subject",
        help_text="Placeholders: {number}, {business_name}.",
    )
    email_body_template = _textarea(
        5000,
        rows=6,
        required=True,
        initial=DEFAULT_EMAIL_BODY,
        label="Email body",
        help_text="Placeholders: {customer_name}, {number}, {total}, {due_date}, {business_name}.",
    )

    def clean_default_currency(self):
        return _clean_currency(self.cleaned_data["default_currency"])

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or not hasattr(logo, "image"):  # unchanged, or cleared
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError("The logo must be at most 1 MB.")
        # ImageField has already opened it with Pillow; trust what Pillow saw, not the name.
        if logo.image.format not in LOGO_FORMATS:
            raise ValidationError("The logo must be a PNG or JPEG image.")
        return logo


class CustomerForm(BillingForm):
    name = _text(200, required=True)
    email = forms.EmailField(required=False)
    phone = _text(50)
    billing_address = _textarea(1000)
    tax_id = _text(50, label="Tax ID")
    currency = _currency_field()
    notes = _textarea(5000)

    def clean_currency(self):
        return _clean_currency(self.cleaned_data["currency"])


class CustomerFilterForm(BillingForm):
    q = forms.CharField(required=False, label="Search", max_length=200)
    archived = forms.ChoiceField(
        required=False,
        label="Show",
        choices=[("", "Active customers"), ("true", "Archived customers"), ("all", "All customers")],
    )


class InvoiceForm(BillingForm):
    """The invoice header. Items come from the line-item editor (``parse_item_rows``)."""

    business = forms.ChoiceField()
    customer = forms.ChoiceField()
    currency = _currency_field(required=False)
    issue_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    discount_type = forms.ChoiceField(choices=DiscountType.choices, initial=DiscountType.NONE, label="Discount")
    discount_value = _decimal_text(
        "Discount value", required=False, help_text="A percent (0-100) or an amount, by the discount type."
    )
    notes = _textarea(5000)
    terms = _textarea(5000)

    def __init__(self, *args, businesses=(), customers=(), locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business"].choices = [(str(b.pk), b.name) for b in businesses]
        self.fields["customer"].choices = [("", "Choose a customer")] + [
            (str(c.pk), c.name + (" (archived)" if c.archived else "")) for c in customers
        ]
        self.fields["currency"].help_text = "Defaults to the business's currency."
        self.fields["issue_date"].help_text = "Defaults to today."
        self.fields["due_date"].help_text = "Defaults to the business's payment terms."
        if locked:
            # After issue, seller, buyer and currency are fixed (billing-rules.md).
            for name in ("business", "customer", "currency"):
                self.fields[name].disabled = True

    def clean_currency(self):
        return _clean_currency(self.cleaned_data.get("currency"), required=False)

    def service_data(self) -> dict:
        data = {}
        for name in ("business", "customer", "currency", "issue_date", "due_date", "discount_type"):
            if self.fields[name].disabled:
                continue
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                data[name] = value
        data["discount_value"] = (self.cleaned_data.get("discount_value") or "").strip() or "0"
        data["notes"] = self.cleaned_data.get("notes", "")
        data["terms"] = self.cleaned_data.get("terms", "")
        return data


class InvoiceFilterForm(BillingForm):
    q = forms.CharField(required=False, label="Search", max_length=200, help_text="Number or customer name")
    customer = forms.ChoiceField(required=False)
    issue_date_after = forms.DateField(required=False, label="Issued from", widget=forms.DateInput({"type": "date"}))
    issue_date_before = forms.DateField(required=False, label="Issued until", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "All customers")] + [(str(c.pk), c.name) for c in customers]


class PaymentForm(BillingForm):
    amount = _decimal_text("Amount")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    reference = _text(200)
    note = _textarea(2000, rows=2)


class VoidPaymentForm(BillingForm):
    reason = forms.CharField(max_length=500, help_text="Why this payment is voided; kept in the history.")


# --- Line-item editor -----------------------------------------------------------------

ITEM_FIELDS = ("description", "quantity", "unit_price", "tax_rate")
MAX_ROWS = 500


class ItemRow:
    """One row of the editor as typed, with its errors (from the service) and its line net."""

    def __init__(self, index, values=None, errors=None):
        self.index = index
        self.values = dict.fromkeys(ITEM_FIELDS, "") | (values or {})
        self.errors = errors or {}
        self.line_net = None

    @property
    def is_blank(self):
        return not any(str(v).strip() for v in self.values.values())

    def as_service_item(self):
        return {name: str(self.values[name]).strip() for name in ITEM_FIELDS}

    def error_list(self, name):
        return _flatten(self.errors.get(name, []))


def parse_item_rows(data) -> list[ItemRow]:
    """Rows ``items-<n>-<field>`` from POST data, in the order of ``n``; blank rows dropped."""
    indexes = set()
    for key in data:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and parts[2] in ITEM_FIELDS:
            indexes.add(int(parts[1]))
    rows = []
    for index in sorted(indexes)[: MAX_ROWS + 1]:
        values = {name: data.get(f"items-{index}-{name}", "") for name in ITEM_FIELDS}
        row = ItemRow(len(rows), values)
        if not row.is_blank:
            rows.append(row)
    return rows


def rows_from_items(items) -> list[ItemRow]:
    return [
        ItemRow(
            i,
            {
                "description": item.description,
                "quantity": _plain(item.quantity),
                "unit_price": _plain(item.unit_price),
                "tax_rate": _plain(item.tax_rate),
            },
        )
        for i, item in enumerate(items)
    ]


def _plain(value):
    """``12.5000`` -> ``12.5``, ``80.0000`` -> ``80``: what a person would have typed."""
    text = format(value.normalize(), "f")
    return text


def apply_editor_action(rows: list[ItemRow], action: str) -> list[ItemRow]:
    """add / remove-<i> / up-<i> / down-<i>: the editor's buttons, handled on the server."""
    rows = list(rows)
    name, _, arg = (action or "").partition("-")
    index = int(arg) if arg.isdigit() else -1
    if name == "add" and len(rows) < MAX_ROWS:
        rows.append(ItemRow(len(rows), {"quantity": "1", "tax_rate": _default_rate(rows)}))
    elif name == "remove" and 0 <= index < len(rows):
        rows.pop(index)
    elif name == "up" and 0 < index < len(rows):
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif name == "down" and 0 <= index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    for i, row in enumerate(rows):
        row.index = i
    return rows


def _default_rate(rows):
    # A new line most likely carries the same tax rate as the one above it.
    return rows[-1].values.get("tax_rate", "") if rows else "0"


def attach_item_errors(rows: list[ItemRow], item_errors) -> list[str]:
    """Spread ``{"items": [{}, {"quantity": [...]}]}`` over the rows; returns list-level messages."""
    if isinstance(item_errors, list) and all(isinstance(e, dict) for e in item_errors):
        for row, errors in zip(rows, item_errors, strict=False):
            row.errors = errors
        return []
    return _flatten(item_errors)
