from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantManager, TenantModel


def document_upload_to(document, filename):
    return f"invoices/{document.organization_id}/{document.invoice_id}/v{document.invoice_version}-{filename}"


def credit_note_document_upload_to(document, filename):
    return (
        f"credit-notes/{document.organization_id}/{document.credit_note_id}/v{document.credit_note_version}-{filename}"
    )


class StoredDocument(TenantModel):
    """The files of one printed version of a document (an invoice, a credit note): its PDF and
    its e-invoices, rendered together by the document pipeline. Fresh only while its version
    is the document's."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    file = models.FileField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    # The file is the Factur-X PDF (PDF/A-3 with the CII XML inside), not the plain PDF.
    facturx = models.BooleanField(default=False)
    # The e-invoices of this version, one per format the document satisfies, stored beside the
    # PDF: {format key: {"name": storage name, "sha256", "size"}}; the Factur-X entry names the
    # PDF itself when ``facturx``. Null: not rendered yet (versions stored before e-invoices were).
    einvoices = models.JSONField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        abstract = True

    @property
    def version(self) -> int:
        raise NotImplementedError

    def is_fresh_for(self, subject) -> bool:
        return self.status == self.Status.READY and self.version == subject.version

    def einvoice(self, format_key: str) -> dict | None:
        """The stored e-invoice of the format ({"name", "sha256", "size"}), or None."""
        return (self.einvoices or {}).get(format_key)


class InvoiceDocument(StoredDocument):
    """The files of one invoice version."""

    invoice = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE, related_name="documents")
    invoice_version = models.PositiveIntegerField()
    file = models.FileField(upload_to=document_upload_to, blank=True)

    class Meta:
        ordering = ["-invoice_version"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "invoice_version"], name="invoice_document_unique_version"),
        ]
        indexes = [
            models.Index(fields=["organization", "invoice", "-invoice_version"], name="document_org_invoice"),
            models.Index(fields=["status", "created_at"], name="document_status_created"),
        ]

    def __str__(self):
        return f"{self.invoice} v{self.invoice_version} ({self.status})"

    @property
    def version(self) -> int:
        return self.invoice_version

    @property
    def is_fresh(self) -> bool:
        return self.is_fresh_for(self.invoice)


class CreditNoteDocument(StoredDocument):
    """The files of an issued credit note (final: one version once issued)."""

    credit_note = models.ForeignKey("billing.CreditNote", on_delete=models.CASCADE, related_name="documents")
    credit_note_version = models.PositiveIntegerField()
    file = models.FileField(upload_to=credit_note_document_upload_to, blank=True)

    class Meta:
        ordering = ["-credit_note_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "credit_note_version"], name="credit_note_document_unique_version"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "credit_note", "-credit_note_version"], name="cn_document_org_note"),
            models.Index(fields=["status", "created_at"], name="cn_document_status_created"),
        ]

    def __str__(self):
        return f"{self.credit_note} v{self.credit_note_version} ({self.status})"

    @property
    def version(self) -> int:
        return self.credit_note_version


class OutboundEmail(TenantModel):
    """The outbox: one row per message, sent by a task; the row is the truth about delivery."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        INVITE = "invite", "Invite"
        CREDIT_NOTE = "credit_note", "Credit note"
        STATEMENT = "statement", "Statement"
        REMINDER = "reminder", "Payment reminder"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Not sent, on purpose: what it was about changed before it went out (a reminder of
        # an invoice paid in the meantime).
        WITHDRAWN = "withdrawn", _("Withdrawn")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INVOICE)
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    invite = models.ForeignKey(
        "organizations.Invite", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    credit_note = models.ForeignKey(
        "billing.CreditNote", on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    # A statement of account: its customer and period; the PDF is rendered when it is sent.
    customer = models.ForeignKey(
        "billing.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    statement_start = models.DateField(null=True, blank=True)
    statement_end = models.DateField(null=True, blank=True)
    reminder = models.ForeignKey(
        "billing.PaymentReminder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # While ``sending``: the worker's lease on the row. Past it, the worker is taken for dead
    # (killed mid-send) and the sweeper hands the row to another.
    sending_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    document_version = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    requested_by_label = models.CharField(max_length=300, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="invoice") | Q(invoice__isnull=False), name="outbound_email_invoice_has_invoice"
            ),
            models.CheckConstraint(
                condition=~Q(kind="statement") | Q(statement_start__isnull=False, statement_end__isnull=False),
                name="outbound_email_statement_has_period",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "invoice", "-created_at"], name="email_org_invoice"),
            models.Index(fields=["status", "created_at"], name="email_status_created"),
        ]

    def __str__(self):
        return f"{self.subject} -> {', '.join(self.to)} ({self.status})"
