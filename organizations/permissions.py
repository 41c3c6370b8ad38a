"""Roles and API key scopes mapped to capabilities: the one place permissions are decided.

Views, viewsets and templates name the capability they need; ``has_capability`` answers
for a membership role or an API key alike. The table mirrors billing-rules.md (Roles).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class ApiKeyScope(models.TextChoices):
    READ_ONLY = "read_only", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class Capability:
    READ = "organization.read"  # read everything, download PDFs
    BILLING_WRITE = "billing.write"  # customers, invoices, issue, payments, send
    INVOICES_CANCEL = "invoices.cancel"  # cancel and correct issued invoices (voiding was this)
    BUSINESSES_MANAGE = "businesses.manage"  # business profiles and numbering
    MEMBERS_MANAGE = "members.manage"  # invite, change roles, remove non-owners
    API_KEYS_MANAGE = "api_keys.manage"
    OWNERS_MANAGE = "owners.manage"  # change or remove owners
    ORGANIZATION_MANAGE = "organization.manage"  # rename / delete the organization
    SETTINGS_MANAGE = "settings.manage"  # the organization's time zone and default currency


_VIEWER = frozenset({Capability.READ})
_MEMBER = _VIEWER | {Capability.BILLING_WRITE}
_ADMIN = _MEMBER | {
    Capability.INVOICES_CANCEL,
    Capability.BUSINESSES_MANAGE,
    Capability.MEMBERS_MANAGE,
    Capability.API_KEYS_MANAGE,
    Capability.SETTINGS_MANAGE,
}
_OWNER = _ADMIN | {Capability.OWNERS_MANAGE, Capability.ORGANIZATION_MANAGE}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OWNER: _OWNER,
    Role.ADMIN: _ADMIN,
    Role.MEMBER: _MEMBER,
    Role.VIEWER: _VIEWER,
}

# API keys carry the viewer or the member column; keys never manage members or keys.
API_KEY_CAPABILITIES: dict[str, frozenset[str]] = {
    ApiKeyScope.READ_ONLY: _VIEWER,
    ApiKeyScope.READ_WRITE: _MEMBER,
}


def capabilities_for_role(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())


def has_capability(principal, capability: str) -> bool:
    """``principal`` is a Membership, an ApiKey, or None (nobody)."""
    if principal is None:
        return False
    return capability in principal.capabilities
