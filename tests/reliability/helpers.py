"""Shared pieces of the reliability suite: real HTTP clients, the invariants every scenario
ends with, and whole-database checksums."""

import hashlib
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.core.management import call_command
from django.db import connection

from billing.models import Invoice, Payment
from organizations.tenancy import organization_scope
from tests.billing.factories import assert_stored_totals

HTTP_TIMEOUT = 60


@dataclass
class HttpResult:
    status: int
    body: bytes
    headers: dict

    def json(self):
        return json.loads(self.body)


def http(base_url, method, path, *, body=None, key=None, headers=None, timeout=HTTP_TIMEOUT) -> HttpResult:
    """One real HTTP request with urllib (a fresh connection each time); errors are results."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method)  # noqa: S310 (http only)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    # The live server's SecurityMiddleware was built with production's SSL redirect; behave
    # like the TLS-terminating proxy in front of it does.
    request.add_header("X-Forwarded-Proto", "https")
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpResult(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, error.read(), dict(error.headers))


LISTEN_BACKLOG = 256


def base_url(live_server) -> str:
    """The live server on the IPv4 loopback address (it binds 127.0.0.1 for "localhost").

    Django's test server listens with a backlog of 10: 50 clients connecting in the same
    millisecond overflow it and get their connections reset before the server ever sees them
    (gunicorn's backlog is 2048). Listening again on the bound socket raises the backlog."""
    live_server.thread.httpd.socket.listen(LISTEN_BACKLOG)
    return f"http://127.0.0.1:{live_server.thread.port}"


def fire_concurrently(calls):
    """Run every zero-argument callable in its own client thread, released together by a
    barrier so the requests really overlap; returns their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=300) for future in futures]


def assert_no_server_errors(results):
    errors = [(r.status, r.body[:300]) for r in results if r.status >= 500]
    assert not errors, f"{len(errors)} responses were 5xx: {errors[:3]}"


# --- invariants ---------------------------------------------------------------------------------


def reload(invoice):
    with organization_scope(invoice.organization):
        return Invoice.objects.get(pk=invoice.pk)


def assert_invoice_invariants(invoice):
    """No overpayment, credits within the total, amount_paid = the non-voided payments, the
    balance by the design's formula, stored totals = calc."""
    invoice = reload(invoice)
    with organization_scope(invoice.organization):
        paid = sum(
            (p.amount for p in Payment.objects.filter(invoice=invoice, voided=False, kind="payment")),
            Decimal(0),
        )
    assert Decimal(0) <= invoice.amount_paid <= invoice.total, (invoice.amount_paid, invoice.total)
    assert Decimal(0) <= invoice.credited_total <= invoice.total, (invoice.credited_total, invoice.total)
    assert invoice.amount_paid == paid
    expected = invoice.total - invoice.credited_total - invoice.amount_paid + invoice.amount_refunded
    assert invoice.balance_due == expected
    assert_stored_totals(invoice)
    return invoice


def assert_numbers_gapless(organization, business, expected_count):
    """The business's numbers are unique and consecutive from 1 (``INV-{YYYY}-{SEQ}``)."""
    with organization_scope(organization):
        numbers = list(
            Invoice.objects.filter(organization=organization, business=business)
            .exclude(number=None)
            .values_list("number", flat=True)
        )
    assert len(numbers) == len(set(numbers)) == expected_count, numbers
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequences == list(range(1, expected_count + 1)), sequences


def assert_audit_chain_intact():
    """``manage.py verify_audit_chain`` exits 0 (it raises CommandError on a broken chain)."""
    call_command("verify_audit_chain", stdout=_Sink(), stderr=_Sink())


class _Sink:
    def write(self, *_args, **_kwargs):
        return None

    def flush(self):
        return None


# --- checksums of every table -------------------------------------------------------------------


def table_checksums(*, ignore_columns=()) -> dict[str, str]:
    """A checksum per database table of the whole project (every model, tenant or not),
    computed in SQL on PostgreSQL and by hashing sorted rows elsewhere."""
    tables = sorted({model._meta.db_table for model in apps.get_models()} | set(connection.introspection.table_names()))
    result = {}
    with connection.cursor() as cursor:
        for table in tables:
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
                if column.name not in ignore_columns
            ]
            if not columns:
                continue
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            name = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "
                    f"FROM (SELECT {quoted} FROM {name}) t"
                )
                result[table] = cursor.fetchone()[0]
            else:
                cursor.execute(f"SELECT {quoted} FROM {name}")
                rows = sorted(repr(row) for row in cursor.fetchall())
                result[table] = hashlib.md5("\n".join(rows).encode(), usedforsecurity=False).hexdigest()
    return result


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))
