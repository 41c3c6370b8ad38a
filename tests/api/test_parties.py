"""api.md "Additions before the first release": the parties' structured addresses and
identifiers, the read-only rendered address, and the issue-time check on the customer's country."""

from billing.models import Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory, make_invoice

BUSINESSES = "/api/v1/businesses/"
CUSTOMERS = "/api/v1/customers/"

FRENCH_STUDIO = {
    "name": "Atelier Lumière",
    "address_line1": "12 rue de la Paix",
    "address_line2": "Bâtiment B",
    "postcode": "75002",
    "city": "Paris",
    "country": "fr",
    "vat_id": "FR 40 303 265 045",
    "legal_registration_id": "SIREN 303 265 045",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "BNPAFRPP",
    "language": "fr",
    "legal_mentions": "SAS au capital de 10 000 €\nRCS Paris 303 265 045",
    "contact_name": "Camille Martin",
    "peppol_id": "0009:30326504500013",
}


def test_business_with_every_party_field(api):
    response = api.post(BUSINESSES, {**FRENCH_STUDIO, "address": "ignored: read-only"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == "12 rue de la Paix\nBâtiment B\n75002 Paris\nFrance"
    assert (body["country"], body["vat_id"], body["iban"], body["bic"]) == (
        "FR",
        "FR40303265045",
        "FR7630006000011234567890189",
        "BNPAFRPP",
    )
    expected = {k: v for k, v in FRENCH_STUDIO.items() if k not in {"country", "vat_id", "iban"}}
    assert {k: body[k] for k in expected} == expected
    assert api.get(f"{BUSINESSES}{body['id']}/").json() == body


def test_business_field_errors_show_the_expected_format(api):
    response = api.post(
        BUSINESSES,
        {"name": "X", "country": "XX", "vat_id": "FR40303265046", "iban": "FR7630006000011234567890188"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["vat_id"] == [
        "Enter a French VAT number like FR40303265045 (its check digits do not match: look for a typo)."
    ]
    assert body["iban"] == [
        "Enter an IBAN like DE89 3704 0044 0532 0130 00 (its check digits do not match: look for a typo)."
    ]
    assert set(body) == {"country", "vat_id", "iban"}
    missing = api.post(BUSINESSES, {"name": "X"}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {
        "country": ["Choose the business's country (an ISO 3166-1 code such as FR); every invoice shows it."]
    }


def test_customer_with_every_party_field(api):
    data = {
        "name": "Kunde GmbH",
        "address_line1": "Hauptstraße 5",
        "postcode": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_id": "de136695976",
        "legal_registration_id": "HRB 12345",
        "language": "de",
        "buyer_reference": "04011000-12345-34",
        "peppol_id": "9930:DE136695976",
    }
    response = api.post(CUSTOMERS, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["billing_address"] == "Hauptstraße 5\n10115 Berlin\nGermany"
    assert {k: body[k] for k in data} == {**data, "vat_id": "DE136695976"}
    patched = api.patch(f"{CUSTOMERS}{body['id']}/", {"language": "", "billing_address": "x"}, format="json")
    assert patched.status_code == 200 and patched.json()["language"] == ""
    assert patched.json()["billing_address"] == body["billing_address"]
    assert api.post(CUSTOMERS, {"name": "K", "language": "es"}, format="json").status_code == 400


def test_issue_without_the_customers_country_is_a_400_naming_the_field(api, org, business):
    customer = CustomerFactory(organization=org, country="")
    draft = make_invoice(organization=org, business=business, customer=customer)
    response = api.post(f"/api/v1/invoices/{draft.pk}/issue/")
    assert response.status_code == 400
    assert response.json() == {
        "customer": {
            "country": ["Add the customer's country before issuing: an invoice shows the buyer's full address."]
        }
    }
    with organization_scope(org):
        assert Invoice.objects.get(pk=draft.pk).number is None
    api.patch(f"{CUSTOMERS}{customer.pk}/", {"country": "BE"}, format="json")
    assert api.post(f"/api/v1/invoices/{draft.pk}/issue/").status_code == 200
