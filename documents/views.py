"""Invoice and credit note PDF and e-invoice downloads. Any member of the organization may
download (the tenancy middleware answers 404 to everybody else); only the current version's
files are ever served."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotModified, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import CreditNote, Customer, Invoice
from billing.views import InvoiceActionView
from billora.downloads import signed_redirect
from documents import einvoices, services, statements
from documents.einvoice import EInvoiceRefused
from documents.models import InvoiceDocument
from documents.pipeline import CREDIT_NOTE, INVOICE
from organizations.mixins import OrganizationViewMixin
from organizations.permissions import Capability

RETRY_AFTER_SECONDS = 2


def _pdf_response(content: bytes, filename: str, *, download: bool, etag: str | None = None) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    if etag:
        # Same URL for every version: the browser must revalidate, the ETag makes that cheap.
        response["ETag"] = f'"{etag}"'
        response["Cache-Control"] = "private, no-cache"
    else:
        response["Cache-Control"] = "private, no-store"
    return response


def _pending_page(request, subject, document=None) -> HttpResponse:
    """The page that reloads itself (202) while the document's files are being rendered."""
    failed = document is not None and document.status == InvoiceDocument.Status.FAILED
    is_credit_note = isinstance(subject, CreditNote)
    response = render(
        request,
        "documents/pdf_pending.html",
        {
            "invoice": subject.invoice if is_credit_note else subject,
            "credit_note": subject if is_credit_note else None,
            "document": document,
            "failed": failed,
            "retry_after": RETRY_AFTER_SECONDS,
        },
        status=202,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class StoredPdfView(OrganizationViewMixin, View):
    """The stored PDF of an issued document's current version. While it is being rendered: a
    page that reloads itself (202). Drafts are never stored, so they get the live preview."""

    required_capability = Capability.READ
    kind = INVOICE

    def subject(self, **kwargs):
        raise NotImplementedError

    def preview(self, subject) -> tuple[object, bytes]:
        raise NotImplementedError

    def get(self, request, org_slug, **kwargs):
        subject = self.subject(**kwargs)
        download = request.GET.get("download") == "1"
        if subject.is_draft:
            subject, content = self.preview(subject)
            return _pdf_response(content, services.pdf_filename(subject), download=download)
        document, pending = services.stored_pdf(self.kind, organization=self.organization, subject=subject)
        if document is None:
            return _pending_page(request, subject, pending)
        if request.headers.get("If-None-Match") == f'"{document.sha256}"':
            return HttpResponseNotModified()
        filename = services.pdf_filename(subject)
        signed = signed_redirect(
            document.file, content_type="application/pdf", filename=filename, as_attachment=download
        )
        if signed is not None:
            return signed
        with document.file.open("rb") as fh:
            content = fh.read()
        return _pdf_response(content, filename, download=download, etag=document.sha256)


class InvoicePdfView(StoredPdfView):
    def subject(self, *, invoice_id):
        return get_object_or_404(Invoice, organization=self.organization, pk=invoice_id)

    def preview(self, invoice):
        return services.preview_pdf(organization=self.organization, invoice_id=invoice.pk)


class CreditNotePdfView(StoredPdfView):
    """A credit note's PDF: the stored one once issued; a draft's watermarked, on the fly."""

    kind = CREDIT_NOTE

    def subject(self, *, credit_note_id):
        return get_object_or_404(
            CreditNote.objects.select_related("invoice"), organization=self.organization, pk=credit_note_id
        )

    def preview(self, note):
        return services.credit_note_preview_pdf(organization=self.organization, credit_note_id=note.pk)


class EInvoiceView(OrganizationViewMixin, View):
    """The "Download as" menu's e-invoices (``?format=cii``, ...). A format the document cannot
    be written in sends the user back to it with a message naming what is missing."""

    required_capability = Capability.READ
    kind = INVOICE

    def subject(self, **kwargs):
        raise NotImplementedError

    def back(self, subject) -> str:
        return reverse("invoice_detail", kwargs={"org_slug": self.organization.slug, "invoice_id": subject.pk})

    def get(self, request, org_slug, **kwargs):
        subject = self.subject(**kwargs)
        try:
            file = services.einvoice_download(
                self.kind, organization=self.organization, subject_id=subject.pk, format_key=request.GET.get("format")
            )
        except EInvoiceRefused as refused:
            messages.error(request, refused.verdict.detail)
            return redirect(self.back(subject))
        except StateConflict as exc:
            messages.error(request, exc.conflict_message)
            return redirect(self.back(subject))
        except BillingValidationError:
            messages.error(request, einvoices.unknown_format_message())
            return redirect(self.back(subject))
        if file is None:  # being rendered with the version's PDF
            return _pending_page(request, subject)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class InvoiceEInvoiceView(EInvoiceView):
    def subject(self, *, invoice_id):
        return get_object_or_404(Invoice, organization=self.organization, pk=invoice_id)


class CreditNoteEInvoiceView(EInvoiceView):
    kind = CREDIT_NOTE

    def subject(self, *, credit_note_id):
        return get_object_or_404(
            CreditNote.objects.select_related("invoice"), organization=self.organization, pk=credit_note_id
        )

    def back(self, note) -> str:
        return super().back(note.invoice) + "#credit-notes"


class InvoicePdfPreviewView(OrganizationViewMixin, View):
    """The invoice as it is right now, rendered on the fly and not stored (watermarked
    DRAFT for drafts)."""

    required_capability = Capability.READ

    def get(self, request, org_slug, invoice_id):
        invoice = get_object_or_404(Invoice, organization=self.organization, pk=invoice_id)
        invoice, content = services.preview_pdf(organization=self.organization, invoice_id=invoice.pk)
        return _pdf_response(content, services.pdf_filename(invoice), download=False)


class CreditNoteSendView(OrganizationViewMixin, View):
    """Queues an issued credit note's email to the customer, from its invoice's page."""

    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, credit_note_id):
        try:
            email = services.credit_note_send(
                organization=self.organization, actor=request.user, credit_note_id=credit_note_id
            )
        except BillingValidationError as exc:
            messages.error(request, " ".join(m for texts in exc.messages.values() for m in texts))
            return redirect(reverse("credit_note_list", kwargs={"org_slug": self.organization.slug}))
        except StateConflict as exc:
            messages.error(request, exc.conflict_message)
            return redirect(reverse("credit_note_list", kwargs={"org_slug": self.organization.slug}))
        messages.success(request, f"The credit note is being sent to {', '.join(email.to)}.")
        detail = reverse(
            "invoice_detail", kwargs={"org_slug": self.organization.slug, "invoice_id": email.credit_note.invoice_id}
        )
        return redirect(detail + "#credit-notes")


def _statement_page(organization, customer_id, start, end):
    url = reverse("customer_statement", kwargs={"org_slug": organization.slug, "customer_id": customer_id})
    return redirect(f"{url}?{urlencode({'start': start or '', 'end': end or ''})}")


def _error_text(exc: BillingValidationError) -> str:
    return " ".join(text for texts in exc.messages.values() for text in texts)


class CustomerStatementPdfView(OrganizationViewMixin, View):
    """The statement of account as a PDF, rendered on request from the data of the moment
    (deterministic: the same data gives the same bytes, so nothing stored can go stale)."""

    required_capability = Capability.READ

    def get(self, request, org_slug, customer_id):
        customer = get_object_or_404(Customer, organization=self.organization, pk=customer_id)
        start, end = request.GET.get("start"), request.GET.get("end")
        try:
            statement, content = statements.statement_pdf(
                organization=self.organization, customer_id=customer.pk, start=start, end=end
            )
        except BillingValidationError as exc:
            messages.error(request, _error_text(exc))
            return _statement_page(self.organization, customer.pk, start, end)
        filename = statements.statement_filename(statement)
        return _pdf_response(content, filename, download=request.GET.get("download") == "1")


class CustomerStatementSendView(OrganizationViewMixin, View):
    """Queues the statement of account to the customer (``to`` overrides its address)."""

    required_capability = Capability.BILLING_WRITE

    def post(self, request, org_slug, customer_id):
        customer = get_object_or_404(Customer, organization=self.organization, pk=customer_id)
        start, end = request.POST.get("start"), request.POST.get("end")
        try:
            email = statements.statement_send(
                organization=self.organization,
                actor=request.user,
                customer_id=customer.pk,
                start=start,
                end=end,
                to=request.POST.get("to", "").strip() or None,
            )
        except BillingValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The statement is being sent to %(to)s.") % {"to": ", ".join(email.to)})
        return _statement_page(self.organization, customer.pk, start, end)


class InvoiceSendView(InvoiceActionView):
    """Queues the invoice email (documents sits above billing, so the action lives here)."""

    def perform(self, invoice):
        to = self.request.POST.get("to", "").strip() or None  # None: the customer's address
        services.invoice_send(organization=self.organization, actor=self.request.user, invoice_id=invoice.pk, to=to)
        messages.success(self.request, _("Invoice %(invoice)s is being sent to the customer.") % {"invoice": invoice})
        return self.detail(invoice)


class InvoiceBulkView(OrganizationViewMixin, View):
    """A bulk action of the invoice list: the ticked invoices (``invoice``, repeated), and
    the list's query string (``return_query``) to go back to the same filters."""

    def back(self):
        query = QueryDict(self.request.POST.get("return_query", "")).urlencode()
        url = reverse("invoice_list", kwargs={"org_slug": self.organization.slug})
        return redirect(f"{url}?{query}" if query else url)

    def refuse(self, exc):
        if isinstance(exc, BillingValidationError):
            text = " ".join(message for texts in exc.messages.values() for message in texts)
        else:
            text = _("None of the selected invoices exists any more.")
        messages.error(self.request, text)
        return self.back()


class InvoiceBulkPdfView(InvoiceBulkView):
    required_capability = Capability.READ

    def post(self, request, *args, **kwargs):
        org = self.organization
        try:
            content = services.invoices_pdf_zip(organization=org, invoice_ids=request.POST.getlist("invoice"))
        except (BillingValidationError, NotFound) as exc:
            return self.refuse(exc)
        except RuntimeError as exc:  # a PDF could not be rendered; its page shows why
            messages.error(request, _("The PDFs could not all be prepared: %(error)s") % {"error": exc})
            return self.back()
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="invoices-{org.slug}-{org.local_today()}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response


class InvoiceBulkSendView(InvoiceBulkView):
    required_capability = Capability.BILLING_WRITE

    def post(self, request, *args, **kwargs):
        try:
            queued, skipped = services.invoices_send(
                organization=self.organization, actor=request.user, invoice_ids=request.POST.getlist("invoice")
            )
        except (BillingValidationError, NotFound) as exc:
            return self.refuse(exc)
        if queued:
            count = len(queued)
            text = ngettext("%(count)d invoice is being sent.", "%(count)d invoices are being sent.", count)
            messages.success(request, text % {"count": count})
        for invoice, reason in skipped:
            text = _("%(invoice)s was not sent: %(reason)s") % {"invoice": invoice, "reason": reason}
            messages.warning(request, text)
        return self.back()
