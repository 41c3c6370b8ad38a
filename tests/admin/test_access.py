"""Who gets into the support admin, and how they log in."""

import pyotp
import pytest
from django.contrib import admin
from django.http import HttpResponse
from django.urls import reverse

from tests.accounts.factories import TOTP_SECRET, UserFactory
from tests.organizations.factories import MembershipFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in admin.site._registry]


def test_admin_login_redirects_to_the_allauth_login_with_next(client):
    response = client.get("/admin/login/?next=/admin/billing/invoice/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fbilling%2Finvoice%2F"


def test_anonymous_visitor_of_a_changelist_ends_on_the_allauth_login(client):
    response = client.get("/admin/billing/invoice/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.status_code == 200
    assert "login" in response.templates[0].name


def test_admin_login_form_does_not_accept_a_password_post(client):
    """Django's own (unthrottled) form is never reached: a POST is redirected like a GET."""
    staff = UserFactory(is_staff=True)

    response = client.post("/admin/login/", {"username": staff.email, "password": "a long enough passphrase 42"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_staff_user_logging_in_at_allauth_reaches_the_admin(client):
    staff = UserFactory(is_staff=True)  # staff have two-factor authentication (the admin requires it)

    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": staff.email, "password": "a long enough passphrase 42", "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post(response["Location"], {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_logged_in_staff_at_admin_login_goes_to_the_index(staff_client):
    response = staff_client.get("/admin/login/")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_logged_in_non_staff_gets_403_at_admin_login_not_a_redirect_loop(client):
    client.force_login(MembershipFactory().user)

    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 403


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_non_staff_member_cannot_open_any_changelist(client, url_name, orgs):
    member = MembershipFactory(organization=orgs[0]).user
    client.force_login(member)

    response = client.get(reverse(url_name), follow=True)

    assert response.status_code == 403
    assert orgs[0].name not in response.content.decode()


def test_non_staff_superuser_flag_alone_does_not_open_the_admin(client, orgs):
    """is_staff is the gate; a stray is_superuser without it gets nothing."""
    client.force_login(UserFactory(is_superuser=True, is_staff=False))

    assert client.get(reverse("admin:billing_invoice_changelist"), follow=True).status_code == 403


def test_inactive_staff_user_cannot_use_the_admin(client):
    staff = UserFactory(is_staff=True, is_active=False)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_branding_header_title_and_link_back_to_the_app(staff_client):
    response = staff_client.get(reverse("admin:index"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Billora support" in html
    assert "<title>" in html and "| Billora support</title>" in html
    assert 'href="/"' in html  # "View site" and "Back to Billora"
    assert "Back to Billora" in html
    assert "Django administration" not in html


def test_admin_password_change_goes_to_allauth(staff_client):
    response = staff_client.get(reverse("admin:password_change"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


def _support_access_seen_by_view(rf, path, user):
    """Run TenantScopeMiddleware on ``path`` and report what the audit context says inside."""
    from audit.context import get_request_context
    from organizations.middleware import TenantScopeMiddleware

    seen = {}

    def view(request):
        seen["support_access"] = get_request_context().support_access
        return HttpResponse("ok")

    request = rf.get(path)
    request.user = user
    TenantScopeMiddleware(view)(request)
    return seen["support_access"]


def test_only_staff_admin_requests_are_marked_as_support_access(rf, staff_user):
    member = MembershipFactory().user

    assert _support_access_seen_by_view(rf, "/admin/billing/invoice/", staff_user) is True
    assert _support_access_seen_by_view(rf, "/admin/billing/invoice/", member) is False
    assert _support_access_seen_by_view(rf, "/healthz", staff_user) is False


def test_staff_outside_the_admin_is_not_let_into_other_organizations(staff_client, orgs):
    """The all-tenants scope is the admin's alone: in the app, staff are members like anyone."""
    response = staff_client.get(f"/o/{orgs[0].slug}/")

    assert response.status_code == 404
