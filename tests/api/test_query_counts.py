"""Constant query counts (issue: invoice list <= 6 whatever the page size, detail <= 8, create 9)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice


@pytest.fixture
def invoices(org):
    business = BusinessFactory(organization=org)
    customers = [CustomerFactory(organization=org) for _ in range(3)]
    statuses = ["draft", "issued", "partially_paid", "paid", "void"]
    return [
        make_invoice(organization=org, business=business, customer=customers[i % 3], status=statuses[i % 5])
        for i in range(55)
    ]


@pytest.mark.parametrize("page_size", [5, 50])
def test_invoice_list_query_count_is_constant(api, invoices, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/invoices/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    assert all(row["items"] for row in response.json()["results"])


def test_invoice_list_with_filters_and_search(api, invoices, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/invoices/", {"page_size": 50, "overdue": "false", "search": "Customer"})
    assert response.status_code == 200 and response.json()["count"] > 0


def test_invoice_detail_query_count(api, invoices, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = api.get(f"/api/v1/invoices/{invoices[3].pk}/")
    assert response.status_code == 200 and len(response.json()["items"]) == 2


@pytest.mark.parametrize("url", ["/api/v1/payments/", "/api/v1/customers/", "/api/v1/audit-events/"])
def test_other_lists_are_constant_too(api, invoices, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = api.get(url, {"page_size": 50})
    assert response.status_code == 200 and response.json()["results"]


def test_invoice_create_query_count(api, org, django_assert_num_queries):
    """The key; the business and the customer, read by the serializer's fields and again by the
    service (which looks every id up itself); the transaction with the invoice, all its items in
    one insert and the audit statements (two on PostgreSQL, three on SQLite: audit/services.py);
    the items read back for the response."""
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    item = {"description": "Work", "quantity": "1", "unit_price": "10.00", "tax_rate": "20"}
    body = {"business": str(business.pk), "customer": str(customer.pk), "items": [item] * 10}
    assert api.post("/api/v1/invoices/", body, format="json").status_code == 201  # the key's last use is noted
    with django_assert_num_queries(12 if connection.vendor == "postgresql" else 13):
        response = api.post("/api/v1/invoices/", body, format="json")
    assert response.status_code == 201 and len(response.json()["items"]) == 10


@pytest.mark.parametrize(
    "query, counts_rows",
    [
        ({"page_size": 50}, False),
        ({"page": 2, "page_size": 20, "ordering": "total"}, False),
        ({"page_size": 50, "status": "draft"}, True),
        ({"page_size": 50, "search": "Customer"}, True),
    ],
    ids=["unfiltered", "ordered-page-2", "filtered", "searched"],
)
def test_only_filtered_lists_count_their_rows(api, invoices, other_org, query, counts_rows):
    """An unfiltered list takes its count from the one row the database keeps
    (``InvoiceCount``); a filtered one counts. Both give the right number, whatever the
    other organization holds."""
    make_invoice(organization=other_org)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/invoices/", query)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert bool(counts) == counts_rows, counts
    expected = sum(1 for invoice in invoices if query.get("status", invoice.status) == invoice.status)
    assert response.json()["count"] == expected
    if query.get("page") == 2:
        assert response.json()["previous"] and response.json()["next"]
