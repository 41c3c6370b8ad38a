"""Reads about organizations and membership. Membership lookups for the signed-in person
cross organizations by nature, so they run in the named all-tenants scope."""

from django.utils import timezone

from organizations.models import ApiKey, Invite, Membership, hash_token
from organizations.tenancy import all_tenants


def memberships_for_user(user):
    """The person's memberships, organization loaded, alphabetical. Evaluated immediately."""
    if not user.is_authenticated:
        return Membership.objects.none()
    with all_tenants():
        return _Evaluated(
            list(Membership.objects.filter(user=user).select_related("organization").order_by("organization__name"))
        )


def membership_for(*, user, organization_slug):
    if not user.is_authenticated:
        return None
    with all_tenants():
        return (
            Membership.objects.filter(user=user, organization__slug=organization_slug)
            .select_related("organization")
            .first()
        )


def members_of(organization):
    """Members with their user, owners first then by joining date (inside the org's scope)."""
    memberships = Membership.objects.filter(organization=organization).select_related("user")
    order = {"owner": 0, "admin": 1, "member": 2, "viewer": 3}
    return sorted(memberships, key=lambda m: (order.get(m.role, 9), m.joined_at))


def pending_invites(organization):
    return list(
        Invite.objects.filter(
            organization=organization, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


def api_keys_of(organization):
    return list(ApiKey.objects.filter(organization=organization).select_related("created_by").order_by("-created_at"))


def invite_for_token(raw_token: str):
    """The invite a link points to, or None. Tokens are global (the link does not name the
    organization), so this lookup is deliberately unscoped; only the hash is compared."""
    if not raw_token or len(raw_token) > 200:
        return None
    with all_tenants():
        return Invite.objects.select_related("organization").filter(token_hash=hash_token(raw_token)).first()


class _Evaluated(list):
    """A list with ``first()``, so callers read like a queryset without leaving the scope open."""

    def first(self):
        return self[0] if self else None
