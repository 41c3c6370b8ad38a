"""Payments (billing-rules.md "Payments") and refunds (eu-invoicing.md "Money"): record one
on an issued invoice, void one. A refund is a payment of kind ``refund``: money paid back
when the customer is owed some (a negative balance, after a credit note)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import record
from billing import hooks
from billing.activity import payment_label
from billing.calc import balance_and_status, quantize_money
from billing.exceptions import StateConflict
from billing.models import Invoice, InvoiceStatus, Payment, PaymentKind, PaymentMethod
from billing.services.shared import actor_api_key, actor_label, actor_user, find_reference, find_target, money_text
from billing.validation import (
    PAYMENT_NOTE,
    PAYMENT_REFERENCE,
    VOID_REASON,
    FieldErrors,
    parse_choice,
    parse_date,
    parse_money,
)
from organizations.tenancy import organization_scope


def invoice_money_values(invoice: Invoice) -> dict:
    """The invoice's money fields as audit values (before and after an action)."""
    return {
        field: money_text(getattr(invoice, field), invoice.currency)
        for field in ("amount_paid", "amount_refunded", "credited_total", "balance_due")
    } | {"status": invoice.status}


def money_changes(before: dict, invoice: Invoice) -> dict:
    """Audit changes of the invoice's money fields, ``invoice_<field>: [before, after]``."""
    after = invoice_money_values(invoice)
    return {f"invoice_{field}": [before[field], after[field]] for field in after if before[field] != after[field]}


def refresh_balance(invoice: Invoice) -> None:
    """eu-invoicing.md "Money": balance and status from the stored total, credits, payments and
    refunds; a new version (the PDF prints what was paid). The caller holds the invoice's lock."""
    invoice.balance_due, invoice.status = balance_and_status(
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        credited_total=invoice.credited_total,
        amount_refunded=invoice.amount_refunded,
    )
    invoice.version += 1
    money = ["amount_paid", "amount_refunded", "credited_total", "balance_due"]
    invoice.save(update_fields=[*money, "status", "version", "updated_at"])


def _refresh_paid(invoice: Invoice) -> dict:
    """Rule 7 in SQL: amount_paid and amount_refunded are the sums of the invoice's payments and
    refunds not voided; balance, status and version follow. Returns the audit changes."""
    before = invoice_money_values(invoice)
    sums = Payment.objects.filter(organization=invoice.organization_id, invoice=invoice, voided=False).aggregate(
        paid=Sum("amount", filter=Q(kind=PaymentKind.PAYMENT)),
        refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
    )
    invoice.amount_paid = quantize_money(sums["paid"] or Decimal(0), invoice.currency)
    invoice.amount_refunded = quantize_money(sums["refunded"] or Decimal(0), invoice.currency)
    refresh_balance(invoice)
    return money_changes(before, invoice)


def _payment_label(payment: Payment, invoice: Invoice) -> str:
    return payment_label(money_text(payment.amount, invoice.currency), invoice.currency, invoice.number)


def _check_takes_payments(invoice: Invoice, kind: str) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise StateConflict(gettext("Issue the invoice before recording a payment."))
    if invoice.status == InvoiceStatus.VOID:
        raise StateConflict(gettext("A void invoice cannot take payments."))
    if kind == PaymentKind.REFUND:
        if invoice.balance_due >= 0:
            raise StateConflict(
                gettext("Nothing is owed to the customer on this invoice: there is no refund to record.")
            )
        return
    if invoice.balance_due <= 0:
        raise StateConflict(
            gettext("This invoice is fully credited.")
            if invoice.status == InvoiceStatus.CREDITED
            else gettext("This invoice is already paid in full.")
        )


def _parse_payment(organization, invoice: Invoice, *, kind, amount, date, method, reference, note) -> dict:
    """The payment's fields: ``0 < amount <= balance_due`` (a refund: ``<= -balance_due``, what
    the customer is owed) in the invoice's currency, a date no later than today in the
    organization's time zone."""
    errors = FieldErrors()
    currency = invoice.currency
    amount = errors.parse("amount", parse_money, amount, currency, positive=True)
    limit = -invoice.balance_due if kind == PaymentKind.REFUND else invoice.balance_due
    if amount is not None and amount > limit:
        message = (
            gettext("The amount may not exceed what the customer is owed (%(amount)s %(currency)s).")
            if kind == PaymentKind.REFUND
            else gettext("The amount may not exceed the balance due (%(amount)s %(currency)s).")
        )
        errors.add("amount", message % {"amount": money_text(limit, currency), "currency": currency})
    payment_date = errors.parse("date", parse_date, date)
    if payment_date is not None and payment_date > organization.local_today():
        errors.add("date", gettext("The payment date cannot be in the future."))
    values = {
        "amount": amount,
        "date": payment_date,
        "method": errors.parse("method", parse_choice, method or PaymentMethod.BANK_TRANSFER, PaymentMethod),
        "reference": errors.parse("reference", PAYMENT_REFERENCE, reference),
        "note": errors.parse("note", PAYMENT_NOTE, note),
    }
    errors.raise_if_any()
    return values


def payment_record(
    *, organization, actor, invoice_id, amount, date, method="bank_transfer", reference="", note="", kind="payment"
) -> Payment:
    """Record a payment on an invoice with a balance due, or (``kind="refund"``) a refund on an
    invoice whose customer is owed money (a negative balance).

    The invoice row is locked first, so concurrent payments, refunds and credit notes queue:
    each sees the balance the previous one left, and ``0 < amount <= balance_due`` (a refund:
    ``<= -balance_due``) holds for every one that succeeds. The date may not be later than
    today in the organization's time zone."""
    with organization_scope(organization), transaction.atomic():
        errors = FieldErrors()
        invoice = find_reference(Invoice, organization, invoice_id, "invoice", errors, for_update=True)
        kind = errors.parse("kind", parse_choice, kind or PaymentKind.PAYMENT, PaymentKind)
        errors.raise_if_any()
        _check_takes_payments(invoice, kind)
        values = _parse_payment(
            organization, invoice, kind=kind, amount=amount, date=date, method=method, reference=reference, note=note
        )
        payment = Payment(
            organization=organization,
            invoice=invoice,
            kind=kind,
            currency=invoice.currency,
            **values,
            recorded_by_user=actor_user(actor),
            recorded_by_api_key=actor_api_key(actor),
            recorded_by_label=actor_label(actor)[:300],
        )
        payment.save(force_insert=True)
        invoice_changes = _refresh_paid(invoice)
        record(
            organization=organization,
            actor=actor,
            action="refund.recorded" if kind == PaymentKind.REFUND else "payment.recorded",
            target=payment,
            target_label=_payment_label(payment, invoice),
            changes={
                "invoice": [None, str(invoice.pk)],
                "amount": [None, money_text(payment.amount, invoice.currency)],
                "date": [None, payment.date.isoformat()],
                "method": [None, payment.method],
                **invoice_changes,
            },
        )
        hooks.schedule_document_refresh(invoice)
    return payment


def payment_void(*, organization, actor, payment_id, reason: str) -> Payment:
    """Void a payment (it is kept, marked voided with the reason) and recompute the invoice:
    paid -> partially paid or issued. Refused on a void invoice or an already voided payment."""
    with organization_scope(organization), transaction.atomic():
        found = find_target(Payment, organization, payment_id, label="payment")
        # Lock the invoice first, as payment_record does, then read the payment under that lock.
        invoice = find_target(Invoice, organization, found.invoice_id, for_update=True, label="invoice")
        payment = Payment.objects.get(organization=organization, pk=found.pk)
        payment.organization = organization
        payment.invoice = invoice
        if invoice.status == InvoiceStatus.VOID:
            raise StateConflict(gettext("Payments of a void invoice cannot be voided."))
        if payment.voided:
            raise StateConflict(gettext("This payment is already voided."))
        errors = FieldErrors()
        reason = errors.parse("reason", VOID_REASON, reason)
        errors.raise_if_any()

        payment.voided = True
        payment.voided_at = timezone.now()
        payment.void_reason = reason
        payment.voided_by_user = actor_user(actor)
        payment.voided_by_label = actor_label(actor)[:300]
        payment.save(
            update_fields=["voided", "voided_at", "void_reason", "voided_by_user", "voided_by_label", "updated_at"]
        )
        invoice_changes = _refresh_paid(invoice)
        record(
            organization=organization,
            actor=actor,
            action="payment.voided",
            target=payment,
            target_label=_payment_label(payment, invoice),
            changes={"voided": [False, True], "void_reason": [None, reason], **invoice_changes},
        )
        hooks.schedule_document_refresh(invoice)
    return payment
