"""Input a hostile probe sent to the API: lone surrogates, line breaks in names, numbers in
other scripts or with signs and spaces, currency codes that are not money. Each is a 400 on
the field it concerns (the service's message), never a 500 and never stored."""

import json

import pytest

from billing.models import Business, Customer, Invoice, Payment
from tests.billing.factories import make_invoice

ITEM = {"description": "Design work", "quantity": "1", "unit_price": "80.00", "tax_rate": "20"}
NUMBER_MESSAGE = "A valid number is required: use the digits 0-9 and at most one decimal point."


def post_json(api, url, body):
    # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
    return api.post(url, data=json.dumps(body), content_type="application/json")


def test_a_lone_surrogate_in_an_item_description_is_a_400_on_that_item(api, business, customer, scoped):
    items = [ITEM, {**ITEM, "description": "Design \ud800 work"}]
    response = post_json(
        api, "/api/v1/invoices/", {"business": str(business.pk), "customer": str(customer.pk), "items": items}
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "items": [{}, {"description": ["Text may not contain an unpaired surrogate character (U+D800)."]}]
    }
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("name", ["Acme\r\nBcc: all@example.com", "Acme\nCorp", "Acme\x0bCorp"])
def test_names_with_line_breaks_are_a_400_on_name(api, business, customer, name, scoped):
    single_line = {"name": ["Use a single line: line breaks are not allowed here."]}
    response = post_json(api, "/api/v1/businesses/", {"name": name, "default_currency": "EUR", "country": "FR"})
    assert (response.status_code, response.json()) == (400, single_line)
    response = post_json(api, "/api/v1/customers/", {"name": name})
    assert (response.status_code, response.json()) == (400, single_line)
    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"name": name}, format="json")
    assert (response.status_code, response.json()) == (400, single_line)
    assert not Business.objects.exclude(pk=business.pk).exists()
    assert list(Customer.objects.values_list("name", flat=True)) == [customer.name]


@pytest.mark.parametrize("value", [" 1 ", "+1", "１２", "٣"])
def test_numbers_outside_the_documented_syntax_are_a_400(api, business, customer, value, scoped):
    items = [{**ITEM, "quantity": value}]
    response = post_json(
        api, "/api/v1/invoices/", {"business": str(business.pk), "customer": str(customer.pk), "items": items}
    )
    assert (response.status_code, response.json()) == (400, {"items": [{"quantity": [NUMBER_MESSAGE]}]})
    invoice = make_invoice(business=business, customer=customer, status="issued")
    response = post_json(api, "/api/v1/payments/", {"invoice": str(invoice.pk), "amount": value})
    assert (response.status_code, response.json()) == (400, {"amount": [NUMBER_MESSAGE]})
    assert not Payment.objects.exists()


@pytest.mark.parametrize("code", ["XXX", "XAU", "XDR", "XTS"])
def test_currency_codes_that_are_not_money_are_a_400(api, business, customer, code, scoped):
    response = post_json(
        api,
        "/api/v1/invoices/",
        {"business": str(business.pk), "customer": str(customer.pk), "items": [ITEM], "currency": code},
    )
    assert response.status_code == 400
    [message] = response.json()["currency"]
    assert message.startswith(f"{code} (") and "is not a currency a business can invoice in" in message
    assert not Invoice.objects.exists()
