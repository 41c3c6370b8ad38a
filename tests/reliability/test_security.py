"""Security checks (issue 10): CSRF on the web forms, session cookie flags with production
settings, API keys never in logs or audit entries, allauth's rate limits at their configured
numbers.

``manage.py check --deploy`` with production settings is tested once, in
tests/billora/test_settings.py::test_production_settings_pass_the_deploy_checks (and the
development key failing it next to it); it runs in the same ``make test``."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account import app_settings as allauth_settings
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry
from billing.models import Customer, Invoice, Payment
from organizations.api.throttling import ApiKeyRateThrottle
from organizations.models import Invite
from organizations.permissions import Role
from organizations.tenancy import all_tenants, organization_scope
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.billing.test_views_customers import customer_post
from tests.billing.test_views_invoices import invoice_post
from tests.billora.test_settings import PRODUCTION_ENV
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
SAME_ORIGIN = "https://testserver/"


@pytest.fixture
def world(db):
    org = OrganizationFactory(default_currency="EUR")
    owner = MembershipFactory(organization=org, role=Role.OWNER).user
    business = BusinessFactory(organization=org)
    customer = CustomerFactory(organization=org)
    invoice = make_invoice(organization=org, business=business, customer=customer, status="issued")
    return {"org": org, "owner": owner, "business": business, "customer": customer, "invoice": invoice}


def _count(model):
    with all_tenants():
        return model.objects.count()


def _forms(world):
    slug = world["org"].slug
    return [
        (f"/o/{slug}/customers/new/", customer_post(name="Forged"), Customer),
        (f"/o/{slug}/invoices/new/", invoice_post(world["business"], world["customer"]), Invoice),
        (
            f"/o/{slug}/invoices/{world['invoice'].pk}/payments/",
            {"amount": "1.00", "date": world["org"].local_today().isoformat(), "method": "cash"},
            Payment,
        ),
        (f"/o/{slug}/invites/new/", {"email": "forged@example.com", "role": "member"}, Invite),
    ]


def test_web_forms_refuse_a_post_without_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["owner"])
    for url, data, model in _forms(world):
        before = _count(model)
        # Over HTTPS with a same-origin Referer: the only thing missing is the token.
        response = browser.post(url, data, secure=True, HTTP_REFERER=SAME_ORIGIN)
        assert response.status_code == 403, (url, response.status_code)
        assert _count(model) == before, url
        # A token that is not the session's is refused the same way.
        response = browser.post(url, {**data, "csrfmiddlewaretoken": "x" * 64}, secure=True, HTTP_REFERER=SAME_ORIGIN)
        assert response.status_code == 403, (url, response.status_code)
        assert _count(model) == before, url


def test_the_same_forms_with_the_token_go_through(world):
    """The refusals above come from CSRF, not from the forms: with the token they succeed."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["owner"])
    for url, data, model in _forms(world):
        page = browser.get(url if not url.endswith("/payments/") else url.rsplit("payments/", 1)[0], secure=True)
        assert page.status_code == 200, url
        token = browser.cookies["csrftoken"].value
        before = _count(model)
        response = browser.post(url, {**data, "csrfmiddlewaretoken": token}, secure=True, HTTP_REFERER=SAME_ORIGIN)
        assert response.status_code in (200, 302), (url, response.status_code)
        assert _count(model) == before + 1, (url, response.content[:300])


def _production_values(*names):
    script = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))"
    )
    dropped = ("DJANGO_DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="billora.settings")
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_session_and_csrf_cookies_carry_secure_httponly_and_samesite_in_production(db, settings):
    production = _production_values(
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE"
    )
    assert production == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
    }
    for name, value in production.items():
        setattr(settings, name, value)
    UserFactory(email="cookie@example.com")
    browser = Client()
    browser.get("/accounts/login/", secure=True)
    response = browser.post(
        "/accounts/login/", {"login": "cookie@example.com", "password": DEFAULT_PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert browser.cookies["csrftoken"]["secure"] is True


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())
        self.lines.append(repr(record.args))
        self.lines.append(repr(record.__dict__))


def test_api_keys_never_reach_a_log_record_or_an_audit_entry(world, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "100000/minute", raising=False)
    api_key, raw = make_api_key(world["org"], name="logged")
    secret = raw.split("_", 2)[2]
    handler = _Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert api.post("/api/v1/customers/", {"name": "Logged"}, format="json").status_code == 201
        assert api.get("/api/v1/invoices/").status_code == 200
        wrong = APIClient()
        wrong.credentials(HTTP_AUTHORIZATION=f"Bearer {raw[:-4]}abcd")  # right prefix, wrong secret
        assert wrong.get("/api/v1/invoices/").status_code == 401
        assert APIClient().get("/api/v1/invoices/", HTTP_AUTHORIZATION=f"Bearer {raw} extra").status_code == 401
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = "\n".join(handler.lines)
    assert api_key.prefix in logged  # the request line names the key by its public prefix
    assert raw not in logged and secret not in logged and secret[:12] not in logged
    with organization_scope(world["org"]):
        entries = list(AuditEntry.objects.filter(organization=world["org"]).values())
    assert any(entry["action"] == "customer.created" for entry in entries)
    dumped = json.dumps(entries, default=str)
    assert raw not in dumped and secret not in dumped


def _limit(action):
    """(count, per) of the first limit allauth has configured for ``action``, e.g. 20/m/ip."""
    first = allauth_settings.RATE_LIMITS[action].split(",")[0]
    amount, _duration, *per = first.split("/")
    return int(amount), (per[0] if per else "ip")


def test_signup_is_rate_limited_after_the_configured_number_of_attempts(db):
    amount, per = _limit("signup")
    assert per == "ip"
    browser = Client()
    password = "a long enough passphrase 42"
    for attempt in range(amount):
        response = browser.post(
            "/accounts/signup/",
            {"email": f"signup{attempt}@example.com", "password1": password, "password2": password},
            secure=True,
        )
        assert response.status_code in (200, 302), (attempt, response.status_code)
    response = browser.post(
        "/accounts/signup/",
        {"email": "one-too-many@example.com", "password1": password, "password2": password},
        secure=True,
    )
    assert response.status_code == 429
    from accounts.models import User

    assert not User.objects.filter(email="one-too-many@example.com").exists()


def test_login_attempts_are_rate_limited_per_ip_after_the_configured_number(db):
    amount, per = _limit("login")
    assert per == "ip"
    browser = Client()
    for attempt in range(amount):
        # Different accounts, so the per-account failure limit is never what stops us here.
        response = browser.post(
            "/accounts/login/", {"login": f"nobody{attempt}@example.com", "password": "wrong"}, secure=True
        )
        assert response.status_code == 200, (attempt, response.status_code)
    UserFactory(email="real@example.com")
    response = browser.post(
        "/accounts/login/", {"login": "real@example.com", "password": DEFAULT_PASSWORD}, secure=True
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_failed_logins_lock_the_account_after_the_configured_number(db):
    limits = {
        rate.split("/")[-1]: int(rate.split("/")[0]) for rate in allauth_settings.RATE_LIMITS["login_failed"].split(",")
    }
    per_account = limits["key"]
    UserFactory(email="target@example.com")
    for attempt in range(per_account):
        response = Client().post(  # a new browser each time: the limit is the account's
            "/accounts/login/", {"login": "target@example.com", "password": "wrong password!"}, secure=True
        )
        assert response.status_code == 200, attempt
    browser = Client()
    response = browser.post(
        "/accounts/login/", {"login": "target@example.com", "password": DEFAULT_PASSWORD}, secure=True
    )
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in browser.session
