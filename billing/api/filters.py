"""Query filters of the billing API (api.md).

Ids are filtered as plain UUIDs, never through ``ModelChoiceFilter``: that would need a queryset
at import time (the scoped managers refuse it) and would answer "invalid choice" for another
organization's id, telling it exists. An unknown id simply matches nothing.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from billing.models import (
    OPEN_STATUSES,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    RecurringInvoice,
)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.ChoiceFilter):
    """``true`` or ``false``; anything else is a 400, not silently "no filter"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if value in ("", None):
            return queryset
        return super().filter(queryset, value == "true")


class InvoiceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    customer = django_filters.UUIDFilter(field_name="customer_id")
    business = django_filters.UUIDFilter(field_name="business_id")
    overdue = StrictBooleanFilter(method="filter_overdue", help_text="Issued or partially paid, past due.")
    issue_date_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issue_date_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ["status", "customer", "business", "overdue", "issue_date_after", "issue_date_before"]

    def filter_overdue(self, queryset, name, value):
        today = self.request.auth.organization.local_today()
        overdue = {"status__in": OPEN_STATUSES, "due_date__lt": today}
        return queryset.filter(**overdue) if value == "true" else queryset.exclude(**overdue)


class CustomerFilter(django_filters.FilterSet):
    archived = StrictBooleanFilter()

    class Meta:
        model = Customer
        fields = ["archived"]


class PaymentFilter(django_filters.FilterSet):
    invoice = django_filters.UUIDFilter(field_name="invoice_id")
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices)

    class Meta:
        model = Payment
        fields = ["invoice", "kind"]


class CreditNoteFilter(django_filters.FilterSet):
    invoice = django_filters.UUIDFilter(field_name="invoice_id")
    status = django_filters.ChoiceFilter(choices=CreditNoteStatus.choices)

    class Meta:
        model = CreditNote
        fields = ["invoice", "status"]


class RecurringInvoiceFilter(django_filters.FilterSet):
    customer = django_filters.UUIDFilter(field_name="customer_id")
    business = django_filters.UUIDFilter(field_name="business_id")
    paused = StrictBooleanFilter()

    class Meta:
        model = RecurringInvoice
        fields = ["customer", "business", "paused"]
