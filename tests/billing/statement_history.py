"""A customer's scripted history for statement tests, made through the services.

Period: March 2025. EUR: before it, invoice A (120.00) paid in full, invoice B (240.00)
credited 60.00 and paid 100.00 (a payment of 10.00 voided), a draft and a void invoice that
never count: opening 80.00. In it: invoice C 360.00, 80.00 paid on B, C paid 360.00 then
fully credited and refunded, invoice D 50.00 paid 20.00: closing 30.00. After it: invoice E
(120.00) and a payment of 10.00 on D, left out. JPY: invoice J (1,100) paid 500 before, 600 in the period:
opening 600, closing 0.
"""

from dataclasses import dataclass
from decimal import Decimal

from billing import services
from billing.models import Invoice, Payment
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice

START, END = "2025-03-01", "2025-03-31"


def item(price, rate="20", description="Work"):
    return {"description": description, "quantity": "1", "unit_price": price, "tax_rate": rate}


def invoice(org, business, customer, day, price, *, rate="20", status="issued", currency="EUR"):
    return make_invoice(
        organization=org,
        business=business,
        customer=customer,
        items=[item(price, rate)],
        status=status,
        issue_date=day,
        due_date=day,
        currency=currency,
    )


def pay(org, target, amount, day, *, kind="payment", reference=""):
    return services.payment_record(
        organization=org, actor=None, invoice_id=target.pk, amount=amount, date=day, kind=kind, reference=reference
    )


def credit(org, target, day, *, price=None, full=False):
    data = {"invoice": target.pk, "issue_date": day, "reason": "Returned"}
    data.update({"full": True} if full else {"items": [item(price)]})
    note = services.credit_note_create(organization=org, actor=None, data=data)
    return services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)


@dataclass
class History:
    invoices: dict
    credit_notes: dict
    payments: dict


def make_history(org, business, customer) -> History:
    a = invoice(org, business, customer, "2025-01-10", "100.00")
    b = invoice(org, business, customer, "2025-02-15", "200.00")
    invoice(org, business, customer, "2025-02-01", "999.00", status="draft")
    invoice(org, business, customer, "2025-02-05", "999.00", status="void")
    payments = {"a": pay(org, a, "120.00", "2025-02-01")}
    notes = {"b": credit(org, b, "2025-02-20", price="50.00")}
    payments["b1"] = pay(org, b, "100.00", "2025-02-25", reference="TRX-1")
    bounced = pay(org, b, "10.00", "2025-02-26")
    services.payment_void(organization=org, actor=None, payment_id=bounced.pk, reason="bounced")
    c = invoice(org, business, customer, "2025-03-05", "300.00")
    payments["b2"] = pay(org, b, "80.00", "2025-03-06", reference="TRX-2")
    payments["c"] = pay(org, c, "360.00", "2025-03-08")
    notes["c"] = credit(org, c, "2025-03-10", full=True)
    payments["refund"] = pay(org, c, "360.00", "2025-03-12", kind="refund")
    d = invoice(org, business, customer, "2025-03-20", "50.00", rate="0")
    payments["d"] = pay(org, d, "20.00", "2025-03-25")
    e = invoice(org, business, customer, "2025-04-05", "100.00")
    pay(org, d, "10.00", "2025-04-10")
    j = invoice(org, business, customer, "2025-02-01", "1000", rate="10", currency="JPY")
    payments["j1"] = pay(org, j, "500", "2025-02-10")
    payments["j2"] = pay(org, j, "600", "2025-03-15")
    with organization_scope(org):
        made = {"a": a, "b": b, "c": c, "d": d, "e": e, "j": j}
        fresh = {key: Invoice.objects.get(pk=obj.pk) for key, obj in made.items()}
        payments = {key: Payment.objects.get(pk=obj.pk) for key, obj in payments.items()}
    return History(invoices=fresh, credit_notes=notes, payments=payments)


# (kind, amount, balance after) of each March line in EUR, in order.
EXPECTED_EUR = [
    ("invoice", Decimal("360.00"), Decimal("440.00")),
    ("payment", Decimal("-80.00"), Decimal("360.00")),
    ("payment", Decimal("-360.00"), Decimal("0.00")),
    ("credit_note", Decimal("-360.00"), Decimal("-360.00")),
    ("refund", Decimal("360.00"), Decimal("0.00")),
    ("invoice", Decimal("50.00"), Decimal("50.00")),
    ("payment", Decimal("-20.00"), Decimal("30.00")),
]
