"""The Celery app. Apps register their tasks in ``<app>/tasks.py`` (autodiscovered) and their
periodic jobs in ``BEAT_SCHEDULE`` below, so the whole schedule reads in one place. Queues and
routes are settings (``CELERY_TASK_QUEUES``, ``CELERY_TASK_ROUTES``)."""

import functools
import logging
import logging.config
import os

import redis
from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

logger = logging.getLogger(__name__)

app = Celery("billora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work. Each entry names a task owned by an app; the sweepers make sure nothing
# queued while the broker was down is forgotten. Routed to the "scheduled" queue by settings.
BEAT_SCHEDULE = {
    # API idempotency keys are replayable for 24 h; older ones are deleted hourly.
    "purge-idempotency-keys": {"task": "organizations.tasks.purge_idempotency_keys", "schedule": 3600.0},
    # Pending PDFs and queued emails older than 2 minutes are enqueued again.
    "sweep-pending-documents-and-emails": {"task": "documents.tasks.sweep_pending_work", "schedule": 60.0},
    # Recurring invoices whose period has come in their organization's time zone; a late,
    # repeated or concurrent run creates only what is missing (billing.services.recurring).
    "run-recurring-invoices": {"task": "billing.tasks.run_recurring_invoices", "schedule": 900.0},
    # Payment reminders whose step (due date + offset) has come in their organization's time
    # zone; each (invoice, step) is queued once, whatever runs late or twice.
    "send-due-reminders": {"task": "billing.tasks.send_due_reminders", "schedule": 900.0},
}
app.conf.beat_schedule = BEAT_SCHEDULE


@signals.setup_logging.connect
def use_project_logging(**_kwargs):
    """Workers and beat log through settings.LOGGING, like the web processes (one format
    everywhere; JSON with LOG_FORMAT=json), instead of Celery's own handlers."""
    logging.config.dictConfig(settings.LOGGING)


# --- task outcomes, for /metrics ------------------------------------------------------------
# Every worker (and every eager run) counts its task outcomes in one Redis hash, so one scrape
# of any web host sees the whole cluster's counts (billora.metrics reads it).
TASK_OUTCOMES_KEY = "billora:metrics:task-outcomes"
TASK_OUTCOME_SEPARATOR = "|"


@functools.cache
def _metrics_redis(url):
    # Short timeouts: a task never waits on its own bookkeeping.
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def metrics_redis():
    """The Redis client of the cluster-wide counters, or None without Redis (local app)."""
    return _metrics_redis(settings.REDIS_URL) if settings.REDIS_URL else None


@signals.task_postrun.connect
def count_task_outcome(sender=None, state=None, **_kwargs):
    client = metrics_redis()
    if client is None or sender is None:
        return
    outcome = (state or "unknown").lower()
    try:
        client.hincrby(TASK_OUTCOMES_KEY, f"{sender.name}{TASK_OUTCOME_SEPARATOR}{outcome}", 1)
    except redis.RedisError:
        logger.warning("could not count the outcome of task %s", sender.name, exc_info=True)
