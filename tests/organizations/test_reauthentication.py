"""Creating an API key needs a recent reauthentication, through allauth's public decorator: by
password or, for people with two-factor authentication, an authenticator code. A POST that
needs it comes back to the page with a GET (never replayed outside the organization's scope)."""

from pathlib import Path

import pyotp
import pytest

from organizations.models import ApiKey
from organizations.tenancy import organization_scope
from tests.accounts.factories import DEFAULT_PASSWORD, TOTP_SECRET, UserFactory
from tests.organizations.conftest import logged_in_client
from tests.organizations.factories import MembershipFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "organizations", "billing", "audit", "documents", "billora"]


def _keys(org):
    with organization_scope(org):
        return list(ApiKey.objects.filter(organization=org).values_list("name", flat=True))


def test_a_post_without_reauthentication_comes_back_as_a_get_then_asks_for_the_password(org, admin):
    client = logged_in_client(admin)
    page = f"/o/{org.slug}/api-keys/new/"
    response = client.post(page, {"name": "ci", "scope": "read_write"})
    assert response.status_code == 302 and response["Location"] == page
    assert _keys(org) == []

    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/reauthenticate/?next={page.replace('/', '%2F')}"
    back = client.post(response["Location"], {"password": DEFAULT_PASSWORD})
    assert back["Location"] == page
    created = client.post(page, {"name": "ci", "scope": "read_write"})
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    assert _keys(org) == ["ci"]


def test_a_person_with_two_factor_may_reauthenticate_with_a_code(org):
    owner = MembershipFactory(organization=org, role="owner", user=UserFactory(two_factor=True)).user
    client = logged_in_client(owner)
    page = f"/o/{org.slug}/api-keys/new/"
    assert client.get(page).status_code == 302
    back = client.post(f"/accounts/2fa/reauthenticate/?next={page}", {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert back.status_code == 302 and back["Location"] == page
    assert client.get(page).status_code == 200


def test_application_code_uses_no_allauth_internals():
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "allauth" in (text := path.read_text()) and ".internal" in text and "migrations" not in path.parts
    ]
    assert offenders == []
