"""``manage.py seed_demo [--if-empty]``: a realistic demo organization, built through the services.

Two businesses, 15 customers, 60 invoices in every status (some cancelled by a credit note)
and several currencies, partial and full payments, a voided payment and overdue invoices,
all with correct totals and audit entries. The one customer with a VAT number in another EU
country than its seller's is invoiced under reverse charge, with the reason the business set
once. Invoices shown as sent were emailed through the outbox (``invoice_send``), and their
rows are left as a worker leaves them after the SMTP server accepted the message
(``record_delivery``; nothing is handed to an SMTP server: the recipients do not exist).

Quiet: the task logs of the seeding are held back (``-v 2`` shows them), and how to log in is
the last thing printed. ``--if-empty`` does nothing when any organization exists (for
container start-up scripts), but still prints the demo login when the demo users exist.

It lives in documents, the app that builds on billing, because the demo uses both."""

import contextlib
import logging
import random
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User, normalize_email_address
from billing import services
from billing.calc import quantize_money
from billing.models import Invoice, InvoiceStatus
from billing.vat import EU_COUNTRIES
from documents.services import invoice_send
from documents.tasks import record_delivery
from organizations.models import Membership, Organization
from organizations.permissions import Role
from organizations.services import organization_create
from organizations.tenancy import organization_scope

DEMO_OWNER_EMAIL = "demo@example.com"
DEMO_MEMBER_EMAIL = "member@example.com"
DEMO_PASSWORD = "billora-demo-password"  # noqa: S105 - a published demo login, printed on purpose

BUSINESSES = [
    {
        "name": "Northwind Studio",
        "legal_name": "Northwind Studio GmbH",
        "email": "billing@northwind.example",
        "phone": "+49 30 1234567",
        "address_line1": "Torstraße 101",
        "postcode": "10119",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "27/123/45678",
        "vat_id": "DE136695976",
        "legal_registration_id": "HRB 123456 B",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "language": "de",
        "contact_name": "Anna Schmidt",
        "legal_mentions": "Northwind Studio GmbH · Amtsgericht Berlin-Charlottenburg HRB 123456 B",
        "default_currency": "EUR",
        "payment_terms_days": 30,
        "default_notes": "Thank you for your business!",
        "default_terms": "Payable within 30 days by bank transfer.",
        "payment_instructions": "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX",
        "vat_exemption_reasons": {
            "AE": {
                "text": "Steuerschuldnerschaft des Leistungsempfängers / Reverse charge: VAT to be accounted for "
                "by the recipient, art. 196 Directive 2006/112/EC",
                "code": "VATEX-EU-AE",
            }
        },
    },
    {
        "name": "Bluebird Consulting",
        "legal_name": "Bluebird Consulting Ltd",
        "email": "accounts@bluebird.example",
        "address_line1": "21 King Street",
        "postcode": "EC2V 8EH",
        "city": "London",
        "country": "GB",
        "vat_id": "GB980780684",
        "default_currency": "GBP",
        "payment_terms_days": 14,
        "invoice_number_format": "BB{YY}{MM}-{SEQ}",
        "invoice_number_width": 3,
        "default_terms": "Payment due within 14 days.",
    },
]

CUSTOMERS = [
    ("Acme Corporation", "USD", "US"),
    ("Globex GmbH", "EUR", "DE"),
    ("Initech Ltd", "GBP", "GB"),
    ("Umbrella Logistics", "EUR", "NL"),
    ("Sakura Trading KK", "JPY", "JP"),
    ("Hooli Inc.", "USD", "US"),
    ("Stark Industries", "USD", "US"),
    ("Wayne Enterprises", "USD", "US"),
    ("Tyrell Systems", "GBP", "GB"),
    ("Soylent Foods", "EUR", "FR"),
    ("Nakatomi Holdings", "JPY", "JP"),
    ("Vandelay Imports", "EUR", "IE"),
    ("Helvetia Uhren AG", "CHF", "CH"),
    ("Oceanic Airlines", "EUR", "AT"),
    ("Cyberdyne Research", "USD", "US"),
]
# A business customer in another EU country than Northwind Studio: its invoices are reverse charge.
CUSTOMER_VAT_IDS = {"Umbrella Logistics": "NL004495445B01"}

CATALOG = [
    ("Website design", "850.00", "20"),
    ("Logo and brand guidelines", "1200.00", "20"),
    ("Development, hourly", "95.00", "20"),
    ("Project management, hourly", "75.00", "20"),
    ("Hosting, monthly", "49.99", "20"),
    ("Support retainer", "400.00", "20"),
    ("Printed brochures (box of 100)", "129.50", "7"),
    ("Training workshop, per day", "1450.00", "0"),
    ("Travel expenses", "212.40", "0"),
]

# 60 invoices: enough of every status to make every list, filter and figure interesting.
PLAN = ["draft"] * 8 + ["issued"] * 14 + ["partially_paid"] * 10 + ["paid"] * 22 + ["credited"] * 6
SENT_SHARE = 0.8  # of the issued invoices, this share was emailed
PAYMENT_METHODS = ["bank_transfer", "bank_transfer", "card", "cash", "check", "other"]


class Command(BaseCommand):
    help = "Create a demo organization with users, businesses, customers, invoices and payments."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any organization exists already.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (the same seed, the same data).")

    def handle(self, *args, if_empty=False, seed=2026, verbosity=1, **options):
        if if_empty and Organization.objects.exists():
            self.stdout.write("Organizations exist already; nothing seeded (--if-empty).")
            if User.objects.filter(email=DEMO_OWNER_EMAIL).exists():
                self.print_login()
            return
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        # One transaction: all or nothing, and one commit instead of hundreds (fast on SQLite).
        # Document renders are scheduled on commit, so they run once everything exists.
        with quiet(verbosity < 2), transaction.atomic():
            owner = _user(DEMO_OWNER_EMAIL, "Dana Demo")
            member = _user(DEMO_MEMBER_EMAIL, "Max Member")
            organization = organization_create(
                actor=None, owner=owner, name="Demo Company", time_zone="Europe/Berlin", default_currency="EUR"
            )
            with organization_scope(organization):
                Membership.objects.create(organization=organization, user=member, role=Role.MEMBER)
                counts = _seed(organization, owner, member, rng)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded “{organization.name}” (/o/{organization.slug}/): {counts['businesses']} businesses, "
                f"{counts['customers']} customers, {counts['invoices']} invoices, {counts['payments']} payments, "
                f"{counts['emails']} emails."
            )
        )
        self.print_login()

    def print_login(self):
        self.stdout.write("Log in at /accounts/login/ with:")
        self.stdout.write(f"  email:    {DEMO_OWNER_EMAIL}   (owner)")
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
        self.stdout.write(f"  or {DEMO_MEMBER_EMAIL} (member) with the same password.")


@contextlib.contextmanager
def quiet(enabled: bool):
    """Hold back log records up to WARNING (task runs, the eager broker's notice) while seeding;
    errors still show."""
    if not enabled:
        yield
        return
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _user(email, full_name) -> User:
    """The demo user with a verified primary address, so mandatory verification lets them in."""
    from allauth.account.models import EmailAddress

    email = normalize_email_address(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
    return user


def _parties(organization, owner, member):
    businesses = [services.business_create(organization=organization, actor=owner, data=data) for data in BUSINESSES]
    customers = []
    for index, (name, currency, country) in enumerate(CUSTOMERS):
        slug = name.lower().split()[0].strip(".,")
        data = {
            "name": name,
            "email": f"accounts@{slug}.example",
            "phone": f"+1 555 01{index:02d}",
            "address_line1": f"{100 + index} Market Street",
            "address_line2": f"Suite {index + 1}",
            "city": "Springfield",
            "country": country,
            "tax_id": f"TX-{1000 + index}",
            "vat_id": CUSTOMER_VAT_IDS.get(name, ""),
            "currency": currency,
        }
        customers.append(
            services.customer_create(organization=organization, actor=owner if index % 2 else member, data=data)
        )
    return businesses, customers


def _invoice_data(rng, position, business, customer, issue_date) -> dict:
    items = [
        {
            "description": description,
            "quantity": str(rng.choice([1, 1, 2, 3, 5, 8, 12.5])),
            "unit_price": price,
            "tax_rate": rate,
        }
        for description, price, rate in rng.sample(CATALOG, rng.randint(1, 4))
    ]
    if customer.currency == "JPY":
        for item in items:
            item["unit_price"] = str(int(Decimal(item["unit_price"]) * 150))
    if _reverse_charge(business, customer):
        for item in items:
            item.update(tax_rate="0", vat_category="AE")
    data = {
        "business": business.pk,
        "customer": customer.pk,
        "currency": customer.currency,
        "issue_date": issue_date,
        "due_date": issue_date + timedelta(days=business.payment_terms_days),
        "items": items,
    }
    if position % 7 == 3:
        data.update(discount_type="percent", discount_value="10")
    elif position % 11 == 5:
        data.update(discount_type="amount", discount_value="50" if customer.currency != "JPY" else "5000")
    return data


def _reverse_charge(business, customer) -> bool:
    """A service between two VAT-registered businesses in different EU countries: the customer
    accounts for the VAT (art. 196 of the VAT Directive)."""
    countries = (business.country, customer.country)
    return bool(business.vat_id and customer.vat_id) and set(countries) <= EU_COUNTRIES and len(set(countries)) == 2


class _Demo:
    """The seeding's state: who acts, what was counted, the one voided payment."""

    def __init__(self, organization, owner, member, rng):
        self.organization, self.owner, self.member, self.rng = organization, owner, member, rng
        self.today = organization.local_today()
        self.payments = 0
        self.emails = 0
        self.voided_one = False

    def email(self, invoice, actor) -> None:
        """Sent as the app sends: queued through the outbox, then delivered as a worker would."""
        email = invoice_send(organization=self.organization, actor=actor, invoice_id=invoice.pk)
        record_delivery(email, organization=self.organization)
        self.emails += 1

    def pay(self, invoice, amount, actor):
        paid_on = min(self.today, invoice.issue_date + timedelta(days=self.rng.randint(1, 40)))
        self.payments += 1
        return services.payment_record(
            organization=self.organization,
            actor=actor,
            invoice_id=invoice.pk,
            amount=str(amount),
            date=paid_on,
            method=self.rng.choice(PAYMENT_METHODS),
            reference=f"REF-{self.rng.randint(10000, 99999)}",
        )

    def settle(self, invoice, status, actor) -> None:
        """Payments that bring an issued invoice to ``status`` (partially paid or paid)."""
        currency = invoice.currency
        if status == InvoiceStatus.PARTIALLY_PAID:
            share = Decimal(self.rng.choice(["0.25", "0.4", "0.5"]))
            self.pay(invoice, quantize_money(invoice.total * share, currency), actor)
            return
        if not self.voided_one:
            # The one voided payment: a card charge-back, then paid again by transfer.
            bounced = self.pay(invoice, invoice.total, actor)
            services.payment_void(
                organization=self.organization, actor=self.owner, payment_id=bounced.pk, reason="Card charge-back"
            )
            self.voided_one = True
        if self.rng.random() < 0.4:
            first = quantize_money(invoice.total / 2, currency)
            self.pay(invoice, first, actor)
            self.pay(invoice, invoice.total - first, actor)
        else:
            self.pay(invoice, invoice.total, actor)

    def invoice(self, status, data, actor) -> None:
        organization = self.organization
        invoice = services.invoice_create(organization=organization, actor=actor, data=data)
        if status == InvoiceStatus.DRAFT:
            return
        invoice = services.invoice_issue(organization=organization, actor=actor, invoice_id=invoice.pk)
        if self.rng.random() < SENT_SHARE:
            self.email(invoice, actor)
        if status == InvoiceStatus.CREDITED:
            services.invoice_cancel(
                organization=organization, actor=self.owner, invoice_id=invoice.pk, reason="Cancelled by the customer"
            )
        elif status != InvoiceStatus.ISSUED:
            self.settle(invoice, status, actor)


def _seed(organization, owner, member, rng: random.Random) -> dict:
    demo = _Demo(organization, owner, member, rng)
    businesses, customers = _parties(organization, owner, member)
    plan = PLAN[:]
    rng.shuffle(plan)
    # Issue in date order so each business's numbers rise with its issue dates.
    dated = sorted(((rng.randint(0 if status == "draft" else 3, 330), status) for status in plan), reverse=True)
    for position, (days_ago, status) in enumerate(dated):
        customer = customers[position % len(customers)]
        business = businesses[1] if customer.currency == "GBP" or position % 5 == 0 else businesses[0]
        actor = owner if position % 3 else member
        data = _invoice_data(rng, position, business, customer, demo.today - timedelta(days=days_ago))
        demo.invoice(status, data, actor)
    # One customer has moved on: archived, its invoices kept.
    services.customer_update(
        organization=organization, actor=owner, customer_id=customers[-1].pk, data={"archived": True}
    )
    return {
        "businesses": len(businesses),
        "customers": len(customers),
        "invoices": Invoice.objects.filter(organization=organization).count(),
        "payments": demo.payments,
        "emails": demo.emails,
    }
