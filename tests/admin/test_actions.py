"""Admin actions go through the services and are audited as support access by the staff user."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import ActorType, AuditEntry
from billing.models import Invoice, Payment, RecurringInvoice
from billing.services import payment_void
from documents.models import InvoiceDocument, OutboundEmail
from organizations.models import ApiKey
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.admin.builders import invoice_in, recurring_invoices
from tests.organizations.factories import MembershipFactory, make_api_key

pytestmark = pytest.mark.django_db


def audit_entries(organization, action):
    with all_tenants():
        return list(AuditEntry.objects.filter(organization=organization, action=action).select_related("actor_user"))


def the_payment(invoice):
    with all_tenants():
        return Payment.objects.select_related("voided_by_user").get(invoice=invoice)


def assert_support_entry(entry, staff_user):
    assert entry.actor_type == ActorType.USER
    assert entry.actor_user == staff_user
    assert entry.actor_label == staff_user.email
    assert entry.support_access is True


def test_revoke_api_key_action_calls_the_service_and_audits_support_access(staff_client, staff_user, orgs):
    key, _raw = make_api_key(orgs[0])
    other, _raw = make_api_key(orgs[1])

    response = staff_client.post(
        reverse("admin:organizations_apikey_changelist"),
        {"action": "revoke_keys", ACTION_CHECKBOX_NAME: [key.pk]},
        follow=True,
    )

    assert response.status_code == 200
    with all_tenants():
        assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
        assert ApiKey.objects.get(pk=other.pk).revoked_at is None
    [entry] = audit_entries(orgs[0], "api_key.revoked")
    assert entry.target_id == str(key.pk)
    assert_support_entry(entry, staff_user)
    assert audit_entries(orgs[1], "api_key.revoked") == []


def test_staff_outside_the_admin_cannot_revoke_another_organizations_key(staff_user, orgs):
    """Only the admin binds support access; elsewhere a staff user is just a non-member."""
    from django.core.exceptions import PermissionDenied

    from organizations.services import api_key_revoke

    key, _raw = make_api_key(orgs[0])
    with pytest.raises(PermissionDenied):
        api_key_revoke(organization=orgs[0], actor=staff_user, api_key_id=key.pk)
    with all_tenants():
        assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert audit_entries(orgs[0], "api_key.revoked") == []


# --- payments -------------------------------------------------------------------------------


def test_void_payment_action_first_asks_for_a_reason(staff_client, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)

    response = staff_client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "void_payments", ACTION_CHECKBOX_NAME: [payment.pk]},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="reason"' in html
    assert 'name="apply"' in html
    assert the_payment(invoice).voided is False
    assert audit_entries(orgs[0], "payment.voided") == []


def test_void_payment_without_a_reason_shows_the_error_and_voids_nothing(staff_client, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)

    response = staff_client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "void_payments", ACTION_CHECKBOX_NAME: [payment.pk], "apply": "yes", "reason": "   "},
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert the_payment(invoice).voided is False


def test_void_payment_action_goes_through_the_service_and_audits_the_staff_user(staff_client, staff_user, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)
    untouched = invoice_in(orgs[1], status="partially_paid")

    response = staff_client.post(
        reverse("admin:billing_payment_changelist"),
        {
            "action": "void_payments",
            ACTION_CHECKBOX_NAME: [payment.pk],
            "apply": "yes",
            "reason": "Bounced: the bank reversed the transfer",
        },
        follow=True,
    )

    assert response.status_code == 200
    voided = the_payment(invoice)
    assert voided.voided is True
    assert voided.void_reason == "Bounced: the bank reversed the transfer"
    assert voided.voided_by_user == staff_user
    with all_tenants():
        recomputed = Invoice.objects.get(pk=invoice.pk)
    # The service recomputed the invoice: nothing paid any more, version bumped.
    assert recomputed.amount_paid == Decimal("0")
    assert recomputed.balance_due == recomputed.total
    assert recomputed.status == "issued"
    assert recomputed.version > invoice.version
    [entry] = audit_entries(orgs[0], "payment.voided")
    assert_support_entry(entry, staff_user)
    assert the_payment(untouched).voided is False
    assert audit_entries(orgs[1], "payment.voided") == []


def test_voiding_an_already_voided_payment_reports_the_refusal(staff_client, staff_user, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)
    payment_void(organization=orgs[0], actor=None, payment_id=payment.pk, reason="first")

    response = staff_client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "void_payments", ACTION_CHECKBOX_NAME: [payment.pk], "apply": "yes", "reason": "again"},
        follow=True,
    )

    assert response.status_code == 200
    assert "not voided" in response.content.decode()
    assert the_payment(invoice).void_reason == "first"
    assert [entry.actor_user for entry in audit_entries(orgs[0], "payment.voided")] == [None]


def test_non_staff_cannot_run_an_action(client, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)
    client.force_login(MembershipFactory(organization=orgs[0], role=Role.OWNER).user)

    response = client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "void_payments", ACTION_CHECKBOX_NAME: [payment.pk], "apply": "yes", "reason": "x"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert the_payment(invoice).voided is False


# --- invoices: documents and email ----------------------------------------------------------


def test_resend_invoice_email_goes_through_invoice_send_and_audits_the_staff_user(
    staff_client, staff_user, orgs, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = invoice_in(orgs[0], status="issued")
    draft = invoice_in(orgs[1], status="draft")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:billing_invoice_changelist"),
            {"action": "resend_invoice_email", ACTION_CHECKBOX_NAME: [invoice.pk, draft.pk]},
            follow=True,
        )

    html = response.content.decode()
    assert response.status_code == 200
    with all_tenants():
        [email] = OutboundEmail.objects.filter(invoice=invoice)
        assert not OutboundEmail.objects.filter(invoice=draft).exists()
    assert email.requested_by_label == staff_user.email
    [entry] = audit_entries(orgs[0], "invoice.email_queued")
    assert_support_entry(entry, staff_user)
    assert entry.target_id == str(invoice.pk)
    # The draft was refused by the service, and the page says so.
    assert "not queued for sending" in html
    assert audit_entries(orgs[1], "invoice.email_queued") == []
    assert [message.to for message in mailoutbox] == [[invoice.customer.email]]


def test_rerender_pdf_renders_a_failed_document_again_and_audits_it(
    staff_client, staff_user, orgs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_in(orgs[0], status="issued")
    with all_tenants():
        invoice = Invoice.objects.get(pk=invoice.pk)
        failed = InvoiceDocument.objects.filter(invoice=invoice, invoice_version=invoice.version).update(
            status="failed", error="font missing", sha256=""
        )
    assert failed == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:billing_invoice_changelist"),
            {"action": "rerender_pdf", ACTION_CHECKBOX_NAME: [invoice.pk]},
            follow=True,
        )

    assert response.status_code == 200
    with all_tenants():
        document = InvoiceDocument.objects.get(invoice=invoice, invoice_version=invoice.version)
    assert document.status == "ready"
    assert len(document.sha256) == 64
    [entry] = audit_entries(orgs[0], "invoice.pdf_render_requested")
    assert_support_entry(entry, staff_user)
    assert entry.target_id == str(invoice.pk)


def test_rerender_pdf_leaves_a_fresh_document_alone_and_says_so(staff_client, orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_in(orgs[0], status="issued")
        draft = invoice_in(orgs[0], status="draft")
    with all_tenants():
        before = InvoiceDocument.objects.get(invoice=invoice)
    assert before.status == "ready"

    response = staff_client.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "rerender_pdf", ACTION_CHECKBOX_NAME: [invoice.pk, draft.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "already fresh" in html
    assert "a draft is previewed on the fly" in html
    with all_tenants():
        assert not InvoiceDocument.objects.filter(invoice=draft).exists()
    with all_tenants():
        after = InvoiceDocument.objects.get(invoice=invoice)
    assert (after.rendered_at, after.sha256) == (before.rendered_at, before.sha256)
    assert audit_entries(orgs[0], "invoice.pdf_render_requested") == []


def test_invoice_page_links_each_live_payment_to_its_void_page(staff_client, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)
    void_url = reverse("admin:billing_payment_void", args=[payment.pk])

    assert void_url in staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()
    assert void_url in staff_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).content.decode()


def test_single_payment_void_page_asks_then_voids_through_the_service(staff_client, staff_user, orgs):
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)
    url = reverse("admin:billing_payment_void", args=[payment.pk])

    form_page = staff_client.get(url)
    assert form_page.status_code == 200
    assert 'name="reason"' in form_page.content.decode()
    assert staff_client.post(url, {"apply": "yes", "reason": ""}).status_code == 200
    assert the_payment(invoice).voided is False

    response = staff_client.post(url, {"apply": "yes", "reason": "Recorded on the wrong invoice"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:billing_invoice_change", args=[invoice.pk])
    voided = the_payment(invoice)
    assert (voided.voided, voided.void_reason, voided.voided_by_user) == (
        True,
        "Recorded on the wrong invoice",
        staff_user,
    )
    [entry] = audit_entries(orgs[0], "payment.voided")
    assert_support_entry(entry, staff_user)
    # A voided payment offers no second void.
    assert url not in staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()


def test_single_payment_void_page_is_404_for_a_missing_payment_and_closed_to_non_staff(client, staff_client, orgs):
    assert staff_client.get(reverse("admin:billing_payment_void", args=["not-a-uuid"])).status_code == 404
    invoice = invoice_in(orgs[0], status="partially_paid")
    payment = the_payment(invoice)
    client.force_login(MembershipFactory(organization=orgs[0], role=Role.OWNER).user)

    response = client.post(reverse("admin:billing_payment_void", args=[payment.pk]), {"apply": "yes", "reason": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert the_payment(invoice).voided is False


def test_invoice_page_buttons_post_to_the_same_actions(staff_client, staff_user, orgs):
    invoice = invoice_in(orgs[0], status="issued")
    resend_url = reverse("admin:billing_invoice_resend", args=[invoice.pk])
    page = staff_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()
    assert resend_url in page
    assert reverse("admin:billing_invoice_rerender", args=[invoice.pk]) in page

    assert staff_client.get(resend_url).status_code == 405
    response = staff_client.post(resend_url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:billing_invoice_change", args=[invoice.pk])
    with all_tenants():
        assert OutboundEmail.objects.filter(invoice=invoice).count() == 1
    [entry] = audit_entries(orgs[0], "invoice.email_queued")
    assert_support_entry(entry, staff_user)


def test_invoice_buttons_are_closed_to_non_staff(client, orgs):
    invoice = invoice_in(orgs[0], status="issued")
    client.force_login(MembershipFactory(organization=orgs[0], role=Role.OWNER).user)

    for name in ("admin:billing_invoice_resend", "admin:billing_invoice_rerender"):
        response = client.post(reverse(name, args=[invoice.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    with all_tenants():
        assert not OutboundEmail.objects.filter(invoice=invoice).exists()
    assert audit_entries(orgs[0], "invoice.email_queued") == []


def test_pause_and_resume_actions_go_through_the_services_and_audit_the_staff_user(staff_client, staff_user, orgs):
    recurring_invoices(orgs, 2)
    with all_tenants():
        ids = [str(pk) for pk in RecurringInvoice.objects.values_list("pk", flat=True)]
    url = reverse("admin:billing_recurringinvoice_changelist")

    response = staff_client.post(url, {"action": "pause", ACTION_CHECKBOX_NAME: ids}, follow=True)

    assert response.status_code == 200
    with all_tenants():
        assert set(RecurringInvoice.objects.values_list("paused", flat=True)) == {True}
    for org in orgs:
        [entry] = audit_entries(org, "recurring_invoice.paused")
        assert_support_entry(entry, staff_user)
    staff_client.post(url, {"action": "resume", ACTION_CHECKBOX_NAME: ids}, follow=True)
    with all_tenants():
        assert set(RecurringInvoice.objects.values_list("paused", flat=True)) == {False}
