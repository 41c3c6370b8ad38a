"""Billing pages, mounted under /o/<slug:org_slug>/ (the tenancy middleware resolves the org)."""

from django.urls import path

from billing import reminder_views, views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    # Businesses live in the settings area.
    path("settings/businesses/", views.BusinessListView.as_view(), name="business_list"),
    path("settings/businesses/new/", views.BusinessFormView.as_view(), name="business_create"),
    path("settings/businesses/<uuid:business_id>/", views.BusinessFormView.as_view(), name="business_edit"),
    path("settings/businesses/<uuid:business_id>/logo/", views.BusinessLogoView.as_view(), name="business_logo"),
    # Customers
    path("customers/", views.CustomerListView.as_view(), name="customer_list"),
    path("customers/new/", views.CustomerFormView.as_view(), name="customer_create"),
    path("customers/<uuid:customer_id>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("customers/<uuid:customer_id>/statement/", views.CustomerStatementView.as_view(), name="customer_statement"),
    path("customers/<uuid:customer_id>/edit/", views.CustomerFormView.as_view(), name="customer_edit"),
    path("customers/<uuid:customer_id>/archive/", views.CustomerArchiveView.as_view(), name="customer_archive"),
    path("customers/<uuid:customer_id>/delete/", views.CustomerDeleteView.as_view(), name="customer_delete"),
    # Invoices
    path("invoices/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/new/", views.InvoiceCreateView.as_view(), name="invoice_create"),
    path("invoices/export.csv", views.InvoiceExportView.as_view(), name="invoice_export"),
    path("invoices/editor/", views.InvoiceEditorView.as_view(), name="invoice_editor"),
    path("invoices/<uuid:invoice_id>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("invoices/<uuid:invoice_id>/edit/", views.InvoiceEditView.as_view(), name="invoice_edit"),
    path("invoices/<uuid:invoice_id>/issue/", views.InvoiceIssueView.as_view(), name="invoice_issue"),
    path("invoices/<uuid:invoice_id>/void/", views.InvoiceVoidView.as_view(), name="invoice_void"),
    path("invoices/<uuid:invoice_id>/cancel/", views.InvoiceCancelView.as_view(), name="invoice_cancel"),
    path("invoices/<uuid:invoice_id>/correct/", views.InvoiceCorrectView.as_view(), name="invoice_correct"),
    path(
        "invoices/<uuid:invoice_id>/credit-notes/new/", views.CreditNoteCreateView.as_view(), name="credit_note_create"
    ),
    path(
        "invoices/<uuid:invoice_id>/credit-notes/<uuid:credit_note_id>/edit/",
        views.CreditNoteCreateView.as_view(),
        name="credit_note_edit",
    ),
    path(
        "invoices/<uuid:invoice_id>/credit-notes/<uuid:credit_note_id>/issue/",
        views.CreditNoteActionView.as_view(action="issue"),
        name="credit_note_issue",
    ),
    path(
        "invoices/<uuid:invoice_id>/credit-notes/<uuid:credit_note_id>/delete/",
        views.CreditNoteActionView.as_view(action="delete"),
        name="credit_note_delete",
    ),
    path("invoices/<uuid:invoice_id>/delete/", views.InvoiceDeleteView.as_view(), name="invoice_delete"),
    path("invoices/<uuid:invoice_id>/duplicate/", views.InvoiceDuplicateView.as_view(), name="invoice_duplicate"),
    path("invoices/<uuid:invoice_id>/payments/", views.PaymentRecordView.as_view(), name="payment_record"),
    path(
        "invoices/<uuid:invoice_id>/payments/<uuid:payment_id>/void/",
        views.PaymentVoidView.as_view(),
        name="payment_void",
    ),
    path("credit-notes/", views.CreditNoteListView.as_view(), name="credit_note_list"),
    # Recurring invoices
    path("recurring/", views.RecurringInvoiceListView.as_view(), name="recurring_list"),
    path("recurring/new/", views.RecurringInvoiceCreateView.as_view(), name="recurring_create"),
    path("recurring/schedule/", views.RecurringScheduleView.as_view(), name="recurring_schedule"),
    path("recurring/<uuid:template_id>/", views.RecurringInvoiceDetailView.as_view(), name="recurring_detail"),
    path("recurring/<uuid:template_id>/edit/", views.RecurringInvoiceEditView.as_view(), name="recurring_edit"),
    path(
        "recurring/<uuid:template_id>/schedule/",
        views.RecurringScheduleView.as_view(),
        name="recurring_schedule_edit",
    ),
    path("recurring/<uuid:template_id>/delete/", views.RecurringInvoiceDeleteView.as_view(), name="recurring_delete"),
    path("recurring/<uuid:template_id>/pause/", views.RecurringInvoicePauseView.as_view(), name="recurring_pause"),
    path("recurring/<uuid:template_id>/resume/", views.RecurringInvoiceResumeView.as_view(), name="recurring_resume"),
]

# Payment reminders: a business's schedule, and the opt-outs of a customer and of an invoice.
urlpatterns += [
    path(
        "settings/businesses/<uuid:business_id>/reminders/",
        reminder_views.BusinessRemindersView.as_view(),
        name="business_reminders",
    ),
    path(
        "customers/<uuid:customer_id>/reminders/",
        reminder_views.CustomerRemindersView.as_view(),
        name="customer_reminders",
    ),
    path(
        "invoices/<uuid:invoice_id>/reminders/", reminder_views.InvoiceRemindersView.as_view(), name="invoice_reminders"
    ),
]
