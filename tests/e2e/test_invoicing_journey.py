"""The journey of a new team, in a real browser: sign up, verify the email, create the
organization, add a business and a customer, write an invoice with three lines (totals come
back from the server as you type), issue it, take a partial and then the final payment,
download the PDF, and invite a colleague who joins. Plus the invoice pages on a phone."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.models import Invoice, InvoiceStatus
from organizations.models import Membership
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 42"


def link_in_last_email(to, pattern):
    """The first URL matching ``pattern`` in the newest captured email sent to ``to``."""
    for message in reversed(mail.outbox):
        if to in message.to:
            match = re.search(pattern, message.body)
            assert match, f"no link matching {pattern!r} in: {message.body}"
            return match.group(0)
    raise AssertionError(f"no email to {to}; outbox: {[(m.to, m.subject) for m in mail.outbox]}")


def sign_up_and_verify(page, base_url, email):
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text(re.compile("verif|confirm", re.I))
    confirm_url = link_in_last_email(email, r"https?://\S+/accounts/confirm-email/\S+/")
    page.goto(confirm_url.replace("https://", "http://"))
    page.locator("main form button[type=submit]").last.click()


def fill_line(page, index, description, quantity, unit_price, tax_rate):
    page.fill(f"#items-{index}-description", description)
    page.fill(f"#items-{index}-quantity", quantity)
    page.fill(f"#items-{index}-unit_price", unit_price)
    page.fill(f"#items-{index}-tax_rate", tax_rate)


def test_new_team_from_sign_up_to_paid_invoice_and_a_colleague(page, live_server, browser):
    base = live_server.url
    owner_email = "founder@example.com"

    # Sign up and verify the address with the link from the captured email.
    sign_up_and_verify(page, base, owner_email)

    # No organization yet: create one.
    expect(page.locator("h1")).to_contain_text("organization")
    page.fill("input[name=name]", "Acme Studio")
    page.get_by_role("button", name="Create organization").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Add a business")
    page.shot("dashboard-empty")

    # Add a business (settings area) and a customer.
    page.get_by_role("link", name="Add a business").first.click()
    page.fill("#id_name", "Acme Studio GmbH")
    page.fill("#id_address_line1", "Hauptstraße 1")
    page.fill("#id_postcode", "10115")
    page.fill("#id_city", "Berlin")
    page.select_option("#id_country", "DE")
    page.fill("#id_vat_id", "DE 136 695 976")
    page.fill("#id_default_currency", "EUR")
    page.get_by_role("button", name="Add business").click()
    expect(page.locator(".messages")).to_contain_text("added")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Add your first customer").click()
    page.fill("#id_name", "Wayne Enterprises")
    page.fill("#id_email", "ap@wayne.example")
    page.select_option("#id_country", "US")
    page.fill("#id_currency", "EUR")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wayne Enterprises")

    # A new invoice with three lines; the totals are computed by the server as we type.
    page.get_by_role("link", name="New invoice").click()
    expect(page.get_by_role("heading", name="New invoice")).to_be_visible()
    page.wait_for_load_state()  # the editor's scripts are wired up before we type
    fill_line(page, 0, "Design work", "10", "100", "20")
    expect(page.get_by_test_id("total")).to_have_text("€1,200.00")
    page.get_by_role("button", name="+ Add line").click()
    expect(page.get_by_test_id("item-row")).to_have_count(2)
    fill_line(page, 1, "Hosting", "1", "49.99", "0")
    expect(page.get_by_test_id("total")).to_have_text("€1,249.99")
    page.get_by_role("button", name="+ Add line").click()
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    fill_line(page, 2, "Support", "2.5", "80", "20")
    expect(page.get_by_test_id("subtotal")).to_have_text("€1,249.99")
    expect(page.get_by_test_id("tax-20")).to_have_text("€240.00")
    expect(page.get_by_test_id("total")).to_have_text("€1,489.99")
    expect(page.get_by_test_id("line-net").nth(2)).to_have_text("€200.00")
    # Reorder: move "Support" up; nothing is lost and the totals stay.
    page.get_by_role("button", name="Move line 3 up").click()
    expect(page.locator("#items-1-description")).to_have_value("Support")
    expect(page.get_by_test_id("total")).to_have_text("€1,489.99")
    page.shot("invoice-editor")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Draft")

    # Issue it.
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Issued")
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-")
    expect(page.get_by_test_id("balance-due")).to_have_text("€1,489.99")
    page.shot("invoice-issued")

    # A partial payment, then the rest.
    page.fill("#id_payment_amount", "489.99")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Partially paid")
    expect(page.get_by_test_id("balance-due")).to_have_text("€1,000.00")
    # Overpaying is refused with the server's message; what was typed stays.
    page.fill("#id_payment_amount", "1000.01")
    page.fill("#id_payment_reference", "TOO-MUCH")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator("#id_payment_amount_error")).to_contain_text("may not exceed the balance due")
    expect(page.locator("#id_payment_reference")).to_have_value("TOO-MUCH")
    page.fill("#id_payment_amount", "1000.00")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Paid")
    expect(page.get_by_test_id("balance-due")).to_have_text("€0.00")
    page.shot("invoice-paid")
    with all_tenants():
        invoice = Invoice.objects.get()
    assert (invoice.status, invoice.total, invoice.amount_paid) == (
        InvoiceStatus.PAID,
        Decimal("1489.99"),
        Decimal("1489.99"),
    )

    # Download the PDF (documents app). The first request may answer "being rendered".
    pdf_link = page.get_by_test_id("pdf-download")
    expect(pdf_link).to_be_visible()
    pdf_url = pdf_link.get_attribute("href")
    page.wait_for_function(
        "async url => ((await fetch(url)).headers.get('content-type') || '').startsWith('application/pdf')",
        arg=pdf_url,
        timeout=10_000,
        polling=250,
    )
    response = page.request.get(base + pdf_url)
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF")
    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
            "document.body.appendChild(a); a.click(); }",
            pdf_url,
        )
    assert download_info.value.suggested_filename.endswith(".pdf")

    # Dashboard: the paid amount shows, with the chart.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("paid-30-EUR")).to_have_text("€1,489.99")
    expect(page.locator("svg.bar-chart")).to_be_visible()
    page.shot("dashboard")

    # Invite a colleague, who signs up from the emailed link and joins.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.get_by_role("link", name=re.compile("Invite", re.I)).first.click()
    colleague = "colleague@example.com"
    page.fill("input[name=email]", colleague)
    page.select_option("select[name=role]", Role.MEMBER)
    page.get_by_role("button", name="Send invite").click()
    expect(page.locator("main")).to_contain_text(colleague)
    invite_url = link_in_last_email(colleague, r"https?://\S+/invites/[^/\s]+/")

    colleague_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = colleague_context.new_page()
        other.set_default_timeout(10_000)
        other.goto(re.sub(r"^https?://[^/]+", base, invite_url))
        expect(other.locator("h1")).to_contain_text("Join Acme Studio")
        other.locator("main").get_by_role("link", name="Sign up").click()
        if not other.input_value("input[name=email]"):
            other.fill("input[name=email]", colleague)
        other.fill("input[name=password1]", PASSWORD)
        other.fill("input[name=password2]", PASSWORD)
        other.locator("main form button[type=submit]").last.click()
        confirm_url = link_in_last_email(colleague, r"https?://\S+/accounts/confirm-email/\S+/")
        other.goto(re.sub(r"^https?://[^/]+", base, confirm_url))
        other.locator("main form button[type=submit]").last.click()
        other.get_by_role("button", name=re.compile("^Join")).click()
        expect(other.get_by_role("heading", name="Dashboard")).to_be_visible()
        # The colleague sees the team's invoice.
        other.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
        expect(other.locator("main table")).to_contain_text(invoice.number)
    finally:
        colleague_context.close()
    with all_tenants():
        assert Membership.objects.filter(user__email=colleague, organization=invoice.organization_id).exists()


# Installed before the editor loads (page.add_init_script): the time of the last edit, so a
# wait can tell whether the editor's delayed totals request (input delay:400ms) may still come.
WATCH_EDITS = """
window.__lastEdit = 0;
for (const type of ["input", "change"]) {
  document.addEventListener(type, () => { window.__lastEdit = performance.now(); }, true);
}
"""
HTMX_IDLE = """
performance.now() - window.__lastEdit > 450
  && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')
"""


def wait_until_htmx_is_idle(page):
    """networkidle alone can pass between a request and htmx's swap/settle, or before a
    delayed totals request starts: wait until the input delay has passed since the last edit
    (any request it triggered has started) and htmx has nothing in flight or settling."""
    page.wait_for_function(HTMX_IDLE, timeout=10_000, polling=50)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(HTMX_IDLE, timeout=10_000, polling=50)


def test_invoice_pages_on_a_phone(phone_page, live_server):
    """375 px wide: the invoice pages fit, the editor works, nothing overflows sideways."""
    page = phone_page
    organization = OrganizationFactory(name="Phone Co")
    membership = MembershipFactory(organization=organization, role=Role.OWNER)
    business = BusinessFactory(organization=organization)
    customer = CustomerFactory(organization=organization, name="Tiny Customer")
    invoice = make_invoice(organization=organization, business=business, customer=customer, status="issued")

    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", membership.user.email)
    page.fill("input[name=password]", "a long enough passphrase 42")
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    def assert_fits():
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a 375px phone"

    slug = organization.slug
    page.goto(f"{base}/o/{slug}/invoices/")
    expect(page.locator("main table")).to_contain_text(invoice.number)
    assert_fits()
    page.shot("phone-invoice-list")

    page.goto(f"{base}/o/{slug}/invoices/{invoice.pk}/")
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Issued")
    assert_fits()
    page.fill("#id_payment_amount", "10.00")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Partially paid")
    assert_fits()
    page.shot("phone-invoice-detail")

    page.add_init_script(WATCH_EDITS)
    page.goto(f"{base}/o/{slug}/invoices/new/")
    page.select_option("#id_customer", str(customer.pk))
    fill_line(page, 0, "Pocket work", "3", "33.33", "10")
    expect(page.get_by_test_id("total")).to_have_text("€109.99")
    page.get_by_role("button", name="+ Add line").click()
    expect(page.get_by_test_id("item-row")).to_have_count(2)
    assert_fits()
    page.shot("phone-invoice-editor")
    # Keyboard: Tab from the new description reaches its quantity field.
    page.focus("#items-1-description")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "items-1-quantity"
    # Keyboard only: the editor's buttons work with Enter, and saving keeps the lines.
    wait_until_htmx_is_idle(page)  # no totals request still in flight
    page.fill("#items-1-description", "Second pocket line")
    expect(page.get_by_test_id("item-row")).to_have_count(3)  # a fresh line comes with typing
    page.get_by_role("button", name="Remove line 3").press("Enter")
    expect(page.get_by_test_id("item-row")).to_have_count(2)
    wait_until_htmx_is_idle(page)  # the new rows are swapped in, settled and wired up
    page.fill("#items-1-unit_price", "0.01")
    page.get_by_role("button", name="+ Add line").press("Enter")
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    assert page.evaluate("document.activeElement.id") == "items-2-description"
    assert_fits()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Draft")
    expect(page.locator("main")).to_contain_text("Second pocket line")
    assert_fits()
