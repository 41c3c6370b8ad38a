"""``manage.py seed_demo``: a realistic demo organization, built through the services, quiet,
with the login printed last."""

import io
import logging
import re
import time
from collections import Counter

import pytest
from django.core.management import call_command

from audit.models import AuditEntry
from billing import selectors
from billing.models import Business, Customer, Invoice, Payment
from documents.management.commands.seed_demo import DEMO_MEMBER_EMAIL, DEMO_OWNER_EMAIL, DEMO_PASSWORD, PLAN
from documents.models import InvoiceDocument, OutboundEmail
from organizations.models import Membership, Organization
from organizations.tenancy import organization_scope
from tests.billing.factories import assert_stored_totals
from tests.organizations.factories import OrganizationFactory


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    started = time.monotonic()
    output = seed()
    elapsed = time.monotonic() - started
    return Organization.objects.get(), output, elapsed


def test_seed_demo_builds_a_realistic_organization(seeded):
    org, output, elapsed = seeded
    assert elapsed < 60  # ~5 s on an idle machine; generous for a loaded CI box
    with organization_scope(org):
        assert Business.objects.count() == 2
        assert Customer.objects.count() == 15
        assert Customer.objects.filter(archived=True).count() == 1
        invoices = list(Invoice.objects.all())
        assert len(invoices) == len(PLAN) == 60
        assert Counter(invoice.status for invoice in invoices) == Counter(PLAN)
        assert {"EUR", "USD", "JPY", "GBP"} <= {invoice.currency for invoice in invoices}
        assert any(invoice.discount_type == "percent" for invoice in invoices)
        assert any(invoice.discount_type == "amount" for invoice in invoices)
        payments = Payment.objects.all()
        assert payments.filter(voided=True).count() == 1
        assert payments.filter(voided=False).count() >= 30
        paid_twice = [i for i in invoices if i.status == "paid" and i.payments.filter(voided=False).count() > 1]
        assert paid_twice, "some invoices are paid in instalments"
        assert selectors.invoice_list(organization=org, overdue=True).count() >= 3
        assert Invoice.objects.exclude(sent_at=None).exists()
        reported = re.search(r"(\d+) businesses, (\d+) customers, (\d+) invoices, (\d+) payments", output)
        assert reported.groups() == tuple(str(n) for n in (2, 15, len(invoices), payments.count()))
        memberships = {m.user.email: m.role for m in Membership.objects.select_related("user")}
        assert memberships == {DEMO_OWNER_EMAIL: "owner", DEMO_MEMBER_EMAIL: "member"}
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "invoice.created",
        "invoice.issued",
        "invoice.cancelled",
        "credit_note.issued",
        "payment.recorded",
        "payment.voided",
    } <= actions
    for invoice in invoices:
        assert_stored_totals(invoice)
    assert DEMO_OWNER_EMAIL in output
    assert DEMO_PASSWORD in output


def test_the_eu_business_customer_is_invoiced_under_reverse_charge(seeded):
    """Its invoices carry no VAT, one AE row with the reason the business set once, and issue
    (the seller's and buyer's VAT numbers are there)."""
    org, _, _ = seeded
    with organization_scope(org):
        reverse_charge = list(Invoice.objects.filter(customer__vat_id="NL004495445B01").select_related("business"))
        others = Invoice.objects.exclude(customer__vat_id="NL004495445B01")
        assert not any(row["category"] == "AE" for invoice in others for row in invoice.tax_breakdown)
        reason = Business.objects.get(organization=org, name="Northwind Studio").vat_exemption_reasons["AE"]
    assert reverse_charge and any(invoice.status != "draft" for invoice in reverse_charge)
    for invoice in reverse_charge:
        assert invoice.business.name == "Northwind Studio" and invoice.tax_total == 0
        assert [row["category"] for row in invoice.tax_breakdown] == ["AE"]
        assert invoice.vat_exemption_reasons == {"AE": reason} and reason["code"] == "VATEX-EU-AE"
        assert invoice.tax_breakdown[0]["exemption_reason"] == reason["text"]


def test_sent_invoices_were_emailed_through_the_outbox(seeded):
    """What the services would have produced: an invoice shows as sent because its email went
    out (an outbox row marked sent, with the PDF version it carried); an issued invoice never
    emailed has no outbox row and no ``sent_at``."""
    org, output, _ = seeded
    with organization_scope(org):
        issued = Invoice.objects.exclude(status="draft")
        emails = {email.invoice_id: email for email in OutboundEmail.objects.filter(kind="invoice")}
        sent = [invoice for invoice in issued if invoice.sent_at is not None]
        assert 20 <= len(sent) < issued.count()
        assert {invoice.pk for invoice in sent} == set(emails)
        for invoice in sent:
            email = emails[invoice.pk]
            assert email.status == OutboundEmail.Status.SENT and email.attempts == 1
            assert email.sent_at == invoice.sent_at
            assert email.to == [invoice.customer.email] and email.document_version is not None
        assert not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()
        assert InvoiceDocument.objects.filter(status="ready").count() >= len(sent)
        queued = AuditEntry.objects.filter(action="invoice.email_queued").count()
        marked = AuditEntry.objects.filter(action="invoice.sent").count()
    assert queued == marked == len(sent)
    assert f"{len(sent)} emails" in output


def test_seeding_is_quiet_and_prints_the_login_last(db, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    output = seed()
    lines = output.strip().splitlines()
    assert lines[0].startswith("Seeded “Demo Company”")
    assert lines[1:] == [
        "Log in at /accounts/login/ with:",
        f"  email:    {DEMO_OWNER_EMAIL}   (owner)",
        f"  password: {DEMO_PASSWORD}",
        f"  or {DEMO_MEMBER_EMAIL} (member) with the same password.",
    ]
    # No task log lines, no email printed by the console backend, nothing on stderr.
    assert [record.getMessage() for record in caplog.records] == []
    assert capsys.readouterr() == ("", "")
    assert logging.getLogger("celery.app.trace").isEnabledFor(logging.INFO)  # logging is back on afterwards


def test_if_empty_still_prints_the_demo_login_last(seeded):
    lines = seed("--if-empty").strip().splitlines()
    assert "nothing seeded" in lines[0]
    assert lines[-3] == f"  email:    {DEMO_OWNER_EMAIL}   (owner)" and DEMO_PASSWORD in lines[-2]


def test_demo_users_can_log_in(seeded, client):
    assert client.login(email=DEMO_OWNER_EMAIL, password=DEMO_PASSWORD)
    response = client.post("/accounts/login/", {"login": DEMO_MEMBER_EMAIL, "password": DEMO_PASSWORD}, follow=False)
    assert response.status_code == 302  # verified address: no "confirm your email" stop
    assert "confirm" not in response["Location"]


def test_if_empty_does_nothing_when_an_organization_exists(seeded):
    output = seed("--if-empty")
    assert "nothing seeded" in output
    assert Organization.objects.count() == 1


def test_if_empty_seeds_an_empty_database(db):
    seed("--if-empty")
    assert Organization.objects.count() == 1


def test_if_empty_respects_any_organization(db):
    OrganizationFactory()
    seed("--if-empty")
    assert Organization.objects.count() == 1


def test_seeding_twice_without_if_empty_makes_a_second_demo(seeded):
    seed()
    assert Organization.objects.count() == 2
    assert len({org.slug for org in Organization.objects.all()}) == 2


def test_audit_chain_of_the_demo_verifies(seeded):
    org, _, _ = seeded
    call_command("verify_audit_chain", org.slug, stdout=io.StringIO())
