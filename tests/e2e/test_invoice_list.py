"""The invoice list in a browser: search as you type (numbers, customers, amounts), sort by a
column, tick invoices and download their PDFs as one zip or send them, export the filtered
list as CSV, and duplicate an invoice."""

import csv
import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from billing.models import Invoice
from documents.models import OutboundEmail
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.e2e.axe import assert_accessible
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def line(price):
    return [{"description": "Work", "quantity": "1", "unit_price": price, "tax_rate": "0"}]


@pytest.fixture
def invoice_list(page, live_server):
    organization = OrganizationFactory(name="List Co", default_currency="EUR")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    business = BusinessFactory(organization=organization, default_currency="EUR")
    wayne = CustomerFactory(organization=organization, name="Wayne Enterprises", email="ap@wayne.example")
    stark = CustomerFactory(organization=organization, name="Stark Industries", email="ap@stark.example")
    page.invoices = {
        name: make_invoice(
            organization=organization, business=business, customer=customer, items=line(price), status=status
        )
        for name, customer, price, status in (
            ("wayne", wayne, "500", "issued"),
            ("stark", stark, "120", "issued"),
            ("draft", stark, "75", "draft"),
        )
    }
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{live_server.url}/o/{organization.slug}/invoices/")
    page.organization = organization
    return page


def rows(page):
    return page.locator("#invoice-results tbody tr")


def test_search_runs_as_you_type_and_finds_amounts(invoice_list):
    page = invoice_list
    expect(rows(page)).to_have_count(3)
    assert_accessible(page, "invoice list")
    page.locator("#id_q").press_sequentially("stark", delay=30)
    expect(rows(page)).to_have_count(2)  # no button pressed
    expect(page).to_have_url(re.compile(r"q=stark"))  # the address follows
    expect(page.locator("#id_q")).to_be_focused()  # the box is not replaced while typing
    page.locator("#id_q").fill("")
    page.locator("#id_q").press_sequentially("500.00", delay=30)
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Wayne Enterprises")
    # The tabs keep the search.
    page.get_by_role("navigation", name="Invoice status").get_by_role("link", name="Draft").click()
    expect(page.locator("main")).to_contain_text("No invoice matches")
    assert "q=500.00" in page.url


def test_columns_sort_both_ways(invoice_list):
    page = invoice_list
    totals = page.locator("#invoice-results tbody tr td.num:nth-last-child(2)")
    page.get_by_role("link", name="Total").click()
    expect(page.get_by_role("columnheader", name="Total")).to_have_attribute("aria-sort", "ascending")
    expect(totals).to_have_text(["€75.00", "€120.00", "€500.00"])
    page.get_by_role("link", name="Total").click()
    expect(page.get_by_role("columnheader", name="Total")).to_have_attribute("aria-sort", "descending")
    expect(totals).to_have_text(["€500.00", "€120.00", "€75.00"])


def test_ticked_invoices_download_as_a_zip_and_are_sent(invoice_list):
    page = invoice_list
    invoices = page.invoices
    page.get_by_role("checkbox", name="Select all invoices on this page").check()
    expect(page.locator("input[name=invoice]:checked")).to_have_count(3)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDFs (zip)").click()
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert len(names) == 3 and f"{invoices['wayne'].number}.pdf" in names

    page.get_by_role("checkbox", name="Select all invoices on this page").uncheck()
    page.get_by_role("checkbox", name=f"Select {invoices['wayne'].number}").check()
    page.get_by_role("checkbox", name="Select draft for Stark Industries").check()
    # Sending asks first: cancelled, nothing is sent; confirmed, the email is queued.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Send to customers").click()
    with all_tenants():
        assert not OutboundEmail.objects.exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send to customers").click()
    expect(page.locator(".messages")).to_contain_text("1 invoice is being sent.")
    expect(page.locator(".messages")).to_contain_text("A draft invoice cannot be sent.")
    with all_tenants():
        assert [e.invoice_id for e in OutboundEmail.objects.all()] == [invoices["wayne"].pk]


def test_csv_export_holds_the_filtered_list(invoice_list):
    page = invoice_list
    page.locator("#id_q").press_sequentially("stark", delay=30)
    expect(rows(page)).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        exported = list(csv.DictReader(io.StringIO(handle.read())))
    assert sorted(row["total"] for row in exported) == ["120.00", "75.00"]
    assert {row["customer"] for row in exported} == {"Stark Industries"}


def test_duplicate_opens_the_new_draft_in_the_editor(invoice_list):
    page = invoice_list
    source = page.invoices["wayne"]
    page.get_by_role("link", name=source.number).click()
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit invoice Draft")
    expect(page.locator(".messages")).to_contain_text(f"copied from {source.number}")
    expect(page.locator("#items-0-unit_price")).to_have_value("500")
    with all_tenants():
        assert Invoice.objects.filter(organization=page.organization).count() == 4
