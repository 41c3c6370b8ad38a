"""The web app in the browser's language (Accept-Language) or the one chosen in the footer,
with amounts, rates and dates formatted like the PDF's."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billora.formatting import formats_for
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.webclient import log_in, org_url

pytestmark = pytest.mark.django_db

ITEMS = [{"description": "Beratung", "quantity": "1.5", "unit_price": "88.4", "tax_rate": "7.5"}]
# 1.5 x 88.40 = 132.60 at 7.5 %: tax 9.95 (half up), total 142.55.
PAGES = {
    "en": ["Balance due", "Issue date", "Unit price", "€142.55", "€88.40", "7.5%", "Mar 9, 2026", '<html lang="en">'],
    "fr": [
        "Montant dû",
        "Date d’émission",
        "Prix unitaire",
        "142,55 €",
        "88,40 €",
        "7,5 %",
        "9 mars 2026",
        "TVA 7,5 %",
    ],
    "de": [
        "Offener Betrag",
        "Rechnungsdatum",
        "Einzelpreis",
        "142,55 €",
        "88,40 €",
        "7,5 %",
        "09.03.2026",
        "USt. 7,5 %",
    ],
}


def plain(html):
    return html.replace("\xa0", " ").replace("\u202f", " ").replace("&nbsp;", " ")


@pytest.fixture
def invoice(org):
    business = BusinessFactory(organization=org)
    customer = CustomerFactory(organization=org, language="de")
    return make_invoice(
        organization=org,
        business=business,
        customer=customer,
        items=ITEMS,
        status="issued",
        issue_date="2026-03-09",
        due_date="2026-04-08",
    )


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_invoice_page_follows_the_browsers_language(client, org, invoice, language):
    log_in(client, org)
    page = client.get(
        org_url("invoice_detail", org, invoice_id=invoice.pk), HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5"
    )
    html = plain(page.content.decode())
    assert page["Content-Language"] == language
    for expected in PAGES[language]:
        assert expected in html, (language, expected)
    assert "88.4<" not in html and "88,4<" not in html  # no bare unit price anywhere


def test_the_web_writes_each_amount_exactly_as_the_pdf_and_email_do(client, org, invoice):
    log_in(client, org)
    html = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    # One formatting module: the page's strings are the ones the documents get for "de".
    assert formats_for("de").money(invoice.total, "EUR") in html
    assert formats_for("de").date(invoice.issue_date) in html


def test_lists_and_dashboard_are_translated_too(client, org, invoice):
    log_in(client, org)
    listing = plain(client.get(org_url("invoice_list", org), HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "Factures" in listing and "Échéance" in listing and "142,55 €" in listing and "9 mars 2026" in listing
    dashboard = plain(client.get(org_url("dashboard", org), HTTP_ACCEPT_LANGUAGE="de").content.decode())
    assert "Übersicht" in dashboard and "Offen (EUR)" in dashboard


def test_the_payment_message_uses_the_same_money_format(client, org, invoice):
    log_in(client, org)
    data = {"amount": "100,5", "date": str(org.local_today()), "method": "bank_transfer", "reference": "", "note": ""}
    response = client.post(
        org_url("payment_record", org, invoice_id=invoice.pk), data, HTTP_ACCEPT_LANGUAGE="de", follow=True
    )
    html = plain(response.content.decode())
    assert "Zahlung über 100,50 € erfasst." in html  # the decimal comma was read, the amount formatted


def test_the_editor_shows_numbers_with_the_languages_decimal_mark(client, org):
    log_in(client, org)
    draft = make_invoice(organization=org, items=ITEMS)
    html = client.get(org_url("invoice_edit", org, invoice_id=draft.pk), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'value="1,5"' in html and 'value="88,4"' in html and 'value="7,5"' in html


def test_the_footer_switcher_changes_the_language_for_the_next_pages(client, org, invoice):
    log_in(client, org)
    url = org_url("invoice_detail", org, invoice_id=invoice.pk)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    form = re.search(r'<form class="language-switcher[^>]*action="([^"]+)"', page)
    assert form and form.group(1) == reverse("set_language")
    assert 'name="csrfmiddlewaretoken"' in page.split('class="language-switcher', 1)[1]
    response = client.post(reverse("set_language"), {"language": "fr"}, HTTP_REFERER=f"http://testserver{url}")
    assert response.status_code == 302 and response["Location"] == f"http://testserver{url}"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # the choice wins over the browser's
    assert page["Content-Language"] == "fr" and "Montant dû" in page.content.decode()


def test_an_unsupported_browser_language_falls_back_to_english(client, org, invoice):
    log_in(client, org)
    page = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk), HTTP_ACCEPT_LANGUAGE="ja")
    assert page["Content-Language"] == "en" and "Balance due" in page.content.decode()


def test_pages_without_an_organization_are_translated(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="de")
    html = page.content.decode()
    assert '<html lang="de">' in html and "Registrieren" in html and "Sprache" in html


def test_unit_prices_keep_their_extra_places(client, org):
    log_in(client, org)
    invoice = make_invoice(
        organization=org,
        items=[{"description": "Screws", "quantity": "1000", "unit_price": "0.0125", "tax_rate": "0"}],
    )
    html = plain(
        client.get(org_url("invoice_detail", org, invoice_id=invoice.pk), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    )
    assert "0,0125 €" in html and Decimal("12.50") == invoice.total
