from rest_framework import permissions

from organizations.models import ApiKey
from organizations.permissions import Capability, has_capability


class HasCapability(permissions.BasePermission):
    """The view names what it needs: ``required_capabilities = {"create": Capability...}``
    per action, falling back to read for safe methods and billing writes otherwise."""

    message = "This API key may not do that."

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        return has_capability(api_key, self.capability_for(request, view))

    @staticmethod
    def capability_for(request, view):
        per_action = getattr(view, "required_capabilities", {}) or {}
        action = getattr(view, "action", None)
        if action in per_action:
            return per_action[action]
        if request.method in permissions.SAFE_METHODS:
            return Capability.READ
        return Capability.BILLING_WRITE
