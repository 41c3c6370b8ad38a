"""``manage.py seed_demo [--if-empty]``: a realistic demo organization, built through the services.

Two businesses, 15 customers, ~60 invoices in every status and several currencies, partial
and full payments, a voided payment and overdue invoices, all with correct totals and audit
entries. Prints how to log in. ``--if-empty`` does nothing when any organization exists
(for container start-up scripts)."""

import random
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User, normalize_email_address
from billing import services
from billing.calc import quantize_money
from billing.models import Invoice, InvoiceStatus
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

# ~60 invoices: enough of every status to make every list, filter and figure interesting.
PLAN = ["draft"] * 8 + ["issued"] * 14 + ["partially_paid"] * 10 + ["paid"] * 22 + ["void"] * 6


class Command(BaseCommand):
    help = "Create a demo organization with users, businesses, customers, invoices and payments."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any organization exists already.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (the same seed, the same data).")

    def handle(self, *args, if_empty=False, seed=2026, **options):
        if if_empty and Organization.objects.exists():
            self.stdout.write("Organizations exist already; nothing seeded (--if-empty).")
            return
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        # One transaction: all or nothing, and one commit instead of hundreds (fast on SQLite).
        # Document renders are scheduled on commit, so they run once everything exists.
        with transaction.atomic():
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
                f"{counts['customers']} customers, {counts['invoices']} invoices, {counts['payments']} payments."
            )
        )
        self.stdout.write("Log in at /accounts/login/ with:")
        self.stdout.write(f"  email:    {DEMO_OWNER_EMAIL}   (owner)")
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
        self.stdout.write(f"  or {DEMO_MEMBER_EMAIL} (member) with the same password.")


def _user(email, full_name) -> User:
    """The demo user with a verified primary address, so mandatory verification lets them in."""
    from allauth.account.models import EmailAddress

    email = normalize_email_address(email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
    return user


def _seed(organization, owner, member, rng: random.Random) -> dict:
    today = organization.local_today()
    businesses = [services.business_create(organization=organization, actor=owner, data=data) for data in BUSINESSES]
    customers = []
    for index, (name, currency, country) in enumerate(CUSTOMERS):
        slug = name.lower().split()[0].strip(".,")
        customers.append(
            services.customer_create(
                organization=organization,
                actor=owner if index % 2 else member,
                data={
                    "name": name,
                    "email": f"accounts@{slug}.example",
                    "phone": f"+1 555 01{index:02d}",
                    "address_line1": f"{100 + index} Market Street",
                    "address_line2": f"Suite {index + 1}",
                    "city": "Springfield",
                    "country": country,
                    "tax_id": f"TX-{1000 + index}",
                    "currency": currency,
                },
            )
        )

    plan = PLAN[:]
    rng.shuffle(plan)
    # Issue in date order so each business's numbers rise with its issue dates.
    dated = sorted(((rng.randint(0 if status == "draft" else 3, 330), status) for status in plan), reverse=True)
    payments = 0
    voided_one = False
    for position, (days_ago, status) in enumerate(dated):
        customer = customers[position % len(customers)]
        business = businesses[1] if customer.currency == "GBP" or position % 5 == 0 else businesses[0]
        actor = owner if position % 3 else member
        issue_date = today - timedelta(days=days_ago)
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
        invoice = services.invoice_create(organization=organization, actor=actor, data=data)
        if status == InvoiceStatus.DRAFT:
            continue
        invoice = services.invoice_issue(organization=organization, actor=actor, invoice_id=invoice.pk)
        if rng.random() < 0.8:
            services.invoice_mark_sent(organization=organization, actor=None, invoice_id=invoice.pk)
        if status == InvoiceStatus.VOID:
            services.invoice_void(organization=organization, actor=owner, invoice_id=invoice.pk)
            continue
        if status == InvoiceStatus.ISSUED:
            continue

        def pay(amount, *, invoice=invoice, actor=actor, issue_date=issue_date):
            paid_on = min(today, issue_date + timedelta(days=rng.randint(1, 40)))
            return services.payment_record(
                organization=organization,
                actor=actor,
                invoice_id=invoice.pk,
                amount=str(amount),
                date=paid_on,
                method=rng.choice(["bank_transfer", "bank_transfer", "card", "cash", "check", "other"]),
                reference=f"REF-{rng.randint(10000, 99999)}",
            )

        currency = invoice.currency
        if status == InvoiceStatus.PARTIALLY_PAID:
            pay(quantize_money(invoice.total * Decimal(rng.choice(["0.25", "0.4", "0.5"])), currency))
            payments += 1
            continue
        if not voided_one:
            # The one voided payment: a card charge-back, then paid again by transfer.
            bounced = pay(invoice.total)
            services.payment_void(
                organization=organization, actor=owner, payment_id=bounced.pk, reason="Card charge-back"
            )
            voided_one = True
            payments += 1
        if rng.random() < 0.4:
            first = quantize_money(invoice.total / 2, currency)
            pay(first)
            pay(invoice.total - first)
            payments += 2
        else:
            pay(invoice.total)
            payments += 1

    # One customer has moved on: archived, its invoices kept.
    services.customer_update(
        organization=organization, actor=owner, customer_id=customers[-1].pk, data={"archived": True}
    )
    return {
        "businesses": len(businesses),
        "customers": len(customers),
        "invoices": Invoice.objects.filter(organization=organization).count(),
        "payments": payments,
    }
