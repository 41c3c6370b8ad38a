"""Billora benchmark: what ``make bench`` runs. Prints one markdown results table and writes it
to ``bench/results/latest.md``.

Needs PostgreSQL and Redis (refuses otherwise)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 make bench

Steps, each bounded in count and time, all traffic on 127.0.0.1:

1. Data: ``bench/build_data.py`` builds 20 organizations x 10,000 invoices plus one with
   1,000 (or reuses them when present; ``--reset`` rebuilds).
2. SQL queries per page and endpoint, and EXPLAIN of the list/detail/dashboard queries,
   in-process (Django test client + ``CaptureQueriesContext``).
3. HTTP load: gunicorn (``billora/gunicorn_conf.py``, 2 workers, bound to 127.0.0.1) with
   ``DJANGO_DEBUG=0``, a generated ``SECRET_KEY``; locust headless, one scenario at a time,
   a fixed number of users for a fixed time; every scenario side by side with the trivial
   authenticated ``GET /api/v1/ping/``. Scale: list/detail/dashboard on the 1,000- and the
   10,000-invoice organization.
4. PDF: render time of a 1-page and a 500-item invoice (``bench/pdf_render.py``'s data),
   and documents per second through a Celery worker with 2 processes.
"""

import argparse
import contextlib
import csv
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results" / "latest.md"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
HOST = "127.0.0.1"
BIG_TABLES = {
    "billing_invoice",
    "billing_invoiceitem",
    "billing_payment",
    "documents_invoicedocument",
    "audit_auditentry",
}
# (label, locust user class, org: "read" | "write", path to probe)
SCENARIOS = [
    ("API invoice list (page_size=50)", "ApiInvoiceListUser", "read", "/api/v1/invoices/"),
    ("API invoice detail", "ApiInvoiceDetailUser", "read", "/api/v1/invoices/{invoice}/"),
    ("API invoice create (10 items)", "ApiInvoiceCreateUser", "write", "/api/v1/invoices/"),
    ("API payment record", "ApiPaymentRecordUser", "write", "/api/v1/payments/"),
    ("Dashboard page (web)", "DashboardPageUser", "read", "/o/{slug}/"),
    ("Invoice list page (web)", "InvoiceListPageUser", "read", "/o/{slug}/invoices/"),
]
SCALE = [
    ("API invoice list (page_size=50)", "ApiInvoiceListUser", "/api/v1/invoices/"),
    ("API invoice detail", "ApiInvoiceDetailUser", "/api/v1/invoices/{invoice}/"),
    ("Dashboard page (web)", "DashboardPageUser", "/o/{slug}/"),
]
# The throughput targets, as a share of the ping's requests per second.
RPS_TARGETS = {"API invoice list (page_size=50)": 0.40, "API invoice create (10 items)": 0.25}


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def refuse(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


# --- environment ------------------------------------------------------------------------------


def check_services() -> None:
    database = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL", "")
    if not database.startswith(("postgres://", "postgresql://", "pgsql://")):
        refuse(
            "DATABASE_URL must point to PostgreSQL (the benchmark measures the production setup), e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench "
            "REDIS_URL=redis://127.0.0.1:6379/9 make bench"
        )
    if not redis.startswith(("redis://", "rediss://")):
        refuse("REDIS_URL must point to Redis (cache, throttling and the Celery broker), e.g. redis://127.0.0.1:6379/9")


def bench_environment() -> dict:
    """What the app processes of the benchmark run with (this process included)."""
    WORK.mkdir(parents=True, exist_ok=True)
    return {
        "DJANGO_SETTINGS_MODULE": "billora.settings",
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},localhost,testserver",
        # The load comes from one key at a time: the throttle would cap it at 120/minute.
        # It stays active (counted in Redis), only with a limit the benchmark never hits.
        "API_THROTTLE_RATE": "100000000/minute",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(WORK / "media"),
        "STATIC_ROOT": str(WORK / "static"),
        # Pages look static files up in the manifest exactly as in production; WhiteNoise's
        # compression only matters for serving the files, which the benchmark never requests,
        # and it takes minutes of collectstatic on a 2-core machine.
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        # No worker recycling in the middle of a 20 s measurement.
        "GUNICORN_MAX_REQUESTS": "0",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


def ensure_database() -> None:
    """Create the benchmark database when it does not exist yet (fresh machine)."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    params = {
        "host": config.get("HOST") or HOST,
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    name = config["NAME"]
    try:
        psycopg.connect(dbname=name, connect_timeout=5, **params).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            refuse(f"cannot connect to PostgreSQL: {exc}")
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    say(f"created database {name}")


def manage(*args, env) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=900)


def static_outdated() -> bool:
    """collectstatic (with WhiteNoise's compression) is slow: run it only when a file under
    static/ or a requirements file is newer than the manifest it wrote last time."""
    manifest = WORK / "static" / "staticfiles.json"
    if not manifest.exists():
        return True
    sources = [*(ROOT / "static").rglob("*"), *ROOT.glob("requirements*.txt")]
    newest = max((path.stat().st_mtime for path in sources if path.is_file()), default=0)
    return newest > manifest.stat().st_mtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def process(name, command, *, env, log_path):
    """A child process in its own session, stopped (SIGTERM, then SIGKILL) on the way out."""
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)
        log.close()
        say(f"{name} stopped")


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}){memory}"


def load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


# --- fixtures for the load ----------------------------------------------------------------------


def session_for(user):
    """A logged-in session in the database, as the login form would leave it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def org_fixture(org, *, write: bool) -> dict:
    """Ids and credentials the locust users of one organization need."""
    from django.db.models import Q

    from billing.models import Business, Customer, Invoice, InvoiceStatus
    from organizations.models import Membership, Organization
    from organizations.permissions import Role
    from organizations.tenancy import organization_scope

    organization = Organization.objects.get(slug=org.slug)
    with organization_scope(organization):
        user = Membership.objects.select_related("user").get(organization=organization, role=Role.OWNER).user
        invoices = Invoice.objects.filter(organization=organization)
        fixture = {
            "org_slug": org.slug,
            "api_key": org.api_key,
            "invoice_ids": [
                str(pk) for pk in invoices.exclude(status="draft").order_by("?").values_list("pk", flat=True)[:300]
            ],
            "user": user,
        }
        if write:
            business = Business.objects.filter(organization=organization, default_currency="EUR").first()
            fixture["business_id"] = str(business.pk)
            fixture["customer_ids"] = [
                str(pk)
                for pk in Customer.objects.filter(
                    organization=organization, currency="EUR", archived=False
                ).values_list("pk", flat=True)
            ]
            fixture["open_invoice_ids"] = [
                str(pk)
                for pk in invoices.filter(
                    Q(status=InvoiceStatus.ISSUED) | Q(status=InvoiceStatus.PARTIALLY_PAID),
                    currency="EUR",
                    balance_due__gte=100,
                )
                .order_by("?")
                .values_list("pk", flat=True)[:600]
            ]
            # Yesterday in the organization's time zone: never "in the future" for the service.
            fixture["payment_date"] = (organization.local_today() - timedelta(days=1)).isoformat()
    return fixture


# --- in-process: SQL query counts and EXPLAIN ---------------------------------------------------


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path.split("?")[0])
    except Resolver404:
        return False
    return True


def captured(client, method, path, **kwargs):
    """(status, [sql, ...]) of the second of two identical requests (warm caches)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call = getattr(client, method.lower())
    call(path, **kwargs)
    with CaptureQueriesContext(connection) as queries:
        response = call(path, **kwargs)
    return response.status_code, [query["sql"] for query in queries.captured_queries]


def query_counts(read, write, small) -> tuple[list, dict]:
    """SQL queries per request for the main pages and endpoints; also returns the SQL of the
    list/detail/dashboard requests for EXPLAIN."""
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {read['api_key']}")
    api_write = Client(HTTP_AUTHORIZATION=f"Bearer {write['api_key']}")
    web = Client()
    web.force_login(read["user"])
    slug, invoice = read["org_slug"], read["invoice_ids"][0]
    customer = write["customer_ids"][0]
    create_body = {
        "business": write["business_id"],
        "customer": customer,
        "items": [
            {"description": f"Item {n}", "quantity": "1.5", "unit_price": "120.00", "tax_rate": "19"} for n in range(10)
        ],
    }
    payment_body = {
        "invoice": write["open_invoice_ids"][-1],
        "amount": "0.01",
        "date": write["payment_date"],
        "method": "bank_transfer",
    }
    checks = [
        ("API", "ping", api, "GET", "/api/v1/ping/", {}),
        ("API", "invoice list, page_size=10", api, "GET", "/api/v1/invoices/?page_size=10", {}),
        ("API", "invoice list, page_size=50", api, "GET", "/api/v1/invoices/?page_size=50", {}),
        ("API", "invoice list, page_size=100", api, "GET", "/api/v1/invoices/?page_size=100", {}),
        ("API", "invoice list, overdue filter", api, "GET", "/api/v1/invoices/?overdue=true&page_size=50", {}),
        ("API", "invoice detail", api, "GET", f"/api/v1/invoices/{invoice}/", {}),
        ("API", "invoice create (10 items)", api_write, "POST", "/api/v1/invoices/", {"data": create_body}),
        ("API", "payment record", api_write, "POST", "/api/v1/payments/", {"data": payment_body}),
        ("API", "customer list", api, "GET", "/api/v1/customers/?page_size=50", {}),
        ("API", "payment list", api, "GET", "/api/v1/payments/?page_size=50", {}),
        ("API", "audit events", api, "GET", "/api/v1/audit-events/?page_size=50", {}),
        ("web", "dashboard", web, "GET", f"/o/{slug}/", {}),
        ("web", "invoice list", web, "GET", f"/o/{slug}/invoices/", {}),
        ("web", "invoice list, overdue tab", web, "GET", f"/o/{slug}/invoices/?status=overdue", {}),
        ("web", "invoice detail", web, "GET", f"/o/{slug}/invoices/{invoice}/", {}),
        ("web", "customer list", web, "GET", f"/o/{slug}/customers/", {}),
        ("web", "activity", web, "GET", f"/o/{slug}/activity/", {}),
        ("web", "businesses", web, "GET", f"/o/{slug}/settings/businesses/", {}),
    ]
    rows, sql = [], {}
    for kind, label, client, method, path, kwargs in checks:
        if not _resolves(path):
            rows.append((kind, label, method, path, None, "not available"))
            continue
        if method == "POST":
            kwargs = {**kwargs, "content_type": "application/json"}
            status, queries = _post_once(client, path, kwargs)
        else:
            status, queries = captured(client, method, path, **kwargs)
        rows.append((kind, label, method, path.replace(invoice, "{id}"), len(queries), status))
        sql[(kind, label)] = queries
    # Same page, 1,000-invoice organization: the count must not depend on the data size.
    small_api = Client(HTTP_AUTHORIZATION=f"Bearer {small['api_key']}")
    status, queries = captured(small_api, "GET", "/api/v1/invoices/?page_size=50")
    rows.append(
        ("API", "invoice list, page_size=50 (1,000-invoice org)", "GET", "/api/v1/invoices/", len(queries), status)
    )
    return rows, sql


def _post_once(client, path, kwargs):
    # Writes are measured once each (a second identical POST is a different operation).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, **kwargs)
    return response.status_code, [query["sql"] for query in queries.captured_queries]


def explain(sql_by_page) -> list:
    """EXPLAIN (plan only) of every SELECT of the main read pages; lists sequential scans on
    the big tables (there should be none: every index leads with the organization)."""
    from django.db import connection

    pages = [
        ("API", "invoice list, page_size=50"),
        ("API", "invoice list, overdue filter"),
        ("API", "invoice detail"),
        ("web", "dashboard"),
        ("web", "invoice list"),
        ("web", "invoice detail"),
    ]
    rows = []
    for page in pages:
        if page not in sql_by_page:
            rows.append((*page, None, None, "not available", set(), []))
            continue
        explained, seq_scans, indexes, offenders = 0, [], set(), []
        for sql in sql_by_page[page]:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            explained += 1
            for node in _nodes(plan[0]["Plan"]):
                relation = node.get("Relation Name")
                if node.get("Index Name"):
                    indexes.add(node["Index Name"])
                if node["Node Type"] == "Seq Scan" and relation in BIG_TABLES:
                    seq_scans.append(relation)
                    offenders.append(f"{relation} in: {' '.join(sql.split())[:400]}")
        rows.append(
            (*page, len(sql_by_page[page]), explained, ", ".join(sorted(set(seq_scans))) or "none", indexes, offenders)
        )
    return rows


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


# --- HTTP load ----------------------------------------------------------------------------------


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL built here
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s (see {WORK / 'gunicorn.log'})")


def run_locust(user_class: str, config: dict, *, users: int, seconds: int, env: dict, tag: str) -> dict:
    config_path = WORK / f"locust-{tag}.config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    prefix = WORK / f"locust-{tag}"
    for stale in WORK.glob(f"locust-{tag}[._]*"):
        if stale != config_path:
            stale.unlink()
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        user_class,
    ]
    with open(WORK / f"locust-{tag}.log", "w", encoding="utf-8") as log:
        subprocess.run(
            [*command, "--json-file", str(prefix)],  # locust adds ".json"
            cwd=ROOT,
            env={**env, "BENCH_LOCUST_CONFIG": str(config_path)},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 90,
            check=False,
        )
    try:
        entries = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entries = []
    failures = []
    with contextlib.suppress(OSError), open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        failures = [f"{r['Occurrences']}x {r['Error'][:160]}" for r in csv.DictReader(handle)]
    return summarize(entries, failures)


def summarize(entries: list, failures: list) -> dict:
    """Requests, failures, requests/s and latency percentiles from locust's final JSON stats
    (its response-time histogram: exact below 100 ms, 2 significant digits above)."""
    histogram: dict[float, int] = {}
    requests = failed = 0
    first, last = None, None
    for entry in entries:
        requests += entry["num_requests"]
        failed += entry["num_failures"]
        for millis, count in entry["response_times"].items():
            histogram[float(millis)] = histogram.get(float(millis), 0) + count
        first = entry["start_time"] if first is None else min(first, entry["start_time"])
        if entry.get("last_request_timestamp"):
            last = max(last or 0, entry["last_request_timestamp"])
    elapsed = (last - first) if first and last and last > first else None

    def percentile(share):
        if not histogram:
            return float("nan")
        target, seen = share * sum(histogram.values()), 0
        for millis in sorted(histogram):
            seen += histogram[millis]
            if seen >= target:
                return millis
        return max(histogram)

    return {
        "requests": requests,
        "failures": failed,
        "rps": requests / elapsed if elapsed else 0.0,
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "errors": failures,
    }


def locust_config(fixture: dict, base_url: str, ping_path: str, session) -> dict:
    config = {key: value for key, value in fixture.items() if key != "user"}
    config.update(host=base_url, ping_path=ping_path, session_cookie_name=session[0], session_key=session[1])
    return config


def http_load(read, write, small, *, env, users, seconds, scale_seconds) -> dict:
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    gunicorn_env = {**env, "GUNICORN_BIND": f"{HOST}:{port}"}
    command = [str(BIN / "gunicorn"), "-c", "billora/gunicorn_conf.py", "billora.wsgi:application"]
    ping_path = "/api/v1/ping/" if _resolves("/api/v1/ping/") else "/api/v1/businesses/"
    sessions = {org["org_slug"]: session_for(org["user"]) for org in (read, write, small)}
    configs = {
        "read": locust_config(read, base_url, ping_path, sessions[read["org_slug"]]),
        "write": locust_config(write, base_url, ping_path, sessions[write["org_slug"]]),
        "small": locust_config(small, base_url, ping_path, sessions[small["org_slug"]]),
    }
    results = {"ping_path": ping_path, "scenarios": [], "scale": [], "users": users, "seconds": seconds}
    with process("gunicorn", command, env=gunicorn_env, log_path=WORK / "gunicorn.log"):
        wait_http(f"{base_url}/healthz")
        say(f"gunicorn up on {base_url} (2 workers); {users} users, {seconds} s per scenario")
        # Warm-up: every worker imports, compiles templates and opens its connections once.
        run_locust("PingUser", configs["read"], users=users, seconds=3, env=env, tag="warmup")
        plan = [("Trivial authenticated endpoint (ping)", "PingUser", "read", ping_path)]
        plan += SCENARIOS
        plan += [("Trivial authenticated endpoint (ping, again at the end)", "PingUser", "read", ping_path)]
        for label, user_class, org, path in plan:
            config = configs[org]
            probe = path.format(invoice=config["invoice_ids"][0], slug=config["org_slug"])
            if not _resolves(probe):
                results["scenarios"].append({"label": label, "available": False})
                say(f"{label}: not available ({probe} does not resolve)")
                continue
            say(f"{label} ...")
            outcome = run_locust(user_class, config, users=users, seconds=seconds, env=env, tag=user_class + org)
            results["scenarios"].append({"label": label, "available": True, **outcome})
            say(f"  {outcome['rps']:.1f} req/s, p50 {outcome['p50']:.0f} ms, failures {outcome['failures']}")
        # Scale: one user, so the latency is the request's own cost, not queueing. Small and
        # big alternate (small, big, big, small) so a drift in the machine's load cancels out.
        for label, user_class, path in SCALE:
            row = {"label": label}
            if not all(
                _resolves(path.format(invoice=configs[org]["invoice_ids"][0], slug=configs[org]["org_slug"]))
                for org in ("small", "read")
            ):
                results["scale"].append(row)
                continue
            runs = {"small": [], "read": []}
            for org in ("small", "read", "read", "small"):
                runs[org].append(
                    run_locust(user_class, configs[org], users=1, seconds=scale_seconds, env=env, tag=f"scale-{org}")
                )
            for org, outcomes in runs.items():
                row[org] = {key: statistics.mean(o[key] for o in outcomes) for key in ("rps", "p50", "p95", "p99")}
            results["scale"].append(row)
            say(f"scale {label}: p50 {row['small']['p50']:.0f} ms vs {row['read']['p50']:.0f} ms")
    return results


# --- PDF --------------------------------------------------------------------------------------


def pdf_render_times(runs: int) -> list:
    from bench import pdf_render
    from documents.pdf import render_invoice_pdf

    rows = []
    render_invoice_pdf(pdf_render.make_data(1))  # fonts registered once, as in a worker
    for label, items, count in (("1 page (10 items)", 10, runs), ("500 items", 500, max(3, runs // 4))):
        data = pdf_render.make_data(items)
        pdf = render_invoice_pdf(data)
        walls, cpus = [], []
        for _ in range(count):
            wall, cpu = time.perf_counter(), time.process_time()
            render_invoice_pdf(data)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        rows.append((label, count, len(pdf), statistics.median(walls), statistics.median(cpus)))
    return rows


def pdf_throughput(write, *, env, documents: int, timeout: float = 240) -> dict:
    """Documents per second: enqueue ``documents`` renders of 1-page invoices with no fresh
    document, with a Celery worker of 2 processes consuming them, until all are ready."""
    from django.db.models import Exists, OuterRef

    from billing.models import Invoice
    from billora.celery import app
    from documents.models import InvoiceDocument
    from documents.tasks import render_invoice_document
    from organizations.models import Organization
    from organizations.tenancy import organization_scope

    organization = Organization.objects.get(slug=write["org_slug"])
    # Render jobs enqueued by the load test's writes would compete with the measured ones.
    purged = app.control.purge()
    command = [
        str(BIN / "celery"),
        "-A",
        "billora",
        "worker",
        "-c",
        "2",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"bench-{os.getpid()}@%h",
    ]
    with organization_scope(organization):
        ready = InvoiceDocument.objects.filter(
            organization=organization,
            invoice=OuterRef("pk"),
            invoice_version=OuterRef("version"),
            status=InvoiceDocument.Status.READY,
        )
        candidates = list(
            Invoice.objects.filter(organization=organization)
            .exclude(status="draft")
            .filter(~Exists(ready))
            .order_by("created_at")
            .values_list("pk", "version")[: documents + 4]
        )
    if len(candidates) < documents + 4:
        return {"error": f"only {len(candidates)} invoices without a fresh document left in {write['org_slug']}"}
    warmup, measured = candidates[:4], candidates[4:]

    def wait_ready(batch, deadline):
        ids = [pk for pk, _ in batch]
        while time.monotonic() < deadline:
            with organization_scope(organization):
                states = InvoiceDocument.objects.filter(organization=organization, invoice_id__in=ids)
                done = states.filter(status=InvoiceDocument.Status.READY).count()
                failed = states.filter(status=InvoiceDocument.Status.FAILED).count()
            if done + failed >= len(ids):
                return done, failed
            time.sleep(0.1)
        return done, failed

    with process("celery worker", command, env=env, log_path=WORK / "celery.log"):
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline:
                return {"error": f"the Celery worker did not answer within 60 s (see {WORK / 'celery.log'})"}
        for pk, version in warmup:
            render_invoice_document.apply_async(args=[str(pk), version])
        wait_ready(warmup, time.monotonic() + 60)
        started = time.monotonic()
        for pk, version in measured:
            render_invoice_document.apply_async(args=[str(pk), version])
        done, failed = wait_ready(measured, started + timeout)
        elapsed = time.monotonic() - started
    return {
        "documents": len(measured),
        "ready": done,
        "failed": failed,
        "seconds": elapsed,
        "per_second": done / elapsed if elapsed else 0,
        "purged": purged,
    }


# --- report ---------------------------------------------------------------------------------


def _ms(value) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def report(meta, data, counts, plans, http, render_rows, throughput) -> str:
    lines = [
        "# Billora benchmark results",
        "",
        f"- Run: {meta['date']} (git {meta['commit']}), {meta['duration']:.0f} s in all",
        f"- Machine: {meta['machine']}; load average at start {meta['load_start']}, at end {meta['load_end']}",
        f"- Software: Python {platform.python_version()}, {meta['postgres']}, Redis {meta['redis']}",
        f"- Reproduce: `{meta['command']}`",
        "",
        "## Data",
        "",
        "| organizations | invoices per org | invoices in the database | items | payments | built |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| {len(data.orgs)} (incl. 1 small) | {meta['invoices']:,} (small: {meta['small']:,}) | "
        f"{data.total_invoices:,} | {data.total_items:,} | {data.total_payments:,} | " + data.note + " |",
        "",
    ]
    if http:
        available = [s for s in http["scenarios"] if s.get("available")]
        pings = [s for s in available if s["label"].startswith("Trivial")]
        ping_rps = statistics.mean(s["rps"] for s in pings) if pings else None
        ping_p50 = statistics.mean(s["p50"] for s in pings) if pings else None
        lines += [
            f"## HTTP load (gunicorn 2 workers on 127.0.0.1, locust headless, {http['users']} users back to back, "
            f"{http['seconds']} s per scenario, organization with {meta['invoices']:,} invoices)",
            "",
            f"Baseline: `GET {http['ping_path']}` (trivial authenticated endpoint), measured at the start and the "
            "end of the same run; ratios use their mean.",
            "",
            "| scenario | requests | failures | req/s | p50 ms | p95 ms | p99 ms | req/s vs ping | p50 vs ping "
            "| target |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for s in http["scenarios"]:
            if not s.get("available"):
                lines.append(f"| {s['label']} | not available | | | | | | | | |")
                continue
            share = s["rps"] / ping_rps if ping_rps else 0
            target = RPS_TARGETS.get(s["label"])
            verdict = f">= {target:.0%} of ping: {'met' if share >= target else 'MISSED'}" if target else ""
            lines.append(
                f"| {s['label']} | {s['requests']:,} | {s['failures']} | {s['rps']:.1f} | {_ms(s['p50'])} | "
                f"{_ms(s['p95'])} | {_ms(s['p99'])} | {share:.0%} | {s['p50'] / ping_p50 if ping_p50 else 0:.1f}x | "
                f"{verdict} |"
            )
        errors = [(s["label"], e) for s in available for e in s.get("errors", [])]
        if errors:
            lines += ["", "Failures:", ""] + [f"- {label}: {error}" for label, error in errors]
        lines += [
            "",
            f"## Scale (1 user, latency of the request itself; {meta['small']:,} vs {meta['invoices']:,} invoices in "
            f"the organization, {data.total_invoices:,} in the database)",
            "",
            f"| endpoint | {meta['small']:,}: p50 / p95 ms | {meta['invoices']:,}: p50 / p95 ms | p50 ratio "
            f"| req/s {meta['small']:,} / {meta['invoices']:,} |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for row in http["scale"]:
            small, big = row.get("small"), row.get("read")
            if not small or not big:
                lines.append(f"| {row['label']} | not available | | | |")
                continue
            lines.append(
                f"| {row['label']} | {_ms(small['p50'])} / {_ms(small['p95'])} | {_ms(big['p50'])} / {_ms(big['p95'])} "
                f"| {big['p50'] / small['p50'] if small['p50'] else 0:.2f} | {small['rps']:.1f} / {big['rps']:.1f} |"
            )
    lines += [
        "",
        f"## EXPLAIN of the main read queries ({meta['invoices']:,}-invoice organization)",
        "",
        "| page | queries | SELECTs explained | sequential scans on big tables | indexes used |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    offenders = []
    for kind, label, total, explained, seq, indexes, found in plans:
        if total is None:
            lines.append(f"| {kind} {label} | not available | | | |")
            continue
        lines.append(f"| {kind} {label} | {total} | {explained} | {seq} | {', '.join(sorted(indexes))} |")
        offenders += [f"- {kind} {label}: sequential scan on {text}" for text in found]
    if offenders:
        lines += ["", "Queries planned with a sequential scan on a big table:", "", *offenders]
    lines += [
        "",
        f"Big tables: {', '.join(sorted(BIG_TABLES))}. Plans after `VACUUM (ANALYZE)` of the bulk-loaded tables.",
        "",
        "## PDF",
        "",
        "| invoice | renders | size | median wall ms | median CPU ms | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    targets = {"1 page (10 items)": 25, "500 items": 1000}
    for label, count, size, wall, cpu in render_rows:
        target = targets[label]
        lines.append(
            f"| {label} | {count} | {size // 1024} KiB | {wall:.1f} | {cpu:.1f} | "
            f"< {target} ms: {'met' if cpu < target else 'MISSED'} (CPU) |"
        )
    lines.append("")
    if throughput is None:
        lines.append("Documents per second: not measured (--skip-pdf-worker).")
    elif "error" in throughput:
        lines.append(f"Documents per second: not available ({throughput['error']}).")
    else:
        lines.append(
            f"Documents per second with one Celery worker of 2 processes (`celery -A billora worker -c 2`, Redis "
            f"broker), 1-page invoices rendered and stored through `render_invoice_document`: "
            f"**{throughput['per_second']:.1f} documents/s** ({throughput['ready']} of {throughput['documents']} "
            f"ready, {throughput['failed']} failed, in {throughput['seconds']:.1f} s)."
        )
    lines += [
        "",
        "## SQL queries per request (in-process, second of two identical requests; writes once)",
        "",
        "| kind | page or endpoint | method | path | queries | status |",
        "| --- | --- | --- | --- | ---: | --- |",
    ]
    for kind, label, method, path, total, status in counts:
        lines.append(f"| {kind} | {label} | {method} | `{path}` | {'' if total is None else total} | {status} |")
    lines += ["", *meta["notes"], ""]
    return "\n".join(lines)


def versions() -> tuple[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    redis_version = "?"
    with contextlib.suppress(Exception):
        import redis

        redis_version = redis.Redis.from_url(os.environ["REDIS_URL"]).info()["redis_version"]
    return postgres, redis_version


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--reset", action="store_true", help="rebuild the data (empties the bench database)")
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users (default 8)")
    parser.add_argument("--seconds", type=int, default=20, help="seconds per load scenario (default 20)")
    parser.add_argument("--scale-seconds", type=int, default=10, help="seconds per scale run, 4 per endpoint (10)")
    parser.add_argument("--documents", type=int, default=100, help="PDFs rendered by the Celery worker")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-pdf-worker", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.small < 1 or args.orgs < 2:
        refuse("the benchmark needs --orgs >= 2 (one for reads, one for writes) and --small >= 1")

    check_services()
    started = time.monotonic()
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_start": load(),
        "invoices": args.invoices,
        "small": args.small,
        "command": "make bench" + (f" BENCH_ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else ""),
        "notes": [],
    }
    meta["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    env_overrides = bench_environment()
    os.environ.update(env_overrides)
    env = dict(os.environ)
    ensure_database()
    say("migrate and collectstatic")
    manage("migrate", "--noinput", "-v0", env=env)
    if static_outdated():
        manage("collectstatic", "--noinput", "-v0", env=env)

    import django

    django.setup()
    import logging

    from bench.build_data import SMALL_SLUG, ensure_data

    # One log line per in-process request would bury the progress lines (gunicorn's go to its log).
    logging.getLogger("billora.requests").setLevel(logging.WARNING)

    say("data")
    data = ensure_data(
        args.orgs, args.invoices, args.small, reset_first=args.reset, parallel=True, record=True, log=say
    )
    say(f"data ready: {data.total_invoices:,} invoices in the database")
    read = org_fixture(data.org("bench-01"), write=False)
    write = org_fixture(data.org("bench-02"), write=True)
    small = org_fixture(data.org(SMALL_SLUG), write=False)
    meta["postgres"], meta["redis"] = versions()

    say("SQL query counts and EXPLAIN")
    counts, sql = query_counts(read, write, small)
    plans = explain(sql)

    http = None
    if not args.skip_http:
        http = http_load(
            read, write, small, env=env, users=args.users, seconds=args.seconds, scale_seconds=args.scale_seconds
        )
        if http["ping_path"] != "/api/v1/ping/":
            meta["notes"].append(f"Note: /api/v1/ping/ is missing; the baseline is `GET {http['ping_path']}`.")

    say("PDF render times")
    render_rows = pdf_render_times(20)
    throughput = None
    if not args.skip_pdf_worker:
        say(f"PDF throughput: {args.documents} documents, Celery worker with 2 processes")
        throughput = pdf_throughput(write, env=env, documents=args.documents)

    meta["notes"] += [
        "Notes:",
        "",
        "- locust, gunicorn, PostgreSQL, Redis and the Celery worker share the machine's CPUs; the ratios to the "
        "ping, measured in the same run, are the numbers to compare between machines.",
        "- gunicorn runs `billora/gunicorn_conf.py` with 2 sync workers, `DJANGO_DEBUG=0`, a generated "
        "`SECRET_KEY`, `GUNICORN_MAX_REQUESTS=0` (no worker recycling mid-measurement) and the API throttle raised "
        "out of reach (still counted in Redis).",
        "- The data is generated in bulk (not through the services, for speed); every stored amount comes from "
        "`billing.calc`, numbers are gapless per business, and the database constraints hold.",
        "- Web pages use a session created for the benchmark organization's owner (Django's `force_login`).",
    ]
    meta["load_end"] = load()
    meta["duration"] = time.monotonic() - started
    text = report(meta, data, counts, plans, http, render_rows, throughput)
    print()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    say(f"written to {args.output}")


if __name__ == "__main__":
    main()
