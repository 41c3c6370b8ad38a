"""Two-factor authentication where it is required: before any page of an organization that
requires it, and before any admin page for support staff. The API is unaffected: it
authenticates with organization API keys, not people. And allauth's pages that show a secret
are never cached."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.two_factor import has_two_factor


def two_factor_requirement(request) -> str | None:
    """Why this request needs its user to have two-factor authentication, or None."""
    match = request.resolver_match
    if match is not None and "admin" in (match.app_name, match.namespace):
        # Only staff get this far in the admin; everyone else is refused by the admin itself.
        return _("Support staff need two-factor authentication to use the admin.") if request.user.is_staff else None
    organization = getattr(request, "organization", None)
    if organization is not None and organization.require_two_factor:
        return _("%(name)s requires two-factor authentication: set it up to continue.") % {"name": organization.name}
    return None


class TwoFactorRequiredMiddleware:
    """Sends a signed-in person without two-factor authentication to the authenticator app
    setup when the page needs it. Runs after the tenancy middleware (``process_view``: the
    organization and the URL match are known)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        reason = two_factor_requirement(request)
        if reason is None or has_two_factor(request.user):
            return None
        messages.warning(request, reason)
        setup = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(setup)
        return HttpResponseRedirect(setup)


# allauth's pages that show a secret: the authenticator app's key while it is set up, and the
# recovery codes. (Billora's own such page, a new API key, sets the header itself.)
SECRET_PAGES = frozenset({"mfa_activate_totp", "mfa_view_recovery_codes"})


class SecretPagesNotCachedMiddleware:
    """``Cache-Control: no-store`` (with Django's other never-cache directives) on the pages
    that show a secret, so neither the browser nor a proxy keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in SECRET_PAGES:
            add_never_cache_headers(response)
        return response
