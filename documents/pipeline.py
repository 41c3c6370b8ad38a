"""The versioned document pipeline: the PDF and the e-invoices of every issued invoice and
credit note, rendered by a job and stored per version (README, "Documents").

Freshness (billing-rules.md, Documents): a stored document is fresh only while its version is
its subject's (the invoice's or credit note's). Every version change of an issued subject
creates a pending document and a render job after commit; the job renders outside any
transaction, then stores the result only if the subject is still at that version (checked
under the subject's row lock, the lock every billing write takes), so a stored ``ready``
document is never of a version the subject already left. Readers compare versions at read
time, so a download never serves stale bytes.

One render makes every file of the version: the PDF (the Factur-X PDF when the business
uses Factur-X), and each e-invoice format the subject satisfies (``einvoices.rendered_files``),
stored with the version, so a new version always comes with new files. A version stored
before e-invoices were (``einvoices`` null) gets them from its stored PDF the first time they
are asked for.

Drafts are never stored: they are previewed, rendered on the fly with a DRAFT watermark.

What differs between invoices and credit notes is a ``Kind``: the models, how a subject is
read for printing, its print data and the job that renders it. The rest is this one path.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from billing.models import CreditNote, Invoice
from documents import einvoices, jobs
from documents.language import document_language
from documents.models import CreditNoteDocument, InvoiceDocument, StoredDocument
from documents.pdf import print_data_for, print_data_for_credit_note, render_invoice_pdf
from organizations.tenancy import organization_scope

logger = logging.getLogger(__name__)

# A pending document asked for again after this long gets its job enqueued again.
RENDER_REQUEST_AGAIN_AFTER = timedelta(seconds=30)
READY = StoredDocument.Status.READY
PENDING = StoredDocument.Status.PENDING
FAILED = StoredDocument.Status.FAILED


def valid_pk(value):
    """A UUID from an instance, UUID or string; None for anything malformed (= missing)."""
    if hasattr(value, "pk"):
        value = value.pk
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class Kind:
    """A kind of stored document: its subject model and document model, the document's
    foreign key to the subject (``field``; the version column is ``<field>_version``)."""

    name: str
    model: type
    document_model: type
    field: str
    print_data: Callable
    enqueue: str  # the ``documents.jobs`` function that enqueues the render job
    select_related: tuple[str, ...]
    prefetch_related: tuple[str, ...]

    @property
    def version_field(self) -> str:
        return f"{self.field}_version"

    def documents(self, organization, subject_id):
        return self.document_model.objects.filter(organization=organization, **{f"{self.field}_id": subject_id})

    def version_documents(self, organization, subject_id, version):
        return self.documents(organization, subject_id).filter(**{self.version_field: version})

    def load(self, organization, subject_id, *, for_print=False):
        """The subject (None when it is not this organization's or the id is malformed)."""
        pk = valid_pk(subject_id)
        if pk is None:
            return None
        queryset = self.model.objects.filter(organization=organization)
        if for_print:
            queryset = queryset.select_related(*self.select_related).prefetch_related(*self.prefetch_related)
        return queryset.filter(pk=pk).first()

    def enqueue_render(self, subject_id, version) -> bool:
        # Through the module attribute, so a test can stand in for the broker.
        return getattr(jobs, self.enqueue)(subject_id, version)


INVOICE = Kind(
    "invoice",
    Invoice,
    InvoiceDocument,
    "invoice",
    print_data_for,
    "enqueue_render",
    ("business", "customer"),
    ("items", "payments"),
)
CREDIT_NOTE = Kind(
    "credit note",
    CreditNote,
    CreditNoteDocument,
    "credit_note",
    print_data_for_credit_note,
    "enqueue_render_credit_note",
    ("business", "invoice__customer"),
    ("items",),
)
KINDS = (INVOICE, CREDIT_NOTE)


def pdf_filename(subject) -> str:
    name = subject.number or f"draft-{str(subject.pk)[:8]}"
    return get_valid_filename(f"{name}.pdf") or "invoice.pdf"


# --- reading --------------------------------------------------------------------------------


def fresh_document(kind: Kind, *, organization, subject) -> StoredDocument | None:
    """The ready document of the subject's current version, or None. Never an older one."""
    with organization_scope(organization):
        return (
            kind.version_documents(organization, subject.pk, subject.version)
            .filter(status=READY)
            .exclude(file="")
            .first()
        )


def latest_document(kind: Kind, *, organization, subject) -> StoredDocument | None:
    """The newest document row of any status (for showing progress or an error)."""
    with organization_scope(organization):
        return kind.documents(organization, subject.pk).first()


def read_pdf(document: StoredDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def read_einvoice(document: StoredDocument, format_key: str) -> bytes | None:
    """The stored e-invoice of the format, or None when the version holds none."""
    entry = document.einvoice(format_key)
    if entry is None:
        return None
    if entry["name"] == document.file.name:  # the version's PDF is the Factur-X file
        return read_pdf(document)
    with document.file.storage.open(entry["name"], "rb") as handle:
        return handle.read()


# --- scheduling -----------------------------------------------------------------------------


def schedule(kind: Kind, *, organization, subject_id, version) -> StoredDocument | None:
    """Create the pending document of ``version`` (idempotent) and enqueue its render after
    commit. Nothing for drafts, deleted subjects, or a version the subject already left."""
    with organization_scope(organization):
        subject = kind.load(organization, subject_id)
        if subject is None or subject.is_draft or subject.version != version:
            return None
        document, _ = kind.document_model.objects.get_or_create(
            organization=organization, **{kind.field: subject, kind.version_field: version}
        )
    if document.status != READY:
        transaction.on_commit(lambda: kind.enqueue_render(subject.pk, version))
    return document


def request_render(kind: Kind, *, organization, subject_id, format_key=None) -> StoredDocument | None:
    """A download found no fresh document (or no stored ``format_key`` e-invoice in it): make
    sure one is on its way. A failed or pending one is enqueued again once it has waited a
    while (a pending job may have been lost with the broker). Drafts: None."""
    with organization_scope(organization):
        subject = kind.load(organization, subject_id)
        if subject is None or subject.is_draft:
            return None
        document, created = kind.document_model.objects.get_or_create(
            organization=organization, **{kind.field: subject, kind.version_field: subject.version}
        )
        if document.status == READY and (format_key is None or document.einvoice(format_key) is not None):
            return document
        # At most one new attempt per RENDER_REQUEST_AGAIN_AFTER, however often the
        # self-refreshing page asks (a render that fails keeps failing until fixed).
        if not created and timezone.now() - document.updated_at < RENDER_REQUEST_AGAIN_AFTER:
            return document
        rows = kind.document_model.objects.filter(pk=document.pk)
        if document.status == FAILED:
            rows.filter(status=FAILED).update(status=PENDING, updated_at=timezone.now())
        else:
            rows.update(updated_at=timezone.now())
    version = subject.version
    transaction.on_commit(lambda: kind.enqueue_render(subject.pk, version))
    return document


# --- rendering ------------------------------------------------------------------------------


def _discard(kind: Kind, organization, subject_id, version) -> None:
    """The subject left ``version`` before its document was stored: drop the pending row
    (the newer version has its own document and job)."""
    kind.version_documents(organization, subject_id, version).exclude(status=READY).delete()


def render(kind: Kind, *, organization, subject_id, version=None) -> StoredDocument | None:
    """Render and store the files of ``version`` (default: the current one).

    Idempotent: returns the existing ready document without rendering (a ready one stored
    before e-invoices were gets them, from its stored PDF). Returns None when there is nothing
    to store: a draft, a deleted subject, or a subject that moved past ``version`` (before or
    while rendering; the result is then discarded)."""
    with organization_scope(organization):
        subject = kind.load(organization, subject_id, for_print=True)
        if subject is None or subject.is_draft:
            return None
        if version is None:
            version = subject.version
        if subject.version != version:
            _discard(kind, organization, subject.pk, version)
            return None
        existing = kind.version_documents(organization, subject.pk, version).first()
        # Render outside any transaction: it takes a while and must not hold locks.
        try:
            rendered = _render_files(kind, subject, existing)
        except Exception as exc:
            logger.exception("rendering %s %s v%s failed", kind.name, subject.pk, version)
            return _store_failure(kind, organization, subject, version, exc)
        if rendered is None:
            return existing
        pdf, is_facturx, files = rendered
        return _store(kind, organization, subject, version, pdf, facturx=is_facturx, files=files)


def _render_files(kind: Kind, subject, existing):
    """(PDF, is Factur-X, {format: e-invoice}) of the subject's version: everything when no
    ready document holds it yet, else the e-invoices it lacks from its stored PDF; None when
    the ready document holds every file."""
    formats = einvoices.satisfied_formats(subject)
    if existing is not None and existing.status == READY:
        missing = formats - set(existing.einvoices or ())
        if existing.einvoices is not None and not missing:
            return None
        pdf, is_facturx = read_pdf(existing), existing.facturx
    else:
        missing = formats
        pdf = render_invoice_pdf(kind.print_data(subject, language=document_language(subject)))
        pdf, is_facturx = einvoices.facturx_for_pipeline(subject, pdf)
    return pdf, is_facturx, einvoices.rendered_files(subject, pdf, is_facturx=is_facturx, formats=missing)


def _store_failure(kind: Kind, organization, subject, version, exc) -> StoredDocument:
    """The render failed: the document says why (a ready twin is left as it is)."""
    document, _ = kind.document_model.objects.get_or_create(
        organization=organization, **{kind.field: subject, kind.version_field: version}
    )
    if document.status != READY:
        document.status = FAILED
        document.error = f"{type(exc).__name__}: {exc}"[:2000]
        document.save(update_fields=["status", "error", "updated_at"])
    return document


def _store(kind: Kind, organization, subject, version, pdf: bytes, *, facturx: bool, files: dict):
    """Store the rendered files as ``version``'s document, unless the subject has left that
    version meanwhile (then the result is discarded: None)."""
    with transaction.atomic():
        # The lock every billing write takes: no version change can slip in between this
        # check and the commit below.
        current = (
            kind.model.objects.select_for_update()
            .filter(organization=organization, pk=subject.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current != version:
            _discard(kind, organization, subject.pk, version)
            logger.info("%s %s moved to v%s while v%s rendered; discarded", kind.name, subject.pk, current, version)
            return None
        document, _ = kind.document_model.objects.select_for_update().get_or_create(
            organization=organization, **{kind.field: subject, kind.version_field: version}
        )
        if document.status == READY and document.einvoices is not None and set(files) <= set(document.einvoices):
            return document  # a twin job got there first
        if document.status != READY:
            document.file.save(pdf_filename(subject), ContentFile(pdf), save=False)
            document.sha256 = hashlib.sha256(pdf).hexdigest()
            document.size = len(pdf)
            document.facturx = facturx
            document.status = READY
            document.error = ""
            document.rendered_at = timezone.now()
        document.einvoices = {**(document.einvoices or {}), **_store_einvoices(document, subject, files)}
        document.save()
    return document


def _store_einvoices(document: StoredDocument, subject, files: dict) -> dict:
    """Write each e-invoice beside the version's PDF; the entries the document keeps."""
    entries = {}
    for key, content in files.items():
        if content is None:  # the version's PDF is the Factur-X file
            entries[key] = {"name": document.file.name, "sha256": document.sha256, "size": document.size}
            continue
        suffix = "pdf" if key == einvoices.FACTURX else "xml"
        name = document.file.field.generate_filename(document, f"{subject.number}-{key}.{suffix}")
        stored = document.file.storage.save(name, ContentFile(content))
        entries[key] = {"name": stored, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
    return entries


def ensure_fresh(kind: Kind, *, organization, subject_id) -> StoredDocument:
    """The fresh document of the subject's current version with all its files, rendered here
    and now if needed (the email job uses it: the email carries exactly the version current
    when it runs)."""
    for _ in range(3):  # the subject may move on while we render; then render the newer one
        document = render(kind, organization=organization, subject_id=subject_id)
        if document is None:
            continue
        if document.status != READY:
            raise RuntimeError(f"The PDF could not be rendered: {document.error}")
        return document
    raise RuntimeError(f"The {kind.name} kept changing while its PDF was rendered.")
