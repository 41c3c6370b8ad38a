"""Behind a TLS proxy every request comes from the proxy's address. With
``ALLAUTH_TRUSTED_PROXY_COUNT`` (from the environment) the per-address login limits and the
security log use the client's address from ``X-Forwarded-For`` instead, so one client's failed
logins do not lock everyone else out."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from audit.models import SecurityEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.1"
# allauth's default: 10 failed logins a minute per address (and 5 per account in 5 minutes).
FAILED_LOGINS_PER_ADDRESS = 10


def _through_proxy(client_address):
    """A browser behind the proxy, which appends the address it saw to X-Forwarded-For."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def _fail_logins_from(addresses):
    for number, address in enumerate(addresses):
        response = _through_proxy(address).post(
            "/accounts/login/", {"login": f"victim{number}@example.com", "password": "wrong password!"}
        )
        assert response.status_code == 200


def _login_from(address, user):
    return _through_proxy(address).post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})


def _locked_out(response) -> bool:
    return response.status_code == 429 or "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize("count", ["1", "2"])
def test_the_trusted_proxy_count_comes_from_the_environment(count):
    env = {**os.environ, "ALLAUTH_TRUSTED_PROXY_COUNT": count, "DJANGO_SETTINGS_MODULE": "billora.settings"}
    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [count]


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(settings):
    # The default: a client could otherwise pick its own address with the header.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    _fail_logins_from([f"203.0.113.{n}" for n in range(FAILED_LOGINS_PER_ADDRESS)])
    assert _locked_out(_login_from("198.51.100.7", UserFactory(email="bystander@example.com")))


def test_behind_a_trusted_proxy_one_client_does_not_lock_out_the_others(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _fail_logins_from([f"203.0.113.{n}" for n in range(FAILED_LOGINS_PER_ADDRESS)])
    response = _login_from("198.51.100.7", UserFactory(email="bystander@example.com"))
    assert response.status_code == 302 and not _locked_out(response)


def test_behind_a_trusted_proxy_the_limit_still_holds_per_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = "203.0.113.66"
    _fail_logins_from([attacker] * FAILED_LOGINS_PER_ADDRESS)
    # Spoofing an address in front of the one the proxy appends does not help.
    assert _locked_out(_login_from(f"192.0.2.1, {attacker}", UserFactory(email="attacker@example.com")))


def test_the_security_log_keeps_the_clients_address_not_the_proxys(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory(email="traveller@example.com")
    # The leftmost entry is whatever the client sent; the proxy's own entry is the last one.
    assert _login_from("192.0.2.1, 198.51.100.23", user).status_code == 302
    event = SecurityEvent.objects.get(user=user, event=SecurityEvent.Event.LOGIN_SUCCEEDED)
    assert event.ip == "198.51.100.23"


def test_a_direct_request_without_forwarded_addresses_keeps_its_own_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory(email="direct@example.com")
    response = Client(REMOTE_ADDR="198.51.100.99").post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert SecurityEvent.objects.get(user=user, event=SecurityEvent.Event.LOGIN_SUCCEEDED).ip == "198.51.100.99"
