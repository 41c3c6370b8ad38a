"""The OpenAPI schema validates and documents the contract; Swagger UI is served locally."""

import re

import pytest
import yaml
from django.core.management import call_command

from billora.api.urls import router


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn: any undocumented body, enum collision or unresolvable field fails here.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


def test_every_registered_viewset_is_in_the_schema(schema):
    paths = schema["paths"]
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in paths
        assert f"/api/v1/{prefix}/{{id}}/" in paths
    for action in ("issue", "void", "cancel", "correct", "send", "pdf"):
        assert f"/api/v1/invoices/{{id}}/{action}/" in paths
    assert "/api/v1/credit-notes/{id}/issue/" in paths
    assert "/api/v1/payments/{id}/void/" in paths and "/api/v1/ping/" in paths


def test_errors_and_idempotency_header_are_documented(schema):
    operation = schema["paths"]["/api/v1/invoices/"]["post"]
    assert {"201", "400", "401", "403", "409", "415", "422", "429"} <= set(operation["responses"])
    headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert headers == ["Idempotency-Key"]
    detail = schema["paths"]["/api/v1/invoices/{id}/"]
    assert "404" in detail["get"]["responses"] and "409" in detail["delete"]["responses"]
    assert "400" in schema["paths"]["/api/v1/invoices/"]["get"]["responses"]


def test_pdf_and_send_responses(schema):
    pdf = schema["paths"]["/api/v1/invoices/{id}/pdf/"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"]
    assert "application/json" in pdf["202"]["content"]
    # With signed URLs (MEDIA_REDIRECT_SECONDS), a ready PDF is a redirect to the object store.
    assert "content" not in pdf["302"]
    assert pdf["302"]["headers"]["Location"]["schema"] == {"type": "string", "format": "uri"}
    assert "202" in schema["paths"]["/api/v1/invoices/{id}/send/"]["post"]["responses"]


@pytest.mark.parametrize("resource", ["invoices", "credit-notes"])
def test_the_pdf_and_e_invoice_downloads_of_invoices_and_credit_notes(schema, resource):
    pdf = schema["paths"][f"/api/v1/{resource}/{{id}}/pdf/"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"] and "application/json" in pdf["202"]["content"]
    assert "302" in pdf
    einvoice = schema["paths"][f"/api/v1/{resource}/{{id}}/einvoice/"]["get"]
    [parameter] = [p for p in einvoice["parameters"] if p["name"] == "format"]
    assert parameter["required"]
    assert set(parameter["schema"]["enum"]) == {"facturx", "cii", "ubl", "xrechnung-cii", "xrechnung-ubl", "peppol"}
    responses = einvoice["responses"]
    assert {"application/xml", "application/pdf"} <= set(responses["200"]["content"])
    assert "application/json" in responses["202"]["content"]
    refused = responses["422"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "missing" in schema["components"]["schemas"][refused]["properties"]
    assert {"404", "409"} <= set(responses)


def test_enums_and_decimal_strings(schema):
    components = schema["components"]["schemas"]
    assert components["InvoiceStatusEnum"]["enum"] == ["draft", "issued", "partially_paid", "paid", "credited", "void"]
    assert components["CreditNoteStatusEnum"]["enum"] == ["draft", "issued"]
    assert components["PaymentKindEnum"]["enum"] == ["payment", "refund"]
    assert components["DocumentStatusEnum"]["enum"] == ["pending", "ready", "stale", "failed"]
    quantity = components["InvoiceItemRequest"]["properties"]["quantity"]
    assert quantity["type"] == "string" and quantity["format"] == "decimal"
    assert (
        components["InvoiceResponse" if "InvoiceResponse" in components else "Invoice"]["properties"]["total"]["type"]
        == "string"
    )


def test_schema_endpoint_serves_it(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/invoices/" in response.json()["paths"]


def test_swagger_ui_uses_only_local_assets(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any("swagger-ui-bundle" in url for url in assets)
    for url in assets:
        assert url.startswith("/static/"), f"not served by the app itself: {url}"
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html


def test_statement_routes(schema):
    paths = schema["paths"]
    statement = paths["/api/v1/customers/{id}/statement/"]["get"]
    assert {p["name"] for p in statement["parameters"] if p["in"] == "query"} == {"start", "end"}
    assert {"200", "400", "404"} <= set(statement["responses"])
    body = schema["components"]["schemas"]["Statement"]["properties"]
    assert set(body) == {"customer", "start", "end", "currencies"}
    pdf = paths["/api/v1/customers/{id}/statement/pdf/"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    send = paths["/api/v1/customers/{id}/statement/send/"]["post"]
    assert {"202", "400", "404"} <= set(send["responses"])
