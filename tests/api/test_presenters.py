"""One representation per resource: the presenters write every body the API returns, with
exactly the fields the schema declares, the same from a list's plain rows as from a detail's
model instance; orjson renders them byte for byte as DRF's JSON renderer would."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils.functional import lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from audit.api import AuditEventSerializer
from billing.api.serializers import BusinessSerializer, CustomerSerializer, PaymentSerializer
from billing.models import Invoice, InvoiceItem
from billing.presenters import register_invoice_extra
from billora.api.renderers import OrjsonRenderer
from documents.models import InvoiceDocument
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice

URL = "/api/v1/invoices/"
AWKWARD_TEXT = 'Quote " backslash \\ slash / tab\t newline\n ctrl \x01\x1f del \x7f é 漢字 😀 \u2028 \u2029 end'


# --- the renderer ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(data=json_values)
def test_orjson_writes_what_drfs_renderer_writes(data):
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_the_values_drfs_encoder_knows_render_the_same():
    lazy_text = lazy(lambda: "lazy é", str)()
    data = {
        "aware": datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
        "whole_second": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "naive": datetime(2026, 1, 2, 3, 4, 5),
        "date": date(2026, 1, 2),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "decimal": Decimal("12.50"),
        "duration": timedelta(seconds=90),
        "error": [ErrorDetail("This field is required.", code="required")],
        "lazy": lazy_text,
        "tuple": (1, "2"),
        "separators": "\u2028\u2029",
    }
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)
    assert b"\\u2028\\u2029" in OrjsonRenderer().render(data)
    for beyond_orjson in ({"big": 2**70}, {"errors": {1: ["an int key"]}}):  # DRF's renderer writes these
        assert OrjsonRenderer().render(beyond_orjson) == JSONRenderer().render(beyond_orjson)
    assert OrjsonRenderer().render(None) == JSONRenderer().render(None) == b""


def test_an_indent_asked_for_is_honoured():
    data = {"a": [1, {"b": "é"}]}
    media_type = "application/json; indent=4"
    assert OrjsonRenderer().render(data, media_type, {}) == JSONRenderer().render(data, media_type, {})


# --- the fields the schema declares ------------------------------------------------------------------


def test_every_resource_returns_exactly_its_declared_fields(api, org):
    make_invoice(organization=org, status="partially_paid")
    api.post("/api/v1/customers/", {"name": "Hooli"}, format="json")
    for url, serializer_class in [
        ("/api/v1/businesses/", BusinessSerializer),
        ("/api/v1/customers/", CustomerSerializer),
        ("/api/v1/payments/", PaymentSerializer),
        ("/api/v1/audit-events/", AuditEventSerializer),
    ]:
        listed = api.get(url).json()["results"]
        assert listed, url
        assert list(listed[0]) == list(serializer_class().fields), url
        assert api.get(f"{url}{listed[0]['id']}/").json() == listed[0], url


def test_an_invoice_field_is_registered_once():
    with pytest.raises(ValueError, match="already defined"):
        register_invoice_extra("document", lambda **kwargs: {}, schema_field=lambda: None)
    with pytest.raises(ValueError, match="already defined"):
        register_invoice_extra("total", lambda **kwargs: {}, schema_field=lambda: None)


# --- invoices: list rows and detail instances ----------------------------------------------------------


def set_document(invoice, version, status):
    with organization_scope(invoice.organization):
        InvoiceDocument.objects.create(
            organization=invoice.organization, invoice=invoice, invoice_version=version, status=status
        )


@pytest.fixture
def varied_invoices(org):
    """Currencies with 0, 2 and 3 places, every status and discount type, awkward text,
    timestamps with and without microseconds, and every document state."""
    business = BusinessFactory(organization=org, default_currency="EUR", default_notes="Default notes")
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
        # Control characters are refused at input now, but rows written before may hold them:
        # the representation must still carry them exactly.
        Invoice.objects.filter(organization=org, notes="Default notes").update(notes=AWKWARD_TEXT)
        InvoiceItem.objects.filter(organization=org, description="Awkward").update(description=AWKWARD_TEXT)
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


def test_the_list_says_what_each_detail_says(api, varied_invoices):
    response = api.get(URL, {"page_size": 100})
    assert "\\u2028" in response.content.decode() and "\u2028" not in response.content.decode()  # as DRF
    listed = {row["id"]: row for row in response.json()["results"]}
    assert len(listed) == len(varied_invoices)
    for invoice in varied_invoices:
        detail = api.get(f"{URL}{invoice.pk}/")
        assert json.dumps(listed[str(invoice.pk)]) == json.dumps(detail.json())  # key order too
    states = {pk: row["document"] for pk, row in listed.items()}
    assert states[str(varied_invoices[0].pk)] is None
    assert states[str(varied_invoices[2].pk)] == {"status": "ready", "version": varied_invoices[2].version}
    assert states[str(varied_invoices[3].pk)]["status"] == "stale"
    assert states[str(varied_invoices[4].pk)]["status"] == "pending"
    assert states[str(varied_invoices[5].pk)] == {"status": "failed", "version": varied_invoices[5].version}
    created = listed[str(varied_invoices[0].pk)]
    assert (created["created_at"], created["updated_at"]) == ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000600Z")


def test_timestamps_are_in_the_current_time_zone(api, varied_invoices, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    response = api.get(URL, {"page_size": 100})
    assert response.status_code == 200
    created = {row["id"]: row["created_at"] for row in response.json()["results"]}
    assert created[str(varied_invoices[0].pk)] == "2026-01-02T04:04:05+01:00"
    assert api.get(f"{URL}{varied_invoices[0].pk}/").json()["created_at"] == "2026-01-02T04:04:05+01:00"
