"""The invoice list's JSON written by PostgreSQL (billing.api.invoice_json) is byte for byte
what the serializer path renders: the same response, whichever path builds it."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from billing import services
from billing.api import invoice_json
from billing.exceptions import BillingValidationError
from billing.models import Invoice, InvoiceItem
from documents.api import DOCUMENT_STATE_SQL, InvoiceWithDocumentSerializer, attach_document_states
from documents.models import InvoiceDocument
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice

pytestmark = pytest.mark.postgres
URL = "/api/v1/invoices/"
AWKWARD_TEXT = 'Quote " backslash \\ slash / tab\t newline\n ctrl \x01\x1f del \x7f é 漢字 😀 \u2028 \u2029 end'


@pytest.fixture
def serializer_path(monkeypatch):
    """Switches the list to the serializer path (as on SQLite) for the rest of the test."""

    def use_serializer():
        monkeypatch.setattr(invoice_json, "available", lambda: False)

    return use_serializer


def both_paths(api, serializer_path, params):
    assert invoice_json.available()
    written_by_postgres = api.get(URL, params)
    serializer_path()
    serialized = api.get(URL, params)
    assert written_by_postgres.status_code == serialized.status_code == 200
    assert written_by_postgres["Content-Type"] == serialized["Content-Type"] == "application/json"
    return written_by_postgres.content, serialized.content


def set_document(invoice, version, status):
    with organization_scope(invoice.organization):
        InvoiceDocument.objects.create(
            organization=invoice.organization, invoice=invoice, invoice_version=version, status=status
        )


@pytest.fixture
def varied_invoices(org):
    """Currencies with 0, 2 and 3 places, every status and discount type, awkward text,
    timestamps with and without microseconds, and every document state."""
    business = BusinessFactory(organization=org, default_currency="EUR", default_notes="Awkward")
    customer = CustomerFactory(organization=org)
    past = org.local_today() - timedelta(days=60)
    items = [
        {"description": "Awkward", "quantity": "0.0001", "unit_price": "1234.5678", "tax_rate": "7.125"},
        {"description": "Plain", "quantity": "1000", "unit_price": "0", "tax_rate": "0"},
        {"description": "Round half up", "quantity": "1", "unit_price": "0.005", "tax_rate": "19"},
        {"description": "Sizable", "quantity": "3", "unit_price": "1999.99", "tax_rate": "20"},
    ]
    invoices = [
        make_invoice(organization=org, business=business, customer=customer, items=items),
        make_invoice(organization=org, business=business, customer=customer, items=[], terms="No items"),
        make_invoice(
            organization=org, business=business, customer=customer, status="issued", currency="JPY",
            items=items, discount_type="amount", discount_value="150", issue_date=past.isoformat(),
            due_date=(past + timedelta(days=10)).isoformat(),
        ),
        make_invoice(
            organization=org, business=business, customer=customer, status="partially_paid", currency="KWD",
            items=items, discount_type="percent", discount_value="12.5", notes="",
        ),
        make_invoice(
            organization=org, business=business, customer=customer, status="paid", currency="BHD",
            items=items, discount_type="amount", discount_value="0.125",
        ),
        make_invoice(organization=org, business=business, customer=customer, status="void", items=items),
    ]  # fmt: skip
    with organization_scope(org):
        # Control characters and separators no longer get in through the services, but rows
        # stored before may hold them: the JSON must escape them all the same.
        Invoice.objects.filter(notes="Awkward").update(notes=AWKWARD_TEXT)
        InvoiceItem.objects.filter(description="Awkward").update(description=AWKWARD_TEXT)
        # Whole-second timestamps: Python leaves the microseconds out of ISO 8601.
        Invoice.objects.filter(pk=invoices[0].pk).update(
            created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            updated_at=datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
        )
        Invoice.objects.filter(pk=invoices[3].pk).update(version=F("version") + 1)
    set_document(invoices[2], invoices[2].version, InvoiceDocument.Status.READY)
    set_document(invoices[3], invoices[3].version, InvoiceDocument.Status.READY)  # now one version behind: stale
    set_document(invoices[4], invoices[4].version, InvoiceDocument.Status.PENDING)
    set_document(invoices[5], invoices[5].version - 1, InvoiceDocument.Status.READY)
    set_document(invoices[5], invoices[5].version, InvoiceDocument.Status.FAILED)
    return invoices


def test_the_list_is_byte_for_byte_the_serializers(api, varied_invoices, serializer_path):
    fast, slow = both_paths(api, serializer_path, {"page_size": 100})
    assert fast == slow
    results = json.loads(fast)["results"]
    assert len(results) == len(varied_invoices)
    states = {row["id"]: row["document"] for row in results}
    assert states[str(varied_invoices[0].pk)] is None
    assert states[str(varied_invoices[3].pk)]["status"] == "stale"
    assert states[str(varied_invoices[5].pk)]["status"] == "failed"
    assert "\\u2028" in fast.decode() and "\u2028" not in fast.decode()  # escaped as DRF does


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 2},
        {"page_size": 2, "page": 2},
        {"page_size": 4, "page": "last"},
        {"page_size": 4, "ordering": "total"},
        {"ordering": "-due_date", "status": "issued"},
        {"overdue": "true"},
        {"search": "No such invoice"},
    ],
)
def test_pages_filters_and_orderings_agree(api, varied_invoices, serializer_path, params):
    fast, slow = both_paths(api, serializer_path, params)
    assert fast == slow


def test_a_page_past_the_last_is_a_404_on_both_paths(api, varied_invoices, serializer_path):
    assert api.get(URL, {"page_size": 4, "page": 3}).status_code == 404
    serializer_path()
    assert api.get(URL, {"page_size": 4, "page": 3}).status_code == 404


def test_the_list_falls_back_to_the_serializer_outside_utc(api, varied_invoices, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert not invoice_json.available()
    response = api.get(URL, {"page_size": 100})
    assert response.status_code == 200
    created = {row["id"]: row["created_at"] for row in response.json()["results"]}
    assert created[str(varied_invoices[0].pk)] == "2026-01-02T04:04:05+01:00"


def python_json(invoice, organization):
    """What the serializer path renders for one invoice."""
    with organization_scope(organization):
        invoice = Invoice.objects.get(pk=invoice.pk)
        attach_document_states([invoice], organization)
        from billing.api.serializers import attach_item_rows

        attach_item_rows([invoice], InvoiceItem.objects.filter(organization=organization))

        class View:
            pass

        View.organization = organization
        data = InvoiceWithDocumentSerializer(context={"view": View()}).to_representation(invoice)
    return JSONRenderer().render(data).decode()


def sql_json(invoice, organization):
    with organization_scope(organization):
        expression = invoice_json.invoice_json(
            today=organization.local_today(), extra_fields=(("document", DOCUMENT_STATE_SQL, ()),)
        )
        return (
            Invoice.objects.filter(organization=organization, pk=invoice.pk)
            .annotate(json=expression)
            .values_list("json", flat=True)
            .get()
        )


decimals = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999.9999"), places=4)
# What the services take: no surrogates, no control characters but tab and line feed.
texts = st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"], include_characters="\t\n"), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    currency=st.sampled_from(["EUR", "JPY", "KWD", "USD"]),
    discount=st.sampled_from([("none", "0"), ("percent", "33.333"), ("amount", "1.5")]),
    lines=st.lists(st.tuples(texts, decimals, decimals, st.decimals(min_value=0, max_value=100, places=3)), max_size=4),
    notes=texts,
)
def test_any_invoice_renders_the_same(org, currency, discount, lines, notes):
    business = BusinessFactory(organization=org)
    customer = CustomerFactory(organization=org)
    items = [
        {"description": text or "-", "quantity": str(q), "unit_price": str(p), "tax_rate": str(r)}
        for text, q, p, r in lines
    ]
    data = {"business": business.pk, "customer": customer.pk, "currency": currency, "items": items}
    data |= {"discount_type": discount[0], "discount_value": discount[1], "notes": notes}
    try:
        invoice = services.invoice_create(organization=org, actor=None, data=data)
    except BillingValidationError:
        return  # e.g. an amount discount larger than the subtotal: nothing to render
    # The list's response escapes U+2028/U+2029 afterwards, as DRF's renderer does.
    written = sql_json(invoice, org).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    assert written == python_json(invoice, org)
