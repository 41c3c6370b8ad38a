"""Business and customer services: validation, tenancy, audit entries, delete vs archive."""

import io
import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from billing import services
from billing.exceptions import BillingValidationError, NotFound, StateConflict
from billing.models import Business, Customer, Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory


def errors_of(call, **kwargs):
    with pytest.raises(BillingValidationError) as excinfo:
        call(**kwargs)
    return excinfo.value.errors


# --- businesses -----------------------------------------------------------------------------


def test_business_create_defaults_and_audit(org, user, audit_entries):
    business = services.business_create(
        organization=org, actor=user, data={"name": "  Acme  ", "tax_id": "DE1", "country": "de"}
    )
    assert business.name == "Acme"
    assert business.default_currency == org.default_currency
    assert business.invoice_number_format == "INV-{YYYY}-{SEQ}"
    assert business.invoice_number_width == 4
    assert business.invoice_number_yearly_reset is True
    assert business.country == "DE"
    [entry] = audit_entries()
    assert entry.action == "business.created"
    assert entry.target_id == str(business.pk)
    assert entry.actor_user == user
    assert entry.changes["name"] == [None, "Acme"]
    assert entry.changes["tax_id"] == [None, "DE1"]


def test_business_create_validation_errors_are_field_tied(org, user):
    errors = errors_of(
        services.business_create,
        organization=org,
        actor=user,
        data={
            "name": "",
            "email": "not-an-email",
            "default_currency": "EURO",
            "payment_terms_days": 400,
            "invoice_number_width": 0,
        },
    )
    assert set(errors) == {"name", "email", "default_currency", "payment_terms_days", "invoice_number_width", "country"}
    assert errors_of(services.business_create, organization=org, actor=user, data={"tax_id": "x", "country": "FR"}) == {
        "name": ["This field is required."]
    }
    assert errors_of(
        services.business_create, organization=org, actor=user, data={"name": "A", "country": "FR", "colour": "red"}
    ) == {"colour": ["Unknown field."]}


@pytest.mark.parametrize(
    ("number_format", "yearly_reset", "fragment"),
    [
        ("INV-{SEQ}", True, "needs {YYYY} or {YY}"),
        ("INV-{YYYY}", True, "{SEQ} exactly once"),
        ("INV-{SEQ}-{SEQ}", False, "{SEQ} exactly once"),
        ("INV-{DD}-{SEQ}", False, "Unknown token {DD}"),
        ("INV-{SEQ", False, "braces"),
    ],
)
def test_business_numbering_format_must_yield_unique_numbers(org, user, number_format, yearly_reset, fragment):
    errors = errors_of(
        services.business_create,
        organization=org,
        actor=user,
        data={
            "name": "A",
            "country": "FR",
            "invoice_number_format": number_format,
            "invoice_number_yearly_reset": yearly_reset,
        },
    )
    assert fragment in errors["invoice_number_format"][0]


def test_business_without_yearly_reset_may_omit_the_year(org, user):
    business = services.business_create(
        organization=org,
        actor=user,
        data={"name": "A", "country": "FR", "invoice_number_format": "{SEQ}", "invoice_number_yearly_reset": False},
    )
    assert business.invoice_number_format == "{SEQ}"


def test_business_update_records_changed_fields_only(org, user, business, audit_entries):
    updated = services.business_update(
        organization=org,
        actor=user,
        business_id=str(business.pk),
        data={"name": business.name, "payment_terms_days": 14, "default_currency": "USD"},
    )
    assert updated.payment_terms_days == 14
    [entry] = audit_entries()
    assert entry.action == "business.updated"
    assert entry.changes == {"payment_terms_days": [30, 14], "default_currency": ["EUR", "USD"]}


def test_business_update_checks_the_numbering_against_current_settings(org, user, business):
    errors = errors_of(
        services.business_update,
        organization=org,
        actor=user,
        business_id=business.pk,
        data={"invoice_number_format": "{SEQ}"},
    )
    assert "needs {YYYY} or {YY}" in errors["invoice_number_format"][0]


def test_business_of_another_organization_is_not_found(org, other_org, user):
    foreign = BusinessFactory(organization=other_org, name="Theirs")
    for business_id in (foreign.pk, str(foreign.pk), uuid.uuid4(), "not-a-uuid", None):
        with pytest.raises(NotFound):
            services.business_update(organization=org, actor=user, business_id=business_id, data={"name": "Mine"})
    with organization_scope(other_org):
        assert Business.objects.get(pk=foreign.pk).name == "Theirs"


def image_bytes(fmt="PNG", size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    return buffer.getvalue()


def test_business_logo_type_and_size(org, user, business):
    png = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
    updated = services.business_update(organization=org, actor=user, business_id=business.pk, data={"logo": png})
    assert updated.logo.name.endswith(".png")
    jpeg = SimpleUploadedFile("logo.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    updated = services.business_update(organization=org, actor=user, business_id=business.pk, data={"logo": jpeg})
    assert updated.logo.name.endswith(".jpg")
    # What the file holds decides, not its name, its content type or its first bytes.
    for content in (b"<svg></svg>", b"\x89PNG\r\n\x1a\n" + b"0" * 100, image_bytes("GIF")):
        refused = SimpleUploadedFile("logo.png", content, content_type="image/png")
        errors = errors_of(
            services.business_update, organization=org, actor=user, business_id=business.pk, data={"logo": refused}
        )
        assert errors == {"logo": ["Upload a PNG or JPEG image."]}
    big = SimpleUploadedFile("logo.jpg", b"\xff\xd8\xff" + b"0" * (1024 * 1024), content_type="image/jpeg")
    errors = errors_of(
        services.business_update, organization=org, actor=user, business_id=business.pk, data={"logo": big}
    )
    assert errors == {"logo": ["The logo may be at most 1 MB."]}


# --- customers ------------------------------------------------------------------------------


def test_customer_create_and_audit(org, user, audit_entries):
    customer = services.customer_create(
        organization=org, actor=user, data={"name": "Jane", "email": "jane@example.com", "currency": "usd"}
    )
    assert customer.currency == "USD"
    [entry] = audit_entries()
    assert entry.action == "customer.created"
    assert entry.changes["email"] == [None, "jane@example.com"]


def test_customer_create_defaults_currency_to_the_organization(org, user):
    assert services.customer_create(organization=org, actor=user, data={"name": "J"}).currency == "EUR"


def test_customer_validation(org, user):
    errors = errors_of(
        services.customer_create,
        organization=org,
        actor=user,
        data={"name": "x" * 201, "email": "x@", "archived": "maybe"},
    )
    assert set(errors) == {"name", "email", "archived"}


def test_customer_update_and_archive_write_the_right_action(org, user, customer, audit_entries):
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"phone": "+49 30 1"})
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"archived": True})
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"archived": False})
    entries = audit_entries()
    assert [entry.action for entry in entries] == ["customer.updated", "customer.archived", "customer.updated"]
    assert entries[0].changes == {"phone": ["", "+49 30 1"]}
    assert entries[1].changes == {"archived": [False, True]}


def test_customer_without_invoices_can_be_deleted(org, user, customer, audit_entries):
    services.customer_delete(organization=org, actor=user, customer_id=customer.pk)
    with organization_scope(org):
        assert not Customer.objects.filter(pk=customer.pk).exists()
    [entry] = audit_entries()
    assert entry.action == "customer.deleted"
    assert entry.target_id == str(customer.pk)


def test_customer_with_invoices_cannot_be_deleted_only_archived(org, user, business, customer, audit_entries):
    Invoice.objects.create(
        organization=org,
        business=business,
        customer=customer,
        currency="EUR",
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
    )
    with pytest.raises(StateConflict) as excinfo:
        services.customer_delete(organization=org, actor=user, customer_id=customer.pk)
    assert "archive" in excinfo.value.conflict_message
    with organization_scope(org):
        assert Customer.objects.filter(pk=customer.pk).exists()
    assert audit_entries() == []
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"archived": True})
    with organization_scope(org):
        assert Customer.objects.get(pk=customer.pk).archived


def test_customer_of_another_organization_is_not_found(org, other_org, user):
    foreign = CustomerFactory(organization=other_org)
    with pytest.raises(NotFound):
        services.customer_update(organization=org, actor=user, customer_id=foreign.pk, data={"name": "x"})
    with pytest.raises(NotFound):
        services.customer_delete(organization=org, actor=user, customer_id=foreign.pk)
    with organization_scope(other_org):
        assert Customer.objects.filter(pk=foreign.pk).exists()


def test_api_key_and_system_actors(org, user):
    from tests.organizations.factories import make_api_key

    api_key, _ = make_api_key(org)
    services.customer_create(organization=org, actor=api_key, data={"name": "By key"})
    services.customer_create(organization=org, actor=None, data={"name": "By system"})
    from audit.models import AuditEntry

    with organization_scope(org):
        entries = list(AuditEntry.objects.order_by("sequence"))
    assert [(e.actor_type, e.actor_api_key_id) for e in entries] == [("api_key", api_key.pk), ("system", None)]


# --- hostile input: names on one line, no control characters, only real currencies ----------


@pytest.mark.parametrize("name", ["Acme\r\nBcc: all@example.com", "Acme\nCorp", "Acme\rCorp", "Acme\x0bCorp"])
def test_business_and_customer_names_are_single_line(org, user, business, customer, name):
    """A line break in a name ends up in the headers of every email of that business."""
    single_line = ["Use a single line: line breaks are not allowed here."]
    assert errors_of(services.business_create, organization=org, actor=user, data={"name": name, "country": "FR"}) == {
        "name": single_line
    }
    assert errors_of(services.customer_create, organization=org, actor=user, data={"name": name}) == {
        "name": single_line
    }
    for field in ("name", "legal_name", "email_subject_template"):
        errors = errors_of(
            services.business_update, organization=org, actor=user, business_id=business.pk, data={field: name}
        )
        assert errors == {field: single_line}
    errors = errors_of(
        services.customer_update, organization=org, actor=user, customer_id=customer.pk, data={"name": name}
    )
    assert errors == {"name": single_line}
    with organization_scope(org):
        assert set(Business.objects.values_list("name", flat=True)) == {business.name}
        assert set(Customer.objects.values_list("name", flat=True)) == {customer.name}


@pytest.mark.parametrize("text", ["Acme\ud800", "Acme\x07", "Acme\x00"])
def test_surrogates_and_control_characters_are_refused_in_every_text_field(org, user, business, text):
    for field in ("name", "phone", "tax_id", "address_line1", "city", "legal_mentions", "payment_instructions"):
        errors = errors_of(
            services.business_update, organization=org, actor=user, business_id=business.pk, data={field: text}
        )
        assert list(errors) == [field]


def test_addresses_and_notes_keep_their_lines(org, user):
    customer = services.customer_create(
        organization=org,
        actor=user,
        data={"name": "Jane", "address_line1": "1 Main St", "city": "Springfield", "notes": "a\tb\r\nc"},
    )
    assert (customer.billing_address, customer.notes) == ("1 Main St\nSpringfield", "a\tb\nc")


@pytest.mark.parametrize("code", ["XXX", "XAU", "XAG", "XPT", "XPD", "XDR", "XTS", "XBD", "XSU", "XUA"])
def test_business_and_customer_currencies_must_be_money(org, user, business, customer, code):
    errors = errors_of(
        services.business_create,
        organization=org,
        actor=user,
        data={"name": "A", "country": "FR", "default_currency": code},
    )
    assert "is not a currency a business can invoice in" in errors["default_currency"][0]
    errors = errors_of(
        services.customer_update, organization=org, actor=user, customer_id=customer.pk, data={"currency": code}
    )
    assert "is not a currency a business can invoice in" in errors["currency"][0]


@pytest.mark.parametrize("value", ["٣", "+7", " 7 ", "７"])
def test_payment_terms_and_number_width_are_ascii_digits(org, user, business, value):
    for field in ("payment_terms_days", "invoice_number_width"):
        errors = errors_of(
            services.business_update, organization=org, actor=user, business_id=business.pk, data={field: value}
        )
        assert errors == {field: ["A valid integer is required."]}


def test_email_templates_are_required_and_single_line_where_they_are_headers(org, user, business):
    for field in ("email_subject_template", "email_body_template"):
        errors = errors_of(
            services.business_update, organization=org, actor=user, business_id=business.pk, data={field: " "}
        )
        assert errors == {field: ["This field may not be blank."]}
    updated = services.business_update(
        organization=org, actor=user, business_id=business.pk, data={"email_body_template": "Hello\r\n{number}"}
    )
    assert updated.email_body_template == "Hello\n{number}"
