"""Every write of the organizations app: organizations, memberships, invites, API keys.

Each function is atomic, runs inside its organization's scope (so it is also safe to call
from the admin's all-tenants scope or a task), checks the acting person's capability itself (views check it too),
writes exactly one audit entry in the same transaction, and leaves side effects (the
invite email) to after commit. ``actor`` is a User, or None for the system (management
commands), which is trusted.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.two_factor import has_two_factor
from audit.context import get_request_context
from audit.services import record
from organizations.models import INVITE_LIFETIME, ApiKey, Invite, Membership, Organization, hash_token
from organizations.permissions import ApiKeyScope, Capability, Role, has_capability
from organizations.signals import invite_created
from organizations.tenancy import all_tenants, organization_scope
from organizations.validation import text_problem

SLUG_MAX_LENGTH = 50


class InviteError(Exception):
    """Why an invite cannot be accepted; the invite page explains each reason plainly."""

    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    WRONG_EMAIL = "wrong_email"
    ALREADY_MEMBER = "already_member"

    def __init__(self, reason, invite=None):
        super().__init__(reason)
        self.reason = reason
        self.invite = invite


# --- helpers ---------------------------------------------------------------------------------


def _actor_membership(organization, actor):
    if actor is None:
        return None
    return Membership.objects.filter(organization=organization, user=actor).first()


def _require(organization, actor, capability):
    """The system (actor None) may do anything; a person needs the capability in this org.
    Support staff acting through the admin (the only place that binds ``support_access``)
    may act without a membership; their entries are marked as support access."""
    if actor is None:
        return
    if getattr(actor, "is_staff", False) and get_request_context().support_access:
        return
    if not has_capability(_actor_membership(organization, actor), capability):
        raise PermissionDenied("Your role in this organization does not allow that.")


def _lock_owners(organization):
    """Lock the organization's owner rows, always first and in pk order: every change that
    could remove an owner takes this lock, so such changes run one after another (two owners
    demoting each other cannot both succeed, and cannot deadlock)."""
    return list(
        Membership.objects.select_for_update(of=("self",))
        .filter(organization=organization, role=Role.OWNER)
        .order_by("pk")
    )


def _locked_membership(organization, membership_id=None, *, user=None):
    lookup = {"pk": membership_id} if user is None else {"user": user}
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(organization=organization, **lookup)
        .first()
    )
    if membership is None:
        raise Membership.DoesNotExist("No such member in this organization.")
    return membership


def _is_last_owner(owners, membership):
    return membership.role == Role.OWNER and len(owners) <= 1


def accept_url_for(raw_token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("invite_accept", kwargs={"token": raw_token})


def unique_slug_for(name: str) -> str:
    """A slug from the name, made unique with a counter. Organization is not a tenant model,
    so this check sees every organization, as it must."""
    base = slugify(name)[:SLUG_MAX_LENGTH].strip("-") or "organization"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        suffix = f"-{counter}"
        slug = f"{base[: SLUG_MAX_LENGTH - len(suffix)].rstrip('-')}{suffix}"
        counter += 1
    return slug


def _single_line_name(value) -> str:
    """A name as stored: trimmed, on one line, without control characters (names end up in
    email subjects, where a line break would break every email that prints it)."""
    name = (value or "").strip()
    problem = text_problem(name, multiline=False)
    if problem:
        raise ValidationError({"name": problem})
    return name


# --- organizations --------------------------------------------------------------------------


def organization_create(*, actor, name, time_zone="UTC", default_currency="EUR", owner=None) -> Organization:
    """Create an organization; ``owner`` (default: the actor) becomes its first owner."""
    owner = owner or actor
    if owner is None:
        raise ValueError("An organization needs an owner.")
    name = _single_line_name(name)
    organization = Organization(name=name, time_zone=time_zone, default_currency=default_currency)
    organization.slug = "placeholder"
    organization.full_clean(exclude=["slug"])
    for _attempt in range(5):
        organization.slug = unique_slug_for(name)
        try:
            with organization_scope(organization), transaction.atomic():
                organization.save(force_insert=True)
                Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
                record(
                    organization=organization,
                    actor=actor,
                    action="organization.created",
                    target=organization,
                    changes={
                        "name": [None, organization.name],
                        "slug": [None, organization.slug],
                        "time_zone": [None, organization.time_zone],
                        "default_currency": [None, organization.default_currency],
                        "owner": [None, owner.email],
                    },
                )
            return organization
        except IntegrityError:
            # Someone took the same slug between the check and the insert: try the next one.
            organization._state.adding = True
            continue
    raise ValidationError({"name": "Could not find a free address for this name; try another name."})


def organization_update(*, organization, actor, **fields) -> Organization:
    """Change name, time zone, default currency or whether members need two-factor
    authentication. Renaming and the two-factor requirement are for owners only, and an owner
    can require two-factor authentication only once they have it themselves."""
    allowed = {"name", "time_zone", "default_currency", "require_two_factor"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"organization_update() got unexpected fields: {', '.join(sorted(unknown))}")
    with organization_scope(organization), transaction.atomic():
        _require(organization, actor, Capability.SETTINGS_MANAGE)
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        changes = {}
        for field, value in fields.items():
            if value is None:
                continue
            if field == "name":
                value = _single_line_name(value)
            old = getattr(locked, field)
            if old != value:
                changes[field] = [old, value]
                setattr(locked, field, value)
        if not changes:
            return locked
        if "name" in changes or "require_two_factor" in changes:
            _require(organization, actor, Capability.ORGANIZATION_MANAGE)
        turned_on = locked.require_two_factor and "require_two_factor" in changes
        if turned_on and actor is not None and not has_two_factor(actor):
            raise ValidationError(
                {"require_two_factor": "Set up two-factor authentication for your own account first."}
            )
        locked.full_clean()
        locked.save(update_fields=[*changes, "updated_at"])
        record(organization=locked, actor=actor, action="organization.updated", target=locked, changes=changes)
    for field in changes:
        setattr(organization, field, getattr(locked, field))
    return locked


# --- memberships ----------------------------------------------------------------------------


def membership_change_role(*, organization, actor, membership_id, role) -> Membership:
    """Owner/admin change roles; only an owner touches an owner or makes one; the last owner
    cannot be demoted."""
    if role not in Role.values:
        raise ValidationError({"role": f"“{role}” is not a role."})
    with organization_scope(organization), transaction.atomic():
        owners = _lock_owners(organization)
        _require(organization, actor, Capability.MEMBERS_MANAGE)
        membership = _locked_membership(organization, membership_id)
        old_role = membership.role
        if old_role == role:
            return membership
        if Role.OWNER in (old_role, role):
            _require(organization, actor, Capability.OWNERS_MANAGE)
        if _is_last_owner(owners, membership):
            raise ValidationError({"role": "The last owner cannot be demoted: make someone else owner first."})
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="member.role_changed",
            target=membership,
            target_label=membership.user.email,
            changes={"role": [old_role, role]},
        )
    return membership


def membership_remove(*, organization, actor, membership_id) -> None:
    """Owner/admin remove members; only an owner removes an owner; never the last owner."""
    with organization_scope(organization), transaction.atomic():
        owners = _lock_owners(organization)
        _require(organization, actor, Capability.MEMBERS_MANAGE)
        membership = _locked_membership(organization, membership_id)
        if membership.role == Role.OWNER:
            _require(organization, actor, Capability.OWNERS_MANAGE)
        if _is_last_owner(owners, membership):
            raise ValidationError("The organization's last owner cannot be removed.")
        _delete_membership(organization, actor, membership)


def membership_leave(*, organization, actor) -> None:
    """Anyone may leave, except the last owner."""
    with organization_scope(organization), transaction.atomic():
        owners = _lock_owners(organization)
        try:
            membership = _locked_membership(organization, user=actor)
        except Membership.DoesNotExist:
            raise Membership.DoesNotExist("You are not a member of this organization.") from None
        if _is_last_owner(owners, membership):
            raise ValidationError("You are the last owner: make someone else owner before leaving.")
        _delete_membership(organization, actor, membership)


def _delete_membership(organization, actor, membership):
    record(
        organization=organization,
        actor=actor,
        action="member.removed",
        target=membership,
        target_label=membership.user.email,
        changes={"user": [membership.user.email, None], "role": [membership.role, None]},
    )
    membership.delete()


# --- invites --------------------------------------------------------------------------------


def invite_create(*, organization, actor, email, role=Role.MEMBER) -> tuple[Invite, str]:
    """Invite ``email`` with ``role``; returns (invite, raw token). Only the token's hash is
    stored. A pending invite for the same address is replaced; a member is refused. The email
    is queued by a receiver of ``invite_created`` and sent after commit."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if role not in Role.values:
        raise ValidationError({"role": f"“{role}” is not a role."})
    with organization_scope(organization), transaction.atomic():
        _require(organization, actor, Capability.MEMBERS_MANAGE)
        if role == Role.OWNER:
            _require(organization, actor, Capability.OWNERS_MANAGE)
        if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
            raise ValidationError({"email": f"{email} is already a member of this organization."})
        now = timezone.now()
        replaced = list(
            Invite.objects.select_for_update(of=("self",))
            .filter(organization=organization, email=email, accepted_at__isnull=True, revoked_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if replaced:
            Invite.objects.filter(organization=organization, pk__in=replaced).update(revoked_at=now, updated_at=now)
        raw, token_hash = Invite.new_token()
        invite = Invite.objects.create(
            organization=organization,
            email=email,
            role=role,
            token_hash=token_hash,
            invited_by=actor,
            expires_at=now + INVITE_LIFETIME,
        )
        changes = {"email": [None, email], "role": [None, role]}
        if replaced:
            changes["replaces_invites"] = [[str(pk) for pk in replaced], None]
        record(organization=organization, actor=actor, action="member.invited", target=invite, changes=changes)
        invite_created.send(
            sender=Invite, organization=organization, invite=invite, accept_url=accept_url_for(raw), actor=actor
        )
    return invite, raw


def invite_revoke(*, organization, actor, invite_id) -> Invite:
    with organization_scope(organization), transaction.atomic():
        _require(organization, actor, Capability.MEMBERS_MANAGE)
        invite = Invite.objects.select_for_update(of=("self",)).filter(organization=organization, pk=invite_id).first()
        if invite is None:
            raise Invite.DoesNotExist("No such invite in this organization.")
        if invite.role == Role.OWNER:
            _require(organization, actor, Capability.OWNERS_MANAGE)
        if not invite.is_pending:
            raise ValidationError(f"This invite is already {invite.status}.")
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="invite.revoked",
            target=invite,
            changes={"revoked_at": [None, invite.revoked_at.isoformat()]},
        )
    return invite


def user_has_verified_email(user, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def invite_accept(*, token, actor) -> Membership:
    """Join through an invite link. Single use; refused when expired, revoked, used, or when the
    signed-in person has not verified the invited address. Raises ``InviteError``."""
    token_hash = hash_token(token or "")
    # The token is the only key we have; it is global, so the lookup is deliberately unscoped.
    with all_tenants():
        found = Invite.objects.select_related("organization").filter(token_hash=token_hash).first()
    if found is None:
        raise InviteError(InviteError.NOT_FOUND)
    organization = found.organization
    with organization_scope(organization), transaction.atomic():
        invite = Invite.objects.select_for_update(of=("self",)).get(organization=organization, pk=found.pk)
        status = invite.status
        if status == Invite.Status.ACCEPTED:
            raise InviteError(InviteError.USED, invite)
        if status == Invite.Status.REVOKED:
            raise InviteError(InviteError.REVOKED, invite)
        if status == Invite.Status.EXPIRED:
            raise InviteError(InviteError.EXPIRED, invite)
        if not user_has_verified_email(actor, invite.email):
            raise InviteError(InviteError.WRONG_EMAIL, invite)
        if Membership.objects.filter(organization=organization, user=actor).exists():
            raise InviteError(InviteError.ALREADY_MEMBER, invite)
        membership = Membership.objects.create(organization=organization, user=actor, role=invite.role)
        invite.accepted_at = timezone.now()
        invite.accepted_by = actor
        invite.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="invite.accepted",
            target=invite,
            changes={"member": [None, actor.email], "role": [None, invite.role]},
        )
    membership.organization = organization
    return membership


# --- API keys -------------------------------------------------------------------------------


def api_key_create(*, organization, actor, name, scope=ApiKeyScope.READ_WRITE) -> tuple[ApiKey, str]:
    """Returns (api_key, raw key). The raw key is shown once; only its hash is stored."""
    name = _single_line_name(name)
    if not name:
        raise ValidationError({"name": "Give the key a name."})
    if len(name) > 100:
        raise ValidationError({"name": "Use at most 100 characters."})
    if scope not in ApiKeyScope.values:
        raise ValidationError({"scope": f"“{scope}” is not a key scope."})
    with organization_scope(organization), transaction.atomic():
        _require(organization, actor, Capability.API_KEYS_MANAGE)
        raw, prefix, secret_hash = ApiKey.generate()
        # Prefixes are unique across organizations: the check must see every tenant.
        with all_tenants():
            while ApiKey.objects.filter(prefix=prefix).exists():
                raw, prefix, secret_hash = ApiKey.generate()
        api_key = ApiKey.objects.create(
            organization=organization,
            name=name,
            prefix=prefix,
            secret_hash=secret_hash,
            scope=scope,
            created_by=actor,
        )
        record(
            organization=organization,
            actor=actor,
            action="api_key.created",
            target=api_key,
            changes={"name": [None, name], "scope": [None, scope], "prefix": [None, prefix]},
        )
    return api_key, raw


def api_key_revoke(*, organization, actor, api_key_id) -> ApiKey:
    with organization_scope(organization), transaction.atomic():
        _require(organization, actor, Capability.API_KEYS_MANAGE)
        api_key = (
            ApiKey.objects.select_for_update(of=("self",)).filter(organization=organization, pk=api_key_id).first()
        )
        if api_key is None:
            raise ApiKey.DoesNotExist("No such API key in this organization.")
        if api_key.revoked_at is not None:
            return api_key
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        record(
            organization=organization,
            actor=actor,
            action="api_key.revoked",
            target=api_key,
            changes={"revoked_at": [None, api_key.revoked_at.isoformat()]},
        )
    return api_key
