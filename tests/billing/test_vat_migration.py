"""The migration to VAT categories gives existing lines and breakdown rows their default
category (S above 0%, Z at 0%) and leaves every amount as it was."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from organizations.models import Organization

BEFORE = [("billing", "0007_recurring_invoices")]
AFTER = [("billing", "0008_vat_categories")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("as_migration_owner")
def test_existing_lines_and_breakdowns_get_their_default_categories():
    old_apps = _migrate(BEFORE)
    organization = Organization.objects.create(name="Old", slug=f"old-{uuid.uuid4().hex[:8]}")
    org = {"organization_id": organization.pk}
    business = old_apps.get_model("billing", "Business").objects.create(name="B", country="DE", **org)
    customer = old_apps.get_model("billing", "Customer").objects.create(name="C", **org)
    breakdown = [
        {"rate": "0.000", "taxable_amount": "5.00", "tax_amount": "0.00"},
        {"rate": "19.000", "taxable_amount": "100.00", "tax_amount": "19.00"},
    ]
    invoice = old_apps.get_model("billing", "Invoice").objects.create(
        business_id=business.pk,
        customer_id=customer.pk,
        currency="EUR",
        issue_date=datetime.date(2026, 1, 1),
        due_date=datetime.date(2026, 1, 31),
        subtotal=Decimal("105"),
        tax_total=Decimal("19"),
        total=Decimal("124"),
        balance_due=Decimal("124"),
        tax_breakdown=breakdown,
        **org,
    )
    items = old_apps.get_model("billing", "InvoiceItem").objects
    for position, rate in ((1, "0"), (2, "19")):
        items.create(
            invoice_id=invoice.pk,
            position=position,
            description="Line",
            quantity=1,
            unit_price=1,
            tax_rate=Decimal(rate),
            line_net=1,
            **org,
        )

    new_apps = _migrate(AFTER)
    new_items = new_apps.get_model("billing", "InvoiceItem").objects.filter(invoice_id=invoice.pk)
    assert list(new_items.order_by("position").values_list("vat_category", flat=True)) == ["Z", "S"]
    migrated = new_apps.get_model("billing", "Invoice").objects.get(pk=invoice.pk)
    assert migrated.tax_breakdown == [
        {**breakdown[0], "category": "Z", "exemption_reason": "", "exemption_reason_code": ""},
        {**breakdown[1], "category": "S", "exemption_reason": "", "exemption_reason_code": ""},
    ]
    assert migrated.vat_exemption_reasons == {} and migrated.total == Decimal("124")
    # Leave the database fully migrated, as the other tests expect.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
