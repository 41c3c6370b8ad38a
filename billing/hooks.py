"""Side effects of billing writes, scheduled to run only after the transaction commits."""

from django.db import transaction

from billing.models import Invoice
from billing.signals import invoice_version_changed


def schedule_document_refresh(invoice) -> None:
    """After commit (never on rollback), tell listeners the invoice has a new ``version``."""
    organization = invoice.organization
    invoice_id = invoice.pk
    version = invoice.version
    status = invoice.status

    def send():
        invoice_version_changed.send(
            sender=Invoice, organization=organization, invoice_id=invoice_id, version=version, status=status
        )

    transaction.on_commit(send)
