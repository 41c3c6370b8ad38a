"""An API key with an unknown prefix costs the same work as a known prefix with a wrong secret
(or a revoked key): one lookup, one hash of the presented key, one constant-time comparison.
Otherwise the answer time tells an attacker which prefixes exist. Checked by counting the
work, not by timing it."""

import hmac

import pytest
from rest_framework.test import APIClient

from organizations import models
from organizations.tenancy import all_tenants
from tests.organizations.factories import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.organizations.api_urls")]

URL = "/api/v1/whoami/"


@pytest.fixture
def work(monkeypatch):
    """Counts calls of the key hash and of the constant-time comparison."""
    calls = {"hash_token": 0, "compare_digest": 0}
    real_hash, real_compare = models.hash_token, hmac.compare_digest

    def counting_hash(raw):
        calls["hash_token"] += 1
        return real_hash(raw)

    def counting_compare(a, b):
        calls["compare_digest"] += 1
        return real_compare(a, b)

    monkeypatch.setattr(models, "hash_token", counting_hash)
    monkeypatch.setattr(models.hmac, "compare_digest", counting_compare)
    return calls


def _wrong_secret(raw):
    return raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")


def _unknown_prefix(raw):
    prefix = models.ApiKey.prefix_of(raw)
    other = "0" * len(prefix) if prefix != "0" * len(prefix) else "1" * len(prefix)
    return raw.replace(f"_{prefix}_", f"_{other}_", 1)


def _refused(raw, django_assert_num_queries, work):
    work.update(hash_token=0, compare_digest=0)  # count the request's work only
    with django_assert_num_queries(1):  # the prefix lookup, and nothing else
        response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


@pytest.mark.parametrize("presented", ["unknown prefix", "known prefix, wrong secret", "revoked key"])
def test_every_refused_key_costs_one_hash_and_one_comparison(org, work, presented, django_assert_num_queries):
    api_key, raw = make_api_key(org)
    if presented == "unknown prefix":
        raw = _unknown_prefix(raw)
    elif presented == "known prefix, wrong secret":
        raw = _wrong_secret(raw)
    else:
        with all_tenants():
            models.ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=api_key.created_at)

    _refused(raw, django_assert_num_queries, work)

    assert work == {"hash_token": 1, "compare_digest": 1}


def test_a_valid_key_costs_the_same_hash_and_comparison(org, work):
    _api_key, raw = make_api_key(org)
    work.update(hash_token=0, compare_digest=0)
    assert APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert work == {"hash_token": 1, "compare_digest": 1}
