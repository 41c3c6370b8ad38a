"""Billing API serializers: the OpenAPI schema of each resource, and the translation of a
request body into the services' arguments. They never write a response: ``billing.presenters``
does, for list, detail and writes alike.

A body is checked against what the schema declares for it (JSON types, nulls, required
fields, the lengths and choices the schema lists, decimals and ids as strings); the billing
rules are the services' (``billing.validation``), and the API returns their field errors as
they are. Invoice items and ids are handed over untouched: the service validates every item,
and looks each id up in the key's organization.
"""

import copy

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from billing.models import (
    DOCUMENT_LANGUAGES,
    Business,
    CreditNote,
    CreditNoteItem,
    CreditNoteStatus,
    Customer,
    DiscountType,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    LateFeeType,
    Payment,
    PaymentKind,
    PaymentMethod,
    RecurringFrequency,
    RecurringInvoice,
    RecurringInvoiceLine,
    RecurringMode,
    RecurringRun,
    ReminderSkipReason,
    ReminderStatus,
    VatCategory,
)
from billing.presenters import invoice_extras
from billing.validation import BUSINESS_COUNTRY_MESSAGE
from billing.vat import EXEMPTION_REASON_CATEGORIES

DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
NOT_A_STRING = 'Send decimals as strings (e.g. "12.50"), not JSON numbers.'
ITEM_DECIMALS = ("quantity", "unit_price", "tax_rate")


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN, "example": "12.50", "maxLength": 40}
)
class DecimalStringField(serializers.Field):
    """A decimal that travels as a JSON string. JSON numbers are refused: a binary float cannot
    hold money exactly. The text is parsed (places, bounds) by ``billing.validation``."""

    default_error_messages = {"not_a_string": NOT_A_STRING}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return data


@extend_schema_field({"type": "string", "format": "decimal", "example": "1234.50"})
class MoneyField(serializers.Field):
    """Money in a response, with exactly the places of the currency (schema only)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.UUID)
class ReferenceField(serializers.Field):
    """An id in the body, handed to the service as the string it is: the service looks it up in
    the key's organization, and an unknown id and another organization's id get the same
    message on the field (no existence leak)."""

    default_error_messages = {"incorrect_type": "Must be an id (UUID string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("incorrect_type")
        return data


EXEMPTION_REASON_SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "maxLength": 500},
        "code": {"type": "string", "maxLength": 30, "example": "VATEX-EU-AE"},
    },
    "additionalProperties": False,
}


@extend_schema_field(
    {
        "type": "object",
        "properties": dict.fromkeys(EXEMPTION_REASON_CATEGORIES, EXEMPTION_REASON_SCHEMA),
        "additionalProperties": False,
        "example": {"AE": {"text": "Reverse charge", "code": "VATEX-EU-AE"}},
    }
)
class ExemptionReasonsField(serializers.Field):
    """The exemption reason (text, BT-120) and VATEX code (BT-121) per exempt VAT category,
    handed to the service as it came: ``billing.validation`` checks it, by path
    (``vat_exemption_reasons.AE.code``)."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


# --- strict JSON types ---------------------------------------------------------------------------
# DRF coerces 123 to "123" and "5" to 5; the schema promises types, so a wrong JSON type is a 400.


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
    }

    def get_fields(self):
        # DRF rebuilds every model-derived field from the model's metadata for each serializer
        # it creates (each request body, and the items' nested serializer). The result depends only
        # on the class, so it is built once per class; each instance still gets its own copy,
        # since fields are bound to their serializer.
        cls = type(self)
        template = cls.__dict__.get("_unbound_fields")
        if template is None:
            template = super().get_fields()
            cls._unbound_fields = template
        return copy.deepcopy(template)


# --- businesses and customers ------------------------------------------------------------------


ADDRESS_HELP = "The postal address as printed, one line per line (read-only: set the structured fields)."
PARTY_ADDRESS_FIELDS = ["address_line1", "address_line2", "postcode", "city", "country"]
# Typed identifiers may carry spaces, dots and dashes; the service stores them compact.
PARTY_EXTRA_KWARGS = {
    "country": {"help_text": "ISO 3166-1 alpha-2 code, e.g. FR."},
    "vat_id": {"max_length": 40, "help_text": "VAT number with its country prefix, e.g. FR40303265045."},
    "peppol_id": {"help_text": "Peppol participant id as scheme:id, e.g. 0208:0123456789."},
}


class ReminderStepSerializer(serializers.Serializer):
    """One step of a reminder schedule (validated by the service, every error by its path)."""

    offset_days = serializers.IntegerField(help_text="Days from the due date, -365 to 365; negative: before it.")
    subject = serializers.CharField(
        required=False, allow_blank=True, help_text="Placeholders as in the invoice email; blank: the built-in one."
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Also {balance}, {days_overdue} and {open_invoices} (what the customer has open; added at the end "
        "when not used); blank: the built-in text, sent in the customer's language.",
    )
    late_fee_type = serializers.ChoiceField(choices=LateFeeType.choices, required=False, default=LateFeeType.NONE)
    late_fee_value = DecimalStringField(
        required=False,
        help_text="fixed: an amount in the invoice's currency; percent: of the open balance. Charged as a "
        "separate late fee invoice.",
    )


class ReminderStepsField(serializers.ListField):
    """Passed to the service as sent: it validates and reports ``reminder_steps.N.field``."""

    def to_internal_value(self, data):
        return data


class BusinessSerializer(StrictModelSerializer):
    address = serializers.CharField(read_only=True, help_text=ADDRESS_HELP)
    reminder_steps = ReminderStepsField(
        child=ReminderStepSerializer(),
        required=False,
        max_length=5,
        help_text="Payment reminders: at most 5 steps, distinct offsets; on PATCH, replaces the schedule.",
    )
    language = serializers.ChoiceField(choices=DOCUMENT_LANGUAGES, required=False, help_text="Document language.")
    vat_exemption_reasons = ExemptionReasonsField(
        required=False, help_text="The reason new invoices print for each exempt category they use (E, AE, K, G, O)."
    )

    class Meta:
        model = Business
        fields = [
            "id",
            "name",
            "legal_name",
            "email",
            "phone",
            "address",
            *PARTY_ADDRESS_FIELDS,
            "tax_id",
            "vat_id",
            "legal_registration_id",
            "iban",
            "bic",
            "language",
            "legal_mentions",
            "contact_name",
            "peppol_id",
            "facturx",
            "default_currency",
            "payment_terms_days",
            "invoice_number_format",
            "invoice_number_width",
            "invoice_number_yearly_reset",
            "credit_note_number_format",
            "credit_note_number_width",
            "credit_note_number_yearly_reset",
            "default_notes",
            "default_terms",
            "default_vat_category",
            "vat_exemption_reasons",
            "reminder_steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            **PARTY_EXTRA_KWARGS,
            "country": {
                "required": True,
                "error_messages": {"required": BUSINESS_COUNTRY_MESSAGE},
                "help_text": "ISO 3166-1 alpha-2 code, e.g. FR (BT-40).",
            },
            "default_currency": {"required": False},
            "default_vat_category": {"required": False},
            "iban": {
                "max_length": 50,
                "help_text": "IBAN of the account customers pay to, e.g. DE89370400440532013000.",
            },
            "bic": {"max_length": 20, "help_text": "BIC (SWIFT code) of that account, e.g. COBADEFFXXX."},
            "facturx": {
                "required": False,
                "help_text": "The invoice PDF (download and email) is the Factur-X file, with the CII XML "
                "inside. Default: on for businesses in the EU.",
            },
        }


class CustomerSerializer(StrictModelSerializer):
    billing_address = serializers.CharField(read_only=True, help_text=ADDRESS_HELP)
    language = serializers.ChoiceField(
        choices=("", *DOCUMENT_LANGUAGES),
        required=False,
        allow_blank=True,
        help_text="Document language; blank: the business's.",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "billing_address",
            *PARTY_ADDRESS_FIELDS,
            "tax_id",
            "vat_id",
            "legal_registration_id",
            "language",
            "buyer_reference",
            "peppol_id",
            "einvoice_format",
            "currency",
            "notes",
            "archived",
            "reminders_enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            **PARTY_EXTRA_KWARGS,
            "currency": {"required": False},
            "reminders_enabled": {"required": False, "help_text": "Off: no payment reminder goes to this customer."},
            "einvoice_format": {
                "required": False,
                "help_text": "What invoice emails attach: pdf (the business's PDF), facturx, xrechnung or peppol "
                "(the XML with the PDF).",
            },
        }


# --- invoices ------------------------------------------------------------------------------------


class ItemListSerializer(serializers.ListSerializer):
    """An invoice's ``items``, handed to the service as they came: ``billing.validation`` checks
    every item and shapes the errors as api.md does (``{"items": [{}, {"quantity": ["..."]}]}``).
    Only what the service cannot tell is checked here: a decimal sent as a JSON number (to a
    Python caller, an int is a fine quantity), in the same per-item shape."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            message = self.error_messages["not_a_list"].format(input_type=type(data).__name__)
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}, code="not_a_list")
        errors = [_json_number_errors(item) for item in data]
        if any(errors):
            raise serializers.ValidationError(errors)
        return [dict(item) if isinstance(item, dict) else item for item in data]


def _json_number_errors(item) -> dict:
    if not isinstance(item, dict):
        return {}  # the service words this one
    return {
        field: [NOT_A_STRING]
        for field in ITEM_DECIMALS
        if item.get(field) is not None and not isinstance(item[field], str)
    }


def tax_rate_field():
    return DecimalStringField(
        required=False, help_text="Percent, 0 to 100, at most 3 decimal places; above 0 for S, 0 for the others."
    )


def vat_category_field():
    """A line's VAT category, on invoice items and recurring template lines alike."""
    return serializers.ChoiceField(
        choices=VatCategory.choices,
        required=False,
        help_text="UNCL 5305 (BT-151). Default: S above a 0 rate; at 0, the business's default category, else Z.",
    )


class InvoiceItemSerializer(StrictModelSerializer):
    quantity = DecimalStringField(help_text="> 0, at most 4 decimal places.")
    unit_price = DecimalStringField(help_text=">= 0, at most 4 decimal places.")
    tax_rate = tax_rate_field()
    vat_category = vat_category_field()
    line_total = MoneyField(help_text="quantity x unit_price")

    class Meta:
        model = InvoiceItem
        list_serializer_class = ItemListSerializer
        fields = ["id", "description", "quantity", "unit_price", "tax_rate", "vat_category", "line_total"]
        read_only_fields = ["id"]
        extra_kwargs = {"description": {"trim_whitespace": False, "allow_blank": True}}


class TaxRowSerializer(serializers.Serializer):
    """One row of the VAT breakdown (BG-23) per (category, rate)."""

    category = serializers.ChoiceField(choices=VatCategory.choices, help_text="UNCL 5305 (BT-118).")
    rate = serializers.CharField(help_text="Percent.")
    taxable_amount = serializers.CharField()
    tax_amount = serializers.CharField()
    exemption_reason = serializers.CharField(help_text="BT-120; empty for S and Z.")
    exemption_reason_code = serializers.CharField(help_text="VATEX code (BT-121), or empty.")


class InvoiceSerializer(StrictModelSerializer):
    """POST and PATCH bodies, and the schema of every invoice in a response (written by
    ``billing.presenters.present_invoices``, with the fields other apps register there)."""

    business = ReferenceField()
    customer = ReferenceField()
    currency = StrictCharField(required=False, max_length=3, help_text="Default: the business's currency.")
    issue_date = serializers.DateField(required=False, help_text="Default: today.")
    due_date = serializers.DateField(required=False, help_text="Default: issue date + the business's payment terms.")
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, required=False)
    discount_value = DecimalStringField(
        required=False, help_text="Percent (0 to 100) or an amount in the invoice's currency."
    )
    items = InvoiceItemSerializer(many=True, required=False, help_text="On PATCH, replaces the whole list.")
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    subtotal = MoneyField()
    discount_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField()
    amount_paid = MoneyField()
    credited_total = MoneyField(help_text="The sum of the issued credit notes' totals.")
    amount_refunded = MoneyField(help_text="The sum of the refunds not voided.")
    balance_due = MoneyField(
        help_text="total - credited_total - amount_paid + amount_refunded; negative: a refund is due."
    )
    tax_breakdown = TaxRowSerializer(many=True, read_only=True)
    vat_exemption_reasons = ExemptionReasonsField(
        required=False,
        help_text="Per exempt category the lines use. Default: the business's, when a category first appears; "
        "kept only for categories the lines use. Required for each of them at issue.",
    )
    replaces = serializers.UUIDField(read_only=True, allow_null=True, help_text="The invoice this one corrects.")
    replaced_by = serializers.UUIDField(read_only=True, allow_null=True, help_text="The invoice correcting this one.")
    credit_notes = serializers.ListField(
        child=serializers.UUIDField(), read_only=True, help_text="The issued credit notes, oldest first."
    )
    reminders_enabled = serializers.BooleanField(
        read_only=True, help_text="Payment reminders for this invoice; set through /reminders/."
    )
    late_fee_for = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="On a late fee invoice: the invoice whose reminder charged it."
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "is_overdue",
            "version",
            "business",
            "customer",
            "currency",
            "issue_date",
            "due_date",
            "discount_type",
            "discount_value",
            "notes",
            "terms",
            "items",
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
            "replaces",
            "reminders_enabled",
            "late_fee_for",
            "issued_at",
            "sent_at",
            "created_at",
            "updated_at",
            "replaced_by",
            "credit_notes",
        ]
        read_only_fields = ["id", "number", "version", "issued_at", "sent_at", "created_at", "updated_at"]
        extra_kwargs = {
            "notes": {"required": False, "allow_blank": True, "trim_whitespace": False},
            "terms": {"required": False, "allow_blank": True, "trim_whitespace": False},
        }

    def get_fields(self):
        fields = super().get_fields()
        for name, extra in invoice_extras().items():  # e.g. documents' ``document``
            fields[name] = extra.schema_field()
        return fields

    def get_validators(self):
        # No model-derived checks: the (business, number) uniqueness is the numbering's, in
        # the service, and DRF's check would query the database from the serializer.
        return []

    def service_data(self) -> dict:
        """The body as the service takes it: the fields declared here, values as they came
        (the service parses and validates them); unknown and read-only fields are left out."""
        return dict(self.validated_data)


# --- payments ------------------------------------------------------------------------------------


class PaymentSerializer(StrictModelSerializer):
    invoice = ReferenceField()
    kind = serializers.ChoiceField(
        choices=PaymentKind.choices, required=False, help_text="refund: money paid back to the customer."
    )
    amount = DecimalStringField(
        help_text="> 0 and at most the balance due (a refund: at most what the customer is owed, -balance_due), "
        "in the invoice's currency."
    )
    date = serializers.DateField(required=False, help_text="Default: today; never in the future.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    recorded_by = serializers.CharField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "kind",
            "amount",
            "date",
            "method",
            "reference",
            "note",
            "voided",
            "voided_at",
            "void_reason",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["id", "voided", "voided_at", "void_reason", "recorded_by", "created_at"]
        extra_kwargs = {
            "reference": {"required": False, "allow_blank": True},
            "note": {"required": False, "allow_blank": True},
        }


class CreditNoteItemSerializer(InvoiceItemSerializer):
    class Meta(InvoiceItemSerializer.Meta):
        model = CreditNoteItem


class CreditNoteSerializer(StrictModelSerializer):
    """POST and PATCH bodies of credit notes, and the schema of every credit note in a response
    (written by ``billing.presenters.present_credit_notes``)."""

    invoice = ReferenceField(help_text="An issued invoice; fixed once the credit note exists.")
    issue_date = serializers.DateField(required=False, help_text="Default: today.")
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, required=False)
    discount_value = DecimalStringField(required=False, help_text="Percent (0 to 100) or an amount.")
    items = CreditNoteItemSerializer(
        many=True,
        required=False,
        help_text=(
            "Each in a VAT category and rate the invoice uses, crediting no more of that category and rate "
            "(amount or VAT) than is left of it; on PATCH, replaces the whole list."
        ),
    )
    full = StrictBooleanField(
        required=False,
        write_only=True,
        help_text=(
            "true: credit everything not yet credited (instead of items): per VAT category and rate exactly "
            "the amount and VAT left, so the total is the invoice's total - credited_total."
        ),
    )
    status = serializers.ChoiceField(choices=CreditNoteStatus.choices, read_only=True)
    invoice_number = serializers.CharField(read_only=True)
    invoice_issue_date = serializers.DateField(read_only=True)
    business = serializers.UUIDField(read_only=True)
    customer = serializers.UUIDField(read_only=True)
    currency = serializers.CharField(read_only=True, help_text="The invoice's.")
    subtotal = MoneyField()
    discount_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField(help_text="At most what is left to credit on the invoice (total - credited_total).")
    tax_breakdown = TaxRowSerializer(many=True, read_only=True)
    vat_exemption_reasons = serializers.DictField(read_only=True, help_text="The invoice's.")

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "status",
            "version",
            "invoice",
            "invoice_number",
            "invoice_issue_date",
            "business",
            "customer",
            "currency",
            "reason",
            "issue_date",
            "discount_type",
            "discount_value",
            "items",
            "full",
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
        ]
        read_only_fields = ["id", "number", "version", "issued_at", "sent_at", "created_at", "updated_at"]
        extra_kwargs = {"reason": {"required": False, "allow_blank": True, "trim_whitespace": False}}

    def get_validators(self):
        return []


class InvoiceCorrectionSerializer(serializers.Serializer):
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        trim_whitespace=False,
        help_text="Printed on the credit note.",
    )


class InvoiceCorrectedSerializer(serializers.Serializer):
    credit_note = CreditNoteSerializer(read_only=True)
    invoice = InvoiceSerializer(read_only=True, help_text="The new draft, linked by replaces.")


class PaymentVoidSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, help_text="Why the payment is void (kept with it).")


@extend_schema_field(OpenApiTypes.NONE)
class EmptyBody(serializers.Serializer):
    """Actions that take no body."""


# --- recurring invoices ----------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "integer", "minimum": 1, "maximum": 31}, {"type": "string", "enum": ["last"]}],
        "nullable": True,
        "description": 'Day 1 to 31 (a shorter month uses its last day) or "last". '
        "Monthly, quarterly and yearly only; default: the start date's day.",
    }
)
class DayOfMonthField(serializers.Field):
    """An integer or "last", handed to the service as it came (``billing.validation``)."""

    default_error_messages = {"invalid": 'Must be an integer from 1 to 31 or "last".'}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        return data


class RecurringItemSerializer(StrictModelSerializer):
    quantity = DecimalStringField(help_text="> 0, at most 4 decimal places.")
    unit_price = DecimalStringField(help_text=">= 0, at most 4 decimal places.")
    tax_rate = tax_rate_field()
    vat_category = vat_category_field()

    class Meta:
        model = RecurringInvoiceLine
        list_serializer_class = ItemListSerializer
        fields = ["id", "description", "quantity", "unit_price", "tax_rate", "vat_category"]
        read_only_fields = ["id"]
        extra_kwargs = {"description": {"trim_whitespace": False, "allow_blank": True}}


class RecurringInvoiceSerializer(StrictModelSerializer):
    """POST and PATCH bodies of recurring invoice templates, and the schema of every template in
    a response (written by ``billing.presenters.present_recurring_invoices``)."""

    business = ReferenceField()
    customer = ReferenceField()
    currency = StrictCharField(required=False, max_length=3, help_text="Default: the business's currency.")
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, required=False)
    discount_value = DecimalStringField(
        required=False, help_text="Percent (0 to 100) or an amount in the template's currency."
    )
    items = RecurringItemSerializer(many=True, help_text="At least one; on PATCH, replaces the whole list.")
    vat_exemption_reasons = ExemptionReasonsField(
        required=False,
        help_text="Per exempt category the lines use, kept only for those. Each invoice takes the business's "
        "reason for a category not given here; issuing needs one for each category.",
    )
    frequency = serializers.ChoiceField(choices=RecurringFrequency.choices)
    day_of_month = DayOfMonthField()
    start_date = serializers.DateField(required=False, help_text="Default: today in the organization's time zone.")
    end_date = serializers.DateField(required=False, allow_null=True, help_text="No period after this date.")
    count = StrictIntegerField(required=False, allow_null=True, help_text="End after this many periods (1 to 1000).")
    mode = serializers.ChoiceField(choices=RecurringMode.choices, required=False, help_text="Default: issue_and_send.")
    max_catch_up = StrictIntegerField(
        required=False,
        help_text="At most this many invoices (1 to 24, default 3) per run; older due periods are skipped.",
    )
    time_zone = serializers.CharField(read_only=True, help_text="The organization's: it decides what day it is.")
    next_run_date = serializers.DateField(read_only=True, allow_null=True, help_text="Null: the schedule has ended.")
    last_period = serializers.DateField(read_only=True, allow_null=True)
    skipped_count = serializers.IntegerField(read_only=True, help_text="Periods skipped by the catch-up limit.")

    class Meta:
        model = RecurringInvoice
        fields = [
            "id",
            "name",
            "business",
            "customer",
            "currency",
            "discount_type",
            "discount_value",
            "notes",
            "terms",
            "items",
            "vat_exemption_reasons",
            "frequency",
            "day_of_month",
            "start_date",
            "end_date",
            "count",
            "skip_weekends",
            "mode",
            "time_zone",
            "max_catch_up",
            "paused",
            "next_run_date",
            "last_period",
            "last_run_at",
            "skipped_count",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "paused", "last_run_at", "last_error", "created_at", "updated_at"]
        extra_kwargs = {
            "name": {"required": False, "allow_blank": True},
            "notes": {"required": False, "allow_blank": True, "trim_whitespace": False},
            "terms": {"required": False, "allow_blank": True, "trim_whitespace": False},
            "skip_weekends": {"required": False},
        }

    def get_validators(self):
        return []


class RecurringRunSerializer(serializers.Serializer):
    """One period of a template's history (schema only: ``billing.presenters.recurring_run_dict``)."""

    id = serializers.UUIDField()
    recurring_invoice = serializers.UUIDField()
    period = serializers.DateField(help_text="The period's scheduled date, before any weekend shift.")
    run_date = serializers.DateField(help_text="The invoice's issue date.")
    status = serializers.ChoiceField(choices=RecurringRun.Status.choices)
    invoice = serializers.UUIDField(allow_null=True, help_text="Null when skipped (or the draft was deleted).")
    invoice_number = serializers.CharField(allow_null=True)
    email_queued = serializers.BooleanField()
    note = serializers.CharField(help_text="Why the invoice was skipped or not sent.")
    created_at = serializers.DateTimeField()


class StatementLineSerializer(serializers.Serializer):
    """One line of a statement (schema only: ``billing.presenters.statement_dict``)."""

    kind = serializers.ChoiceField(choices=["invoice", "credit_note", "payment", "refund"])
    id = serializers.UUIDField(help_text="The invoice's, credit note's or payment's id.")
    date = serializers.DateField(help_text="Issue date (invoices, credit notes) or payment date.")
    number = serializers.CharField(help_text="The invoice's or credit note's number; a payment's reference.")
    invoice = serializers.UUIDField(help_text="The invoice itself, or the one the line is on.")
    invoice_number = serializers.CharField()
    due_date = serializers.DateField(allow_null=True, help_text="Invoices only.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices, allow_null=True, help_text="Payments and refunds.")
    amount = serializers.CharField(
        help_text="Signed: an invoice or refund adds to the balance, a credit note or payment takes from it."
    )
    balance = serializers.CharField(help_text="The balance after this line.")


class StatementCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    opening_balance = serializers.CharField(help_text="Everything dated before the period.")
    lines = StatementLineSerializer(many=True)
    closing_balance = serializers.CharField()


class StatementSerializer(serializers.Serializer):
    """A customer's statement of account (schema only)."""

    customer = serializers.UUIDField()
    start = serializers.DateField()
    end = serializers.DateField()
    currencies = StatementCurrencySerializer(many=True, help_text="One per currency, alphabetical.")


# --- payment reminders ---------------------------------------------------------------------------


class ReminderSerializer(serializers.Serializer):
    step = serializers.IntegerField(read_only=True, help_text="The step's number in the schedule, by offset.")
    date = serializers.DateField(read_only=True, help_text="The due date plus the step's offset.")
    status = serializers.ChoiceField(choices=ReminderStatus.choices, read_only=True)
    upcoming = serializers.BooleanField(read_only=True, help_text="A step still to come (not queued yet).")
    reason = serializers.ChoiceField(
        choices=ReminderSkipReason.choices, read_only=True, help_text="Why it was skipped."
    )
    note = serializers.CharField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    late_fee_invoice = serializers.UUIDField(read_only=True, allow_null=True)


class InvoiceRemindersSerializer(serializers.Serializer):
    reminders_enabled = StrictBooleanField(help_text="Off: no payment reminder for this invoice.")
    reminders = ReminderSerializer(many=True, read_only=True)
