"""The activity page fits the screen: no sideways scrolling at 1280 px nor on a phone, even with
long names, long unbroken values and item changes."""

import pytest
from playwright.sync_api import expect

from billing import services as billing_services
from organizations.permissions import Role
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import PHONE
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_WORD = "https://example.com/" + "a-very-long-unbroken-reference-" * 4
# The page itself, or a box in it too narrow for its content, which then scrolls on its own or
# is cut off (a table in an overflow wrapper). Visually hidden text (1 px wide) is no box.
SCROLLS_SIDEWAYS = """() => {
    const page = document.scrollingElement;
    if (page.scrollWidth > page.clientWidth) return "the page";
    const boxes = [...document.querySelectorAll("main *")].filter(
        (box) => getComputedStyle(box).overflowX !== "visible" && box.clientWidth > 1
            && box.scrollWidth > box.clientWidth + 1
    );
    return boxes.length ? boxes[0].outerHTML.slice(0, 120) : null;
}"""


def test_the_activity_page_never_scrolls_sideways(page, live_server):
    organization = OrganizationFactory(name="Wide Content Studio")
    owner = UserFactory(email="a.rather.long.name.for.an.owner@very-long-domain-name.example.com")
    MembershipFactory(organization=organization, user=owner, role=Role.OWNER)
    business = BusinessFactory(organization=organization, default_currency="EUR")
    customer = CustomerFactory(organization=organization, name=("Customer with a long name " + LONG_WORD)[:200])
    items = [
        {"description": "Design " + LONG_WORD, "quantity": "12.5", "unit_price": "1234567.89", "tax_rate": "20"},
        {"description": "Hosting", "quantity": "1", "unit_price": "49.99", "tax_rate": "0"},
    ]
    invoice = make_invoice(organization=organization, business=business, customer=customer, actor=owner, items=items)
    billing_services.invoice_update(
        organization=organization,
        actor=owner,
        invoice_id=invoice.pk,
        data={"notes": LONG_WORD, "items": [*items, {"description": LONG_WORD, "quantity": "3", "unit_price": "5"}]},
    )
    invoice = billing_services.invoice_issue(organization=organization, actor=owner, invoice_id=invoice.pk)
    billing_services.payment_record(
        organization=organization,
        actor=owner,
        invoice_id=invoice.pk,
        amount="500.00",
        date=organization.local_today(),
        method="bank_transfer",
        reference=LONG_WORD[:100],
    )
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{base}/o/{organization.slug}/activity/")
    expect(page.locator("main").get_by_text("recorded a €500.00 bank transfer on")).to_be_visible()
    expect(page.locator("main table.activity-lines").first).to_be_visible()
    page.shot("activity at 1280 px")
    assert page.evaluate(SCROLLS_SIDEWAYS) is None, "scrolls sideways at 1280 px"

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("main table.activity-lines").first).to_be_visible()
    page.shot("activity on a phone")
    assert page.evaluate(SCROLLS_SIDEWAYS) is None, "scrolls sideways on a phone"
    assert_accessible(page, "activity on a phone")  # the lines stacked, their headers hidden
