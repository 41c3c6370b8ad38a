"""The invoice and credit note endpoints that involve documents: ``send``, ``pdf``,
``einvoice`` and the invoice's ``document`` field.

Billing sits below documents and never imports it (architecture.md, Layout). So documents
serves its two actions itself, under billing's ``/api/v1/invoices/{id}/`` prefix (a viewset
with only those detail routes, registered in ``billora/api/urls.py``), and adds the
``document`` field to billing's invoice representation through the provider that
``register`` (called from ``DocumentsConfig.ready``) hands to billing's presenter registry.
"""

from types import SimpleNamespace

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from billing.models import CreditNote, Customer, Invoice, InvoiceStatus
from billing.presenters import register_invoice_extra
from billing.validation import refuse_unknown_fields
from billora.api.renderers import OrjsonRenderer
from billora.api.schema import ErrorDetailSerializer
from billora.api.viewsets import ApiViewSet
from billora.downloads import signed_redirect
from documents import services as document_services
from documents import statements
from documents.einvoice import FORMATS, EInvoiceRefused
from documents.models import InvoiceDocument
from documents.pipeline import CREDIT_NOTE, INVOICE

PDF_RETRY_AFTER_SECONDS = 3
# The ``document.status`` values of an invoice (named in SPECTACULAR_SETTINGS' enum overrides).
DOCUMENT_STATES = [("pending", "Pending"), ("ready", "Ready"), ("stale", "Stale"), ("failed", "Failed")]


class DocumentStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=DOCUMENT_STATES,
        help_text="stale: the newest PDF is of an older version of the invoice (a new one is on its way).",
    )
    version = serializers.IntegerField(help_text="The invoice version the newest PDF is (being) rendered from.")


def document_states(*, organization, invoices) -> dict:
    """The ``document`` field of each invoice (rows with ``id``, ``status`` and ``version``), in
    at most one query: the status and version of its newest document, "stale" when that is of
    an older version of the invoice. Invoices without a document are left out (billing shows
    null), drafts without asking: their PDF is a preview, never stored."""
    ids = [row["id"] for row in invoices if row["status"] != InvoiceStatus.DRAFT]
    if not ids:
        return {}
    newest = {}
    rows = (
        InvoiceDocument.objects.filter(organization=organization, invoice_id__in=ids)
        .order_by("invoice_id", "-invoice_version")
        .values_list("invoice_id", "invoice_version", "status")
    )
    for invoice_id, version, state in rows:
        newest.setdefault(invoice_id, (version, state))
    states = {}
    for row in invoices:
        if row["id"] in newest:
            version, state = newest[row["id"]]
            states[row["id"]] = {"status": "stale" if version < row["version"] else state, "version": version}
    return states


def register() -> None:
    register_invoice_extra(
        "document", document_states, schema_field=lambda: DocumentStateSerializer(allow_null=True, read_only=True)
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
        return OrjsonRenderer().render(data)


class XMLRenderer(PDFRenderer):
    """Lets ``Accept: application/xml`` through; the XML itself is an HttpResponse."""

    media_type = "application/xml"
    format = "xml"


class IgnoreFormatParameter(DefaultContentNegotiation):
    """``?format=`` names the e-invoice format here, not a renderer: no URL format override
    (the only setting content negotiation reads)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class EInvoiceRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Billora's fields the format needs, e.g. customer.peppol_id."
    )


EINVOICE_RESPONSES = {
    (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="The XML e-invoice."),
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The Factur-X PDF."),
    (202, "application/json"): OpenApiResponse(PdfPendingSerializer, description="Rendering; retry later."),
    (409, "application/json"): OpenApiResponse(ErrorDetailSerializer, description="A draft has no e-invoice."),
    (422, "application/json"): OpenApiResponse(EInvoiceRefusedSerializer, description="Missing data."),
}


def einvoice_action(*, summary: str, description: str):
    """The ``einvoice`` action of invoices and credit notes: ``?format=`` names the e-invoice
    (never DRF's renderer), answered as XML or PDF, with its schema."""

    def decorate(view):
        view = action(
            detail=True,
            methods=["get"],
            renderer_classes=[OrjsonRenderer, XMLRenderer, PDFRenderer],
            content_negotiation_class=IgnoreFormatParameter,
        )(view)
        return extend_schema(
            summary=summary,
            description=description,
            parameters=[OpenApiParameter("format", str, enum=list(FORMATS), required=True, description="The format.")],
            responses=EINVOICE_RESPONSES,
        )(view)

    return decorate


class InvoiceDocumentViewSet(ApiViewSet):
    """``/invoices/{id}/send/`` and ``/invoices/{id}/pdf/``: detail actions only (billing's
    viewset serves everything else under the prefix)."""

    model = Invoice
    http_method_names = ["get", "post"]

    def allowed_query_params(self):
        allowed = super().allowed_query_params()
        return allowed | {"format"} if self.action in ("pdf", "einvoice") else allowed

    def handle_exception(self, exc):
        # Errors are JSON even when the client asked for the PDF (Accept or ?format=pdf).
        response = super().handle_exception(exc)
        self.request.accepted_renderer = OrjsonRenderer()
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
        "with a DRAFT watermark); 202 with Retry-After while it is being rendered. A stale PDF is never served. "
        "Where the installation keeps PDFs in object storage and hands out signed URLs, a ready PDF answers "
        "302 instead: follow `Location` (it expires within minutes; request this endpoint again for a new one).",
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[302],
                description="A short-lived signed URL of the PDF in the object store.",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (202, "application/json"): OpenApiResponse(PdfPendingSerializer, description="Rendering; retry later."),
            302: OpenApiResponse(description="Redirect to a short-lived signed URL of the PDF (object storage)."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[OrjsonRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        if invoice.status == InvoiceStatus.DRAFT:
            invoice, content = document_services.preview_pdf(organization=self.organization, invoice_id=invoice.pk)
            return pdf_response(invoice, content)
        return stored_pdf_response(INVOICE, self.organization, invoice)

    @einvoice_action(
        summary="Download the invoice as an e-invoice",
        description="The issued invoice's current version as an EN 16931 e-invoice: `facturx` (the PDF with the "
        "CII XML inside, PDF/A-3), `cii`, `ubl`, `xrechnung-cii`, `xrechnung-ubl` or `peppol` (XML). "
        "409 on a draft; 422 with the missing fields when the invoice lacks what the format needs (no file "
        "is produced); 202 with Retry-After while its files are being rendered.",
    )
    def einvoice(self, request, pk=None):
        return einvoice_response(INVOICE, self.organization, self.get_object(), request.query_params.get("format"))


class CreditNoteDocumentViewSet(ApiViewSet):
    """``/credit-notes/{id}/send/``, ``/pdf/`` and ``/einvoice/``, as for invoices (billing's
    viewset serves the rest under the prefix)."""

    model = CreditNote
    http_method_names = ["get", "post"]

    def allowed_query_params(self):
        return super().allowed_query_params() | {"format"}

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = OrjsonRenderer()
        self.request.accepted_media_type = "application/json"
        return response

    @extend_schema(
        summary="Email the credit note to its customer",
        description="Queues the email (to the customer's address as issued, the PDF attached). 409 on a draft; "
        "400 on `to` when the customer has no email address.",
        request=None,
        responses={202: SendResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        note = self.get_object()
        email = document_services.credit_note_send(
            organization=self.organization, actor=request.auth, credit_note_id=note.pk
        )
        body = {"detail": "The credit note email is queued.", "invoice": note.invoice_id, "email": email.pk}
        return Response({**body, "to": email.to}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Download the credit note PDF",
        description='200 with the PDF ("CREDIT NOTE", the invoice it corrects, the reason, the totals) of an '
        "issued credit note, stored when it was issued; 202 with Retry-After while it is being rendered. A draft's "
        "is rendered on the fly, watermarked DRAFT. With signed URLs from object storage, a ready PDF answers 302.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (202, "application/json"): OpenApiResponse(PdfPendingSerializer, description="Rendering; retry later."),
            302: OpenApiResponse(description="Redirect to a short-lived signed URL of the PDF (object storage)."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[OrjsonRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        note = self.get_object()
        if note.is_draft:
            note, content = document_services.credit_note_preview_pdf(
                organization=self.organization, credit_note_id=note.pk
            )
            return pdf_response(note, content)
        return stored_pdf_response(CREDIT_NOTE, self.organization, note)

    @einvoice_action(
        summary="Download the credit note as an e-invoice",
        description="The issued credit note as an EN 16931 e-invoice (document type 381, referencing the invoice "
        "it corrects): `facturx`, `cii`, `ubl` (a UBL CreditNote), `xrechnung-cii`, `xrechnung-ubl` or `peppol`. "
        "409 on a draft; 422 with the missing fields when the credit note lacks what the format needs (no file "
        "is produced); 202 with Retry-After while its files are being rendered.",
    )
    def einvoice(self, request, pk=None):
        return einvoice_response(CREDIT_NOTE, self.organization, self.get_object(), request.query_params.get("format"))


# --- responses shared by invoices and credit notes --------------------------------------------


def pdf_response(subject, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document_services.pdf_filename(subject)}"'
    return response


def _pending(detail: str, *, failed: bool = False) -> JsonResponse:
    response = JsonResponse({"detail": detail, "status": "failed" if failed else "pending"}, status=202)
    response["Retry-After"] = str(PDF_RETRY_AFTER_SECONDS)
    return response


def stored_pdf_response(kind, organization, subject):
    """200 with the stored PDF of the issued document's current version (or 302 to a signed
    URL); 202 + Retry-After while it is being rendered."""
    document, pending = document_services.stored_pdf(kind, organization=organization, subject=subject)
    if document is None:
        failed = pending is not None and pending.status == InvoiceDocument.Status.FAILED
        return _pending("The PDF is being rendered; retry after a few seconds.", failed=failed)
    filename = document_services.pdf_filename(subject)
    signed = signed_redirect(document.file, content_type="application/pdf", filename=filename)
    if signed is not None:
        return signed
    with document.file.open("rb") as pdf:
        return pdf_response(subject, pdf.read())


def einvoice_response(kind, organization, subject, format_key):
    """The stored e-invoice (200), 202 while it is being rendered, 422 naming what is missing."""
    try:
        file = document_services.einvoice_download(
            kind, organization=organization, subject_id=subject.pk, format_key=format_key
        )
    except EInvoiceRefused as refused:
        return JsonResponse(
            {"detail": refused.verdict.detail, "missing": refused.verdict.missing_fields},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if file is None:
        return _pending(gettext("The e-invoice is being rendered; retry after a few seconds."))
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


class StatementSendSerializer(serializers.Serializer):
    """The body of ``statement/send/`` (schema only: the service validates)."""

    start = serializers.CharField(required=False, help_text="First day of the period (YYYY-MM-DD).")
    end = serializers.CharField(required=False, help_text="Last day of the period (YYYY-MM-DD).")
    to = serializers.ListField(
        child=serializers.EmailField(), required=False, help_text="Recipients; by default the customer's email."
    )


class StatementSentSerializer(serializers.Serializer):
    detail = serializers.CharField()
    customer = serializers.UUIDField()
    email = serializers.UUIDField(help_text="The queued message.")
    to = serializers.ListField(child=serializers.EmailField())
    start = serializers.DateField()
    end = serializers.DateField()


class CustomerStatementViewSet(ApiViewSet):
    """``/customers/{id}/statement/pdf/`` and ``/customers/{id}/statement/send/`` (billing's
    viewset serves the customer and its statement as JSON)."""

    model = Customer
    http_method_names = ["get", "post"]

    def allowed_query_params(self):
        allowed = super().allowed_query_params()
        return allowed | {"start", "end"} if self.action == "statement_pdf" else allowed

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = OrjsonRenderer()
        self.request.accepted_media_type = "application/json"
        return response

    @extend_schema(
        summary="Download the statement of account as a PDF",
        description="The statement of `GET /customers/{id}/statement/` for the same period, as a PDF in the "
        "customer's language, rendered from the data of the moment (the same data always gives the same bytes). "
        "A bad date is a 400 on its field.",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day of the period (YYYY-MM-DD)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the period (YYYY-MM-DD)."),
        ],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    @action(detail=True, methods=["get"], url_path="statement/pdf", renderer_classes=[OrjsonRenderer, PDFRenderer])
    def statement_pdf(self, request, pk=None):
        customer = self.get_object()
        params = request.query_params
        statement, content = statements.statement_pdf(
            organization=self.organization, customer_id=customer.pk, start=params.get("start"), end=params.get("end")
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{statements.statement_filename(statement)}"'
        return response

    @extend_schema(
        summary="Email the statement of account to the customer",
        description="Queues the email (to the customer's address unless `to` is given) with the statement of the "
        "period as a PDF, rendered when the email is sent. 400 on `start` or `end` for a bad period, on `to` "
        "when the customer has no email address.",
        request=StatementSendSerializer,
        responses={202: StatementSentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="statement/send")
    def statement_send(self, request, pk=None):
        customer = self.get_object()
        data = request.data
        refuse_unknown_fields(data, ("start", "end", "to"))
        email = statements.statement_send(
            organization=self.organization,
            actor=request.auth,
            customer_id=customer.pk,
            start=data.get("start"),
            end=data.get("end"),
            to=data.get("to"),
        )
        body = {"detail": "The statement email is queued.", "customer": customer.pk, "email": email.pk, "to": email.to}
        period = {"start": email.statement_start.isoformat(), "end": email.statement_end.isoformat()}
        return Response({**body, **period}, status=status.HTTP_202_ACCEPTED)
