import pytest

from audit.models import AuditEntry
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.database_roles import as_table_owner
from tests.organizations.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def org(db):
    return OrganizationFactory(time_zone="Europe/Berlin", default_currency="EUR")


@pytest.fixture
def other_org(db):
    return OrganizationFactory()


@pytest.fixture
def user(org):
    return MembershipFactory(organization=org, role=Role.MEMBER).user


@pytest.fixture
def business(org):
    return BusinessFactory(organization=org)


@pytest.fixture
def customer(org):
    return CustomerFactory(organization=org)


@pytest.fixture
def audit_entries(org):
    """Call it to get the organization's audit entries, oldest first."""

    def entries(**filters):
        with organization_scope(org):
            return list(AuditEntry.objects.filter(organization=org, **filters).order_by("sequence"))

    return entries


@pytest.fixture
def as_migration_owner(transactional_db):
    """Migration tests run as the tables' owner, as deployments migrate: altering, dropping and
    creating tables (and their row-level security policies) is the owner's right. Their rows,
    made through historical models that know no scope, are read as the owner too."""
    with as_table_owner():
        yield
