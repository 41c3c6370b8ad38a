"""Invoice email through a real SMTP server (aiosmtpd on a local port)."""

import pytest
from aiosmtpd.controller import Controller

from audit.models import AuditEntry
from billing import services as billing_services
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import Invoice
from documents import services
from documents.models import OutboundEmail
from documents.tasks import EMAIL_MAX_ATTEMPTS, send_outbound_email
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.documents.helpers import Recorder, free_port, pay, pdf_text, reload
from tests.organizations.factories import OrganizationFactory


def _point_email_at(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Billora <no-reply@billora.test>"


@pytest.fixture
def smtp(settings):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    _point_email_at(settings, controller.port)
    yield recorder
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    _point_email_at(settings, free_port())  # nothing listens there


def row(email_id, organization):
    with organization_scope(organization):
        return OutboundEmail.objects.get(pk=email_id)


def audit_actions(invoice):
    with organization_scope(invoice.organization):
        return list(
            AuditEntry.objects.filter(organization=invoice.organization, target_id=str(invoice.pk))
            .order_by("sequence")
            .values_list("action", flat=True)
        )


def test_invoice_email_arrives_with_the_pdf_attached(issued, member, smtp, commit):
    invoice = reload(issued)
    with commit():
        queued = services.invoice_send(organization=invoice.organization, actor=member, invoice_id=invoice.pk)
    assert len(smtp.messages) == 1
    message = smtp.parsed()
    assert message["From"] == "Billora <no-reply@billora.test>"  # the app's sender, never the business
    assert message["Reply-To"] == "billing@acme.example"
    assert message["To"] == "ap@customer.example"
    assert message["Subject"] == f"Invoice {invoice.number} from Acme Studio"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Zoë Ελένη Дмитрий" in body and invoice.number in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    text = pdf_text(attachment.get_content())
    assert invoice.number in text and "Zoë Ελένη Дмитрий" in text

    sent = row(queued.pk, invoice.organization)
    assert sent.status == OutboundEmail.Status.SENT and sent.sent_at is not None
    assert sent.attempts == 1
    assert sent.document_version == invoice.version
    after = reload(invoice)
    assert after.sent_at == sent.sent_at
    assert after.version == invoice.version  # sending prints nothing new
    actions = audit_actions(invoice)
    assert actions[-2:] == ["invoice.email_queued", "invoice.sent"]


def test_the_email_carries_the_version_current_when_the_job_runs(issued, member, smtp, commit):
    invoice = reload(issued)
    with commit() as callbacks:
        queued = services.invoice_send(organization=invoice.organization, actor=member, invoice_id=invoice.pk)
        # A payment lands before the worker picks the email up.
        pay(invoice, "20.00", actor=member)
    assert callbacks  # sent after commit, not inside the request's transaction
    current = reload(invoice)
    assert row(queued.pk, invoice.organization).document_version == current.version
    text = pdf_text(next(smtp.parsed().iter_attachments()).get_content())
    assert "€20.00" in text and "Partially paid" in text


def test_nothing_is_sent_before_commit_or_after_rollback(issued, member, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invoice_send(organization=issued.organization, actor=member, invoice_id=issued.pk)
    assert smtp.messages == [] and len(callbacks) == 1


def test_subject_and_body_templates_fill_placeholders_and_keep_other_braces(
    org, business, customer, member, smtp, commit
):
    business.email_subject_template = "{business_name}: {number} ({total}) {unknown}"
    business.email_body_template = "Dear {customer_name}, {total} due {due_date}. {number} {"
    with organization_scope(org):
        business.save()
    with commit():
        invoice = make_invoice(
            organization=org,
            business=business,
            customer=customer,
            status="issued",
            issue_date="2026-11-02",
            due_date="2026-12-02",
        )
        services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)
    invoice = reload(invoice)
    message = smtp.parsed()
    total = f"€{invoice.total:,.2f}"
    assert str(message["Subject"]).strip() == f"Acme Studio: {invoice.number} ({total}) {{unknown}}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert body.strip() == f"Dear Zoë Ελένη Дмитрий, {total} due Dec 2, 2026. {invoice.number} {{"


def test_explicit_recipients_subject_and_body(issued, member, smtp, commit):
    with commit():
        services.invoice_send(
            organization=issued.organization,
            actor=member,
            invoice_id=issued.pk,
            to=["boss@customer.example"],
            cc="accounts@customer.example, copy@customer.example",
            subject="Your invoice {number}",
            body="See attached.",
        )
    message = smtp.parsed()
    assert message["To"] == "boss@customer.example"
    assert message["Cc"] == "accounts@customer.example, copy@customer.example"
    assert message["Subject"] == f"Your invoice {reload(issued).number}"
    assert set(smtp.messages[0].rcpt_tos) == {
        "boss@customer.example",
        "accounts@customer.example",
        "copy@customer.example",
    }


# Line breaks (CR, LF, and the ones Python's email package also breaks lines at: VT, FF, FS,
# NEL, U+2028) and another control character (ESC) in stored names.
HEADER_BREAKERS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\x1b"]


@pytest.mark.parametrize("breaker", HEADER_BREAKERS)
def test_stored_names_with_line_breaks_never_break_the_email_headers(org, member, smtp, commit, breaker):
    """Names saved before the input refused control characters (or by a path that skipped
    the check) still make a one-line subject: the email is sent, nothing is injected."""
    business = BusinessFactory(
        organization=org, name=f"Acme{breaker}Bcc: victim@evil.example", email=f"billing@acme.example{breaker}"
    )
    customer = CustomerFactory(
        organization=org, name=f"Zoë{breaker}Cc: other@evil.example", email="ap@customer.example"
    )
    with commit():
        invoice = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    with commit():
        queued = services.invoice_send(
            organization=org, actor=member, invoice_id=invoice.pk, subject="{business_name} for {customer_name}"
        )

    assert row(queued.pk, org).status == OutboundEmail.Status.SENT
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["ap@customer.example"]
    message = smtp.parsed()
    # .strip(): the email package folds a long encoded subject right after "Subject:".
    assert message["Subject"].strip() == "Acme Bcc: victim@evil.example for Zoë Cc: other@evil.example"
    assert message["Bcc"] is None and message["Cc"] is None
    assert message["Reply-To"] == "billing@acme.example"


def test_the_stored_subject_of_a_queued_email_is_one_line(issued, member):
    queued = services.invoice_send(
        organization=issued.organization, actor=member, invoice_id=issued.pk, subject=" Invoice\r\n\x0bfor you "
    )
    assert row(queued.pk, issued.organization).subject == "Invoice for you"


@pytest.mark.parametrize("status", ["draft", "void"])
def test_drafts_and_void_invoices_cannot_be_sent(org, business, customer, member, status, smtp):
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    with pytest.raises(StateConflict):
        services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)
    with organization_scope(org):
        assert not OutboundEmail.objects.exists()


def test_bad_recipients_are_field_errors(org, business, member):
    no_email = CustomerFactory(organization=org, email="")
    invoice = make_invoice(organization=org, business=business, customer=no_email, status="issued")
    with pytest.raises(BillingValidationError) as excinfo:
        services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)
    assert "to" in excinfo.value.errors
    with pytest.raises(BillingValidationError) as excinfo:
        services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk, to=["not-an-address"])
    assert "not-an-address" in excinfo.value.errors["to"][0]
    with pytest.raises(BillingValidationError) as excinfo:
        services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk, to=["a@b.example"], cc=[7])
    assert list(excinfo.value.errors) == ["cc"]


def test_another_organizations_invoice_is_not_found(issued, member):
    with pytest.raises(NotFound):
        services.invoice_send(organization=OrganizationFactory(), actor=member, invoice_id=issued.pk)
    with pytest.raises(NotFound):
        services.invoice_send(organization=issued.organization, actor=member, invoice_id="not-a-uuid")


@pytest.fixture
def worker_retries(monkeypatch):
    """Like a worker: a retry re-runs the task (eagerly, without waiting for the countdown),
    and the countdowns asked for are recorded."""
    from billora.celery import app

    countdowns = []
    original_retry = send_outbound_email.retry

    def spy_retry(*args, **kwargs):
        countdowns.append(kwargs.get("countdown"))
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(send_outbound_email, "retry", spy_retry)
    app.conf.task_eager_propagates = False
    yield countdowns
    app.conf.task_eager_propagates = True


def test_transient_smtp_errors_are_retried_until_accepted(issued, member, smtp, commit, worker_retries):
    smtp.refuse = 2  # 451 twice, then accepted
    with commit():
        queued = services.invoice_send(organization=issued.organization, actor=member, invoice_id=issued.pk)
    sent = row(queued.pk, issued.organization)
    assert sent.status == OutboundEmail.Status.SENT
    assert sent.attempts == 3 and sent.last_error == ""
    assert worker_retries == [30, 60]
    assert len(smtp.messages) == 1
    assert reload(issued).sent_at is not None
    assert audit_actions(issued).count("invoice.sent") == 1


def test_smtp_down_retries_with_backoff_then_fails_and_the_invoice_is_not_marked_sent(
    issued, member, smtp_down, commit, worker_retries
):
    with commit():
        queued = services.invoice_send(organization=issued.organization, actor=member, invoice_id=issued.pk)
    failed = row(queued.pk, issued.organization)
    assert failed.status == OutboundEmail.Status.FAILED
    assert failed.attempts == EMAIL_MAX_ATTEMPTS
    assert worker_retries == [30, 60, 120, 240]  # exponential backoff between the five attempts
    assert "ConnectionRefusedError" in failed.last_error
    assert reload(issued).sent_at is None
    assert "invoice.sent" not in audit_actions(issued)


def test_a_task_delivered_twice_sends_once(issued, member, smtp, commit):
    with commit():
        queued = services.invoice_send(organization=issued.organization, actor=member, invoice_id=issued.pk)
    assert send_outbound_email.apply(args=[str(queued.pk)]).get() == "skipped"
    assert len(smtp.messages) == 1
    assert audit_actions(issued).count("invoice.sent") == 1


def test_a_twin_running_while_the_first_sends_does_not_send(issued, member, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.invoice_send(organization=issued.organization, actor=member, invoice_id=issued.pk)
    with organization_scope(issued.organization):
        OutboundEmail.objects.filter(pk=queued.pk).update(status=OutboundEmail.Status.SENDING)
    assert send_outbound_email.apply(args=[str(queued.pk)]).get() == "skipped"
    assert smtp.messages == []


def test_an_invoice_voided_after_queueing_is_not_sent(org, business, customer, member, smtp, commit):
    invoice = make_invoice(organization=org, business=business, customer=customer, status="issued")
    with commit():
        queued = services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)
        with organization_scope(org):  # void is history now (issued invoices are cancelled): set as it was
            Invoice.objects.filter(pk=invoice.pk).update(status="void")
    failed = row(queued.pk, org)
    assert failed.status == OutboundEmail.Status.FAILED and "void" in failed.last_error
    assert smtp.messages == []


def test_send_from_the_invoice_page(client, issued, member, smtp, commit):
    from django.urls import reverse

    from organizations.permissions import Role
    from tests.organizations.factories import MembershipFactory

    url = reverse("invoice_send", kwargs={"org_slug": issued.organization.slug, "invoice_id": issued.pk})
    viewer = MembershipFactory(organization=issued.organization, role=Role.VIEWER).user
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    client.force_login(member)
    with commit():
        response = client.post(url)
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    assert reload(issued).sent_at is not None


def test_a_credit_note_email_arrives_with_its_pdf_and_marks_it_sent(issued, member, smtp, commit):
    invoice = reload(issued)
    note = billing_services.invoice_cancel(organization=invoice.organization, actor=member, invoice_id=invoice.pk)
    with pytest.raises(StateConflict):
        draft_invoice = make_invoice(organization=invoice.organization, status="issued")
        draft = billing_services.credit_note_create(
            organization=invoice.organization, actor=member, data={"invoice": draft_invoice.pk, "full": True}
        )
        services.credit_note_send(organization=invoice.organization, actor=member, credit_note_id=draft.pk)
    with commit():
        queued = services.credit_note_send(organization=invoice.organization, actor=member, credit_note_id=note.pk)
    assert len(smtp.messages) == 1
    message = smtp.parsed()
    assert message["Subject"] == f"Credit note {note.number} from Acme Studio"
    assert message["To"] == "ap@customer.example"
    [attachment] = list(message.iter_attachments())
    text = pdf_text(attachment.get_content())
    assert "CREDIT NOTE" in text and note.number in text and invoice.number in text
    assert row(queued.pk, invoice.organization).status == OutboundEmail.Status.SENT
    with organization_scope(invoice.organization):
        assert note.__class__.objects.get(pk=note.pk).sent_at is not None


def test_send_a_credit_note_from_the_invoice_page(client, issued, member, smtp, commit):
    invoice = reload(issued)
    note = billing_services.invoice_cancel(organization=invoice.organization, actor=member, invoice_id=invoice.pk)
    client.force_login(member)
    url = f"/o/{invoice.organization.slug}/credit-notes/{note.pk}/send/"
    with commit():
        response = client.post(url)
    assert response.status_code == 302 and response.url.endswith("#credit-notes")
    assert len(smtp.messages) == 1
    page = client.get(f"/o/{invoice.organization.slug}/invoices/{invoice.pk}/").content.decode()
    assert "Send again" in page
