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


# --- credit notes ---------------------------------------------------------------------------

ITEM = {"description": "Design work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}
EVERY_FORMAT = frozenset({"facturx", "cii", "ubl", "xrechnung-cii", "xrechnung-ubl", "peppol"})


def issue_note(org, *, commit=None, business=None, customer=None, items=(ITEM,), reason="Two hours billed twice"):
    """(invoice, credit note): an invoice of 2 x ``items[0]`` issued on 2026-03-05 and a credit
    note of one of them, issued (inside ``commit()`` when given: its render runs)."""
    from tests.billing.factories import make_invoice

    invoice = make_invoice(
        organization=org, business=business, customer=customer, items=items, status="issued", issue_date="2026-03-05"
    )
    line = {**items[0], "quantity": "1"}
    note = billing_services.credit_note_create(
        organization=org, actor=None, data={"invoice": invoice.pk, "reason": reason, "items": [line]}
    )
    if commit is None:
        return invoice, billing_services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)
    with commit():
        return invoice, billing_services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)


def credit_note_documents(note):
    from documents.models import CreditNoteDocument

    with organization_scope(note.organization):
        return list(CreditNoteDocument.objects.filter(credit_note=note))


def full_parties(org):
    """(business, customer) with the data of every e-invoice format."""
    from tests.billing.factories import BusinessFactory, CustomerFactory
    from tests.einvoice.issued import DE_FULL_BUYER, DE_FULL_SELLER

    return BusinessFactory(organization=org, **DE_FULL_SELLER), CustomerFactory(organization=org, **DE_FULL_BUYER)
