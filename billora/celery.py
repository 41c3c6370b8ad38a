"""The Celery app. Apps register their tasks in ``<app>/tasks.py`` (autodiscovered) and their
periodic jobs in ``BEAT_SCHEDULE`` below, so the whole schedule reads in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

app = Celery("billora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work. Each entry names a task owned by an app; the sweepers make sure nothing
# queued while the broker was down is forgotten.
BEAT_SCHEDULE = {
    # API idempotency keys are replayable for 24 h; older ones are deleted hourly.
    "purge-idempotency-keys": {"task": "organizations.tasks.purge_idempotency_keys", "schedule": 3600.0},
    # Pending PDFs and queued emails older than 2 minutes are enqueued again.
    "sweep-pending-documents-and-emails": {"task": "documents.tasks.sweep_pending_work", "schedule": 60.0},
}
app.conf.beat_schedule = BEAT_SCHEDULE
