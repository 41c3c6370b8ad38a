"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE: the API answers JSON 413 (never Django's
HTML 400), the schema says so, and nothing is written."""

import json

import pytest

from billing.models import Customer
from organizations.tenancy import organization_scope

pytestmark = pytest.mark.django_db

LIMIT = 2_000


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def _too_big_customer():
    return {"name": "Globex", "notes": "x" * (LIMIT + 1)}


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_body_over_the_limit_is_a_json_413(api, org, method):
    url = "/api/v1/customers/"
    if method == "patch":
        created = api.post(url, {"name": "Initech"}, format="json")
        assert created.status_code == 201
        url = f"{url}{created.json()['id']}/"
    response = getattr(api, method)(url, _too_big_customer(), format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert str(LIMIT) in body["detail"]
    with organization_scope(org):
        assert not Customer.objects.filter(name="Globex").exists()


def test_a_body_over_the_limit_with_an_idempotency_key_is_a_json_413(api, org):
    response = api.post(
        "/api/v1/customers/", _too_big_customer(), format="json", headers={"Idempotency-Key": "too-big-1"}
    )
    assert response.status_code == 413
    assert set(response.json()) == {"detail"}


def test_a_body_within_the_limit_is_served(api):
    response = api.post("/api/v1/customers/", {"name": "Globex", "notes": "x" * 100}, format="json")
    assert response.status_code == 201


def test_a_large_form_post_outside_the_api_keeps_djangos_400(client):
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "x" * (LIMIT + 1)})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


def test_the_schema_documents_the_413_of_every_operation_with_a_body(client):
    schema = json.loads(client.get("/api/v1/schema/", {"format": "json"}).content)
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in ("post", "put", "patch")
    ]
    assert operations
    for path, method, operation in operations:
        response = operation["responses"].get("413")
        assert response, f"{method.upper()} {path} does not document 413"
        content = response["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/ErrorDetail"}, (path, method)
