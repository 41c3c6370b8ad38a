"""Scale-out and row-level security: the API invoice list and a 10-item invoice POST through
1 and through 2 web processes, each with PostgreSQL row-level security on and off, side by
side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/scaleout.py [--invoices 10000] [--rounds 4] [--seconds 4] [--clients 4]

A "web process" is one gunicorn master with ``--workers`` workers (default 1): what one more
web machine adds. With two, the clients are spread over both (client i talks to process
i mod 2). Every configuration's processes run for the whole benchmark and the configurations
take turns in short rounds (configuration, then scenario), so the drift of a shared machine's
speed weighs on all of them alike. On one machine the processes share its cores and the
database with the load generator: the ratio shows how far the app scales out when the CPU
allows it, not what separate machines would give.

Row-level security off: ``BILLORA_RLS=0``, connecting as ``DATABASE_URL``'s role (the tables'
owner, which the policies do not bind). On: ``BILLORA_RLS=1``, connecting as ``APP_ROLE``, a
role the policies bind, made and granted here (``manage.py grant_app_role``) like production's.
The difference is the whole cost of the second wall: the per-transaction settings and the
policies' row checks.

Data and helpers come from ``bench/api_throughput.py`` (two organizations of ``--invoices``
invoices: the list reads one, the POSTs write to the other and are removed afterwards).
Everything binds and talks to 127.0.0.1; loops are bounded by ``--seconds``. Prints one markdown table.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

from bench.api_throughput import ITEMS, client_loop, free_port, prepare, remove_posted_drafts, summary  # noqa: E402

APP_ROLE = "billora_app_bench"


@dataclass
class Configuration:
    """Web processes started with the same environment (``rls`` picks the switch and role)."""

    processes: int
    rls: bool
    servers: list = field(default_factory=list)

    @property
    def label(self) -> str:
        processes = "1 web process" if self.processes == 1 else f"{self.processes} web processes"
        return f"{processes}, RLS {'on' if self.rls else 'off'}"

    @property
    def ports(self) -> list[int]:
        return [port for port, _process in self.servers]

    def env(self, app_database_url: str) -> dict:
        if self.rls:
            return {"BILLORA_RLS": "1", "DATABASE_URL": app_database_url}
        return {"BILLORA_RLS": "0"}


CONFIGURATIONS = [
    Configuration(1, rls=False),
    Configuration(1, rls=True),
    Configuration(2, rls=False),
    Configuration(2, rls=True),
]


def app_database_url() -> str:
    """DATABASE_URL with APP_ROLE as the user: the role is made if missing (no password: the
    benchmark's server trusts local connections) and granted its rights by the owner."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    call_command("grant_app_role", APP_ROLE)
    connection.close()
    url = urlsplit(os.environ["DATABASE_URL"])
    host = url.netloc.rpartition("@")[2]
    return urlunsplit(url._replace(netloc=f"{APP_ROLE}@{host}"))


def start_web_process(port: int, *, workers: int, env: dict) -> subprocess.Popen:
    environment = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_MAX_REQUESTS": "0",  # no recycling mid-measurement
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "API_THROTTLE_RATE": "100000000/minute",  # the benchmark measures the endpoints
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "billora.wsgi", "-c", str(ROOT / "billora/gunicorn_conf.py")],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
    )


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the web process on port {port} exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the web process on port {port} did not start")


def run_spread(ports, method, path, body, key, seconds, clients) -> list[float]:
    """Latencies (s) of ``clients`` client processes looping on one request, client i on
    ``ports[i % len(ports)]``."""
    jobs = [(ports[i % len(ports)], method, path, body, key, seconds) for i in range(clients)]
    with ProcessPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(client_loop, jobs))
    errors = sum(result[1] for result in results)
    if errors:
        raise SystemExit(f"{method} {path}: {errors} error responses; the benchmark would be meaningless.")
    return [latency for result in results for latency in result[0]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of every configuration and scenario")
    parser.add_argument("--seconds", type=float, default=4.0, help="per configuration, scenario and round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per web process")
    options = parser.parse_args()

    (read_key, _read_organization), (write_key, business, customer, write_organization) = prepare(options.invoices)
    invoice_body = json.dumps({"business": business, "customer": customer, "items": ITEMS}).encode()
    scenarios = [
        ("list", "GET", "/api/v1/invoices/?page_size=50", None, read_key),
        ("create", "POST", "/api/v1/invoices/", invoice_body, write_key),
    ]
    app_url = app_database_url()
    latencies = {(c.label, name): [] for c in CONFIGURATIONS for name, *_ in scenarios}
    try:
        for configuration in CONFIGURATIONS:
            for _ in range(configuration.processes):
                port = free_port()
                process = start_web_process(port, workers=options.workers, env=configuration.env(app_url))
                configuration.servers.append((port, process))
                wait_for_port(port, process)
        for configuration in CONFIGURATIONS:  # warm-up: imports, caches, connections
            for _name, method, path, body, key in scenarios:
                run_spread(configuration.ports, method, path, body, key, 1, options.clients)
        for _ in range(options.rounds):
            for configuration in CONFIGURATIONS:
                for name, method, path, body, key in scenarios:
                    measured = run_spread(
                        configuration.ports, method, path, body, key, options.seconds, options.clients
                    )
                    latencies[(configuration.label, name)] += measured
    finally:
        for configuration in CONFIGURATIONS:
            for _port, process in configuration.servers:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(30)
        remove_posted_drafts(write_organization)

    seconds = options.rounds * options.seconds
    print_table(options, scenarios, {key: summary(values, seconds) for key, values in latencies.items()})
    return 0


def print_table(options, scenarios, results) -> None:
    """One row per configuration and scenario; each compared with 1 web process (same RLS
    setting) and, for RLS on, with RLS off (same number of processes)."""
    print(
        f"\nScale-out: {options.clients} keep-alive clients, gunicorn {options.workers} worker(s) per web process, "
        f"{options.rounds} rounds of {options.seconds:g} s per configuration and scenario, "
        f"{os.cpu_count()} CPUs shared by everything\n"
    )
    print("| configuration | scenario | requests | req/s | p50 ms | p95 ms | vs 1 web process | RLS on vs off |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    by_shape = {(c.processes, c.rls): c.label for c in CONFIGURATIONS}
    for name, method, path, *_ in scenarios:
        for configuration in CONFIGURATIONS:
            r = results[(configuration.label, name)]
            scale = r["rps"] / results[(by_shape[(1, configuration.rls)], name)]["rps"]
            off = results[(by_shape[(configuration.processes, False)], name)]["rps"]
            cost = f"{(r['rps'] / off - 1) * 100:+.1f}%" if configuration.rls else ""
            print(
                f"| {configuration.label} | {name} ({method} {path}) | {r['requests']} | {r['rps']:.0f} | "
                f"{r['p50']:.1f} | {r['p95']:.1f} | {scale:.2f}x | {cost} |"
            )


if __name__ == "__main__":
    sys.exit(main())
