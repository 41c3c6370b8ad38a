"""The invoice page's "Download as" menu: every member role downloads each e-invoice; a
format the invoice lacks data for sends them back with a message naming what to fill in."""

import html

import pytest
from django.conf import settings
from django.urls import reverse

from organizations.permissions import Role
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.webclient import log_in, log_in_outsider
from tests.einvoice.issued import DE_FULL_BUYER, DE_FULL_SELLER

ITEMS = ({"description": "Beratung", "quantity": "2", "unit_price": "500.00", "tax_rate": "19"},)


def url(invoice, name="invoice_einvoice"):
    return reverse(name, kwargs={"org_slug": invoice.organization.slug, "invoice_id": invoice.pk})


@pytest.fixture
def full(org, commit):
    business = BusinessFactory(organization=org, **DE_FULL_SELLER)
    customer = CustomerFactory(organization=org, **DE_FULL_BUYER)
    with commit():
        return make_invoice(organization=org, business=business, customer=customer, items=ITEMS, status="issued")


def test_the_invoice_page_offers_every_format(client, org, full):
    log_in(client, org, Role.VIEWER)
    page = client.get(url(full, "invoice_detail")).content.decode()
    assert 'data-testid="download-as"' in page
    for key in ("facturx", "cii", "ubl", "xrechnung-cii", "xrechnung-ubl", "peppol"):
        assert f"{url(full)}?format={key}" in page


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER])
@pytest.mark.parametrize(
    ("key", "content_type"), [("xrechnung-ubl", "application/xml"), ("facturx", "application/pdf")]
)
def test_every_role_downloads(client, org, full, role, key, content_type):
    log_in(client, org, role)
    response = client.get(url(full), {"format": key})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith('attachment; filename="')


def test_a_refused_format_says_what_is_missing(client, org):
    plain = make_invoice(organization=org, status="issued")  # no Peppol ids, no buyer reference
    log_in(client, org)
    response = client.get(url(plain), {"format": "peppol"}, follow=True)
    assert response.redirect_chain[-1][0] == url(plain, "invoice_detail")
    text = response.content.decode()
    assert "cannot be produced as Peppol BIS Billing 3.0" in text
    assert "the customer&#x27;s Peppol id" in text or "the customer's Peppol id" in text


@pytest.mark.parametrize(
    ("headers", "cookies", "detail"),
    [
        (  # the browser's language
            {"HTTP_ACCEPT_LANGUAGE": "fr"},
            {},
            "Ce document ne peut pas être établi au format Peppol BIS Billing 3.0 : "
            "L’entreprise doit renseigner son numéro de TVA ou son numéro d’immatriculation. "
            "Peppol exige l’identifiant Peppol de l’entreprise. Peppol exige l’identifiant Peppol du client.",
        ),
        (  # the language picked in the footer's switcher, over the browser's
            {"HTTP_ACCEPT_LANGUAGE": "en"},
            {settings.LANGUAGE_COOKIE_NAME: "de"},
            "Dieses Dokument kann nicht als Peppol BIS Billing 3.0 erstellt werden: "
            "Das Unternehmen benötigt seine USt-IdNr. oder seine Registernummer. "
            "Peppol erfordert die Peppol-ID des Unternehmens. Peppol erfordert die Peppol-ID des Kunden.",
        ),
    ],
)
def test_a_refused_format_says_what_is_missing_in_the_users_language(client, org, headers, cookies, detail):
    plain = make_invoice(organization=org, status="issued")  # no Peppol ids, no buyer reference
    log_in(client, org)
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get(url(plain), {"format": "peppol"}, follow=True, **headers)
    assert response.redirect_chain[-1][0] == url(plain, "invoice_detail")
    text = html.unescape(response.content.decode())
    assert detail in text
    assert "cannot be produced" not in text


def test_a_draft_and_an_unknown_format_send_back_with_a_message(client, org, full):
    log_in(client, org)
    draft = make_invoice(organization=org)
    assert "A draft has no e-invoice" in client.get(url(draft), {"format": "cii"}, follow=True).content.decode()
    assert "Choose a format" in client.get(url(full), {"format": "docx"}, follow=True).content.decode()


def test_another_organization_gets_404(client, full):
    log_in_outsider(client)
    assert client.get(url(full), {"format": "cii"}).status_code == 404
