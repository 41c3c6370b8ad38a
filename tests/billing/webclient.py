"""Helpers for the billing web-page tests (tests/billing/test_views*.py)."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.permissions import Role
from tests.organizations.factories import MembershipFactory, OrganizationFactory

ROLES = [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER]
WRITERS = [Role.OWNER, Role.ADMIN, Role.MEMBER]
MANAGERS = [Role.OWNER, Role.ADMIN]


def org_url(name, org, **kwargs):
    return reverse(name, kwargs={"org_slug": org.slug, **kwargs})


def log_in(client, org, role=Role.OWNER):
    """A new member of ``org`` with ``role``, logged in on ``client``."""
    membership = MembershipFactory(organization=org, role=role)
    client.force_login(membership.user)
    return membership.user


def log_in_outsider(client):
    """An owner of another organization: for them ``org``'s pages must not exist (404)."""
    return log_in(client, OrganizationFactory(), Role.OWNER)


@contextmanager
def count_queries():
    with CaptureQueriesContext(connection) as context:
        yield context


def form_errors(response, form="form"):
    return response.context[form].errors
