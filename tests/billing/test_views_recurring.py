"""Recurring invoice pages: the list, a template with its history, pause and resume; roles,
outsiders and a query count that does not grow with the history."""

from datetime import UTC, datetime

import pytest

from billing import services
from billing.models import RecurringInvoice
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.vat_cases import AT_VAT, DE_VAT
from tests.billing.webclient import ROLES, count_queries, log_in, log_in_outsider, org_url

pytestmark = pytest.mark.django_db

ITEM = {"description": "Retainer", "quantity": "1", "unit_price": "500.00", "tax_rate": "19"}


@pytest.fixture
def template(org, business, customer):
    made = services.recurring_invoice_create(
        organization=org,
        actor=None,
        data={
            "name": "Monthly retainer",
            "business": str(business.pk),
            "customer": str(customer.pk),
            "frequency": "monthly",
            "start_date": "2025-01-10",
            "max_catch_up": 2,
            "items": [ITEM],
        },
    )
    services.run_due_recurring_invoices(now=datetime(2025, 6, 15, tzinfo=UTC))
    return made


@pytest.mark.parametrize("role", ROLES)
def test_list_and_detail_work_for_every_role(client, org, template, role):
    log_in(client, org, role)
    listing = client.get(org_url("recurring_list", org)).content.decode()
    assert (
        "Monthly retainer" in listing and "Jul 10, 2025" in listing
    )  # the next run date, as the page's language writes it
    detail = client.get(org_url("recurring_detail", org, template_id=template.pk)).content.decode()
    assert "INV-2025-0002" in detail and "INV-2025-0001" in detail
    assert detail.count("Skipped</span>") == 4  # January to April: beyond the catch-up limit of 2
    assert "4 periods skipped so far" in detail
    assert ("Pause</button>" in detail) is (role != Role.VIEWER)


def test_empty_list_says_how_to_create_one(client, org):
    log_in(client, org)
    assert "No recurring invoices yet" in client.get(org_url("recurring_list", org)).content.decode()


def test_pause_and_resume(client, org, template):
    log_in(client, org, Role.MEMBER)
    response = client.post(org_url("recurring_pause", org, template_id=template.pk), follow=True)
    assert "Paused: no invoice is created" in response.content.decode()
    response = client.post(org_url("recurring_pause", org, template_id=template.pk), follow=True)
    assert "already paused" in response.content.decode()
    client.post(org_url("recurring_resume", org, template_id=template.pk))
    with organization_scope(org):
        assert RecurringInvoice.objects.get(pk=template.pk).paused is False


def test_viewers_cannot_pause(client, org, template):
    log_in(client, org, Role.VIEWER)
    assert client.post(org_url("recurring_pause", org, template_id=template.pk)).status_code == 403
    with organization_scope(org):
        assert RecurringInvoice.objects.get(pk=template.pk).paused is False


def test_outsiders_get_404(client, org, template):
    log_in_outsider(client)
    assert client.get(org_url("recurring_list", org)).status_code == 404
    assert client.get(org_url("recurring_detail", org, template_id=template.pk)).status_code == 404
    assert client.post(org_url("recurring_pause", org, template_id=template.pk)).status_code == 404


def test_another_organizations_template_in_my_url_is_404(client, org, template, other_org):
    log_in(client, other_org)
    url = org_url("recurring_detail", other_org, template_id=template.pk)
    assert client.get(url).status_code == 404
    assert client.post(org_url("recurring_pause", other_org, template_id=template.pk)).status_code == 404


def test_detail_query_count_does_not_grow_with_the_history(client, org, template):
    log_in(client, org)
    url = org_url("recurring_detail", org, template_id=template.pk)
    client.get(url)
    with count_queries() as before:
        client.get(url)
    services.run_due_recurring_invoices(now=datetime(2025, 8, 15, tzinfo=UTC))
    with count_queries() as after:
        assert "INV-2025-0004" in client.get(url).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)


def test_detail_shows_the_vat_category_of_exempt_lines_and_the_reasons(client, org):
    reason = {"text": "Reverse charge, art. 196 Directive 2006/112/EC", "code": "VATEX-EU-AE"}
    business = BusinessFactory(organization=org, country="AT", vat_id=AT_VAT)
    customer = CustomerFactory(organization=org, country="DE", vat_id=DE_VAT)
    made = services.recurring_invoice_create(
        organization=org,
        actor=None,
        data={
            "business": str(business.pk),
            "customer": str(customer.pk),
            "frequency": "monthly",
            "items": [ITEM, {**ITEM, "tax_rate": "0", "vat_category": "AE"}],
            "vat_exemption_reasons": {"AE": reason},
        },
    )
    log_in(client, org)
    detail = client.get(org_url("recurring_detail", org, template_id=made.pk)).content.decode()
    assert detail.count('<abbr title="Reverse charge">AE</abbr>') == 2  # the line and its reason
    assert "Reverse charge, art. 196 Directive 2006/112/EC (VATEX-EU-AE)" in detail
    assert 'title="Standard or reduced rate"' not in detail
