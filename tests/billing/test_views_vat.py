"""VAT categories in the web: the category select of the line editor (business default
preselected), the exemption reasons shown for the exempt categories used, the business
settings, the breakdown on the detail page and the refusal of an issue."""

import re

import pytest
from django.contrib.messages import get_messages

from billing.models import Invoice
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.test_views_invoices import invoice_post
from tests.billing.vat_cases import REVERSE_CHARGE, SMALL_BUSINESS_DE
from tests.billing.webclient import log_in, org_url


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.search(r'<option value="(\w+)" selected', select).group(1)


def reason_group(html: str, category: str) -> str:
    return re.search(rf'<div class="vat-reason form-grid" data-vat-reason="{category}"[^>]*>', html).group(0)


def saved(org):
    with organization_scope(org):
        invoice = Invoice.objects.get()
        return invoice, list(invoice.items.order_by("position").values_list("vat_category", "tax_rate"))


@pytest.fixture
def small_business(org):
    return BusinessFactory(
        organization=org, default_vat_category="E", vat_exemption_reasons={"E": SMALL_BUSINESS_DE}, vat_id=""
    )


def test_the_first_line_starts_with_the_business_default_and_its_reason_is_shown(client, org, small_business):
    CustomerFactory(organization=org)
    log_in(client, org)
    html = client.get(org_url("invoice_create", org)).content.decode()
    assert selected(html, "items-0-vat_category") == "E"
    assert 'name="items-0-tax_rate" id="items-0-tax_rate" value="0"' in html
    assert " hidden" not in reason_group(html, "E")
    assert " hidden" in reason_group(html, "AE")
    assert SMALL_BUSINESS_DE["text"] in html
    assert "js/vat-reasons.js" in html


def test_a_standard_business_starts_with_s_and_no_reason_fields(client, org):
    BusinessFactory(organization=org)
    log_in(client, org)
    html = client.get(org_url("invoice_create", org)).content.decode()
    assert selected(html, "items-0-vat_category") == "S"
    assert re.search(r"<fieldset class=\"card\" data-vat-reasons-fieldset hidden>", html)


def test_an_added_line_copies_the_category_of_the_line_above(client, org):
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    log_in(client, org)
    data = invoice_post(business, customer, ("Work", "1", "100", "0"), editor_action="add")
    data["items-0-vat_category"] = "AE"
    html = client.post(org_url("invoice_create", org), data).content.decode()
    assert selected(html, "items-1-vat_category") == "AE"
    assert " hidden" not in reason_group(html, "AE")


def test_categories_and_reasons_are_saved_and_shown_again_on_edit(client, org):
    business = BusinessFactory(organization=org, vat_id="ATU13585627")
    customer = CustomerFactory(organization=org, vat_id="DE136695976")
    log_in(client, org)
    data = invoice_post(business, customer, ("Consulting", "2", "100", "0"), ("Licence", "1", "50", "20"))
    data["items-0-vat_category"] = "AE"
    data["items-1-vat_category"] = "S"
    data["vat_exemption_reasons_AE_text"] = REVERSE_CHARGE["text"]
    data["vat_exemption_reasons_AE_code"] = "vatex-eu-ae"
    data["vat_exemption_reasons_K_text"] = "not used, not kept"
    response = client.post(org_url("invoice_create", org), data)
    assert response.status_code == 302
    invoice, items = saved(org)
    assert [category for category, _ in items] == ["AE", "S"]
    assert invoice.vat_exemption_reasons == {"AE": REVERSE_CHARGE}

    html = client.get(org_url("invoice_edit", org, invoice_id=invoice.pk)).content.decode()
    assert selected(html, "items-0-vat_category") == "AE"
    assert f'value="{REVERSE_CHARGE["text"]}"' in html

    detail = client.get(org_url("invoice_detail", org, invoice_id=invoice.pk)).content.decode()
    assert "Reverse charge 0%" in detail and REVERSE_CHARGE["text"] in detail


def test_a_rate_that_does_not_suit_the_category_is_shown_on_the_line(client, org):
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    log_in(client, org)
    data = invoice_post(business, customer, ("Work", "1", "100", "19"))
    data["items-0-vat_category"] = "AE"
    response = client.post(org_url("invoice_create", org), data)
    assert response.status_code == 400
    assert response.context["rows"][0].errors == {
        "tax_rate": ["Lines with reverse charge carry no VAT: set the tax rate to 0."]
    }


def test_a_bad_reason_code_is_shown_on_the_reasons_field(client, org):
    business, customer = BusinessFactory(organization=org), CustomerFactory(organization=org)
    log_in(client, org)
    data = invoice_post(business, customer, ("Work", "1", "100", "0"))
    data["items-0-vat_category"] = "AE"
    data["vat_exemption_reasons_AE_text"] = "Reverse charge"
    data["vat_exemption_reasons_AE_code"] = "VATEX-EU-G"
    response = client.post(org_url("invoice_create", org), data)
    assert response.status_code == 400
    assert response.context["form"].errors["vat_exemption_reasons"] == [
        "Reverse charge code: VATEX-EU-G explains export outside the EU, not reverse charge."
    ]


def test_issue_refused_by_the_table_says_what_is_missing(client, org):
    business = BusinessFactory(organization=org, vat_id="ATU13585627")
    customer = CustomerFactory(organization=org, vat_id="")
    log_in(client, org)
    data = invoice_post(business, customer, ("Work", "1", "100", "0"))
    data["items-0-vat_category"] = "AE"
    data["vat_exemption_reasons_AE_text"] = "Reverse charge"
    client.post(org_url("invoice_create", org), data)
    invoice, _ = saved(org)
    response = client.post(org_url("invoice_issue", org, invoice_id=invoice.pk))
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages[-1] == "Customer VAT number: Reverse charge needs the customer's VAT number."
    invoice, _ = saved(org)
    assert invoice.status == "draft"


def test_the_business_form_sets_the_default_category_and_reasons(client, org):
    business = BusinessFactory(organization=org)
    log_in(client, org)
    url = org_url("business_edit", org, business_id=business.pk)
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if isinstance(value, str | int | bool)}
    data.update(
        name=business.name,
        country="DE",
        default_vat_category="E",
        vat_exemption_reasons_E_text=SMALL_BUSINESS_DE["text"],
        vat_exemption_reasons_G_code="VATEX-EU-G",
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["vat_exemption_reasons"] == [
        "Export outside the EU reason: Write the reason as text too: the code alone means nothing to a reader."
    ]
    data["vat_exemption_reasons_G_code"] = ""
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    with organization_scope(org):
        business.refresh_from_db()
    assert business.default_vat_category == "E"
    assert business.vat_exemption_reasons == {"E": SMALL_BUSINESS_DE}
    html = client.get(url).content.decode()
    assert selected(html, "default_vat_category") == "E"
    assert SMALL_BUSINESS_DE["text"] in html
