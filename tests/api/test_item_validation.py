"""Invoice items are validated once, by the service (``billing.validation.parse_items``): the
API hands them over as they came and answers with the service's errors, in api.md's per-item
shape. The serializer only refuses what the service cannot see, decimals sent as JSON numbers.
Also: the per-class field cache of the API's model serializers."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from billing.api.serializers import (
    NOT_A_STRING,
    BusinessSerializer,
    CustomerSerializer,
    InvoiceItemSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    StrictModelSerializer,
)
from billing.exceptions import BillingValidationError
from billing.models import Invoice
from billing.validation import MAX_DESCRIPTION_LENGTH, parse_items
from organizations.tenancy import organization_scope

URL = "/api/v1/invoices/"
ITEM = {"description": "Design work", "quantity": "1.5", "unit_price": "80.00", "tax_rate": "19"}


def service_errors(items):
    """What the service says of an ``items`` list (None: it takes them)."""
    try:
        parse_items(items)
    except BillingValidationError as exc:
        return exc.errors
    return None


def post_items(api, business, customer, items):
    return api.post(URL, {"business": str(business.pk), "customer": str(customer.pk), "items": items}, format="json")


def test_item_errors_are_the_services_own(api, org, business, customer):
    items = [
        dict(ITEM),
        {**ITEM, "description": ""},
        {**ITEM, "quantity": "0", "unit_price": "1.23456"},
        {"description": "x" * (MAX_DESCRIPTION_LENGTH + 1), "quantity": "1", "unit_price": "1"},
        {**ITEM, "tax_rate": None},
        "not an object",
    ]
    response = post_items(api, business, customer, items)
    assert response.status_code == 400
    assert response.json() == service_errors(items)
    assert response.json()["items"][0] == {}
    with organization_scope(org):
        assert not Invoice.objects.exists()


def test_json_numbers_are_refused_per_item_with_the_api_message(api, business, customer):
    items = [dict(ITEM), {**ITEM, "quantity": 2, "unit_price": 1.5}, {**ITEM, "tax_rate": True}]
    response = post_items(api, business, customer, items)
    assert response.status_code == 400
    assert response.json() == {
        "items": [{}, {"quantity": [NOT_A_STRING], "unit_price": [NOT_A_STRING]}, {"tax_rate": [NOT_A_STRING]}]
    }


def test_items_must_be_a_list(api, business, customer):
    response = post_items(api, business, customer, {"0": ITEM})
    assert response.status_code == 400
    assert list(response.json()) == ["items"]


def test_echoed_read_only_item_fields_are_ignored(api, business, customer):
    items = [{**ITEM, "id": "whatever", "line_total": "1.00"}]
    response = post_items(api, business, customer, items)
    assert response.status_code == 201, response.content
    assert response.json()["items"][0]["line_total"] == "120.00"


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(["", "0", "1.5", "19", " 2 ", "1e3", "NaN", "\x00", "-1", "101", "0.00001"]),
)
ITEMS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"description": st.text(max_size=12), "quantity": JSON_SCALARS, "unit_price": JSON_SCALARS},
            optional={"tax_rate": JSON_SCALARS, "id": JSON_SCALARS},
        ),
        st.dictionaries(st.sampled_from(["description", "quantity", "note"]), JSON_SCALARS, max_size=3),
        st.text(max_size=3),
    ),
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=ITEMS)
def test_whatever_the_items_the_api_says_what_the_service_says(api, org, business, customer, items):
    # Bools and numbers aside (the API's own rule, tested above), the service has the last word.
    if any(
        isinstance(item, dict) and any(isinstance(item.get(f), bool) for f in ("quantity", "unit_price", "tax_rate"))
        for item in items
    ):
        return
    expected = service_errors(items)
    response = post_items(api, business, customer, items)
    if expected is None:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert response.json() == expected


@pytest.mark.parametrize(
    "serializer_class",
    [BusinessSerializer, CustomerSerializer, InvoiceItemSerializer, InvoiceSerializer, PaymentSerializer],
)
def test_each_serializer_gets_its_own_copy_of_the_cached_fields(serializer_class):
    first, second = serializer_class(), serializer_class()
    built = serializers.ModelSerializer.get_fields(serializer_class())  # what DRF builds
    assert issubclass(serializer_class, StrictModelSerializer)
    assert list(first.fields)[: len(built)] == list(second.fields)[: len(built)] == list(built)
    for name, field in built.items():
        assert type(first.fields[name]) is type(field), name
        assert first.fields[name] is not second.fields[name]  # bound to its own serializer
        assert first.fields[name].parent is first and second.fields[name].parent is second
        assert (first.fields[name].read_only, first.fields[name].required) == (field.read_only, field.required), name
