"""Tenant isolation sweep (issue 10): two organizations with one of everything; every web page
under /o/<org_slug>/ and every API route, read from the URL resolver, with every method, sent
by organization B's member (web) or key (API) with organization A's ids in every id slot.

Answers: 404 (or 405 where the method is not served; 400 for A's ids in a body), never a 2xx
showing A's data, never a 5xx; and no row of any table changes (checksums before/after).
tests/organizations/test_tenancy.py and tests/api/test_cross_tenant.py hold the per-route
matrices with the served methods; this sweep adds every method, every uuid slot filled with
A's real objects (also mixed with B's), and a whole-database checksum."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.test import APIClient

from audit.models import AuditEntry
from documents import services as document_services
from documents.models import InvoiceDocument, OutboundEmail
from organizations import services as organization_services
from organizations.api.throttling import ApiKeyRateThrottle
from organizations.models import Invite
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice, make_recurring_invoice
from tests.organizations.conftest import logged_in_client
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key
from tests.reliability.helpers import changed_tables, table_checksums

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

METHODS = ("get", "post", "put", "patch", "delete")
STATUSES = ("draft", "issued", "partially_paid", "paid", "void")
# Columns that a request is allowed to touch without changing anyone's data.
VOLATILE_COLUMNS = ("last_used_at", "last_login", "expire_date", "session_data")
# A body that would be valid for most forms, so a 404 cannot come from validation.
FORM_BODY = {
    "name": "Changed",
    "role": "viewer",
    "reason": "changed",
    "amount": "1.00",
    "method": "cash",
    "notes": "changed",
    "archived": "on",
}


def _seed(name):
    """An organization with members of every role, an API key, a pending invite, a business,
    a customer, invoices in every status, payments (one voided), a document and an email."""
    org = OrganizationFactory(name=name, default_currency="EUR")
    owner = MembershipFactory(organization=org, role=Role.OWNER).user
    for role in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        MembershipFactory(organization=org, role=role)
    business = BusinessFactory(organization=org, name=f"{name} Business")
    customer = CustomerFactory(organization=org, name=f"{name} Customer", email=f"ap@{name.lower()}.example")
    invoices = {
        status: make_invoice(organization=org, business=business, customer=customer, actor=owner, status=status)
        for status in STATUSES
    }
    with organization_scope(org):
        payment = invoices["paid"].payments.get()
    from billing import services as billing_services

    voided = billing_services.payment_record(
        organization=org,
        actor=owner,
        invoice_id=invoices["partially_paid"].pk,
        amount="1.00",
        date=org.local_today(),
    )
    billing_services.payment_void(organization=org, actor=owner, payment_id=voided.pk, reason="bounced")
    document = document_services.document_render(organization=org, invoice_id=invoices["issued"].pk)
    email = document_services.invoice_send(organization=org, actor=owner, invoice_id=invoices["issued"].pk)
    recurring = make_recurring_invoice(organization=org, business=business, customer=customer, actor=owner)
    credit_note = billing_services.credit_note_create(
        organization=org, actor=owner, data={"invoice": invoices["paid"].pk, "full": True}
    )
    api_key, raw_key = make_api_key(org, name=f"{name} key")
    invite, _token = organization_services.invite_create(
        organization=org, actor=owner, email=f"new@{name.lower()}.example"
    )
    with organization_scope(org):
        membership = org.memberships.exclude(user=owner).first() if hasattr(org, "memberships") else None
        if membership is None:
            from organizations.models import Membership

            membership = Membership.objects.filter(organization=org).exclude(user=owner).first()
        audit_entry = AuditEntry.objects.filter(organization=org).first()
        assert InvoiceDocument.objects.filter(pk=document.pk, status="ready").exists()
        assert OutboundEmail.objects.filter(pk=email.pk).exists()
        assert Invite.objects.filter(pk=invite.pk).exists()
    assert audit_entry is not None
    return {
        "org": org,
        "owner": owner,
        "business": business,
        "customer": customer,
        "invoices": invoices,
        "invoice": invoices["partially_paid"],
        "payment": payment,
        "voided_payment": voided,
        "recurring": recurring,
        "credit_note": credit_note,
        "document": document,
        "email": email,
        "api_key": api_key,
        "raw_key": raw_key,
        "invite": invite,
        "membership": membership,
        "audit_entry": audit_entry,
    }


@pytest.fixture
def two_orgs(db, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "1000000/minute", raising=False)
    return _seed("Alpha"), _seed("Beta")


def _a_markers(a):
    """Strings that only organization A's data contains."""
    markers = {str(a["business"].pk), str(a["customer"].pk), a["customer"].name, a["business"].name}
    for invoice in a["invoices"].values():
        markers.add(str(invoice.pk))
    return markers


def _leaks(content: bytes, markers) -> list[str]:
    text = content.decode(errors="replace")
    return sorted(marker for marker in markers if marker in text)


# --- web pages ----------------------------------------------------------------------------------

ORG_PREFIX = "o/<slug:org_slug>/"


def _walk(patterns, prefix=""):
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            route = prefix + str(pattern._route)
        elif isinstance(pattern, RegexPattern):
            route = prefix + pattern._regex.lstrip("^").rstrip("$")
        else:  # pragma: no cover
            raise AssertionError(f"unknown pattern type {pattern!r}")
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _uuid_kwargs(route):
    return re.findall(r"<uuid:(\w+)>", route)


WEB_KWARG_TARGETS = {
    "business_id": ["business"],
    "customer_id": ["customer"],
    "invoice_id": [f"invoices.{status}" for status in STATUSES],
    "payment_id": ["payment", "voided_payment"],
    "membership_id": ["membership"],
    "invite_id": ["invite"],
    "api_key_id": ["api_key"],
    "template_id": ["recurring"],
    "credit_note_id": ["credit_note"],
}


def _lookup(world, path):
    value = world
    for part in path.split("."):
        value = value[part]
    return value


def _web_cases(a, b):
    """(url, description) for every org route with uuid kwargs, at B's slug: all of A's
    objects in every slot, and each slot A's while the others are B's."""
    cases = []
    for route, _entry in sorted(_walk(get_resolver().url_patterns)):
        if not route.startswith(ORG_PREFIX):
            continue
        kwargs = _uuid_kwargs(route)
        if not kwargs:
            continue
        for kwarg in kwargs:
            assert kwarg in WEB_KWARG_TARGETS, f"the sweep does not know which object to aim {kwarg} at ({route})"
        variants = []
        for foreign in kwargs:  # one slot A's, the rest B's
            for target in WEB_KWARG_TARGETS[foreign]:
                values = {k: _lookup(b, WEB_KWARG_TARGETS[k][0]).pk for k in kwargs}
                values[foreign] = _lookup(a, target).pk
                variants.append(values)
        for values in variants:
            path = route.replace("<slug:org_slug>", b["org"].slug)
            for kwarg, value in values.items():
                path = path.replace(f"<uuid:{kwarg}>", str(value))
            cases.append(("/" + path, route))
    return cases


def test_web_pages_with_the_other_orgs_ids_are_404_for_every_method_and_change_nothing(two_orgs):
    a, b = two_orgs
    client = logged_in_client(b["owner"], reauthenticated=True)
    client.raise_request_exception = False
    cases = _web_cases(a, b)
    routes = {route for _, route in cases}
    assert len(routes) >= 20, routes  # every id-carrying page of billing, organizations, documents
    markers = _a_markers(a)
    before = table_checksums(ignore_columns=VOLATILE_COLUMNS)
    failures = []
    for url, route in cases:
        for method in METHODS:
            data = FORM_BODY if method == "post" else None
            response = (
                getattr(client, method)(url, data, secure=True) if data else getattr(client, method)(url, secure=True)
            )
            if response.status_code not in (404, 405) or _leaks(response.content, markers):
                failures.append((method.upper(), url, route, response.status_code, _leaks(response.content, markers)))
    assert not failures, failures[:10]
    assert changed_tables(before, table_checksums(ignore_columns=VOLATILE_COLUMNS)) == []


def test_web_list_pages_of_b_show_none_of_a(two_orgs):
    a, b = two_orgs
    client = logged_in_client(b["owner"], reauthenticated=True)
    client.raise_request_exception = False
    markers = _a_markers(a)
    a_invoice = a["invoices"]["issued"]
    before = table_checksums(ignore_columns=VOLATILE_COLUMNS)
    checked = 0
    for route, _entry in sorted(_walk(get_resolver().url_patterns)):
        if not route.startswith(ORG_PREFIX) or "<" in route.replace("<slug:org_slug>", ""):
            continue
        url = "/" + route.replace("<slug:org_slug>", b["org"].slug)
        # A's ids in the query string too (filters, search): they must not open A's data.
        # ?invoice=: the invoice a new recurring invoice starts from ("Make recurring").
        queries = ("", f"?customer={a['customer'].pk}", f"?q={a['customer'].name}", f"?invoice={a_invoice.pk}")
        for query in queries:
            response = client.get(url + query, secure=True)
            assert response.status_code < 500, (url + query, response.status_code)
            # What was typed into the search box may be echoed back; anything else of A's may not.
            leaks = [leak for leak in _leaks(response.content, markers) if leak not in query]
            assert not leaks, (url + query, leaks)
            checked += 1
    assert checked >= 30
    # A's business and customer given to B's invoice form: refused, nothing created anywhere.
    response = client.post(
        f"/o/{b['org'].slug}/invoices/new/",
        {
            "business": str(a["business"].pk),
            "customer": str(a["customer"].pk),
            "currency": "EUR",
            "issue_date": "2026-11-01",
            "due_date": "2026-12-01",
            "discount_type": "none",
            "items-0-description": "x",
            "items-0-quantity": "1",
            "items-0-unit_price": "1",
            "items-0-tax_rate": "0",
        },
        secure=True,
    )
    assert response.status_code in (200, 400), response.status_code  # the form again, with errors
    # ... and to B's recurring invoice form.
    response = client.post(
        f"/o/{b['org'].slug}/recurring/new/",
        {
            "business": str(a["business"].pk),
            "customer": str(a["customer"].pk),
            "frequency": "monthly",
            "start_date": "2026-11-01",
            "mode": "draft_only",
            "items-0-description": "x",
            "items-0-quantity": "1",
            "items-0-unit_price": "1",
            "items-0-tax_rate": "0",
        },
        secure=True,
    )
    assert response.status_code == 400, response.status_code
    assert not _leaks(response.content, markers)
    assert changed_tables(before, table_checksums(ignore_columns=VOLATILE_COLUMNS)) == []


# --- API routes ---------------------------------------------------------------------------------

API_PREFIX = "api/v1/"
NON_TENANT_ROUTES = {"api/v1/schema/", "api/v1/docs/", "api/v1/ping/"}
API_DETAIL_TARGETS = {
    "businesses": ["business"],
    "customers": ["customer"],
    "invoices": [f"invoices.{status}" for status in STATUSES],
    "payments": ["payment", "voided_payment"],
    "audit-events": ["audit_entry"],
    "recurring-invoices": ["recurring"],
    "credit-notes": ["credit_note"],
}
API_BODY = {"name": "Changed", "notes": "changed", "reason": "changed", "archived": True}


def _api_routes():
    routes = []
    for route, _entry in _walk(get_resolver().url_patterns):
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route.replace("\\", ""))
        if template.startswith(API_PREFIX) and template not in NON_TENANT_ROUTES:
            routes.append(template)
    return sorted(set(routes))


def test_api_routes_with_the_other_orgs_ids_are_404_for_every_method_and_change_nothing(two_orgs):
    a, b = two_orgs
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {b['raw_key']}")
    api.raise_request_exception = False
    markers = _a_markers(a)
    routes = _api_routes()
    assert {"api/v1/invoices/{pk}/", "api/v1/payments/{pk}/void/", "api/v1/invoices/{pk}/pdf/"} <= set(routes)
    before = table_checksums(ignore_columns=VOLATILE_COLUMNS)
    failures = []
    for route in routes:
        resource = route[len(API_PREFIX) :].split("/")[0]
        if "{pk}" not in route:
            continue
        assert resource in API_DETAIL_TARGETS, f"the sweep does not know which object to aim {route} at"
        for target in API_DETAIL_TARGETS[resource]:
            url = "/" + route.replace("{pk}", str(_lookup(a, target).pk))
            for method in METHODS:
                body = API_BODY if method in ("post", "put", "patch") else None
                response = getattr(api, method)(url, body, format="json") if body else getattr(api, method)(url)
                if response.status_code not in (404, 405) or _leaks(response.content, markers):
                    failures.append((method.upper(), url, response.status_code, response.content[:200]))
    assert not failures, failures[:10]
    assert changed_tables(before, table_checksums(ignore_columns=VOLATILE_COLUMNS)) == []


def test_api_list_routes_with_the_other_orgs_ids_show_nothing_and_refuse_body_refs(two_orgs):
    a, b = two_orgs
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {b['raw_key']}")
    api.raise_request_exception = False
    markers = _a_markers(a)
    list_routes = [route for route in _api_routes() if "{" not in route]
    assert len(list_routes) >= 5
    before = table_checksums(ignore_columns=VOLATILE_COLUMNS)
    for route in list_routes:
        url = "/" + route
        for params in (
            {},
            {"customer": str(a["customer"].pk)},
            {"invoice": str(a["invoice"].pk)},
            {"target_id": str(a["invoice"].pk)},
        ):
            response = api.get(url, params)
            assert response.status_code in (200, 400), (url, params, response.status_code)
            assert not _leaks(response.content, markers), (url, params)
        for method in ("put", "patch", "delete"):
            assert getattr(api, method)(url, {}, format="json").status_code == 405, (method, url)
    # A's ids in bodies: 400 on the field, the same message as for an unknown id.
    today = b["org"].local_today().isoformat()
    invoice_body = {
        "business": str(a["business"].pk),
        "customer": str(a["customer"].pk),
        "items": [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "0"}],
    }
    response = api.post("/api/v1/invoices/", invoice_body, format="json")
    assert response.status_code == 400 and {"business", "customer"} <= set(response.json())
    response = api.post(
        "/api/v1/payments/", {"invoice": str(a["invoice"].pk), "amount": "1.00", "date": today}, format="json"
    )
    assert response.status_code == 400 and "invoice" in response.json()
    # B's invoice edited with A's customer: refused on the field, nothing changes.
    response = api.patch(
        f"/api/v1/invoices/{b['invoices']['draft'].pk}/", {"customer": str(a["customer"].pk)}, format="json"
    )
    assert response.status_code == 400 and "customer" in response.json()
    assert changed_tables(before, table_checksums(ignore_columns=VOLATILE_COLUMNS)) == []
