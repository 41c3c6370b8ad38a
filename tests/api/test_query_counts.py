"""Query counts of the API, exact and the same on PostgreSQL and SQLite, whatever the page size.

Every count starts with the API key's lookup (1). The key's ``last_used_at`` is written at most
once a minute, so each test makes one request first. Writes run in the test's transaction, so
a service's ``transaction.atomic()`` adds a SAVEPOINT and its RELEASE (2) here that production
(autocommit, BEGIN/COMMIT issued by the driver, not as queries) does not."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice

ITEM = {"description": "Work", "quantity": "1", "unit_price": "10.00", "tax_rate": "20"}


@pytest.fixture
def invoices(org):
    business = BusinessFactory(organization=org)
    customers = [CustomerFactory(organization=org) for _ in range(3)]
    statuses = ["draft", "issued", "partially_paid", "paid", "void"]
    return [
        make_invoice(organization=org, business=business, customer=customers[i % 3], status=statuses[i % 5])
        for i in range(55)
    ]


@pytest.fixture
def warm(api):
    """The key's last use is written by the first request only."""
    assert api.get("/api/v1/ping/").status_code == 200
    return api


@pytest.mark.parametrize("page_size", [5, 50])
def test_invoice_list_query_count_is_constant(warm, invoices, page_size, django_assert_num_queries):
    # key, COUNT(*), the page's rows, all their items, their newest documents
    with django_assert_num_queries(5):
        response = warm.get("/api/v1/invoices/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    assert all(row["items"] for row in response.json()["results"])


def test_invoice_list_with_filters_and_search(warm, invoices, django_assert_num_queries):
    with django_assert_num_queries(5):
        response = warm.get("/api/v1/invoices/", {"page_size": 50, "overdue": "false", "search": "Customer"})
    assert response.status_code == 200 and response.json()["count"] > 0


def test_a_page_of_drafts_reads_no_documents(warm, org, django_assert_num_queries):
    for _ in range(3):
        make_invoice(organization=org)
    with django_assert_num_queries(4):  # drafts have no stored document to look for
        response = warm.get("/api/v1/invoices/", {"page_size": 50})
    assert [row["document"] for row in response.json()["results"]] == [None] * 3


def test_invoice_detail_query_count(warm, invoices, django_assert_num_queries):
    # key, the invoice, its items, its newest document
    with django_assert_num_queries(4):
        response = warm.get(f"/api/v1/invoices/{invoices[3].pk}/")
    assert response.status_code == 200 and len(response.json()["items"]) == 2


@pytest.mark.parametrize("url", ["/api/v1/payments/", "/api/v1/customers/", "/api/v1/audit-events/"])
def test_other_lists_are_constant_too(warm, invoices, url, django_assert_num_queries):
    # key, COUNT(*), the page (a payment's invoice joined for its currency)
    for page_size in (2, 50):
        with django_assert_num_queries(3):
            response = warm.get(url, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(page_size, response.json()["count"])


def test_invoice_create_query_count(warm, org, django_assert_num_queries):
    """key; the service: SAVEPOINT, the business and the customer (each read once), the invoice,
    all its items in one insert, the audit entry (lock the chain's head, insert, advance the
    head), RELEASE; then the response reads the items the service wrote. No document: a new
    invoice is a draft."""
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    body = {"business": str(business.pk), "customer": str(customer.pk), "items": [ITEM] * 10}
    with django_assert_num_queries(11):
        response = warm.post("/api/v1/invoices/", body, format="json")
    assert response.status_code == 201 and len(response.json()["items"]) == 10


def test_invoice_issue_response_reads_only_items_and_document(warm, org):
    """The response is the presenter's dict of the invoice the service returned: after the
    service's transaction, one read of its items and one of its newest document."""
    invoice = make_invoice(organization=org)
    with CaptureQueriesContext(connection) as queries:
        response = warm.post(f"/api/v1/invoices/{invoice.pk}/issue/")
    sqls = [query["sql"] for query in queries.captured_queries]
    assert response.status_code == 200, response.content
    assert "billing_invoiceitem" in sqls[-2] and "documents_invoicedocument" in sqls[-1]
    assert response.content == warm.get(f"/api/v1/invoices/{invoice.pk}/").content


def test_payment_record_response_reads_nothing(warm, org):
    """The response is the payment the service wrote, with its invoice's currency: no read
    after the service's transaction."""
    invoice = make_invoice(organization=org, status="issued")
    body = {"invoice": str(invoice.pk), "amount": "1.00"}
    with CaptureQueriesContext(connection) as queries:
        response = warm.post("/api/v1/payments/", body, format="json")
    sqls = [query["sql"] for query in queries.captured_queries]
    assert response.status_code == 201, response.content
    assert "RELEASE SAVEPOINT" in sqls[-1].upper()
    assert response.content == warm.get(f"/api/v1/payments/{response.json()['id']}/").content


@pytest.mark.parametrize(
    "query",
    [{"page_size": 50}, {"page": 2, "page_size": 20, "ordering": "total"}, {"page_size": 50, "status": "draft"}],
    ids=["unfiltered", "ordered-page-2", "filtered"],
)
def test_every_list_counts_its_own_rows(warm, invoices, other_org, query):
    """One COUNT(*) of the organization's matching invoices, whatever the other organization
    holds."""
    make_invoice(organization=other_org)
    with CaptureQueriesContext(connection) as queries:
        response = warm.get("/api/v1/invoices/", query)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts
    expected = sum(1 for invoice in invoices if query.get("status", invoice.status) == invoice.status)
    assert response.json()["count"] == expected
    if query.get("page") == 2:
        assert response.json()["previous"] and response.json()["next"]
