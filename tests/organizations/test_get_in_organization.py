"""``get_in_organization``: the API's body references look one row up by id with a prebuilt
statement. It must return exactly what the scoped ORM returns, field by field, and nothing
from another organization or outside a scope."""

import uuid

import pytest
from django_scopes.exceptions import ScopeError

from billing.models import Business, Customer, Invoice
from organizations.tenancy import all_tenants, get_in_organization, organization_scope
from tests.billing.factories import make_invoice
from tests.organizations.factories import OrganizationFactory


@pytest.fixture
def rows(db):
    org, other = OrganizationFactory(), OrganizationFactory()
    invoice = make_invoice(
        organization=org, status="partially_paid", notes="Ünïcode ✓", discount_type="percent", discount_value="5"
    )
    return org, other, invoice


def field_values(obj):
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


@pytest.mark.parametrize("model", [Invoice, Business, Customer], ids=lambda m: m.__name__)
def test_it_returns_what_the_orm_returns(rows, model):
    org, _, invoice = rows
    pk = {Invoice: invoice.pk, Business: invoice.business_id, Customer: invoice.customer_id}[model]
    with organization_scope(org):
        expected = model.objects.get(pk=pk)
        found = get_in_organization(model, org, pk)
    assert type(found) is model and found._state.adding is False and found._state.db == "default"
    values = field_values(found)
    assert values == field_values(expected)
    # Same Python types too (a UUID, not its text; a Decimal; parsed JSON).
    assert {name: type(value) for name, value in values.items()} == {
        name: type(value) for name, value in field_values(expected).items()
    }
    if model is Invoice:
        assert isinstance(found.tax_breakdown, list) and found.tax_breakdown


def test_another_organizations_id_and_an_unknown_id_find_nothing(rows):
    org, other, invoice = rows
    with organization_scope(other):
        assert get_in_organization(Invoice, other, invoice.pk) is None
    with organization_scope(org):
        assert get_in_organization(Invoice, org, uuid.uuid4()) is None
        # Asked for another organization than the open scope's: the scoped ORM finds nothing.
        assert get_in_organization(Invoice, other, invoice.pk) is None


def test_it_refuses_to_run_outside_a_scope(rows):
    org, _, invoice = rows
    with pytest.raises(ScopeError):
        get_in_organization(Invoice, org, invoice.pk)
    with all_tenants():  # the named cross-tenant scope still filters by the organization given
        assert get_in_organization(Invoice, org, invoice.pk).pk == invoice.pk
        assert get_in_organization(Invoice, OrganizationFactory(), invoice.pk) is None
