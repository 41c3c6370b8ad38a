"""Celery tasks of the documents app. Tasks are thin: take ids, find the organization with the
all-tenants scope, then work inside that organization's scope."""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from audit.context import bound_request_context
from documents import jobs, pipeline
from documents.models import OutboundEmail
from documents.outbox import RetryableEmailError, handler_for, header_addresses, header_text, message_id
from organizations.models import Organization
from organizations.tenancy import all_tenants, organization_scope

logger = logging.getLogger(__name__)

EMAIL_MAX_ATTEMPTS = 5
EMAIL_RETRY_BASE_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min between the five attempts
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError, RetryableEmailError)


def build_message(email: OutboundEmail) -> EmailMessage:
    # Headers through header_text: rows queued before names were checked may hold line breaks.
    message = EmailMessage(
        subject=header_text(email.subject),
        body=email.body,
        from_email=header_text(settings.DEFAULT_FROM_EMAIL),
        to=header_addresses(email.to),
        cc=header_addresses(email.cc),
        reply_to=header_addresses(email.reply_to),
        headers={"X-Billora-Email-Id": str(email.pk), "Message-ID": message_id(email)},
    )
    return message


def is_permanent(exc) -> bool:
    """An SMTP 5xx reply is the server's final word (unknown recipient, relay denied, too big):
    another attempt would be refused again. A 4xx reply, a dropped connection or a timeout
    may go through later."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # every recipient refused, each its code
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


def _claim(email_id, organization) -> bool:
    """queued/failed (or sending with an expired lease) -> sending with a fresh lease, in one
    conditional UPDATE: of two workers running the same task, exactly one wins; a row already
    ``sent``, or held by a worker whose lease runs, is never claimed."""
    now = timezone.now()
    claimable = Q(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.FAILED]) | Q(
        status=OutboundEmail.Status.SENDING, sending_until__lt=now
    )
    return bool(
        OutboundEmail.objects.filter(claimable, pk=email_id, organization=organization).update(
            status=OutboundEmail.Status.SENDING,
            attempts=F("attempts") + 1,
            sending_until=now + timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS),
            updated_at=now,
        )
    )


@shared_task(
    name=jobs.SEND_OUTBOUND_EMAIL, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=EMAIL_MAX_ATTEMPTS
)
def send_outbound_email(self, email_id):
    """Send one outbox row. Idempotent: running it twice sends once."""
    with all_tenants():
        organization_id = OutboundEmail.objects.filter(pk=email_id).values_list("organization_id", flat=True).first()
    if organization_id is None:
        logger.warning("outbound email %s does not exist; nothing to send", email_id)
        return "missing"
    organization = Organization.objects.get(pk=organization_id)
    with organization_scope(organization), bound_request_context(request_id=f"task:{self.request.id or ''}"):
        if not _claim(email_id, organization):
            return "skipped"
        email = OutboundEmail.objects.get(pk=email_id, organization=organization)
        handler = handler_for(email.kind)
        if handler.check is not None and _withdrawn(email, handler):
            return "withdrawn"
        try:
            message = _prepared_message(email, handler)
            connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
            message.connection = connection
            if handler.check is not None:
                return _send_checked(email, handler, message)
            message.send()
        except TRANSIENT_ERRORS as exc:
            if not is_permanent(exc):
                return _after_transient_error(self, email, exc)
            logger.warning("outbound email %s refused for good: %s", email_id, exc)
            _mark(email, OutboundEmail.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
            return "failed"
        except Exception as exc:  # a bug or bad data: retrying would not help, so fail visibly
            logger.exception("outbound email %s failed permanently", email_id)
            _mark(email, OutboundEmail.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
            return "failed"
        _mark_sent(email, handler)
        return "sent"


def _withdrawn(email, handler) -> bool:
    """The kind's check, in a transaction of its own: a reason withdraws the row for good."""
    with transaction.atomic():
        reason = handler.check(email)
        if reason:
            _withdraw(email, handler, reason)
    return bool(reason)


def _withdraw(email, handler, reason: str) -> None:
    now = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk, organization_id=email.organization_id).update(
        status=OutboundEmail.Status.WITHDRAWN, sending_until=None, last_error=str(reason)[:2000], updated_at=now
    )
    if handler.withdrawn is not None:
        handler.withdrawn(email, reason)


def _send_checked(email, handler, message) -> str:
    """Check, send and mark sent in one transaction: what the check locked (the invoice of a
    reminder) stays locked until the row says ``sent``, so a payment recorded meanwhile is
    either seen by the check or recorded after the email went out. An SMTP error rolls the
    transaction back and reaches the caller's handlers like an unchecked send's."""
    with transaction.atomic():
        reason = handler.check(email)
        if reason:
            _withdraw(email, handler, reason)
            return "withdrawn"
        message.send()
        _mark_sent(email, handler)
    return "sent"


def _prepared_message(email, handler) -> EmailMessage:
    message = build_message(email)
    if handler.prepare is not None:
        handler.prepare(email, message)
    return message


def _mark_sent(email, handler):
    """The row says ``sent`` (its lease released, its body without what only the recipient may
    read), and the kind's after-sent step runs, in one transaction."""
    now = timezone.now()
    sent = {"status": OutboundEmail.Status.SENT, "sent_at": now, "sending_until": None, "last_error": ""}
    if handler.redact is not None:
        sent["body"] = handler.redact(email.body)
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=email.pk, organization_id=email.organization_id).update(**sent, updated_at=now)
        email.refresh_from_db()
        if handler.after_sent is not None:
            handler.after_sent(email)


def record_delivery(email: OutboundEmail, *, organization) -> bool:
    """Leave an outbox row, and what it is about, exactly as a worker leaves them after a
    successful send (claimed, message prepared with its attachment, marked sent, the kind's
    after-sent step), without handing the message to an SMTP server: for demo data, whose
    recipients do not exist. False when the row was not claimable (sent already)."""
    with organization_scope(organization):
        if not _claim(email.pk, organization):
            return False
        email.refresh_from_db()
        handler = handler_for(email.kind)
        _prepared_message(email, handler)
        _mark_sent(email, handler)
    return True


def _after_transient_error(task, email, exc):
    error = f"{type(exc).__name__}: {exc}"
    if email.attempts >= EMAIL_MAX_ATTEMPTS:
        logger.warning("outbound email %s failed after %s attempts: %s", email.pk, email.attempts, error)
        _mark(email, OutboundEmail.Status.FAILED, error=error)
        return "failed"
    _mark(email, OutboundEmail.Status.QUEUED, error=error)
    countdown = int(_backoff(email.attempts).total_seconds())
    logger.info("outbound email %s attempt %s failed (%s); retrying in %ss", email.pk, email.attempts, error, countdown)
    raise task.retry(exc=exc, countdown=countdown)


def _backoff(attempts) -> timedelta:
    """The wait before the retry that follows attempt number ``attempts``."""
    return timedelta(seconds=EMAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1)) if attempts else timedelta(0)


def _mark(email, status, *, error=""):
    OutboundEmail.objects.filter(pk=email.pk, organization_id=email.organization_id).update(
        status=status, last_error=error[:2000], sending_until=None, updated_at=timezone.now()
    )


# --- documents and the sweeper (the outbox above is generic) --------------------------------

SWEEP_AFTER = timedelta(minutes=2)
# Documents changed this recently are checked for a missing stored version (the process that
# committed the change may have died before its after-commit hook ran).
SWEEP_MISSING_WITHIN = timedelta(days=2)


def _render(kind, subject_id, version, task_id) -> str:
    """Find the subject's organization with the all-tenants scope, then render inside it."""
    with all_tenants():
        organization_id = kind.model.objects.filter(pk=subject_id).values_list("organization_id", flat=True).first()
    if organization_id is None:
        return "missing"
    organization = Organization.objects.get(pk=organization_id)
    with bound_request_context(request_id=f"task:{task_id or ''}"):
        document = pipeline.render(kind, organization=organization, subject_id=subject_id, version=int(version))
    return document.status if document is not None else "discarded"


@shared_task(name=jobs.RENDER_INVOICE_DOCUMENT, acks_late=True, reject_on_worker_lost=True)
def render_invoice_document(invoice_id, version):
    """Render and store one invoice version's PDF and e-invoices. Idempotent (a fresh document
    is kept as it is); a result for a version the invoice left while rendering is discarded."""
    return _render(pipeline.INVOICE, invoice_id, version, render_invoice_document.request.id)


@shared_task(name=jobs.RENDER_CREDIT_NOTE_DOCUMENT, acks_late=True, reject_on_worker_lost=True)
def render_credit_note_document(credit_note_id, version):
    """Render and store an issued credit note's PDF and e-invoices, as for invoices."""
    return _render(pipeline.CREDIT_NOTE, credit_note_id, version, render_credit_note_document.request.id)


def _lost_documents(kind, now) -> tuple[list, list]:
    """(pending documents of current versions whose job seems lost, [(organization id, subject
    id, version)] of recent issued subjects whose current version has no document at all)."""
    cutoff = now - SWEEP_AFTER
    version = F(f"{kind.field}__version")
    with all_tenants():
        pending = list(
            kind.document_model.objects.filter(status=kind.document_model.Status.PENDING, updated_at__lt=cutoff)
            .filter(**{kind.version_field: version})
            .values_list(f"{kind.field}_id", kind.version_field)
        )
        has_document = kind.document_model.objects.filter(
            **{kind.field: OuterRef("pk"), kind.version_field: OuterRef("version")}
        )
        missing = list(
            kind.model.objects.exclude(status="draft")
            .filter(updated_at__lt=cutoff, updated_at__gte=now - SWEEP_MISSING_WITHIN)
            .filter(~Exists(has_document))
            .values_list("organization_id", "pk", "version")
        )
    return pending, missing


@shared_task
def sweep_pending_work(now=None):
    """Every minute (beat): enqueue again what a down broker or a dead process left behind:
    pending documents (invoices' and credit notes') of current versions, queued emails not
    retried on schedule, emails whose worker died mid-send (lease expired), and recent issued
    invoices and credit notes whose current version has no document at all."""
    now = now or timezone.now()
    lost = {kind: _lost_documents(kind, now) for kind in pipeline.KINDS}
    for kind, (pending, _missing) in lost.items():
        for subject_id, version in pending:
            kind.enqueue_render(subject_id, version)
    resent = _sweep_emails(now)
    organization_ids = {row[0] for _pending, missing in lost.values() for row in missing}
    organizations = {o.pk: o for o in Organization.objects.filter(pk__in=organization_ids)}
    for kind, (_pending, missing) in lost.items():
        for organization_id, subject_id, version in missing:
            pipeline.schedule(kind, organization=organizations[organization_id], subject_id=subject_id, version=version)
    return {
        "documents": sum(len(pending) for pending, _missing in lost.values()),
        "emails": resent,
        "missing_documents": sum(len(missing) for _pending, missing in lost.values()),
    }


def _sweep_emails(now) -> int:
    """Enqueue again the queued emails whose task was lost and the emails whose worker's lease
    expired mid-send; give up on those whose every attempt died so. Returns how many it enqueued."""
    with all_tenants():
        queued = list(
            OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, updated_at__lt=now - SWEEP_AFTER)
            .values_list("pk", "attempts", "updated_at")
            .order_by("created_at")
        )
        expired = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, sending_until__lt=now)
        expired.filter(attempts__gte=EMAIL_MAX_ATTEMPTS).update(
            status=OutboundEmail.Status.FAILED,
            sending_until=None,
            last_error=f"Gave up: the worker sending it was lost {EMAIL_MAX_ATTEMPTS} times (its lease expired).",
            updated_at=timezone.now(),
        )
        reclaim = list(
            expired.filter(attempts__lt=EMAIL_MAX_ATTEMPTS).values_list("pk", flat=True).order_by("created_at")
        )
    # A row waiting for its backoff retry is not lost: leave it to its retry.
    lost = [pk for pk, attempts, updated_at in queued if updated_at < now - SWEEP_AFTER - _backoff(attempts)]
    for email_id in [*lost, *reclaim]:
        jobs.enqueue_send(str(email_id))
    return len(lost) + len(reclaim)
