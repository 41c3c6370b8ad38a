"""Cross-tenant matrix (architecture.md, Tenancy): with a key of organization B, every route
the URL resolver knows under /api/v1/ and every method it serves, aimed at organization A's
objects, answers 404 (id in the URL) or 400 (id in the body), and the database is unchanged.

The routes are read from the resolver, not listed by hand: a new endpoint without a case
here fails ``test_every_api_route_has_a_cross_tenant_case``.
"""

import re
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.urls import URLResolver, get_resolver

from audit.models import AuditEntry
from billing import services
from organizations.tenancy import TenantModel, all_tenants, organization_scope
from tests.api.conftest import client_for
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import OrganizationFactory, make_api_key

API_PREFIX = "api/v1/"
# Not tenant data: the schema and docs are public, ping returns a constant.
NON_TENANT_ROUTES = {"api/v1/schema/", "api/v1/docs/", "api/v1/ping/"}
# Detail routes: the resource prefix -> which of organization A's objects to aim at.
DETAIL_TARGETS = {
    "businesses": "business",
    "customers": "customer",
    "invoices": "invoice",
    "payments": "payment",
    "audit-events": "audit_event",
    "recurring-invoices": "recurring_invoice",
    "credit-notes": "credit_note",
}
# Bodies that would be valid in organization A, so a 404 cannot come from validation.
BODIES = {
    "businesses": {"name": "Renamed"},
    "customers": {"name": "Renamed"},
    "invoices": {"notes": "changed"},
    "payments": {"reason": "changed"},
    "recurring-invoices": {"name": "changed"},
    "credit-notes": {"reason": "changed"},
}


def _template(regex: str) -> str:
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex.replace("^", "").replace("$", "").replace("\\", ""))


def api_routes():
    """(route template, methods) for every URL pattern under /api/v1/."""
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            route = _template(prefix + str(pattern.pattern))
            if not route.startswith(API_PREFIX):
                continue
            view_class = pattern.callback.cls
            actions = getattr(pattern.callback, "actions", None)
            candidates = (
                actions if actions else [m for m in ("get", "post", "patch", "put", "delete") if hasattr(view_class, m)]
            )
            # What the view really serves (anything outside http_method_names is a 405).
            methods = sorted(m for m in candidates if m in view_class.http_method_names)
            routes.append((route, methods))

    walk(get_resolver().url_patterns, "")
    return routes


ROUTE_METHODS = [(route, method) for route, methods in api_routes() for method in methods]


def _snapshot():
    """Every tenant row of every organization (API key usage times aside)."""
    data = {}
    with all_tenants():
        for model in apps.get_models():
            if not issubclass(model, TenantModel):
                continue
            rows = list(model.objects.order_by("pk").values())
            for row in rows:
                row.pop("last_used_at", None)
            data[model._meta.label] = rows
    return data


@pytest.fixture
def world(db):
    """Organization A with one of everything; organization B's client."""
    org_a = OrganizationFactory()
    business = BusinessFactory(organization=org_a)
    customer = CustomerFactory(organization=org_a)
    invoice = make_invoice(organization=org_a, business=business, customer=customer, status="partially_paid")
    draft = make_invoice(organization=org_a, business=business, customer=customer)
    recurring_invoice = services.recurring_invoice_create(
        organization=org_a,
        actor=None,
        data={
            "business": str(business.pk),
            "customer": str(customer.pk),
            "frequency": "monthly",
            "start_date": "2026-01-01",
            "items": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "0"}],
        },
    )
    services.run_due_recurring_invoices(now=datetime(2026, 1, 2, tzinfo=UTC))
    credit_note = services.credit_note_create(
        organization=org_a,
        actor=None,
        data={
            "invoice": invoice.pk,
            "items": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "20"}],
        },
    )
    # A reminder schedule and a reminder: another organization can neither read nor change them.
    services.reminder_schedule_set(
        organization=org_a, actor=None, business_id=business.pk, steps=[{"offset_days": -365}]
    )
    services.run_due_reminders()
    with organization_scope(org_a):
        payment = invoice.payments.get()
        audit_event = AuditEntry.objects.first()
        assert recurring_invoice.runs.count() == 1
        assert invoice.reminders.count() == 1
    assert audit_event is not None
    org_b = OrganizationFactory()
    BusinessFactory(organization=org_b)
    return {
        "org_a": org_a,
        "business": business,
        "customer": customer,
        "invoice": invoice,
        "draft": draft,
        "payment": payment,
        "audit_event": audit_event,
        "recurring_invoice": recurring_invoice,
        "credit_note": credit_note,
        "client": client_for(make_api_key(org_b, name="outsider")[1]),
    }


def test_every_api_route_has_a_cross_tenant_case():
    routes = {route for route, _ in api_routes()}
    assert routes, "no API routes found"
    for route in routes:
        if route in NON_TENANT_ROUTES:
            continue
        resource = route[len(API_PREFIX) :].split("/")[0]
        if "{pk}" in route:
            assert resource in DETAIL_TARGETS, f"no cross-tenant target for {route}"
        else:
            assert route in LIST_CASES, f"no cross-tenant list case for {route}"


@pytest.mark.parametrize(("route", "method"), ROUTE_METHODS, ids=[f"{m.upper()} {r}" for r, m in ROUTE_METHODS])
def test_cross_tenant_matrix(world, route, method):
    client = world["client"]
    if route in NON_TENANT_ROUTES:
        if route == "api/v1/ping/":
            assert client.get("/" + route).json() == {"status": "ok"}
        else:
            assert client.get("/" + route).status_code == 200
        return
    resource = route[len(API_PREFIX) :].split("/")[0]
    before = _snapshot()
    if "{pk}" in route:
        target = world[DETAIL_TARGETS[resource]]
        url = "/" + route.replace("{pk}", str(target.pk))
        body = BODIES.get(resource, {}) if method in ("post", "patch") else None
        response = (
            getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
        )
        assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
        assert _snapshot() == before
        return
    LIST_CASES[route](world, client, method, before)


# --- list routes: GET shows nothing of A (even filtered by A's ids); POST with A's ids -> 400 ------


def _list_is_empty(client, url, params):
    response = client.get(url, params)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["count"] == 0, (url, params, response.json())


def _businesses(world, client, method, before):
    url = "/api/v1/businesses/"
    if method == "get":
        response = client.get(url)
        assert [row["name"] for row in response.json()["results"]] != [world["business"].name]
        assert str(world["business"].pk) not in response.content.decode()
        assert _snapshot() == before
    else:  # nothing in the body refers to another object: it creates in B only
        response = client.post(url, {"name": "Mine", "country": "FR"}, format="json")
        assert response.status_code == 201
        _assert_org_a_unchanged(world, before)


def _customers(world, client, method, before):
    url = "/api/v1/customers/"
    if method == "get":
        _list_is_empty(client, url, {"search": world["customer"].name})
        assert str(world["customer"].pk) not in client.get(url).content.decode()
        assert _snapshot() == before
    else:
        assert client.post(url, {"name": "Mine"}, format="json").status_code == 201
        _assert_org_a_unchanged(world, before)


def _invoices(world, client, method, before):
    url = "/api/v1/invoices/"
    if method == "get":
        _list_is_empty(client, url, {})
        _list_is_empty(client, url, {"customer": str(world["customer"].pk)})
        _list_is_empty(client, url, {"business": str(world["business"].pk)})
        _list_is_empty(client, url, {"search": world["invoice"].number})
    else:
        body = {
            "business": str(world["business"].pk),
            "customer": str(world["customer"].pk),
            "items": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "0"}],
        }
        response = client.post(url, body, format="json")
        assert response.status_code == 400
        errors = response.json()
        missing = client.post(
            url,
            {
                **body,
                "business": "00000000-0000-0000-0000-000000000000",
                "customer": "00000000-0000-0000-0000-0000000000ff",
            },
            format="json",
        ).json()
        assert errors["business"] == missing["business"] and errors["customer"] == missing["customer"]
    assert _snapshot() == before


def _payments(world, client, method, before):
    url = "/api/v1/payments/"
    if method == "get":
        _list_is_empty(client, url, {})
        _list_is_empty(client, url, {"invoice": str(world["invoice"].pk)})
    else:
        response = client.post(url, {"invoice": str(world["invoice"].pk), "amount": "1.00"}, format="json")
        assert response.status_code == 400
        missing = client.post(
            url, {"invoice": "00000000-0000-0000-0000-000000000000", "amount": "1.00"}, format="json"
        ).json()
        assert response.json()["invoice"] == missing["invoice"]
    assert _snapshot() == before


def _audit_events(world, client, method, before):
    url = "/api/v1/audit-events/"
    _list_is_empty(client, url, {})
    _list_is_empty(client, url, {"target_id": str(world["invoice"].pk)})
    assert _snapshot() == before


def _recurring_invoices(world, client, method, before):
    url = "/api/v1/recurring-invoices/"
    template = world["recurring_invoice"]
    if method == "get":
        _list_is_empty(client, url, {})
        _list_is_empty(client, url, {"customer": str(world["customer"].pk)})
        _list_is_empty(client, url, {"search": template.customer.name})
        assert str(template.pk) not in client.get(url).content.decode()
    else:
        body = {
            "business": str(world["business"].pk),
            "customer": str(world["customer"].pk),
            "frequency": "monthly",
            "items": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "0"}],
        }
        response = client.post(url, body, format="json")
        assert response.status_code == 400
        missing = client.post(
            url,
            {
                **body,
                "business": "00000000-0000-0000-0000-000000000000",
                "customer": "00000000-0000-0000-0000-0000000000ff",
            },
            format="json",
        ).json()
        assert response.json()["business"] == missing["business"]
        assert response.json()["customer"] == missing["customer"]
    assert _snapshot() == before


def _credit_notes(world, client, method, before):
    url = "/api/v1/credit-notes/"
    if method == "get":
        _list_is_empty(client, url, {})
        _list_is_empty(client, url, {"invoice": str(world["invoice"].pk)})
        _list_is_empty(client, url, {"status": "draft"})
        assert str(world["credit_note"].pk) not in client.get(url).content.decode()
    else:
        body = {"invoice": str(world["invoice"].pk), "full": True}
        response = client.post(url, body, format="json")
        assert response.status_code == 400
        missing = client.post(url, {**body, "invoice": "00000000-0000-0000-0000-000000000000"}, format="json").json()
        assert response.json()["invoice"] == missing["invoice"]
    assert _snapshot() == before


def _assert_org_a_unchanged(world, before):
    org_a = world["org_a"].pk
    after = _snapshot()
    for label, rows in before.items():
        assert [r for r in rows if r.get("organization_id") == org_a] == [
            r for r in after[label] if r.get("organization_id") == org_a
        ], label


LIST_CASES = {
    "api/v1/businesses/": _businesses,
    "api/v1/customers/": _customers,
    "api/v1/invoices/": _invoices,
    "api/v1/payments/": _payments,
    "api/v1/audit-events/": _audit_events,
    "api/v1/recurring-invoices/": _recurring_invoices,
    "api/v1/credit-notes/": _credit_notes,
}
