"""Every billing write (billing-rules.md is the specification), one module per concern.

Each service takes the acting principal (a User, an ApiKey, or None for the system) and the
organization, runs in one transaction inside the organization's scope, looks every id up
once inside that organization (another organization's id behaves like a missing one),
validates with ``billing.validation`` (``BillingValidationError``, messages tied to field
paths), refuses actions the current state does not allow (``StateConflict``), recomputes
totals with ``billing.calc``, writes exactly one audit entry, and schedules side effects on
commit.

Lock order, the same in every service: every row a service changes is locked
(``select_for_update``) when it is read, in the order the data hangs together (an invoice
before its payments, then a business's number sequence), and the audit entry is written
after all of them. ``audit.services.record`` locks the organization's audit chain until
commit; taking it last means no service holds the chain while it waits for a row, so two
services never wait on each other, and the organization's writes queue on the chain for as
short a time as possible.

``version`` counts the printed states of an invoice: every change to something printed on
it (items, dates, discount, notes, terms, issue, a payment, refund or credit note, or a void)
increments it. After issue an invoice is final: only payments, refunds and credit notes change it.
Marking an invoice sent does not: ``sent_at`` is not printed, so the PDF stays valid.
"""

from billing.services.credit_notes import (
    credit_note_create,
    credit_note_delete,
    credit_note_issue,
    credit_note_mark_sent,
    credit_note_update,
    invoice_cancel,
    invoice_correct,
)
from billing.services.invoices import (
    invoice_create,
    invoice_delete,
    invoice_duplicate,
    invoice_issue,
    invoice_mark_sent,
    invoice_update,
    invoice_void,
)
from billing.services.parties import (
    business_create,
    business_update,
    customer_create,
    customer_delete,
    customer_update,
)
from billing.services.payments import payment_record, payment_void
from billing.services.recurring import (
    recurring_invoice_create,
    recurring_invoice_delete,
    recurring_invoice_pause,
    recurring_invoice_preview,
    recurring_invoice_resume,
    recurring_invoice_run,
    recurring_invoice_update,
    run_due_recurring_invoices,
)
from billing.services.reminders import (
    invoice_set_reminders,
    invoices_remind,
    reminder_mark_sent,
    reminder_schedule_set,
    reminder_skip,
    reminder_stop_reason,
    run_due_reminders,
)

__all__ = [
    "business_create",
    "business_update",
    "credit_note_create",
    "credit_note_delete",
    "credit_note_issue",
    "credit_note_mark_sent",
    "credit_note_update",
    "customer_create",
    "customer_delete",
    "customer_update",
    "invoice_cancel",
    "invoice_correct",
    "invoice_create",
    "invoice_delete",
    "invoice_duplicate",
    "invoice_issue",
    "invoice_mark_sent",
    "invoice_set_reminders",
    "invoice_update",
    "invoice_void",
    "invoices_remind",
    "payment_record",
    "payment_void",
    "recurring_invoice_create",
    "recurring_invoice_delete",
    "recurring_invoice_pause",
    "recurring_invoice_preview",
    "recurring_invoice_resume",
    "recurring_invoice_run",
    "recurring_invoice_update",
    "reminder_mark_sent",
    "reminder_schedule_set",
    "reminder_skip",
    "reminder_stop_reason",
    "run_due_recurring_invoices",
    "run_due_reminders",
]
