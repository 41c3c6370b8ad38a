"""Periodic work of the billing app (scheduled in billora/celery.py)."""

from celery import shared_task

from billing.services import run_due_recurring_invoices


@shared_task(acks_late=True)
def run_recurring_invoices() -> dict:
    """Create the invoices of every due recurring period. Idempotent: a repeated, late or
    concurrent run creates only the periods not created yet (billing.services.recurring)."""
    return run_due_recurring_invoices()
