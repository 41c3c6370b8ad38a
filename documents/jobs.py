"""Handing documents' background work to the Celery workers.

The tasks (``documents.tasks``) call the services and the outbox, and those enqueue the tasks
again (a render after an invoice changed, a send after an email was queued). They enqueue by
task name, through Celery's task registry, so the imports run one way: tasks -> services and
outbox -> jobs. ``DocumentsConfig.ready`` imports the tasks, so they are registered in every
process, and the tasks take their names from here.

Enqueueing never raises: with the broker down, the row that describes the work (a pending
document, a queued email) stays as it is and the sweeper enqueues it again later; the
request that changed the data has committed and must not fail.
"""

import logging

from celery import current_app
from celery.exceptions import Retry

logger = logging.getLogger(__name__)

RENDER_INVOICE_DOCUMENT = "documents.tasks.render_invoice_document"
RENDER_CREDIT_NOTE_DOCUMENT = "documents.tasks.render_credit_note_document"
SEND_OUTBOUND_EMAIL = "documents.tasks.send_outbound_email"


def enqueue_render(invoice_id, version) -> bool:
    """Render and store the PDF (and e-invoices) of one invoice version."""
    try:
        current_app.tasks[RENDER_INVOICE_DOCUMENT].apply_async(args=[str(invoice_id), int(version)])
    except Exception:  # kombu OperationalError / redis errors when the broker is unreachable
        logger.exception("could not enqueue the render of invoice %s v%s; it stays pending", invoice_id, version)
        return False
    return True


def enqueue_render_credit_note(credit_note_id, version) -> bool:
    """Render and store the PDF (and e-invoices) of an issued credit note."""
    try:
        current_app.tasks[RENDER_CREDIT_NOTE_DOCUMENT].apply_async(args=[str(credit_note_id), int(version)])
    except Exception:  # as enqueue_render: the document stays pending for the sweeper
        logger.exception("could not enqueue the render of credit note %s v%s; pending", credit_note_id, version)
        return False
    return True


def enqueue_send(email_id) -> bool:
    """Send one outbox row."""
    try:
        current_app.tasks[SEND_OUTBOUND_EMAIL].delay(str(email_id))
    except Retry:
        # Eager mode (no broker): the first attempt failed transiently; the row stays queued.
        logger.warning("outbound email %s: first attempt failed; it stays queued", email_id)
        return False
    except Exception:  # broker down, or an eager run failing: the row is the source of truth
        logger.exception("could not enqueue outbound email %s; it stays queued", email_id)
        return False
    return True


def enqueue_sends(email_ids) -> None:
    """Send several outbox rows (each on its own: one failing leaves the others queued)."""
    for email_id in email_ids:
        enqueue_send(email_id)
