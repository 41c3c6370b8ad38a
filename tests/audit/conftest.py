import pytest

from organizations.permissions import Role
from tests.organizations.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def owner(org):
    return MembershipFactory(organization=org, role=Role.OWNER).user


@pytest.fixture
def member_of(org):
    """``member_of(role)`` -> a user with that role in ``org``."""

    def make(role):
        return MembershipFactory(organization=org, role=role).user

    return make
