"""Fail-closed tenant scoping, built on django-scopes.

Every tenant-owned model derives from ``TenantModel``: its default manager refuses to run a
query unless a scope is open. Scopes are opened in exactly these places:

* ``organizations.middleware.TenantScopeMiddleware`` for web requests under ``/o/<slug>/``;
* ``organizations.api.viewsets.TenantViewSet`` for API requests (the key fixes the org);
* ``organization_scope(org)`` in tasks and management commands;
* ``all_tenants()`` for support work in the admin and for lookups that must cross tenants
  (API key and invite token lookup, uniqueness checks). Grep for it to audit every use.

The same two context managers also tell PostgreSQL which tenant the code works for, through
``database_scope()``: ``organizations.rls`` sets it in every transaction, and row-level
security policies refuse other tenants' rows even to raw SQL (the second wall).
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled


def TenantManager(queryset_class=None):  # noqa: N802 - reads like a class where models declare it
    """The fail-closed default manager; pass a QuerySet subclass to add selectors to it."""
    manager_class = models.Manager.from_queryset(queryset_class) if queryset_class else models.Manager
    return ScopedManager(_manager_class=manager_class, organization="organization")


ALL_TENANTS = "all"
# What the database is told: an organization's id, ALL_TENANTS, or None (no scope open).
_database_scope = ContextVar("billora_database_scope", default=None)


@contextmanager
def _scoped_database(value):
    token = _database_scope.set(value)
    try:
        yield
    finally:
        _database_scope.reset(token)


def database_scope():
    """The open scope as the database sees it: an organization id, ``ALL_TENANTS`` or None."""
    return _database_scope.get()


@contextmanager
def all_tenants():
    """The named "all tenants" scope: support work and deliberate cross-tenant lookups."""
    with scopes_disabled(), _scoped_database(ALL_TENANTS):
        yield


@contextmanager
def organization_scope(organization):
    # django-scopes treats a None value as "no filter"; that must never happen by accident.
    if organization is None:
        raise ValueError("organization_scope() needs an organization.")
    with scope(organization=organization), _scoped_database(uuid.UUID(str(organization.pk))):
        yield


def current_organization():
    """The organization of the open scope, or None (also None inside ``all_tenants``)."""
    return get_scope().get("organization")


class TenantModel(models.Model):
    """Base for every model owned by one organization."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        abstract = True
