import time

import pytest
from django.test import Client

from organizations.permissions import Role
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.organizations.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Globex", slug="globex")


def _member(organization, role, email):
    return MembershipFactory(organization=organization, role=role, user=UserFactory(email=email)).user


@pytest.fixture
def owner(org):
    return _member(org, Role.OWNER, "owner@acme.test")


@pytest.fixture
def admin(org):
    return _member(org, Role.ADMIN, "admin@acme.test")


@pytest.fixture
def member(org):
    return _member(org, Role.MEMBER, "member@acme.test")


@pytest.fixture
def viewer(org):
    return _member(org, Role.VIEWER, "viewer@acme.test")


@pytest.fixture
def outsider(other_org):
    """Owner of another organization: a member of org B, never of org A."""
    return _member(other_org, Role.OWNER, "owner@globex.test")


@pytest.fixture
def users_by_role(owner, admin, member, viewer):
    return {Role.OWNER: owner, Role.ADMIN: admin, Role.MEMBER: member, Role.VIEWER: viewer}


def mark_recently_reauthenticated(client, user):
    """What allauth records after a password re-entry (a real flow is tested separately)."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def logged_in_client(user, *, reauthenticated=False):
    client = Client()
    client.force_login(user)
    if reauthenticated:
        mark_recently_reauthenticated(client, user)
    return client


@pytest.fixture
def login():
    return logged_in_client


__all__ = ["DEFAULT_PASSWORD", "logged_in_client", "mark_recently_reauthenticated"]
