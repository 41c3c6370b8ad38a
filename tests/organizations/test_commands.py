"""create_organization and create_api_key, exactly as api.md specifies their output."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.models import AuditEntry
from organizations.models import ApiKey, Membership, Organization
from organizations.permissions import ApiKeyScope, Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_organization_creates_the_owner_with_an_unusable_password_and_prints_the_slug():
    out, _err = run("create_organization", "Harbour Tools", "--owner", "Boss@Harbour.example")
    assert out == "harbour-tools\n"
    organization = Organization.objects.get(slug="harbour-tools")
    user = User.objects.get(email="boss@harbour.example")
    assert not user.has_usable_password()
    with organization_scope(organization):
        assert Membership.objects.get(organization=organization).role == Role.OWNER
        entry = AuditEntry.objects.get(organization=organization)
    assert (entry.action, entry.actor_type) == ("organization.created", "system")


def test_create_organization_reuses_an_existing_user():
    user = UserFactory(email="known@example.com")
    out, _ = run("create_organization", "Known Co", "--owner", "known@example.com")
    organization = Organization.objects.get(slug=out.strip())
    with organization_scope(organization):
        assert Membership.objects.get(organization=organization).user == user
    assert user.has_usable_password()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create_organization", "X", "--owner", "not-an-email"], "not a valid email"),
        (["create_organization", "", "--owner", "a@example.com"], "name"),
        (["create_organization", "X", "--owner", "a@example.com", "--currency", "ZZZ"], "default_currency"),
        (["create_organization", "X", "--owner", "a@example.com", "--currency", "CLF"], "4 decimal places"),
    ],
)
def test_create_organization_refuses_bad_input_without_creating_anything(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Organization.objects.exists()
    assert not User.objects.exists()


def test_create_api_key_prints_only_the_key(org):
    out, _ = run("create_api_key", org.slug, "--name", "backup script")
    lines = out.splitlines()
    assert len(lines) == 1 and out.endswith("\n")
    raw = lines[0]
    with organization_scope(org):
        api_key = ApiKey.objects.get(organization=org)
    assert api_key.matches(raw)
    assert (api_key.name, api_key.scope, api_key.created_by) == ("backup script", ApiKeyScope.READ_WRITE, None)
    with organization_scope(org):
        assert AuditEntry.objects.get(organization=org).action == "api_key.created"


def test_create_api_key_read_only(org):
    out, _ = run("create_api_key", org.slug, "--name", "reports", "--read-only")
    with organization_scope(org):
        api_key = ApiKey.objects.get(organization=org)
    assert api_key.scope == ApiKeyScope.READ_ONLY and api_key.matches(out.strip())


def test_create_api_key_for_an_unknown_organization_fails_with_nothing_on_stdout(db):
    out = StringIO()
    with pytest.raises(CommandError, match="No organization"):
        call_command("create_api_key", "nope", "--name", "x", stdout=out)
    assert out.getvalue() == ""


def test_create_api_key_needs_a_name(org):
    with pytest.raises(CommandError, match="name"):
        run("create_api_key", org.slug, "--name", "   ")
