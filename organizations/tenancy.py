"""Fail-closed tenant scoping, built on django-scopes.

Every tenant-owned model derives from ``TenantModel``: its default manager refuses to run a
query unless a scope is open. Scopes are opened in exactly these places:

* ``organizations.middleware.TenantScopeMiddleware`` for web requests under ``/o/<slug>/``;
* ``organizations.api.viewsets.TenantViewSet`` for API requests (the key fixes the org);
* ``organization_scope(org)`` in tasks and management commands;
* ``all_tenants()`` for support work in the admin and for lookups that must cross tenants
  (API key and invite token lookup, uniqueness checks). Grep for it to audit every use.
"""

import uuid
from contextlib import contextmanager
from functools import cache
from typing import NamedTuple

from django.db import connections, models, router
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled
from django_scopes.exceptions import ScopeError


def TenantManager(queryset_class=None):  # noqa: N802 - reads like a class where models declare it
    """The fail-closed default manager; pass a QuerySet subclass to add selectors to it."""
    manager_class = models.Manager.from_queryset(queryset_class) if queryset_class else models.Manager
    return ScopedManager(_manager_class=manager_class, organization="organization")


@contextmanager
def all_tenants():
    """The named "all tenants" scope: support work and deliberate cross-tenant lookups."""
    with scopes_disabled():
        yield


@contextmanager
def organization_scope(organization):
    # django-scopes treats a None value as "no filter"; that must never happen by accident.
    if organization is None:
        raise ValueError("organization_scope() needs an organization.")
    with scope(organization=organization):
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


def get_in_organization(model, organization, pk):
    """The ``model`` row with primary key ``pk`` in ``organization``, or None (missing or another
    organization's): ``model.objects.filter(organization=organization, pk=pk).first()`` for the
    hot paths that look one row up by id, such as the API's body references. It runs one
    prebuilt statement and converts the row as the ORM would: building the same query through
    the ORM costs about three times as much as running it. Like the scoped manager, it refuses
    to run outside a tenant scope, and its statement names the organization."""
    scope = get_scope()
    if scope.get("_enabled", True):
        if "organization" not in scope:
            raise ScopeError(f"A scope on dimension(s) organization needs to be active for {model.__name__}.")
        if getattr(scope["organization"], "pk", scope["organization"]) != organization.pk:
            return None  # the scoped manager would filter on both organizations: nothing
    using = router.db_for_read(model)
    connection = connections[using]
    statement = _by_pk_statement(model, using)
    params = [
        statement.organization_field.get_db_prep_value(organization.pk, connection),
        model._meta.pk.get_db_prep_value(pk, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, converters, column in statement.converters:
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    return model.from_db(using, statement.attnames, values)


class _ByPkStatement(NamedTuple):
    sql: str
    attnames: list[str]
    converters: list  # (position, the ORM's converters for that column, column)
    organization_field: models.Field


@cache
def _by_pk_statement(model, using) -> _ByPkStatement:
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = meta.concrete_fields
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        # As the ORM's compiler does: the backend's converters, then the field's.
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, found, column))
    organization = meta.get_field("organization")
    # Names from the model's metadata, values as parameters.
    columns = ", ".join(quote(field.column) for field in fields)
    where = f"{quote(organization.column)} = %s AND {quote(meta.pk.column)} = %s"
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where}"  # noqa: S608
    return _ByPkStatement(sql, [field.attname for field in fields], converters, organization.target_field)
