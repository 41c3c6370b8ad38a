import pytest

from tests.accounts.factories import UserFactory
from tests.organizations.factories import OrganizationFactory


@pytest.fixture
def staff_user(db):
    """Support staff: is_staff, not a superuser, member of no organization."""
    return UserFactory(is_staff=True, email="support@billora.example")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def orgs(db):
    return [OrganizationFactory(), OrganizationFactory()]
