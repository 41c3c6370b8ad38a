"""The API answers in English; a client that sends Accept-Language gets the validation
layer's messages in that language (the same messages the web shows)."""

import pytest

pytestmark = pytest.mark.django_db

BAD_VAT_ID = {"name": "Hooli", "country": "DE", "vat_id": "DE136695978"}


def test_errors_are_english_by_default(api):
    response = api.post("/api/v1/customers/", BAD_VAT_ID, format="json")
    assert response.status_code == 400
    assert response.json()["vat_id"] == [
        "Enter a German VAT number like DE136695976 (its check digits do not match: look for a typo)."
    ]
    assert response["Content-Language"] == "en"


def test_a_client_may_ask_for_its_language(api):
    response = api.post("/api/v1/customers/", BAD_VAT_ID, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json()["vat_id"] == [
        "Saisissez un numéro de TVA allemand comme DE136695976 "
        "(ses chiffres de contrôle ne correspondent pas : cherchez une faute de frappe)."
    ]
