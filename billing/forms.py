"""Web forms: they translate what the browser sends into the services' arguments, nothing more.

Every rule and bound lives in ``billing.validation`` and the services, whoever calls them. A
field here takes the text as typed (trimmed; a decimal comma becomes a point) and decides
nothing; ``add_service_errors`` puts each message of the service's ``BillingValidationError``
on the field its path names (``items.3.quantity``: the quantity of the fourth line). Widgets
only help typing (input modes, date pickers, the currency list) and never refuse a value.
"""

from babel import Locale
from django import forms
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from billing import validation, vat
from billing.addresses import country_choices
from billing.exceptions import BillingValidationError
from billing.models import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_SUBJECT,
    DEFAULT_NUMBER_FORMAT,
    DOCUMENT_LANGUAGES,
    DiscountType,
    EInvoiceFormat,
    PaymentMethod,
    RecurringFrequency,
    RecurringMode,
    VatCategory,
)
from billora.formatting import formats_for

# Service error keys that are not form fields end up above the form.
NON_FIELD_KEYS = {"non_field_errors", "detail", "__all__"}


def decimal_from_input(text) -> str:
    """A decimal as the services take it: a person's decimal comma ("1,5", as French and
    German write it) becomes a point; anything else stays as typed, for the service to accept
    or explain (digit grouping such as "1.000,5" is refused there: "1.000" is ambiguous)."""
    text = str(text or "").strip()
    if text.count(",") == 1 and "." not in text:
        return text.replace(",", ".")
    return text


class InputField(forms.Field):
    """Text as the browser sent it, trimmed ("" when empty). No checks of its own."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return "" if value in self.empty_values else str(value).strip()


class DecimalInputField(InputField):
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        return decimal_from_input(super().to_python(value))


class ChoiceInputField(InputField):
    """A select whose value goes to the service as it is (the service knows the choices)."""

    widget = forms.Select

    def __init__(self, *, choices=(), **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    @property
    def choices(self):
        return self.widget.choices

    @choices.setter
    def choices(self, value):
        self.widget.choices = list(value)


class ExemptionReasonsWidget(forms.MultiWidget):
    """A reason text and a VATEX code for each exempt category, each input with its own label.
    Groups of categories not in ``shown`` start hidden (``static/js/vat-reasons.js`` shows the
    ones the lines use); ``shown=None`` shows them all."""

    def __init__(self, attrs=None):
        widgets = {}
        for category in vat.EXEMPTION_REASON_CATEGORIES:
            widgets[f"{category}_text"] = forms.TextInput()
            widgets[f"{category}_code"] = forms.TextInput(
                attrs={"list": "vatex-codes", "autocapitalize": "characters", "size": 18}
            )
        super().__init__(widgets, attrs)
        self.shown = None

    def decompress(self, value):
        value = value or {}
        return [
            (value.get(category) or {}).get(part, "")
            for category in vat.EXEMPTION_REASON_CATEGORIES
            for part in validation.EXEMPTION_REASON_FIELDS
        ]

    def render(self, name, value, attrs=None, renderer=None):
        values = value if isinstance(value, list) else self.decompress(value)
        base_id = (attrs or {}).get("id") or f"id_{name}"
        inputs = []
        for index, (suffix, widget) in enumerate(zip(self.widgets_names, self.widgets, strict=True)):
            input_id = f"{base_id}{suffix}"
            value = values[index] if index < len(values) else ""
            inputs.append((input_id, widget.render(name + suffix, value, {"id": input_id}, renderer)))
        groups = []
        for index, category in enumerate(vat.EXEMPTION_REASON_CATEGORIES):
            label = VatCategory(category).label
            text_label = gettext("%(category)s: reason") % {"category": label}
            code_label = gettext("%(category)s: VATEX code (optional)") % {"category": label}
            (text_id, text_html), (code_id, code_html) = inputs[2 * index], inputs[2 * index + 1]
            groups.append(
                format_html(
                    '<div class="vat-reason form-grid" data-vat-reason="{}"{}>'
                    '<div class="field"><label for="{}">{}</label>{}</div>'
                    '<div class="field"><label for="{}">{}</label>{}</div></div>',
                    category,
                    " hidden" if self.shown is not None and category not in self.shown else "",
                    text_id,
                    text_label,
                    text_html,
                    code_id,
                    code_label,
                    code_html,
                )
            )
        options = format_html_join("", '<option value="{}">{}</option>', VATEX_SUGGESTIONS)
        return format_html(
            '<div class="vat-reasons" data-vat-reasons>{}</div><datalist id="vatex-codes">{}</datalist>',
            mark_safe("".join(groups)),  # each group was escaped by format_html
            options,
        )

    def id_for_label(self, id_):
        return ""  # every input has its own label; the group's legend points at none


# Codes offered while typing; any VATEX code EN 16931 knows is accepted.
VATEX_SUGGESTIONS = (
    ("VATEX-EU-AE", _("Reverse charge")),
    ("VATEX-EU-IC", _("Intra-community supply")),
    ("VATEX-EU-G", _("Export outside the EU")),
    ("VATEX-EU-O", _("Not subject to VAT")),
    ("VATEX-EU-132", _("Exempt, art. 132 Directive 2006/112/EC")),
    ("VATEX-EU-309", _("Travel agents, art. 309 Directive 2006/112/EC")),
    ("VATEX-FR-FRANCHISE", _("France: franchise en base, art. 293 B CGI")),
)


class ExemptionReasonsField(forms.MultiValueField):
    """The services' ``vat_exemption_reasons`` ({"AE": {"text", "code"}}) from its inputs: entries
    with neither a text nor a code are left out. No checks: the service words every error."""

    widget = ExemptionReasonsWidget

    def __init__(self, **kwargs):
        fields = [InputField() for _ in vat.EXEMPTION_REASON_CATEGORIES for _ in validation.EXEMPTION_REASON_FIELDS]
        kwargs.setdefault("label", _("VAT exemption reasons"))
        super().__init__(fields, required=False, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        values = iter(data_list or [""] * len(self.fields))
        reasons = {}
        for category in vat.EXEMPTION_REASON_CATEGORIES:
            text, code = next(values), next(values)
            if text or code:
                reasons[category] = {"text": text, "code": code}
        return reasons

    def path_label(self, rest: str) -> str:
        """``AE.code`` -> ``Reverse charge code``: a service error path below this field, in words."""
        category, _, part = rest.partition(".")
        name = VatCategory(category).label if category in VatCategory.values else category
        if part == "code":
            return gettext("%(category)s code") % {"category": name}
        return gettext("%(category)s reason") % {"category": name}


class UploadField(forms.FileField):
    """The uploaded file as it came, False when "clear" is ticked; the service checks it."""

    def to_python(self, data):
        return data or None


def _textarea(rows=3, **kwargs):
    return InputField(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _date(**kwargs):
    return InputField(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _integer(**kwargs):
    return InputField(widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}), **kwargs)


def _currency(**kwargs):
    kwargs.setdefault("label", _("Currency"))
    kwargs.setdefault("help_text", _("ISO 4217 code, e.g. EUR, USD, JPY."))
    return InputField(
        widget=forms.TextInput(attrs={"list": "currency-codes", "autocapitalize": "characters", "size": 4}), **kwargs
    )


class BillingForm(forms.Form):
    """Labels without a colon, and a way to show a service's field errors."""

    template_name_div = "billing/forms/div.html"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, exc: BillingValidationError, *, skip=()):
        """Each message on the field its path names; others above the form, labelled."""
        for path, messages in exc.messages.items():
            head, _, rest = path.partition(".")
            if head in skip:
                continue
            for message in messages:
                if path in self.fields:
                    self.add_error(path, message)
                elif hasattr(self.fields.get(head), "path_label"):  # a field made of several inputs
                    self.add_error(head, f"{self.fields[head].path_label(rest)}: {message}")
                elif path in NON_FIELD_KEYS:
                    self.add_error(None, message)
                else:
                    self.add_error(None, f"{path_label(path)}: {message}")


# Path parts whose plain spelling would read wrong ("Vat id").
PATH_WORDS = {
    "vat_id": _("VAT number"),
    "vat_category": _("VAT category"),
    "vat_exemption_reasons": _("exemption reason:"),
}


def path_label(path: str) -> str:
    """``items.3.quantity`` -> ``Items 4 quantity``, ``customer.vat_id`` -> ``Customer VAT number``,
    ``vat_exemption_reasons.AE`` -> ``Exemption reason: reverse charge``: a field path as a person reads it."""
    words = []
    for part in path.split("."):
        if part.isdigit():
            words.append(str(int(part) + 1))
        elif part in PATH_WORDS:
            words.append(str(PATH_WORDS[part]))
        elif part in VatCategory.values:
            words.append(VatCategory(part).label.lower())
        else:
            words.append(part.replace("_", " "))
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _logo_help():
    return gettext("PNG or JPEG, at most %(megabytes)s MB.") % {"megabytes": validation.LOGO_MAX_BYTES // 2**20}


def language_choices():
    """The document languages, each named in itself ("Deutsch"), as people look for them."""
    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in DOCUMENT_LANGUAGES]


class PartyForm(BillingForm):
    """The postal address and identifiers that businesses and customers share."""

    address_line1 = InputField(label=_("Street and number"))
    address_line2 = InputField(label=_("Address line 2"), help_text=_("Building, suite, PO box."))
    postcode = InputField(label=_("Postcode"))
    city = InputField(label=_("City"))
    country = ChoiceInputField(label=_("Country"))
    vat_id = InputField(label=_("VAT number"), help_text=_("With its country prefix, e.g. FR40303265045."))
    legal_registration_id = InputField(label=_("Company registration number"), help_text=_("e.g. SIREN, HRB 12345."))
    tax_id = InputField(label=_("Local tax number"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choose a country")), *country_choices(get_language() or "en")]


class BusinessForm(PartyForm):
    name = InputField(label=_("Name"))
    legal_name = InputField(label=_("Legal name"))
    email = InputField(widget=forms.EmailInput, label=_("Email"), help_text=_("Reply-To of invoice emails."))
    phone = InputField(label=_("Phone"))
    contact_name = InputField(label=_("Contact person"), help_text=_("Named on e-invoices with the email and phone."))
    peppol_id = InputField(label=_("Peppol ID"), help_text=_("scheme:id, e.g. 0208:0123456789."))
    facturx = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Send Factur-X PDFs"),
        help_text=_(
            "The invoice PDF (download and email) carries the e-invoice (CII XML) inside, as PDF/A-3. "
            "Recommended in the EU."
        ),
    )
    iban = InputField(label=_("IBAN"))
    bic = InputField(label=_("BIC"))
    language = ChoiceInputField(choices=language_choices(), initial="en", label=_("Document language"))
    legal_mentions = _textarea(
        label=_("Legal mentions"),
        help_text=_("Printed in every invoice's footer: share capital, registration court, ..."),
    )
    default_currency = _currency(initial="EUR", label=_("Default currency"))
    payment_terms_days = _integer(
        initial=30, label=_("Payment terms (days)"), help_text=_("Due date = issue date + this.")
    )
    invoice_number_format = InputField(
        initial=DEFAULT_NUMBER_FORMAT, label=_("Number format"), help_text=_("Tokens: {YYYY}, {YY}, {MM}, {SEQ}.")
    )
    invoice_number_width = _integer(
        initial=4, label=_("Sequence width"), help_text=_("{SEQ} is zero-padded to this width.")
    )
    invoice_number_yearly_reset = forms.BooleanField(
        required=False, initial=True, label=_("Restart the sequence every year")
    )
    default_notes = _textarea(label=_("Default notes"))
    default_terms = _textarea(label=_("Default terms"))
    payment_instructions = _textarea(
        label=_("Payment instructions"), help_text=_("Printed under the bank account, e.g. other ways to pay.")
    )
    logo = UploadField(
        required=False,
        label=_("Logo"),
        help_text=lazy(_logo_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    email_subject_template = InputField(
        initial=DEFAULT_EMAIL_SUBJECT,
        label=_("Email subject"),
        help_text=_("Placeholders: {number}, {business_name}. The built-in text is sent in the customer's language."),
    )
    email_body_template = _textarea(
        rows=6,
        initial=DEFAULT_EMAIL_BODY,
        label=_("Email body"),
        help_text=_("Placeholders: {customer_name}, {number}, {total}, {due_date}, {business_name}."),
    )
    default_vat_category = ChoiceInputField(
        choices=VatCategory.choices,
        initial=VatCategory.STANDARD,
        label=_("Default VAT category"),
        help_text=_("New lines start with it; a standard-rate line at 0% becomes zero rated."),
    )
    vat_exemption_reasons = ExemptionReasonsField(
        help_text=_(
            "Printed beside the VAT breakdown of invoices with lines in that category, "
            "e.g. “VAT exempt under § 19 UStG”. The VATEX code is optional."
        )
    )

    def clean_default_vat_category(self):
        # A select always sends a value; a post without one keeps the standard default.
        return self.cleaned_data["default_vat_category"] or VatCategory.STANDARD


class CustomerForm(PartyForm):
    name = InputField(label=_("Name"))
    email = InputField(widget=forms.EmailInput, label=_("Email"))
    phone = InputField(label=_("Phone"))
    language = ChoiceInputField(
        choices=[("", _("Same as the business")), *language_choices()], label=_("Document language")
    )
    buyer_reference = InputField(
        label=_("Buyer reference"), help_text=_("Their order or routing reference (Leitweg-ID).")
    )
    peppol_id = InputField(label=_("Peppol ID"), help_text=_("scheme:id, e.g. 0208:0123456789."))
    einvoice_format = ChoiceInputField(
        choices=EInvoiceFormat.choices,
        initial=EInvoiceFormat.PDF,
        label=_("Invoice emails attach"),
        help_text=_("XRechnung and Peppol send the XML with the PDF; the invoice must have what the format needs."),
    )
    currency = _currency()
    notes = _textarea(label=_("Notes"))

    def clean_einvoice_format(self):
        # A select always sends a value; a post without one keeps the PDF.
        return self.cleaned_data["einvoice_format"] or EInvoiceFormat.PDF


class CustomerFilterForm(BillingForm):
    q = forms.CharField(required=False, label=_("Search"), max_length=200)
    archived = forms.ChoiceField(
        required=False,
        label=_("Show"),
        choices=[("", _("Active customers")), ("true", _("Archived customers")), ("all", _("All customers"))],
    )


class PartyChoiceField(ChoiceInputField):
    """The business or customer of a document; the service's errors about what that party lacks
    (``customer.vat_id``) are shown on it, in words ("VAT number: ...")."""

    def path_label(self, rest: str) -> str:
        return path_label(rest)


class DocumentForm(BillingForm):
    """What invoices and recurring invoices share above and below the line-item editor
    (``parse_item_rows``): parties, currency, discount, notes, terms and exemption reasons."""

    business = PartyChoiceField(label=_("Business"))
    customer = PartyChoiceField(label=_("Customer"))
    currency = _currency(help_text=_("Defaults to the business's currency."))
    discount_type = ChoiceInputField(choices=DiscountType.choices, initial=DiscountType.NONE, label=_("Discount"))
    discount_value = DecimalInputField(
        label=_("Discount value"),
        help_text=_("A percent or an amount in the invoice's currency, by the discount type."),
    )
    notes = _textarea(label=_("Notes"))
    terms = _textarea(label=_("Terms"))
    vat_exemption_reasons = ExemptionReasonsField(
        help_text=_("Why no VAT is charged on the lines in these categories; printed beside the VAT breakdown.")
    )
    # The header fields sent to the service when filled in (an empty one takes its default).
    optional_fields = ("business", "customer", "currency", "discount_type")

    def __init__(self, *args, businesses=(), customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business"].choices = [(str(b.pk), b.name) for b in businesses]
        archived = _("%(name)s (archived)")
        self.fields["customer"].choices = [("", _("Choose a customer"))] + [
            (str(c.pk), archived % {"name": c.name} if c.archived else c.name) for c in customers
        ]

    def service_data(self) -> dict:
        data = {}
        for name in self.optional_fields:
            if self.fields[name].disabled:
                continue
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                data[name] = value
        data["discount_value"] = self.cleaned_data.get("discount_value") or "0"
        data["notes"] = self.cleaned_data.get("notes", "")
        data["terms"] = self.cleaned_data.get("terms", "")
        data["vat_exemption_reasons"] = self.cleaned_data.get("vat_exemption_reasons") or {}
        return data

    def show_exemption_reasons(self, categories) -> None:
        """Show the reason inputs of these categories (the ones the lines use) from the start."""
        self.fields["vat_exemption_reasons"].widget.shown = set(categories)
        self.exemption_reasons_shown = bool(set(categories) & set(vat.EXEMPTION_REASON_CATEGORIES))


class InvoiceForm(DocumentForm):
    """The invoice header. Items come from the line-item editor (``parse_item_rows``)."""

    issue_date = _date(label=_("Issue date"), help_text=_("Today, unless you change it."))
    due_date = _date(
        label=_("Due date"), help_text=_("The issue date plus the business's payment terms, unless you change it.")
    )
    optional_fields = (*DocumentForm.optional_fields, "issue_date", "due_date")

    def __init__(self, *args, locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if locked:
            # After issue, seller, buyer and currency are fixed (billing-rules.md).
            for name in ("business", "customer", "currency"):
                self.fields[name].disabled = True


def _day_of_month_choices():
    days = [(str(day), str(day)) for day in range(1, 32)]
    return [("", _("The start date's day")), *days, (validation.LAST_DAY_OF_MONTH, _("The last day of the month"))]


class RecurringInvoiceForm(DocumentForm):
    """A recurring invoice: the document's fields, its schedule and what each run does."""

    name = InputField(label=_("Name"), help_text=_("For you, e.g. “Monthly retainer”; not printed."))
    frequency = ChoiceInputField(
        choices=RecurringFrequency.choices, initial=RecurringFrequency.MONTHLY, label=_("Every")
    )
    day_of_month = ChoiceInputField(
        choices=_day_of_month_choices(),
        label=_("Day of the month"),
        help_text=_("Monthly, quarterly and yearly schedules; a month without that day uses its last day."),
    )
    start_date = _date(label=_("Start date"), help_text=_("The first invoice is on or after it."))
    end_date = _date(label=_("End date"), help_text=_("Optional: no invoice after it."))
    count = _integer(label=_("Number of invoices"), help_text=_("Optional: the schedule ends after this many."))
    skip_weekends = forms.BooleanField(
        required=False,
        label=_("Never on weekends"),
        help_text=_("An invoice that falls on a Saturday or Sunday is made on the next Monday."),
    )
    mode = ChoiceInputField(choices=RecurringMode.choices, initial=RecurringMode.ISSUE_AND_SEND, label=_("Each run"))
    max_catch_up = _integer(
        initial=3,
        label=_("Catch-up limit"),
        help_text=_(
            "After a pause in the service or a start date in the past, at most this many past periods are "
            "invoiced at once; older ones are skipped, never invoiced."
        ),
    )
    optional_fields = (*DocumentForm.optional_fields, "start_date", "max_catch_up")
    # Cleared by leaving them empty.
    nullable_fields = ("day_of_month", "end_date", "count")

    def service_data(self) -> dict:
        data = super().service_data()
        data["name"] = self.cleaned_data.get("name", "")
        data["frequency"] = self.cleaned_data.get("frequency", "")
        data["mode"] = self.cleaned_data.get("mode") or RecurringMode.ISSUE_AND_SEND
        data["skip_weekends"] = bool(self.cleaned_data.get("skip_weekends"))
        for name in self.nullable_fields:
            data[name] = self.cleaned_data.get(name) or None
        return data


class InvoiceFilterForm(BillingForm):
    q = forms.CharField(
        required=False, label=_("Search"), max_length=200, help_text=_("Number, customer name or total")
    )
    customer = forms.ChoiceField(required=False, label=_("Customer"))
    issue_date_after = forms.DateField(required=False, label=_("Issued from"), widget=forms.DateInput({"type": "date"}))
    issue_date_before = forms.DateField(
        required=False, label=_("Issued until"), widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", _("All customers"))] + [(str(c.pk), c.name) for c in customers]


class PaymentForm(BillingForm):
    amount = DecimalInputField(label=_("Amount"))
    date = _date(label=_("Date"))
    method = ChoiceInputField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER, label=_("Method"))
    reference = InputField(label=_("Reference"))
    note = _textarea(rows=2, label=_("Note"))


class RefundForm(PaymentForm):
    """A refund: a payment of kind ``refund`` (what the customer is owed after a credit note)."""


class CorrectionForm(BillingForm):
    reason = InputField(required=False, help_text="Printed on the credit note.")


class VoidPaymentForm(BillingForm):
    reason = InputField(label=_("Reason"), help_text=_("Why this payment is voided; kept in the history."))


# --- Line-item editor -----------------------------------------------------------------

ITEM_FIELDS = validation.ITEM_FIELDS
DECIMAL_ITEM_FIELDS = ("quantity", "unit_price", "tax_rate")
# What a new line starts with, and the fields it takes over from the line above.
FRESH_LINE = {"quantity": "1"}
CARRIED_ITEM_FIELDS = ("tax_rate", "vat_category")


class ItemRow:
    """One row of the editor as typed, with its errors (from the service) and its line net."""

    def __init__(self, index, values=None, errors=None):
        self.index = index
        self.values = dict.fromkeys(ITEM_FIELDS, "") | (values or {})
        self.errors = errors or {}
        self.line_net = None
        self.field_index = index  # the <n> of its fields as sent, where blank rows were dropped

    @property
    def is_blank(self):
        """Nothing typed: every field empty or as a fresh line starts (quantity 1); a rate
        carried over from the line above does not make a line."""
        return all(
            str(value).strip() in ("", FRESH_LINE.get(name, ""))
            for name, value in self.values.items()
            if name not in CARRIED_ITEM_FIELDS
        )

    def as_service_item(self):
        item = {name: str(self.values[name]).strip() for name in ITEM_FIELDS}
        for name in DECIMAL_ITEM_FIELDS:
            item[name] = decimal_from_input(item[name])
        return item


def parse_item_rows(data, *, keep_blank=False) -> list[ItemRow]:
    """Rows ``items-<n>-<field>`` from POST data, in the order of ``n``; blank rows dropped
    (kept with ``keep_blank``, for the editor's buttons, whose line numbers count them).
    One row more than an invoice may have is read, so the service says what is wrong."""
    indexes = set()
    for key in data:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and parts[2] in ITEM_FIELDS:
            indexes.add(int(parts[1]))
    rows = []
    for index in sorted(indexes)[: validation.MAX_ITEMS + 1]:
        values = {name: data.get(f"items-{index}-{name}", "") for name in ITEM_FIELDS}
        row = ItemRow(len(rows), values)
        row.field_index = index
        if keep_blank or not row.is_blank:
            rows.append(row)
    return rows


def rows_from_items(items) -> list[ItemRow]:
    return [
        ItemRow(
            i,
            {
                "description": item.description,
                "quantity": typed_decimal(item.quantity),
                "unit_price": typed_decimal(item.unit_price),
                "tax_rate": typed_decimal(item.tax_rate),
                "vat_category": item.vat_category,
            },
        )
        for i, item in enumerate(items)
    ]


def typed_decimal(value) -> str:
    """``12.5000`` -> ``12.5`` (``12,5`` in French), ``80.0000`` -> ``80``: what a person
    would have typed, in the page's language."""
    return formats_for().input_number(value)


def apply_editor_action(rows: list[ItemRow], action: str, *, default_category: str = "S") -> list[ItemRow]:
    """add / remove-<i> / up-<i> / down-<i>: the editor's buttons, handled on the server.
    A new line takes the rate and VAT category of the line above, the first one
    ``new_row_values(default_category)``."""
    rows = list(rows)
    name, _sep, arg = (action or "").partition("-")
    index = int(arg) if arg.isdigit() else -1
    # One empty line at the end is enough: "add" on it only brings the focus there.
    if name == "add" and len(rows) < validation.MAX_ITEMS and not (rows and rows[-1].is_blank):
        if rows:
            category = rows[-1].values.get("vat_category") or default_category
            values = {**FRESH_LINE, "tax_rate": _default_rate(rows), "vat_category": category}
        else:
            values = new_row_values(default_category)
        rows.append(ItemRow(len(rows), values))
    elif name == "remove" and 0 <= index < len(rows):
        rows.pop(index)
    elif name == "up" and 0 < index < len(rows):
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif name == "down" and 0 <= index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    for i, row in enumerate(rows):
        row.index = i
    return rows


def new_row_values(default_category: str) -> dict:
    """The first line of a new invoice: the business's default category, at 0% unless it is the
    standard rate (whose rate the person types)."""
    rate = "" if default_category == VatCategory.STANDARD else "0"
    return {"quantity": "1", "tax_rate": rate, "vat_category": default_category}


def _default_rate(rows):
    # A new line most likely carries the same tax rate as the one above it.
    return rows[-1].values.get("tax_rate", "") if rows else "0"


def attach_item_errors(rows: list[ItemRow], exc: BillingValidationError) -> list[str]:
    """Put each ``items.<n>.<field>`` message on row n's field; returns the messages about the
    list as a whole (``items``), shown above the rows."""
    list_messages = []
    for path, messages in exc.messages.items():
        head, _sep, rest = path.partition(".")
        if head != "items":
            continue
        index, _sep, name = rest.partition(".")
        if index.isdigit() and int(index) < len(rows):
            rows[int(index)].errors.setdefault(name or "non_field_errors", []).extend(messages)
        else:
            list_messages.extend(messages)
    return list_messages


class ReminderScheduleForm(BillingForm):
    """Up to five reminder steps, one row each; a row without days is not a step. The service
    checks everything; its ``reminder_steps.N.field`` errors land on the row's field."""

    ROWS = 5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fee_types = [("none", _("No late fee")), ("fixed", _("Fixed amount")), ("percent", _("Percent of the balance"))]
        for row in range(self.ROWS):
            self.fields[f"offset_days_{row}"] = _integer(
                label=_("Days from the due date"), help_text=_("Negative: before it, e.g. -3; 7: a week after.")
            )
            self.fields[f"subject_{row}"] = InputField(label=_("Subject"))
            self.fields[f"body_{row}"] = _textarea(rows=6, label=_("Message"))
            self.fields[f"late_fee_type_{row}"] = ChoiceInputField(choices=fee_types, label=_("Late fee"))
            self.fields[f"late_fee_value_{row}"] = InputField(
                label=_("Fee"), help_text=_("An amount, or a percentage of the open balance.")
            )

    def rows(self):
        """The bound fields of each row, for the template."""
        names = ("offset_days", "subject", "body", "late_fee_type", "late_fee_value")
        return [{name: self[f"{name}_{row}"] for name in names} for row in range(self.ROWS)]

    def steps(self) -> tuple[list[dict], list[int]]:
        """The rows with days, as the service takes them, and each one's row number."""
        steps, rows = [], []
        for row in range(self.ROWS):
            if self.cleaned_data.get(f"offset_days_{row}") in ("", None):
                continue
            steps.append(
                {
                    name: self.cleaned_data.get(f"{name}_{row}") or ""
                    for name in ("offset_days", "subject", "body", "late_fee_type", "late_fee_value")
                }
            )
            rows.append(row)
        return steps, rows

    def add_step_errors(self, exc: BillingValidationError, rows: list[int]) -> None:
        for path, messages in exc.messages.items():
            parts = path.split(".")
            field = None
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                field = f"{parts[2]}_{rows[int(parts[1])]}"
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @staticmethod
    def initial_for(steps) -> dict:
        initial = {}
        for row, step in enumerate(steps):
            initial |= {
                f"offset_days_{row}": step.offset_days,
                f"subject_{row}": step.subject,
                f"body_{row}": step.body,
                f"late_fee_type_{row}": step.late_fee_type,
                f"late_fee_value_{row}": typed_decimal(step.late_fee_value) if step.late_fee_value else "",
            }
        return initial
