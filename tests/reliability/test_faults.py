"""Faults the app must survive (issue 10): the broker down, a worker killed mid-render, an SMTP
server refusing mail, the database connection dropped in the middle of a request.

tests/documents covers each mechanism with the services; here the same faults hit the public
surfaces (the API, the web forms) end to end."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services as billing_services
from billing.models import Invoice, InvoiceItem
from documents import outbox
from documents import services as document_services
from documents.models import InvoiceDocument, OutboundEmail
from documents.tasks import EMAIL_MAX_ATTEMPTS, send_outbound_email, sweep_pending_work
from organizations.api.throttling import ApiKeyRateThrottle
from organizations.permissions import Role
from organizations.tenancy import all_tenants, organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.test_views_invoices import invoice_post
from tests.documents.helpers import Recorder, free_port, pdf_text
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key
from tests.reliability.helpers import assert_audit_chain_intact, assert_invoice_invariants, reload

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]
DOWN_BROKER = "redis://127.0.0.1:1/0"
ITEMS = [
    {"description": "Design", "quantity": "2", "unit_price": "100.00", "tax_rate": "20"},
    {"description": "Hosting", "quantity": "1", "unit_price": "9.99", "tax_rate": "0"},
]


@pytest.fixture(autouse=True)
def _generous_throttle(monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "100000/minute", raising=False)


@pytest.fixture
def world(db):
    org = OrganizationFactory(default_currency="EUR")
    business = BusinessFactory(organization=org, default_currency="EUR", email="billing@acme.example")
    customer = CustomerFactory(organization=org, email="ap@customer.example")
    _, key = make_api_key(org, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return {"org": org, "business": business, "customer": customer, "api": api, "key": key}


def _create_body(world, **extra):
    return {
        "business": str(world["business"].pk),
        "customer": str(world["customer"].pk),
        "items": ITEMS,
        **extra,
    }


def _use_broker(app, url):
    """Point the Celery app at ``url``, forgetting its pools of connections to the previous
    broker (not closing them: kombu's global producer registry may still hand them out)."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def broker_down(settings):
    from billora.celery import app

    saved = app.conf.broker_url
    _use_broker(app, DOWN_BROKER)
    app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = DOWN_BROKER
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def back_up():
        if app.conf.broker_url == saved:
            return
        _use_broker(app, saved)
        app.conf.task_always_eager = True  # "the broker returns": tasks run (in-process)
        settings.CELERY_TASK_ALWAYS_EAGER = True

    yield back_up
    back_up()


# --- the broker down --------------------------------------------------------------------------


def test_broker_down_api_create_issue_pay_send_succeed_and_the_sweeper_picks_the_work_up(
    world, broker_down, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    api, org = world["api"], world["org"]
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/invoices/", _create_body(world), format="json")
    assert created.status_code == 201, created.content
    invoice_id = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        issued = api.post(f"/api/v1/invoices/{invoice_id}/issue/")
    assert issued.status_code == 200, issued.content
    with django_capture_on_commit_callbacks(execute=True):
        paid = api.post(
            "/api/v1/payments/",
            {"invoice": invoice_id, "amount": "50.00", "date": org.local_today().isoformat()},
            format="json",
        )
    assert paid.status_code == 201, paid.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"/api/v1/invoices/{invoice_id}/send/")
    assert sent.status_code == 202, sent.content

    # The work is described by rows that wait: a pending document of the current version,
    # a queued email; nothing rendered, nothing mailed.
    with organization_scope(org):
        invoice = Invoice.objects.get(pk=invoice_id)
        documents = list(InvoiceDocument.objects.filter(invoice=invoice))
        email = OutboundEmail.objects.get(pk=sent.json()["email"])
    assert invoice.status == "partially_paid"
    assert documents and {d.status for d in documents} == {InvoiceDocument.Status.PENDING}
    assert max(d.invoice_version for d in documents) == invoice.version
    assert email.status == OutboundEmail.Status.QUEUED
    assert mail.outbox == []
    response = api.get(f"/api/v1/invoices/{invoice_id}/pdf/")
    assert response.status_code == 202 and "Retry-After" in response
    assert api.get(f"/api/v1/invoices/{invoice_id}/").json()["document"]["status"] == "pending"

    # The broker is back; the beat's sweeper finds what was left behind.
    broker_down()
    later = timezone.now() + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_pending_work.apply(kwargs={"now": later}).get()
    assert result["documents"] >= 1 and result["emails"] == 1
    assert document_services.fresh_document(organization=org, invoice=invoice) is not None
    with organization_scope(org):
        assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
    [(_name, content, _mimetype)] = mail.outbox[0].attachments
    assert invoice.number in pdf_text(content)
    # A second sweep (or a late duplicate delivery) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = sweep_pending_work.apply(kwargs={"now": later + timedelta(minutes=3)}).get()
    assert again["emails"] == 0
    assert send_outbound_email.apply(args=[str(email.pk)]).get() == "skipped"
    assert len(mail.outbox) == 1
    assert api.get(f"/api/v1/invoices/{invoice_id}/pdf/").status_code == 200
    assert_invoice_invariants(invoice)
    assert_audit_chain_intact()


# --- SMTP refusing ----------------------------------------------------------------------------


class RefusingSMTP(Recorder):
    """Refuses every message with ``code`` (``refuse`` times, or forever with -1)."""

    def __init__(self, reply, refuse=-1):
        super().__init__()
        self.reply = reply
        self.refuse = refuse
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse:
            self.refuse -= 1
            return self.reply
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    controllers = []

    def start(handler):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def worker_retries(monkeypatch):
    """A retry re-runs the task at once (as a worker would after the countdown)."""
    from billora.celery import app

    countdowns = []
    original = send_outbound_email.retry

    def retry(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return original(*args, **kwargs)

    monkeypatch.setattr(send_outbound_email, "retry", retry)
    app.conf.task_eager_propagates = False
    yield countdowns
    app.conf.task_eager_propagates = True


def test_smtp_refusing_for_now_means_retries_then_failed_and_no_mail(
    world, smtp_server, worker_retries, django_capture_on_commit_callbacks
):
    reply = "451 4.3.0 Mailbox busy, try again later"
    org = world["org"]
    invoice = make_invoice(organization=org, business=world["business"], customer=world["customer"], status="issued")
    smtp = smtp_server(RefusingSMTP(reply))
    with django_capture_on_commit_callbacks(execute=True):
        response = world["api"].post(f"/api/v1/invoices/{invoice.pk}/send/")
    assert response.status_code == 202
    with organization_scope(org):
        email = OutboundEmail.objects.get(pk=response.json()["email"])
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == EMAIL_MAX_ATTEMPTS == smtp.attempts
    assert reply.split()[0] in email.last_error
    assert worker_retries == [30, 60, 120, 240]
    assert smtp.messages == []
    assert reload(invoice).sent_at is None
    # A failed row is not swept again on its own: no surprise mail later.
    assert sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(hours=1)}).get()["emails"] == 0


class RefusingRecipients(Recorder):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"


@pytest.mark.parametrize(
    ("handler", "reply"),
    [
        (lambda: RefusingSMTP("554 5.7.1 Relay access denied"), "554"),
        (lambda: RefusingSMTP("552 5.3.4 Message too big"), "552"),
        (RefusingRecipients, "550"),
    ],
    ids=["554-data", "552-data", "550-recipient"],
)
def test_smtp_refusing_for_good_fails_at_once_without_retrying(
    world, smtp_server, worker_retries, handler, reply, django_capture_on_commit_callbacks
):
    """A 5xx reply is the server's final word: retrying would only be refused again."""
    org = world["org"]
    invoice = make_invoice(organization=org, business=world["business"], customer=world["customer"], status="issued")
    smtp = smtp_server(handler())
    with django_capture_on_commit_callbacks(execute=True):
        response = world["api"].post(f"/api/v1/invoices/{invoice.pk}/send/")
    with organization_scope(org):
        email = OutboundEmail.objects.get(pk=response.json()["email"])
    assert (email.status, email.attempts) == (OutboundEmail.Status.FAILED, 1)
    assert reply in email.last_error
    assert worker_retries == []
    assert smtp.messages == []
    assert reload(invoice).sent_at is None
    assert sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(hours=1)}).get()["emails"] == 0


def test_smtp_refusing_twice_then_accepting_delivers_exactly_one_mail(
    world, smtp_server, worker_retries, django_capture_on_commit_callbacks
):
    org = world["org"]
    invoice = make_invoice(organization=org, business=world["business"], customer=world["customer"], status="issued")
    smtp = smtp_server(RefusingSMTP("451 4.3.0 Try again later", refuse=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = world["api"].post(f"/api/v1/invoices/{invoice.pk}/send/")
    email_id = response.json()["email"]
    with organization_scope(org):
        email = OutboundEmail.objects.get(pk=email_id)
    assert (email.status, email.attempts, smtp.attempts) == (OutboundEmail.Status.SENT, 3, 3)
    # Redelivery of the same task and later sweeps never send it again.
    assert send_outbound_email.apply(args=[email_id]).get() == "skipped"
    assert sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(hours=1)}).get()["emails"] == 0
    assert len(smtp.messages) == 1
    assert reload(invoice).sent_at is not None


# --- the database connection dropped mid-request -----------------------------------------------


def _terminate_own_backend():
    """Kill this thread's PostgreSQL backend from another connection, as a DB restart or a
    network cut would; the next query on it fails with OperationalError."""
    pid = connection.connection.info.backend_pid
    data = connection.settings_dict
    with psycopg.connect(
        host=data.get("HOST") or "127.0.0.1",
        port=data.get("PORT") or 5432,
        user=data.get("USER") or "postgres",
        password=data.get("PASSWORD") or None,
        dbname=data["NAME"],
        autocommit=True,
    ) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def drop_connection_during(monkeypatch):
    """``drop_connection_during("billing.services.invoices._write_items")``: the connection dies right
    before that step, after the invoice row was inserted in the same transaction."""

    def arm(target):
        module_name, name = target.rsplit(".", 1)
        module = __import__(module_name, fromlist=[name])
        original = getattr(module, name)
        calls = []

        def dropping(*args, **kwargs):
            calls.append(1)
            _terminate_own_backend()
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, dropping)
        return calls

    yield arm
    # What request_finished does in production (the test client skips it): drop the dead one.
    connection.close()


def _rows(model):
    with all_tenants():
        return model.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_db_connection_dropped_during_an_api_create_is_a_clean_503_and_no_partial_invoice(
    world, drop_connection_during
):
    calls = drop_connection_during("billing.services.invoices._write_items")
    api = world["api"]
    api.raise_request_exception = False  # answer like production does, do not re-raise in the test
    before = (_rows(Invoice), _rows(InvoiceItem))

    response = api.post("/api/v1/invoices/", _create_body(world), format="json")

    assert calls, "the fault was not injected"
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json() and "Traceback" not in response.content.decode()
    assert response.has_header("Retry-After")
    assert (_rows(Invoice), _rows(InvoiceItem)) == before  # nothing half-written survived


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_db_connection_dropped_during_a_web_invoice_create_is_a_clean_503_page(
    world, drop_connection_during, monkeypatch
):
    org = world["org"]
    user = MembershipFactory(organization=org, role=Role.MEMBER).user
    client = Client(raise_request_exception=False)
    client.force_login(user)
    calls = drop_connection_during("billing.services.invoices._write_items")
    before = (_rows(Invoice), _rows(InvoiceItem))

    response = client.post(
        f"/o/{org.slug}/invoices/new/", invoice_post(world["business"], world["customer"]), secure=True
    )

    assert calls, "the fault was not injected"
    assert response.status_code == 503, (response.status_code, response.content[:300])
    body = response.content.decode()
    assert "Traceback" not in body and "OperationalError" not in body
    assert "try again" in body.lower()
    assert (_rows(Invoice), _rows(InvoiceItem)) == before
    monkeypatch.undo()
    connection.close()
    # Service is back: the same form now creates the invoice with its items.
    again = client.post(f"/o/{org.slug}/invoices/new/", invoice_post(world["business"], world["customer"]), secure=True)
    assert again.status_code == 302, again.status_code
    with organization_scope(org):
        [created] = Invoice.objects.filter(organization=org)
        assert created.items.count() == 1
    assert_audit_chain_intact()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_db_connection_dropped_before_the_view_is_a_clean_503(world, monkeypatch):
    """The connection dies while the API key is being checked (before any view code)."""
    from organizations.api.authentication import ApiKeyAuthentication

    original = ApiKeyAuthentication._lookup

    def lookup(raw):
        _terminate_own_backend()
        return original(raw)

    monkeypatch.setattr(ApiKeyAuthentication, "_lookup", staticmethod(lookup))
    api = world["api"]
    api.raise_request_exception = False
    try:
        response = api.get("/api/v1/customers/")
    finally:
        connection.close()
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert "detail" in response.json()


# --- a worker killed mid-render (acks_late) ----------------------------------------------------


def _database_url():
    data = connection.settings_dict
    user = data.get("USER") or ""
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{data['PORT']}" if data.get("PORT") else ""
    return f"postgres://{auth}{data.get('HOST') or '127.0.0.1'}{port}/{data['NAME']}"


def _wait_for(check, timeout, interval=0.2):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    return None


def _start_worker(*, queue, env, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process in the test's finally)
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "reliability" / "slow_render_worker.py"),
            "-A",
            "billora",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-n",
            f"reliability-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, log


def _stop(process):
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _worker_env(settings, **extra):
    """The environment of a real worker process sharing this test's database and Redis."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "billora.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **extra,
    }


@pytest.fixture
def real_broker(settings):
    """This process publishes tasks to the test's Redis instead of running them in-process."""
    from billora.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    _use_broker(app, settings.REDIS_URL)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    app.conf.task_always_eager = saved[0]
    _use_broker(app, saved[1])


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_still_ends_with_the_document_ready(world, settings, tmp_path, real_broker):
    org = world["org"]
    # The app's own queues: the test's Redis db is emptied before each test (the cache's clear).
    queue = ",".join(settings.TASK_QUEUE_NAMES)
    gate = tmp_path / "render-gate"
    gate.write_text("hold")
    started = Path(f"{gate}.started")
    log_path = tmp_path / "worker.log"
    env = _worker_env(settings, BILLORA_TEST_RENDER_GATE=str(gate))
    workers, logs = [], []

    def log_text():
        return log_path.read_text(errors="replace")[-4000:] if log_path.exists() else ""

    try:
        worker, log = _start_worker(queue=queue, env=env, log_path=log_path)
        workers.append(worker)
        logs.append(log)
        # Issue an invoice: its render is enqueued on commit and a worker child picks it up.
        invoice = make_invoice(organization=org, business=world["business"], customer=world["customer"])
        invoice = billing_services.invoice_issue(organization=org, actor=None, invoice_id=invoice.pk)
        child_pid = _wait_for(lambda: started.exists() and started.read_text().split()[0], timeout=180)
        assert child_pid, "no worker child started the render:\n" + log_text()
        assert int(child_pid) != worker.pid  # a prefork child, not the main process

        os.kill(int(child_pid), signal.SIGKILL)  # mid-render: the child is held at the gate
        assert document_services.fresh_document(organization=org, invoice=reload(invoice)) is None
        assert _wait_for(lambda: "exited prematurely" in log_text() or "signal 9" in log_text(), timeout=60), log_text()
        gate.unlink()  # renders go through from now on
        _stop(worker)  # and "restart a worker": a brand-new process takes over
        worker, log = _start_worker(queue=queue, env=env, log_path=log_path)
        workers.append(worker)
        logs.append(log)

        def ready():
            return document_services.fresh_document(organization=org, invoice=reload(invoice))

        # reject_on_worker_lost requeued the message; if the broker holds it back (Redis
        # visibility timeout), the beat's sweeper re-enqueues the pending document.
        document = _wait_for(ready, timeout=60)
        if document is None:
            sweep_pending_work.apply(kwargs={"now": timezone.now() + timedelta(minutes=3)})
            document = _wait_for(ready, timeout=120)
        assert document is not None, "the document never became ready:\n" + log_text()
        assert document.invoice_version == reload(invoice).version
        with document.file.open("rb") as fh:
            assert reload(invoice).number in pdf_text(fh.read())
        with organization_scope(org):
            assert InvoiceDocument.objects.filter(invoice=invoice, status=InvoiceDocument.Status.READY).count() == 1
    finally:
        for process in workers:
            _stop(process)
        for log in logs:
            log.close()


# --- a worker killed mid-send (the outbox's lease) ----------------------------------------------


class HoldingSMTP(Recorder):
    """Takes every message, but holds its reply to the first until ``release``: the test kills
    the worker after the server has the message and before the worker hears it was accepted,
    the one moment where at-least-once delivery sends a message twice."""

    def __init__(self):
        super().__init__()
        self.received = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.received.set()
        while len(self.messages) == 1 and not self.released.is_set():
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"


def _email_row(org, email_id):
    with organization_scope(org):
        return OutboundEmail.objects.get(pk=email_id)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_the_email_to_the_sweeper_and_it_arrives_with_one_message_id(
    world, settings, tmp_path, smtp_server, real_broker
):
    org = world["org"]
    smtp = smtp_server(HoldingSMTP())
    log_path = tmp_path / "worker.log"
    env = _worker_env(
        settings,
        EMAIL_URL=f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
        EMAIL_TIMEOUT="60",
        EMAIL_SENDING_LEASE_SECONDS="5",  # the default (4 min) is longer than a test should wait
    )
    queue = ",".join(settings.TASK_QUEUE_NAMES)
    workers, logs = [], []

    def log_text():
        return log_path.read_text(errors="replace")[-4000:] if log_path.exists() else ""

    def start_worker():
        worker, log = _start_worker(queue=queue, env=env, log_path=log_path)
        workers.append(worker)
        logs.append(log)
        return worker

    try:
        worker = start_worker()
        invoice = make_invoice(organization=org, business=world["business"], customer=world["customer"])
        invoice = billing_services.invoice_issue(organization=org, actor=None, invoice_id=invoice.pk)
        email_id = document_services.invoice_send(organization=org, actor=None, invoice_id=invoice.pk).pk
        assert smtp.received.wait(timeout=240), "the worker never sent the email:\n" + log_text()

        # kill -9 the whole worker (its main process too: nothing hands the task back to the
        # broker, which holds it unacknowledged for its visibility timeout, an hour).
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        smtp.released.set()
        held = _email_row(org, email_id)
        assert (held.status, held.attempts) == (OutboundEmail.Status.SENDING, 1)

        start_worker()  # a new worker: it has nothing to do until the lease has passed
        assert _wait_for(lambda: timezone.now() > held.sending_until, timeout=30)
        assert _email_row(org, email_id).status == OutboundEmail.Status.SENDING
        assert sweep_pending_work.apply().get()["emails"] == 1  # what beat runs every minute

        def sent():
            return _email_row(org, email_id).status == OutboundEmail.Status.SENT

        assert _wait_for(sent, timeout=120), "the email was never sent again:\n" + log_text()
    finally:
        for process in workers:
            _stop(process)
        for log in logs:
            log.close()

    # At least once: the server has it twice (it had accepted the first before the worker
    # died), and both copies carry the same Message-ID, so the duplicate is recognisable.
    email = _email_row(org, email_id)
    assert (email.attempts, len(smtp.messages)) == (2, 2)
    ids = {smtp.parsed(index)["Message-ID"] for index in range(2)}
    assert ids == {outbox.message_id(email)}
    assert reload(invoice).sent_at is not None
    assert_audit_chain_intact()
