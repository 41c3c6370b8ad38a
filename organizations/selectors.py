"""Reads about organizations and membership. Membership lookups for the signed-in person
cross organizations by nature, so they run in the named all-tenants scope."""

from organizations.models import Membership
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


class _Evaluated(list):
    """A list with ``first()``, so callers read like a queryset without leaving the scope open."""

    def first(self):
        return self[0] if self else None
