"""The activity page reads like sentences about the business, not like a database dump: who
did what to which object (linked), field labels instead of names, enum values as words, item
changes as a small table, and a search by object instead of an id field."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services as billing_services
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import UserFactory
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import MembershipFactory

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ACTION_CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b")


@pytest.fixture
def owner(org):
    user = UserFactory(email="owner@example.com")
    MembershipFactory(organization=org, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def invoice(org, owner):
    business = BusinessFactory(organization=org, default_currency="EUR")
    customer = CustomerFactory(organization=org, name="Globex")
    items = [
        {"description": "Design work", "quantity": "2", "unit_price": "400.00", "tax_rate": "0"},
        {"description": "Hosting", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"},
    ]
    return make_invoice(
        organization=org,
        business=business,
        customer=customer,
        actor=owner,
        items=items,
        currency="EUR",
        status="issued",
    )


def draft_for_the_same_parties(org, owner, invoice):
    with organization_scope(org):  # the parties are tenant rows: read in their organization's scope
        business, customer = invoice.business, invoice.customer
    return make_invoice(organization=org, business=business, customer=customer, actor=owner)


def page(client, org, owner, **params):
    client.force_login(owner)
    response = client.get(reverse("audit_activity", kwargs={"org_slug": org.slug}), params)
    assert response.status_code == 200
    return response.content.decode()


def visible_text(html):
    """The page's text as a person reads it: tags and attributes (hrefs) gone, spaces collapsed."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.split(">", 1)[1])).replace(" ,", ",")


def test_a_payment_reads_as_a_sentence_linking_the_invoice(client, org, owner, invoice):
    billing_services.payment_record(
        organization=org,
        actor=owner,
        invoice_id=invoice.pk,
        amount="500.00",
        date=org.local_today(),
        method="bank_transfer",
    )
    html = page(client, org, owner)
    text = visible_text(html)
    assert f"owner@example.com recorded a €500.00 bank transfer on {invoice.number}" in text
    invoice_url = reverse("invoice_detail", kwargs={"org_slug": org.slug, "invoice_id": invoice.pk})
    assert f'<a href="{invoice_url}">{invoice.number}</a>' in html
    assert f"owner@example.com issued invoice {invoice.number}" in text
    assert "owner@example.com created a draft invoice" in text


def test_no_codes_ids_or_enum_values_are_shown(client, org, owner, invoice):
    billing_services.payment_record(
        organization=org, actor=owner, invoice_id=invoice.pk, amount=str(invoice.total), date=org.local_today()
    )
    text = visible_text(page(client, org, owner))
    assert not UUID.search(text), UUID.search(text)
    assert not ACTION_CODE.search(text.replace("example.com", "")), ACTION_CODE.search(text)
    for raw in ("bank_transfer", "partially_paid", "amount_paid", "unit_price", "{'", "None"):
        assert raw not in text
    assert "Paid" in text  # the invoice's status, as a word


def test_field_changes_use_labels(client, org, owner, invoice):
    draft = draft_for_the_same_parties(org, owner, invoice)
    billing_services.invoice_update(
        organization=org,
        actor=owner,
        invoice_id=draft.pk,
        data={"due_date": "2031-01-31", "notes": "Thanks!"},
    )
    text = visible_text(page(client, org, owner))
    assert "owner@example.com changed draft invoice" in text
    assert "Due date" in text and "due_date" not in text
    assert "31 Jan 2031" in text
    assert "Notes" in text and "Thanks!" in text


def test_item_changes_are_a_small_table(client, org, owner, invoice):
    draft = draft_for_the_same_parties(org, owner, invoice)
    items = [{"description": "Support", "quantity": "3", "unit_price": "50", "tax_rate": "20"}]
    billing_services.invoice_update(organization=org, actor=owner, invoice_id=draft.pk, data={"items": items})
    html = page(client, org, owner)
    tables = re.findall(r'<table class="activity-lines".*?</table>', html, re.S)
    assert tables, "no item table"
    update = tables[0]  # newest first: the update
    headers = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>.*?</th>", update, re.S)]
    assert headers[:6] == ["Change", "Description", "Quantity", "Unit price", "Tax rate", "VAT category"]
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr>.*?</tr>", update, re.S)
    ]
    # Numbers as the page's language writes them; the VAT category in words.
    assert "Added Support 3 50.00 20% Standard or reduced rate" in rows
    assert any(row.startswith("Removed") for row in rows)
    assert "{&#x27;description" not in html and "{'description" not in html


def test_search_by_object_finds_its_entries(client, org, owner, invoice):
    other = draft_for_the_same_parties(org, owner, invoice)
    billing_services.payment_record(
        organization=org, actor=owner, invoice_id=invoice.pk, amount=str(Decimal("10.00")), date=org.local_today()
    )
    client.force_login(owner)
    url = reverse("audit_activity", kwargs={"org_slug": org.slug})
    response = client.get(url, {"q": invoice.number})
    targets = {entry.target_label for entry in response.context["page_obj"]}
    assert targets and all(invoice.number in label for label in targets)
    assert str(other) not in targets
    html = response.content.decode()
    assert 'name="q"' in html and 'type="search"' in html
    # No field that wants an id: the object filter is a search box.
    assert not re.search(r'<input[^>]+name="target_id"[^>]+type="text"', html)
    assert not re.search(r'<input[^>]+type="text"[^>]+name="target_id"', html)


def test_an_objects_full_history_link_still_filters_by_that_object(client, org, owner, invoice):
    response_html = page(client, org, owner, target_type="invoice", target_id=str(invoice.pk))
    assert f"History of invoice {invoice.number}" in visible_text(response_html)
