from audit.models import AuditEntry
from billing.models import Customer
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory, make_invoice

URL = "/api/v1/customers/"


def test_create_customer(api, org):
    response = api.post(URL, {"name": "Globex", "email": "ap@globex.example", "currency": "JPY"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["currency"] == "JPY" and body["archived"] is False
    assert set(body) == {
        "id", "name", "email", "phone", "billing_address", "tax_id", "currency", "notes", "archived",
        "address_line1", "address_line2", "postcode", "city", "country", "vat_id", "legal_registration_id",
        "language", "buyer_reference", "peppol_id", "einvoice_format", "reminders_enabled",
        "created_at", "updated_at",
    }  # fmt: skip
    assert body["einvoice_format"] == "pdf"
    with organization_scope(org):
        assert Customer.objects.get(pk=body["id"]).organization_id == org.pk
        assert AuditEntry.objects.filter(action="customer.created", target_id=body["id"]).exists()


def test_einvoice_format_is_one_of_the_attachments_offered(api):
    created = api.post(URL, {"name": "Stadt", "einvoice_format": "xrechnung"}, format="json")
    assert created.status_code == 201 and created.json()["einvoice_format"] == "xrechnung"
    refused = api.post(URL, {"name": "Stadt", "einvoice_format": "docx"}, format="json")
    assert refused.status_code == 400 and "einvoice_format" in refused.json()


def test_create_customer_validation(api):
    response = api.post(URL, {"email": "not an email", "currency": "XYZ"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"name", "email", "currency"}


def test_search_and_archived_filter(api, org):
    CustomerFactory(organization=org, name="Alpha Industries", email="a@alpha.example")
    CustomerFactory(organization=org, name="Beta", email="billing@alpha-partner.example", archived=True)
    CustomerFactory(organization=org, name="Gamma", email="g@gamma.example")
    names = lambda response: sorted(row["name"] for row in response.json()["results"])  # noqa: E731
    assert names(api.get(URL, {"search": "alpha"})) == ["Alpha Industries", "Beta"]
    assert names(api.get(URL, {"archived": "true"})) == ["Beta"]
    assert names(api.get(URL, {"archived": "false"})) == ["Alpha Industries", "Gamma"]
    assert api.get(URL, {"archived": "maybe"}).status_code == 400


def test_newest_first_and_ordering(api, org):
    first = CustomerFactory(organization=org, name="Zed")
    second = CustomerFactory(organization=org, name="Abe")
    ids = [row["id"] for row in api.get(URL).json()["results"]]
    assert ids == [str(second.pk), str(first.pk)]
    ids = [row["id"] for row in api.get(URL, {"ordering": "name"}).json()["results"]]
    assert ids == [str(second.pk), str(first.pk)]
    ids = [row["id"] for row in api.get(URL, {"ordering": "created_at"}).json()["results"]]
    assert ids == [str(first.pk), str(second.pk)]


def test_pagination_shape_and_limits(api, org):
    for _ in range(3):
        CustomerFactory(organization=org)
    body = api.get(URL, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2") and body["previous"] is None
    body = api.get(URL, {"page": 2, "page_size": 2}).json()
    assert len(body["results"]) == 1 and body["next"] is None and body["previous"] is not None
    assert api.get(URL, {"page": 9}).status_code == 404


def test_page_size_is_capped_at_100(api, org):
    CustomerFactory.create_batch(101, organization=org)
    body = api.get(URL, {"page_size": 500}).json()
    assert body["count"] == 101 and len(body["results"]) == 100
    assert len(api.get(URL).json()["results"]) == 25


def test_archive_with_patch(api, org):
    customer = CustomerFactory(organization=org)
    response = api.patch(f"{URL}{customer.pk}/", {"archived": True}, format="json")
    assert response.status_code == 200 and response.json()["archived"] is True
    with organization_scope(org):
        assert AuditEntry.objects.filter(action="customer.archived", target_id=str(customer.pk)).exists()


def test_delete_customer_without_invoices(api, org):
    customer = CustomerFactory(organization=org)
    assert api.delete(f"{URL}{customer.pk}/").status_code == 204
    with organization_scope(org):
        assert not Customer.objects.filter(pk=customer.pk).exists()


def test_delete_customer_with_invoices_is_a_conflict(api, org):
    invoice = make_invoice(organization=org)
    response = api.delete(f"{URL}{invoice.customer_id}/")
    assert response.status_code == 409
    assert "archive" in response.json()["detail"]
    with organization_scope(org):
        assert Customer.objects.filter(pk=invoice.customer_id).exists()


def test_unknown_id_is_404(api):
    assert api.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get(f"{URL}not-a-uuid/").status_code == 404


def test_page_and_page_size_must_be_positive_integers(api, org):
    for params in (
        {"page": ""},
        {"page": "0"},
        {"page": "x"},
        {"page_size": "0"},
        {"page_size": "-1"},
        {"page_size": ""},
    ):
        response = api.get(URL, params)
        assert response.status_code == 400, params
        assert set(response.json()) == set(params)


def test_unknown_query_parameter_is_400(api, org):
    response = api.get(URL, {"archivd": "true"})
    assert response.status_code == 400 and response.json() == {"archivd": ["Unknown query parameter."]}
