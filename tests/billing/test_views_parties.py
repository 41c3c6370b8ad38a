"""The business and customer forms: structured address, identifiers and bank details in their
groups, a country picker named in the user's language, the service's messages on the fields."""

import pytest
from django.utils import translation

from billing.forms import BusinessForm, CustomerForm
from billing.models import Business, Customer
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory, make_invoice
from tests.billing.test_views_businesses import business_post
from tests.billing.webclient import log_in, org_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "germany", "first_three"),
    [
        ("en", "Germany", ["Afghanistan", "Åland Islands", "Albania"]),
        ("de", "Deutschland", ["Afghanistan", "Ägypten", "Ålandinseln"]),
        ("fr", "Allemagne", ["Afghanistan", "Afrique du Sud", "Albanie"]),
    ],
)
def test_the_country_picker_lists_iso_countries_by_name_in_the_users_language(language, germany, first_three):
    with translation.override(language):
        choices = CustomerForm().fields["country"].choices
    assert choices[0][0] == ""  # the prompt, in the language (tests/billing/test_views_languages.py)
    countries = choices[1:]
    assert len(countries) == 249  # ISO 3166-1: no "EU", "World" or other CLDR regions
    assert dict(countries)["DE"] == germany
    assert [name for _, name in countries[:3]] == first_three


def test_the_forms_group_the_party_fields():
    assert {"address_line1", "address_line2", "postcode", "city", "country", "vat_id", "iban", "bic"} <= set(
        BusinessForm.base_fields
    )
    assert {"legal_mentions", "contact_name", "peppol_id", "language", "legal_registration_id"} <= set(
        BusinessForm.base_fields
    )
    assert {"address_line1", "country", "vat_id", "buyer_reference", "peppol_id", "language"} <= set(
        CustomerForm.base_fields
    )
    assert "address" not in BusinessForm.base_fields and "billing_address" not in CustomerForm.base_fields


def test_business_form_saves_identifiers_compact_and_shows_errors_on_their_fields(client, org):
    log_in(client, org)
    bad = client.post(
        org_url("business_create", org), business_post(vat_id="DE136695978", iban="DE89370400440532013001", bic="X")
    )
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert errors["vat_id"] == [
        "Enter a German VAT number like DE136695976 (its check digits do not match: look for a typo)."
    ]
    assert "IBAN like" in errors["iban"][0] and "BIC of 8 or 11" in errors["bic"][0]
    for legend in (b"Address", b"Tax identifiers", b"Payment details", b"Documents"):
        assert b"<legend>" + legend + b"</legend>" in bad.content
    good = client.post(
        org_url("business_create", org),
        business_post(vat_id="de 136 695 976", iban="DE89 3704 0044 0532 0130 00", bic="cobadeffxxx", language="de"),
    )
    assert good.status_code == 302
    with organization_scope(org):
        business = Business.objects.get()
    assert (business.vat_id, business.iban, business.bic, business.language) == (
        "DE136695976",
        "DE89370400440532013000",
        "COBADEFFXXX",
        "de",
    )


def test_customer_form_and_detail_page(client, org):
    log_in(client, org)
    data = {
        "name": "Société Cliente",
        "address_line1": "3 place Bellecour",
        "postcode": "69002",
        "city": "Lyon",
        "country": "FR",
        "vat_id": "FR40303265045",
        "language": "fr",
        "buyer_reference": "PO-778",
        "currency": "EUR",
    }
    response = client.post(org_url("customer_create", org), data)
    assert response.status_code == 302
    with organization_scope(org):
        customer = Customer.objects.get()
    detail = client.get(org_url("customer_detail", org, customer_id=customer.pk)).content.decode()
    assert "3 place Bellecour<br>69002 Lyon<br>France" in detail
    assert "FR40303265045" in detail and "PO-778" in detail


def test_invoice_page_shows_the_issued_parties_from_the_snapshot(client, org, business):
    customer = CustomerFactory(organization=org, vat_id="ATU13585627", country="AT", city="Wien", postcode="1010")
    invoice = make_invoice(organization=org, business=business, customer=customer, status="issued")
    with organization_scope(org):
        Customer.objects.filter(pk=customer.pk).update(city="Graz")  # later edits do not reach it
    log_in(client, org)
    page = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
    assert "1 Main Street<br>1010 Wien<br>Austria" in page and "VAT ATU13585627" in page
    assert "Graz" not in page


def test_issuing_from_the_web_names_the_missing_country(client, org, business):
    customer = CustomerFactory(organization=org, country="")
    draft = make_invoice(organization=org, business=business, customer=customer)
    log_in(client, org)
    response = client.post(org_url("invoice_issue", org, invoice_id=draft.pk), follow=True)
    assert "Customer country: Add the customer&#x27;s country before issuing" in response.content.decode()
