"""Resolve the organization of a web request and run the view inside its tenant scope."""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import Resolver404, resolve

from audit.context import bound_request_context
from organizations.rls import read_request_transaction
from organizations.selectors import membership_for
from organizations.tenancy import all_tenants, organization_scope


class TenantScopeMiddleware:
    """For URLs under ``/o/<org_slug>/``: the person must be a member (else 404, never 403, so
    an organization's existence does not leak), ``request.organization`` and
    ``request.membership`` are set, and the view and its template render inside the scope.

    The admin runs in the named all-tenants scope, for staff only (the admin itself refuses
    everyone else)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)

        if match.app_name == "admin" or match.namespace == "admin":
            if request.user.is_authenticated and request.user.is_staff:
                # Whatever staff change through the admin is audited as support access.
                with read_request_transaction(request), all_tenants(), bound_request_context(support_access=True):
                    return self._render_inside(self.get_response(request))
            return self.get_response(request)

        org_slug = match.kwargs.get("org_slug")
        if org_slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        with read_request_transaction(request):
            return self._organization_response(request, org_slug)

    def _organization_response(self, request, org_slug):
        membership = membership_for(user=request.user, organization_slug=org_slug)
        if membership is None:
            raise Http404("No such organization.")
        request.organization = membership.organization
        request.membership = membership
        with organization_scope(membership.organization):
            return self._render_inside(self.get_response(request))

    @staticmethod
    def _render_inside(response):
        # Template responses render lazily; force it while the scope is still open.
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        return response
