"""``manage.py grant_app_role <role>``: run as the tables' owner (the role migrations run as),
after ``migrate``. Gives the role the application connects as what it needs on every table and
sequence, now and for tables later migrations create, and checks that the row-level security
policies bind it (neither owner, superuser nor BYPASSRLS)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"


def _identifier(connection, name):
    return connection.ops.quote_name(name)


class Command(BaseCommand):
    help = "Grant the application's database role its rights (PostgreSQL; run as the tables' owner)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The role the application connects as (it must exist).")
        parser.add_argument(
            "--truncate", action="store_true", help="Also allow TRUNCATE (the test suite's database flushes)."
        )

    def handle(self, *args, role, truncate, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles and row-level security need PostgreSQL.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"No role “{role}”: CREATE ROLE {role} LOGIN PASSWORD '...' first.")
            if row[0]:
                raise CommandError(f"“{role}” is a superuser or has BYPASSRLS: the policies would not bind it.")
            cursor.execute("SELECT current_user")
            if cursor.fetchone()[0] == role:
                raise CommandError("Run this as the tables' owner, not as the application's role.")
            rights = TABLE_RIGHTS + (", TRUNCATE" if truncate else "")
            quoted = _identifier(connection, role)
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {quoted}",
                f"GRANT {rights} ON ALL TABLES IN SCHEMA public TO {quoted}",
                f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {rights} ON TABLES TO {quoted}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {quoted}",
            ):
                cursor.execute(statement)
        self.stdout.write(f"Granted {rights} on every table of the public schema to {role}.")
