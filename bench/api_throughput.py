"""API throughput: the invoice list and a 10-item invoice POST side by side with the trivial
authenticated ``GET /api/v1/ping/``, through gunicorn (2 workers) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench \\
        .venv/bin/python bench/api_throughput.py [--invoices 10000] [--seconds 15] [--clients 4]

Targets (issue 7): list at >= 40% of ping's requests per second, POST at >= 25%.

Data comes from ``bench/build_data.py`` (one organization with ``--invoices`` invoices, reused
when present). gunicorn binds 127.0.0.1 only; the load is a bounded loop (``--clients``
processes, ``--seconds`` per scenario) of keep-alive HTTP/1.1 requests. Ping runs before and
after the other scenarios; its mean is the baseline. Prints one markdown table.
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

TARGETS = {"list": 0.40, "post": 0.25}
ITEMS = [
    {"description": f"Line {n}", "quantity": "1.5", "unit_price": f"{10 + n}.25", "tax_rate": "19" if n % 2 else "7"}
    for n in range(10)
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(invoices: int):
    """(raw API key, business id, customer id) of the benchmark organization."""
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    from bench.build_data import ensure_data
    from billing.models import Business, Customer
    from organizations.models import Organization
    from organizations.tenancy import organization_scope

    data = ensure_data(orgs=1, invoices=invoices, small=0, parallel=True)
    bench_org = data.orgs[0]
    organization = Organization.objects.get(pk=bench_org.organization_id)
    remove_posted_drafts(organization.pk)  # left by an interrupted run
    with organization_scope(organization):
        business = Business.objects.filter(organization=organization).order_by("created_at").first()
        customer = Customer.objects.filter(organization=organization, archived=False).order_by("created_at").first()
    connection.close()
    return bench_org.api_key, str(business.pk), str(customer.pk), organization.pk


def remove_posted_drafts(organization_id) -> int:
    """Delete the drafts the POST scenario created (through API keys: the built data has none),
    so every run lists an organization of the same size, then VACUUM so the page COUNT is the
    index-only scan a settled table gets (autovacuum would get there, later). INDEX_CLEANUP ON:
    with few dead rows VACUUM otherwise skips the indexes and leaves those heap pages
    not-all-visible, and the COUNT reads them (2,500 heap fetches after one run)."""
    from django.db import connection

    from billing.models import Invoice, InvoiceItem
    from organizations.tenancy import all_tenants

    with all_tenants():
        posted = Invoice.objects.filter(
            organization_id=organization_id, created_by_api_key__isnull=False, status="draft"
        )
        posted.delete()
        remaining = Invoice.objects.filter(organization_id=organization_id).count()
    with connection.cursor() as cursor:
        for model in (Invoice, InvoiceItem):
            cursor.execute(f"VACUUM (ANALYZE, INDEX_CLEANUP ON) {connection.ops.quote_name(model._meta.db_table)}")
    return remaining


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        # The benchmark measures the endpoints, not the throttle.
        "API_THROTTLE_RATE": "100000000/minute",
    }
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "billora.wsgi", "-c", str(ROOT / "billora/gunicorn_conf.py")],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def client_loop(args):
    """One client process: keep-alive requests until the deadline; returns latencies (s)."""
    port, method, path, body, key, seconds = args
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Host": "127.0.0.1"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status >= 400:
            errors += 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.close()
    return latencies, errors


def run_scenario(port, method, path, body, key, seconds, clients):
    with ProcessPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(client_loop, [(port, method, path, body, key, seconds)] * clients))
    latencies = sorted(latency for result in results for latency in result[0])
    errors = sum(result[1] for result in results)
    if errors:
        raise SystemExit(f"{method} {path}: {errors} error responses; the benchmark would be meaningless.")

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p95": percentile(95),
        "p99": percentile(99),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="per scenario (default 15)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes (default 4)")
    options = parser.parse_args()

    key, business, customer, organization_id = prepare(options.invoices)
    invoice_body = json.dumps({"business": business, "customer": customer, "items": ITEMS}).encode()
    port = free_port()
    server = start_gunicorn(port)
    try:
        run_scenario(port, "GET", "/api/v1/ping/", None, key, 2, options.clients)  # warm-up
        scenarios = [
            ("ping", "GET", "/api/v1/ping/", None),
            ("list", "GET", "/api/v1/invoices/?page_size=50", None),
            ("post", "POST", "/api/v1/invoices/", invoice_body),
            ("ping", "GET", "/api/v1/ping/", None),
        ]
        results = []
        for name, method, path, body in scenarios:
            results.append(
                (name, method, path, run_scenario(port, method, path, body, key, options.seconds, options.clients))
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        invoices = remove_posted_drafts(organization_id)

    baseline = statistics.mean(r["rps"] for name, _, _, r in results if name == "ping")
    print(
        f"\nAPI throughput: gunicorn 2 workers, PostgreSQL, {invoices:,} invoices in the organization, "
        f"{options.clients} keep-alive clients, {options.seconds:g} s per scenario\n"
    )
    print("| scenario | requests | req/s | p50 ms | p95 ms | p99 ms | vs ping | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    verdicts = []
    for name, method, path, r in results:
        ratio = r["rps"] / baseline
        target = TARGETS.get(name)
        verdict = "" if target is None else (f">= {target:.0%} " + ("ok" if ratio >= target else "MISSED"))
        if target is not None:
            verdicts.append(ratio >= target)
        print(
            f"| {method} {path} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {ratio:.0%} | {verdict} |"
        )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
