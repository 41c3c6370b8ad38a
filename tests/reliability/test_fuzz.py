"""Bad input through the API (issue 10): hypothesis throws hostile invoice payloads at POST and
PATCH /api/v1/invoices/ (huge numbers, many decimals, negatives, unicode, control characters,
NaN/Infinity/exponent strings, wrong types, nulls, lists for objects, deep nesting) plus a few
hand-made extremes (10,000 items, 100,000 levels of nesting, non-UTF-8 bytes).

Whatever comes in: 400 with messages tied to fields, or success; never a 5xx; and a stored
invoice always has the totals billing.calc computes from its stored items."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from billing.models import Invoice
from organizations.api.throttling import ApiKeyRateThrottle
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, assert_stored_totals, make_invoice
from tests.organizations.factories import OrganizationFactory, make_api_key

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

URL = "/api/v1/invoices/"
GOOD_ITEM = {"description": "Work", "quantity": "2", "unit_price": "10.00", "tax_rate": "20"}

# --- hostile values --------------------------------------------------------------------------------

weird_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),  # anything JSON can carry
    max_size=40,
)
decimal_like = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),  # any size, exponents included
    st.decimals(min_value=-(10**15), max_value=10**15, places=2).map(str),
    st.sampled_from(
        [
            "NaN",
            "nan",
            "-NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "1e5",
            "1E-3",
            "-0",
            "0",
            "0.00001",
            "1" * 40,
            "9" * 400,
            "0." + "1" * 50,
            "12,50",
            " 12.5 ",
            "+5",
            ".5",
            "5.",
            "١٢",  # Arabic-Indic digits
            "１２",  # full-width digits
            "1_000",
            "0x10",
            "\x00",
            "1\n2",
            "",
        ]
    ),
    weird_text,
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    weird_text,
    decimal_like,
)
nested = st.recursive(
    scalar,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(weird_text, children, max_size=3),
    max_leaves=8,
)
field_value = st.one_of(decimal_like, scalar, nested)

item = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "description": st.one_of(weird_text, st.text(min_size=1990, max_size=2010), scalar),
            "quantity": field_value,
            "unit_price": field_value,
            "tax_rate": field_value,
            "id": field_value,
            "line_total": field_value,
        },
    ),
    st.just(dict(GOOD_ITEM)),
    nested,
)
items = st.one_of(st.lists(item, max_size=6), nested)


def payload(parties):
    business, customer = parties
    ids = st.one_of(st.just(str(business.pk)), st.just(str(customer.pk)), scalar, nested)
    return st.one_of(
        st.fixed_dictionaries(
            {
                "business": st.one_of(st.just(str(business.pk)), ids),
                "customer": st.one_of(st.just(str(customer.pk)), ids),
            },
            optional={
                "currency": st.one_of(st.sampled_from(["EUR", "JPY", "KWD", "eur", "XXX", "ZZZ", "€"]), scalar),
                "issue_date": st.one_of(
                    st.dates().map(str), st.sampled_from(["2026-02-30", "99999-01-01", "0000-01-01", "today"]), scalar
                ),
                "due_date": st.one_of(st.dates().map(str), scalar),
                "discount_type": st.one_of(st.sampled_from(["none", "percent", "amount"]), scalar),
                "discount_value": field_value,
                "notes": st.one_of(weird_text, scalar, nested),
                "terms": st.one_of(weird_text, scalar),
                "items": items,
                "status": field_value,  # read-only / unknown fields
                "unknown_field": scalar,
            },
        ),
        nested,  # not even an object
    )


def _assert_field_errors(response):
    """400 with DRF's shape: an object whose keys name fields and whose values hold messages."""
    body = response.json()
    assert isinstance(body, dict) and body, body
    for field, messages in body.items():
        assert isinstance(field, str) and field
        assert messages, (field, messages)
        assert isinstance(messages, list | dict | str), (field, messages)


@pytest.fixture
def fuzz_world(db, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "1000000/minute", raising=False)
    org = OrganizationFactory(default_currency="EUR")
    business = BusinessFactory(organization=org, default_currency="EUR")
    customer = CustomerFactory(organization=org)
    _, key = make_api_key(org)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    api.raise_request_exception = False  # a crash must show up as the 500 it would be
    return org, business, customer, api


def _check_create(org, api, body):
    response = api.generic("POST", URL, json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400), (response.status_code, body, response.content[:500])
    if response.status_code == 400:
        _assert_field_errors(response)
        return None
    with organization_scope(org):
        invoice = Invoice.objects.get(pk=response.json()["id"])
    assert_stored_totals(invoice)
    return invoice


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_invoice_creates_are_400_or_stored_right(fuzz_world, data):
    org, business, customer, api = fuzz_world
    _check_create(org, api, data.draw(payload((business, customer))))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzzed_invoice_updates_are_400_or_stored_right(fuzz_world, data):
    org, business, customer, api = fuzz_world
    status = data.draw(st.sampled_from(["draft", "issued", "partially_paid"]))
    invoice = make_invoice(organization=org, business=business, customer=customer, status=status)
    body = data.draw(payload((business, customer)))
    if isinstance(body, dict) and data.draw(st.booleans()):
        body.pop("business", None)
        body.pop("customer", None)
    response = api.generic("PATCH", f"{URL}{invoice.pk}/", json.dumps(body), content_type="application/json")
    # An issued invoice is final: whatever the body, 409 (or 400 when the body is not even an object).
    expected = (200, 400) if status == "draft" else (409, 400)
    assert response.status_code in expected, (response.status_code, body, response.content[:500])
    if response.status_code == 400:
        _assert_field_errors(response)
    with organization_scope(org):
        after = Invoice.objects.get(pk=invoice.pk)
    assert after.total >= after.amount_paid
    assert_stored_totals(after)


# --- hand-made extremes ------------------------------------------------------------------------------


def test_10000_items_is_a_field_error(fuzz_world):
    org, business, customer, api = fuzz_world
    body = {"business": str(business.pk), "customer": str(customer.pk), "items": [GOOD_ITEM] * 10_000}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert "items" in response.json()
    with organization_scope(org):
        assert not Invoice.objects.exists()


def test_500_items_is_accepted_and_totalled_by_calc(fuzz_world):
    org, business, customer, api = fuzz_world
    body = {"business": str(business.pk), "customer": str(customer.pk), "items": [GOOD_ITEM] * 500}
    invoice = _check_create(org, api, body)
    assert invoice is not None and invoice.total == Decimal("12000.00")  # 500 x 2 x 10.00 + 20 % tax


@pytest.mark.parametrize("depth", [50, 5_000, 100_000])
@pytest.mark.parametrize("container", ["list", "object"])
def test_deeply_nested_json_is_400_not_a_crash(fuzz_world, depth, container):
    org, business, customer, api = fuzz_world
    opening, closing = ("[", "]") if container == "list" else ('{"a":', "}")
    nested_value = opening * depth + "1" + closing * depth
    for raw in (
        nested_value,
        '{"business": "%s", "customer": "%s", "items": %s}' % (business.pk, customer.pk, nested_value),  # noqa: UP031
        '{"business": "%s", "customer": "%s", "notes": %s}' % (business.pk, customer.pk, nested_value),  # noqa: UP031
    ):
        response = api.generic("POST", URL, raw, content_type="application/json")
        assert response.status_code == 400, (depth, container, response.status_code, response.content[:300])
    with organization_scope(org):
        assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe not utf-8",
        b'{"business": "\xc3\x28"}',
        b'{"items": [{"quantity": NaN}]}',
        b'{"items": [{"quantity": Infinity}]}',
        b'{"items": [{"quantity": 1e999}]}',
        b"",
        b"null",
        b"[]",
        b'"just a string"',
        b"{" * 10,
        b'{"business": "a", "business": "b"}',
    ],
)
def test_malformed_bodies_are_400(fuzz_world, raw):
    org, _business, _customer, api = fuzz_world
    response = api.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400, (raw, response.status_code, response.content[:300])
    with organization_scope(org):
        assert not Invoice.objects.exists()
