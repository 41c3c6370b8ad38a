"""Billing API serializers: they translate JSON to the services' input and models to JSON.

The rules (precision, bounds, states) live in ``billing.validation`` and ``billing.services``;
serializers only check the JSON shape: decimals must arrive as strings, ids must be UUIDs of
the key's organization, and money goes out with exactly its currency's places.
"""

import copy
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.calc import currency_exponent, quantize_money
from billing.models import Business, Customer, DiscountType, Invoice, InvoiceItem, Payment, PaymentMethod
from billing.validation import MAX_DESCRIPTION_LENGTH
from organizations.tenancy import get_in_organization

DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
NOT_FOUND = "Object does not exist."


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


_PLAIN: dict = {}
_PLAIN_MAX = 10_000
_TIMESTAMP = serializers.DateTimeField()


def timestamp(value, tz=None) -> str | None:
    """A datetime exactly as DRF renders it everywhere else in the API (ISO 8601 in the current
    time zone, "Z" for UTC), without DRF's per-call settings lookups. ``tz``: the current
    time zone, when the caller already has it."""
    if value is None:
        return None
    if value.tzinfo is None:
        return _TIMESTAMP.to_representation(value)
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def money_unit(currency) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def money_text(value, currency) -> str | None:
    """Exactly the currency's minor-unit places: JPY "1500", EUR "12.50", KWD "1.250"."""
    if value is None:
        return None
    return str(quantize_money(Decimal(value), currency))


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN, "example": "12.50", "maxLength": 40}
)
class DecimalStringField(serializers.Field):
    """A decimal that travels as a JSON string. JSON numbers are refused: a binary float cannot
    hold money exactly. The text is parsed (places, bounds) by ``billing.validation``."""

    default_error_messages = {
        "not_a_string": 'Send decimals as strings (e.g. "12.50"), not JSON numbers.',
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return data

    def to_representation(self, value):
        return plain_decimal(value)


@extend_schema_field({"type": "string", "format": "decimal", "example": "1234.50"})
class MoneyField(serializers.Field):
    """Money, formatted with exactly the places of the currency found at ``currency_path``
    on the object (``"currency"`` on an invoice, ``"invoice.currency"`` on a payment)."""

    def __init__(self, currency_path="currency", **kwargs):
        kwargs["read_only"] = True
        self.currency_path = currency_path.split(".")
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        currency = instance
        for name in self.currency_path:
            currency = getattr(currency, name)
        return value, currency

    def to_representation(self, value):
        amount, currency = value
        return money_text(amount, currency)


@extend_schema_field(OpenApiTypes.UUID)
class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """An id in the body, looked up in the key's organization only: an unknown id and another
    organization's id get the same message (no existence leak)."""

    default_error_messages = {
        "does_not_exist": NOT_FOUND,
        "incorrect_type": "Must be an id (UUID string).",
    }

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        organization = self.context["view"].organization
        return self.model.objects.filter(organization=organization)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = uuid.UUID(data)
        except ValueError:
            self.fail("does_not_exist", pk_value=data)
        obj = get_in_organization(self.model, self.context["view"].organization, pk)
        if obj is None:
            self.fail("does_not_exist", pk_value=data)
        return obj


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
        # it creates (twice per invoice POST, with the item serializer). The result depends only
        # on the class, so it is built once per class; each instance still gets its own copy,
        # since fields are bound to their serializer.
        cls = type(self)
        template = cls.__dict__.get("_unbound_fields")
        if template is None:
            template = super().get_fields()
            cls._unbound_fields = template
        return copy.deepcopy(template)


# --- businesses and customers ------------------------------------------------------------------


class BusinessSerializer(StrictModelSerializer):
    class Meta:
        model = Business
        fields = [
            "id",
            "name",
            "legal_name",
            "email",
            "phone",
            "address",
            "tax_id",
            "default_currency",
            "payment_terms_days",
            "invoice_number_format",
            "invoice_number_width",
            "invoice_number_yearly_reset",
            "default_notes",
            "default_terms",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"default_currency": {"required": False}}


class CustomerSerializer(StrictModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "billing_address",
            "tax_id",
            "currency",
            "notes",
            "archived",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"currency": {"required": False}}


# --- invoices ------------------------------------------------------------------------------------


class ItemListSerializer(serializers.ListSerializer):
    """Item errors as api.md shapes them: a list with one entry per item, ``{}`` for a valid one
    (``{"items": [{}, {"quantity": ["..."]}]}``), whatever DRF's list-error setting says."""

    def to_internal_value(self, data):
        plain = plain_items(data)
        if plain is not None:
            return plain
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and detail and all(isinstance(index, int) for index in detail):
                raise serializers.ValidationError([detail.get(index, {}) for index in range(len(data))]) from None
            raise


def plain_items(data) -> list[dict] | None:
    """What DRF's item validation returns for a list of plainly well-formed items (objects whose
    fields are strings, the description within its bounds), without its per-field machinery:
    about a millisecond for ten items, on every invoice POST (issue 7's create target). None
    when anything is off; DRF then validates item by item and words the errors.
    ``test_plain_items_are_what_drf_returns`` keeps the two equal."""
    if type(data) is not list:
        return None
    items = []
    for raw in data:
        if type(raw) is not dict:
            return None
        description = raw.get("description")
        if type(description) is not str or len(description) > MAX_DESCRIPTION_LENGTH or "\x00" in description:
            return None
        quantity, unit_price = raw.get("quantity"), raw.get("unit_price")
        if type(quantity) is not str or type(unit_price) is not str:
            return None
        item = {"description": description, "quantity": quantity, "unit_price": unit_price}
        if "tax_rate" in raw:
            if type(raw["tax_rate"]) is not str:
                return None
            item["tax_rate"] = raw["tax_rate"]
        items.append(item)
    return items


class InvoiceItemSerializer(StrictModelSerializer):
    quantity = DecimalStringField(help_text="> 0, at most 4 decimal places.")
    unit_price = DecimalStringField(help_text=">= 0, at most 4 decimal places.")
    tax_rate = DecimalStringField(required=False, help_text="Percent, 0 to 100, at most 3 decimal places.")
    line_total = MoneyField(source="line_net", currency_path="invoice.currency", help_text="quantity x unit_price")

    class Meta:
        model = InvoiceItem
        list_serializer_class = ItemListSerializer
        fields = ["id", "description", "quantity", "unit_price", "tax_rate", "line_total"]
        read_only_fields = ["id"]
        extra_kwargs = {"description": {"trim_whitespace": False, "allow_blank": True}}


class ItemRow:
    """An invoice item as the list endpoint reads it: plain values, no model instance."""

    __slots__ = ("description", "line_net", "pk", "quantity", "tax_rate", "unit_price")

    FIELDS = ("id", "description", "quantity", "unit_price", "tax_rate", "line_net")

    def __init__(self, pk, description, quantity, unit_price, tax_rate, line_net):
        self.pk, self.description, self.quantity = pk, description, quantity
        self.unit_price, self.tax_rate, self.line_net = unit_price, tax_rate, line_net


def attach_item_rows(invoices, item_queryset) -> None:
    """Load the items of ``invoices`` in one query of plain rows (no model instances: a page
    of 100 invoices can have thousands of items) and hang them on each invoice."""
    by_invoice = {invoice.pk: [] for invoice in invoices}
    if by_invoice:
        rows = (
            item_queryset.filter(invoice_id__in=list(by_invoice))
            .order_by("invoice_id", "position")
            .values_list("invoice_id", *ItemRow.FIELDS)
        )
        for invoice_id, *values in rows:
            by_invoice[invoice_id].append(ItemRow(*values))
    for invoice in invoices:
        invoice.item_rows = by_invoice[invoice.pk]


def items_of(invoice):
    rows = getattr(invoice, "item_rows", None)
    return rows if rows is not None else invoice.items.all()


class TaxRowSerializer(serializers.Serializer):
    rate = serializers.CharField(help_text="Percent.")
    taxable_amount = serializers.CharField()
    tax_amount = serializers.CharField()


class InvoiceSerializer(StrictModelSerializer):
    """POST and PATCH bodies, and every invoice in a response."""

    business = TenantRelatedField(Business)
    customer = TenantRelatedField(Customer)
    currency = StrictCharField(required=False, max_length=3, help_text="Default: the business's currency.")
    issue_date = serializers.DateField(required=False, help_text="Default: today.")
    due_date = serializers.DateField(required=False, help_text="Default: issue date + the business's payment terms.")
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, required=False)
    discount_value = DecimalStringField(
        required=False, help_text="Percent (0 to 100) or an amount in the invoice's currency."
    )
    items = InvoiceItemSerializer(many=True, required=False, help_text="On PATCH, replaces the whole list.")
    is_overdue = serializers.SerializerMethodField()
    subtotal = MoneyField()
    discount_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField()
    amount_paid = MoneyField()
    balance_due = MoneyField()
    tax_breakdown = serializers.SerializerMethodField()

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
            "balance_due",
            "tax_breakdown",
            "issued_at",
            "sent_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "number", "status", "version", "issued_at", "sent_at", "created_at", "updated_at"]
        extra_kwargs = {
            "notes": {"required": False, "allow_blank": True, "trim_whitespace": False},
            "terms": {"required": False, "allow_blank": True, "trim_whitespace": False},
        }

    def get_validators(self):
        # DRF derives a (business, number) unique check from the model. On create it can never
        # fire (number is read-only, None until issue, and NULLs are distinct) but it still builds
        # a queryset per request (issue 7); updates keep it.
        return [] if self.instance is None else super().get_validators()

    def get_is_overdue(self, invoice) -> bool:
        annotated = getattr(invoice, "is_overdue", None)
        if annotated is not None:
            return bool(annotated)
        today = getattr(self, "_today", None)
        if today is None:  # once per response: the organization's date does not change mid-list
            today = self._today = self.context["view"].organization.local_today()
        return invoice.is_overdue_on(today)

    @extend_schema_field(TaxRowSerializer(many=True))
    def get_tax_breakdown(self, invoice):
        return [
            {
                "rate": plain_decimal(row["rate"]),
                "taxable_amount": money_text(row["taxable_amount"], invoice.currency),
                "tax_amount": money_text(row["tax_amount"], invoice.currency),
            }
            for row in invoice.tax_breakdown or []
        ]

    def to_representation(self, invoice):
        """Written out by hand: the invoice list serializes 100 invoices and their items per
        page, and DRF's per-field machinery costs several times this (issue 7's list target).
        ``test_fast_representation_matches_the_declared_fields`` keeps it equal to the fields."""
        currency = invoice.currency
        unit = money_unit(currency)
        tz = timezone.get_current_timezone()

        def money(value):
            return str(Decimal(value).quantize(unit, rounding=ROUND_HALF_UP))

        items = [
            {
                "id": str(item.pk),
                "description": item.description,
                "quantity": plain_decimal(item.quantity),
                "unit_price": plain_decimal(item.unit_price),
                "tax_rate": plain_decimal(item.tax_rate),
                "line_total": money(item.line_net),
            }
            for item in items_of(invoice)
        ]
        discount_is_amount = invoice.discount_type == DiscountType.AMOUNT
        return {
            "id": str(invoice.pk),
            "number": invoice.number,
            "status": invoice.status,
            "is_overdue": self.get_is_overdue(invoice),
            "version": invoice.version,
            "business": str(invoice.business_id),
            "customer": str(invoice.customer_id),
            "currency": currency,
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "discount_type": invoice.discount_type,
            "discount_value": money(invoice.discount_value)
            if discount_is_amount
            else plain_decimal(invoice.discount_value),
            "notes": invoice.notes,
            "terms": invoice.terms,
            "items": items,
            "subtotal": money(invoice.subtotal),
            "discount_total": money(invoice.discount_total),
            "tax_total": money(invoice.tax_total),
            "total": money(invoice.total),
            "amount_paid": money(invoice.amount_paid),
            "balance_due": money(invoice.balance_due),
            "tax_breakdown": [
                {
                    "rate": plain_decimal(row["rate"]),
                    "taxable_amount": money(row["taxable_amount"]),
                    "tax_amount": money(row["tax_amount"]),
                }
                for row in invoice.tax_breakdown or []
            ],
            "issued_at": timestamp(invoice.issued_at, tz),
            "sent_at": timestamp(invoice.sent_at, tz),
            "created_at": timestamp(invoice.created_at, tz),
            "updated_at": timestamp(invoice.updated_at, tz),
        }

    def service_data(self) -> dict:
        """The validated body as the services take it: plain strings, items as dicts, and the
        business and customer as the instances validation read in the key's organization (the
        service uses them instead of reading them again)."""
        data = dict(self.validated_data)
        if "items" in data:
            data["items"] = [dict(item) for item in data["items"]]
        return data


# --- payments ------------------------------------------------------------------------------------


class PaymentSerializer(StrictModelSerializer):
    invoice = TenantRelatedField(Invoice)
    amount = DecimalStringField(help_text="> 0 and at most the balance due, in the invoice's currency.")
    date = serializers.DateField(required=False, help_text="Default: today; never in the future.")
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    recorded_by = serializers.CharField(source="recorded_by_label", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
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

    def to_representation(self, payment):
        data = super().to_representation(payment)
        data["amount"] = money_text(payment.amount, payment.invoice.currency)
        return data


class PaymentVoidSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, help_text="Why the payment is void (kept with it).")


@extend_schema_field(OpenApiTypes.NONE)
class EmptyBody(serializers.Serializer):
    """Actions that take no body."""
