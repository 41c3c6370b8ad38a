from audit.models import AuditEntry
from billing.models import Business
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory

URL = "/api/v1/businesses/"


def test_create_business_with_defaults(api, org):
    response = api.post(URL, {"name": "Acme Design", "email": "hello@acme.example", "country": "FR"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Acme Design"
    assert body["default_currency"] == org.default_currency
    assert body["invoice_number_format"] == "INV-{YYYY}-{SEQ}"
    assert (body["credit_note_number_format"], body["credit_note_number_width"]) == ("CN-{YYYY}-{SEQ}", 4)
    assert body["facturx"] is True  # a business in the EU sends Factur-X PDFs unless it says otherwise
    assert set(body) == {
        "id", "name", "legal_name", "email", "phone", "address", "tax_id", "default_currency",
        "address_line1", "address_line2", "postcode", "city", "country", "vat_id", "legal_registration_id",
        "iban", "bic", "language", "legal_mentions", "contact_name", "peppol_id", "facturx",
        "payment_terms_days", "invoice_number_format", "invoice_number_width", "invoice_number_yearly_reset",
        "credit_note_number_format", "credit_note_number_width", "credit_note_number_yearly_reset",
        "default_notes", "default_terms", "default_vat_category", "vat_exemption_reasons", "reminder_steps",
        "created_at", "updated_at",
    }  # fmt: skip
    with organization_scope(org):
        business = Business.objects.get(pk=body["id"])
        assert business.organization_id == org.pk
        entry = AuditEntry.objects.get(action="business.created")
        assert entry.actor_api_key is not None and entry.target_id == str(business.pk)


def test_factur_x_is_off_by_default_outside_the_eu_and_can_be_set(api):
    outside = api.post(URL, {"name": "Acme Inc", "country": "US"}, format="json").json()
    assert outside["facturx"] is False
    chosen = api.post(URL, {"name": "Acme SAS", "country": "FR", "facturx": False}, format="json").json()
    assert chosen["facturx"] is False
    updated = api.patch(f"{URL}{chosen['id']}/", {"facturx": True}, format="json")
    assert updated.status_code == 200 and updated.json()["facturx"] is True
    assert api.patch(f"{URL}{chosen['id']}/", {"facturx": "maybe"}, format="json").status_code == 400


def test_create_business_validation_errors(api):
    response = api.post(URL, {"name": "", "default_currency": "EURO", "payment_terms_days": 400}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"name", "default_currency", "payment_terms_days"}
    assert all(isinstance(messages, list) and messages for messages in body.values())


def test_invalid_number_format_is_a_field_error(api):
    response = api.post(URL, {"name": "X", "country": "FR", "invoice_number_format": "INV-{YYYY}"}, format="json")
    assert response.status_code == 400
    assert "invoice_number_format" in response.json()


def test_list_and_retrieve_only_own_businesses(api, org, other_org):
    mine = BusinessFactory(organization=org)
    BusinessFactory(organization=other_org)
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    assert [row["id"] for row in body["results"]] == [str(mine.pk)]
    assert api.get(f"{URL}{mine.pk}/").json()["name"] == mine.name


def test_patch_business(api, org):
    business = BusinessFactory(organization=org)
    response = api.patch(f"{URL}{business.pk}/", {"payment_terms_days": 7, "phone": "+49 30 1234"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["payment_terms_days"] == 7
    with organization_scope(org):
        business.refresh_from_db()
        assert business.phone == "+49 30 1234"
        assert AuditEntry.objects.filter(action="business.updated", target_id=str(business.pk)).exists()


def test_put_and_delete_are_not_allowed(api, org):
    business = BusinessFactory(organization=org)
    assert api.put(f"{URL}{business.pk}/", {"name": "X"}, format="json").status_code == 405
    assert api.delete(f"{URL}{business.pk}/").status_code == 405


def test_read_only_key_cannot_write(ro_api, org):
    business = BusinessFactory(organization=org)
    assert ro_api.post(URL, {"name": "X"}, format="json").status_code == 403
    assert ro_api.patch(f"{URL}{business.pk}/", {"name": "Y"}, format="json").status_code == 403
    assert ro_api.get(URL).status_code == 200
