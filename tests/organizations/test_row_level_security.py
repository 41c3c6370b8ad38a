"""The second tenancy wall: PostgreSQL row-level security. Raw SQL (no ORM, no django-scopes)
sees only the open scope's organization, nothing outside any scope, everything in the
all-tenants scope; and every table with an organization column carries the policy."""

import pytest
from django.apps import apps
from django.db import ProgrammingError, connection, transaction
from rest_framework.test import APIClient

from organizations.models import Organization
from organizations.rls import POLICY_NAME, TenantSettings
from organizations.tenancy import all_tenants, organization_scope
from tests.admin.builders import INLINE_ROW_BUILDERS, ROW_BUILDERS
from tests.organizations.factories import OrganizationFactory, make_api_key

pytestmark = pytest.mark.postgres

# Every table with an organization column: adding one without a policy fails the first test.
TENANT_MODELS = sorted(
    (
        model
        for model in apps.get_models()
        if any(
            getattr(field, "related_model", None) is Organization and field.column == "organization_id"
            for field in model._meta.concrete_fields
        )
    ),
    key=lambda model: model._meta.db_table,
)
TABLES = [model._meta.db_table for model in TENANT_MODELS]
BUILDERS = {**ROW_BUILDERS, **INLINE_ROW_BUILDERS}


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def organizations_in(table):
    return {row[0] for row in raw(f"SELECT DISTINCT organization_id FROM {table}")}


@pytest.fixture
def two_tenants(db):
    """Two organizations with rows in every tenant table."""
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    for model in TENANT_MODELS:
        BUILDERS[model._meta.label_lower]([org_a, org_b], 2)
    return org_a, org_b


def test_the_suite_connects_as_a_role_the_policies_bind(db):
    [(superuser, bypass)] = raw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert not superuser and not bypass
    [(owner,)] = raw("SELECT tableowner FROM pg_tables WHERE tablename = 'billing_invoice'")
    assert owner != raw("SELECT current_user")[0][0]


@pytest.mark.parametrize("table", TABLES)
def test_every_tenant_table_has_the_policy(db, table):
    [(enabled,)] = raw("SELECT relrowsecurity FROM pg_class WHERE relname = %s", [table])
    assert enabled
    policies = raw("SELECT policyname, cmd FROM pg_policies WHERE tablename = %s", [table])
    assert policies == [(POLICY_NAME, "ALL")]


def test_raw_sql_in_a_scope_sees_only_that_organization(two_tenants):
    org_a, org_b = two_tenants
    with all_tenants():
        # Not vacuous: every table holds rows of both organizations.
        assert all({org_a.pk, org_b.pk} <= organizations_in(table) for table in TABLES)
    for org in (org_a, org_b):
        with organization_scope(org):
            assert {table: organizations_in(table) for table in TABLES} == {table: {org.pk} for table in TABLES}


def test_raw_sql_outside_any_scope_sees_no_tenant_rows(two_tenants):
    assert {table: raw(f"SELECT count(*) FROM {table}")[0][0] for table in TABLES} == dict.fromkeys(TABLES, 0)


def test_raw_writes_cannot_reach_another_organization(two_tenants):
    org_a, org_b = two_tenants
    with organization_scope(org_a):
        taken = raw("UPDATE billing_customer SET name = 'taken' WHERE organization_id = %s RETURNING id", [org_b.pk])
        assert taken == []
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            raw("UPDATE billing_customer SET organization_id = %s RETURNING id", [org_b.pk])
    with all_tenants():
        assert raw("SELECT count(*) FROM billing_customer WHERE name = 'taken'") == [(0,)]


def test_nested_scopes_and_savepoint_rollbacks_restore_the_outer_scope(two_tenants):
    org_a, org_b = two_tenants
    with organization_scope(org_a):
        with all_tenants():
            assert organizations_in("billing_invoice") == {org_a.pk, org_b.pk}
        assert organizations_in("billing_invoice") == {org_a.pk}
        with all_tenants():
            assert organizations_in("billing_invoice") == {org_a.pk, org_b.pk}
            with organization_scope(org_b):
                with pytest.raises(ZeroDivisionError), transaction.atomic():
                    assert organizations_in("billing_invoice") == {org_b.pk}
                    raise ZeroDivisionError
                # The savepoint rollback undid org B's setting (back to all tenants): the
                # scope is still org B's, so org B's it must be again.
                assert organizations_in("billing_invoice") == {org_b.pk}
        assert organizations_in("billing_invoice") == {org_a.pk}


@pytest.mark.django_db(transaction=True)
def test_autocommit_statements_carry_the_scope_and_leave_no_session_state():
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    ROW_BUILDERS["billing.customer"]([org_a, org_b], 2)
    assert connection.get_autocommit()
    with organization_scope(org_b):
        assert organizations_in("billing_customer") == {org_b.pk}
        assert raw("SELECT current_setting('billora.organization_id', true)") == [(str(org_b.pk),)]
    # Each statement ran in its own transaction: nothing was left on the connection (it may
    # be another client's next, behind PgBouncer).
    assert raw("SELECT coalesce(current_setting('billora.organization_id', true), '')") == [("",)]
    assert organizations_in("billing_customer") == set()
    with all_tenants():
        assert organizations_in("billing_customer") == {org_a.pk, org_b.pk}


@pytest.mark.django_db(transaction=True)
def test_each_new_transaction_gets_the_settings_again():
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    ROW_BUILDERS["billing.customer"]([org_a, org_b], 2)
    with organization_scope(org_a):
        for isolation in ("READ COMMITTED", "REPEATABLE READ"):  # the first statement of each
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                assert organizations_in("billing_customer") == {org_a.pk}


@pytest.mark.django_db(transaction=True)
def test_a_read_request_sets_the_scope_once_per_change_and_a_write_keeps_its_own_transactions(monkeypatch):
    org = OrganizationFactory()
    ROW_BUILDERS["billing.customer"]([org], 3)
    _api_key, raw_key = make_api_key(org)
    settings_statements = []
    run = TenantSettings._run
    monkeypatch.setattr(
        TenantSettings, "_run", staticmethod(lambda conn, sql: (settings_statements.append(sql), run(conn, sql)))
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    assert client.get("/api/v1/customers/").json()["count"] == 3
    # One transaction: all tenants for the key lookup, then the key's organization.
    assert [("'on'" in sql, str(org.pk) in sql) for sql in settings_statements] == [(True, False), (False, True)]

    settings_statements.clear()
    response = client.post("/api/v1/customers/", {"name": "New", "email": "new@example.com"}, format="json")
    assert response.status_code == 201, response.content
    # Autocommit statements (the key lookup) each begin and commit their own transaction.
    assert settings_statements[0].startswith("BEGIN;") and "COMMIT" in settings_statements
    assert not connection.in_atomic_block
