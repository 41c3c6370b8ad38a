"""Dashboard page at 1,000 / 10,000 / 100,000 invoices in one organization: p50 of the whole
request (middleware, queries, template), in-process through Django's test client.

Needs PostgreSQL and Redis (refuses otherwise); the data goes to its own database::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench_dashboard \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/dashboard_scale.py [--rounds 60]

The three organizations model one business at three ages: each has the same recent activity
(its last 13 months hold 1,000 invoices, drafts, open, overdue, paid and void ones, generated
as ``bench/build_data.py`` does), and the older invoices (0, 9,000 and 99,000, spread over the
ten years before) are settled, paid or void, as an organization's invoices mostly are a year
on. The dashboard reads the open invoices and the last 12 months, so it should cost the same in
all three; the ratio to the 1,000-invoice organization is the number to watch (target: within
1.2x at 100,000).

Requests alternate between the organizations round by round, so a drift in the machine's load
spreads over all three. Writes the table to ``bench/results/dashboard-<shape>.md``.

``--shape uniform`` measures ``bench/build_data.py``'s own shape instead (invoices spread evenly
over two years): there the last 12 months hold half of the invoices, so the open invoices and
the chart's months grow with the organization and no bounded read stays flat; it shows what
each extra recent row costs.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import bench_environment, check_services, ensure_database, machine, manage, static_outdated  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
RECENT_INVOICES = 1_000
RECENT_DAYS = 395  # 13 months: the 12-month chart and the open invoices live here
HISTORY_DAYS = 3_650
SIZES = [("bench-dash-1k", 1_000), ("bench-dash-10k", 10_000), ("bench-dash-100k", 100_000)]
# --shape uniform: build_data.py's own shape, invoices spread evenly over two years, so the
# last 12 months hold half of them: the recent activity itself grows 100-fold.
UNIFORM_SIZES = [("bench-dashu-1k", 1_000), ("bench-dashu-10k", 10_000), ("bench-dashu-100k", 100_000)]
TARGET_RATIO = 1.2


def say(message: str) -> None:
    print(f"[dashboard {datetime.now():%H:%M:%S}] {message}", flush=True)


def invoice_age(rng, index: int) -> int:
    """The first 1,000 invoices of every organization fall in the last 13 months; the rest
    are older history."""
    if index < RECENT_INVOICES:
        return rng.randrange(RECENT_DAYS)
    return RECENT_DAYS + 1 + rng.randrange(HISTORY_DAYS)


def ensure_orgs(sizes, generate) -> dict:
    """The three organizations (built once, reused afterwards): {slug: Organization}."""
    from bench.build_data import analyze, prepare_org, write_org
    from organizations.models import Organization

    existing = {org.slug: org for org in Organization.objects.filter(slug__in=[slug for slug, _ in sizes])}
    built = False
    for index, (slug, invoices) in enumerate(sizes, start=1):
        if slug in existing:
            continue
        started = time.perf_counter()
        _, organization, rows = prepare_org(slug, 90 + index, invoices, **generate)
        write_org(organization, rows)
        say(
            f"built {slug}: {len(rows[0]):,} invoices, {len(rows[2]):,} payments "
            f"in {time.perf_counter() - started:.0f} s"
        )
        existing[slug] = organization
        built = True
    if built:
        analyze()
    return existing


def owner_client(organization):
    from django.test import Client

    from organizations.models import Membership
    from organizations.permissions import Role
    from organizations.tenancy import organization_scope

    with organization_scope(organization):
        user = Membership.objects.select_related("user").get(organization=organization, role=Role.OWNER).user
    client = Client()
    client.force_login(user)
    return client


def queries_of(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def measure(orgs: dict, sizes, rounds: int) -> list[dict]:
    clients = {slug: owner_client(orgs[slug]) for slug, _ in sizes}
    paths = {slug: f"/o/{slug}/" for slug, _ in sizes}
    for slug, _ in sizes:  # warm-up: templates compiled, connections open, plans cached
        for _ in range(5):
            assert clients[slug].get(paths[slug]).status_code == 200
    timings = {slug: [] for slug, _ in sizes}
    order = [slug for slug, _ in sizes]
    for round_number in range(rounds):
        shift = round_number % len(order)
        for slug in order[shift:] + order[:shift]:
            started = time.perf_counter()
            response = clients[slug].get(paths[slug])
            timings[slug].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    rows = []
    for slug, invoices in sizes:
        values = sorted(timings[slug])
        rows.append(
            {
                "slug": slug,
                "invoices": invoices,
                "p50": statistics.median(values),
                "p95": values[int(len(values) * 0.95) - 1],
                "queries": queries_of(clients[slug], paths[slug]),
            }
        )
    return rows


SHAPES = {
    "history": (
        SIZES,
        {"age": invoice_age, "settled_after": RECENT_DAYS},
        f"each organization's last 13 months hold {RECENT_INVOICES:,} invoices (every status); the older ones "
        "are settled (paid or void), spread over the ten years before",
    ),
    "uniform": (
        UNIFORM_SIZES,
        {},
        "invoices spread evenly over two years as `bench/build_data.py` makes them (the last 12 months hold half "
        "of them, so the recent activity grows with the organization)",
    ),
}


def report(rows, meta) -> str:
    base = rows[0]["p50"]
    lines = [
        f"# Dashboard at 1,000 / 10,000 / 100,000 invoices in one organization ({meta['shape']} data)",
        "",
        f"- Run: {meta['date']} (git {meta['commit']}), {meta['rounds']} requests per organization, "
        f"alternating; {meta['machine']}; load average {meta['load_start']} at start, {meta['load_end']} at end",
        "- In-process (Django test client, `DJANGO_DEBUG=0`, PostgreSQL, Redis cache): the whole request, "
        "middleware, queries and template, without HTTP.",
        f"- Data: {SHAPES[meta['shape']][2]}.",
        "- Reproduce: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench_dashboard "
        f"REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/dashboard_scale.py --shape {meta['shape']}`",
        "",
        "| invoices in the organization | queries | p50 ms | p95 ms | p50 vs 1,000 | target |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = row["p50"] / base if base else 0
        target = ""
        if row["invoices"] == 100_000:
            target = f"<= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'}"
        lines.append(
            f"| {row['invoices']:,} | {row['queries']} | {row['p50']:.1f} | {row['p95']:.1f} | {ratio:.2f}x "
            f"| {target} |"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60, help="requests per organization (default 60)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="history", help="data shape (default history)")
    parser.add_argument("--output", type=Path, default=None, help="default bench/results/dashboard-<shape>.md")
    args = parser.parse_args()
    check_services()
    os.environ.update(bench_environment())
    ensure_database()
    say("migrate and collectstatic")
    manage("migrate", "--noinput", "-v0", env=dict(os.environ))
    if static_outdated():
        manage("collectstatic", "--noinput", "-v0", env=dict(os.environ))

    import logging
    import subprocess

    import django

    django.setup()
    logging.getLogger("billora.requests").setLevel(logging.WARNING)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_start": ", ".join(f"{v:.1f}" for v in os.getloadavg()),
        "rounds": args.rounds,
        "shape": args.shape,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip(),
    }
    sizes, generate, _ = SHAPES[args.shape]
    orgs = ensure_orgs(sizes, generate)
    say(f"measuring {args.rounds} rounds")
    rows = measure(orgs, sizes, args.rounds)
    meta["load_end"] = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    text = report(rows, meta)
    print(text)
    output = args.output or RESULTS_DIR / f"dashboard-{args.shape}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    say(f"written to {output}")


if __name__ == "__main__":
    main()
