"""Every billing page renders with the demo data (several currencies, every status, overdue,
voided payments): a smoke test over realistic content, for a writer and a viewer."""

import io
import re

import pytest
from django.core.management import call_command

from billing.models import Customer, Invoice
from organizations.models import Membership, Organization
from organizations.permissions import Role
from organizations.tenancy import all_tenants, organization_scope
from tests.billing.webclient import log_in, org_url

pytestmark = pytest.mark.django_db


def test_billing_pages_render_with_demo_data(client):
    call_command("seed_demo", stdout=io.StringIO())
    with all_tenants():
        organization = Organization.objects.get()
        owner = Membership.objects.filter(organization=organization, role=Role.OWNER).first().user
    with organization_scope(organization):
        invoices = list(Invoice.objects.order_by("status", "currency", "-created_at"))
        customers = list(Customer.objects.all()[:3])
    # One invoice per (status, currency): every badge, action set and minor-unit format.
    samples = list({(i.status, i.currency): i for i in invoices}.values())
    pages = [org_url("dashboard", organization), org_url("customer_list", organization)]
    pages += [org_url("invoice_list", organization) + f"?status={tab}" for tab in ("all", "overdue", "void", "paid")]
    pages += [org_url("business_list", organization), org_url("credit_note_list", organization)]
    pages += [org_url("invoice_detail", organization, invoice_id=invoice.pk) for invoice in samples]
    pages += [org_url("customer_detail", organization, customer_id=customer.pk) for customer in customers]
    editable = [i for i in samples if i.status == "draft"]  # issued invoices are final
    writer_pages = [org_url("invoice_create", organization)]
    writer_pages += [org_url("invoice_edit", organization, invoice_id=i.pk) for i in editable]

    client.force_login(owner)
    for url in pages + writer_pages:
        assert client.get(url).status_code == 200, url
    dashboard = client.get(org_url("dashboard", organization)).content.decode()
    assert len(set(re.findall(r'data-testid="outstanding-([A-Z]{3})"', dashboard))) >= 2

    log_in(client, organization, Role.VIEWER)
    for url in pages:
        assert client.get(url).status_code == 200, url
    for url in writer_pages:
        assert client.get(url).status_code == 403, url
