"""Concurrency over real HTTP: a threaded live server on PostgreSQL, many urllib clients at once.

tests/billing/test_concurrency.py checks the services with threads; this suite goes through
the whole stack (HTTP, API key auth, serializers, idempotency, middleware, the services' locks)
and ends every scenario with the invariants: no overpayment, amount_paid = the payments,
stored totals = billing.calc, gapless unique numbers, the audit chain verifies, no 5xx."""

from decimal import Decimal

import pytest
from django.test.testcases import LiveServerThread

from billing import services
from billing.models import Invoice, Payment
from organizations.api.throttling import ApiKeyRateThrottle
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import OrganizationFactory, make_api_key
from tests.reliability.helpers import (
    assert_audit_chain_intact,
    assert_invoice_invariants,
    assert_no_server_errors,
    assert_numbers_gapless,
    base_url,
    fire_concurrently,
    http,
)

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEM = {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}


@pytest.fixture(autouse=True)
def _generous_throttle(monkeypatch):
    # The throttle has its own tests; here one key sends 50 requests in a second on purpose.
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "100000/minute", raising=False)


@pytest.fixture(autouse=True)
def renders(monkeypatch):
    """Render jobs are recorded, not run: the PDF work (tested in tests/documents) would only
    slow these scenarios down on a 2-core machine without adding concurrency of its own."""
    scheduled = []
    monkeypatch.setattr("documents.jobs.enqueue_render", lambda *args: scheduled.append(args) or True)
    return scheduled


@pytest.fixture
def world():
    org = OrganizationFactory(default_currency="EUR")
    business = BusinessFactory(organization=org, default_currency="EUR")
    customer = CustomerFactory(organization=org)
    _, key = make_api_key(org, name="load")
    return org, business, customer, key


def test_the_live_server_serves_requests_concurrently(live_server):
    # Otherwise "concurrent" requests would be serialised by the server, proving nothing.
    assert isinstance(live_server.thread, LiveServerThread)
    assert getattr(live_server.thread.httpd, "daemon_threads", False)
    assert hasattr(live_server.thread.httpd, "process_request_thread")


def test_50_concurrent_payments_on_one_invoice_never_overpay(live_server, world, renders):
    org, business, customer, key = world
    invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
    assert invoice.total == Decimal("100.00")
    url = base_url(live_server)
    body = {"invoice": str(invoice.pk), "amount": "3.00", "date": org.local_today().isoformat()}

    results = fire_concurrently([lambda: http(url, "POST", "/api/v1/payments/", body=body, key=key)] * 50)

    assert_no_server_errors(results)
    created = [r for r in results if r.status == 201]
    refused = [r for r in results if r.status != 201]
    assert len(created) == 33  # 33 x 3.00 fit in 100.00; the 34th would overpay
    # Refused as a validation error on the amount (400) or, had it been paid in full, 409.
    assert {r.status for r in refused} <= {400, 409}, {r.status for r in refused}
    assert all("amount" in r.json() for r in refused if r.status == 400)
    after = assert_invoice_invariants(invoice)
    assert (after.amount_paid, after.balance_due, after.status) == (Decimal("99.00"), Decimal("1.00"), "partially_paid")
    with organization_scope(org):
        assert Payment.objects.filter(invoice=invoice).count() == 33
    assert after.version == invoice.version + 33
    # The PDF of the final version was scheduled after the last commit.
    assert any(int(version) == after.version for _invoice_id, version in renders), renders[-3:]
    assert_audit_chain_intact()


def test_50_drafts_issued_concurrently_get_gapless_unique_numbers(live_server, world):
    org, business, customer, key = world
    url = base_url(live_server)
    drafts = [
        make_invoice(
            organization=org,
            business=business,
            customer=customer,
            items=[ITEM],
            issue_date="2026-06-01",
            due_date="2026-07-01",
        )
        for _ in range(50)
    ]

    results = fire_concurrently(
        [lambda d=d: http(url, "POST", f"/api/v1/invoices/{d.pk}/issue/", key=key) for d in drafts]
    )

    assert_no_server_errors(results)
    assert [r.status for r in results] == [200] * 50, [(r.status, r.body[:200]) for r in results if r.status != 200]
    numbers = sorted(r.json()["number"] for r in results)
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 51)]
    assert_numbers_gapless(org, business, 50)
    for draft in drafts[::10]:
        assert assert_invoice_invariants(draft).status == "issued"
    assert_audit_chain_intact()


def test_20_concurrent_credit_notes_against_payments_keep_every_invariant(live_server, world):
    """Five invoices of 100.00; on each, at once: two credit notes of 60.00 issued and two
    payments of 40.00. The invoice row's lock orders them: exactly one credit note fits, and
    the first payment always does; every invariant holds whatever the order."""
    org, business, customer, key = world
    url = base_url(live_server)
    invoices = [
        make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
        for _ in range(5)
    ]
    today = org.local_today().isoformat()
    calls = []
    for invoice in invoices:
        for _ in range(2):
            note = services.credit_note_create(
                organization=org, actor=None, data={"invoice": invoice.pk, "items": [{**ITEM, "unit_price": "60.00"}]}
            )
            calls.append(lambda n=note: http(url, "POST", f"/api/v1/credit-notes/{n.pk}/issue/", key=key))
            body = {"invoice": str(invoice.pk), "amount": "40.00", "date": today}
            calls.append(lambda b=body: http(url, "POST", "/api/v1/payments/", body=b, key=key))
    assert len(calls) == 20

    results = fire_concurrently(calls)

    assert_no_server_errors(results)
    assert {r.status for r in results} <= {200, 201, 400, 409}, [(r.status, r.body[:200]) for r in results]
    for result in results:
        if result.status == 400:  # a refused credit or payment says why, tied to a field
            assert set(result.json()) & {"amount", "items"}, result.json()
    for invoice in invoices:
        after = assert_invoice_invariants(invoice)
        assert after.credited_total == Decimal("60.00")
        assert after.amount_paid in (Decimal("40.00"), Decimal("80.00"))  # the first 40.00 always fits
    with organization_scope(org):
        assert Invoice.objects.filter(organization=org).count() == 5
        assert_audit_chain_intact()
