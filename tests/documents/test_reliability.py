"""Celery reliability: a down broker never fails a request, the sweeper catches up later, and
a real worker (Redis broker, shared test database) renders and sends."""

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from billing import services as billing_services
from documents import jobs, services
from documents.models import InvoiceDocument, OutboundEmail
from documents.tasks import sweep_pending_work
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice
from tests.documents.helpers import Recorder, documents_of, free_port, pay, pdf_text, reload

ROOT = Path(__file__).resolve().parent.parent.parent
DOWN_BROKER = "redis://127.0.0.1:1/0"


def _use_broker(app, url):
    """Point the Celery app at ``url``, dropping pooled connections to the previous broker
    (the producer pool is cached on the app and would otherwise keep publishing there)."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def broker_down(settings):
    """A configured but unreachable broker (not eager): publishing raises kombu's
    OperationalError, exactly as in production when Redis is down."""
    from billora.celery import app

    saved = app.conf.broker_url
    _use_broker(app, DOWN_BROKER)
    app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = DOWN_BROKER
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    _use_broker(app, saved)
    app.conf.task_always_eager = True


def test_broker_down_requests_succeed_rows_stay_pending_and_the_sweeper_catches_up(
    client, org, business, customer, member, commit, broker_down, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from billora.celery import app

    # create + issue over HTTP, pay and send through the services: all succeed
    with commit():
        invoice = make_invoice(organization=org, business=business, customer=customer, actor=member)
    client.force_login(member)
    with commit():
        response = client.post(reverse("invoice_issue", kwargs={"org_slug": org.slug, "invoice_id": invoice.pk}))
    assert response.status_code in (200, 302)
    assert reload(invoice).status == "issued"
    with commit():
        pay(invoice, "10.00", actor=member)
    with commit():
        queued = services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)
    invoice = reload(invoice)
    assert invoice.status == "partially_paid"
    assert jobs.enqueue_render(invoice.pk, invoice.version) is False  # really unreachable

    docs = documents_of(invoice)
    assert docs and all(d.status == InvoiceDocument.Status.PENDING for d in docs)
    assert docs[-1].invoice_version == invoice.version
    with organization_scope(org):
        assert OutboundEmail.objects.get(pk=queued.pk).status == OutboundEmail.Status.QUEUED
    assert mail.outbox == []
    # the web download says "being rendered" and asks for it again (which also fails to
    # publish): still no error page
    response = client.get(reverse("invoice_pdf", kwargs={"org_slug": org.slug, "invoice_id": invoice.pk}))
    assert response.status_code == 202

    # The broker is back; the beat's sweeper re-enqueues what was left behind.
    app.conf.task_always_eager = True
    with commit():
        result = sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(minutes=3)}).get()
    assert result["documents"] >= 1 and result["emails"] == 1
    fresh = services.fresh_document(organization=org, invoice=invoice)
    assert fresh is not None and fresh.invoice_version == invoice.version
    with organization_scope(org):
        assert OutboundEmail.objects.get(pk=queued.pk).status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
    [(_filename, content, mimetype)] = mail.outbox[0].attachments
    assert mimetype == "application/pdf" and "€10.00" in pdf_text(content)


def test_sweeper_leaves_an_email_waiting_for_its_backoff_retry_alone(org, issued, member, monkeypatch):
    sent = []
    monkeypatch.setattr("documents.jobs.enqueue_send", lambda email_id: sent.append(email_id))
    email = services.invoice_send(organization=org, actor=member, invoice_id=issued.pk)
    with organization_scope(org):
        OutboundEmail.objects.filter(pk=email.pk).update(attempts=3, updated_at=timezone.now())
    # 3 attempts: the next retry is 2 minutes out; only after that plus the sweep delay is it lost
    assert sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(minutes=3)}).get()["emails"] == 0
    assert sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(minutes=5)}).get()["emails"] == 1
    assert sent == [str(email.pk)]


# --- a real worker ------------------------------------------------------------------------------


def _database_url() -> str | None:
    """The live test database as a URL for the worker process, or None if it cannot be shared."""
    data = connection.settings_dict
    if connection.vendor == "postgresql":
        user = data.get("USER") or ""
        password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        host = data.get("HOST") or "127.0.0.1"
        port = f":{data['PORT']}" if data.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{data['NAME']}"
    name = str(data.get("NAME") or "")
    if connection.vendor == "sqlite" and name and "memory" not in name and not name.startswith("file:"):
        return f"sqlite:///{name}"
    return None


@dataclass
class RunningWorker:
    log: Callable[[], str]
    smtp: Recorder


@pytest.fixture
def celery_worker(transactional_db, settings, tmp_path):
    """``celery -A billora worker`` in a subprocess consuming the app's queues, sharing this
    test's database, media folder and Redis broker (whose db every test starts by emptying).
    Yields the worker's log (for failure messages) and an SMTP server (aiosmtpd) the worker
    sends to."""
    from billora.celery import app

    database_url = _database_url()
    if database_url is None:
        pytest.skip("the worker process cannot share an in-memory SQLite test database; run on PostgreSQL")
    from aiosmtpd.controller import Controller

    smtp = Recorder()
    smtp_server = Controller(smtp, hostname="127.0.0.1", port=free_port())
    smtp_server.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billora.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DEFAULT_FROM_EMAIL": "Billora <no-reply@billora.test>",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "billora",
                "worker",
                "-Q",
                ",".join(settings.TASK_QUEUE_NAMES),
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    _use_broker(app, settings.REDIS_URL)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        # Start-up (imports, broker connection) can be slow on a busy CI machine.
        started = wait_for(lambda: " ready." in log_path.read_text(errors="replace"), timeout=180)
        assert started or worker.poll() is None, "the worker exited:\n" + log_path.read_text(errors="replace")
        yield RunningWorker(log=lambda: log_path.read_text(errors="replace")[-4000:], smtp=smtp)
    finally:
        smtp_server.stop()
        app.conf.task_always_eager = saved[0]
        _use_broker(app, saved[1])
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def wait_for(check, *, timeout=120.0, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.mark.redis
def test_a_real_worker_renders_the_pdf_of_an_issued_invoice(celery_worker, org, business, customer, member):
    invoice = make_invoice(organization=org, business=business, customer=customer, actor=member)
    invoice = billing_services.invoice_issue(organization=org, actor=member, invoice_id=invoice.pk)  # commits

    def ready():
        return services.fresh_document(organization=org, invoice=reload(invoice))

    document = wait_for(ready)
    assert document is not None, "the worker did not render the PDF in time:\n" + celery_worker.log()
    with document.file.open("rb") as fh:
        content = fh.read()
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert reload(invoice).number in pdf_text(content)

    # A payment: the worker renders the new version; the old one is stale from that moment.
    pay(invoice, "10.00", actor=member)
    current = reload(invoice)
    assert services.fresh_document(organization=org, invoice=current) is None or (
        services.fresh_document(organization=org, invoice=current).invoice_version == current.version
    )
    newer = wait_for(lambda: services.fresh_document(organization=org, invoice=reload(invoice)))
    assert newer is not None and newer.invoice_version == current.version, celery_worker.log()
    with newer.file.open("rb") as fh:
        assert "€10.00" in pdf_text(fh.read())


@pytest.mark.redis
def test_a_real_worker_sends_the_invoice_email_with_its_pdf(celery_worker, org, business, customer, member):
    invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    queued = services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)  # commits

    def sent():
        with organization_scope(org):
            return OutboundEmail.objects.filter(pk=queued.pk, status=OutboundEmail.Status.SENT).first()

    row = wait_for(sent)
    assert row is not None, "the worker did not send the email in time:\n" + celery_worker.log()
    assert len(celery_worker.smtp.messages) == 1
    [attachment] = list(celery_worker.smtp.parsed().iter_attachments())
    assert reload(invoice).number in pdf_text(attachment.get_content())
    assert reload(invoice).sent_at is not None
