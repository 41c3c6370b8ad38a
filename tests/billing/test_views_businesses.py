"""Business pages (settings area): list for everyone; create/edit for owners and admins."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from billing import validation
from billing.models import Business
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory
from tests.billing.webclient import MANAGERS, ROLES, count_queries, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db


def business_post(**overrides):
    data = {
        "name": "Acme Studio",
        "legal_name": "Acme Studio GmbH",
        "email": "billing@acme.example",
        "phone": "+49 30 1234",
        "address_line1": "Hauptstraße 1",
        "postcode": "10115",
        "city": "Berlin",
        "country": "DE",
        "language": "en",
        "tax_id": "DE123",
        "default_currency": "eur",
        "payment_terms_days": "14",
        "invoice_number_format": "AC-{YYYY}-{SEQ}",
        "invoice_number_width": "5",
        "invoice_number_yearly_reset": "on",
        "default_notes": "Thanks!",
        "default_terms": "Net 14",
        "payment_instructions": "IBAN DE00 1234",
        "email_subject_template": "Invoice {number}",
        "email_body_template": "Hello {customer_name}",
    }
    data.update(overrides)
    return data


def png_bytes(size=(8, 8), fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("role", ROLES)
def test_list_works_for_every_role_and_shows_manage_links_only_to_managers(client, org, role):
    business = BusinessFactory(organization=org, name="Visible Biz")
    log_in(client, org, role)
    response = client.get(org_url("business_list", org))
    assert response.status_code == 200
    assert b"Visible Biz" in response.content
    edit_url = org_url("business_edit", org, business_id=business.pk).encode()
    assert (edit_url in response.content) == (role in MANAGERS)
    assert (org_url("business_create", org).encode() in response.content) == (role in MANAGERS)


def test_list_empty_state_tells_what_to_do(client, org):
    log_in(client, org)
    response = client.get(org_url("business_list", org))
    assert b"Add your first business" in response.content


@pytest.mark.parametrize("role", ROLES)
def test_create_role_matrix(client, org, role):
    log_in(client, org, role)
    get = client.get(org_url("business_create", org))
    post = client.post(org_url("business_create", org), business_post())
    if role in MANAGERS:
        assert get.status_code == 200
        assert post.status_code == 302
        with organization_scope(org):
            business = Business.objects.get(organization=org)
        assert business.name == "Acme Studio"
        assert business.default_currency == "EUR"
        assert business.invoice_number_format == "AC-{YYYY}-{SEQ}"
        assert business.invoice_number_width == 5
        assert business.payment_terms_days == 14
    else:
        assert get.status_code == 403
        assert post.status_code == 403
        with organization_scope(org):
            assert not Business.objects.filter(organization=org).exists()


@pytest.mark.parametrize("role", ROLES)
def test_edit_role_matrix(client, org, role):
    business = BusinessFactory(organization=org, name="Old name")
    log_in(client, org, role)
    url = org_url("business_edit", org, business_id=business.pk)
    get = client.get(url)
    post = client.post(url, business_post(name="New name"))
    with organization_scope(org):
        business.refresh_from_db()
    if role in MANAGERS:
        assert get.status_code == 200
        assert b'value="Old name"' in get.content
        assert post.status_code == 302
        assert business.name == "New name"
    else:
        assert (get.status_code, post.status_code) == (403, 403)
        assert business.name == "Old name"


def test_edit_writes_an_audit_entry(client, org, audit_entries):
    business = BusinessFactory(organization=org, name="Old name")
    log_in(client, org)
    client.post(org_url("business_edit", org, business_id=business.pk), business_post(name="New name"))
    entry = audit_entries(action="business.updated")[-1]
    assert entry.changes["name"] == ["Old name", "New name"]


def test_another_organizations_business_is_404(client, org, other_org):
    foreign = BusinessFactory(organization=other_org)
    log_in(client, org)
    url = org_url("business_edit", org, business_id=foreign.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, business_post()).status_code == 404


def test_outsider_gets_404(client, org):
    business = BusinessFactory(organization=org)
    log_in_outsider(client)
    assert client.get(org_url("business_list", org)).status_code == 404
    assert client.get(org_url("business_edit", org, business_id=business.pk)).status_code == 404


def test_service_validation_errors_are_shown_next_to_fields_and_input_is_kept(client, org):
    log_in(client, org)
    response = client.post(
        org_url("business_create", org),
        business_post(default_currency="XYZ", name="Keep me"),
    )
    assert response.status_code == 400
    assert "ISO 4217" in str(response.context["form"].errors["default_currency"])
    assert b'value="Keep me"' in response.content
    assert b'aria-invalid="true"' in response.content
    with organization_scope(org):
        assert not Business.objects.exists()


def test_bad_number_format_is_refused_on_its_field(client, org):
    log_in(client, org)
    response = client.post(org_url("business_create", org), business_post(invoice_number_format="INV-{NOPE}"))
    assert response.status_code == 400
    assert "invoice_number_format" in response.context["form"].errors
    assert b'value="INV-{NOPE}"' in response.content


def test_required_name(client, org):
    log_in(client, org)
    response = client.post(org_url("business_create", org), business_post(name=""))
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_logo_upload_png_is_stored(client, org):
    log_in(client, org)
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    response = client.post(org_url("business_create", org), {**business_post(), "logo": logo})
    assert response.status_code == 302
    with organization_scope(org):
        assert Business.objects.get().logo.name.endswith(".png")


def test_logo_of_wrong_type_is_refused(client, org):
    log_in(client, org)
    gif = SimpleUploadedFile("logo.gif", png_bytes(fmt="GIF"), content_type="image/gif")
    response = client.post(org_url("business_create", org), {**business_post(), "logo": gif})
    assert response.status_code == 400
    assert "logo" in response.context["form"].errors


def test_logo_that_is_not_an_image_is_refused(client, org):
    log_in(client, org)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(org_url("business_create", org), {**business_post(), "logo": fake})
    assert response.status_code == 400
    assert "logo" in response.context["form"].errors


def test_logo_too_large_is_refused(client, org):
    log_in(client, org)
    big = SimpleUploadedFile("big.png", png_bytes(size=(1200, 1200)) + b"\0" * (1024 * 1024), content_type="image/png")
    response = client.post(org_url("business_create", org), {**business_post(), "logo": big})
    assert response.status_code == 400
    assert "1 MB" in str(response.context["form"].errors["logo"])


def test_create_form_is_prefilled_with_working_defaults(client, org):
    """Submitting the new-business form with only a name and a country must work."""
    log_in(client, org)
    form = client.get(org_url("business_create", org)).context["form"]
    data = {name: form[name].value() for name in form.fields if name != "logo"}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data["name"] = "Only a name"
    data["country"] = "FR"
    response = client.post(org_url("business_create", org), data)
    assert response.status_code == 302
    with organization_scope(org):
        business = Business.objects.get()
    assert business.email_subject_template == "Invoice {number} from {business_name}"
    assert business.default_currency == org.default_currency


@pytest.mark.parametrize("role", ROLES)
def test_logo_is_served_to_members(client, org, role):
    log_in(client, org, Role.OWNER)
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    client.post(org_url("business_create", org), {**business_post(), "logo": logo})
    with organization_scope(org):
        business = Business.objects.get()
    log_in(client, org, role)
    response = client.get(org_url("business_logo", org, business_id=business.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    listing = client.get(org_url("business_list", org)).content.decode()
    assert org_url("business_logo", org, business_id=business.pk) in listing


def test_logo_is_404_for_outsiders_and_without_a_logo(client, org):
    without = BusinessFactory(organization=org)
    log_in(client, org)
    assert client.get(org_url("business_logo", org, business_id=without.pk)).status_code == 404
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    client.post(org_url("business_create", org), {**business_post(), "logo": logo})
    with organization_scope(org):
        business = Business.objects.exclude(pk=without.pk).get()
    assert client.get(org_url("business_logo", org, business_id=business.pk)).status_code == 200
    log_in_outsider(client)
    assert client.get(org_url("business_logo", org, business_id=business.pk)).status_code == 404


def test_list_runs_a_constant_number_of_queries(client, org, django_assert_max_num_queries):
    log_in(client, org)
    url = org_url("business_list", org)
    client.get(url)
    counts = []
    for total in (5, 50):
        with organization_scope(org):
            have = Business.objects.count()
        BusinessFactory.create_batch(total - have, organization=org)
        with django_assert_max_num_queries(6), count_queries() as queries:
            response = client.get(url)
        assert len(response.context["businesses"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_name_on_two_lines_is_refused_on_the_field(client, org):
    log_in(client, org)
    response = client.post(org_url("business_create", org), business_post(name="Acme\r\nBcc: all@example.com"))
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Use a single line: line breaks are not allowed here."]
    with organization_scope(org):
        assert not Business.objects.exists()


def test_the_address_is_rendered_from_its_fields(client, org):
    log_in(client, org)
    client.post(org_url("business_create", org), business_post(address_line2="Hinterhaus", country="de"))
    with organization_scope(org):
        assert Business.objects.get().address == "Hauptstraße 1\nHinterhaus\n10115 Berlin\nGermany"


@pytest.mark.parametrize("code", ["XXX", "XAU", "XDR"])
def test_a_currency_that_is_not_money_is_refused_on_the_field(client, org, code):
    log_in(client, org)
    response = client.post(org_url("business_create", org), business_post(default_currency=code))
    assert response.status_code == 400
    [message] = response.context["form"].errors["default_currency"]
    assert "is not a currency a business can invoice in" in message


def test_numbers_the_service_refuses_are_shown_with_its_message(client, org):
    log_in(client, org)
    response = client.post(
        org_url("business_create", org), business_post(payment_terms_days="١٤", invoice_number_width="13")
    )
    errors = response.context["form"].errors
    assert errors["payment_terms_days"] == ["A valid integer is required."]
    assert errors["invoice_number_width"] == ["Ensure this value is less than or equal to 12."]


def test_every_bound_is_the_services(client, org, monkeypatch):
    """Change a bound in billing.validation and the web follows: nothing in the form decides."""
    log_in(client, org)
    monkeypatch.setitem(validation.BUSINESS_INPUT, "name", validation.Text(5, required=True))
    response = client.post(org_url("business_create", org), business_post(name="Acme Studio"))
    assert response.context["form"].errors["name"] == ["Ensure this field has no more than 5 characters."]

    monkeypatch.setitem(validation.BUSINESS_INPUT, "default_notes", validation.Text(6000, multiline=True))
    monkeypatch.setitem(validation.BUSINESS_INPUT, "payment_terms_days", validation.Integer(0, 1000))
    response = client.post(
        org_url("business_create", org), business_post(name="Acme", default_notes="n" * 5500, payment_terms_days="500")
    )
    assert response.status_code == 302
    with organization_scope(org):
        business = Business.objects.get()
    assert (len(business.default_notes), business.payment_terms_days) == (5500, 500)
