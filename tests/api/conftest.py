"""API test fixtures: organization A with read-write and read-only keys, organization B (the
outsider), and clients that send ``Authorization: Bearer <key>``."""

import pytest
from rest_framework.test import APIClient

from organizations.api.throttling import ApiKeyRateThrottle
from organizations.permissions import ApiKeyScope
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.organizations.factories import OrganizationFactory, make_api_key


def client_for(raw_key):
    client = APIClient()
    if raw_key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture(autouse=True)
def _generous_throttle(monkeypatch):
    # The throttle has its own tests; elsewhere a test may send many requests with one key.
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "100000/minute", raising=False)


@pytest.fixture
def org(db):
    return OrganizationFactory(default_currency="EUR")


@pytest.fixture
def other_org(db):
    return OrganizationFactory()


@pytest.fixture
def rw_key(org):
    return make_api_key(org, scope=ApiKeyScope.READ_WRITE, name="script")


@pytest.fixture
def ro_key(org):
    return make_api_key(org, scope=ApiKeyScope.READ_ONLY, name="reporting")


@pytest.fixture
def api(rw_key):
    return client_for(rw_key[1])


@pytest.fixture
def ro_api(ro_key):
    return client_for(ro_key[1])


@pytest.fixture
def outsider_api(other_org):
    return client_for(make_api_key(other_org, name="outsider")[1])


@pytest.fixture
def business(org):
    return BusinessFactory(organization=org, default_currency="EUR", payment_terms_days=14)


@pytest.fixture
def customer(org):
    return CustomerFactory(organization=org)


@pytest.fixture
def scoped(org):
    """Direct ORM reads in a test run inside the organization's scope."""
    with organization_scope(org):
        yield
