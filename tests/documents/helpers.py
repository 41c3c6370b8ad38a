"""Small helpers shared by the documents tests."""

import email
import email.policy
import io
import socket
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An SMTP server's message handler: keeps what it accepts, or refuses with 451 (a
    transient error) while ``refuse`` is above zero."""

    def __init__(self):
        self.messages = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self, index=-1):
        return email.message_from_bytes(self.messages[index].content, policy=email.policy.default)
