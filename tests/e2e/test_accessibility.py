"""axe-core finds no violations on the main pages: login, dashboard, invoice editor (also
with an exempt line's reason fields), invoice detail, business settings and activity (the
two-factor pages are checked in test_two_factor.py)."""

import pytest
from playwright.sync_api import expect

from organizations.permissions import Role
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.e2e.axe import assert_accessible
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_main_pages_have_no_axe_violations(page, live_server):
    organization = OrganizationFactory(name="Axe & Co")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    business = BusinessFactory(organization=organization)
    customer = CustomerFactory(organization=organization, name="Checked Customer")
    invoice = make_invoice(
        organization=organization, business=business, customer=customer, actor=owner, status="partially_paid"
    )
    base, slug = live_server.url, organization.slug

    page.goto(f"{base}/accounts/login/")
    assert_accessible(page, "login")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert_accessible(page, "dashboard")

    page.goto(f"{base}/o/{slug}/invoices/new/")
    expect(page.get_by_test_id("item-row")).to_have_count(1)
    assert_accessible(page, "invoice editor")

    page.goto(f"{base}/o/{slug}/invoices/{invoice.pk}/")
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Partially paid")
    assert_accessible(page, "invoice detail")

    # The VAT fields: the business's default category and reasons, and an editor with an exempt line.
    page.goto(f"{base}/o/{slug}/settings/businesses/{business.pk}/")
    assert_accessible(page, "business settings")
    exempt = make_invoice(
        organization=organization,
        business=business,
        customer=customer,
        actor=owner,
        items=[{"description": "Exempt", "quantity": "1", "unit_price": "10", "tax_rate": "0", "vat_category": "E"}],
        vat_exemption_reasons={"E": {"text": "Exempt under art. 132", "code": "VATEX-EU-132"}},
    )
    page.goto(f"{base}/o/{slug}/invoices/{exempt.pk}/edit/")
    expect(page.get_by_label("Exempt from VAT: reason")).to_be_visible()
    assert_accessible(page, "invoice editor with an exempt line")

    page.goto(f"{base}/o/{slug}/activity/")
    expect(page.locator("main table.activity-lines").first).to_be_visible()  # an invoice's lines
    assert_accessible(page, "activity")

    # The party forms: grouped fields, the country picker, and field errors shown in place.
    page.goto(f"{base}/o/{slug}/settings/businesses/{business.pk}/")
    expect(page.get_by_role("group", name="Tax identifiers")).to_be_visible()
    assert_accessible(page, "business form")
    page.goto(f"{base}/o/{slug}/customers/{customer.pk}/edit/")
    page.fill("#id_vat_id", "DE136695978")
    page.get_by_role("button", name="Save customer").click()
    expect(page.locator("main")).to_contain_text("Enter a German VAT number like DE136695976")
    assert_accessible(page, "customer form with errors")
