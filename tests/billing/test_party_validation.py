"""eu-invoicing.md "Parties": VAT numbers, IBAN and BIC, Peppol ids, countries and languages are
checked offline by the one validation layer, with messages that show the expected format."""

import socket

import pytest

from billing import services
from billing.exceptions import BillingValidationError
from billing.models import Invoice, InvoiceStatus
from billing.validation import (
    InvalidValue,
    parse_bic,
    parse_country,
    parse_customer_language,
    parse_iban,
    parse_language,
    parse_peppol_id,
    parse_vat_id,
)
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice

# (typed, stored): spaces, dots, dashes and lower case are fine; the stored number is compact.
VALID_VAT_IDS = [
    ("fr 40 303 265 045", "FR40303265045"),
    ("DE 136 695 976", "DE136695976"),
    ("BE 0428.759.497", "BE0428759497"),
    ("nl004495445b01", "NL004495445B01"),
    ("IT 00743110157", "IT00743110157"),
    ("ES B-64717838", "ESB64717838"),
    ("AT U13585627", "ATU13585627"),
    ("GB 980 7806 84", "GB980780684"),
    ("GR094259216", "EL094259216"),  # Greece's VAT prefix is EL
    ("CHE-107.787.577 IVA", "CHE107787577IVA"),
    ("NO 995 525 828 MVA", "NO995525828MVA"),
    ("XI980780684", "XI980780684"),
]

# One check digit broken in each valid number above: (typed, country adjective, example).
BROKEN_CHECK_DIGIT = [
    ("FR40303265046", "a French", "FR40303265045"),
    ("DE136695978", "a German", "DE136695976"),
    ("BE0428759498", "a Belgian", "BE0428759497"),
    ("NL004495446B01", "a Dutch", "NL004495445B01"),
    ("IT00743110158", "an Italian", "IT00743110157"),
    ("ESB64717839", "a Spanish", "ESB64717838"),
    ("ATU13585628", "an Austrian", "ATU13585627"),
    ("GB980780685", "a British", "GB980780684"),
]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: checks must never call VIES or a bank."""

    def refuse(*args, **kwargs):
        raise AssertionError("a validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize(("typed", "stored"), VALID_VAT_IDS)
def test_valid_vat_ids_are_stored_compact_with_their_prefix(no_network, typed, stored):
    assert parse_vat_id(typed) == stored


@pytest.mark.parametrize(("typed", "adjective", "example"), BROKEN_CHECK_DIGIT)
def test_a_broken_check_digit_names_the_country_and_its_format(no_network, typed, adjective, example):
    with pytest.raises(InvalidValue) as excinfo:
        parse_vat_id(typed)
    assert excinfo.value.message == (
        f"Enter {adjective} VAT number like {example} (its check digits do not match: look for a typo)."
    )


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("40303265045", "with its country prefix, like FR40303265045"),
        ("FR403032650", "Enter a French VAT number like FR40303265045 (it has too few or too many characters)"),
        ("DE13669597X", "Enter a German VAT number like DE136695976"),
        ("US123456789", "checks VAT numbers of the EU, GB, CH and NO"),
        ("FR" + "4" * 60, "no more than 40 characters"),
        ("FR40\n303265045", "single line"),
    ],
)
def test_malformed_vat_ids_say_what_is_expected(typed, fragment):
    with pytest.raises(InvalidValue) as excinfo:
        parse_vat_id(typed)
    assert fragment in excinfo.value.message


def test_blank_identifiers_stay_blank():
    assert [
        parse(value) for parse in (parse_vat_id, parse_iban, parse_bic, parse_peppol_id) for value in ("", None)
    ] == [""] * 8


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("BE68539007547034", "BE68539007547034"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"),
    ],
)
def test_valid_ibans_are_stored_compact(no_network, typed, stored):
    assert parse_iban(typed) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("DE89370400440532013001", "its check digits do not match"),
        ("FR7630006000011234567890188", "its check digits do not match"),
        ("DE8937040044053201300", "too few or too many characters"),
        ("XX89370400440532013000", "starts with the code of its country"),
        ("COBADEFFXXX", ""),
    ],
)
def test_invalid_ibans_show_the_format(no_network, typed, reason):
    with pytest.raises(InvalidValue) as excinfo:
        parse_iban(typed)
    assert excinfo.value.message.startswith("Enter an IBAN like DE89 3704 0044 0532 0130 00")
    assert reason in excinfo.value.message


@pytest.mark.parametrize(("typed", "stored"), [("cobadeffxxx", "COBADEFFXXX"), ("COBADEFF", "COBADEFF")])
def test_valid_bics(no_network, typed, stored):
    assert parse_bic(typed) == stored


@pytest.mark.parametrize("typed", ["COBADEF", "COBA1EFF", "COBAXXFF", "DE8937040044"])
def test_invalid_bics(no_network, typed):
    with pytest.raises(InvalidValue, match="Enter a BIC of 8 or 11 letters and digits, like COBADEFFXXX"):
        parse_bic(typed)


@pytest.mark.parametrize("typed", ["0208:0123456789", "9930:DE136695976", "0088:5798000000001"])
def test_valid_peppol_ids(typed):
    assert parse_peppol_id(typed) == typed


@pytest.mark.parametrize("typed", ["0123456789", "208:0123456789", "0208:", "0208:01 23", "iso6523:0208:1"])
def test_invalid_peppol_ids(typed):
    with pytest.raises(InvalidValue, match=r"Enter a Peppol ID as scheme:id, like 0208:0123456789"):
        parse_peppol_id(typed)


def test_countries_are_iso_3166_alpha_2_codes():
    assert parse_country("fr") == "FR"
    assert parse_country("") == ""
    for typed in ("FRA", "XX", "EU", "France"):
        with pytest.raises(InvalidValue, match="two-letter ISO 3166-1 country code"):
            parse_country(typed)


def test_languages():
    assert parse_language("DE") == "de"
    assert parse_customer_language("") == ""
    with pytest.raises(InvalidValue, match="one of en, fr, de"):
        parse_language("")
    with pytest.raises(InvalidValue, match="one of en, fr, de"):
        parse_customer_language("es")


# --- through the services ---------------------------------------------------------------------


def errors_of(call, **kwargs):
    with pytest.raises(BillingValidationError) as excinfo:
        call(**kwargs)
    return excinfo.value.messages


def test_business_identifiers_are_validated_and_stored_compact(org, user):
    business = services.business_create(
        organization=org,
        actor=user,
        data={
            "name": "Studio",
            "country": "fr",
            "vat_id": "FR 40 303 265 045",
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "bic": "bnpafrpp",
            "peppol_id": "0009:30326504500013",
        },
    )
    assert (business.country, business.vat_id, business.iban, business.bic) == (
        "FR",
        "FR40303265045",
        "FR7630006000011234567890189",
        "BNPAFRPP",
    )
    errors = errors_of(
        services.business_update,
        organization=org,
        actor=user,
        business_id=business.pk,
        data={"vat_id": "FR40303265046", "iban": "FR7630006000011234567890188", "bic": "BNP", "country": ""},
    )
    assert set(errors) == {"vat_id", "iban", "bic", "country"}
    assert errors["country"] == [
        "Choose the business's country (an ISO 3166-1 code such as FR); every invoice shows it."
    ]


def test_a_business_needs_a_country(org, user):
    assert errors_of(services.business_create, organization=org, actor=user, data={"name": "Studio"}) == {
        "country": ["Choose the business's country (an ISO 3166-1 code such as FR); every invoice shows it."]
    }


def test_customer_identifiers_are_validated(org, user):
    customer = services.customer_create(
        organization=org, actor=user, data={"name": "Kunde", "vat_id": "de136695976", "language": "de"}
    )
    assert (customer.vat_id, customer.language, customer.country) == ("DE136695976", "de", "")
    errors = errors_of(
        services.customer_create,
        organization=org,
        actor=user,
        data={"name": "Kunde", "vat_id": "DE136695978", "country": "Germany", "peppol_id": "x"},
    )
    assert errors == {
        "vat_id": ["Enter a German VAT number like DE136695976 (its check digits do not match: look for a typo)."],
        "country": ["Enter a two-letter ISO 3166-1 country code, like FR or DE."],
        "peppol_id": ["Enter a Peppol ID as scheme:id, like 0208:0123456789 (a 4-digit scheme, a colon, the id)."],
    }


# --- at issue -----------------------------------------------------------------------------------


def test_issue_needs_the_customers_country_and_names_the_field(org, user, business):
    customer = CustomerFactory(organization=org, country="")
    draft = make_invoice(organization=org, business=business, customer=customer)  # a draft may lack it
    assert errors_of(services.invoice_issue, organization=org, actor=user, invoice_id=draft.pk) == {
        "customer.country": ["Add the customer's country before issuing: an invoice shows the buyer's full address."]
    }
    with organization_scope(org):
        assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"country": "AT"})
    issued = services.invoice_issue(organization=org, actor=user, invoice_id=draft.pk)
    assert issued.customer_snapshot["country"] == "AT"


def test_issue_needs_the_business_country_too(org, user, customer):
    business = BusinessFactory(organization=org, country="")  # as the address migration leaves one
    draft = make_invoice(organization=org, business=business, customer=customer)
    assert set(errors_of(services.invoice_issue, organization=org, actor=user, invoice_id=draft.pk)) == {
        "business.country"
    }


def test_a_customer_with_issued_invoices_keeps_a_country(org, user, business):
    customer = CustomerFactory(organization=org, country="FR")
    make_invoice(organization=org, business=business, customer=customer)
    # With only drafts it may still be cleared (drafts may be incomplete)...
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"country": ""})
    services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"country": "FR"})
    make_invoice(organization=org, business=business, customer=customer, status="issued")
    # ...but once one is issued, it must keep one.
    assert errors_of(
        services.customer_update, organization=org, actor=user, customer_id=customer.pk, data={"country": ""}
    ) == {"country": ["This customer has issued invoices, which need its country: choose one."]}
    updated = services.customer_update(organization=org, actor=user, customer_id=customer.pk, data={"country": "BE"})
    assert updated.country == "BE"
