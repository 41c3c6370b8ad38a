"""API throughput: the invoice list and a 10-item invoice POST side by side with the trivial
authenticated ``GET /api/v1/ping/``, through gunicorn (2 workers) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench \\
        .venv/bin/python bench/api_throughput.py [--invoices 10000] [--rounds 6] [--seconds 4] [--clients 4]

Targets: list at >= 25% of ping's requests per second, POST at >= 25%, with the invoice's one
Python representation (``billing.presenters``) writing every list and POST response.

Data comes from ``bench/build_data.py`` (two organizations with ``--invoices`` invoices each,
reused when present: the list reads one, the POSTs write to the other). gunicorn binds
127.0.0.1 only; the load is a bounded loop (``--clients`` processes, ``--seconds`` per
scenario) of keep-alive HTTP/1.1 requests. The scenarios take turns in ``--rounds`` short
rounds (ping, list, post, ping, ...), so the drift of a shared machine's speed weighs on all
of them alike; ping's requests per second over all its rounds are the baseline. Prints one markdown table.
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

TARGETS = {"list": 0.25, "post": 0.25}
ITEMS = [
    {"description": f"Line {n}", "quantity": "1.5", "unit_price": f"{10 + n}.25", "tax_rate": "19" if n % 2 else "7"}
    for n in range(10)
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(invoices: int):
    """The two benchmark organizations: the list reads the first, the POSTs write to the second,
    so the listed organization keeps its size and its settled (vacuumed) tables while the
    scenarios take turns. Returns ((key, organization id) read, (key, business id, customer id,
    organization id) write)."""
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    from bench.build_data import ensure_data
    from billing.models import Business, Customer
    from organizations.models import Organization
    from organizations.tenancy import organization_scope

    read, write = ensure_data(orgs=2, invoices=invoices, small=0, parallel=True).orgs
    for bench_org in (read, write):
        remove_posted_drafts(bench_org.organization_id)  # left by an interrupted run
    organization = Organization.objects.get(pk=write.organization_id)
    with organization_scope(organization):
        business = Business.objects.filter(organization=organization).order_by("created_at").first()
        customer = Customer.objects.filter(organization=organization, archived=False).order_by("created_at").first()
    connection.close()
    return (read.api_key, read.organization_id), (write.api_key, str(business.pk), str(customer.pk), organization.pk)


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
        # No worker recycling mid-measurement: a restart costs the same whatever the endpoint,
        # so it would slow the endpoint with the most requests (ping, the baseline) the most.
        "GUNICORN_MAX_REQUESTS": "0",
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
    """(latencies in seconds, seconds measured) of ``clients`` processes looping on one request."""
    with ProcessPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(client_loop, [(port, method, path, body, key, seconds)] * clients))
    errors = sum(result[1] for result in results)
    if errors:
        raise SystemExit(f"{method} {path}: {errors} error responses; the benchmark would be meaningless.")
    return [latency for result in results for latency in result[0]]


def summary(latencies, seconds) -> dict:
    latencies = sorted(latencies)

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
    parser.add_argument("--rounds", type=int, default=6, help="rounds of every scenario (default 6)")
    parser.add_argument("--seconds", type=float, default=4.0, help="per scenario and round (default 4)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes (default 4)")
    options = parser.parse_args()

    (read_key, read_organization), (write_key, business, customer, write_organization) = prepare(options.invoices)
    invoice_body = json.dumps({"business": business, "customer": customer, "items": ITEMS}).encode()
    scenarios = [
        ("ping", "GET", "/api/v1/ping/", None, read_key),
        ("list", "GET", "/api/v1/invoices/?page_size=50", None, read_key),
        ("post", "POST", "/api/v1/invoices/", invoice_body, write_key),
    ]
    latencies = {name: [] for name, *_ in scenarios}
    round_rps = {name: [] for name, *_ in scenarios}
    port = free_port()
    server = start_gunicorn(port)
    try:
        for _, method, path, body, key in scenarios:  # warm-up: imports, prepared statements, caches
            run_scenario(port, method, path, body, key, 1, options.clients)
        # The scenarios take turns in short rounds, so this machine's drifting speed weighs on
        # all of them alike; each round's ratios compare measurements seconds apart.
        for _ in range(options.rounds):
            for name, method, path, body, key in scenarios:
                measured = run_scenario(port, method, path, body, key, options.seconds, options.clients)
                latencies[name] += measured
                round_rps[name].append(len(measured) / options.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        remove_posted_drafts(write_organization)
    invoices = remove_posted_drafts(read_organization)  # none: the list's organization, counted

    seconds = options.rounds * options.seconds
    results = {name: summary(latencies[name], seconds) for name in latencies}
    baseline = results["ping"]["rps"]
    print(
        f"\nAPI throughput: gunicorn 2 workers, PostgreSQL, {invoices:,} invoices in the organization, "
        f"{options.clients} keep-alive clients, {options.rounds} rounds of {options.seconds:g} s per scenario "
        "(ping, list, post in turn)\n"
    )
    print("| scenario | requests | req/s | p50 ms | p95 ms | p99 ms | vs ping | rounds: min-max vs ping | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    verdicts = []
    for name, method, path, *_ in scenarios:
        r = results[name]
        ratio = r["rps"] / baseline
        per_round = [rps / ping for rps, ping in zip(round_rps[name], round_rps["ping"], strict=True)]
        target = TARGETS.get(name)
        verdict = "" if target is None else (f">= {target:.0%} " + ("ok" if ratio >= target else "MISSED"))
        if target is not None:
            verdicts.append(ratio >= target)
        print(
            f"| {method} {path} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {ratio:.0%} | {min(per_round):.0%}-{max(per_round):.0%} | {verdict} |"
        )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
