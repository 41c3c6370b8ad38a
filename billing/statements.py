"""Customer statements of account: a read (a selector), per currency.

For a customer and a period (dates in the organization's time zone, both included):

- the opening balance, everything dated before the period: invoices issued, less credit
  notes issued, less payments received, plus refunds paid back;
- every invoice (by issue date), credit note (by issue date), payment and refund (by payment
  date) in the period, in date order, each with the balance after it;
- the closing balance: the opening balance plus the period's lines.

Drafts never count, neither do void invoices (the history of invoices voided before credit
notes existed) nor anything recorded on them, nor voided payments. Amounts are exact
Decimals rounded to the currency's minor unit (``billing.calc``). The statement reads six
queries whatever the customer's history: three sums before the period, three lists in it.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, F, Q, Sum, When

from billing.calc import quantize_money
from billing.exceptions import NotFound
from billing.models import (
    Business,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
)
from billing.validation import object_pk, parse_statement_period

# Invoices a statement counts: issued ones, whatever was paid or credited since.
COUNTED_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.CREDITED)
INVOICE, CREDIT_NOTE, PAYMENT, REFUND = "invoice", "credit_note", "payment", "refund"
# On one day: invoices first, then what credits, pays or pays back.
KIND_ORDER = {INVOICE: 0, CREDIT_NOTE: 1, PAYMENT: 2, REFUND: 3}


@dataclass(frozen=True)
class StatementLine:
    kind: str  # invoice | credit_note | payment | refund
    id: uuid.UUID
    date: date
    number: str | None  # the invoice's or credit note's number; a payment's reference
    invoice_id: uuid.UUID  # the invoice itself, or the one a credit note, payment or refund is on
    invoice_number: str | None
    amount: Decimal  # signed: what it adds to the balance (an invoice +, a credit note or payment -)
    balance: Decimal  # the balance after this line
    due_date: date | None = None  # invoices only
    method: str = ""  # payments and refunds: bank_transfer, card, ...


@dataclass(frozen=True)
class CurrencyStatement:
    currency: str
    opening_balance: Decimal
    lines: tuple[StatementLine, ...]
    closing_balance: Decimal

    @property
    def totals(self) -> dict[str, Decimal]:
        """The period's sums by kind, each positive (invoiced, credited, paid, refunded)."""
        sums = dict.fromkeys(KIND_ORDER, Decimal(0))
        for line in self.lines:
            sums[line.kind] += abs(line.amount)
        return sums


@dataclass(frozen=True)
class Statement:
    customer: Customer
    business: Business | None  # the seller printed on it: of the customer's latest invoice
    start: date
    end: date
    currencies: tuple[CurrencyStatement, ...]

    def fingerprint(self) -> str:
        """A SHA-256 of everything the statement says: equal fingerprints, equal documents."""
        digest = hashlib.sha256(f"{self.customer.pk}|{self.start}|{self.end}".encode())
        for section in self.currencies:
            digest.update(f"|{section.currency}:{section.opening_balance}:{section.closing_balance}".encode())
            for line in section.lines:
                digest.update(f"|{line.kind}:{line.id}:{line.date}:{line.amount}".encode())
        return digest.hexdigest()


def _money(value, currency: str) -> Decimal:
    # SQLite sums decimals as floats; quantizing to the currency brings them back exact.
    return quantize_money(Decimal(str(value or 0)), currency)


def _counted_invoices(organization, customer) -> Q:
    return Q(organization=organization, customer=customer, status__in=COUNTED_STATUSES)


def _on_counted_invoice(organization, customer) -> Q:
    return Q(organization=organization, invoice__customer=customer, invoice__status__in=COUNTED_STATUSES)


def _credit_notes(organization, customer):
    return CreditNote.objects.filter(_on_counted_invoice(organization, customer), status=CreditNoteStatus.ISSUED)


def _payments(organization, customer):
    return Payment.objects.filter(_on_counted_invoice(organization, customer), voided=False)


# A refund adds to what the customer owes; a payment takes from it.
SIGNED_PAYMENT = Sum(Case(When(kind=PaymentKind.REFUND, then=F("amount")), default=-F("amount")))


def _opening_balances(organization, customer, start: date) -> dict[str, Decimal]:
    """Per currency, the balance of everything dated before ``start``: three grouped sums."""
    balances: dict[str, Decimal] = {}
    invoiced = (
        Invoice.objects.filter(_counted_invoices(organization, customer), issue_date__lt=start)
        .values("currency")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    credited = (
        _credit_notes(organization, customer)
        .filter(issue_date__lt=start)
        .values("currency")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    paid = _payments(organization, customer).filter(date__lt=start).values("currency").annotate(amount=SIGNED_PAYMENT)
    for rows, sign in ((invoiced, 1), (credited, -1), (paid.order_by(), 1)):
        for row in rows:
            currency = row["currency"]
            balances[currency] = balances.get(currency, Decimal(0)) + sign * _money(row["amount"], currency)
    return balances


def _period_lines(organization, customer, start: date, end: date) -> list[tuple]:
    """Every line dated in the period, unsorted: (sort key, currency, the line's fields but
    its balance)."""
    found = []
    invoices = Invoice.objects.filter(
        _counted_invoices(organization, customer), issue_date__gte=start, issue_date__lte=end
    ).values_list("id", "currency", "issue_date", "number", "due_date", "total", "issued_at", "created_at")
    for pk, currency, day, number, due, total, issued_at, created_at in invoices:
        line = {"kind": INVOICE, "id": pk, "date": day, "number": number, "invoice_id": pk, "invoice_number": number}
        found.append(
            ((day, INVOICE, issued_at or created_at, pk), currency, {**line, "due_date": due, "amount": total})
        )
    notes = (
        _credit_notes(organization, customer)
        .filter(issue_date__gte=start, issue_date__lte=end)
        .values_list("id", "currency", "issue_date", "number", "invoice_id", "invoice__number", "total", "issued_at")
    )
    for pk, currency, day, number, invoice_id, invoice_number, total, issued_at in notes:
        line = {"kind": CREDIT_NOTE, "id": pk, "date": day, "number": number, "invoice_id": invoice_id}
        found.append(
            ((day, CREDIT_NOTE, issued_at, pk), currency, {**line, "invoice_number": invoice_number, "amount": -total})
        )
    payments = (
        _payments(organization, customer)
        .filter(date__gte=start, date__lte=end)
        .values_list(
            "id",
            "currency",
            "date",
            "reference",
            "invoice_id",
            "invoice__number",
            "method",
            "kind",
            "amount",
            "created_at",
        )
    )
    for pk, currency, day, reference, invoice_id, invoice_number, method, kind, amount, created_at in payments:
        line = {"kind": kind, "id": pk, "date": day, "number": reference, "invoice_id": invoice_id, "method": method}
        signed = amount if kind == PaymentKind.REFUND else -amount
        found.append(
            ((day, kind, created_at, pk), currency, {**line, "invoice_number": invoice_number, "amount": signed})
        )
    return found


def _sort_key(key: tuple) -> tuple:
    day, kind, moment, pk = key
    return (day, KIND_ORDER[kind], moment or datetime.min, str(pk))


def _sections(opening: dict[str, Decimal], found: list[tuple]) -> tuple[CurrencyStatement, ...]:
    """Per currency (alphabetical), the lines in date order with their running balance."""
    balances = dict(opening)
    lines: dict[str, list[StatementLine]] = {currency: [] for currency in opening}
    for _key, currency, fields in sorted(found, key=lambda entry: _sort_key(entry[0])):
        amount = _money(fields.pop("amount"), currency)
        balances[currency] = balances.get(currency, Decimal(0)) + amount
        lines.setdefault(currency, []).append(StatementLine(**fields, amount=amount, balance=balances[currency]))
    return tuple(
        CurrencyStatement(
            currency=currency,
            opening_balance=_money(opening.get(currency), currency),
            lines=tuple(lines[currency]),
            closing_balance=_money(balances[currency], currency),
        )
        for currency in sorted(lines)
        if lines[currency] or balances[currency]
    )


def _seller(organization, customer, end: date) -> Business | None:
    """The business of the customer's latest counted invoice up to ``end``, else the
    organization's first business by name: whose letterhead the statement carries."""
    latest = (
        Invoice.objects.filter(_counted_invoices(organization, customer), issue_date__lte=end)
        .select_related("business")
        .order_by("-issue_date", "-issued_at")
        .first()
    )
    if latest is not None:
        return latest.business
    return Business.objects.filter(organization=organization).order_by("name", "pk").first()


def customer_statement(*, organization, customer_id, start=None, end=None) -> Statement:
    """The statement of account of one customer for the period [``start``, ``end``]
    (``YYYY-MM-DD`` strings or dates; left out: this year, or the last 90 days early in the
    year, up to today in the organization's time zone). Bad dates raise
    ``BillingValidationError`` on ``start`` or ``end``; another organization's customer
    raises ``NotFound``. Eight queries: the customer, the seller and the six of the module
    (nine for a customer without invoices: the seller is then the first business)."""
    start, end = parse_statement_period(start, end, today=organization.local_today())
    pk = object_pk(customer_id)
    customer = Customer.objects.filter(organization=organization, pk=pk).first() if pk else None
    if customer is None:
        raise NotFound("No such customer.")
    opening = _opening_balances(organization, customer, start)
    found = _period_lines(organization, customer, start, end)
    return Statement(
        customer=customer,
        business=_seller(organization, customer, end),
        start=start,
        end=end,
        currencies=_sections(opening, found),
    )
