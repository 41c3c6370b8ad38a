"""API key authentication: valid, wrong, revoked, missing, read-only on a write."""

import pytest
from rest_framework.test import APIClient

from organizations import services
from organizations.models import ApiKey
from organizations.permissions import ApiKeyScope
from organizations.tenancy import all_tenants
from tests.organizations.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.organizations.api_urls")]

URL = "/api/v1/whoami/"


def client(raw=None, header=None):
    api = APIClient()
    if header is not None:
        api.credentials(HTTP_AUTHORIZATION=header)
    elif raw is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_a_valid_key_authenticates_opens_its_scope_and_records_last_use(org, other_org):
    api_key, raw = make_api_key(org)
    make_api_key(other_org)
    make_api_key(other_org)
    response = client(raw).get(URL)
    assert response.status_code == 200
    assert response.json() == {"organization": org.slug, "api_keys": 1}
    with all_tenants():
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-key",
        "Bearer bil_deadbeef_wrongsecret",
        "Basic dXNlcjpwYXNz",
        "Bearer two parts",
    ],
)
def test_missing_or_invalid_keys_get_401(org, header):
    make_api_key(org)
    response = client(header=header).get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_right_prefix_with_a_wrong_secret_is_refused(org):
    _api_key, raw = make_api_key(org)
    tampered = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert client(tampered).get(URL).status_code == 401


def test_a_revoked_key_gets_401(org, owner):
    api_key, raw = make_api_key(org)
    services.api_key_revoke(organization=org, actor=owner, api_key_id=api_key.pk)
    assert client(raw).get(URL).status_code == 401


def test_a_read_only_key_reads_but_gets_403_on_a_write(org):
    _api_key, raw = make_api_key(org, scope=ApiKeyScope.READ_ONLY)
    assert client(raw).get(URL).status_code == 200
    assert client(raw).post(URL, {}, format="json").status_code == 403


def test_a_read_write_key_may_write(org):
    _api_key, raw = make_api_key(org, scope=ApiKeyScope.READ_WRITE)
    assert client(raw).post(URL, {}, format="json").status_code == 201


def test_a_session_login_is_not_api_authentication(org, owner):
    api = APIClient()
    api.force_login(owner)
    assert api.get(URL).status_code == 401
