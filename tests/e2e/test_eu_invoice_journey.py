"""An EU invoice end to end in a German browser: a French studio (VAT id, IBAN) sets up its
business and a German customer (VAT id, documents in German), writes a reverse-charge line,
issues the invoice, and the PDF reads in German with the reverse-charge exemption text and
both VAT ids."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from billing.models import Invoice, InvoiceStatus
from organizations.permissions import Role
from organizations.tenancy import all_tenants
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.documents.helpers import pdf_text
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELLER_VAT_ID = "FR40303265045"
BUYER_VAT_ID = "DE136695976"
IBAN = "FR1420041010050500013M02606"
REASON = "Steuerschuldnerschaft des Leistungsempfängers, Art. 196 Richtlinie 2006/112/EG"


@pytest.fixture
def german_page(browser, live_server, e2e_settings):
    """A browser whose language is German: its requests carry Accept-Language: de-DE."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def url(organization, name, **kwargs):
    return reverse(name, kwargs={"org_slug": organization.slug, **kwargs})


def add_french_business(page, base, organization):
    page.goto(base + url(organization, "business_create"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Unternehmen")
    page.fill("#id_name", "Atelier Lumière")
    page.fill("#id_legal_name", "Atelier Lumière SARL")
    page.fill("#id_address_line1", "12 rue de la Paix")
    page.fill("#id_postcode", "75002")
    page.fill("#id_city", "Paris")
    page.select_option("#id_country", "FR")
    page.fill("#id_vat_id", "fr 40 303 265 045")
    page.fill("#id_iban", "FR14 2004 1010 0505 0001 3M02 606")
    page.fill("#id_default_currency", "EUR")
    page.select_option("#id_language", "fr")
    page.get_by_role("button", name="Unternehmen hinzufügen").click()
    expect(page.locator(".messages")).to_be_visible()


def add_german_customer(page, base, organization):
    page.goto(base + url(organization, "customer_create"))
    page.fill("#id_name", "Müller Maschinenbau GmbH")
    page.fill("#id_email", "buchhaltung@mueller.example")
    page.fill("#id_address_line1", "Industriestraße 5")
    page.fill("#id_postcode", "70173")
    page.fill("#id_city", "Stuttgart")
    page.select_option("#id_country", "DE")
    page.fill("#id_vat_id", BUYER_VAT_ID)
    page.select_option("#id_language", "de")
    page.fill("#id_currency", "EUR")
    page.get_by_role("button", name="Kunden hinzufügen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Müller Maschinenbau GmbH")


def write_reverse_charge_invoice(page, base, organization):
    page.goto(base + url(organization, "invoice_create"))
    expect(page.get_by_role("heading", name="Neue Rechnung")).to_be_visible()
    page.wait_for_load_state()  # the editor's scripts are wired up before we type
    page.select_option("#id_customer", label="Müller Maschinenbau GmbH")
    reasons = page.locator("[data-vat-reasons-fieldset]")
    expect(reasons).to_be_hidden()  # no exempt line yet
    page.fill("#items-0-description", "Gestaltung der Markenidentität")
    page.fill("#items-0-quantity", "1")
    page.fill("#items-0-unit_price", "2500")
    page.fill("#items-0-tax_rate", "0")
    page.select_option("#items-0-vat_category", "AE")
    # The reverse-charge reason appears with the line's category, labelled in German.
    expect(reasons).to_be_visible()
    expect(page.get_by_label("Steuerschuldnerschaft des Leistungsempfängers: Grund")).to_be_visible()
    page.fill("#id_vat_exemption_reasons_AE_text", REASON)
    page.fill("#id_vat_exemption_reasons_AE_code", "VATEX-EU-AE")
    # Totals come back from the server as we type, formatted the German way.
    expect(page.get_by_test_id("total")).to_have_text(re.compile(r"^2\.500,00\s€$"))
    expect(page.get_by_test_id("tax-AE-0")).to_have_text(re.compile(r"^0,00\s€$"))
    page.get_by_role("button", name="Entwurf speichern").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Entwurf")


def pdf_bytes(page, base):
    """The PDF behind the page's download link, once rendered (it may answer "being rendered")."""
    pdf_url = page.get_by_test_id("pdf-download").get_attribute("href")
    page.wait_for_function(
        "async url => ((await fetch(url)).headers.get('content-type') || '').startsWith('application/pdf')",
        arg=pdf_url,
        timeout=15_000,
        polling=250,
    )
    response = page.request.get(base + pdf_url)
    assert response.headers["content-type"].startswith("application/pdf")
    return response.body()


def test_a_french_studio_invoices_a_german_customer_with_reverse_charge_in_german(german_page, live_server):
    page, base = german_page, live_server.url
    organization = OrganizationFactory(name="Atelier Lumière", default_currency="EUR")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")

    add_french_business(page, base, organization)
    add_german_customer(page, base, organization)
    write_reverse_charge_invoice(page, base, organization)

    page.get_by_role("button", name="Rechnung ausstellen").click()
    expect(page.get_by_test_id("invoice-status")).to_contain_text("Ausgestellt")
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-")
    expect(page.locator("main")).to_contain_text(REASON)
    with all_tenants():
        invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.ISSUED
    assert [row["category"] for row in invoice.tax_breakdown] == ["AE"]

    text = " ".join(pdf_text(pdf_bytes(page, base)).split())
    # German labels and formats: the customer's language decides the document's.
    for german in ("RECHNUNG", "RECHNUNGSEMPFÄNGER", "Offener Betrag", "Aufschlüsselung der USt.", "2.500,00 €"):
        assert german in text, german
    for english in ("Balance due", "BILL TO", "Tax breakdown"):
        assert english not in text, english
    # The breakdown names the category and prints the reason beside it; both parties' VAT ids.
    assert "Steuerschuldnerschaft des Leistungsempfängers (AE)" in text
    assert f"Steuerschuldnerschaft des Leistungsempfängers: {REASON}" in text
    assert f"USt-IdNr.: {SELLER_VAT_ID}" in text and f"USt-IdNr.: {BUYER_VAT_ID}" in text
    assert "IBAN: FR14 2004 1010 0505 0001 3M02 606" in text
