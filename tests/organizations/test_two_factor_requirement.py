"""An organization that requires two-factor authentication: members without it are sent to
set it up before anything else in that organization (outsiders still get 404, other
organizations and the API are unaffected); only owners change the setting, only once they have
two-factor authentication themselves, and the change is audited."""

import pyotp
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from organizations import services
from organizations.models import Organization
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import UserFactory
from tests.organizations.conftest import logged_in_client
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"
PAGES = ["", "invoices/", "members/", "settings/", "activity/"]


@pytest.fixture
def strict_org(org):
    Organization.objects.filter(pk=org.pk).update(require_two_factor=True)
    org.refresh_from_db()
    return org


def _person(organization, role, *, two_factor):
    return MembershipFactory(organization=organization, role=role, user=UserFactory(two_factor=two_factor)).user


def _audit_actions(organization):
    with organization_scope(organization):
        return list(AuditEntry.objects.filter(organization=organization).values_list("action", "changes"))


# --- who is sent to the setup page ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER])
@pytest.mark.parametrize("page", PAGES)
def test_a_member_without_two_factor_is_sent_to_set_it_up_first(strict_org, role, page):
    client = logged_in_client(_person(strict_org, role, two_factor=False))
    response = client.get(f"/o/{strict_org.slug}/{page}")
    assert response.status_code == 302
    assert response["Location"] == SETUP
    assert "requires two-factor authentication" in client.get(SETUP, follow=True).content.decode()


def test_a_post_is_refused_too_and_changes_nothing(strict_org):
    owner = _person(strict_org, Role.OWNER, two_factor=False)
    response = logged_in_client(owner).post(
        f"/o/{strict_org.slug}/settings/", {"name": "Renamed", "time_zone": "UTC", "default_currency": "EUR"}
    )
    assert response.status_code == 302 and response["Location"] == SETUP
    strict_org.refresh_from_db()
    assert strict_org.name == "Acme"


def test_an_htmx_request_is_sent_to_the_setup_page_with_a_client_redirect(strict_org):
    client = logged_in_client(_person(strict_org, Role.MEMBER, two_factor=False))
    response = client.get(f"/o/{strict_org.slug}/invoices/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == SETUP


@pytest.mark.parametrize("role", [Role.OWNER, Role.MEMBER, Role.VIEWER])
@pytest.mark.parametrize("page", PAGES)
def test_a_member_with_two_factor_gets_in(strict_org, role, page):
    client = logged_in_client(_person(strict_org, role, two_factor=True))
    response = client.get(f"/o/{strict_org.slug}/{page}")
    assert response.status_code in (200, 403)  # 403: the role's own limits (viewers and settings)
    assert response.get("Location") != SETUP


@pytest.mark.parametrize("page", PAGES)
def test_an_outsider_still_gets_404_not_a_hint_that_the_organization_exists(strict_org, outsider, page):
    response = logged_in_client(outsider).get(f"/o/{strict_org.slug}/{page}")
    assert response.status_code == 404


def test_organizations_that_do_not_require_it_are_unaffected(strict_org):
    person = _person(strict_org, Role.MEMBER, two_factor=False)
    relaxed = OrganizationFactory(name="Relaxed", slug="relaxed")
    MembershipFactory(organization=relaxed, user=person, role=Role.MEMBER)
    client = logged_in_client(person)
    assert client.get(f"/o/{relaxed.slug}/members/").status_code == 200
    assert client.get(f"/o/{strict_org.slug}/members/")["Location"] == SETUP


def test_pages_outside_organizations_stay_reachable(strict_org):
    client = logged_in_client(_person(strict_org, Role.MEMBER, two_factor=False))
    for path in ["/accounts/2fa/", "/accounts/email/", "/account/security/"]:
        assert client.get(path).status_code == 200, path


def test_the_api_is_unaffected_it_authenticates_with_keys(strict_org):
    from rest_framework.test import APIClient

    _api_key, raw = make_api_key(strict_org)
    response = APIClient().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


def test_setting_up_two_factor_lets_the_member_in(strict_org):
    person = _person(strict_org, Role.MEMBER, two_factor=False)
    client = logged_in_client(person, reauthenticated=True)
    page = client.get(SETUP)
    secret = page.context["form"].secret
    response = client.post(SETUP, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get(f"/o/{strict_org.slug}/members/").status_code == 200


# --- the setting ---------------------------------------------------------------------------------


def _settings_post(client, org, *, require):
    data = {"name": org.name, "time_zone": org.time_zone, "default_currency": org.default_currency}
    if require:
        data["require_two_factor"] = "on"
    return client.post(f"/o/{org.slug}/settings/", data)


def test_an_owner_with_two_factor_requires_it_and_the_change_is_audited(org):
    owner = _person(org, Role.OWNER, two_factor=True)
    client = logged_in_client(owner)
    page = client.get(f"/o/{org.slug}/settings/").content.decode()
    assert 'name="require_two_factor"' in page
    assert _settings_post(client, org, require=True).status_code == 302
    org.refresh_from_db()
    assert org.require_two_factor is True
    assert ("organization.updated", {"require_two_factor": [False, True]}) in _audit_actions(org)

    assert _settings_post(client, org, require=False).status_code == 302
    org.refresh_from_db()
    assert org.require_two_factor is False
    assert ("organization.updated", {"require_two_factor": [True, False]}) in _audit_actions(org)


def test_an_owner_without_two_factor_cannot_require_it(org):
    owner = _person(org, Role.OWNER, two_factor=False)
    response = _settings_post(logged_in_client(owner), org, require=True)
    assert response.status_code == 400
    assert response.context["form"].errors["require_two_factor"] == [
        "Set up two-factor authentication for your own account first."
    ]
    org.refresh_from_db()
    assert org.require_two_factor is False


def test_an_admin_sees_the_setting_disabled_and_cannot_change_it(org):
    admin = _person(org, Role.ADMIN, two_factor=True)
    client = logged_in_client(admin)
    field = client.get(f"/o/{org.slug}/settings/").context["form"]["require_two_factor"]
    assert field.field.disabled
    assert _settings_post(client, org, require=True).status_code == 302  # the other settings save
    org.refresh_from_db()
    assert org.require_two_factor is False
    with pytest.raises(PermissionDenied):
        services.organization_update(organization=org, actor=admin, require_two_factor=True)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_reach_the_setting(org, role):
    person = _person(org, role, two_factor=True)
    assert _settings_post(logged_in_client(person), org, require=True).status_code == 403
    org.refresh_from_db()
    assert org.require_two_factor is False


def test_an_outsider_cannot_reach_the_setting(org, outsider):
    assert _settings_post(logged_in_client(outsider), org, require=True).status_code == 404
    org.refresh_from_db()
    assert org.require_two_factor is False


def test_the_service_refuses_an_owner_without_two_factor(org):
    owner = _person(org, Role.OWNER, two_factor=False)
    with pytest.raises(ValidationError) as excinfo:
        services.organization_update(organization=org, actor=owner, require_two_factor=True)
    assert set(excinfo.value.message_dict) == {"require_two_factor"}
    assert _audit_actions(org) == []
