"""One beat run with 10,000 due payment reminders and 1,000 due recurring invoices: wall time
of each job and the resident memory of the process running them (a worker's), sampled every
0.2 s. Target: under a minute, memory flat (the jobs read candidates in chunks).

Needs PostgreSQL and Redis (refuses otherwise); the data goes to its own database::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench_reminders \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/reminders_scale.py [--reminders 10000]

Each run builds fresh organizations (10 by default, each with its share of issued invoices
that fell due 7 days ago on a business whose schedule has a step at +7 days, one business in
ten charging a fixed late fee there, and monthly templates due today), then runs, in a
separate process as a Celery worker would, ``send_due_reminders``' and
``run_recurring_invoices``' services without their time budget. The emails and renders they
queue go to Redis (not eager) and are purged afterwards, as no worker consumes them here.
Writes the table to ``bench/results/reminders.md``.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import bench_environment, check_services, ensure_database, machine, manage  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reminders.md"
ORGANIZATIONS = 10
CUSTOMERS_PER_ORG = 200
TARGET_SECONDS = 60


def say(message: str) -> None:
    print(f"[reminders {datetime.now():%H:%M:%S}] {message}", flush=True)


def _invoice(org, business, customer, number: str, today):
    from billing.models import Invoice

    amount = Decimal("119.00")
    return Invoice(
        organization=org,
        business=business,
        customer=customer,
        number=number,
        status="issued",
        currency="EUR",
        issue_date=today - timedelta(days=37),
        due_date=today - timedelta(days=7),
        subtotal=Decimal("100.00"),
        tax_total=Decimal("19.00"),
        total=amount,
        balance_due=amount,
        issued_at=datetime.now(UTC),
        business_snapshot={"name": business.name, "email": business.email, "language": "en"},
        customer_snapshot={"name": customer.name, "email": customer.email, "language": ""},
    )


def _templates(org, business, customers, count, today):
    from billing.models import RecurringInvoice, RecurringInvoiceLine

    templates = RecurringInvoice.objects.bulk_create(
        RecurringInvoice(
            organization=org,
            business=business,
            customer=customers[n % len(customers)],
            currency="EUR",
            frequency="monthly",
            start_date=today,
            next_run_date=today,
            mode="issue_and_send",
        )
        for n in range(count)
    )
    RecurringInvoiceLine.objects.bulk_create(
        RecurringInvoiceLine(
            organization=org,
            template=template,
            position=1,
            description="Retainer",
            quantity=Decimal(1),
            unit_price=Decimal("500.00"),
            tax_rate=Decimal(19),
        )
        for template in templates
    )


def build(reminders: int, recurring: int, run_id: str) -> None:
    """Fresh organizations holding ``reminders`` due invoices and ``recurring`` due templates."""
    from django.db import transaction

    from billing import services
    from billing.models import Business, Customer, Invoice, NumberSequence
    from organizations.models import Organization
    from organizations.tenancy import organization_scope

    for index in range(ORGANIZATIONS):
        org = Organization.objects.create(name=f"Reminders {run_id}-{index}", slug=f"rem-{run_id}-{index}")
        today = org.local_today()
        with organization_scope(org), transaction.atomic():
            plain = Business.objects.create(organization=org, name="Plain", country="DE", email="a@example.com")
            charging = Business.objects.create(organization=org, name="Fees", country="DE", email="b@example.com")
            customers = Customer.objects.bulk_create(
                Customer(organization=org, name=f"Customer {n}", email=f"c{n}@example.com", country="DE")
                for n in range(CUSTOMERS_PER_ORG)
            )
            share = reminders // ORGANIZATIONS
            rows = [
                _invoice(org, charging if n % 10 == 0 else plain, customers[n % len(customers)], f"B-{n:06d}", today)
                for n in range(share)
            ]
            Invoice.objects.bulk_create(rows, batch_size=2000)
            for business in (plain, charging):
                NumberSequence.objects.create(organization=org, business=business, year=today.year, last_value=0)
            _templates(org, plain, customers, recurring // ORGANIZATIONS, today)
        services.reminder_schedule_set(organization=org, actor=None, business_id=plain.pk, steps=[{"offset_days": 7}])
        fee = {"offset_days": 7, "late_fee_type": "fixed", "late_fee_value": "5.00"}
        services.reminder_schedule_set(organization=org, actor=None, business_id=charging.pk, steps=[fee])
    say(f"built {ORGANIZATIONS} organizations: {reminders:,} due invoices, {recurring:,} due templates")


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure() -> dict:
    """In the worker-like child: run both jobs once, sampling this process's memory."""
    import django

    django.setup()
    from billing.services import run_due_recurring_invoices, run_due_reminders

    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            samples.append((time.perf_counter(), _rss_mib()))
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    started_rss = _rss_mib()
    thread.start()
    started = time.perf_counter()
    reminders = run_due_reminders()
    after_reminders = time.perf_counter()
    recurring = run_due_recurring_invoices()
    finished = time.perf_counter()
    stop.set()
    thread.join()
    midway = [rss for moment, rss in samples if moment <= started + (after_reminders - started) / 2]
    return {
        "reminders": reminders,
        "recurring": recurring,
        "reminders_seconds": after_reminders - started,
        "recurring_seconds": finished - after_reminders,
        "total_seconds": finished - started,
        "rss_start_mib": started_rss,
        "rss_midway_mib": max(midway or [started_rss]),
        "rss_peak_mib": max(rss for _, rss in samples),
        "rss_end_mib": _rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--recurring", type=int, default=1_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(), default=str))
        return
    check_services()
    ensure_database()
    env = {**os.environ, **bench_environment()}
    os.environ.update(env)
    manage("migrate", "--noinput", "-v0", env=env)
    import django

    django.setup()
    run_id = datetime.now().strftime("%H%M%S")
    started = time.perf_counter()
    build(args.reminders, args.recurring, run_id)
    say(f"data in {time.perf_counter() - started:.0f} s; one beat run in a separate process")
    child = subprocess.run(
        [sys.executable, __file__, "--measure"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600
    )
    if child.returncode:
        sys.exit(child.stderr[-4000:])
    result = json.loads(child.stdout.strip().splitlines()[-1])
    from billora.celery import app

    app.control.purge()
    write(result, args)


def write(result: dict, args) -> None:
    verdict = "met" if result["total_seconds"] < TARGET_SECONDS else "missed"
    lines = [
        f"# One beat run: {args.reminders:,} due reminders and {args.recurring:,} due recurring invoices",
        "",
        f"Machine: {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| job | wall time | result |",
        "| --- | --- | --- |",
        f"| reminders | {result['reminders_seconds']:.1f} s | {result['reminders']} |",
        f"| recurring invoices | {result['recurring_seconds']:.1f} s | {result['recurring']} |",
        f"| both | {result['total_seconds']:.1f} s | target {TARGET_SECONDS} s: {verdict} |",
        "",
        "| worker RSS | MiB |",
        "| --- | --- |",
        f"| before | {result['rss_start_mib']:.0f} |",
        f"| peak, first half of the reminders | {result['rss_midway_mib']:.0f} |",
        f"| peak, whole run | {result['rss_peak_mib']:.0f} |",
        f"| after | {result['rss_end_mib']:.0f} |",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
