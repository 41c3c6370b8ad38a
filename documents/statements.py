"""Statements of account as documents: the PDF and the email.

Billing computes a statement (``billing.statements``); documents renders it. A statement is
not a stored document: it is rendered from the data of the moment it is asked for, in a
bounded number of queries, and the same data always gives the same bytes, so there is no
stored copy that could go stale. The email renders it in the worker, when it is sent, so the
customer gets the statement as it is then (the statement kind of the outbox).
"""

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from audit.presenters import Wording, describe_actions, describe_fields
from audit.services import record
from billing.exceptions import BillingValidationError
from billing.statements import Statement, customer_statement
from billora.formatting import formats_for
from documents.language import supported_language
from documents.models import OutboundEmail
from documents.outbox import queue_email, register_kind
from documents.pdf import render_statement_pdf, statement_print_data
from documents.services import actor_label, parse_recipients
from organizations.tenancy import organization_scope


class StatementNotSendable(Exception):  # noqa: N818 - reads as a state, like StateConflict
    """The customer was deleted after the email was queued: nothing to send."""


def statement_language(statement: Statement) -> str:
    """The customer's language, else its seller's, else the site's: ``en``, ``fr`` or ``de``."""
    business = statement.business
    return supported_language(statement.customer.language or (business.language if business else ""))


def statement_filename(statement: Statement) -> str:
    """``statement-globex-ltd-2026-01-01-2026-03-31.pdf``: ASCII, as a header may carry it."""
    customer = slugify(statement.customer.name)[:60].strip("-")
    return "-".join(part for part in ("statement", customer, str(statement.start), str(statement.end)) if part) + ".pdf"


def statement_pdf(*, organization, customer_id, start=None, end=None) -> tuple[Statement, bytes]:
    """The statement of the customer for the period, rendered now in the customer's language
    (deterministic bytes). Bad dates: BillingValidationError; another organization's
    customer: NotFound."""
    with organization_scope(organization):
        statement = customer_statement(organization=organization, customer_id=customer_id, start=start, end=end)
        data = statement_print_data(statement, language=statement_language(statement))
    return statement, render_statement_pdf(data)


def _message(statement: Statement) -> tuple[str, str]:
    """Subject and body in the customer's language."""
    language = statement_language(statement)
    formats = formats_for(language)
    seller = statement.business.name if statement.business else ""
    with override(language):
        values = {
            "business": seller,
            "customer": statement.customer.name,
            "start": formats.date(statement.start),
            "end": formats.date(statement.end),
        }
        subject = gettext("Statement of account from %(business)s, %(start)s to %(end)s") % values
        body = (
            gettext(
                "Hello %(customer)s,\n\nPlease find attached your statement of account for %(start)s to "
                "%(end)s: every invoice, credit note, payment and refund, with the balance.\n\n%(business)s"
            )
            % values
        )
    return subject, body


def statement_send(*, organization, actor, customer_id, start=None, end=None, to=None) -> OutboundEmail:
    """Queue the customer's statement of account for the period (to the customer's address,
    or ``to``). The PDF is rendered in the worker when the email is sent, so it shows the
    account as it is then. Audited as ``customer.statement_email_queued``."""
    with organization_scope(organization), transaction.atomic():
        statement = customer_statement(organization=organization, customer_id=customer_id, start=start, end=end)
        customer = statement.customer
        errors: dict[str, list[str]] = {}
        recipients = parse_recipients(to, "to", errors) or [address for address in [customer.email] if address]
        if not recipients and "to" not in errors:
            errors["to"] = [gettext("The customer has no email address; enter the recipient.")]
        if errors:
            raise BillingValidationError(errors)
        subject, body = _message(statement)
        business = statement.business
        email = queue_email(
            organization=organization,
            kind=OutboundEmail.Kind.STATEMENT,
            to=recipients,
            reply_to=[business.email] if business and business.email else [],
            subject=subject,
            body=body,
            customer=customer,
            statement_period=(statement.start, statement.end),
            requested_by_label=actor_label(actor),
        )
        period = [str(statement.start), str(statement.end)]
        record(
            organization=organization,
            actor=actor,
            action="customer.statement_email_queued",
            target=customer,
            changes={"to": [None, recipients], "period": [None, period]},
        )
    return email


def attach_statement_pdf(email: OutboundEmail, message) -> None:
    """Runs in the worker inside the organization's scope: the statement as it is now."""
    if email.customer_id is None:
        raise StatementNotSendable("The customer was deleted; the statement was not sent.")
    statement, content = statement_pdf(
        organization=email.organization,
        customer_id=email.customer_id,
        start=email.statement_start,
        end=email.statement_end,
    )
    message.attach(statement_filename(statement), content, "application/pdf")


def _recipients(entry, links) -> dict:
    to = (entry.changes.get("to") or [None, []])[1] or []
    return {"to": ", ".join(to) if isinstance(to, list) else str(to)}


def register() -> None:
    register_kind(OutboundEmail.Kind.STATEMENT, prepare=attach_statement_pdf)
    describe_actions(
        {
            "customer.statement_email_queued": Wording(
                _("{actor} emailed the statement of account of {target} to {to}"),
                _("Statement emailed"),
                values=_recipients,
            ),
        }
    )
    describe_fields({"period": _("Period")})
