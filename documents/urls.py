"""Document pages, mounted under /o/<slug:org_slug>/ (the tenancy middleware resolves the org)."""

from django.urls import path

from documents import views

urlpatterns = [
    path("invoices/bulk/pdf/", views.InvoiceBulkPdfView.as_view(), name="invoice_bulk_pdf"),
    path("invoices/bulk/send/", views.InvoiceBulkSendView.as_view(), name="invoice_bulk_send"),
    path("invoices/<uuid:invoice_id>/pdf/", views.InvoicePdfView.as_view(), name="invoice_pdf"),
    path("invoices/<uuid:invoice_id>/einvoice/", views.InvoiceEInvoiceView.as_view(), name="invoice_einvoice"),
    path("invoices/<uuid:invoice_id>/send/", views.InvoiceSendView.as_view(), name="invoice_send"),
    path("invoices/<uuid:invoice_id>/pdf/preview/", views.InvoicePdfPreviewView.as_view(), name="invoice_pdf_preview"),
    path(
        "customers/<uuid:customer_id>/statement/pdf/",
        views.CustomerStatementPdfView.as_view(),
        name="customer_statement_pdf",
    ),
    path(
        "customers/<uuid:customer_id>/statement/send/",
        views.CustomerStatementSendView.as_view(),
        name="customer_statement_send",
    ),
    path("credit-notes/<uuid:credit_note_id>/pdf/", views.CreditNotePdfView.as_view(), name="credit_note_pdf"),
    path(
        "credit-notes/<uuid:credit_note_id>/einvoice/",
        views.CreditNoteEInvoiceView.as_view(),
        name="credit_note_einvoice",
    ),
    path("credit-notes/<uuid:credit_note_id>/send/", views.CreditNoteSendView.as_view(), name="credit_note_send"),
]
