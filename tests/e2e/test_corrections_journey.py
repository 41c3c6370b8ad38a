"""Corrections in a real browser: an issued invoice with a typo is corrected (a credit note
is issued, the new draft opens in the editor, is fixed and issued), then another, paid one is
cancelled and its payment refunded."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import CreditNote, Invoice
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEM = {"description": "Desgin work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}


def test_correct_a_mistyped_invoice_then_cancel_and_refund_another(page, live_server):
    organization = OrganizationFactory(name="Fix Co")
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    business = BusinessFactory(organization=organization)
    customer = CustomerFactory(organization=organization)
    typo = make_invoice(organization=organization, business=business, customer=customer, items=[ITEM], status="issued")
    paid = make_invoice(organization=organization, business=business, customer=customer, items=[ITEM], status="paid")
    base, slug = live_server.url, organization.slug
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", owner.user.email)
    page.fill("input[name=password]", "a long enough passphrase 42")
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # The issued invoice is final: no Edit, but Correct.
    page.goto(f"{base}/o/{slug}/invoices/{typo.pk}/")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    page.get_by_text("Correct…").click()
    page.fill("#id_correct_reason", "Typo in the description")
    page.get_by_role("button", name=f"Correct invoice {typo.number}").click()
    # The new draft opens in the editor, copying the invoice: fix the typo and issue it.
    expect(page.locator("#items-0-description")).to_have_value("Desgin work")
    page.fill("#items-0-description", "Design work")
    page.get_by_role("button", name="Save invoice").click()
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Issued")
    with all_tenants():
        note = CreditNote.objects.get(invoice=typo)
        fixed = Invoice.objects.get(replaces=typo)
        assert (note.status, note.total, note.reason) == ("issued", Decimal("120.00"), "Typo in the description")
        assert Invoice.objects.get(pk=typo.pk).status == "credited"
        assert (fixed.status, fixed.items.get().description) == ("issued", "Design work")

    # The paid one is cancelled: a refund is due, and recorded.
    page.goto(f"{base}/o/{slug}/invoices/{paid.pk}/")
    page.get_by_text("Cancel…").click()
    page.get_by_role("button", name=f"Cancel invoice {paid.number}").click()
    expect(page.get_by_test_id("refund-due")).to_have_text("€120.00")
    page.get_by_role("button", name="Record refund").click()
    expect(page.get_by_test_id("amount-refunded")).to_have_text("€120.00")
    expect(page.get_by_test_id("refund-due")).to_have_count(0)
    expect(page.get_by_test_id("credit-note-row")).to_have_count(1)
    with all_tenants():
        paid = Invoice.objects.get(pk=paid.pk)
        assert (paid.status, paid.balance_due, paid.amount_refunded) == ("credited", 0, Decimal("120.00"))
