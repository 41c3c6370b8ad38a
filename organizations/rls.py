"""PostgreSQL row-level security: the second tenancy wall.

Every tenant-owned table carries a policy (see ``policy_sql``) that shows and accepts only the
rows of the organization named by the transaction-local setting ``billora.organization_id``,
or every row when ``billora.all_tenants`` is ``on``. Without either (no scope open) a query
sees no tenant rows at all. The policies bind the role the application connects as; the role
that owns the tables (the one migrations run as) and superusers are not bound by them.

``TenantSettings`` is an execute wrapper on every PostgreSQL connection. Before a statement
runs it makes the transaction's settings match ``database_scope()`` (the scope opened with
``organization_scope`` or ``all_tenants``):

* inside a transaction (``atomic``), one ``set_config(..., true)`` the first time and again
  only when the scope changes;
* in autocommit mode, the statement runs in a transaction of its own that starts by setting
  them (``BEGIN; set_config...`` in one round trip, then the statement, then ``COMMIT``).
  Read requests avoid that cost by running in one transaction (``read_request_transaction``).

Nothing is ever set for the session, so it is safe behind PgBouncer in transaction mode. The
settings only say which tenant the code works for: they are a wall against queries that forget
the scope, not against SQL an attacker could write (that could set them too).
"""

from contextlib import nullcontext, suppress

from django.conf import settings
from django.db import Error, transaction
from django.db.backends.signals import connection_created
from psycopg.pq import TransactionStatus

from organizations.tenancy import ALL_TENANTS, database_scope

ORGANIZATION_SETTING = "billora.organization_id"
ALL_TENANTS_SETTING = "billora.all_tenants"
POLICY_NAME = "tenant_isolation"

# Statements that must run before anything else in a transaction, or that only move inside it.
_PASS_THROUGH = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SET TRANSACTION")
_UNKNOWN = object()


def policy_sql(table):
    """Turn on row-level security for ``table`` (it has an ``organization_id`` column)."""
    # Each setting in a scalar subquery: PostgreSQL reads it once per statement (an InitPlan)
    # instead of once per row; organization_id = <one value> keeps the row estimates of the
    # statement's own organization filter.
    visible = (
        f"organization_id = (SELECT nullif(current_setting('{ORGANIZATION_SETTING}', true), '')::uuid) "
        f"OR (SELECT current_setting('{ALL_TENANTS_SETTING}', true) = 'on')"
    )
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; "
        f"CREATE POLICY {POLICY_NAME} ON {table} USING ({visible}) WITH CHECK ({visible});"
    )


def drop_policy_sql(table):
    return f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}; ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"


def _settings_sql(scope):
    if scope == ALL_TENANTS:
        organization_id, all_tenants = "", "on"
    else:
        # A uuid.UUID (organization_scope makes it one): its text is safe to inline.
        organization_id, all_tenants = ("" if scope is None else str(scope)), ""
    return (
        f"SELECT set_config('{ORGANIZATION_SETTING}', '{organization_id}', true), "
        f"set_config('{ALL_TENANTS_SETTING}', '{all_tenants}', true)"
    )


class TenantSettings:
    """Keeps the transaction's tenant settings equal to the open scope (one per connection)."""

    def __init__(self):
        self.applied = None  # the scope set in the open transaction; None: nothing set yet

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        in_transaction = not connection.get_autocommit()
        if in_transaction and connection.connection.info.transaction_status == TransactionStatus.IDLE:
            self.applied = None  # this statement starts a transaction: its local settings are empty
        statement = sql.lstrip()[:24].upper()
        if statement.startswith(_PASS_THROUGH):
            if statement.startswith("ROLLBACK TO"):
                self.applied = _UNKNOWN  # the rollback may have undone a set_config
            return execute(sql, params, many, context)
        wanted = database_scope()
        if in_transaction:
            if wanted != self.applied:
                self._run(connection, _settings_sql(wanted))
                self.applied = wanted
            return execute(sql, params, many, context)
        if wanted is None:
            return execute(sql, params, many, context)
        self._run(connection, "BEGIN; " + _settings_sql(wanted))
        try:
            result = execute(sql, params, many, context)
        except BaseException:
            with suppress(Error):  # a lost connection: the statement's own error is the one to see
                self._run(connection, "ROLLBACK")
            raise
        self._run(connection, "COMMIT")
        return result

    @staticmethod
    def _run(connection, sql):
        # Straight to psycopg: no parameters (one round trip for several statements), never
        # prepared, and not counted as one of the application's queries.
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute(sql, prepare=False)


def read_request_transaction(request):
    """With the settings in force, a read request (GET, HEAD) runs in one transaction: they are
    then set once or twice per request, not around each statement. Write requests keep their own
    transactions (what a service commits, an idempotency claim, must be visible at once). Inside
    a transaction already (tests), the request simply runs in it."""
    connection = transaction.get_connection()
    if (
        request.method in ("GET", "HEAD")
        and connection.vendor == "postgresql"
        and settings.BILLORA_RLS
        and not connection.in_atomic_block
    ):
        return transaction.atomic()
    return nullcontext()


def install(sender, connection, **kwargs):
    """connection_created receiver: add the wrapper once per connection object, outermost."""
    if connection.vendor != "postgresql" or not settings.BILLORA_RLS:
        return
    if not any(isinstance(wrapper, TenantSettings) for wrapper in connection.execute_wrappers):
        # First in the list: execute_wrapper() blocks open around the connection's creation
        # pop the last one when they close.
        connection.execute_wrappers.insert(0, TenantSettings())


def connect_signals():
    connection_created.connect(install, dispatch_uid="organizations.rls.install")
