"""The invoice item fast path (``plain_items``) against DRF's own item validation, and the
per-class field cache of the API's model serializers (issue 7's create throughput)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from billing.api.serializers import (
    BusinessSerializer,
    CustomerSerializer,
    InvoiceItemSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    StrictModelSerializer,
    plain_items,
)
from billing.validation import MAX_DESCRIPTION_LENGTH

ITEM = {"description": "Design work", "quantity": "1.5", "unit_price": "80.00", "tax_rate": "19"}


def drf_items(data):
    """DRF's own validation of an ``items`` list: the result, or the ValidationError's detail."""
    list_serializer = InvoiceItemSerializer(many=True)
    try:
        return serializers.ListSerializer.to_internal_value(list_serializer, data), None
    except serializers.ValidationError as exc:
        return None, exc.detail


def as_pairs(items):
    return [list(item.items()) for item in items]


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", "0", "1.5", "19", " 2 ", "\x00", "a\x00b", "x" * MAX_DESCRIPTION_LENGTH]),
)
JSON_VALUES = st.one_of(
    JSON_SCALARS, st.lists(JSON_SCALARS, max_size=2), st.dictionaries(st.text(max_size=3), JSON_SCALARS, max_size=2)
)
ITEM_KEYS = st.sampled_from(["description", "quantity", "unit_price", "tax_rate", "id", "line_total", "note"])
ITEMS = st.lists(
    st.one_of(
        st.dictionaries(ITEM_KEYS, JSON_VALUES, max_size=7),
        st.fixed_dictionaries(
            {"description": st.text(max_size=20), "quantity": st.text(max_size=6), "unit_price": st.text(max_size=6)},
            optional={"tax_rate": st.text(max_size=4), "id": JSON_SCALARS, "line_total": JSON_SCALARS},
        ),
        JSON_SCALARS,
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(ITEMS, JSON_VALUES))
def test_plain_items_are_what_drf_returns(data):
    plain = plain_items(data)
    validated, errors = drf_items(data)
    if plain is None:
        return  # DRF validates these (and words the errors); nothing to compare
    assert errors is None, f"the fast path accepted what DRF refuses: {errors}"
    assert as_pairs(plain) == as_pairs(validated)  # same keys, same order, same values


def test_the_usual_payload_takes_the_fast_path_and_equals_drf():
    items = [dict(ITEM), {"description": "", "quantity": "2", "unit_price": "0"}, {**ITEM, "id": "x", "line_total": 3}]
    plain = plain_items(items)
    assert plain is not None
    assert as_pairs(plain) == as_pairs(drf_items(items)[0])
    assert "id" not in plain[2] and "line_total" not in plain[2]  # read-only fields are dropped
    assert "tax_rate" not in plain[1]  # optional and absent: absent, as DRF leaves it
    assert plain_items([]) == []


def test_anything_drf_would_refuse_goes_to_drf():
    refused = [
        [{**ITEM, "description": "x" * (MAX_DESCRIPTION_LENGTH + 1)}],
        [{**ITEM, "description": "nul\x00"}],
        [{**ITEM, "quantity": 1.5}],
        [{**ITEM, "unit_price": None}],
        [{**ITEM, "tax_rate": 19}],
        [{"quantity": "1", "unit_price": "1"}],
        [dict(ITEM), "not an object"],
        {"0": ITEM},
        "items",
    ]
    for data in refused:
        assert plain_items(data) is None
        assert drf_items(data)[1] is not None, data
    longest = [{**ITEM, "description": "x" * MAX_DESCRIPTION_LENGTH}]
    assert plain_items(longest) == drf_items(longest)[0]


def test_each_serializer_gets_its_own_copy_of_the_cached_fields():
    for serializer_class in (
        BusinessSerializer,
        CustomerSerializer,
        InvoiceItemSerializer,
        InvoiceSerializer,
        PaymentSerializer,
    ):
        first, second = serializer_class(), serializer_class()
        built = serializers.ModelSerializer.get_fields(serializer_class())  # what DRF builds
        assert issubclass(serializer_class, StrictModelSerializer)
        assert list(first.fields) == list(second.fields) == list(built)
        for name, field in first.fields.items():
            assert type(field) is type(built[name]), name
            assert field is not second.fields[name]  # bound to its own serializer
            assert field.parent is first and second.fields[name].parent is second
            assert (field.read_only, field.required) == (built[name].read_only, built[name].required), name
