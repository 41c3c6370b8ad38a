import factory

from organizations.models import ApiKey, Membership, Organization
from organizations.permissions import ApiKeyScope, Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import UserFactory


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    time_zone = "Europe/Berlin"
    default_currency = "EUR"


class TenantFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its organization's scope, as the services do: on PostgreSQL the
    row-level security policies refuse a tenant row written outside it."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with organization_scope(kwargs["organization"]):
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


def make_api_key(organization, *, scope=ApiKeyScope.READ_WRITE, name="test key", created_by=None):
    """Create a key the way the service does and return (ApiKey, raw secret)."""
    raw, prefix, secret_hash = ApiKey.generate()
    with organization_scope(organization):
        api_key = ApiKey.objects.create(
            organization=organization,
            name=name,
            prefix=prefix,
            secret_hash=secret_hash,
            scope=scope,
            created_by=created_by,
        )
    return api_key, raw
