"""Audit entry write cost (target: at most 2 queries per entry on PostgreSQL).

Run against PostgreSQL:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora .venv/bin/python bench/audit_write.py [-n 2000]``
(migrated database). Writes N entries to a fresh organization with ``audit.services.record``,
each in its own transaction as a service would, counts the queries issued inside
``record()`` and prints a markdown table row: backend, N, queries per entry (max and mean),
entries per second (wall time, commits included) and the median ``SELECT 1`` round trip,
since on a local database the round trips, not the hashing, set the pace.

By default everything runs inside one outer transaction that is rolled back at the end, so
nothing is left behind (entries are append-only and the PostgreSQL trigger forbids deleting
them). ``--commit`` commits every entry instead (realistic commit cost) and leaves the
benchmark organization and its chain in the database; it then verifies the chain too.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from audit.context import system_context  # noqa: E402
from audit.services import record  # noqa: E402
from audit.verification import verify_chain  # noqa: E402
from organizations.models import Organization  # noqa: E402
from organizations.tenancy import organization_scope  # noqa: E402


class _RollbackError(Exception):
    pass


def round_trip_ms(samples: int = 200) -> float:
    """Median ``SELECT 1`` time: the floor under every query, to read entries/s against."""
    times = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(n: int, *, commit: bool):
    organization = Organization.objects.create(name="Audit benchmark", slug=f"bench-audit-{uuid.uuid4().hex[:8]}")
    changes = {"status": ["draft", "issued"], "total": ["100.00", "119.00"]}
    per_entry = []
    started = time.perf_counter()
    with system_context(request_id="bench-audit-write"):
        for i in range(n):
            with transaction.atomic():
                with CaptureQueriesContext(connection) as queries:
                    record(
                        organization=organization,
                        actor=None,
                        action="invoice.issued",
                        target_type="invoice",
                        target_id=str(i),
                        target_label=f"INV-{i:05d}",
                        changes=changes,
                    )
                per_entry.append(len(queries))
    elapsed = time.perf_counter() - started
    verified = None
    if commit:
        with organization_scope(organization):
            report = verify_chain(organization)
        verified = report.ok and report.entries == n
    return per_entry, elapsed, verified, organization


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="entries to write (default 2000)")
    parser.add_argument("--commit", action="store_true", help="commit each entry and keep the data")
    args = parser.parse_args()

    if args.commit:
        per_entry, elapsed, verified, organization = run(args.n, commit=True)
    else:
        try:
            with transaction.atomic():
                result = run(args.n, commit=False)
                raise _RollbackError
        except _RollbackError:
            per_entry, elapsed, verified, organization = result

    mode = "commit each" if args.commit else "one transaction, rolled back"
    header = "| backend | mode | entries | queries/entry (max) | queries/entry (mean) | entries/s | SELECT 1 ms |"
    print(header + (" chain |" if args.commit else ""))
    print("|---" * (header.count("|") - 1 + args.commit) + "|")
    row = (
        f"| {connection.vendor} | {mode} | {args.n} | {max(per_entry)} | {sum(per_entry) / len(per_entry):.2f} "
        f"| {args.n / elapsed:,.0f} | {round_trip_ms():.2f} |"
    )
    if args.commit:
        row += f" {'verified' if verified else 'BROKEN'} ({organization.slug}) |"
    print(row)
    limit = 2 if connection.vendor == "postgresql" else 3
    if max(per_entry) > limit:
        print(f"FAIL: more than {limit} queries per entry on {connection.vendor}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
