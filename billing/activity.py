"""How billing's audit entries read on the activity page and in object histories: sentences,
field labels and value words, given to audit's registry from ``BillingConfig.ready`` (audit
knows nothing of billing)."""

from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.presenters import TargetKind, Wording, describe_actions, describe_fields, describe_targets
from billing.models import Business, Customer, DiscountType, Invoice, InvoiceStatus, PaymentMethod, VatCategory
from billing.validation import BUSINESS_INPUT, CUSTOMER_INPUT
from billora.formatting import as_decimal, formats_for
from billora.templatetags.formatting import money

# "recorded a €500.00 bank transfer", "recorded a €20.00 card payment"
PAYMENT_NOUNS = {
    PaymentMethod.BANK_TRANSFER: _("bank transfer"),
    PaymentMethod.CARD: _("card payment"),
    PaymentMethod.CASH: _("cash payment"),
    PaymentMethod.CHECK: _("check"),
    PaymentMethod.OTHER: _("payment"),
}


def payment_label(amount_text: str, currency: str, number: str) -> str:
    """A payment's label in the log: ``500.00 EUR on INV-2026-0001`` (read by ``payment_parts``)."""
    return f"{amount_text} {currency} on {number}"


def payment_parts(label: str) -> tuple[str, str, str]:
    """(amount as money, currency, invoice number) from a ``payment_label``; the label as the
    amount when it is not one."""
    money_part, _, number = label.partition(" on ")
    amount, _, currency = money_part.partition(" ")
    if not (amount and currency and number):
        return label, "", ""
    return money(amount, currency) or money_part, currency, number


def _invoice_text(label: str) -> str:
    # A draft's label is "Draft 1f6f8193": nothing a person calls it.
    if label.startswith("Draft") or not label:
        return str(_("draft invoice"))
    return str(_("invoice %(number)s") % {"number": label})


def _credit_note_text(label: str) -> str:
    if label.startswith("Draft") or not label:
        return str(_("a draft credit note"))
    return str(_("credit note %(number)s") % {"number": label})


def _payment_recorded(entry, links) -> dict:
    amount, _currency, number = payment_parts(entry.target_label)
    invoice_id = (entry.changes.get("invoice") or [None, None])[1]
    method = (entry.changes.get("method") or [None, None])[1]
    return {
        "amount": amount,
        "method": PAYMENT_NOUNS.get(method, _("payment")),
        "invoice": links.to("invoice", invoice_id, number or _("an invoice")),
    }


def _payment_voided(entry, links) -> dict:
    amount, _currency, number = payment_parts(entry.target_label)
    return {"amount": amount, "invoice": number or _("an invoice")}


def register() -> None:
    describe_targets(
        {
            "invoice": TargetKind(_("invoice"), "invoice_detail", "invoice_id", text=_invoice_text),
            "customer": TargetKind(_("customer"), "customer_detail", "customer_id"),
            "business": TargetKind(_("business"), "business_edit", "business_id"),
            "payment": TargetKind(_("payment")),
            "creditnote": TargetKind(_("credit note"), text=_credit_note_text),
        }
    )
    describe_actions(
        {
            "invoice.created": Wording(_("{actor} created a {target}"), _("Invoice created")),
            "invoice.updated": Wording(_("{actor} changed {target}"), _("Invoice changed")),
            "invoice.issued": Wording(_("{actor} issued {target}"), _("Invoice issued")),
            "invoice.voided": Wording(_("{actor} voided {target}"), _("Invoice voided")),
            "invoice.deleted": Wording(_("{actor} deleted {target}"), _("Invoice deleted"), links_target=False),
            "invoice.sent": Wording(_("{actor} sent {target} by email"), _("Invoice sent")),
            "payment.recorded": Wording(
                _("{actor} recorded a {amount} {method} on {invoice}"), _("Payment recorded"), values=_payment_recorded
            ),
            "payment.voided": Wording(
                _("{actor} voided the {amount} payment on {invoice}"), _("Payment voided"), values=_payment_voided
            ),
            "refund.recorded": Wording(
                _("{actor} recorded a {amount} refund on {invoice}"), _("Refund recorded"), values=_payment_recorded
            ),
            "invoice.cancelled": Wording(_("{actor} cancelled {target} by a credit note"), _("Invoice cancelled")),
            "invoice.corrected": Wording(
                _("{actor} corrected {target}: credit note and a new draft"), _("Invoice corrected")
            ),
            "credit_note.created": Wording(_("{actor} drafted {target}"), _("Credit note drafted")),
            "credit_note.updated": Wording(_("{actor} changed {target}"), _("Credit note changed")),
            "credit_note.issued": Wording(_("{actor} issued {target}"), _("Credit note issued")),
            "credit_note.deleted": Wording(_("{actor} deleted {target}"), _("Credit note deleted"), links_target=False),
            "business.created": Wording(_("{actor} added the business {target}"), _("Business added")),
            "business.updated": Wording(_("{actor} changed the business {target}"), _("Business changed")),
            "customer.created": Wording(_("{actor} added the customer {target}"), _("Customer added")),
            "customer.updated": Wording(_("{actor} changed the customer {target}"), _("Customer changed")),
            "customer.archived": Wording(_("{actor} archived the customer {target}"), _("Customer archived")),
            "customer.deleted": Wording(
                _("{actor} deleted the customer {target}"), _("Customer deleted"), links_target=False
            ),
            **_REMINDER_ACTIONS,
        }
    )
    _describe_fields()


_REMINDER_ACTIONS = {
    "invoice.reminder_queued": Wording(_("{actor} queued a payment reminder for {target}"), _("Reminder queued")),
    "invoice.reminder_skipped": Wording(_("{actor} skipped a payment reminder for {target}"), _("Reminder skipped")),
    "invoice.reminder_sent": Wording(_("{actor} sent a payment reminder for {target}"), _("Reminder sent")),
    "invoice.reminder_withdrawn": Wording(
        _("{actor} withdrew a payment reminder for {target}"), _("Reminder withdrawn")
    ),
    "invoice.reminders_changed": Wording(
        _("{actor} changed the payment reminders of {target}"), _("Reminders changed")
    ),
    "business.reminders_updated": Wording(
        _("{actor} changed the reminder schedule of {target}"), _("Reminder schedule changed")
    ),
}


# A field's label in the page's language: the forms show the same words, so the catalogs hold them.
_translated_label = lazy(gettext, str)


def _model_labels(model, names) -> dict[str, str]:
    return {name: _translated_label(capfirst(model._meta.get_field(name).verbose_name)) for name in names}


def _quantity_text(value) -> str:
    number = as_decimal(value)  # stored as a string in the entry
    return str(value) if number is None else formats_for().number(number)


def _price_text(value) -> str:
    number = as_decimal(value)
    return str(value) if number is None else formats_for().amount(number)


def _rate_text(rate) -> str:
    value = as_decimal(rate)
    return formats_for().percent(value) if value is not None else str(rate)


_REMINDER_FIELDS = {
    "step": _("Reminder step"),
    "superseded_steps": _("Steps skipped"),
    "late_fee_invoice": _("Late fee invoice"),
    "reminder_steps": _("Reminder steps"),
    "reminders_enabled": _("Payment reminders"),
}


def _describe_fields() -> None:
    statuses = dict(InvoiceStatus.choices)
    describe_fields(
        {
            # In the order they are shown: an invoice's fields, a payment's, then the parties'.
            **_model_labels(Invoice, ["number", "status", "currency", "issue_date", "due_date"]),
            "discount_type": _("Discount"),
            "discount_value": _("Discount value"),
            **_model_labels(Invoice, ["notes", "terms"]),
            "items": _("Lines"),
            "description": _("Description"),
            "quantity": _("Quantity"),
            "unit_price": _("Unit price"),
            "tax_rate": _("Tax rate"),
            "vat_category": _("VAT category"),
            "vat_exemption_reasons": _("VAT exemption reasons"),
            **_model_labels(Invoice, ["subtotal"]),
            "discount_total": _("Discount total"),
            "tax_total": _("Tax"),
            **_model_labels(Invoice, ["total", "balance_due"]),
            "business": None,
            "customer": None,
            "invoice": None,
            "logo": _("Logo"),
            "sent_at": _("Sent"),
            "amount": _("Amount"),
            "date": _("Date"),
            "method": _("Method"),
            "reference": _("Reference"),
            "note": _("Note"),
            "voided": _("Voided"),
            "void_reason": _("Reason"),
            "invoice_amount_paid": _("Paid on the invoice"),
            "invoice_amount_refunded": _("Refunded on the invoice"),
            "invoice_credited_total": _("Credited on the invoice"),
            "invoice_balance_due": _("Balance of the invoice"),
            "invoice_status": _("Invoice status"),
            "reason": _("Reason"),
            "credit_note": None,
            "replaced_by": None,
            "replaces": None,
            "invoice_number": _("Invoice"),
            **_REMINDER_FIELDS,
            **_model_labels(Business, [name for name in BUSINESS_INPUT if name != "logo"]),
            **_model_labels(Customer, CUSTOMER_INPUT),
        },
        values={
            "status": statuses,
            "invoice_status": statuses,
            "method": dict(PaymentMethod.choices),
            "discount_type": dict(DiscountType.choices),
            "tax_rate": _rate_text,
            "quantity": _quantity_text,
            "unit_price": _price_text,
            "vat_category": dict(VatCategory.choices),
        },
    )
