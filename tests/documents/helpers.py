"""Small helpers shared by the documents tests."""

import io
from decimal import Decimal

from pypdf import PdfReader

from billing import services as billing_services
from documents.models import InvoiceDocument
from organizations.tenancy import organization_scope


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def documents_of(invoice):
    with organization_scope(invoice.organization):
        return list(InvoiceDocument.objects.filter(invoice=invoice).order_by("invoice_version"))


def reload(invoice):
    from billing.models import Invoice

    with organization_scope(invoice.organization):
        return Invoice.objects.get(pk=invoice.pk)


def pay(invoice, amount, actor=None):
    return billing_services.payment_record(
        organization=invoice.organization,
        actor=actor,
        invoice_id=invoice.pk,
        amount=str(Decimal(amount)),
        date=invoice.organization.local_today(),
    )
