"""Web pages of the billing app: each page works, the role matrix, outsiders get 404."""

import pytest
from django.urls import reverse

from organizations.permissions import Role
from tests.organizations.factories import MembershipFactory, OrganizationFactory

ROLES = [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER]


@pytest.fixture
def org():
    return OrganizationFactory()


def login_as(client, org, role):
    membership = MembershipFactory(organization=org, role=role)
    client.force_login(membership.user)
    return membership.user


@pytest.mark.django_db
class TestDashboard:
    @pytest.mark.parametrize("role", ROLES)
    def test_it_works_for_every_role(self, client, org, role):
        login_as(client, org, role)
        response = client.get(reverse("dashboard", kwargs={"org_slug": org.slug}))
        assert response.status_code == 200
        assert b"Add a business" in response.content

    def test_outsider_gets_404(self, client, org):
        login_as(client, OrganizationFactory(), Role.OWNER)
        response = client.get(reverse("dashboard", kwargs={"org_slug": org.slug}))
        assert response.status_code == 404

    def test_anonymous_is_sent_to_login(self, client, org):
        response = client.get(reverse("dashboard", kwargs={"org_slug": org.slug}))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
