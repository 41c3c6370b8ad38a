"""The suite connects as a role the row-level security policies bind (conftest.py). A test that
does what only the tables' owner may (disable a trigger, bulk-load with COPY) switches to the
owner for those statements, inside the test's transaction."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def as_table_owner():
    """On PostgreSQL, the statements inside run as the owner of the tables (no-op elsewhere)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner, current_user FROM pg_tables WHERE tablename = 'billing_invoice'")
        [(owner, role)] = cursor.fetchall()
        cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(owner)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")
