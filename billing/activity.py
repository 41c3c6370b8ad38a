"""How billing's audit entries read on the activity page and in object histories: sentences,
field labels and value words, given to audit's registry from ``BillingConfig.ready`` (audit
knows nothing of billing)."""

from django.utils.text import capfirst

from audit.presenters import TargetKind, Wording, describe_actions, describe_fields, describe_targets
from billing.models import Business, Customer, DiscountType, Invoice, InvoiceStatus, PaymentMethod, VatCategory
from billing.templatetags.money import money
from billing.validation import BUSINESS_INPUT, CUSTOMER_INPUT

# "recorded a €500.00 bank transfer", "recorded a €20.00 card payment"
PAYMENT_NOUNS = {
    PaymentMethod.BANK_TRANSFER: "bank transfer",
    PaymentMethod.CARD: "card payment",
    PaymentMethod.CASH: "cash payment",
    PaymentMethod.CHECK: "check",
    PaymentMethod.OTHER: "payment",
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
    return "draft invoice" if label.startswith("Draft") or not label else f"invoice {label}"


def _payment_recorded(entry, links) -> dict:
    amount, _currency, number = payment_parts(entry.target_label)
    invoice_id = (entry.changes.get("invoice") or [None, None])[1]
    method = (entry.changes.get("method") or [None, None])[1]
    return {
        "amount": amount,
        "method": PAYMENT_NOUNS.get(method, "payment"),
        "invoice": links.to("invoice", invoice_id, number or "an invoice"),
    }


def _payment_voided(entry, links) -> dict:
    amount, _currency, number = payment_parts(entry.target_label)
    return {"amount": amount, "invoice": number or "an invoice"}


def register() -> None:
    describe_targets(
        {
            "invoice": TargetKind("invoice", "invoice_detail", "invoice_id", text=_invoice_text),
            "customer": TargetKind("customer", "customer_detail", "customer_id"),
            "business": TargetKind("business", "business_edit", "business_id"),
            "payment": TargetKind("payment"),
        }
    )
    describe_actions(
        {
            "invoice.created": Wording("{actor} created a {target}", "Invoice created"),
            "invoice.updated": Wording("{actor} changed {target}", "Invoice changed"),
            "invoice.issued": Wording("{actor} issued {target}", "Invoice issued"),
            "invoice.voided": Wording("{actor} voided {target}", "Invoice voided"),
            "invoice.deleted": Wording("{actor} deleted {target}", "Invoice deleted", links_target=False),
            "invoice.sent": Wording("{actor} sent {target} by email", "Invoice sent"),
            "payment.recorded": Wording(
                "{actor} recorded a {amount} {method} on {invoice}", "Payment recorded", values=_payment_recorded
            ),
            "payment.voided": Wording(
                "{actor} voided the {amount} payment on {invoice}", "Payment voided", values=_payment_voided
            ),
            "business.created": Wording("{actor} added the business {target}", "Business added"),
            "business.updated": Wording("{actor} changed the business {target}", "Business changed"),
            "customer.created": Wording("{actor} added the customer {target}", "Customer added"),
            "customer.updated": Wording("{actor} changed the customer {target}", "Customer changed"),
            "customer.archived": Wording("{actor} archived the customer {target}", "Customer archived"),
            "customer.deleted": Wording(
                "{actor} deleted the customer {target}", "Customer deleted", links_target=False
            ),
        }
    )
    _describe_fields()


def _model_labels(model, names) -> dict[str, str]:
    return {name: capfirst(model._meta.get_field(name).verbose_name) for name in names}


def _describe_fields() -> None:
    statuses = dict(InvoiceStatus.choices)
    describe_fields(
        {
            # In the order they are shown: an invoice's fields, a payment's, then the parties'.
            **_model_labels(Invoice, ["number", "status", "currency", "issue_date", "due_date"]),
            "discount_type": "Discount",
            "discount_value": "Discount value",
            **_model_labels(Invoice, ["notes", "terms"]),
            "items": "Lines",
            "description": "Description",
            "quantity": "Quantity",
            "unit_price": "Unit price",
            "tax_rate": "Tax rate",
            "vat_category": "VAT category",
            "vat_exemption_reasons": "VAT exemption reasons",
            **_model_labels(Invoice, ["subtotal"]),
            "discount_total": "Discount total",
            "tax_total": "Tax",
            **_model_labels(Invoice, ["total", "balance_due"]),
            "business": None,
            "customer": None,
            "invoice": None,
            "logo": "Logo",
            "sent_at": "Sent",
            "amount": "Amount",
            "date": "Date",
            "method": "Method",
            "reference": "Reference",
            "note": "Note",
            "voided": "Voided",
            "void_reason": "Reason",
            "invoice_amount_paid": "Paid on the invoice",
            "invoice_status": "Invoice status",
            **_model_labels(Business, [name for name in BUSINESS_INPUT if name != "logo"]),
            **_model_labels(Customer, CUSTOMER_INPUT),
        },
        values={
            "status": statuses,
            "invoice_status": statuses,
            "method": dict(PaymentMethod.choices),
            "discount_type": dict(DiscountType.choices),
            "tax_rate": lambda rate: f"{rate}%",
            "vat_category": dict(VatCategory.choices),
        },
    )
