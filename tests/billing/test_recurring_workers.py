"""The recurring beat task on two real Celery worker processes at once (PostgreSQL shared with
the test, Redis broker): each due period gets one invoice, numbers stay gapless."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from billing import services
from billing.models import Invoice, RecurringRun
from billing.tasks import run_recurring_invoices
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.documents.test_reliability import ROOT, _database_url, _use_broker, wait_for
from tests.organizations.factories import OrganizationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

WORKERS = 2
TEMPLATES = 8
PERIODS = 5  # weekly, started four weeks ago: five periods due today


@pytest.fixture
def scheduled_workers(transactional_db, settings, tmp_path):
    """Two ``celery worker -Q scheduled`` processes sharing this test's database and broker;
    yields their log paths. Emails and renders they enqueue stay in their queues (purged)."""
    from billora.celery import app

    database_url = _database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billora.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    command = [sys.executable, "-m", "celery", "-A", "billora", "worker", "-Q", "scheduled", "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    logs, workers = [tmp_path / f"worker{n}.log" for n in range(WORKERS)], []
    for n, log_path in enumerate(logs):
        with open(log_path, "wb") as log:
            workers.append(
                subprocess.Popen(
                    [*command, "-n", f"recurring{n}@%h"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    _use_broker(app, settings.REDIS_URL)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        for log_path, worker in zip(logs, workers, strict=True):
            started = wait_for(lambda p=log_path: " ready." in p.read_text(errors="replace"), timeout=180)
            assert started, "a worker did not start:\n" + log_path.read_text(errors="replace")[-3000:]
            assert worker.poll() is None
        yield logs
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
        app.control.purge()
        app.conf.task_always_eager = saved[0]
        _use_broker(app, saved[1])


def test_two_worker_processes_running_the_beat_task_at_once_create_each_period_once(scheduled_workers):
    org = OrganizationFactory(time_zone="UTC")
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    start = org.local_today() - timedelta(weeks=PERIODS - 1)
    templates = [
        services.recurring_invoice_create(
            organization=org,
            actor=None,
            data={
                "business": str(business.pk),
                "customer": str(customer.pk),
                "frequency": "weekly",
                "start_date": start.isoformat(),
                "max_catch_up": PERIODS,
                "items": [{"description": "Retainer", "quantity": "1", "unit_price": "100.00"}],
            },
        )
        for _ in range(TEMPLATES)
    ]
    for _ in range(WORKERS):
        run_recurring_invoices.apply_async()

    def done():
        with organization_scope(org):
            return RecurringRun.objects.filter(organization=org).count() >= TEMPLATES * PERIODS and all(
                "run_recurring_invoices" in text and "succeeded" in text
                for text in (log.read_text(errors="replace") for log in scheduled_workers)
            )

    assert wait_for(done, timeout=240), "\n".join(log.read_text(errors="replace")[-2000:] for log in scheduled_workers)
    with organization_scope(org):
        for template in templates:
            periods = list(RecurringRun.objects.filter(template=template).values_list("period", flat=True))
            assert sorted(periods) == [start + timedelta(weeks=n) for n in range(PERIODS)]
        invoices = Invoice.objects.filter(organization=org)
        numbers = sorted(invoices.values_list("number", flat=True))
        years = sorted({number.split("-")[1] for number in numbers})
        expected = [
            f"INV-{year}-{n:04d}"
            for year in years
            for n in range(1, 1 + sum(1 for number in numbers if number.split("-")[1] == year))
        ]
        assert numbers == expected
        assert OutboundEmail.objects.filter(organization=org).count() == TEMPLATES * PERIODS
