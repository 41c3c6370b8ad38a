"""The migration from free-text addresses to structured ones loses nothing, and goes back."""

import importlib
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from organizations.models import Organization

migration = importlib.import_module("billing.migrations.0006_structured_party_addresses")

BEFORE = [("billing", "0005_dashboard_indexes_payment_currency")]
AFTER = [("billing", "0006_structured_party_addresses")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", "")),
        ("Hauptstraße 1", ("Hauptstraße 1", "")),
        ("Hauptstraße 1\n10115 Berlin", ("Hauptstraße 1", "10115 Berlin")),
        ("  1 Main St \n\n Suite 5 \nSpringfield\nUSA", ("1 Main St", "Suite 5, Springfield, USA")),
        ("x" * 201 + "\nCity", ("", "x" * 201 + ", City")),
        ("a\n" + "b\n" * 499, ("a", " ".join(["b"] * 499))),  # ", " would not fit: spaces do
    ],
)
def test_split_keeps_every_line(text, expected):
    assert migration.split_free_text(text) == expected
    line1, line2 = expected
    assert len(line1) <= 200 and len(line2) <= 1000


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("as_migration_owner")
def test_migration_moves_free_text_into_the_structured_fields_and_back():
    old_apps = _migrate(BEFORE)
    # The organizations app stays migrated: its current model makes the row.
    organization = Organization.objects.create(name="Old", slug=f"old-{uuid.uuid4().hex[:8]}")
    business = old_apps.get_model("billing", "Business").objects.create(
        organization_id=organization.pk, name="B", address="Hauptstraße 1\n10115 Berlin\nGermany"
    )
    customer = old_apps.get_model("billing", "Customer").objects.create(
        organization_id=organization.pk, name="C", billing_address="1 Main Street"
    )
    blank = old_apps.get_model("billing", "Customer").objects.create(organization_id=organization.pk, name="D")

    new_apps = _migrate(AFTER)
    new_business = new_apps.get_model("billing", "Business").objects.get(pk=business.pk)
    assert (new_business.address_line1, new_business.address_line2) == ("Hauptstraße 1", "10115 Berlin, Germany")
    assert (new_business.postcode, new_business.city, new_business.country) == ("", "", "")
    customers = new_apps.get_model("billing", "Customer").objects
    assert (customers.get(pk=customer.pk).address_line1, customers.get(pk=customer.pk).address_line2) == (
        "1 Main Street",
        "",
    )
    assert customers.get(pk=blank.pk).address_line1 == ""

    old_apps = _migrate(BEFORE)
    assert old_apps.get_model("billing", "Business").objects.get(pk=business.pk).address == (
        "Hauptstraße 1\n10115 Berlin, Germany"
    )
    # Leave the database fully migrated, as the other tests expect (later migrations included).
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
