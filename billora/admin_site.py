"""The support admin: branding, login through allauth, and the base classes every admin uses.

Support staff (``is_staff``) look at every organization's data inside the named all-tenants
scope, which ``organizations.middleware`` opens for the admin and for staff only. They change
nothing behind the billing rules' back: tenant data is view-only here, and the few things
support may do (re-render a PDF, resend an invoice, void a payment, revoke an API key) are
admin actions that call the owning app's service, audited with the staff user as actor and
``support_access=True``.
"""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect


def is_support_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


class SupportPermissionsMixin:
    """Every staff user may view; ``@admin.action(permissions=["support"])`` gates the actions."""

    # What the services behind this admin's actions raise when they refuse: told to the staff
    # user per object (run_service_for_each). An admin whose services raise their own
    # errors (billing's) adds them; anything else is a bug and propagates.
    service_refusals: tuple[type[Exception], ...] = (
        ValidationError,
        PermissionDenied,
        ObjectDoesNotExist,
    )

    def has_module_permission(self, request):
        return is_support_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return is_support_staff(request.user)

    def has_support_permission(self, request):
        return is_support_staff(request.user)


class ReadOnlyAdmin(SupportPermissionsMixin, admin.ModelAdmin):
    """Tenant data: a change page is a view page, there is no add, change or delete.

    Writes would skip the services (validation, version bumps, audit entries), so the only
    way to change anything from the admin is an action that calls a service."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BigTableAdmin(ReadOnlyAdmin):
    """Tables that grow without bound: never count the whole table for the changelist."""

    show_full_result_count = False


class ReadOnlyTabularInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_view_permission(self, request, obj=None):
        return is_support_staff(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def refusal_message(exc) -> str:
    """What a service said when it refused, in one line (billing, organizations, documents)."""
    if getattr(exc, "conflict_message", None):
        return str(exc.conflict_message)
    errors = getattr(exc, "billing_errors", None) or getattr(exc, "message_dict", None)
    if isinstance(errors, dict):
        return "; ".join(f"{field}: {' '.join(map(str, problems))}" for field, problems in errors.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or exc.__class__.__name__


def run_service_for_each(modeladmin, request, objects, call, *, verb: str) -> int:
    """Call ``call(obj)`` (a service call: atomic and audited on its own) for each object and
    tell the staff user what happened; one refusal does not undo the others."""
    refusals = modeladmin.service_refusals
    done = 0
    for obj in objects:
        try:
            call(obj)
        except refusals as exc:
            modeladmin.message_user(request, f"{obj}: not {verb}: {refusal_message(exc)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb.capitalize()}: {done}.", messages.SUCCESS)
    return done


def _password_change_elsewhere(request, extra_context=None):
    # Passwords change through allauth (its validators, notifications and reauthentication).
    return redirect("account_change_password")


def configure_site(site) -> None:
    site.site_header = settings.ADMIN_SITE_HEADER
    site.site_title = settings.ADMIN_SITE_HEADER
    site.index_title = "Every organization, read-only; changes go through actions"
    site.site_url = "/"  # "View site": back to the app
    # Django's admin login form has no rate limits; allauth's login has. Anonymous visitors are
    # sent there (with ?next=), a logged-in non-staff user gets 403 instead of a redirect loop.
    site.login = secure_admin_login(site.login)
    site.password_change = _password_change_elsewhere


configure_site(admin.site)
