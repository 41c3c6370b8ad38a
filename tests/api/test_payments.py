from decimal import Decimal

from audit.models import AuditEntry
from billing.models import Invoice, Payment
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice

URL = "/api/v1/payments/"


def pay(api, invoice, amount, **extra):
    return api.post(URL, {"invoice": str(invoice.pk), "amount": amount, **extra}, format="json")


def test_record_payment(api, org, rw_key):
    invoice = make_invoice(organization=org, status="issued")
    response = pay(api, invoice, "50.00", method="card", reference="R-1", date=org.local_today().isoformat())
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["amount"] == "50.00" and data["method"] == "card" and data["voided"] is False
    assert data["kind"] == "payment"
    assert data["recorded_by"] == rw_key[0].label
    assert set(data) == {
        "id", "invoice", "kind", "amount", "date", "method", "reference", "note", "voided", "voided_at",
        "void_reason", "recorded_by", "created_at",
    }  # fmt: skip
    with organization_scope(org):
        invoice.refresh_from_db()
        assert invoice.status == "partially_paid" and invoice.amount_paid == Decimal("50.00")
        assert AuditEntry.objects.filter(action="payment.recorded").exists()
    detail = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert detail["amount_paid"] == "50.00" and detail["status"] == "partially_paid"


def test_date_defaults_to_today(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = pay(api, invoice, "1.00")
    assert response.status_code == 201 and response.json()["date"] == org.local_today().isoformat()


def test_jpy_payment_amount_has_no_places(api, org):
    invoice = make_invoice(
        organization=org,
        status="issued",
        currency="JPY",
        items=[{"description": "x", "quantity": "1", "unit_price": "1500", "tax_rate": "0"}],
    )
    response = pay(api, invoice, "500")
    assert response.status_code == 201 and response.json()["amount"] == "500"
    assert "amount" in pay(api, invoice, "1.5").json()


def test_overpayment_is_400_on_amount(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = pay(api, invoice, str(invoice.total + Decimal("0.01")))
    assert response.status_code == 400 and "amount" in response.json()
    with organization_scope(org):
        assert not Payment.objects.exists()


def test_amount_as_json_number_is_400(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = pay(api, invoice, 50.0)
    assert response.status_code == 400 and "strings" in response.json()["amount"][0]
    assert pay(api, invoice, 50).status_code == 400


def test_payment_validation(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = pay(api, invoice, "-1", method="barter", date="2999-01-01")
    assert response.status_code == 400
    assert {"method"} <= set(response.json())
    response = pay(api, invoice, "1.00", date="2999-01-01")
    assert response.status_code == 400 and "date" in response.json()
    assert "amount" in pay(api, invoice, "1.001").json()


def test_payment_on_draft_or_void_is_409(api, org):
    draft = make_invoice(organization=org)
    void = make_invoice(organization=org, status="void")
    assert pay(api, draft, "1.00").status_code == 409
    assert pay(api, void, "1.00").status_code == 409


def test_void_payment(api, org):
    invoice = make_invoice(organization=org, status="paid")
    payment_id = api.get(URL, {"invoice": str(invoice.pk)}).json()["results"][0]["id"]
    response = api.post(f"{URL}{payment_id}/void/", {"reason": "Bounced"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["voided"] is True and data["void_reason"] == "Bounced" and data["voided_at"]
    with organization_scope(org):
        assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    assert api.post(f"{URL}{payment_id}/void/", {"reason": "again"}, format="json").status_code == 409


def test_void_payment_needs_a_reason(api, org):
    invoice = make_invoice(organization=org, status="paid")
    payment_id = api.get(URL).json()["results"][0]["id"]
    response = api.post(f"{URL}{payment_id}/void/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    with organization_scope(org):
        assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_list_filter_by_invoice(api, org):
    first = make_invoice(organization=org, status="paid")
    make_invoice(organization=org, status="paid")
    assert api.get(URL).json()["count"] == 2
    rows = api.get(URL, {"invoice": str(first.pk)}).json()["results"]
    assert [row["invoice"] for row in rows] == [str(first.pk)]
    assert api.get(f"{URL}{rows[0]['id']}/").json()["id"] == rows[0]["id"]


def test_read_only_key_cannot_record(ro_api, org):
    invoice = make_invoice(organization=org, status="issued")
    assert pay(ro_api, invoice, "1.00").status_code == 403
