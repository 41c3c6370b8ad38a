"""The invoice editor at the keyboard: Enter in a line field moves on (and adds a line at the
end) instead of submitting the form, typing in the last line's description adds a fresh line,
and the dates start filled with their defaults and follow each other."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.e2e.axe import assert_accessible
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(page, live_server):
    organization = OrganizationFactory(name="Keys Co", default_currency="EUR")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    BusinessFactory(organization=organization, payment_terms_days=30, default_currency="EUR")
    customer = CustomerFactory(organization=organization, name="Keyboard Customer")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{live_server.url}/o/{organization.slug}/invoices/new/")
    page.select_option("#id_customer", str(customer.pk))
    page.organization = organization
    return page


def focused(page):
    return page.evaluate("document.activeElement.id")


def test_enter_moves_through_the_lines_and_never_submits(editor):
    page = editor
    rows = page.get_by_test_id("item-row")
    page.fill("#items-0-description", "First line")
    expect(rows).to_have_count(2)  # typing in the last description adds a fresh line
    page.focus("#items-0-quantity")
    for field, value in (("quantity", "2"), ("unit_price", "50"), ("tax_rate", "20")):
        assert focused(page) == f"items-0-{field}"
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    # From the last field of the line, Enter goes on to the next line, without a submit.
    assert focused(page) == "items-1-description"
    expect(page.get_by_role("heading", name="New invoice")).to_be_visible()
    expect(page.locator(".form-error-summary")).to_have_count(0)
    expect(page.get_by_test_id("total")).to_have_text("€120.00")

    # Enter in a description moves on too (Shift+Enter is a line break in the text).
    page.keyboard.type("Second line")
    expect(rows).to_have_count(3)
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("continued")
    page.keyboard.press("Enter")
    assert focused(page) == "items-1-quantity"
    expect(page.locator("#items-1-description")).to_have_value("Second line\ncontinued")

    # The fresh line at the end: Enter from its last field stays on it (no second empty line)...
    page.focus("#items-2-tax_rate")
    page.keyboard.press("Enter")
    assert focused(page) == "items-2-description"
    expect(rows).to_have_count(3)
    # ...but once something is typed in it, Enter from its last field adds the next line.
    page.fill("#items-1-unit_price", "10")
    page.fill("#items-2-unit_price", "5")
    page.focus("#items-2-tax_rate")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(4)
    assert focused(page) == "items-3-description"
    expect(page.locator("#items-3-quantity")).to_have_value("1")
    expect(page.locator("#items-3-tax_rate")).to_have_value(page.locator("#items-2-tax_rate").input_value())
    page.shot("editor-after-enter")


def test_typing_in_the_last_description_adds_a_fresh_line_and_save_keeps_the_real_ones(editor):
    page = editor
    rows = page.get_by_test_id("item-row")
    expect(rows).to_have_count(1)
    page.fill("#items-0-quantity", "3")
    page.fill("#items-0-unit_price", "100")
    page.fill("#items-0-tax_rate", "19")
    expect(rows).to_have_count(1)
    page.fill("#items-0-description", "Design")
    expect(rows).to_have_count(2)
    # Typing more into a description that is not the last adds nothing.
    page.fill("#items-0-description", "Design work")
    expect(rows).to_have_count(2)
    page.fill("#items-1-description", "Hosting")
    expect(rows).to_have_count(3)
    expect(page.locator("#items-2-description")).to_have_value("")
    expect(page.locator("#items-2-quantity")).to_have_value("1")
    expect(page.locator("#items-1-tax_rate")).to_have_value("19")  # carried from the line above
    expect(page.locator("#items-2-tax_rate")).to_have_value("19")
    expect(page.get_by_role("button", name="Remove line 3")).to_be_visible()
    page.fill("#items-1-unit_price", "20")
    expect(page.get_by_test_id("total")).to_have_text("€380.80")
    expect(page.get_by_test_id("line-net").nth(1)).to_have_text("€20.00")
    assert_accessible(page, "invoice editor with a fresh line")
    # The copied line's buttons work: remove the second line, the fresh one stays last.
    page.get_by_role("button", name="Remove line 2").click()
    expect(rows).to_have_count(2)
    page.fill("#items-1-description", "Hosting")
    expect(rows).to_have_count(3)
    page.fill("#items-1-unit_price", "20")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Draft")
    with all_tenants():
        invoice = Invoice.objects.get(organization=page.organization)
        descriptions = list(invoice.items.order_by("position").values_list("description", flat=True))
    assert descriptions == ["Design work", "Hosting"]


def test_the_dates_start_filled_and_the_due_date_follows_the_issue_date(editor):
    page = editor
    today = page.organization.local_today()
    expect(page.locator("#id_issue_date")).to_have_value(today.isoformat())
    expect(page.locator("#id_due_date")).to_have_value((today + timedelta(days=30)).isoformat())
    page.fill("#id_issue_date", "2026-03-01")
    expect(page.locator("#id_due_date")).to_have_value("2026-03-31")
    # Once the due date is changed by hand it stays.
    page.fill("#id_due_date", "2026-04-15")
    page.fill("#id_issue_date", "2026-03-02")
    expect(page.locator("#id_due_date")).to_have_value("2026-04-15")
