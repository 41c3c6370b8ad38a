"""The document side of invoices: ``pdf`` (fresh or 202 + Retry-After, never stale), ``send``
(202, 409 on draft/void) and the ``document`` field."""

from documents import services as document_services
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory, make_invoice

URL = "/api/v1/invoices/"


def render(org, invoice):
    document = document_services.document_render(organization=org, invoice_id=invoice.pk)
    assert document is not None and document.status == "ready"
    return document


def test_pdf_is_202_with_retry_after_until_rendered_then_200(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = api.get(f"{URL}{invoice.pk}/pdf/")
    assert response.status_code == 202
    assert int(response["Retry-After"]) > 0
    assert response.json()["status"] == "pending"
    render(org, invoice)
    response = api.get(f"{URL}{invoice.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert invoice.number in response["Content-Disposition"]


def test_a_stale_pdf_is_never_served(api, org):
    invoice = make_invoice(organization=org, status="issued")
    render(org, invoice)
    assert api.get(f"{URL}{invoice.pk}/pdf/").status_code == 200
    assert api.get(f"{URL}{invoice.pk}/").json()["document"] == {"status": "ready", "version": invoice.version}
    paid = api.post("/api/v1/payments/", {"invoice": str(invoice.pk), "amount": "1.00"}, format="json")
    assert paid.status_code == 201
    detail = api.get(f"{URL}{invoice.pk}/").json()
    assert detail["version"] > invoice.version
    assert detail["document"]["status"] in ("stale", "pending")
    response = api.get(f"{URL}{invoice.pk}/pdf/")
    assert response.status_code == 202 and response["Retry-After"]


def test_draft_pdf_is_rendered_on_the_fly(api, org):
    invoice = make_invoice(organization=org)
    response = api.get(f"{URL}{invoice.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert api.get(f"{URL}{invoice.pk}/").json()["document"] is None


def test_pdf_errors_are_json_even_when_asking_for_pdf(api):
    response = api.get(f"{URL}00000000-0000-0000-0000-000000000000/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_read_only_key_may_download(ro_api, org):
    invoice = make_invoice(organization=org)
    assert ro_api.get(f"{URL}{invoice.pk}/pdf/").status_code == 200


def test_send_queues_the_email(api, org):
    invoice = make_invoice(organization=org, status="issued")
    response = api.post(f"{URL}{invoice.pk}/send/")
    assert response.status_code == 202, response.content
    data = response.json()
    with organization_scope(org):
        assert data["invoice"] == str(invoice.pk) and data["to"] == [invoice.customer.email]
        assert OutboundEmail.objects.filter(pk=data["email"], invoice=invoice).exists()


def test_send_draft_or_void_is_409(api, org):
    for status in ("draft", "void"):
        invoice = make_invoice(organization=org, status=status)
        response = api.post(f"{URL}{invoice.pk}/send/")
        assert response.status_code == 409 and response.json()["detail"]
    with organization_scope(org):
        assert not OutboundEmail.objects.exists()


def test_send_without_customer_email_is_400(api, org):
    invoice = make_invoice(organization=org, customer=CustomerFactory(organization=org, email=""), status="issued")
    response = api.post(f"{URL}{invoice.pk}/send/")
    assert response.status_code == 400 and "to" in response.json()


def test_read_only_key_cannot_send(ro_api, org):
    invoice = make_invoice(organization=org, status="issued")
    assert ro_api.post(f"{URL}{invoice.pk}/send/").status_code == 403
