"""The suite connects as a role the row-level security policies bind (conftest.py). A test that
does what only the tables' owner may (disable a trigger, bulk-load with COPY, run migrations)
switches to the owner for those statements."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def as_table_owner():
    """On PostgreSQL, the statements inside run as the owner of the tables (no-op elsewhere).

    Inside a transaction (a test's own, or ``atomic``) the switch is local to it. In autocommit
    mode (a ``transaction=True`` test, as migration tests are) there is no transaction to hold
    it, so it is made for the session and undone when the block ends."""
    if connection.vendor != "postgresql":
        yield
        return
    local = "LOCAL " if connection.in_atomic_block else ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner, current_user FROM pg_tables WHERE tablename = 'billing_invoice'")
        [(owner, role)] = cursor.fetchall()
        cursor.execute(f"SET {local}ROLE {connection.ops.quote_name(owner)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET {local}ROLE {connection.ops.quote_name(role)}")
