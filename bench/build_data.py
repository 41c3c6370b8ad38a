"""Benchmark data: N organizations x M invoices (defaults 20 x 10,000 = 200,000 invoices,
~1,000,000 items, ~200,000 payments) plus one organization with 1,000 invoices for the
scale comparison.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/billora_bench .venv/bin/python
bench/build_data.py [--orgs 20] [--invoices 10000] [--small 1000] [--reset]`` (migrated
database). ``bench/run.py`` calls ``ensure_data()`` from here.

Speed is the point, so invoices, items and payments are NOT written through the billing
services one by one: they are generated in memory and written in bulk (COPY on PostgreSQL,
``bulk_create`` in batches elsewhere). They are still valid data: every stored amount
(line nets, line discounts, subtotal, discount, per-rate tax, total) comes from
``billing.calc.compute_totals``, balance and status from ``billing.calc.balance_and_status``,
numbers from ``billing.numbering.format_number`` with each business's ``NumberSequence`` set to
the last number used, so the database check constraints hold and the app carries on
numbering where the data stops. Organizations, memberships and API keys are small and go
through the normal code (API keys through ``organizations.services.api_key_create``).

Every query runs inside an explicit scope (``organization_scope`` per organization,
``all_tenants`` for the cross-organization lookups and the reset).
"""

import argparse
import contextlib
import dataclasses
import json
import os
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

import django
from django.apps import apps

if not apps.ready:
    django.setup()

from django.db import connection, transaction
from django.db.models import JSONField

from accounts.models import User
from billing.calc import LineInput, balance_and_status, compute_totals, currency_exponent, vat_category_of
from billing.models import (
    Business,
    Customer,
    DiscountType,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    NumberSequence,
    Payment,
    PaymentMethod,
)
from billing.numbering import format_number
from billing.services.invoices import breakdown_rows
from organizations.models import Membership, Organization
from organizations.permissions import Role
from organizations.services import api_key_create
from organizations.tenancy import all_tenants, organization_scope

BUILD_INFO_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
SLUG_PREFIX = "bench-"
SMALL_SLUG = "bench-small"
EMAIL_DOMAIN = "bench.example.com"
ITEMS_PER_INVOICE = 5
CUSTOMERS_PER_ORG = 200
HISTORY_DAYS = 730
BATCH = 5000
# COPY runs in this many threads (own connections), each writing one organization, while the
# main thread generates the next one: PostgreSQL's side of the load is the slower one.
WRITERS = 2

# (description, unit price in a 2-place currency)
CATALOG = [
    ("Website design", Decimal("850.00")),
    ("Logo and brand guidelines", Decimal("1200.00")),
    ("Development, hourly", Decimal("95.00")),
    ("Project management, hourly", Decimal("75.00")),
    ("Hosting, monthly", Decimal("49.99")),
    ("Support retainer", Decimal("400.00")),
    ("Copywriting, per page", Decimal("120.50")),
    ("Photography, half day", Decimal("640.00")),
    ("Travel expenses", Decimal("212.37")),
    ("Training workshop", Decimal("1490.00")),
]
QUANTITIES = [Decimal("1"), Decimal("2"), Decimal("0.5"), Decimal("1.5"), Decimal("3"), Decimal("10"), Decimal("7.25")]
CUSTOMER_NAMES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Soylent",
    "Vandelay",
    "Cyberdyne",
    "Oceanic",
    "Nakatomi",
    "Helvetia",
    "Sakura",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Wonka",
    "Gringotts",
]
CUSTOMER_SUFFIXES = ["GmbH", "Ltd", "Inc.", "SA", "BV", "KK", "AG", "LLC", "Oy", "SRL"]


@dataclasses.dataclass
class BenchOrg:
    slug: str
    organization_id: str
    user_email: str
    api_key: str  # raw key, shown once: the load test authenticates with it
    invoices: int


@dataclasses.dataclass
class BenchData:
    orgs: list[BenchOrg]
    built: bool  # False when existing data was reused
    seconds: float
    total_invoices: int
    total_items: int
    total_payments: int
    note: str = ""  # how and when the data was built (also for reused data)

    def org(self, slug) -> BenchOrg:
        return next(org for org in self.orgs if org.slug == slug)


def big_slugs(orgs: int) -> list[str]:
    return [f"{SLUG_PREFIX}{index:02d}" for index in range(1, orgs + 1)]


def expected_orgs(orgs: int, invoices: int, small: int) -> list[tuple[str, int]]:
    plan = [(slug, invoices) for slug in big_slugs(orgs)]
    if small:
        plan.append((SMALL_SLUG, small))
    return plan


# --- writing ---------------------------------------------------------------------------------


def _column_defaults(model) -> dict:
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.has_default():
            defaults[field.attname] = field.get_default()
        else:
            defaults[field.attname] = "" if field.empty_strings_allowed and not field.null else None
    return defaults


def write_rows(model, rows: list[dict]) -> None:
    """Insert rows (dicts by attname; missing columns take the field default) in bulk: COPY
    on PostgreSQL, which also keeps the explicit ``created_at``; ``bulk_create`` in batches
    elsewhere (the small test sizes)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    fields = list(model._meta.concrete_fields)
    defaults = _column_defaults(model)
    json_fields = {field.attname for field in fields if isinstance(field, JSONField)}
    for name in json_fields:
        defaults[name] = json.dumps(defaults[name])
    attnames = [field.attname for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            for name in json_fields & row.keys():
                row[name] = json.dumps(row[name])
            copy.write_row([row[name] if name in row else defaults[name] for name in attnames])


# --- generating ------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)))


def _price(base: Decimal, currency: str) -> Decimal:
    # JPY has no minor unit: a realistic yen price is ~150 times the euro one, whole.
    return _money(base * 150, currency) if currency_exponent(currency) == 0 else base


def _aware(day: date, seconds: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _make_businesses(organization, index: int) -> list[Business]:
    return [
        Business(
            organization=organization,
            name=f"Bench Studio {index:02d}",
            legal_name=f"Bench Studio {index:02d} GmbH",
            email=f"billing-{index:02d}@{EMAIL_DOMAIN}",
            phone="+49 30 1234567",
            address_line1="Torstrasse 101",
            postcode="10119",
            city="Berlin",
            country="DE",
            tax_id=f"DE{298765400 + index}",
            default_currency="EUR",
            payment_terms_days=30,
            invoice_number_format="INV-{YYYY}-{SEQ}",
            invoice_number_width=5,
            invoice_number_yearly_reset=True,
            default_terms="Payable within 30 days by bank transfer.",
            payment_instructions="IBAN DE89 3704 0044 0532 0130 00",
        ),
        Business(
            organization=organization,
            name=f"Bench Consulting {index:02d}",
            legal_name=f"Bench Consulting {index:02d} Ltd",
            email=f"accounts-{index:02d}@{EMAIL_DOMAIN}",
            address_line1="21 King Street",
            postcode="EC2V 8EH",
            city="London",
            country="GB",
            tax_id=f"GB{123456700 + index}",
            default_currency="USD",
            payment_terms_days=14,
            invoice_number_format="BC-{SEQ}",
            invoice_number_width=6,
            invoice_number_yearly_reset=False,
            default_terms="Payment due within 14 days.",
        ),
    ]


def _make_customers(organization, rng: random.Random, count: int) -> list[Customer]:
    customers = []
    for number in range(count):
        base = CUSTOMER_NAMES[number % len(CUSTOMER_NAMES)]
        suffix = CUSTOMER_SUFFIXES[(number // len(CUSTOMER_NAMES)) % len(CUSTOMER_SUFFIXES)]
        roll = rng.random()
        currency = "EUR" if roll < 0.75 else ("USD" if roll < 0.95 else "JPY")
        customers.append(
            Customer(
                organization=organization,
                name=f"{base} {suffix} {number + 1}",
                email=f"ap-{number + 1}@{base.lower()}.example.com",
                address_line1=f"{number + 1} Main Street",
                city="Springfield",
                country="DE",
                tax_id=f"XX{100000 + number}",
                currency=currency,
            )
        )
    return customers


def _pick_status(rng: random.Random, age: int, due_date: date, today: date, settled_after=None) -> str:
    """Realistic mix: recent drafts, a few voids; unpaid, partly paid and overdue open ones.
    Invoices older than ``settled_after`` days (when given) are settled: paid or void."""
    if settled_after is not None and age > settled_after:
        return InvoiceStatus.VOID if rng.random() < 0.05 else InvoiceStatus.PAID
    if age < 45 and rng.random() < 0.15:
        return InvoiceStatus.DRAFT
    if rng.random() < 0.05:
        return InvoiceStatus.VOID
    roll = rng.random()
    if due_date >= today:  # not due yet: mostly open
        return (
            InvoiceStatus.ISSUED
            if roll < 0.6
            else (InvoiceStatus.PARTIALLY_PAID if roll < 0.75 else InvoiceStatus.PAID)
        )
    # past due: mostly paid; the rest are the overdue ones
    return (
        InvoiceStatus.PAID if roll < 0.88 else (InvoiceStatus.PARTIALLY_PAID if roll < 0.93 else InvoiceStatus.ISSUED)
    )


# Invoices repeat their line sets (retainers, standard packages): LINE_SETS distinct sets
# per currency keep the generation fast, since each set's totals are computed (by calc) once.
LINE_SETS = 2000
TAX_RATES = {"EUR": [Decimal("19"), Decimal("19"), Decimal("7")], "USD": [Decimal("0")], "JPY": [Decimal("10")]}
DISCOUNTS = {
    "none": (DiscountType.NONE, None),
    "percent": (DiscountType.PERCENT, Decimal("10")),
    "amount": (DiscountType.AMOUNT, Decimal("5.00")),
}
_line_sets: dict[tuple[str, int], list] = {}
_totals: dict[tuple[str, int, str], object] = {}


def _line_set(currency: str, number: int) -> list[tuple[str, LineInput]]:
    key = (currency, number)
    if key not in _line_sets:
        rng = random.Random(f"lines-{currency}-{number}")
        _line_sets[key] = [
            (
                description,
                LineInput(
                    quantity=rng.choice(QUANTITIES),
                    unit_price=_price(price, currency),
                    tax_rate=rng.choice(TAX_RATES[currency]),
                ),
            )
            for description, price in (rng.choice(CATALOG) for _ in range(ITEMS_PER_INVOICE))
        ]
    return _line_sets[key]


def _totals_of(currency: str, number: int, discount: str):
    """``compute_totals`` of one line set and discount (memoized: calc is pure)."""
    key = (currency, number, discount)
    if key not in _totals:
        discount_type, value = DISCOUNTS[discount]
        _totals[key] = compute_totals(
            currency=currency,
            lines=[line for _, line in _line_set(currency, number)],
            discount_type=discount_type,
            discount_value=_price(value, currency) if discount == "amount" else (value or Decimal(0)),
        )
    return _totals[key]


def generate_org_data(
    organization, user, businesses, customers, count: int, rng: random.Random, *, age=None, settled_after=None
):
    """Rows (dicts by attname) of the invoices, items, payments and number sequences of one
    organization, in memory. ``age(rng, n)`` picks the n-th invoice's age in days (default:
    uniform over ``HISTORY_DAYS``); ``settled_after`` settles every invoice older than that."""
    today = organization.local_today()
    now = datetime.now(UTC)

    def at(day: date) -> datetime:  # a working-hours moment of that day, never in the future
        moment = _aware(day, rng.randrange(8 * 3600, 18 * 3600))
        return moment if moment <= now else now - timedelta(seconds=rng.randrange(60, 3600))

    org_id = organization.pk
    invoices, items, payments = [], [], []
    snapshots_b = {b.pk: b.snapshot() for b in businesses}
    snapshots_c = {c.pk: c.snapshot() for c in customers}
    methods = list(PaymentMethod.values)
    age_of = age
    for index in range(count):
        business = businesses[0] if rng.random() < 0.7 else businesses[1]
        customer = customers[rng.randrange(len(customers))]
        currency = customer.currency
        age = rng.randrange(HISTORY_DAYS) if age_of is None else age_of(rng, index)
        issue_date = today - timedelta(days=age)
        due_date = issue_date + timedelta(days=business.payment_terms_days)
        status = _pick_status(rng, age, due_date, today, settled_after)
        line_set = rng.randrange(LINE_SETS)
        roll = rng.random()
        discount = "percent" if roll < 0.15 else ("amount" if roll < 0.2 else "none")
        totals = _totals_of(currency, line_set, discount)
        discount_type, discount_value = DISCOUNTS[discount]
        if discount == "amount":
            discount_value = _price(discount_value, currency)

        invoice_id = _uuid(rng)
        created_at = at(issue_date)
        invoice = {
            "id": invoice_id,
            "organization_id": org_id,
            "business_id": business.pk,
            "customer_id": customer.pk,
            "number": None,
            "status": InvoiceStatus.DRAFT.value,
            "currency": currency,
            "issue_date": issue_date,
            "due_date": due_date,
            "discount_type": discount_type.value,
            "discount_value": discount_value or Decimal(0),
            "notes": "Thank you for your business.",
            "terms": business.default_terms,
            "subtotal": totals.subtotal,
            "discount_total": totals.discount_total,
            "tax_total": totals.tax_total,
            "total": totals.total,
            "amount_paid": Decimal(0),
            "balance_due": totals.total,
            "tax_breakdown": breakdown_rows(totals, {}),
            "version": 1,
            "created_by_user_id": user.pk,
            "created_at": created_at,
            "updated_at": created_at,
        }
        for position, ((description, line), amounts) in enumerate(
            zip(_line_set(currency, line_set), totals.lines, strict=True), start=1
        ):
            items.append(
                {
                    "id": _uuid(rng),
                    "organization_id": org_id,
                    "invoice_id": invoice_id,
                    "position": position,
                    "description": description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "tax_rate": line.tax_rate,
                    "vat_category": vat_category_of(line),
                    "line_net": amounts.line_net,
                    "line_discount": amounts.line_discount,
                    "created_at": created_at,
                    "updated_at": created_at,
                }
            )

        if status != InvoiceStatus.DRAFT:
            issued_at = min(created_at + timedelta(minutes=10), now)
            invoice.update(
                issued_at=issued_at,
                updated_at=issued_at,
                version=2,
                business_snapshot=snapshots_b[business.pk],
                customer_snapshot=snapshots_c[customer.pk],
                status=InvoiceStatus.ISSUED.value,
                sent_at=min(issued_at + timedelta(minutes=5), now) if rng.random() < 0.9 else None,
            )
            if status == InvoiceStatus.VOID:
                voided_at = min(issued_at + timedelta(days=rng.randrange(1, 10)), now)
                invoice.update(status=InvoiceStatus.VOID.value, voided_at=voided_at, updated_at=voided_at, version=3)
            elif status in (InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID):
                total = totals.total
                if status == InvoiceStatus.PAID:
                    if rng.random() < 0.3 and total >= 2:
                        first = _money(total * Decimal("0.4"), currency)
                        amounts = [first, total - first]
                    else:
                        amounts = [total]
                else:
                    amounts = [max(_money(total * Decimal(rng.randrange(20, 80)) / 100, currency), Decimal(1))]
                span = max((min(today, due_date + timedelta(days=20)) - issue_date).days, 0)
                paid = Decimal(0)
                for amount in amounts:
                    paid_on = issue_date + timedelta(days=rng.randrange(span + 1))
                    paid_at = max(at(paid_on), issued_at)
                    payments.append(
                        {
                            "id": _uuid(rng),
                            "organization_id": org_id,
                            "invoice_id": invoice_id,
                            "amount": amount,
                            "currency": currency,
                            "date": paid_on,
                            "method": rng.choice(methods),
                            "reference": f"TRX-{rng.randrange(10**8):08d}",
                            "recorded_by_user_id": user.pk,
                            "recorded_by_label": user.email,
                            "created_at": paid_at,
                            "updated_at": paid_at,
                        }
                    )
                    paid += amount
                    invoice["version"] += 1
                    invoice["updated_at"] = max(invoice["updated_at"], paid_at)
                balance, new_status = balance_and_status(total=total, amount_paid=paid)
                invoice.update(amount_paid=paid, balance_due=balance, status=new_status)
        invoices.append(invoice)

    # Numbers: per business (and year when it restarts yearly), in issue order, gapless.
    by_pk = {b.pk: b for b in businesses}
    counters: dict[tuple, int] = {}
    for invoice in sorted(invoices, key=lambda row: (row["issue_date"], row["created_at"])):
        if invoice["status"] == InvoiceStatus.DRAFT:
            continue
        business = by_pk[invoice["business_id"]]
        year = invoice["issue_date"].year if business.invoice_number_yearly_reset else 0
        counters[(business.pk, year)] = sequence = counters.get((business.pk, year), 0) + 1
        invoice["number"] = format_number(
            business.invoice_number_format,
            sequence=sequence,
            width=business.invoice_number_width,
            on_date=invoice["issue_date"],
        )
    sequences = [
        NumberSequence(organization=organization, business=by_pk[business_pk], year=year, last_value=last)
        for (business_pk, year), last in counters.items()
    ]
    return invoices, items, payments, sequences


# --- organizations ----------------------------------------------------------------------------


def _bench_user(slug: str) -> User:
    email = f"{slug}@{EMAIL_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, full_name=f"Bench user {slug}")
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def _new_api_key(organization, user) -> str:
    _, raw = api_key_create(organization=organization, actor=user, name=f"bench {datetime.now(UTC):%Y-%m-%d %H:%M:%S}")
    return raw


def prepare_org(slug: str, index: int, invoices: int, *, seed: int = 42, **generate):
    """Create the organization, its owner, businesses, customers and an API key (committed),
    and generate its invoice rows in memory (``generate``: ``generate_org_data``'s keyword
    arguments). Returns (BenchOrg, organization, rows)."""
    rng = random.Random(f"{seed}-{slug}")
    user = _bench_user(slug)
    with transaction.atomic():
        organization = Organization.objects.create(
            name=f"Bench {slug.removeprefix(SLUG_PREFIX)}",
            slug=slug,
            time_zone="Europe/Berlin",
            default_currency="EUR",
        )
        with organization_scope(organization):
            Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
            businesses = _make_businesses(organization, index)
            Business.objects.bulk_create(businesses)
            customers = _make_customers(organization, rng, min(CUSTOMERS_PER_ORG, max(invoices, 1)))
            Customer.objects.bulk_create(customers)
    with organization_scope(organization):
        raw = _new_api_key(organization, user)
        rows = generate_org_data(organization, user, businesses, customers, invoices, rng, **generate)
    return BenchOrg(slug, str(organization.pk), user.email, raw, len(rows[0])), organization, rows


def write_org(organization, rows, *, own_connection=False) -> float:
    """Write one organization's generated rows in one transaction; returns the seconds taken."""
    started = time.perf_counter()
    invoice_rows, item_rows, payment_rows, sequences = rows
    try:
        with organization_scope(organization), transaction.atomic():
            write_rows(Invoice, invoice_rows)
            write_rows(InvoiceItem, item_rows)
            write_rows(Payment, payment_rows)
            NumberSequence.objects.bulk_create(sequences)
    finally:
        if own_connection:
            connection.close()  # a writer thread's connection, opened for this org
    return time.perf_counter() - started


def build_orgs(plan, *, parallel: bool, log=print) -> list[BenchOrg]:
    """Build the planned organizations. With ``parallel`` (PostgreSQL, outside tests) writer
    threads with their own connections COPY organizations while the next one is generated,
    so Python and PostgreSQL work at the same time."""
    result = []
    if not parallel:
        for index, (slug, planned) in enumerate(plan, start=1):
            started = time.perf_counter()
            org, organization, rows = prepare_org(slug, index, planned)
            generated = time.perf_counter() - started
            written = write_org(organization, rows)
            log(f"  {slug}: {_summary(rows)} (generate {generated:.1f} s, write {written:.1f} s)")
            result.append(org)
        return result
    with ThreadPoolExecutor(max_workers=WRITERS) as writer:
        pending = []
        for index, (slug, planned) in enumerate(plan, start=1):
            started = time.perf_counter()
            org, organization, rows = prepare_org(slug, index, planned)
            generated = time.perf_counter() - started
            if len(pending) >= WRITERS:
                pending.pop(0).result()  # bounded memory: at most WRITERS organizations wait
            future = writer.submit(write_org, organization, rows, own_connection=True)
            future.add_done_callback(
                lambda done, slug=slug, rows=rows, generated=generated: (
                    log(f"  {slug}: {_summary(rows)} (generate {generated:.1f} s, write {done.result():.1f} s)")
                    if done.exception() is None
                    else None
                )
            )
            pending.append(future)
            result.append(org)
        for future in pending:
            future.result()
    return result


def _summary(rows) -> str:
    return f"{len(rows[0]):,} invoices, {len(rows[1]):,} items, {len(rows[2]):,} payments"


def reset(log=print) -> None:
    """Remove every benchmark organization and its data.

    On PostgreSQL the audit log is append-only (a trigger refuses DELETE), and benchmark
    organizations have audit entries, so the whole benchmark database is emptied with
    ``TRUNCATE`` (which the trigger does not cover): hence the database-name check."""
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        if "bench" not in name:
            raise SystemExit(f"--reset empties the whole database; refusing on {name!r} (its name lacks 'bench').")
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        tables = [t for t in tables if t != "django_migrations"]
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(connection.ops.quote_name(t) for t in tables))
            )
        log(f"reset: emptied {len(tables)} tables of {name}")
        return
    raise SystemExit("--reset needs PostgreSQL (the benchmark runs there); delete the SQLite file instead.")


def analyze() -> None:
    """After a bulk load, the state autovacuum would reach a little later: fresh planner
    statistics, and a visibility map that lets counts use index-only scans (measured right
    after the load, a page COUNT would read every heap page)."""
    if connection.vendor == "postgresql":
        # VACUUM cannot run inside a transaction (the tests build data in one): ANALYZE there.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (Invoice, InvoiceItem, Payment, Customer, Business):
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def counts() -> tuple[int, int, int]:
    with all_tenants():
        return Invoice.objects.count(), InvoiceItem.objects.count(), Payment.objects.count()


def ensure_data(
    orgs=20, invoices=10_000, small=1_000, *, reset_first=False, reuse=True, parallel=False, record=False, log=print
) -> BenchData:
    """Build the planned organizations, or reuse them when all exist (each with a new API key).

    Partly present data (an interrupted build, other sizes) is refused: use ``reset``."""
    started = time.perf_counter()
    if reset_first:
        reset(log=log)
    plan = expected_orgs(orgs, invoices, small)
    with all_tenants():
        existing = {
            o.slug: o for o in Organization.objects.filter(slug__in=[slug for slug, _ in plan]).order_by("slug")
        }
    if existing and (len(existing) != len(plan) or not reuse):
        raise SystemExit(
            f"{len(existing)} of the {len(plan)} benchmark organizations already exist; "
            "run with --reset to rebuild them (the bench database is emptied)."
        )
    result = []
    if existing:
        log(f"reusing the {len(existing)} existing benchmark organizations (new API keys)")
        for slug, planned in plan:
            organization = existing[slug]
            with organization_scope(organization):
                count = Invoice.objects.filter(organization=organization).count()
                user = Membership.objects.select_related("user").get(organization=organization, role=Role.OWNER).user
                raw = _new_api_key(organization, user)
            if count < planned:
                raise SystemExit(f"{slug} has {count} invoices, fewer than the planned {planned}: use --reset.")
            result.append(BenchOrg(slug, str(organization.pk), user.email, raw, count))
        built = False
    else:
        log(f"building {len(plan)} organizations ({sum(n for _, n in plan):,} invoices)")
        result = build_orgs(plan, parallel=parallel and connection.vendor == "postgresql", log=log)
        analyze()
        built = True
    invoices_total, items_total, payments_total = counts()
    seconds = time.perf_counter() - started
    info_path = BUILD_INFO_DIR / f"build-{connection.settings_dict['NAME']}.json"
    if built:
        note = (
            f"built in {seconds:.0f} s on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
            f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)"
        )
        if record:  # the command line and run.py keep a record for later reuse; the tests do not
            with contextlib.suppress(OSError):
                BUILD_INFO_DIR.mkdir(parents=True, exist_ok=True)
                info_path.write_text(json.dumps({"note": note}), encoding="utf-8")
    else:
        note = "reused"
        with contextlib.suppress(OSError, ValueError, KeyError):
            note = f"reused; {json.loads(info_path.read_text(encoding='utf-8'))['note']}"
    return BenchData(result, built, seconds, invoices_total, items_total, payments_total, note)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=20, help="organizations with --invoices each (default 20)")
    parser.add_argument("--invoices", type=int, default=10_000, help="invoices per organization (default 10,000)")
    parser.add_argument("--small", type=int, default=1_000, help="invoices of the extra small organization (0: none)")
    parser.add_argument("--reset", action="store_true", help="empty the benchmark database first")
    args = parser.parse_args()
    data = ensure_data(args.orgs, args.invoices, args.small, reset_first=args.reset, parallel=True, record=True)
    print(
        f"{data.note}; database holds {data.total_invoices:,} "
        f"invoices, {data.total_items:,} items, {data.total_payments:,} payments"
    )
    for org in data.orgs:
        print(f"{org.slug}\t{org.invoices}\t{org.user_email}\t{org.api_key}")


if __name__ == "__main__":
    main()
