from django.contrib import admin

from billora.admin_site import BigTableAdmin, ReadOnlyTabularInline
from documents.models import InvoiceDocument, OutboundEmail


class InvoiceDocumentInline(ReadOnlyTabularInline):
    model = InvoiceDocument
    fields = ("invoice_version", "status", "size", "sha256", "rendered_at", "error")
    readonly_fields = fields
    verbose_name_plural = "documents (PDF)"


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
        "error",
        "rendered_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("organization", "created_at", "updated_at")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(BigTableAdmin):
    list_display = ("subject", "kind", "recipients", "organization", "invoice", "status", "attempts", "sent_at")
    list_filter = ("kind", "status", "organization")
    list_select_related = ("invoice", "organization")
    search_fields = ("subject", "to", "invoice__number", "organization__slug")
    date_hierarchy = "created_at"
    raw_id_fields = ("invoice", "invite")
    readonly_fields = ("organization", "created_at", "updated_at")

    @admin.display(description="to")
    def recipients(self, obj):
        return ", ".join(obj.to)
