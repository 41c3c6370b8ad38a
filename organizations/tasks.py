"""Periodic work of the organizations app (scheduled in billora/celery.py)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from organizations.models import IdempotencyKey
from organizations.tenancy import all_tenants

IDEMPOTENCY_KEY_RETENTION_HOURS = 24


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    """Delete API idempotency keys older than 24 hours (api.md: replays last 24 h). Idempotent."""
    cutoff = timezone.now() - timedelta(hours=IDEMPOTENCY_KEY_RETENTION_HOURS)
    # A housekeeping sweep over every organization: deliberately all tenants.
    with all_tenants():
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
