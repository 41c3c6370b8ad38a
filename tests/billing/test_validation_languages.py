"""The validation layer's messages follow the active language: the web shows them in the
browser's language, the API answers in English unless the client asks for another."""

import pytest
from django.utils import translation

from billing import vat
from billing.validation import InvalidValue, parse_iban, parse_quantity, parse_vat_id
from organizations.validation import currency_problem
from tests.billing.test_views_businesses import business_post
from tests.billing.webclient import log_in, org_url

pytestmark = pytest.mark.django_db

GERMAN_VAT_ID_TYPO = {
    "en": "Enter a German VAT number like DE136695976 (its check digits do not match: look for a typo).",
    "fr": "Saisissez un numéro de TVA allemand comme DE136695976 "
    "(ses chiffres de contrôle ne correspondent pas : cherchez une faute de frappe).",
    "de": "Geben Sie eine deutsche USt-IdNr. wie DE136695976 ein (die Prüfziffern stimmen nicht: "
    "suchen Sie nach einem Tippfehler).",
}


def message(parser, value, language):
    with translation.override(language), pytest.raises(InvalidValue) as raised:
        parser(value)
    return raised.value.message


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_a_vat_number_message_names_the_country_in_the_active_language(language):
    assert message(parse_vat_id, "DE136695978", language) == GERMAN_VAT_ID_TYPO[language]


def test_messages_are_text_in_the_language_active_when_raised():
    with translation.override("fr"):
        problem = currency_problem("XAU")
    with translation.override("de"), pytest.raises(InvalidValue) as raised:
        parse_iban("DE89370400440532013001")
    assert isinstance(raised.value.message, str)  # not a lazy string that changes with the language later
    assert raised.value.message.startswith("Geben Sie eine IBAN wie DE89 3704 0044 0532 0130 00 ein")
    assert problem.startswith("XAU (or)") and "n’est pas une devise" in problem
    assert message(parse_quantity, "1e5", "fr") == "Écrivez le nombre sans exposant (p. ex. 100000, pas 1e5)."


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Reverse charge needs the customer's VAT number."),
        ("fr", "L’autoliquidation nécessite le numéro de TVA du client."),
        ("de", "Die Steuerschuldnerschaft des Leistungsempfängers erfordert die USt-IdNr. des Kunden."),
    ],
)
def test_issue_refusals_read_in_the_active_language(language, expected):
    reasons = {"AE": {"text": "Reverse charge", "code": ""}}
    seller, buyer = vat.Party(vat_id="FR40303265045", country="FR"), vat.Party(country="DE")
    with translation.override(language):
        problems = vat.issue_problems(categories=["AE"], reasons=reasons, seller=seller, buyer=buyer)
    assert problems == {"customer.vat_id": [expected]}


def test_the_web_form_shows_the_services_message_in_the_browsers_language(client, org):
    log_in(client, org)
    response = client.post(
        org_url("business_create", org), business_post(vat_id="DE136695978"), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    assert response.context["form"].errors["vat_id"] == [GERMAN_VAT_ID_TYPO["de"]]
