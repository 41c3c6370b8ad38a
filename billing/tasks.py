"""Periodic work of the billing app (scheduled in billora/celery.py)."""

from celery import shared_task

from billing.services import run_due_recurring_invoices, run_due_reminders

# Below the task's soft time limit (CELERY_TASK_SOFT_TIME_LIMIT, 120 s): a run stops starting
# templates after this long rather than being interrupted in the middle of one.
RUN_TIME_BUDGET_SECONDS = 90


@shared_task(acks_late=True)
def run_recurring_invoices() -> dict:
    """Create the invoices of every due recurring period. Idempotent: a repeated, late or
    concurrent run creates only the periods not created yet (billing.services.recurring).
    When the time budget leaves templates for later, it enqueues itself again at once."""
    summary = run_due_recurring_invoices(time_budget=RUN_TIME_BUDGET_SECONDS)
    if summary["deferred"]:
        run_recurring_invoices.apply_async()
    return summary


@shared_task(acks_late=True)
def send_due_reminders() -> dict:
    """Queue the payment reminders whose step has come. Idempotent: a repeated, late or
    concurrent run queues each (invoice, step) once (billing.services.reminders). When the
    time budget leaves invoices for later, it enqueues itself again at once."""
    summary = run_due_reminders(time_budget=RUN_TIME_BUDGET_SECONDS)
    if summary["deferred"]:
        send_due_reminders.apply_async()
    return summary
