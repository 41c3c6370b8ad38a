"""The documents' admin pages, and their part of billing's invoice page.

billing sits below documents and never imports it, so billing's ``InvoiceAdmin`` knows nothing
of PDFs or email; this module registers a subclass in its place that adds the invoice's
documents and emails and support's two document actions (also buttons on the page).
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path

from billing.admin import InvoiceAdmin
from billing.models import Invoice
from billora.admin_site import BigTableAdmin, ReadOnlyTabularInline, run_service_for_each
from documents import outbox, services
from documents.models import CreditNoteDocument, InvoiceDocument, OutboundEmail


class InvoiceDocumentInline(ReadOnlyTabularInline):
    model = InvoiceDocument
    fields = ("invoice_version", "status", "size", "sha256", "rendered_at", "einvoice_formats", "error")
    readonly_fields = fields
    verbose_name_plural = "documents (PDF and e-invoices)"

    @admin.display(description="e-invoices")
    def einvoice_formats(self, document):
        return ", ".join(sorted(document.einvoices or {})) or "-"


class OutboundEmailInline(ReadOnlyTabularInline):
    model = OutboundEmail
    fk_name = "invoice"
    fields = ("created_at", "to", "subject", "status", "attempts", "document_version", "sent_at", "last_error")
    readonly_fields = fields
    verbose_name_plural = "emails"


@admin.register(InvoiceDocument)
class InvoiceDocumentAdmin(BigTableAdmin):
    list_display = ("invoice", "organization", "invoice_version", "status", "size", "rendered_at", "created_at")
    list_filter = ("status", "organization")
    list_select_related = ("invoice", "organization")
    search_fields = ("invoice__number", "sha256", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("invoice",)
    fields = (
        "organization",
        "invoice",
        "invoice_version",
        "status",
        "file",
        "size",
        "sha256",
        "einvoices",
        "error",
        "rendered_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("organization", "einvoices", "created_at", "updated_at")


@admin.register(CreditNoteDocument)
class CreditNoteDocumentAdmin(BigTableAdmin):
    list_display = ("credit_note", "organization", "credit_note_version", "status", "size", "rendered_at", "created_at")
    list_filter = ("status", "organization")
    list_select_related = ("credit_note", "organization")
    search_fields = ("credit_note__number", "sha256", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("credit_note",)
    fields = (
        "organization",
        "credit_note",
        "credit_note_version",
        "status",
        "file",
        "size",
        "sha256",
        "einvoices",
        "error",
        "rendered_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("organization", "einvoices", "created_at", "updated_at")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(BigTableAdmin):
    list_display = ("subject", "kind", "recipients", "organization", "invoice", "status", "attempts", "sent_at")
    list_filter = ("kind", "status", "organization")
    list_select_related = ("invoice", "organization")
    search_fields = ("subject", "to", "invoice__number", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("invoice", "invite")
    # The body only as ``message``: what only its recipient may read (an invite's link) stays out.
    fields = (
        "organization",
        "kind",
        "invoice",
        "invite",
        "customer",
        "statement_start",
        "statement_end",
        "to",
        "cc",
        "reply_to",
        "subject",
        "message",
        "status",
        "attempts",
        "sending_until",
        "last_error",
        "document_version",
        "sent_at",
        "requested_by_label",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "organization",
        "customer",
        "statement_start",
        "statement_end",
        "message",
        "created_at",
        "updated_at",
    )

    @admin.display(description="to")
    def recipients(self, obj):
        return ", ".join(obj.to)

    @admin.display(description="body")
    def message(self, obj):
        return outbox.displayed_body(obj)


class InvoiceWithDocumentsAdmin(InvoiceAdmin):
    """billing's invoice page, with the invoice's PDFs and emails and the two things support
    may do about them: resend the email, render the PDF again."""

    inlines = (*InvoiceAdmin.inlines, InvoiceDocumentInline, OutboundEmailInline)
    actions = (*InvoiceAdmin.actions, "resend_invoice_email", "rerender_pdf")
    change_form_template = "admin/documents/invoice_change_form.html"

    @admin.action(description="Resend the invoice email to the customer", permissions=["support"])
    def resend_invoice_email(self, request, queryset):
        run_service_for_each(
            self,
            request,
            queryset,
            lambda invoice: services.invoice_send(
                organization=invoice.organization, actor=request.user, invoice_id=invoice.pk
            ),
            verb="queued for sending",
        )

    @admin.action(description="Re-render the PDF of the current version", permissions=["support"])
    def rerender_pdf(self, request, queryset):
        """For a PDF that failed or is stuck pending. A fresh PDF is left alone: rendering the
        same version again gives the same bytes."""
        run_service_for_each(
            self,
            request,
            queryset,
            lambda invoice: services.document_rerender(
                organization=invoice.organization, actor=request.user, invoice_id=invoice.pk
            ),
            verb="sent to rendering",
        )

    def get_urls(self):
        # The same two actions as buttons on the invoice page (POST only, CSRF-protected).
        return [
            path(
                "<path:object_id>/resend-email/", self._button(self.resend_invoice_email), name="billing_invoice_resend"
            ),
            path("<path:object_id>/rerender-pdf/", self._button(self.rerender_pdf), name="billing_invoice_rerender"),
            *super().get_urls(),
        ]

    def _button(self, action):
        def view(request, object_id):
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            if not self.has_support_permission(request):
                raise PermissionDenied
            invoice = self.get_object(request, unquote(object_id))
            if invoice is None:
                raise Http404("No such invoice.")
            action(request, [invoice])
            return redirect("admin:billing_invoice_change", invoice.pk)

        return self.admin_site.admin_view(view)


admin.site.unregister(Invoice)
admin.site.register(Invoice, InvoiceWithDocumentsAdmin)
