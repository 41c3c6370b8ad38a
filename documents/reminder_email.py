"""The payment reminder kind of the outbox. Billing decides when a reminder is due and
registers nothing here; documents writes the email (the step's texts with the invoice email's
placeholders, plus what the customer has open), attaches the invoice's current PDF exactly as
the invoice email does and the customer's statement of account as it is at send time, and
re-checks at send time, with the invoice locked in the
transaction that marks the email sent, that the reminder is still wanted."""

from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext, override

from billing import services as billing_services
from billing.exceptions import StateConflict
from billing.models import DEFAULT_REMINDER_TEXTS, OPEN_STATUSES, Invoice, ReminderSkipReason
from billora.formatting import formats_for
from documents.invoice_email import attach_invoice_pdf
from documents.language import document_language
from documents.models import OutboundEmail
from documents.outbox import new_email, queue_emails, register_kind
from documents.services import email_placeholders, fill_template
from documents.statements import statement_filename, statement_pdf

DEFAULT_TEXTS = {text for pair in DEFAULT_REMINDER_TEXTS for text in pair}


def _text(template: str, language: str) -> str:
    """A built-in text in the document's language; a text the business wrote, as written."""
    if template in DEFAULT_TEXTS:
        with override(language):
            return gettext(template)
    return template


def open_invoices_text(invoices, language: str) -> str:
    formats = formats_for(language)
    with override(language):
        return "\n".join(
            gettext("- %(number)s, due %(due_date)s: %(balance)s open")
            % {
                "number": invoice.number,
                "due_date": formats.date(invoice.due_date),
                "balance": formats.money(invoice.balance_due, invoice.currency),
            }
            for invoice in invoices
        )


def reminder_message(invoice, *, subject: str, body: str, today, open_invoices, language=None) -> tuple[str, str]:
    """Subject and body of a reminder of ``invoice``, in its document language unless
    ``language`` is given (the settings page's preview: the business's)."""
    language = language or document_language(invoice)
    formats = formats_for(language)
    values = email_placeholders(invoice, language) | {
        "balance": formats.money(invoice.balance_due, invoice.currency),
        "days_overdue": str(max((today - invoice.due_date).days, 0)),
        "open_invoices": open_invoices_text(open_invoices, language),
    }
    body_template = _text(body, language)
    text = fill_template(body_template, values)
    if "{open_invoices}" not in body_template and open_invoices:
        with override(language):
            text += "\n\n" + gettext("What is open on your account:") + "\n" + values["open_invoices"]
    return fill_template(_text(subject, language), values), text


def reminder_email(*, organization, reminder, open_invoices) -> OutboundEmail:
    """The reminder's email, for ``reminder_emails_queue`` to write. No address: refused.
    ``reminder.invoice`` is the invoice as the caller locked it, with business and customer;
    ``open_invoices`` what its customer has open, listed in the email."""
    invoice = reminder.invoice
    recipient = (invoice.customer_snapshot or {}).get("email") or invoice.customer.email
    if not recipient:
        raise StateConflict(gettext("The customer has no email address."))
    step = reminder.step
    today = invoice.due_date + timedelta(reminder.offset_days)
    subject, body = reminder_message(
        invoice,
        subject=step.subject,
        body=step.body,
        today=max(today, organization.local_today()),
        open_invoices=open_invoices,
    )
    reply_to = (invoice.business_snapshot or {}).get("email") or invoice.business.email
    return new_email(
        organization=organization,
        kind=OutboundEmail.Kind.REMINDER,
        to=[recipient],
        reply_to=[reply_to] if reply_to else [],
        subject=subject,
        body=body,
        invoice=invoice,
        reminder=reminder,
        requested_by_label="system",
    )


def reminder_emails_queue(*, organization, emails) -> None:
    """Write the emails of ``reminder_email`` in the caller's transaction; sent after commit."""
    queue_emails(emails)


def _sample_invoice(organization, business, step) -> Invoice:
    """The business's latest open invoice, else a made-up one, for the preview."""
    invoice = (
        Invoice.objects.select_related("business", "customer")
        .filter(organization=organization, business=business, status__in=OPEN_STATUSES)
        .order_by("-issue_date", "-created_at")
        .first()
    )
    if invoice is not None:
        return invoice
    today = organization.local_today()
    due = today - timedelta(days=step.offset_days)
    with override(business.language):
        customer_name = gettext("Sample customer")
    return Invoice(
        organization=organization,
        business=business,
        number="INV-0001",
        status="issued",
        currency=business.default_currency,
        issue_date=due - timedelta(days=business.payment_terms_days),
        due_date=due,
        total=Decimal("1190.00"),
        balance_due=Decimal("1190.00"),
        business_snapshot={"name": business.name, "language": business.language},
        customer_snapshot={"name": customer_name, "language": business.language},
    )


def reminder_preview(*, organization, business, step) -> tuple[str, str]:
    """A step's email as a customer would read it on the step's day, in the business's
    language: with the business's latest open invoice, or a sample one."""
    invoice = _sample_invoice(organization, business, step)
    return reminder_message(
        invoice,
        subject=step.subject,
        body=step.body,
        today=invoice.due_date + timedelta(days=step.offset_days),
        open_invoices=[invoice],
        language=business.language,
    )


def still_wanted(email: OutboundEmail) -> str:
    """ "" when the reminder may go out; else the reason (the invoice stays locked until the
    transaction that sends or withdraws it ends)."""
    if email.reminder_id is None:
        return ReminderSkipReason.NOT_OPEN
    return billing_services.reminder_stop_reason(organization=email.organization, reminder_id=email.reminder_id)


def mark_reminder_sent(email: OutboundEmail) -> None:
    billing_services.reminder_mark_sent(
        organization=email.organization, reminder_id=email.reminder_id, sent_at=email.sent_at
    )


def mark_reminder_withdrawn(email: OutboundEmail, reason: str) -> None:
    if email.reminder_id is not None:
        billing_services.reminder_skip(organization=email.organization, reminder_id=email.reminder_id, reason=reason)


def attach_reminder_documents(email: OutboundEmail, message) -> None:
    """Runs in the worker inside the organization's scope: the invoice's current PDF (as the
    invoice email attaches it) and the customer's statement of account for the default period
    (its opening balance carries anything older), so the customer sees all that is open."""
    attach_invoice_pdf(email, message)
    statement, content = statement_pdf(organization=email.organization, customer_id=email.invoice.customer_id)
    message.attach(statement_filename(statement), content, "application/pdf")


def register() -> None:
    register_kind(
        OutboundEmail.Kind.REMINDER,
        prepare=attach_reminder_documents,
        after_sent=mark_reminder_sent,
        check=still_wanted,
        withdrawn=mark_reminder_withdrawn,
    )
