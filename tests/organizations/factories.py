import factory

from organizations.models import ApiKey, Membership, Organization
from organizations.permissions import ApiKeyScope, Role
from tests.accounts.factories import UserFactory


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    time_zone = "Europe/Berlin"
    default_currency = "EUR"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


def make_api_key(organization, *, scope=ApiKeyScope.READ_WRITE, name="test key", created_by=None):
    """Create a key the way the service does and return (ApiKey, raw secret)."""
    raw, prefix, secret_hash = ApiKey.generate()
    api_key = ApiKey.objects.create(
        organization=organization, name=name, prefix=prefix, secret_hash=secret_hash, scope=scope, created_by=created_by
    )
    return api_key, raw
