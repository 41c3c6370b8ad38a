"""The migration to VAT categories on recurring template lines gives existing lines the
category a new line would get: S above 0%, at 0% the business's default unless it is S, else Z."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from organizations.models import Organization

BEFORE = [("billing", "0008_vat_categories")]
AFTER = [("billing", "0009_recurring_vat_categories")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("as_migration_owner")
def test_existing_template_lines_get_the_category_a_new_line_would():
    old_apps = _migrate(BEFORE)
    organization = Organization.objects.create(name="Old", slug=f"old-{uuid.uuid4().hex[:8]}")
    org = {"organization_id": organization.pk}
    businesses = old_apps.get_model("billing", "Business").objects
    customer = old_apps.get_model("billing", "Customer").objects.create(name="C", **org)
    templates = old_apps.get_model("billing", "RecurringInvoice").objects
    lines = old_apps.get_model("billing", "RecurringInvoiceLine").objects
    template_ids = []
    for default in ("S", "E"):
        business = businesses.create(name=default, country="DE", default_vat_category=default, **org)
        template = templates.create(
            business_id=business.pk,
            customer_id=customer.pk,
            currency="EUR",
            frequency="monthly",
            start_date=datetime.date(2026, 1, 1),
            **org,
        )
        template_ids.append(template.pk)
        for position, rate in ((1, "0"), (2, "19")):
            lines.create(
                template_id=template.pk, position=position, description="Line", quantity=1, unit_price=1,
                tax_rate=Decimal(rate), **org,
            )  # fmt: skip

    new_apps = _migrate(AFTER)
    new_lines = new_apps.get_model("billing", "RecurringInvoiceLine").objects
    categories = [
        list(new_lines.filter(template_id=pk).order_by("position").values_list("vat_category", flat=True))
        for pk in template_ids
    ]
    assert categories == [["Z", "S"], ["E", "S"]]
    migrated = new_apps.get_model("billing", "RecurringInvoice").objects.get(pk=template_ids[0])
    assert migrated.vat_exemption_reasons == {}
    # Leave the database fully migrated, as the other tests expect.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
