"""Web pages: the role matrix enforced server-side for every capability of this issue, the
organization create flow, members/invites/API key pages, and the invite lifecycle end to end
with the emails captured."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from organizations import services
from organizations.models import ApiKey, Invite, Membership, Organization
from organizations.permissions import ROLE_CAPABILITIES, Capability, Role
from organizations.tenancy import all_tenants, organization_scope
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.organizations.conftest import logged_in_client
from tests.organizations.factories import MembershipFactory, make_api_key

pytestmark = pytest.mark.django_db

ROLES = [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER]


def allowed(role, capability):
    return capability in ROLE_CAPABILITIES[role]


# --- role matrix: pages ------------------------------------------------------------------------

PAGES = [
    ("members/", Capability.READ),
    ("settings/", Capability.SETTINGS_MANAGE),
    ("invites/new/", Capability.MEMBERS_MANAGE),
    ("api-keys/", Capability.API_KEYS_MANAGE),
    ("api-keys/new/", Capability.API_KEYS_MANAGE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "capability"), PAGES)
def test_page_access_follows_the_role_matrix(org, users_by_role, role, page, capability):
    client = logged_in_client(users_by_role[role], reauthenticated=True)
    response = client.get(f"/o/{org.slug}/{page}")
    assert response.status_code == (200 if allowed(role, capability) else 403)


# --- role matrix: actions ------------------------------------------------------------------------


@pytest.fixture
def target(org):
    return MembershipFactory(organization=org, role=Role.MEMBER, user=UserFactory(email="target@acme.test"))


def _membership(pk):
    with all_tenants():
        return Membership.objects.filter(pk=pk).first()


@pytest.mark.parametrize("role", ROLES)
def test_change_role_follows_the_matrix(org, users_by_role, target, role):
    client = logged_in_client(users_by_role[role])
    response = client.post(f"/o/{org.slug}/members/{target.pk}/role/", {"role": Role.VIEWER})
    if allowed(role, Capability.MEMBERS_MANAGE):
        assert response.status_code == 302
        assert _membership(target.pk).role == Role.VIEWER
    else:
        assert response.status_code == 403
        assert _membership(target.pk).role == Role.MEMBER


@pytest.mark.parametrize("role", ROLES)
def test_remove_member_follows_the_matrix(org, users_by_role, target, role):
    client = logged_in_client(users_by_role[role])
    response = client.post(f"/o/{org.slug}/members/{target.pk}/remove/")
    if allowed(role, Capability.MEMBERS_MANAGE):
        assert response.status_code == 302
        assert _membership(target.pk) is None
    else:
        assert response.status_code == 403
        assert _membership(target.pk) is not None


@pytest.mark.parametrize("role", ROLES)
def test_changing_or_removing_an_owner_needs_the_owner_capability(org, users_by_role, role):
    other_owner = MembershipFactory(organization=org, role=Role.OWNER)
    client = logged_in_client(users_by_role[role])
    demote = client.post(f"/o/{org.slug}/members/{other_owner.pk}/role/", {"role": Role.MEMBER})
    expected = 302 if allowed(role, Capability.OWNERS_MANAGE) else 403
    assert demote.status_code == expected
    assert _membership(other_owner.pk).role == (Role.MEMBER if expected == 302 else Role.OWNER)


@pytest.mark.parametrize("role", ROLES)
def test_invite_follows_the_matrix(post_committed, org, users_by_role, role):
    client = logged_in_client(users_by_role[role])
    response = post_committed(client, f"/o/{org.slug}/invites/new/", {"email": "new@example.com", "role": Role.MEMBER})
    with organization_scope(org):
        created = Invite.objects.filter(organization=org, email="new@example.com").exists()
    if allowed(role, Capability.MEMBERS_MANAGE):
        assert response.status_code == 302 and created
        assert len(mail.outbox) == 1
    else:
        assert response.status_code == 403 and not created
        assert mail.outbox == []


@pytest.mark.parametrize("role", ROLES)
def test_invite_revoke_follows_the_matrix(org, owner, users_by_role, role):
    invite, _ = services.invite_create(organization=org, actor=owner, email="pending@example.com")
    response = logged_in_client(users_by_role[role]).post(f"/o/{org.slug}/invites/{invite.pk}/revoke/")
    with organization_scope(org):
        invite.refresh_from_db()
    if allowed(role, Capability.MEMBERS_MANAGE):
        assert response.status_code == 302 and invite.revoked_at is not None
    else:
        assert response.status_code == 403 and invite.revoked_at is None


@pytest.mark.parametrize("role", ROLES)
def test_api_key_create_and_revoke_follow_the_matrix(org, owner, users_by_role, role):
    with organization_scope(org):
        existing, _ = make_api_key(org)
    client = logged_in_client(users_by_role[role], reauthenticated=True)
    create = client.post(f"/o/{org.slug}/api-keys/new/", {"name": "ci", "scope": "read_only"})
    revoke = client.post(f"/o/{org.slug}/api-keys/{existing.pk}/revoke/")
    with organization_scope(org):
        created = ApiKey.objects.filter(organization=org, name="ci").exists()
        revoked = ApiKey.objects.get(pk=existing.pk).revoked_at is not None
    if allowed(role, Capability.API_KEYS_MANAGE):
        assert (create.status_code, revoke.status_code, created, revoked) == (200, 302, True, True)
    else:
        assert (create.status_code, revoke.status_code, created, revoked) == (403, 403, False, False)


@pytest.mark.parametrize("role", ROLES)
def test_settings_follow_the_matrix_and_only_owners_rename(org, users_by_role, role):
    client = logged_in_client(users_by_role[role])
    response = client.post(
        f"/o/{org.slug}/settings/", {"name": "Renamed", "time_zone": "Asia/Tokyo", "default_currency": "jpy"}
    )
    org.refresh_from_db()
    if not allowed(role, Capability.SETTINGS_MANAGE):
        assert response.status_code == 403
        assert (org.name, org.time_zone) == ("Acme", "Europe/Berlin")
        return
    assert response.status_code == 302
    assert (org.time_zone, org.default_currency) == ("Asia/Tokyo", "JPY")
    assert org.name == ("Renamed" if allowed(role, Capability.ORGANIZATION_MANAGE) else "Acme")


def test_settings_show_field_errors_for_bad_values(org, owner):
    response = logged_in_client(owner).post(
        f"/o/{org.slug}/settings/", {"name": "", "time_zone": "Nowhere/City", "default_currency": "EURO"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "time_zone", "default_currency"}


def test_templates_hide_management_from_viewers(org, owner, viewer):
    owner_page = logged_in_client(owner).get(f"/o/{org.slug}/members/").content.decode()
    viewer_page = logged_in_client(viewer).get(f"/o/{org.slug}/members/").content.decode()
    assert "Invite someone" in owner_page and "Invite someone" not in viewer_page
    assert "/remove/" not in viewer_page
    assert "/api-keys/" in owner_page and "/api-keys/" not in viewer_page


def test_the_last_owner_sees_no_demote_or_remove_and_the_server_refuses_it_anyway(org, owner):
    own = Membership.objects.none()
    with organization_scope(org):
        own = Membership.objects.get(organization=org, user=owner)
    client = logged_in_client(owner)
    page = client.get(f"/o/{org.slug}/members/").content.decode()
    assert f"/members/{own.pk}/remove/" not in page
    client.post(f"/o/{org.slug}/members/{own.pk}/role/", {"role": Role.ADMIN})
    client.post(f"/o/{org.slug}/members/{own.pk}/remove/")
    response = client.post(f"/o/{org.slug}/members/leave/", follow=True)
    assert "last owner" in response.content.decode()
    assert _membership(own.pk).role == Role.OWNER


def test_a_member_can_leave(org, owner, member):
    response = logged_in_client(member).post(f"/o/{org.slug}/members/leave/")
    assert response.status_code == 302
    with organization_scope(org):
        assert not Membership.objects.filter(organization=org, user=member).exists()


# --- organization create ------------------------------------------------------------------------


def test_a_verified_person_without_membership_is_sent_to_create_an_organization():
    user = UserFactory()
    client = logged_in_client(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/organizations/new/"
    response = client.post(
        "/organizations/new/", {"name": "Night Owl Studio", "time_zone": "Europe/Paris", "default_currency": "eur"}
    )
    organization = Organization.objects.get(name="Night Owl Studio")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/o/{organization.slug}/")
    assert organization.default_currency == "EUR"
    with organization_scope(organization):
        assert Membership.objects.get(organization=organization).user == user
        assert list(AuditEntry.objects.values_list("action", flat=True)) == ["organization.created"]


def test_organization_create_shows_field_errors():
    client = logged_in_client(UserFactory())
    response = client.post("/organizations/new/", {"name": "", "time_zone": "UTC", "default_currency": "ZZZ"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "default_currency"}
    assert not Organization.objects.exists()


def test_an_unverified_person_cannot_create_an_organization():
    client = logged_in_client(UserFactory(verified=False))
    response = client.post("/organizations/new/", {"name": "Sneaky", "time_zone": "UTC", "default_currency": "EUR"})
    assert response.status_code == 200  # allauth's "verify your email first" page
    assert not Organization.objects.exists()


# --- API key pages ----------------------------------------------------------------------------


def test_api_key_creation_asks_for_the_password_again_then_shows_the_key_once(org, admin):
    client = logged_in_client(admin)
    response = client.get(f"/o/{org.slug}/api-keys/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    # Nothing is created by a POST that was not reauthenticated either.
    client.post(f"/o/{org.slug}/api-keys/new/", {"name": "ci", "scope": "read_write"})
    with organization_scope(org):
        assert not ApiKey.objects.filter(organization=org).exists()

    response = client.post(response["Location"], {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == f"/o/{org.slug}/api-keys/new/"
    response = client.post(f"/o/{org.slug}/api-keys/new/", {"name": "ci", "scope": "read_write"})
    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    with organization_scope(org):
        api_key = ApiKey.objects.get(organization=org, name="ci")
    assert api_key.matches(raw) and api_key.created_by == admin
    listing = client.get(f"/o/{org.slug}/api-keys/").content.decode()
    assert api_key.prefix in listing and raw not in listing


def test_api_key_create_form_errors_are_tied_to_fields(org, admin):
    client = logged_in_client(admin, reauthenticated=True)
    response = client.post(f"/o/{org.slug}/api-keys/new/", {"name": "", "scope": "admin"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scope"}


# --- invite lifecycle through the web -----------------------------------------------------------


@pytest.fixture
def post_committed(django_capture_on_commit_callbacks):
    """The test transaction never commits: run a request's after-commit work (the email task)
    when the request is done, as a real commit would."""

    def post(client, path, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data or {})

    return post


def _invite(post_committed, client, org, email, role=Role.MEMBER):
    mail.outbox.clear()
    response = post_committed(client, f"/o/{org.slug}/invites/new/", {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:500]
    (message,) = mail.outbox
    link = next(line.strip() for line in message.body.splitlines() if "/invites/" in line)
    assert link.startswith("http://testserver-site/invites/")
    return link.removeprefix("http://testserver-site"), message


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "http://testserver-site"


def test_existing_user_accepts_an_invite(post_committed, site_url, org, admin):
    path, message = _invite(post_committed, logged_in_client(admin), org, "colleague@example.com", Role.VIEWER)
    assert message.to == ["colleague@example.com"]
    assert "Acme" in message.subject
    colleague = UserFactory(email="colleague@example.com")
    client = logged_in_client(colleague)
    page = client.get(path)
    assert page.status_code == 200 and "Join Acme" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302 and response["Location"].startswith(f"/o/{org.slug}/")
    with organization_scope(org):
        assert Membership.objects.get(organization=org, user=colleague).role == Role.VIEWER
    # Single use: the same link now says so and joins nothing new.
    again = client.post(path)
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_new_person_signs_up_with_the_invited_email_verifies_and_joins(post_committed, site_url, org, admin):
    path, _ = _invite(post_committed, logged_in_client(admin), org, "fresh@example.com")
    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200 and "Sign up" in page.content.decode()

    mail.outbox.clear()
    signup = post_committed(
        browser,
        "/accounts/signup/",
        {"email": "fresh@example.com", "password1": "correct horse battery", "password2": "correct horse battery"},
    )
    assert signup.status_code == 302
    (verification,) = mail.outbox
    confirm_path = next(
        line.strip().split("testserver", 1)[1] for line in verification.body.splitlines() if "/confirm-email/" in line
    )
    confirmed = browser.post(confirm_path)
    assert confirmed.status_code == 302
    # Logged in on confirmation; home brings the person back to the pending invite.
    landing = browser.get(confirmed["Location"], follow=True)
    assert "Join Acme" in landing.content.decode()
    joined = browser.post(path)
    assert joined.status_code == 302
    with organization_scope(org):
        assert Membership.objects.filter(organization=org, user__email="fresh@example.com").exists()


def test_invite_for_another_email_shows_a_clear_page_and_joins_nothing(post_committed, site_url, org, admin):
    path, _ = _invite(post_committed, logged_in_client(admin), org, "intended@example.com")
    stranger = UserFactory(email="stranger@example.com")
    client = logged_in_client(stranger)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 403
        assert "another email address" in response.content.decode()
    with organization_scope(org):
        assert not Membership.objects.filter(organization=org, user=stranger).exists()


def test_expired_revoked_and_unknown_invites_show_clear_pages(post_committed, site_url, org, admin):
    client = logged_in_client(admin)
    expired_path, _ = _invite(post_committed, client, org, "late@example.com")
    revoked_path, _ = _invite(post_committed, client, org, "gone@example.com")
    with all_tenants():
        Invite.objects.filter(email="late@example.com").update(expires_at=timezone.now() - timedelta(minutes=1))
        revoked = Invite.objects.get(email="gone@example.com")
    assert client.post(f"/o/{org.slug}/invites/{revoked.pk}/revoke/").status_code == 302
    for path, email, status, text in [
        (expired_path, "late@example.com", 410, "has expired"),
        (revoked_path, "gone@example.com", 410, "was withdrawn"),
        ("/invites/made-up-token/", "late@example.com", 404, "not valid"),
    ]:
        person = UserFactory(email=email) if not _user_exists(email) else _user(email)
        visitor = logged_in_client(person)
        for response in (visitor.get(path), visitor.post(path), Client().get(path)):
            assert response.status_code == status, path
            assert text in response.content.decode()
    with organization_scope(org):
        assert Membership.objects.filter(organization=org).count() == 1


def test_reinvite_replaces_the_old_link(post_committed, site_url, org, admin):
    client = logged_in_client(admin)
    old_path, _ = _invite(post_committed, client, org, "twice@example.com")
    new_path, _ = _invite(post_committed, client, org, "twice@example.com")
    person = logged_in_client(UserFactory(email="twice@example.com"))
    assert person.post(old_path).status_code == 410
    assert person.post(new_path).status_code == 302


def test_inviting_an_existing_member_is_refused_on_the_field(org, admin, member):
    response = logged_in_client(admin).post(f"/o/{org.slug}/invites/new/", {"email": member.email, "role": "member"})
    assert response.status_code == 400
    assert "already a member" in response.context["form"].errors["email"][0]
    assert mail.outbox == []


def test_admins_are_not_offered_the_owner_role_and_cannot_post_it(org, admin):
    client = logged_in_client(admin)
    page = client.get(f"/o/{org.slug}/invites/new/").content.decode()
    assert 'value="owner"' not in page
    response = client.post(f"/o/{org.slug}/invites/new/", {"email": "boss@example.com", "role": "owner"})
    assert response.status_code == 400
    assert "role" in response.context["form"].errors


def _user_exists(email):
    from accounts.models import User

    return User.objects.filter(email=email).exists()


def _user(email):
    from accounts.models import User

    return User.objects.get(email=email)


def test_a_refused_page_is_a_friendly_403_not_an_error(org, viewer):
    response = logged_in_client(viewer).get(f"/o/{org.slug}/api-keys/")
    assert response.status_code == 403
    assert "Your role does not allow this" in response.content.decode()


def test_a_pending_invite_in_the_session_is_followed_once_from_home(post_committed, site_url, org, admin):
    path, _ = _invite(post_committed, logged_in_client(admin), org, "later@example.com")
    stranger = Client()
    stranger.get(path)  # anonymous visit remembers the invite
    stranger.force_login(UserFactory(email="not.later@example.com"))
    first = stranger.get("/")
    assert first.status_code == 302 and first["Location"] == path
    assert stranger.get(path).status_code == 403  # wrong account: clear page, nothing joined
    # Home no longer loops back to the invite.
    assert stranger.get("/")["Location"] == "/organizations/new/"


def test_the_nav_links_settings_and_api_keys_only_for_roles_that_may_use_them(org, admin, member):
    admin_page = logged_in_client(admin).get(f"/o/{org.slug}/members/").content.decode()
    member_page = logged_in_client(member).get(f"/o/{org.slug}/members/").content.decode()
    assert f'href="/o/{org.slug}/settings/"' in admin_page and f'href="/o/{org.slug}/settings/"' not in member_page
    assert f'href="/o/{org.slug}/api-keys/"' in admin_page and f'href="/o/{org.slug}/api-keys/"' not in member_page


def test_a_person_in_two_organizations_gets_the_switcher(org, other_org, member):
    MembershipFactory(organization=other_org, user=member, role=Role.VIEWER)
    page = logged_in_client(member).get(f"/o/{org.slug}/members/").content.decode()
    assert 'class="switcher"' in page
    assert f"/o/{other_org.slug}/" in page
    # ...and can use both, each with its own role.
    assert logged_in_client(member).get(f"/o/{other_org.slug}/members/").status_code == 200
    assert logged_in_client(member).get(f"/o/{other_org.slug}/invites/new/").status_code == 403
