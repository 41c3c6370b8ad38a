"""API v1 routes: every viewset is registered on the one router here.

The project package may import every app; the apps do not import each other upward. Billing
owns ``/invoices/``; documents' viewset adds only the ``send`` and ``pdf`` detail routes under
the same prefix (see documents/api.py).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from audit.api import AuditEventViewSet
from billing.api.viewsets import (
    BusinessViewSet,
    CreditNoteViewSet,
    CustomerViewSet,
    InvoiceViewSet,
    PaymentViewSet,
    RecurringInvoiceViewSet,
)
from billora.api.views import PingView
from documents.api import CreditNoteDocumentViewSet, CustomerStatementViewSet, InvoiceDocumentViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.include_format_suffixes = False
router.register("businesses", BusinessViewSet, basename="business")
router.register("customers", CustomerViewSet, basename="customer")
router.register("customers", CustomerStatementViewSet, basename="customer-statement")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("invoices", InvoiceDocumentViewSet, basename="invoice-document")
router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
router.register("credit-notes", CreditNoteDocumentViewSet, basename="credit-note-document")
router.register("payments", PaymentViewSet, basename="payment")
router.register("recurring-invoices", RecurringInvoiceViewSet, basename="recurring-invoice")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("ping/", PingView.as_view(), name="api-ping"),
    path("", include(router.urls)),
]
