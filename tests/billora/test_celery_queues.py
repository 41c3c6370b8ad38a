"""Celery queues by kind of work: renders, emails and beat's housekeeping never share a queue,
so a flood of one never delays another (tests/multihost proves it with real workers)."""

import pytest
from django.conf import settings

from billora.celery import BEAT_SCHEDULE
from billora.celery import app as celery_app

PROJECT_APPS = ("accounts", "organizations", "audit", "billing", "documents", "billora")


def queue_of(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


def project_tasks() -> list[str]:
    celery_app.loader.import_default_modules()  # autodiscovery: every app's tasks module
    return sorted(name for name in celery_app.tasks if name.startswith(tuple(f"{app}." for app in PROJECT_APPS)))


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("documents.tasks.render_invoice_document", "documents"),
        ("documents.tasks.render_credit_note_document", "documents"),
        ("documents.tasks.send_outbound_email", "email"),
        ("documents.tasks.sweep_pending_work", "scheduled"),
        ("organizations.tasks.purge_idempotency_keys", "scheduled"),
        ("billing.tasks.run_recurring_invoices", "scheduled"),
    ],
)
def test_each_kind_of_work_has_its_queue(task, queue):
    assert queue_of(task) == queue


def test_every_task_of_the_project_is_routed_explicitly_to_a_consumed_queue():
    tasks = project_tasks()
    assert "documents.tasks.render_invoice_document" in tasks
    unrouted = [name for name in tasks if name not in settings.CELERY_TASK_ROUTES]
    assert not unrouted, f"add these tasks to CELERY_TASK_ROUTES: {unrouted}"
    assert {queue_of(name) for name in tasks} <= set(settings.TASK_QUEUE_NAMES)


def test_beat_only_feeds_the_scheduled_queue():
    assert {queue_of(entry["task"]) for entry in BEAT_SCHEDULE.values()} == {"scheduled"}


def test_a_worker_without_q_consumes_every_queue():
    assert [queue.name for queue in celery_app.amqp.queues.values()] == list(settings.TASK_QUEUE_NAMES)


def test_a_task_outside_the_routes_would_still_run_with_the_light_work():
    assert queue_of("some_app.tasks.new_task") == "scheduled"
