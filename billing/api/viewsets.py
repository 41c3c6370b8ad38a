"""Billing API v1 viewsets (api.md, Resources). Thin: every write is one service call.

Permissions: reads need ``organization.read``; every write here needs ``billing.write``, the
capability of a ``read_write`` key (HasCapability's default for unsafe methods). api.md gives
``read_write`` keys every write it lists, business profiles and voiding included.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from billing import selectors, services
from billing.api.filters import CreditNoteFilter, CustomerFilter, InvoiceFilter, PaymentFilter, RecurringInvoiceFilter
from billing.api.serializers import (
    BusinessSerializer,
    CreditNoteSerializer,
    CustomerSerializer,
    InvoiceCorrectedSerializer,
    InvoiceCorrectionSerializer,
    InvoiceRemindersSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    PaymentVoidSerializer,
    RecurringInvoiceSerializer,
    RecurringRunSerializer,
    StatementSerializer,
)
from billing.models import Business, CreditNote, Customer, Invoice, Payment, RecurringInvoice
from billing.presenters import (
    CREDIT_NOTE_COLUMNS,
    INVOICE_COLUMNS,
    business_dict,
    customer_dict,
    payment_dict,
    present_credit_note,
    present_credit_notes,
    present_invoice,
    present_invoices,
    present_recurring_invoices,
    recurring_run_dict,
    reminder_dict,
    statement_dict,
)
from billing.statements import customer_statement
from billora.api.viewsets import ApiViewSet, PresentedMixin, QueryFilterBackend, StableOrderingFilter

FILTER_BACKENDS = [QueryFilterBackend, SearchFilter, StableOrderingFilter]
STATEMENT_PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day of the period (YYYY-MM-DD)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the period (YYYY-MM-DD), not before start."),
]


class _ServiceWritesMixin(PresentedMixin):
    """Create and partial update through a service; the response is the presenter's dict of
    what the service returned (it hands back the object as it wrote it)."""

    create_service = ""  # names in billing.services, looked up per call
    update_service = ""
    id_argument = ""

    def service_data(self, serializer):
        return dict(serializer.validated_data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = getattr(services, self.create_service)(
            organization=self.organization, actor=request.auth, data=self.service_data(serializer)
        )
        return Response(self.present_one(obj), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()  # another organization's id -> 404 before the body is read
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        obj = getattr(services, self.update_service)(
            organization=self.organization,
            actor=request.auth,
            data=self.service_data(serializer),
            **{self.id_argument: instance.pk},
        )
        return Response(self.present_one(obj))


@extend_schema_view(
    list=extend_schema(summary="List business profiles"),
    create=extend_schema(summary="Create a business profile"),
    retrieve=extend_schema(summary="Get a business profile"),
    partial_update=extend_schema(summary="Edit a business profile"),
)
class BusinessViewSet(_ServiceWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = Business
    serializer_class = BusinessSerializer
    http_method_names = ["get", "post", "patch"]
    filter_backends = FILTER_BACKENDS
    search_fields = ["name", "legal_name", "email"]
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at"]
    create_service = "business_create"
    update_service = "business_update"
    id_argument = "business_id"

    def base_queryset(self):
        return Business.objects.prefetch_related("reminder_steps")

    def present(self, rows):
        tz = timezone.get_current_timezone()
        return [business_dict(business, tz) for business in rows]


@extend_schema_view(
    list=extend_schema(summary="List customers"),
    create=extend_schema(summary="Create a customer"),
    retrieve=extend_schema(summary="Get a customer"),
    partial_update=extend_schema(summary="Edit or archive a customer", description='Archive: `{"archived": true}`.'),
    destroy=extend_schema(
        summary="Delete a customer without invoices",
        description="A customer with invoices cannot be deleted (409): archive it instead.",
    ),
)
class CustomerViewSet(
    _ServiceWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    model = Customer
    serializer_class = CustomerSerializer
    http_method_names = ["get", "post", "patch", "delete"]
    filter_backends = FILTER_BACKENDS
    filterset_class = CustomerFilter
    search_fields = ["name", "email"]
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at"]
    create_service = "customer_create"
    update_service = "customer_update"
    id_argument = "customer_id"

    def present(self, rows):
        tz = timezone.get_current_timezone()
        return [customer_dict(customer, tz) for customer in rows]

    def perform_destroy(self, instance):
        services.customer_delete(organization=self.organization, actor=self.request.auth, customer_id=instance.pk)

    def allowed_query_params(self) -> set[str]:
        allowed = super().allowed_query_params()
        return allowed | {"start", "end"} if self.action == "statement" else allowed

    @extend_schema(
        summary="Statement of account of a customer",
        description="For the period [start, end] (dates in the organization's time zone, both included; by "
        "default this year, or the last 90 days early in the year), per currency: the opening balance "
        "(invoices issued less credit notes, less payments, plus refunds, all before the period), every "
        "invoice, credit note, payment and refund in the period in date order with the balance after it, and "
        "the closing balance. Drafts, void invoices and voided payments never count. A bad date is a 400 on "
        "its field; an end before the start a 400 on `end`. The PDF: `statement/pdf/`.",
        parameters=STATEMENT_PERIOD_PARAMETERS,
        responses={200: StatementSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def statement(self, request, pk=None):
        customer = self.get_object()
        params = request.query_params
        statement = customer_statement(
            organization=self.organization, customer_id=customer.pk, start=params.get("start"), end=params.get("end")
        )
        return Response(statement_dict(statement))


@extend_schema_view(
    list=extend_schema(summary="List invoices"),
    create=extend_schema(summary="Create a draft invoice with its items"),
    retrieve=extend_schema(summary="Get an invoice"),
    partial_update=extend_schema(
        summary="Edit a draft invoice",
        description="`items`, when present, replaces the whole list. An issued invoice is final (409): "
        "correct it with a credit note (`cancel`, `correct`, or `/credit-notes/`).",
    ),
    destroy=extend_schema(summary="Delete a draft invoice", description="Only drafts can be deleted (else 409)."),
)
class InvoiceViewSet(
    _ServiceWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    """Invoices. Billing does not know about documents: ``documents.api`` serves ``send`` and
    ``pdf`` under the same prefix and adds the ``document`` field through
    ``billing.presenters.register_invoice_extra``."""

    model = Invoice
    serializer_class = InvoiceSerializer
    http_method_names = ["get", "post", "patch", "delete"]
    filter_backends = FILTER_BACKENDS
    filterset_class = InvoiceFilter
    search_fields = ["number", "customer__name"]
    ordering_fields = ["created_at", "issue_date", "due_date", "number", "total", "status"]
    ordering = ["-created_at"]
    create_service = "invoice_create"
    update_service = "invoice_update"
    id_argument = "invoice_id"

    def base_queryset(self):
        # Only the columns the API shows: the snapshots (JSON) are for the PDF.
        return Invoice.objects.only(*INVOICE_COLUMNS)

    def list_queryset(self, queryset):
        # Plain rows of the columns the presenter reads: no model instance per invoice.
        return queryset.values(*INVOICE_COLUMNS)

    def present(self, rows):
        return present_invoices(rows, organization=self.organization)

    def service_data(self, serializer):
        return serializer.service_data()

    def perform_destroy(self, instance):
        services.invoice_delete(organization=self.organization, actor=self.request.auth, invoice_id=instance.pk)

    @extend_schema(
        summary="Issue a draft invoice",
        description=(
            "Gives the draft its number. 409 unless it is a draft with at least one item and a total > 0; "
            '400 naming what a party still lacks, e.g. {"customer": {"country": ["..."]}}.'
        ),
        request=None,
        responses={200: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        invoice = self.get_object()
        invoice = services.invoice_issue(organization=self.organization, actor=request.auth, invoice_id=invoice.pk)
        return Response(self.present_one(invoice))

    @extend_schema(
        summary="Void an invoice (history only)",
        description="Issued invoices are final and are cancelled instead (409 naming `cancel`); a draft is "
        "deleted (409). Invoices voided before keep the `void` status.",
        request=None,
        responses={200: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        invoice = self.get_object()
        invoice = services.invoice_void(organization=self.organization, actor=request.auth, invoice_id=invoice.pk)
        return Response(self.present_one(invoice))

    @extend_schema(
        summary="Cancel an issued invoice",
        description="Issues a credit note for everything not yet credited, in one step; the invoice becomes "
        "`credited`. 409 on a draft, a void or a fully credited invoice.",
        request=InvoiceCorrectionSerializer,
        responses={201: CreditNoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        invoice = self.get_object()
        serializer = InvoiceCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.invoice_cancel(
            organization=self.organization,
            actor=request.auth,
            invoice_id=invoice.pk,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(present_credit_note(note, organization=self.organization), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct an issued invoice",
        description="Cancels it (a credit note for everything not yet credited) and creates a new draft copying "
        "it, linked by `replaces`, to fix and issue.",
        request=InvoiceCorrectionSerializer,
        responses={201: InvoiceCorrectedSerializer},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        invoice = self.get_object()
        serializer = InvoiceCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note, draft = services.invoice_correct(
            organization=self.organization,
            actor=request.auth,
            invoice_id=invoice.pk,
            reason=serializer.validated_data.get("reason", ""),
        )
        body = {
            "credit_note": present_credit_note(note, organization=self.organization),
            "invoice": present_invoice(draft, organization=self.organization),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="Payment reminders of an invoice",
        description="Each step of its business's schedule: sent, scheduled (queued or still to come, with its "
        "date) or skipped with the reason; and whether the invoice gets reminders.",
        responses={200: InvoiceRemindersSerializer},
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Turn an invoice's payment reminders on or off",
        description="Allowed in every state (not printed: the issued invoice stays as it is).",
        request=InvoiceRemindersSerializer,
        responses={200: InvoiceRemindersSerializer},
    )
    @action(detail=True, methods=["get", "patch"])
    def reminders(self, request, pk=None):
        invoice = self.get_object()
        if request.method == "PATCH":
            serializer = InvoiceRemindersSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            invoice = services.invoice_set_reminders(
                organization=self.organization,
                actor=request.auth,
                invoice_id=invoice.pk,
                enabled=serializer.validated_data["reminders_enabled"],
            )
        invoice, timeline = selectors.invoice_reminders(organization=self.organization, invoice_id=invoice.pk)
        tz = timezone.get_current_timezone()
        return Response(
            {"reminders_enabled": invoice.reminders_enabled, "reminders": [reminder_dict(row, tz) for row in timeline]}
        )


@extend_schema_view(
    list=extend_schema(summary="List payments"),
    create=extend_schema(
        summary="Record a payment",
        description="On an invoice with a balance due; more than the balance due is refused (400 on amount). "
        'A refund (`"kind": "refund"`) pays back what the customer is owed (a negative balance, after a credit '
        "note); more than that is refused (400 on amount).",
    ),
    retrieve=extend_schema(summary="Get a payment"),
)
class PaymentViewSet(_ServiceWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = Payment
    serializer_class = PaymentSerializer
    http_method_names = ["get", "post"]
    filter_backends = FILTER_BACKENDS
    filterset_class = PaymentFilter
    search_fields = ["reference"]
    ordering_fields = ["created_at", "date", "amount"]
    ordering = ["-created_at"]

    def base_queryset(self):
        return Payment.objects.select_related("invoice").defer(
            "invoice__business_snapshot", "invoice__customer_snapshot", "invoice__tax_breakdown"
        )

    def present(self, rows):
        tz = timezone.get_current_timezone()
        return [payment_dict(payment, payment.invoice.currency, tz) for payment in rows]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = services.payment_record(
            organization=self.organization,
            actor=request.auth,
            invoice_id=data["invoice"],
            kind=data.get("kind", "payment"),
            amount=data["amount"],
            date=data.get("date", self.organization.local_today()),
            method=data.get("method", "bank_transfer"),
            reference=data.get("reference", ""),
            note=data.get("note", ""),
        )
        return Response(self.present_one(payment), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Void a payment",
        description="The payment is kept, marked void with the reason; the invoice's balance and status follow.",
        request=PaymentVoidSerializer,
        responses={200: PaymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        payment = self.get_object()
        serializer = PaymentVoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.payment_void(
            organization=self.organization,
            actor=request.auth,
            payment_id=payment.pk,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.present_one(payment))


@extend_schema_view(
    list=extend_schema(summary="List credit notes"),
    create=extend_schema(
        summary="Create a draft credit note",
        description="For an issued invoice: `items` (each in a VAT category and rate the invoice uses) or "
        '`"full": true` for everything not yet credited. A total above what is left to credit -> 400 on `items`.',
    ),
    retrieve=extend_schema(summary="Get a credit note"),
    partial_update=extend_schema(
        summary="Edit a draft credit note",
        description="`items`, when present, replaces the whole list. An issued credit note is final (409).",
    ),
    destroy=extend_schema(summary="Delete a draft credit note", description="Only drafts can be deleted (else 409)."),
)
class CreditNoteViewSet(
    _ServiceWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    """Credit notes (eu-invoicing.md). ``documents.api`` serves ``send`` and ``pdf`` under the
    same prefix, as for invoices."""

    model = CreditNote
    serializer_class = CreditNoteSerializer
    http_method_names = ["get", "post", "patch", "delete"]
    filter_backends = FILTER_BACKENDS
    filterset_class = CreditNoteFilter
    search_fields = ["number", "invoice__number"]
    ordering_fields = ["created_at", "issue_date", "number", "total"]
    ordering = ["-created_at"]
    create_service = "credit_note_create"
    update_service = "credit_note_update"
    id_argument = "credit_note_id"

    def base_queryset(self):
        # The invoice for its number, date and customer (a draft's reference); the snapshots are the PDF's.
        return CreditNote.objects.select_related("invoice").only(
            *CREDIT_NOTE_COLUMNS, "invoice__number", "invoice__issue_date", "invoice__customer_id"
        )

    def present(self, rows):
        return present_credit_notes(rows, organization=self.organization)

    def perform_destroy(self, instance):
        services.credit_note_delete(organization=self.organization, actor=self.request.auth, credit_note_id=instance.pk)

    @extend_schema(
        summary="Issue a draft credit note",
        description="Gives it its number from the business's credit note sequence; the invoice's "
        "`credited_total`, balance and status follow. 409 unless it is a draft; 400 on `items` when its "
        "total is above what is left to credit.",
        request=None,
        responses={200: CreditNoteSerializer},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        note = self.get_object()
        note = services.credit_note_issue(organization=self.organization, actor=request.auth, credit_note_id=note.pk)
        return Response(self.present_one(note))


@extend_schema_view(
    list=extend_schema(summary="List recurring invoices"),
    create=extend_schema(
        summary="Create a recurring invoice",
        description="A template and its schedule. Each period, in the organization's time zone, creates one "
        "invoice: issued and emailed to the customer (`issue_and_send`) or a draft (`draft_only`). "
        "Refused (400) unless its invoices could be issued: what issuing an invoice needs (both parties' countries, "
        "each exempt category's reason, VAT numbers for reverse charge, ...) is named by field "
        '(`{"customer": {"vat_id": [...]}}`).',
    ),
    retrieve=extend_schema(summary="Get a recurring invoice"),
    partial_update=extend_schema(
        summary="Edit a recurring invoice",
        description="`items`, when present, replaces the whole list. Periods already run are never run again. "
        "Checked like a new template: the result must be one whose invoices could be issued.",
    ),
    destroy=extend_schema(
        summary="Delete a recurring invoice", description="Its run history goes with it; its invoices stay."
    ),
)
class RecurringInvoiceViewSet(
    _ServiceWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet
):
    model = RecurringInvoice
    serializer_class = RecurringInvoiceSerializer
    http_method_names = ["get", "post", "patch", "delete"]
    filter_backends = FILTER_BACKENDS
    filterset_class = RecurringInvoiceFilter
    search_fields = ["name", "customer__name"]
    ordering_fields = ["created_at", "next_run_date", "name"]
    ordering = ["-created_at"]
    create_service = "recurring_invoice_create"
    update_service = "recurring_invoice_update"
    id_argument = "template_id"

    def present(self, rows):
        return present_recurring_invoices(rows, organization=self.organization)

    def allowed_query_params(self) -> set[str]:
        allowed = super().allowed_query_params()
        if self.action == "runs":  # a paginated list of its own
            allowed |= {self.paginator.page_query_param, self.paginator.page_size_query_param}
        return allowed

    def perform_destroy(self, instance):
        services.recurring_invoice_delete(
            organization=self.organization, actor=self.request.auth, template_id=instance.pk
        )

    @extend_schema(
        summary="Pause a recurring invoice",
        description="No invoice is created while paused. 409 if it is already paused.",
        request=None,
        responses={200: RecurringInvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        template = self.get_object()
        template = services.recurring_invoice_pause(
            organization=self.organization, actor=request.auth, template_id=template.pk
        )
        return Response(self.present_one(template))

    @extend_schema(
        summary="Resume a recurring invoice",
        description="Periods whose date passed while paused are skipped (see the runs); today's and later ones "
        "are invoiced as scheduled. 409 if it is not paused.",
        request=None,
        responses={200: RecurringInvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        template = self.get_object()
        template = services.recurring_invoice_resume(
            organization=self.organization, actor=request.auth, template_id=template.pk
        )
        return Response(self.present_one(template))

    @extend_schema(
        summary="Run history of a recurring invoice",
        description="One entry per period run, the latest first: the invoice it created, or why it was skipped.",
        responses={200: RecurringRunSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        template = self.get_object()
        page = self.paginate_queryset(selectors.recurring_runs(organization=self.organization, template=template))
        tz = timezone.get_current_timezone()
        return self.get_paginated_response([recurring_run_dict(run, tz) for run in page])
