"""The generic email outbox: rows written in the caller's transaction, sent after commit by an
idempotent task that retries transient SMTP errors with backoff and then fails visibly."""

import smtplib
import socket
import time
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.utils import timezone

from documents import outbox
from documents.models import OutboundEmail
from documents.tasks import EMAIL_MAX_ATTEMPTS, send_outbound_email, sweep_pending_work
from organizations import services
from organizations.tenancy import all_tenants, organization_scope
from tests.organizations.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="outbox-org")


@pytest.fixture(autouse=True)
def _own_kind_handlers(monkeypatch):
    """Tests may register their own hooks for a kind; the app's come back afterwards."""
    monkeypatch.setattr(outbox, "KIND_HANDLERS", dict(outbox.KIND_HANDLERS))


def queue(org, **overrides):
    fields = {
        "organization": org,
        "kind": OutboundEmail.Kind.INVITE,
        "to": ["someone@example.com"],
        "subject": "Hello",
        "body": "Body text",
        "reply_to": ["reply@example.com"],
        "requested_by_label": "tester",
    }
    fields.update(overrides)
    with organization_scope(org):
        return outbox.queue_email(**fields)


def row(email):
    with all_tenants():
        return OutboundEmail.objects.get(pk=email.pk)


def test_queue_writes_a_row_and_sends_it_after_commit(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue(org, cc=["cc@example.com"])
    assert row(email).status == OutboundEmail.Status.QUEUED
    assert mail.outbox == []  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    sent = row(email)
    assert sent.status == OutboundEmail.Status.SENT and sent.sent_at is not None and sent.attempts == 1
    (message,) = mail.outbox
    assert (message.to, message.cc, message.reply_to) == (
        ["someone@example.com"],
        ["cc@example.com"],
        ["reply@example.com"],
    )
    assert message.extra_headers["X-Billora-Email-Id"] == str(email.pk)


def test_a_rolled_back_transaction_queues_and_sends_nothing(org, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue(org)
        raise RuntimeError("roll back")
    assert callbacks == []
    with all_tenants():
        assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_running_the_task_twice_sends_once(org):
    email = queue(org)
    assert send_outbound_email.apply(args=[str(email.pk)]).get() == "sent"
    assert send_outbound_email.apply(args=[str(email.pk)]).get() == "skipped"
    assert len(mail.outbox) == 1
    assert row(email).attempts == 1


def sending(email, *, lease_left, **fields):
    """The row as a worker holding it would leave it: ``sending``, its lease ending in ``lease_left``."""
    with all_tenants():
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.SENDING, sending_until=timezone.now() + lease_left, **fields
        )


def test_a_row_another_worker_is_sending_is_not_sent_again(org):
    email = queue(org)
    # Its lease runs, however long ago the row last changed: the send may be slow, not dead.
    sending(email, lease_left=timedelta(minutes=1), updated_at=timezone.now() - timedelta(hours=1))
    assert send_outbound_email.apply(args=[str(email.pk)]).get() == "skipped"
    assert mail.outbox == []


def test_a_row_whose_lease_expired_is_claimed_again(org):
    email = queue(org)
    sending(email, lease_left=-timedelta(seconds=1), attempts=1)
    assert send_outbound_email.apply(args=[str(email.pk)]).get() == "sent"
    sent = row(email)
    assert (sent.status, sent.attempts, sent.sending_until) == (OutboundEmail.Status.SENT, 2, None)
    assert len(mail.outbox) == 1


def test_a_claim_takes_a_lease_longer_than_any_task_may_run(org, settings, monkeypatch):
    held = []
    outbox.register_kind(OutboundEmail.Kind.INVITE, prepare=lambda email, message: held.append(row(email)))
    email = queue(org)
    before = timezone.now()
    send_outbound_email.apply(args=[str(email.pk)])
    (during,) = held
    assert during.status == OutboundEmail.Status.SENDING
    assert during.sending_until >= before + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    assert row(email).sending_until is None


def test_the_sweeper_reclaims_rows_whose_lease_expired(org, monkeypatch):
    enqueued = []
    monkeypatch.setattr("documents.jobs.enqueue_send", lambda email_id: enqueued.append(email_id))
    dead, alive, exhausted = queue(org), queue(org), queue(org)
    sending(dead, lease_left=-timedelta(seconds=1), attempts=1)
    sending(alive, lease_left=timedelta(minutes=1), attempts=1)
    sending(exhausted, lease_left=-timedelta(seconds=1), attempts=EMAIL_MAX_ATTEMPTS)
    result = sweep_pending_work.apply().get()
    assert enqueued == [str(dead.pk)]
    assert result["emails"] == 1
    # A row whose every attempt died mid-send is given up, visibly, instead of looping forever.
    given_up = row(exhausted)
    assert given_up.status == OutboundEmail.Status.FAILED
    assert "lease" in given_up.last_error
    assert row(alive).status == OutboundEmail.Status.SENDING


def test_every_send_of_a_row_carries_the_same_message_id(org):
    """A resend (the worker died after the SMTP server accepted) is recognisable as a duplicate."""
    email = queue(org)
    send_outbound_email.apply(args=[str(email.pk)])
    sending(email, lease_left=-timedelta(seconds=1))  # as if the worker died before recording it
    send_outbound_email.apply(args=[str(email.pk)])
    first, second = (message.message()["Message-ID"] for message in mail.outbox)
    assert first == second == outbox.message_id(row(email))
    assert first.startswith(f"<{email.pk}@")
    assert queue(org).pk != email.pk and outbox.message_id(queue(org)) != first


def test_an_unknown_row_is_ignored(db):
    import uuid

    assert send_outbound_email.apply(args=[str(uuid.uuid4())]).get() == "missing"


class FlakyBackend(BaseEmailBackend):
    """Refuses the first ``failures`` messages like an unreachable SMTP server."""

    failures = 0
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return LocmemBackend().send_messages(messages)


@pytest.fixture
def worker_retries():
    """Like a worker: a retry re-runs the task (eagerly here, without the countdown) instead
    of surfacing to the caller."""
    from billora.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def flaky(settings, worker_retries):
    settings.EMAIL_BACKEND = "tests.documents.test_outbox.FlakyBackend"
    FlakyBackend.calls = 0
    yield FlakyBackend


def test_transient_errors_retry_until_it_goes_through(org, flaky):
    flaky.failures = 2
    email = queue(org)
    send_outbound_email.apply(args=[str(email.pk)])
    sent = row(email)
    assert (sent.status, sent.attempts, sent.last_error) == (OutboundEmail.Status.SENT, 3, "")
    assert len(mail.outbox) == 1


def test_after_five_attempts_the_row_fails_with_the_error(org, flaky, monkeypatch):
    flaky.failures = 100
    countdowns = []
    original_retry = send_outbound_email.retry

    def spy_retry(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(send_outbound_email, "retry", spy_retry)
    email = queue(org)
    send_outbound_email.apply(args=[str(email.pk)])
    failed = row(email)
    assert (failed.status, failed.attempts) == (OutboundEmail.Status.FAILED, EMAIL_MAX_ATTEMPTS)
    assert "SMTPServerDisconnected" in failed.last_error
    assert mail.outbox == []
    assert countdowns == [30, 60, 120, 240]  # exponential backoff between the five attempts


def test_a_non_transient_error_fails_at_once(org):
    def broken_prepare(email, message):
        raise KeyError("template placeholder")

    email = queue(org)
    outbox.register_kind(OutboundEmail.Kind.INVITE, prepare=broken_prepare)
    try:
        send_outbound_email.apply(args=[str(email.pk)])
    finally:
        outbox.KIND_HANDLERS.pop(OutboundEmail.Kind.INVITE, None)
    failed = row(email)
    assert (failed.status, failed.attempts) == (OutboundEmail.Status.FAILED, 1)
    assert "KeyError" in failed.last_error


def test_a_failed_row_can_be_sent_again_later(org, flaky):
    flaky.failures = 100
    email = queue(org)
    send_outbound_email.apply(args=[str(email.pk)])
    assert row(email).status == OutboundEmail.Status.FAILED
    flaky.failures = 0
    send_outbound_email.apply(args=[str(email.pk)])
    assert row(email).status == OutboundEmail.Status.SENT


def test_kind_hooks_prepare_the_message_and_run_after_sending(org):
    seen = []

    def prepare(email, message):
        message.attach("note.txt", b"attached", "text/plain")

    def after_sent(email):
        seen.append((email.pk, email.status))

    outbox.register_kind(OutboundEmail.Kind.INVITE, prepare=prepare, after_sent=after_sent)
    try:
        email = queue(org)
        send_outbound_email.apply(args=[str(email.pk)])
    finally:
        outbox.KIND_HANDLERS.pop(OutboundEmail.Kind.INVITE, None)
    (message,) = mail.outbox
    assert message.attachments[0][0] == "note.txt"
    assert seen == [(email.pk, OutboundEmail.Status.SENT)]


def test_in_eager_mode_a_transient_error_leaves_the_row_queued_for_the_sweeper(
    org, flaky, django_capture_on_commit_callbacks
):
    from billora.celery import app

    app.conf.task_eager_propagates = True  # the local default: no worker, no broker
    flaky.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(org)
    queued = row(email)
    assert (queued.status, queued.attempts) == (OutboundEmail.Status.QUEUED, 1)
    assert "SMTPServerDisconnected" in queued.last_error


def test_a_down_broker_leaves_the_row_queued_and_the_caller_unharmed(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_outbound_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(org)
    assert row(email).status == OutboundEmail.Status.QUEUED
    assert mail.outbox == []


def test_invites_go_through_the_outbox(org, django_capture_on_commit_callbacks):
    from organizations.models import Membership
    from organizations.permissions import Role
    from tests.accounts.factories import UserFactory

    owner = UserFactory(email="boss@example.com")
    with organization_scope(org):
        Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        invite, raw = services.invite_create(organization=org, actor=owner, email="friend@example.com")
    with organization_scope(org):
        email = OutboundEmail.objects.get(organization=org)
    assert (email.kind, email.invite_id, email.to, email.status) == (
        "invite",
        invite.pk,
        ["friend@example.com"],
        "sent",
    )
    assert email.reply_to == ["boss@example.com"]
    assert raw in mail.outbox[0].body


def invite_email(org, django_capture_on_commit_callbacks, *, send):
    from organizations.models import Membership
    from organizations.permissions import Role
    from tests.accounts.factories import UserFactory

    owner = UserFactory(email="boss@example.com")
    with organization_scope(org):
        Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    with django_capture_on_commit_callbacks(execute=send):
        invite, raw = services.invite_create(organization=org, actor=owner, email="friend@example.com")
    with organization_scope(org):
        return OutboundEmail.objects.get(organization=org, invite=invite), raw


def test_a_sent_invite_email_keeps_no_usable_token(org, django_capture_on_commit_callbacks):
    email, raw = invite_email(org, django_capture_on_commit_callbacks, send=True)
    assert email.status == OutboundEmail.Status.SENT
    assert raw in mail.outbox[0].body  # the invitee got the link
    assert raw not in email.body  # the row keeps the message without it
    assert "friend@example.com" in email.body
    assert outbox.REDACTED in email.body


def test_an_invite_email_keeps_its_token_until_it_is_sent(org, django_capture_on_commit_callbacks):
    email, raw = invite_email(org, django_capture_on_commit_callbacks, send=False)
    assert email.status == OutboundEmail.Status.QUEUED
    assert raw in email.body  # the worker needs it to send
    assert raw not in outbox.displayed_body(email)
    send_outbound_email.apply(args=[str(email.pk)])
    assert raw in mail.outbox[0].body
    assert raw not in row(email).body


def test_queue_refuses_an_email_without_recipients(org):
    with pytest.raises(ValueError, match="recipient"):
        queue(org, to=[" "])


# --- a real SMTP server ------------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


def test_an_email_arrives_at_a_real_smtp_server(org, smtp_server):
    email = queue(org, to=["real@example.com"], subject="Über invoices")
    send_outbound_email.apply(args=[str(email.pk)])
    assert row(email).status == OutboundEmail.Status.SENT
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == ["real@example.com"]
    parsed = message_from_bytes(envelope.original_content)
    assert parsed["X-Billora-Email-Id"] == str(email.pk)
    assert "Body text" in parsed.get_payload(decode=True).decode()


def test_an_unreachable_smtp_server_means_retries_then_failed(org, settings, worker_retries):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    email = queue(org)
    started = time.monotonic()
    send_outbound_email.apply(args=[str(email.pk)])
    failed = row(email)
    assert (failed.status, failed.attempts) == (OutboundEmail.Status.FAILED, EMAIL_MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in failed.last_error
    assert time.monotonic() - started < 30
