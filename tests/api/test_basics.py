"""Authentication, permissions, throttling, error shapes and the ping endpoint (api.md, Basics)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.api.throttling import ApiKeyRateThrottle
from organizations.models import ApiKey
from organizations.tenancy import all_tenants
from tests.api.conftest import client_for

PING = "/api/v1/ping/"


def test_ping(api):
    response = api.get(PING)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer bil_nothing_here", "Bearer bil_abcdef12_wrong", "Token abc", "Bearer a b"],
)
def test_missing_or_invalid_key_is_401_with_www_authenticate(db, header):
    from rest_framework.test import APIClient

    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    for url in (PING, "/api/v1/invoices/"):
        response = client.get(url)
        assert response.status_code == 401, (header, url)
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "detail" in response.json()


def test_revoked_key_is_401(rw_key):
    api_key, raw = rw_key
    with all_tenants():
        ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    assert client_for(raw).get(PING).status_code == 401


def test_read_only_key_reads_but_never_writes(ro_api):
    assert ro_api.get("/api/v1/invoices/").status_code == 200
    response = ro_api.post("/api/v1/customers/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_last_used_at_is_written_at_most_once_a_minute(rw_key):
    api_key, raw = rw_key
    client = client_for(raw)
    with CaptureQueriesContext(connection) as queries:
        client.get(PING)
        client.get(PING)
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "organizations_apikey" in q["sql"]]
    assert len(updates) == 1
    with all_tenants():
        first = ApiKey.objects.get(pk=api_key.pk).last_used_at
        assert first is not None
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first - timedelta(seconds=61))
    client.get(PING)
    with all_tenants():
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at > first - timedelta(seconds=61)


def test_throttle_per_key_with_retry_after(monkeypatch, rw_key, ro_key):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "3/minute", raising=False)
    client = client_for(rw_key[1])
    assert [client.get(PING).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(PING)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "detail" in response.json()
    # Counted per key: another key of the same organization is not throttled.
    assert client_for(ro_key[1]).get(PING).status_code == 200


def test_default_throttle_rate_is_120_a_minute(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"] == "120/minute"


def test_malformed_json_is_400(api):
    response = api.generic("POST", "/api/v1/customers/", '{"name": "x",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_deeply_nested_json_is_400_not_500(api):
    response = api.generic("POST", "/api/v1/customers/", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_non_json_content_type_is_415(api):
    response = api.generic("POST", "/api/v1/customers/", "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_list_body_is_400_not_500(api):
    response = api.post("/api/v1/customers/", [{"name": "x"}], format="json")
    assert response.status_code == 400


def test_unknown_api_route_is_404(api):
    assert api.get("/api/v1/nothing-here/").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/api/v1/customers/?search=a%00b", "/api/v1/invoices/?ordering=%00", "/api/v1/audit-events/?action=%00"],
)
def test_nul_in_query_is_a_field_error(api, url):
    response = api.get(url)
    assert response.status_code == 400
    assert list(response.json().values()) == [["Null characters are not allowed."]]


def test_idempotency_key_must_be_printable(api):
    response = api.post("/api/v1/customers/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="a\x00b")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
