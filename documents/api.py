"""The invoice endpoints that involve documents: ``send``, ``pdf`` and the ``document`` field.

Why here: billing sits below documents and never imports it (architecture.md, Layout), so
billing's ``InvoiceViewSet`` knows nothing about PDFs or email. This module subclasses it and
adds the document parts; ``billora/api/urls.py`` registers this subclass as ``/invoices/``.
"""

from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from billing.api.serializers import InvoiceSerializer
from billing.api.viewsets import InvoiceViewSet as BillingInvoiceViewSet
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

    @extend_schema_field(DocumentStateSerializer(allow_null=True))
    def get_document(self, invoice):
        # Annotated by the viewset's queryset: the newest document's version and status.
        version = getattr(invoice, "document_version", None)
        if version is None:
            return None
        state = "stale" if version < invoice.version else invoice.document_status
        return {"status": state, "version": version}


class SendResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    invoice = serializers.UUIDField()


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

    def base_queryset(self):
        newest = InvoiceDocument.objects.filter(invoice=OuterRef("pk")).order_by("-invoice_version")
        return (
            super()
            .base_queryset()
            .annotate(
                document_version=Subquery(newest.values("invoice_version")[:1]),
                document_status=Subquery(newest.values("status")[:1]),
            )
        )

    def get_serializer_class(self):
        return InvoiceWithDocumentSerializer

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
        description="Queues the email with the PDF of the current version. 409 on a draft or void invoice.",
        request=None,
        responses={202: SendResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        from documents import services as document_services

        invoice = self.get_object()
        document_services.invoice_send(organization=self.organization, actor=request.auth, invoice_id=invoice.pk)
        return Response(
            {"detail": "The invoice email is queued.", "invoice": str(invoice.pk)}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        summary="Download the invoice PDF",
        description="200 with the PDF of the invoice's current version; 202 with Retry-After while it is "
        "being rendered (a stale PDF is never served).",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (202, "application/json"): OpenApiResponse(PdfPendingSerializer, description="Rendering; retry later."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        from documents import services as document_services

        invoice = self.get_object()
        document = (
            InvoiceDocument.objects.filter(
                organization=self.organization, invoice=invoice, invoice_version=invoice.version
            )
            .order_by("-created_at")
            .first()
        )
        if document is not None and document.is_fresh_for(invoice) and document.file:
            with document.file.open("rb") as pdf:
                content = pdf.read()
            response = HttpResponse(content, content_type="application/pdf")
            filename = f"{invoice.number or 'draft-' + str(invoice.pk)[:8]}.pdf"
            response["Content-Disposition"] = f'inline; filename="{filename}"'
            return response
        document_services.document_request_render(organization=self.organization, invoice_id=invoice.pk)
        failed = document is not None and document.status == InvoiceDocument.Status.FAILED
        response = JsonResponse(
            {
                "detail": "The PDF is being rendered; retry after a few seconds.",
                "status": "failed" if failed else "pending",
            },
            status=status.HTTP_202_ACCEPTED,
        )
        response["Retry-After"] = str(PDF_RETRY_AFTER_SECONDS)
        return response
