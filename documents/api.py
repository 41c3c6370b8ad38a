"""The invoice endpoints that involve documents: ``send``, ``pdf`` and the ``document`` field.

Why here: billing sits below documents and never imports it (architecture.md, Layout), so
billing's ``InvoiceViewSet`` knows nothing about PDFs or email. This module subclasses it and
adds the document parts; ``billora/api/urls.py`` registers this subclass as ``/invoices/``.
"""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from billing.api.invoice_json import INVOICE, json_object, json_string
from billing.api.serializers import InvoiceSerializer
from billing.api.viewsets import InvoiceViewSet as BillingInvoiceViewSet
from billing.models import Invoice, InvoiceStatus
from billora.downloads import signed_redirect
from documents import services as document_services
from documents.models import InvoiceDocument

PDF_RETRY_AFTER_SECONDS = 3
# The ``document.status`` values of an invoice (named in SPECTACULAR_SETTINGS' enum overrides).
DOCUMENT_STATES = [("pending", "Pending"), ("ready", "Ready"), ("stale", "Stale"), ("failed", "Failed")]


class DocumentStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=DOCUMENT_STATES,
        help_text="stale: the newest PDF is of an older version of the invoice (a new one is on its way).",
    )
    version = serializers.IntegerField(help_text="The invoice version the newest PDF is (being) rendered from.")


class InvoiceWithDocumentSerializer(InvoiceSerializer):
    document = serializers.SerializerMethodField()

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "document"]

    def to_representation(self, invoice):
        data = super().to_representation(invoice)
        data["document"] = self.get_document(invoice)
        return data

    @extend_schema_field(DocumentStateSerializer(allow_null=True))
    def get_document(self, invoice):
        # Set by the viewset (attach_document_states): the newest document's version and status.
        version = getattr(invoice, "document_version", None)
        if version is None:
            return None
        state = "stale" if version < invoice.version else invoice.document_status
        return {"status": state, "version": version}


def attach_document_states(invoices, organization) -> None:
    """Set ``document_version`` and ``document_status`` (of the newest document, or None) on
    each invoice, in one query."""
    newest = {}
    rows = (
        InvoiceDocument.objects.filter(organization=organization, invoice_id__in=[invoice.pk for invoice in invoices])
        .order_by("invoice_id", "-invoice_version")
        .values_list("invoice_id", "invoice_version", "status")
    )
    for invoice_id, version, state in rows:
        newest.setdefault(invoice_id, (version, state))
    for invoice in invoices:
        invoice.document_version, invoice.document_status = newest.get(invoice.pk, (None, None))


# ``get_document`` in SQL, for the invoice list's JSON (billing.api.invoice_json).
DOCUMENT_STATE_SQL = (
    "COALESCE((SELECT "
    + json_object(
        [
            (
                "status",
                f"CASE WHEN doc.invoice_version < {INVOICE}.version THEN '\"stale\"' "
                f"ELSE {json_string('doc.status')} END",
            ),
            ("version", "doc.invoice_version::text"),
        ]
    )
    + f" FROM {InvoiceDocument._meta.db_table} doc WHERE doc.organization_id = {INVOICE}.organization_id "
    f"AND doc.invoice_id = {INVOICE}.id ORDER BY doc.invoice_version DESC LIMIT 1), 'null')"
)


class SendResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    invoice = serializers.UUIDField()
    email = serializers.UUIDField(help_text="The queued message.")
    to = serializers.ListField(child=serializers.EmailField())


class PdfPendingSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField(help_text="pending, or failed while a new attempt is scheduled.")


class PDFRenderer(renderers.BaseRenderer):
    """Lets ``Accept: application/pdf`` through content negotiation. The PDF itself is an
    HttpResponse; anything else (an error body) is rendered as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


class InvoiceViewSet(BillingInvoiceViewSet):
    """Invoices, with their PDF (``pdf``), email (``send``) and ``document`` state."""

    def get_serializer(self, *args, **kwargs):
        # The newest document of each serialized invoice, read in one plain query after
        # pagination: per-row subqueries on the whole queryset cost more (issue 7).
        if args and args[0] is not None and not isinstance(args[0], dict):
            invoices = list(args[0]) if isinstance(args[0], (list, tuple)) else [args[0]]
            if invoices and isinstance(invoices[0], Invoice) and not hasattr(invoices[0], "document_version"):
                attach_document_states(invoices, self.organization)
        return super().get_serializer(*args, **kwargs)

    def get_serializer_class(self):
        return InvoiceWithDocumentSerializer

    def json_extra_fields(self):
        return (*super().json_extra_fields(), ("document", DOCUMENT_STATE_SQL, ()))

    def created_representation(self, invoice):
        # A new invoice is a draft, and drafts have no stored document: nothing to read.
        invoice.document_version = invoice.document_status = None
        return super().created_representation(invoice)

    def allowed_query_params(self):
        allowed = super().allowed_query_params()
        return allowed | {"format"} if self.action == "pdf" else allowed

    def handle_exception(self, exc):
        # Errors are JSON even when the client asked for the PDF (Accept or ?format=pdf).
        response = super().handle_exception(exc)
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return response

    @extend_schema(
        summary="Email the invoice to its customer",
        description="Queues the email (to the customer's address, with the business's template and the PDF "
        "of the version current when it is sent). 409 on a draft or void invoice; 400 on `to` when the "
        "customer has no email address.",
        request=None,
        responses={202: SendResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        invoice = self.get_object()
        email = document_services.invoice_send(
            organization=self.organization, actor=request.auth, invoice_id=invoice.pk
        )
        return Response(
            {"detail": "The invoice email is queued.", "invoice": invoice.pk, "email": email.pk, "to": email.to},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="Download the invoice PDF",
        description="200 with the PDF of the invoice's current version (a draft's is rendered on the fly, "
        "with a DRAFT watermark); 202 with Retry-After while it is being rendered. A stale PDF is never served.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (202, "application/json"): OpenApiResponse(PdfPendingSerializer, description="Rendering; retry later."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        if invoice.status == InvoiceStatus.DRAFT:
            invoice, content = document_services.preview_pdf(organization=self.organization, invoice_id=invoice.pk)
            return self._pdf_response(invoice, content)
        document = document_services.fresh_document(organization=self.organization, invoice=invoice)
        if document is not None:
            filename = document_services.pdf_filename(invoice)
            signed = signed_redirect(document.file, content_type="application/pdf", filename=filename)
            if signed is not None:
                return signed
            with document.file.open("rb") as pdf:
                return self._pdf_response(invoice, pdf.read())
        pending = document_services.document_request_render(organization=self.organization, invoice_id=invoice.pk)
        failed = pending is not None and pending.status == InvoiceDocument.Status.FAILED
        response = JsonResponse(
            {
                "detail": "The PDF is being rendered; retry after a few seconds.",
                "status": "failed" if failed else "pending",
            },
            status=status.HTTP_202_ACCEPTED,
        )
        response["Retry-After"] = str(PDF_RETRY_AFTER_SECONDS)
        return response

    @staticmethod
    def _pdf_response(invoice, content):
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document_services.pdf_filename(invoice)}"'
        return response
