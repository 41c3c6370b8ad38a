"""VAT categories through the API: the table of cases (breakdown rows and the verdict of
``/issue/``), item categories, exemption reasons on invoices and businesses, the schema."""

import pytest

from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.vat_cases import CASES, REVERSE_CHARGE, SMALL_BUSINESS_DE, VatCase, line

INVOICES = "/api/v1/invoices/"


def breakdown(body):
    return [
        (
            row["category"],
            row["rate"],
            row["taxable_amount"],
            row["tax_amount"],
            row["exemption_reason"],
            row["exemption_reason_code"],
        )
        for row in body["tax_breakdown"]
    ]


def nested(path: str, body):
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_vat_table(api, org, case: VatCase):
    business = BusinessFactory(organization=org, **case.seller)
    customer = CustomerFactory(organization=org, **case.buyer)
    body = {"business": str(business.pk), "customer": str(customer.pk), "items": case.items}
    if case.reasons is not None:
        body["vat_exemption_reasons"] = case.reasons
    created = api.post(INVOICES, body, format="json")
    assert created.status_code == 201, created.json()
    assert breakdown(created.json()) == case.breakdown
    categories = [item.get("vat_category") for item in case.items]
    assert [item["vat_category"] for item in created.json()["items"]] == [
        given or expected for given, expected in zip(categories, _default_categories(case), strict=True)
    ]

    issued = api.post(f"{INVOICES}{created.json()['id']}/issue/")
    if case.allowed:
        assert issued.status_code == 200, issued.json()
        assert issued.json()["status"] == "issued"
        assert breakdown(issued.json()) == case.breakdown
        return
    assert issued.status_code == 400
    for path, fragment in case.refused.items():
        assert any(fragment in message for message in nested(path, issued.json())), issued.json()
    assert api.get(f"{INVOICES}{created.json()['id']}/").json()["status"] == "draft"


def _default_categories(case: VatCase):
    default = case.seller.get("default_vat_category", "S")
    return ["S" if item["tax_rate"] != "0" else ("Z" if default == "S" else default) for item in case.items]


def test_an_item_whose_rate_does_not_suit_its_category_is_refused_on_save(api, business, customer):
    response = api.post(
        INVOICES,
        {
            "business": str(business.pk),
            "customer": str(customer.pk),
            "items": [line("1", "10", "20"), line("1", "10", "19", "AE"), {**line("1", "1", "0"), "vat_category": 7}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "items": [
            {},
            {"tax_rate": ["Lines with reverse charge carry no VAT: set the tax rate to 0."]},
            {"vat_category": ["Choose a VAT category: one of S, Z, E, AE, K, G, O."]},
        ]
    }


def test_exemption_reasons_errors_are_nested_by_category(api, business, customer):
    response = api.post(
        INVOICES,
        {
            "business": str(business.pk),
            "customer": str(customer.pk),
            "items": [line("1", "10", "0", "AE")],
            "vat_exemption_reasons": {"AE": {"code": "VATEX-EU-G"}, "S": {"text": "x"}},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "vat_exemption_reasons": {
            "AE": {
                "code": ["VATEX-EU-G explains export outside the EU, not reverse charge."],
                "text": ["Write the reason as text too: the code alone means nothing to a reader."],
            },
            "S": ["Standard-rated and zero-rated lines carry no exemption reason."],
        }
    }


@pytest.mark.parametrize("value", ["reverse charge", 5, None, [], {"AE": None}])
def test_any_other_shape_of_exemption_reasons_is_a_400_on_the_field(api, business, customer, value):
    response = api.post(
        INVOICES,
        {
            "business": str(business.pk),
            "customer": str(customer.pk),
            "items": [line("1", "10", "0", "AE")],
            "vat_exemption_reasons": value,
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["vat_exemption_reasons"]


def test_patch_sets_the_reasons_and_the_breakdown_shows_them(api, org, business, customer):
    created = api.post(
        INVOICES,
        {"business": str(business.pk), "customer": str(customer.pk), "items": [line("1", "10", "0", "AE")]},
        format="json",
    ).json()
    assert created["vat_exemption_reasons"] == {} and created["tax_breakdown"][0]["exemption_reason"] == ""
    patched = api.patch(f"{INVOICES}{created['id']}/", {"vat_exemption_reasons": {"AE": REVERSE_CHARGE}}, format="json")
    assert patched.status_code == 200
    assert patched.json()["vat_exemption_reasons"] == {"AE": REVERSE_CHARGE}
    assert patched.json()["tax_breakdown"][0]["exemption_reason_code"] == "VATEX-EU-AE"
    assert patched.json()["version"] == created["version"] + 1


def test_a_business_carries_its_default_category_and_reasons(api, business):
    url = f"/api/v1/businesses/{business.pk}/"
    assert api.get(url).json()["default_vat_category"] == "S"
    response = api.patch(
        url, {"default_vat_category": "E", "vat_exemption_reasons": {"E": SMALL_BUSINESS_DE}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["default_vat_category"] == "E"
    assert response.json()["vat_exemption_reasons"] == {"E": SMALL_BUSINESS_DE}
    bad = api.patch(url, {"default_vat_category": "Q"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["default_vat_category"]
    bad = api.patch(url, {"vat_exemption_reasons": {"E": {"text": "x", "code": "X"}}}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {
        "vat_exemption_reasons": {
            "E": {"code": ["Enter a VATEX exemption reason code such as VATEX-EU-AE, or leave it empty."]}
        }
    }


def test_the_schema_describes_categories_reasons_and_breakdown_rows(api):
    schema = api.get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    item = schema["InvoiceItem"]["properties"]
    assert "vat_category" in item
    row = schema["TaxRow"]["properties"]
    assert {"category", "rate", "taxable_amount", "tax_amount", "exemption_reason", "exemption_reason_code"} <= set(row)
    for name in ("Invoice", "Business"):
        reasons = schema[name]["properties"]["vat_exemption_reasons"]
        assert set(reasons["properties"]) == {"E", "AE", "K", "G", "O"}
        assert reasons["properties"]["AE"]["properties"].keys() == {"text", "code"}
