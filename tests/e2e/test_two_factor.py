"""Two-factor sign-in in a real browser: an owner sets up an authenticator app with the key
read from the page (codes computed with pyotp), signs out and in with a code, then with a
recovery code, and makes the organization require two-factor authentication; a member without
it is then sent to the setup page before anything else. axe checks every two-factor page."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from organizations.permissions import Role
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.e2e.axe import assert_accessible
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_code(secret: str) -> str:
    """A code that stays valid long enough to be typed and checked: allauth accepts the
    current 30-second step only, so near the end of one, wait for the next."""
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.2)
    return pyotp.TOTP(secret).now()


def sign_in_with_password(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()


def sign_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def confirm_password(page):
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    assert_accessible(page, "reauthenticate")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()


def set_up_authenticator_app(page) -> tuple[str, list[str]]:
    """On the setup page: read the key, answer with a code, return (key, recovery codes)."""
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    assert_accessible(page, "authenticator app setup")
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    assert_accessible(page, "recovery codes")
    codes = [code.strip() for code in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    return secret, codes


def test_two_factor_sign_in_and_an_organization_that_requires_it(page, live_server, browser):
    base = live_server.url
    organization = OrganizationFactory(name="Vault Ltd")
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    member = MembershipFactory(organization=organization, role=Role.MEMBER).user

    # The owner signs in with a password and sets up an authenticator app.
    sign_in_with_password(page, base, owner.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("link", name=owner.email).click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_role("heading", name="Two-factor authentication", level=1)).to_be_visible()
    assert_accessible(page, "two-factor overview (off)")
    page.get_by_role("link", name="Set up an authenticator app").click()
    confirm_password(page)
    secret, recovery_codes = set_up_authenticator_app(page)
    page.shot("recovery-codes")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Signing in now takes a code from the app after the password.
    sign_out(page)
    sign_in_with_password(page, base, owner.email)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page, "two-factor sign-in")
    page.get_by_label("Code").fill("000000" if current_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist")).to_contain_text("Incorrect code")
    page.get_by_label("Code").fill(current_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Or a recovery code, once.
    sign_out(page)
    sign_in_with_password(page, base, owner.email)
    page.get_by_label("Code").fill(recovery_codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{base}/accounts/2fa/")
    expect(page.locator("main")).to_contain_text("9 of 10 are unused")
    assert_accessible(page, "two-factor overview (on)")
    # The other two-factor pages: confirming with an app code, new recovery codes, turning it off.
    page.goto(f"{base}/accounts/2fa/reauthenticate/?next=/accounts/2fa/")
    expect(page.get_by_label("Code")).to_be_visible()
    assert_accessible(page, "reauthenticate with a code")
    page.goto(f"{base}/accounts/2fa/recovery-codes/generate/")
    confirm_password(page)
    expect(page.get_by_role("heading", name="Generate new recovery codes")).to_be_visible()
    assert_accessible(page, "generate recovery codes")
    page.goto(f"{base}/accounts/2fa/totp/deactivate/")
    expect(page.get_by_role("heading", name="Turn off two-factor authentication")).to_be_visible()
    assert_accessible(page, "turn off two-factor authentication")

    # The owner requires two-factor authentication for everyone in the organization.
    page.goto(f"{base}/o/{organization.slug}/settings/")
    page.get_by_label("Require two-factor authentication for every member").check()
    assert_accessible(page, "organization settings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".messages")).to_contain_text("Settings saved.")
    expect(page.get_by_label("Require two-factor authentication for every member")).to_be_checked()

    # A member without it signs in and is sent to set it up before anything else.
    member_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        other = member_context.new_page()
        other.set_default_timeout(10_000)
        sign_in_with_password(other, base, member.email)
        # Setting it up starts with the password again (allauth's reauthentication), which
        # is where the reason is shown.
        expect(other.locator(".messages")).to_contain_text("Vault Ltd requires two-factor authentication")
        confirm_password(other)
        expect(other).to_have_url(f"{base}/accounts/2fa/totp/activate/")
        other.goto(f"{base}/o/{organization.slug}/invoices/")
        expect(other).to_have_url(f"{base}/accounts/2fa/totp/activate/")
        set_up_authenticator_app(other)
        other.goto(f"{base}/o/{organization.slug}/invoices/")
        expect(other.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
    finally:
        member_context.close()
