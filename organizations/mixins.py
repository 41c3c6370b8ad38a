"""The one way an organization page declares and checks what the person must be allowed to do.

``TenantScopeMiddleware`` has already resolved the organization from ``/o/<org_slug>/``,
refused non-members with 404 and opened the scope. These helpers add the capability check
(a member lacking it gets 403: they know the organization exists) and hand the view
``self.organization`` / ``self.membership``.

Class-based view::

    class MemberListView(OrganizationViewMixin, TemplateView):
        required_capability = Capability.READ

Function view::

    @capability_required(Capability.MEMBERS_MANAGE)
    def member_remove(request, org_slug, membership_id): ...
"""

from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404

from organizations.permissions import Capability, has_capability


def _check(request, capability):
    organization = getattr(request, "organization", None)
    membership = getattr(request, "membership", None)
    if organization is None or membership is None:
        # Only reachable if a view outside /o/<org_slug>/ uses the mixin by mistake: fail closed.
        raise Http404("No such organization.")
    if capability is None:
        raise ImproperlyConfigured("An organization view must name its required capability.")
    if not has_capability(membership, capability):
        raise PermissionDenied("Your role in this organization does not allow that.")


class OrganizationViewMixin:
    """For views under ``/o/<org_slug>/``. ``required_capability`` applies to every method
    unless ``required_capabilities`` names one per HTTP method (e.g. ``{"POST": ...}``)."""

    required_capability = Capability.READ
    required_capabilities: dict[str, str] = {}

    organization = None
    membership = None

    def get_required_capability(self):
        return self.required_capabilities.get(self.request.method, self.required_capability)

    def dispatch(self, request, *args, **kwargs):
        _check(request, self.get_required_capability())
        self.organization = request.organization
        self.membership = request.membership
        return super().dispatch(request, *args, **kwargs)

    def has_capability(self, capability) -> bool:
        return has_capability(self.membership, capability)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("organization", self.organization)
        context.setdefault("membership", self.membership)
        return context


def capability_required(capability):
    """Function-view twin of ``OrganizationViewMixin``."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            _check(request, capability)
            return view_func(request, *args, **kwargs)

        wrapper.required_capability = capability
        return wrapper

    return decorator
