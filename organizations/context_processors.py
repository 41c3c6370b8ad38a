from organizations.permissions import Capability, has_capability
from organizations.selectors import memberships_for_user


class _Can:
    """``{% if can.billing_write %}`` in templates; the server refuses the action anyway."""

    def __init__(self, membership):
        self._membership = membership

    def __getattr__(self, name):
        value = getattr(Capability, name.upper(), None)
        return value is not None and has_capability(self._membership, value)


def tenancy(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    return {
        "organization": getattr(request, "organization", None),
        "membership": membership,
        "can": _Can(membership),
        # Lazy: only pages that show the switcher pay for the query.
        "my_memberships": (lambda: memberships_for_user(user)) if user is not None else list,
    }
