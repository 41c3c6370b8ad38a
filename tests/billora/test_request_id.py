import logging

import pytest

from organizations.permissions import ApiKeyScope
from tests.organizations.factories import OrganizationFactory, make_api_key


@pytest.mark.django_db
def test_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123.def")
    assert response["X-Request-ID"] == "abc-123.def"


@pytest.mark.django_db
def test_request_id_is_generated_when_missing(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["x" * 200, "has space", "new\\nline", "<script>"])
def test_unsafe_incoming_request_id_is_replaced(client, bad):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_one_structured_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="billora.requests"):
        client.get("/healthz", HTTP_X_REQUEST_ID="trace-1")
    lines = [r.getMessage() for r in caplog.records if r.name == "billora.requests"]
    assert len(lines) == 1
    line = lines[0]
    for part in ("request_id=trace-1", "method=GET", "path=/healthz", "status=200", "duration_ms=", "org=-", "user=-"):
        assert part in line


@pytest.mark.django_db
def test_an_api_request_logs_its_key_and_organization(client, caplog):
    organization = OrganizationFactory()
    api_key, raw = make_api_key(organization, scope=ApiKeyScope.READ_ONLY, name="log")
    with caplog.at_level(logging.INFO, logger="billora.requests"):
        assert client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "billora.requests"]
    assert f"org={organization.slug}" in line
    assert f"api_key={api_key.prefix}" in line
