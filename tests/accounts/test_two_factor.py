"""Two-factor authentication (allauth.mfa, authenticator app + recovery codes) as Billora
configures it: setting it up, signing in with a code or a recovery code, reauthentication
before secrets, pages that show a secret never cached, staff need it for the admin, and the
admin never shows an authenticator's secret."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.accounts.factories import DEFAULT_PASSWORD, TOTP_SECRET, UserFactory
from tests.organizations.conftest import logged_in_client

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"
RECOVERY_CODES = "/accounts/2fa/recovery-codes/"
AUTHENTICATE = "/accounts/2fa/authenticate/"


def _password_step(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})


def _logged_in(client) -> bool:
    return client.get("/account/security/").status_code == 200


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


def _recovery_codes(user):
    client = logged_in_client(user, reauthenticated=True)
    page = client.get(RECOVERY_CODES)
    return page.context["unused_codes"]


# --- setting it up ---------------------------------------------------------------------------------


def test_setting_up_an_authenticator_app_asks_for_the_password_first():
    user = UserFactory()
    client = logged_in_client(user)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    resumed = client.post(response["Location"], {"password": DEFAULT_PASSWORD})
    assert resumed["Location"] == SETUP
    assert client.get(SETUP).status_code == 200


def test_setup_shows_the_key_then_a_code_turns_it_on_and_shows_recovery_codes_once():
    user = UserFactory()
    client = logged_in_client(user, reauthenticated=True)
    page = client.get(SETUP)
    assert _no_store(page)
    secret = page.context["form"].secret
    assert f'<code id="totp-secret" class="secret">{secret}</code>' in page.content.decode()

    wrong = client.post(SETUP, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=user).exists()

    done = client.post(SETUP, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == RECOVERY_CODES
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {"totp", "recovery_codes"}

    codes_page = client.get(RECOVERY_CODES)
    assert _no_store(codes_page)
    codes = codes_page.context["unused_codes"]
    assert len(codes) == 10 and all(code in codes_page.content.decode() for code in codes)
    # Shown once: the next visit only says how many are left.
    again = client.get(RECOVERY_CODES)
    assert not any(code in again.content.decode() for code in codes)
    assert "10 of 10 recovery codes are unused" in again.content.decode()


def test_recovery_codes_need_a_recent_reauthentication():
    user = UserFactory(two_factor=True)
    client = logged_in_client(user)
    response = client.get(RECOVERY_CODES)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    generate = client.post("/accounts/2fa/recovery-codes/generate/")
    assert generate.status_code == 302 and generate["Location"].startswith("/accounts/reauthenticate/")


def test_reauthentication_accepts_an_authenticator_code_too():
    user = UserFactory(two_factor=True)
    client = logged_in_client(user)
    response = client.post(
        f"/accounts/2fa/reauthenticate/?next={RECOVERY_CODES}", {"code": pyotp.TOTP(TOTP_SECRET).now()}
    )
    assert response.status_code == 302 and response["Location"] == RECOVERY_CODES
    assert client.get(RECOVERY_CODES).status_code == 200


def test_turning_it_off_needs_reauthentication_and_removes_the_recovery_codes():
    user = UserFactory(two_factor=True)
    client = logged_in_client(user)
    assert client.post("/accounts/2fa/totp/deactivate/")["Location"].startswith("/accounts/reauthenticate/")
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    client = logged_in_client(user, reauthenticated=True)
    assert client.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()


# --- signing in --------------------------------------------------------------------------------------


def test_with_two_factor_the_password_alone_does_not_sign_in():
    user = UserFactory(two_factor=True)
    client = Client()
    response = _password_step(client, user)
    assert response.status_code == 302 and response["Location"] == AUTHENTICATE
    assert not _logged_in(client)
    wrong = client.post(AUTHENTICATE, {"code": "000000" if pyotp.TOTP(TOTP_SECRET).now() != "000000" else "111111"})
    assert wrong.status_code == 200 and not _logged_in(client)
    right = client.post(AUTHENTICATE, {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert right.status_code == 302
    assert _logged_in(client)


def test_a_recovery_code_signs_in_once():
    user = UserFactory(two_factor=True)
    code = _recovery_codes(user)[0]
    first = Client()
    _password_step(first, user)
    assert first.post(AUTHENTICATE, {"code": code}).status_code == 302
    assert _logged_in(first)

    second = Client()
    _password_step(second, user)
    assert second.post(AUTHENTICATE, {"code": code}).status_code == 200
    assert not _logged_in(second)


def test_an_app_code_is_accepted_once():
    user = UserFactory(two_factor=True)
    code = pyotp.TOTP(TOTP_SECRET).now()
    first, second = Client(), Client()
    _password_step(first, user)
    _password_step(second, user)
    assert first.post(AUTHENTICATE, {"code": code}).status_code == 302
    assert second.post(AUTHENTICATE, {"code": code}).status_code == 200
    assert not _logged_in(second)


def test_without_two_factor_the_password_signs_in():
    user = UserFactory()
    client = Client()
    assert _password_step(client, user)["Location"] != AUTHENTICATE
    assert _logged_in(client)


# --- staff and the admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/", "/admin/billing/invoice/"])
def test_staff_without_two_factor_are_sent_to_set_it_up_before_any_admin_page(path):
    staff = UserFactory(is_staff=True, two_factor=False)
    client = logged_in_client(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == SETUP
    assert "Support staff need two-factor authentication" in client.get(SETUP, follow=True).content.decode()


def test_staff_with_two_factor_use_the_admin():
    client = logged_in_client(UserFactory(is_staff=True))  # staff made by tests have it
    assert client.get("/admin/").status_code == 200


def test_non_staff_are_refused_by_the_admin_not_sent_to_setup():
    response = logged_in_client(UserFactory()).get("/admin/")
    assert response.get("Location") != SETUP
    assert response.status_code in (302, 403)


def test_the_admin_shows_who_has_two_factor_but_never_the_secret():
    person = UserFactory(two_factor=True)
    codes = _recovery_codes(person)
    client = logged_in_client(UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get("/admin/mfa/authenticator/")
    assert changelist.status_code == 200 and person.email in changelist.content.decode()
    for authenticator in Authenticator.objects.filter(user=person):
        page = client.get(f"/admin/mfa/authenticator/{authenticator.pk}/change/").content.decode()
        assert TOTP_SECRET not in page and "seed" not in page
        assert not any(code in page for code in codes)
        assert not re.search(r'name="data"', page)
    assert client.post(f"/admin/mfa/authenticator/{authenticator.pk}/delete/", {"post": "yes"}).status_code == 403
