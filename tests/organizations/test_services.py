"""Services: capability checks, owner rules, last-owner protection, and exactly one audit
entry per action with the right actor, target and changes."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from organizations import services
from organizations.models import ApiKey, Invite, Membership, Organization, hash_token
from organizations.permissions import ApiKeyScope, Role
from organizations.tenancy import all_tenants, organization_scope
from tests.accounts.factories import UserFactory
from tests.organizations.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def entries(organization):
    with organization_scope(organization):
        return list(AuditEntry.objects.filter(organization=organization).order_by("sequence"))


def membership_of(organization, user):
    with organization_scope(organization):
        return Membership.objects.get(organization=organization, user=user)


def only_new_entry(organization, before):
    after = entries(organization)
    assert len(after) == len(before) + 1, [e.action for e in after[len(before) :]]
    return after[-1]


# --- organization_create / organization_update -------------------------------------------------


def test_organization_create_makes_the_actor_owner_and_writes_one_entry():
    user = UserFactory(email="founder@example.com")
    organization = services.organization_create(actor=user, name="Blue Sky GmbH", time_zone="Europe/Berlin")
    assert organization.slug == "blue-sky-gmbh"
    assert membership_of(organization, user).role == Role.OWNER
    (entry,) = entries(organization)
    assert entry.action == "organization.created"
    assert entry.actor_user_id == user.pk
    assert entry.target_type == "organization"
    assert entry.target_id == str(organization.pk)
    assert entry.changes["name"] == [None, "Blue Sky GmbH"]
    assert entry.changes["time_zone"] == [None, "Europe/Berlin"]


def test_organization_slugs_are_unique_across_all_organizations():
    a = services.organization_create(actor=UserFactory(), name="Acme")
    b = services.organization_create(actor=UserFactory(), name="ACME")
    c = services.organization_create(actor=UserFactory(), name="acme!")
    assert {a.slug, b.slug, c.slug} == {"acme", "acme-2", "acme-3"}


def test_organization_create_refuses_a_bad_time_zone_or_currency():
    with pytest.raises(ValidationError) as excinfo:
        services.organization_create(actor=UserFactory(), name="X", time_zone="Mars/Olympus", default_currency="XXY")
    assert set(excinfo.value.message_dict) == {"time_zone", "default_currency"}
    assert not Organization.objects.exists()


@pytest.mark.parametrize("name", ["Acme\r\nBcc: all@example.com", "Acme\nCorp", "Acme\x0bCorp", "Acme\ud800"])
def test_organization_and_api_key_names_are_one_line_of_text(org, owner, name):
    """Names are printed in email subjects (invites): a line break would break those emails."""
    organizations = Organization.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.organization_create(actor=UserFactory(), name=name)
    assert list(excinfo.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as excinfo:
        services.organization_update(organization=org, actor=owner, name=name)
    assert list(excinfo.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as excinfo:
        services.api_key_create(organization=org, actor=owner, name=name)
    assert list(excinfo.value.message_dict) == ["name"]
    assert Organization.objects.get(pk=org.pk).name == org.name
    assert Organization.objects.count() == organizations


@pytest.mark.parametrize("code", ["XXX", "XAU", "XTS"])
def test_the_default_currency_must_be_money(org, owner, code):
    with pytest.raises(ValidationError) as excinfo:
        services.organization_update(organization=org, actor=owner, default_currency=code)
    assert "is not a currency a business can invoice in" in excinfo.value.message_dict["default_currency"][0]


def test_organization_update_audits_changed_fields_only(org, owner):
    before = entries(org)
    services.organization_update(organization=org, actor=owner, name="Acme Ltd", time_zone=org.time_zone)
    entry = only_new_entry(org, before)
    assert entry.action == "organization.updated"
    assert entry.changes == {"name": ["Acme", "Acme Ltd"]}
    org.refresh_from_db()
    assert org.name == "Acme Ltd"


def test_admin_may_change_time_zone_but_not_rename(org, admin):
    services.organization_update(organization=org, actor=admin, time_zone="America/New_York")
    org.refresh_from_db()
    assert org.time_zone == "America/New_York"
    with pytest.raises(PermissionDenied):
        services.organization_update(organization=org, actor=admin, name="Renamed")
    org.refresh_from_db()
    assert org.name == "Acme"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_change_settings(org, role):
    user = MembershipFactory(organization=org, role=role).user
    with pytest.raises(PermissionDenied):
        services.organization_update(organization=org, actor=user, default_currency="USD")


# --- roles and removal -------------------------------------------------------------------------


def test_admin_changes_a_member_role_with_one_entry(org, admin, member):
    target = membership_of(org, member)
    before = entries(org)
    services.membership_change_role(organization=org, actor=admin, membership_id=target.pk, role=Role.VIEWER)
    entry = only_new_entry(org, before)
    assert (entry.action, entry.actor_user_id, entry.target_id) == ("member.role_changed", admin.pk, str(target.pk))
    assert entry.changes == {"role": ["member", "viewer"]}
    assert membership_of(org, member).role == Role.VIEWER


@pytest.mark.parametrize("new_role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_admin_cannot_change_an_owner(org, owner, admin, new_role):
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            organization=org, actor=admin, membership_id=membership_of(org, owner).pk, role=new_role
        )
    assert membership_of(org, owner).role == Role.OWNER


def test_admin_cannot_make_an_owner(org, owner, admin, member):
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            organization=org, actor=admin, membership_id=membership_of(org, member).pk, role=Role.OWNER
        )


def test_admin_cannot_remove_an_owner(org, owner, admin):
    with pytest.raises(PermissionDenied):
        services.membership_remove(organization=org, actor=admin, membership_id=membership_of(org, owner).pk)
    assert membership_of(org, owner)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_manage_members(org, owner, admin, role):
    actor = MembershipFactory(organization=org, role=role).user
    target = membership_of(org, admin)
    with pytest.raises(PermissionDenied):
        services.membership_change_role(organization=org, actor=actor, membership_id=target.pk, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.membership_remove(organization=org, actor=actor, membership_id=target.pk)
    with pytest.raises(PermissionDenied):
        services.invite_create(organization=org, actor=actor, email="x@example.com", role=Role.VIEWER)


def test_the_last_owner_can_neither_be_demoted_nor_removed_nor_leave(org, owner):
    own = membership_of(org, owner)
    before = entries(org)
    with pytest.raises(ValidationError):
        services.membership_change_role(organization=org, actor=owner, membership_id=own.pk, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        services.membership_remove(organization=org, actor=owner, membership_id=own.pk)
    with pytest.raises(ValidationError):
        services.membership_leave(organization=org, actor=owner)
    assert membership_of(org, owner).role == Role.OWNER
    assert entries(org) == before


def test_with_a_second_owner_an_owner_may_step_down_and_the_other_becomes_last(org, owner):
    second = MembershipFactory(organization=org, role=Role.OWNER).user
    services.membership_change_role(
        organization=org, actor=owner, membership_id=membership_of(org, owner).pk, role=Role.ADMIN
    )
    assert membership_of(org, owner).role == Role.ADMIN
    with pytest.raises(ValidationError):
        services.membership_leave(organization=org, actor=second)


def test_owner_removes_an_owner_when_another_remains(org, owner):
    second = MembershipFactory(organization=org, role=Role.OWNER).user
    before = entries(org)
    services.membership_remove(organization=org, actor=owner, membership_id=membership_of(org, second).pk)
    entry = only_new_entry(org, before)
    assert entry.action == "member.removed"
    assert entry.changes == {"user": [second.email, None], "role": ["owner", None]}
    with organization_scope(org):
        assert not Membership.objects.filter(organization=org, user=second).exists()


def test_leaving_writes_member_removed_by_the_member_themselves(org, owner, member):
    before = entries(org)
    services.membership_leave(organization=org, actor=member)
    entry = only_new_entry(org, before)
    assert (entry.action, entry.actor_user_id) == ("member.removed", member.pk)


def test_a_membership_of_another_organization_is_not_found(org, owner, other_org, outsider):
    foreign = membership_of(other_org, outsider)
    with pytest.raises(Membership.DoesNotExist):
        services.membership_remove(organization=org, actor=owner, membership_id=foreign.pk)
    with pytest.raises(Membership.DoesNotExist):
        services.membership_change_role(organization=org, actor=owner, membership_id=foreign.pk, role=Role.VIEWER)
    assert membership_of(other_org, outsider).role == Role.OWNER


def test_an_unchanged_role_writes_no_entry(org, admin, member):
    before = entries(org)
    services.membership_change_role(
        organization=org, actor=admin, membership_id=membership_of(org, member).pk, role=Role.MEMBER
    )
    assert entries(org) == before


# --- invites -------------------------------------------------------------------------------------


def test_invite_stores_only_the_token_hash_expires_in_7_days_and_queues_one_email(
    org, admin, django_capture_on_commit_callbacks
):
    before = entries(org)
    with django_capture_on_commit_callbacks(execute=True):
        invite, raw = services.invite_create(organization=org, actor=admin, email="New.Person@Example.com")
    assert invite.email == "new.person@example.com"
    assert invite.token_hash == hash_token(raw) and raw not in invite.token_hash
    assert timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=7)
    entry = only_new_entry(org, before)
    assert (entry.action, entry.target_id) == ("member.invited", str(invite.pk))
    assert entry.changes == {"email": [None, "new.person@example.com"], "role": [None, "member"]}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert f"/invites/{raw}/" in mail.outbox[0].body


def test_invite_email_is_not_sent_when_the_transaction_rolls_back(org, admin, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.invite_create(organization=org, actor=admin, email="ghost@example.com")
        raise RuntimeError("roll back")
    assert callbacks == []
    assert mail.outbox == []
    with organization_scope(org):
        assert not Invite.objects.filter(organization=org).exists()


def test_reinviting_a_pending_address_replaces_the_old_invite(org, admin):
    first, first_raw = services.invite_create(organization=org, actor=admin, email="pat@example.com")
    second, _ = services.invite_create(organization=org, actor=admin, email="PAT@example.com", role=Role.VIEWER)
    with organization_scope(org):
        first.refresh_from_db()
    assert first.status == Invite.Status.REVOKED
    assert second.status == Invite.Status.PENDING and second.role == Role.VIEWER
    last = entries(org)[-1]
    assert last.changes["replaces_invites"] == [[str(first.pk)], None]
    with pytest.raises(services.InviteError) as excinfo:
        services.invite_accept(token=first_raw, actor=UserFactory(email="pat@example.com"))
    assert excinfo.value.reason == services.InviteError.REVOKED


def test_inviting_an_existing_member_is_refused(org, admin, member):
    with pytest.raises(ValidationError) as excinfo:
        services.invite_create(organization=org, actor=admin, email=member.email.upper())
    assert "already a member" in excinfo.value.message_dict["email"][0]


def test_only_an_owner_may_invite_an_owner(org, owner, admin):
    with pytest.raises(PermissionDenied):
        services.invite_create(organization=org, actor=admin, email="boss@example.com", role=Role.OWNER)
    invite, _ = services.invite_create(organization=org, actor=owner, email="boss@example.com", role=Role.OWNER)
    assert invite.role == Role.OWNER


def test_accept_creates_the_membership_once(org, admin):
    invite, raw = services.invite_create(organization=org, actor=admin, email="joiner@example.com", role=Role.VIEWER)
    joiner = UserFactory(email="joiner@example.com")
    before = entries(org)
    membership = services.invite_accept(token=raw, actor=joiner)
    assert membership.role == Role.VIEWER
    entry = only_new_entry(org, before)
    assert (entry.action, entry.actor_user_id, entry.target_id) == ("invite.accepted", joiner.pk, str(invite.pk))
    assert entry.changes == {"member": [None, "joiner@example.com"], "role": [None, "viewer"]}
    with pytest.raises(services.InviteError) as excinfo:
        services.invite_accept(token=raw, actor=joiner)
    assert excinfo.value.reason == services.InviteError.USED


def test_accept_requires_the_invited_address_to_be_verified_on_the_account(org, admin):
    _, raw = services.invite_create(organization=org, actor=admin, email="exact@example.com")
    with pytest.raises(services.InviteError) as wrong:
        services.invite_accept(token=raw, actor=UserFactory(email="someone.else@example.com"))
    unverified = UserFactory(email="exact@example.com", verified=False)
    with pytest.raises(services.InviteError) as not_verified:
        services.invite_accept(token=raw, actor=unverified)
    assert wrong.value.reason == not_verified.value.reason == services.InviteError.WRONG_EMAIL
    with organization_scope(org):
        assert Membership.objects.filter(organization=org).count() == 1  # only the admin


def test_expired_and_revoked_invites_cannot_be_accepted(org, admin):
    expired, expired_raw = services.invite_create(organization=org, actor=admin, email="late@example.com")
    with all_tenants():
        Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_raw = services.invite_create(organization=org, actor=admin, email="gone@example.com")
    before = entries(org)
    services.invite_revoke(organization=org, actor=admin, invite_id=revoked.pk)
    entry = only_new_entry(org, before)
    assert (entry.action, entry.target_id) == ("invite.revoked", str(revoked.pk))
    for raw, email, reason in [
        (expired_raw, "late@example.com", services.InviteError.EXPIRED),
        (revoked_raw, "gone@example.com", services.InviteError.REVOKED),
        ("not-a-token", "late@example.com", services.InviteError.NOT_FOUND),
    ]:
        with pytest.raises(services.InviteError) as excinfo:
            services.invite_accept(token=raw, actor=UserFactory(email=email) if not _exists(email) else _get(email))
        assert excinfo.value.reason == reason


def _exists(email):
    from accounts.models import User

    return User.objects.filter(email=email).exists()


def _get(email):
    from accounts.models import User

    return User.objects.get(email=email)


def test_revoking_an_invite_of_another_organization_is_not_found(org, admin, other_org, outsider):
    foreign, _ = services.invite_create(organization=other_org, actor=outsider, email="x@example.com")
    with pytest.raises(Invite.DoesNotExist):
        services.invite_revoke(organization=org, actor=admin, invite_id=foreign.pk)


# --- API keys ------------------------------------------------------------------------------------


def test_api_key_create_stores_a_hash_and_audits(org, admin):
    before = entries(org)
    api_key, raw = services.api_key_create(organization=org, actor=admin, name="sync", scope=ApiKeyScope.READ_ONLY)
    assert raw.startswith(f"bil_{api_key.prefix}_")
    assert api_key.secret_hash == hash_token(raw) and raw not in api_key.secret_hash
    entry = only_new_entry(org, before)
    assert (entry.action, entry.actor_user_id, entry.target_id) == ("api_key.created", admin.pk, str(api_key.pk))
    assert entry.changes == {"name": [None, "sync"], "scope": [None, "read_only"], "prefix": [None, api_key.prefix]}


def test_api_key_revoke_audits_once_and_is_idempotent(org, admin):
    api_key, _ = services.api_key_create(organization=org, actor=admin, name="sync")
    before = entries(org)
    services.api_key_revoke(organization=org, actor=admin, api_key_id=api_key.pk)
    services.api_key_revoke(organization=org, actor=admin, api_key_id=api_key.pk)
    entry = only_new_entry(org, before)
    assert entry.action == "api_key.revoked"
    with organization_scope(org):
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_manage_api_keys(org, admin, role):
    actor = MembershipFactory(organization=org, role=role).user
    api_key, _ = services.api_key_create(organization=org, actor=admin, name="sync")
    with pytest.raises(PermissionDenied):
        services.api_key_create(organization=org, actor=actor, name="mine")
    with pytest.raises(PermissionDenied):
        services.api_key_revoke(organization=org, actor=actor, api_key_id=api_key.pk)


def test_services_work_when_called_from_the_all_tenants_scope(org, owner):
    # The admin (all-tenants scope) may call services; they still act on one organization only.
    with all_tenants():
        api_key, _ = services.api_key_create(organization=org, actor=owner, name="from admin")
    assert api_key.organization_id == org.pk
