"""Scale-out: the API invoice list and a 10-item invoice POST through 1 and through 2 web
processes, side by side in one run, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/scaleout.py [--invoices 10000] [--rounds 4] [--seconds 4] [--clients 4]

A "web process" is one gunicorn master with ``--workers`` workers (default 1): what one more
web machine adds. With two, the clients are spread over both (client i talks to process
i mod 2). Every configuration's processes run for the whole benchmark and the configurations
take turns in short rounds (configuration, then scenario), so the drift of a shared machine's
speed weighs on all of them alike. On one machine the processes share its cores and the
database with the load generator: the ratio shows how far the app scales out when the CPU
allows it, not what separate machines would give.

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

from bench.api_throughput import ITEMS, client_loop, free_port, prepare, remove_posted_drafts, summary  # noqa: E402


@dataclass
class Configuration:
    """Web processes started with the same environment. Row-level security on and off will be
    two more configurations here, ``env`` carrying its switch; the table compares them all."""

    label: str
    processes: int
    env: dict = field(default_factory=dict)
    servers: list = field(default_factory=list)

    @property
    def ports(self) -> list[int]:
        return [port for port, _process in self.servers]


CONFIGURATIONS = [
    Configuration("1 web process", 1),
    Configuration("2 web processes", 2),
]


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
    latencies = {(c.label, name): [] for c in CONFIGURATIONS for name, *_ in scenarios}
    try:
        for configuration in CONFIGURATIONS:
            for _ in range(configuration.processes):
                port = free_port()
                process = start_web_process(port, workers=options.workers, env=configuration.env)
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
    results = {key: summary(values, seconds) for key, values in latencies.items()}
    print(
        f"\nScale-out: {options.clients} keep-alive clients, gunicorn {options.workers} worker(s) per web process, "
        f"{options.rounds} rounds of {options.seconds:g} s per configuration and scenario, "
        f"{os.cpu_count()} CPUs shared by everything\n"
    )
    print("| configuration | scenario | requests | req/s | p50 ms | p95 ms | vs 1 web process |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    baseline = CONFIGURATIONS[0].label
    for name, method, path, *_ in scenarios:
        for configuration in CONFIGURATIONS:
            r = results[(configuration.label, name)]
            ratio = r["rps"] / results[(baseline, name)]["rps"]
            print(
                f"| {configuration.label} | {name} ({method} {path}) | {r['requests']} | {r['rps']:.0f} | "
                f"{r['p50']:.1f} | {r['p95']:.1f} | {ratio:.2f}x |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
