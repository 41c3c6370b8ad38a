"""The migration adding the Factur-X setting turns it on for existing businesses in the EU
only (the same default a new business gets), and gives customers the plain PDF."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from organizations.models import Organization

BEFORE = [("billing", "0009_recurring_vat_categories")]
AFTER = [("billing", "0010_business_facturx_customer_einvoice_format")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("as_migration_owner")
def test_existing_businesses_use_factur_x_only_in_the_eu():
    old_apps = _migrate(BEFORE)
    organization = Organization.objects.create(name="Old", slug=f"old-{uuid.uuid4().hex[:8]}")
    businesses = old_apps.get_model("billing", "Business").objects
    ids = {
        country: businesses.create(name=country, country=country, organization_id=organization.pk).pk
        for country in ("DE", "FR", "US", "CH", "")
    }
    customer = old_apps.get_model("billing", "Customer").objects.create(name="C", organization_id=organization.pk)

    new_apps = _migrate(AFTER)
    migrated = new_apps.get_model("billing", "Business").objects.in_bulk(list(ids.values()))
    assert {country: migrated[pk].facturx for country, pk in ids.items()} == {
        "DE": True,
        "FR": True,
        "US": False,
        "CH": False,
        "": False,
    }
    assert new_apps.get_model("billing", "Customer").objects.get(pk=customer.pk).einvoice_format == "pdf"
    # Leave the database fully migrated, as the other tests expect.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
