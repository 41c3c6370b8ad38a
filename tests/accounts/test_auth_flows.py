"""The allauth flows as Billora configures them: signup with mandatory verification, email
login, password rules, rate limits, reauthentication, fresh session ids, logout everywhere."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import User
from organizations.models import Membership, Organization
from organizations.tenancy import organization_scope
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "correct horse battery staple"


def _link(message, marker):
    match = re.search(rf"https?://[^/\s]+(/\S*{marker}\S*)", message.body)
    assert match, message.body
    return match.group(1)


def _login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _is_logged_in(client):
    response = client.get("/account/security/")
    return response.status_code == 200


def test_signup_verify_then_create_the_first_organization(django_capture_on_commit_callbacks):
    browser = Client()
    response = browser.post(
        "/accounts/signup/", {"email": "Ada@Example.com", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    assert not _is_logged_in(browser)  # verification is mandatory before anything else
    (verification,) = mail.outbox
    assert verification.to == ["ada@example.com"]
    assert verification.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)

    confirmed = browser.post(_link(verification, "confirm-email"))
    assert confirmed.status_code == 302
    home = browser.get(confirmed["Location"])
    assert home.status_code == 302 and home["Location"] == "/organizations/new/"
    created = browser.post(
        "/organizations/new/", {"name": "Ada's Engines", "time_zone": "Europe/London", "default_currency": "GBP"}
    )
    organization = Organization.objects.get()
    assert created["Location"].startswith(f"/o/{organization.slug}/")
    with organization_scope(organization):
        assert Membership.objects.get(organization=organization).user.email == "ada@example.com"


def test_an_unverified_account_cannot_log_in():
    UserFactory(email="pending@example.com", verified=False)
    browser = Client()
    response = _login(browser, "pending@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 302 and "confirm-email" in response["Location"]
    assert not _is_logged_in(browser)


def test_login_is_by_email_case_insensitively():
    UserFactory(email="grace@example.com")
    browser = Client()
    response = _login(browser, "GRACE@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert _is_logged_in(browser)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Xk3#pq9Lm", "too short"),  # 9 characters
        ("password1234", "too common"),
        ("12345678901234", "entirely numeric"),
        ("marie.curie.example", "too similar"),
    ],
)
def test_weak_passwords_are_refused_at_signup(password, problem):
    response = Client().post(
        "/accounts/signup/", {"email": "marie.curie@example.com", "password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert problem in " ".join(response.context["form"].errors["password1"])
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["Xk3#pq9Lmz", "a rather long passphrase that anyone can remember " * 3])
def test_ten_characters_and_long_passphrases_are_accepted(password):
    response = Client().post(
        "/accounts/signup/", {"email": "ok@example.com", "password1": password, "password2": password}
    )
    assert response.status_code == 302
    assert User.objects.filter(email="ok@example.com").exists()


def test_login_failures_are_rate_limited(settings):
    UserFactory(email="target@example.com")
    browser = Client()
    for _ in range(5):
        response = _login(browser, "target@example.com", "wrong password!")
        assert response.status_code == 200
    # Even the right password is refused now: the limit holds for this account.
    response = _login(browser, "target@example.com", DEFAULT_PASSWORD)
    assert response.status_code in (200, 429)
    body = response.content.decode()
    assert "Too many failed login attempts" in body
    assert not _is_logged_in(browser)
    # Another browser is limited too: the limit is per account, not per cookie.
    assert "Too many failed login attempts" in _login(Client(), "target@example.com", DEFAULT_PASSWORD).content.decode()


def test_login_gives_a_new_session_id():
    UserFactory(email="session@example.com")
    browser = Client()
    browser.get("/accounts/login/")
    session = browser.session
    session["before_login"] = True
    session.save()
    anonymous_key = browser.session.session_key
    _login(browser, "session@example.com", DEFAULT_PASSWORD)
    assert browser.session.session_key != anonymous_key
    assert _is_logged_in(browser)


def test_logout_ends_the_session():
    UserFactory(email="bye@example.com")
    browser = Client()
    _login(browser, "bye@example.com", DEFAULT_PASSWORD)
    assert _is_logged_in(browser)
    browser.post("/accounts/logout/")
    assert not _is_logged_in(browser)


def test_logout_everywhere_ends_every_session_of_the_person():
    user = UserFactory(email="many@example.com")
    laptop, phone, someone_else = Client(), Client(), Client()
    _login(laptop, "many@example.com", DEFAULT_PASSWORD)
    _login(phone, "many@example.com", DEFAULT_PASSWORD)
    other = UserFactory(email="other@example.com")
    _login(someone_else, other.email, DEFAULT_PASSWORD)
    assert _is_logged_in(laptop) and _is_logged_in(phone)

    response = laptop.post("/account/logout-everywhere/")
    assert response.status_code == 302
    assert not _is_logged_in(laptop)
    assert not _is_logged_in(phone)
    assert _is_logged_in(someone_else)
    # The password still works: a fresh login is possible.
    _login(phone, "many@example.com", DEFAULT_PASSWORD)
    assert _is_logged_in(phone)
    user.refresh_from_db()


def test_logout_everywhere_needs_a_post():
    UserFactory(email="get@example.com")
    browser = Client()
    _login(browser, "get@example.com", DEFAULT_PASSWORD)
    assert browser.get("/account/logout-everywhere/").status_code == 405
    assert _is_logged_in(browser)


def test_adding_an_email_address_requires_reauthentication():
    user = UserFactory(email="change@example.com")
    browser = Client()
    _login(browser, user.email, DEFAULT_PASSWORD)
    response = browser.post("/accounts/email/", {"action_add": "", "email": "new.address@example.com"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not user.emailaddress_set.filter(email="new.address@example.com").exists()

    wrong = browser.post("/accounts/reauthenticate/", {"password": "not my password"})
    assert wrong.status_code == 200
    resumed = browser.post("/accounts/reauthenticate/?next=/accounts/email/", {"password": DEFAULT_PASSWORD})
    assert resumed.status_code == 302
    browser.post("/accounts/email/", {"action_add": "", "email": "new.address@example.com"})
    assert user.emailaddress_set.filter(email="new.address@example.com", verified=False).exists()


def test_password_change_needs_the_current_password_and_keeps_this_session_only():
    user = UserFactory(email="pw@example.com")
    here, elsewhere = Client(), Client()
    _login(here, user.email, DEFAULT_PASSWORD)
    _login(elsewhere, user.email, DEFAULT_PASSWORD)
    refused = here.post(
        "/accounts/password/change/",
        {"oldpassword": "a wrong password", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert refused.status_code == 200 and "oldpassword" in refused.context["form"].errors
    changed = here.post(
        "/accounts/password/change/",
        {"oldpassword": DEFAULT_PASSWORD, "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert changed.status_code == 302
    assert _is_logged_in(here)
    assert not _is_logged_in(elsewhere)


def test_password_reset_by_email():
    UserFactory(email="forgot@example.com")
    browser = Client()
    response = browser.post("/accounts/password/reset/", {"email": "forgot@example.com"})
    assert response.status_code == 302
    (message,) = mail.outbox
    reset_path = _link(message, "password/reset/key")
    form_page = browser.get(reset_path, follow=True)
    action = form_page.request["PATH_INFO"]
    done = browser.post(action, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert done.status_code == 302
    _login(browser, "forgot@example.com", GOOD_PASSWORD)
    assert _is_logged_in(browser)


def test_password_reset_does_not_reveal_unknown_addresses():
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_auth_pages_use_the_billora_layout(path):
    body = Client().get(path).content.decode()
    assert 'class="topbar"' in body and 'class="card auth-card"' in body


def test_account_pages_use_the_billora_layout_with_account_tabs():
    UserFactory(email="tabs@example.com")
    browser = Client()
    _login(browser, "tabs@example.com", DEFAULT_PASSWORD)
    for path in ["/accounts/email/", "/accounts/password/change/", "/account/security/"]:
        body = browser.get(path).content.decode()
        assert 'class="topbar"' in body and "account-tabs" in body, path
