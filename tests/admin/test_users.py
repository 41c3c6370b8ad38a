"""The user admin for the email-login model: no username, memberships shown, no deletion."""

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import SecurityEvent
from organizations.permissions import Role
from tests.accounts.factories import UserFactory
from tests.organizations.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_user_page_shows_memberships_and_no_username(staff_client, orgs):
    membership = MembershipFactory(organization=orgs[1], role=Role.ADMIN)

    html = staff_client.get(reverse("admin:accounts_user_change", args=[membership.user.pk])).content.decode()

    assert orgs[1].name in html
    assert "Admin" in html
    assert membership.user.email in html
    assert "username" not in html.lower()


def test_superuser_adds_a_user_by_email(superuser_client):
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "  New.Person@Example.COM ",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("a long enough passphrase 42")
    assert not user.is_staff


def test_adding_a_duplicate_email_in_other_case_is_a_field_error(superuser_client):
    UserFactory(email="taken@example.com")

    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "TAKEN@example.com", "usable_password": "false"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_plain_staff_can_look_at_users_but_not_change_them(staff_client):
    user = UserFactory()
    url = reverse("admin:accounts_user_change", args=[user.pk])

    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url, {"email": user.email, "is_staff": "on"}).status_code == 403
    user.refresh_from_db()
    assert not user.is_staff
    assert staff_client.get(reverse("admin:accounts_user_add")).status_code == 403


def test_nobody_deletes_a_user_in_the_admin(superuser_client):
    user = MembershipFactory(role=Role.OWNER).user

    response = superuser_client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_superuser_can_deactivate_a_user(superuser_client):
    user = UserFactory(full_name="Kim Doe")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = superuser_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "email": user.email,
            "full_name": "Kim Doe",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
            # The memberships inline is read-only: only its management form is posted.
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    data.pop("is_active", None)

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user.refresh_from_db()
    assert user.is_active is False


def test_user_page_links_to_their_security_events(staff_client):
    user = UserFactory()
    SecurityEvent.objects.create(user=user, email=user.email, event=SecurityEvent.Event.LOGIN_FAILED)
    SecurityEvent.objects.create(user=UserFactory(), email="other@example.com", event=SecurityEvent.Event.LOGIN_FAILED)

    page = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    link = reverse("admin:audit_securityevent_changelist") + f"?user__id__exact={user.pk}"
    assert link in page.content.decode()

    events = staff_client.get(link).context["cl"].result_list
    assert [event.user_id for event in events] == [user.pk]


def test_security_events_are_read_only(staff_client):
    user = UserFactory()
    event = SecurityEvent.objects.create(user=user, email=user.email, event=SecurityEvent.Event.LOGIN_SUCCEEDED)

    assert staff_client.get(reverse("admin:audit_securityevent_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:audit_securityevent_change", args=[event.pk]), {"event": "logout"}).status_code
        == 403
    )
    assert (
        staff_client.post(reverse("admin:audit_securityevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SecurityEvent.objects.get(pk=event.pk).event == SecurityEvent.Event.LOGIN_SUCCEEDED


def test_user_page_never_shows_the_password_hash(staff_client):
    user = UserFactory()
    user.refresh_from_db()
    secret_part = user.password.split("$")[-1]

    html = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()

    assert len(secret_part) >= 20
    assert secret_part not in html
    assert user.password not in html
