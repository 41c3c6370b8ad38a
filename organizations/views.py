"""Web pages of the organizations app: create an organization, its settings, members, invites
and API keys. Thin: they translate HTTP to the services in ``organizations.services``."""

from functools import wraps

from allauth.account.decorators import reauthentication_required as allauth_reauthentication_required
from allauth.account.decorators import verified_email_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from organizations import selectors, services
from organizations.forms import (
    ApiKeyCreateForm,
    InviteForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    RoleChangeForm,
)
from organizations.mixins import OrganizationViewMixin, capability_required
from organizations.models import Invite
from organizations.permissions import Capability, Role

PENDING_INVITE_SESSION_KEY = "billora_pending_invite"


def organization_home_url(organization) -> str:
    """The organization's landing page: its dashboard once the billing pages provide one."""
    try:
        return reverse("dashboard", kwargs={"org_slug": organization.slug})
    except NoReverseMatch:
        return reverse("member_list", kwargs={"org_slug": organization.slug})


def apply_errors(form, exc: ValidationError):
    """Put a service's ValidationError on the form, tied to the field it names when the form
    has that field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _flash_errors(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)


# --- creating an organization ---------------------------------------------------------------


@login_required
@verified_email_required
def organization_create(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is ready. Welcome!") % {"name": organization.name})
            return redirect(organization_home_url(organization))
    has_memberships = bool(selectors.memberships_for_user(request.user))
    return render(request, "organizations/organization_create.html", {"form": form, "has_memberships": has_memberships})


# --- settings -------------------------------------------------------------------------------


class OrganizationSettingsView(OrganizationViewMixin, View):
    required_capability = Capability.SETTINGS_MANAGE
    template_name = "organizations/settings.html"

    def _form(self, data=None):
        return OrganizationSettingsForm(
            data,
            organization=self.organization,
            is_owner=self.has_capability(Capability.ORGANIZATION_MANAGE),
        )

    def get(self, request, *args, **kwargs):
        return self._render(self._form())

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            try:
                services.organization_update(organization=self.organization, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("organization_settings", org_slug=self.organization.slug)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return render(request=self.request, template_name=self.template_name, context={"form": form}, status=status)


# --- members --------------------------------------------------------------------------------


class MemberListView(OrganizationViewMixin, TemplateView):
    required_capability = Capability.READ
    template_name = "organizations/member_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_manage = self.has_capability(Capability.MEMBERS_MANAGE)
        can_manage_owners = self.has_capability(Capability.OWNERS_MANAGE)
        members = selectors.members_of(self.organization)
        owner_count = sum(1 for m in members if m.role == Role.OWNER)
        rows = []
        for member in members:
            editable = can_manage and (member.role != Role.OWNER or can_manage_owners)
            rows.append(
                {
                    "membership": member,
                    "can_edit": editable and not (member.role == Role.OWNER and owner_count <= 1),
                    "is_me": member.pk == self.membership.pk,
                }
            )
        context.update(
            rows=rows,
            can_manage=can_manage,
            role_choices=Role.choices if can_manage_owners else [c for c in Role.choices if c[0] != Role.OWNER],
            invites=selectors.pending_invites(self.organization) if can_manage else [],
            is_last_owner=self.membership.role == Role.OWNER and owner_count <= 1,
        )
        return context


def _get_or_404(call):
    try:
        return call()
    except ObjectDoesNotExist:
        raise Http404("Not found.") from None


@require_POST
@capability_required(Capability.MEMBERS_MANAGE)
def member_change_role(request, org_slug, membership_id):
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        try:
            membership = _get_or_404(
                lambda: services.membership_change_role(
                    organization=request.organization,
                    actor=request.user,
                    membership_id=membership_id,
                    role=form.cleaned_data["role"],
                )
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": membership.get_role_display().lower()},
            )
    return redirect("member_list", org_slug=org_slug)


@require_POST
@capability_required(Capability.MEMBERS_MANAGE)
def member_remove(request, org_slug, membership_id):
    try:
        _get_or_404(
            lambda: services.membership_remove(
                organization=request.organization, actor=request.user, membership_id=membership_id
            )
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("member_list", org_slug=org_slug)
    if membership_id == request.membership.pk:
        messages.success(request, _("You left %(name)s.") % {"name": request.organization.name})
        return redirect("home")
    messages.success(request, _("Member removed."))
    return redirect("member_list", org_slug=org_slug)


@require_POST
@capability_required(Capability.READ)
def member_leave(request, org_slug):
    try:
        services.membership_leave(organization=request.organization, actor=request.user)
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("member_list", org_slug=org_slug)
    messages.success(request, _("You left %(name)s.") % {"name": request.organization.name})
    return redirect("home")


# --- invites --------------------------------------------------------------------------------


class InviteCreateView(OrganizationViewMixin, View):
    required_capability = Capability.MEMBERS_MANAGE
    template_name = "organizations/invite_create.html"

    def _form(self, data=None):
        return InviteForm(data, can_invite_owners=self.has_capability(Capability.OWNERS_MANAGE))

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, {"form": self._form()})

    def post(self, request, *args, **kwargs):
        form = self._form(request.POST)
        if form.is_valid():
            try:
                invite, _raw = services.invite_create(
                    organization=self.organization, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Invite sent to %(email)s.") % {"email": invite.email})
                return redirect("member_list", org_slug=self.organization.slug)
        return render(request, self.template_name, {"form": form}, status=400)


@require_POST
@capability_required(Capability.MEMBERS_MANAGE)
def invite_revoke(request, org_slug, invite_id):
    try:
        invite = _get_or_404(
            lambda: services.invite_revoke(organization=request.organization, actor=request.user, invite_id=invite_id)
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("The invite for %(email)s was revoked.") % {"email": invite.email})
    return redirect("member_list", org_slug=org_slug)


_INVITE_ERROR_STATUS = {
    services.InviteError.NOT_FOUND: 404,
    services.InviteError.EXPIRED: 410,
    services.InviteError.REVOKED: 410,
    services.InviteError.USED: 410,
    services.InviteError.WRONG_EMAIL: 403,
    services.InviteError.ALREADY_MEMBER: 200,
}


def _invite_problem(request, reason, invite):
    request.session.pop(PENDING_INVITE_SESSION_KEY, None)
    return render(
        request,
        "organizations/invite_problem.html",
        {"reason": reason, "invite": invite},
        status=_INVITE_ERROR_STATUS[reason],
    )


def _invite_state(invite) -> str | None:
    status = invite.status
    return {
        Invite.Status.ACCEPTED: services.InviteError.USED,
        Invite.Status.REVOKED: services.InviteError.REVOKED,
        Invite.Status.EXPIRED: services.InviteError.EXPIRED,
    }.get(status)


def invite_accept(request, token):
    """The page an invite email links to. Anonymous visitors are asked to sign up (with the
    invited address) or log in; the token waits in the session and ``home`` brings them back."""
    invite = selectors.invite_for_token(token)
    if invite is None:
        return _invite_problem(request, services.InviteError.NOT_FOUND, None)
    problem = _invite_state(invite)
    if problem:
        return _invite_problem(request, problem, invite)

    if not request.user.is_authenticated:
        request.session[PENDING_INVITE_SESSION_KEY] = token
        return render(request, "organizations/invite_accept.html", {"invite": invite, "token": token})

    if request.method == "POST":
        try:
            membership = services.invite_accept(token=token, actor=request.user)
        except services.InviteError as exc:
            return _invite_problem(request, exc.reason, exc.invite or invite)
        request.session.pop(PENDING_INVITE_SESSION_KEY, None)
        messages.success(request, _("Welcome to %(name)s!") % {"name": membership.organization.name})
        return redirect(organization_home_url(membership.organization))

    if not services.user_has_verified_email(request.user, invite.email):
        return _invite_problem(request, services.InviteError.WRONG_EMAIL, invite)
    if selectors.membership_for(user=request.user, organization_slug=invite.organization.slug):
        return _invite_problem(request, services.InviteError.ALREADY_MEMBER, invite)
    return render(request, "organizations/invite_accept.html", {"invite": invite, "token": token})


# --- API keys -------------------------------------------------------------------------------


def reauthentication_required(view_func):
    """allauth's reauthentication decorator, for org pages: the person confirms who they are
    (password, or an authenticator code) if they have not recently, then comes back here.

    A POST that needs it is answered with a redirect to this page instead: allauth would store
    the POST and replay it by calling the view directly after the password, outside the
    tenancy middleware (no organization, no scope). The GET then asks for reauthentication."""
    guarded = allauth_reauthentication_required(view_func)

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        try:
            return guarded(request, *args, **kwargs)
        except ReauthenticationRequired:
            if request.method == "GET":
                raise  # allauth's middleware sends the person to reauthenticate, then back
            return HttpResponseRedirect(request.get_full_path())

    return wrapper


class ApiKeyListView(OrganizationViewMixin, TemplateView):
    required_capability = Capability.API_KEYS_MANAGE
    template_name = "organizations/api_key_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["api_keys"] = selectors.api_keys_of(self.organization)
        return context


class ApiKeyCreateView(OrganizationViewMixin, View):
    """Needs a recent password entry (checked after the capability, in get/post)."""

    required_capability = Capability.API_KEYS_MANAGE
    template_name = "organizations/api_key_create.html"

    @method_decorator(reauthentication_required)
    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, {"form": ApiKeyCreateForm()})

    @method_decorator(reauthentication_required)
    def post(self, request, *args, **kwargs):
        form = ApiKeyCreateForm(request.POST)
        if form.is_valid():
            try:
                api_key, raw = services.api_key_create(
                    organization=self.organization, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                # Rendered once, never stored: no redirect, and the page must not be cached.
                response = render(request, "organizations/api_key_created.html", {"api_key": api_key, "raw_key": raw})
                response["Cache-Control"] = "no-store"
                return response
        return render(request, self.template_name, {"form": form}, status=400)


@require_POST
@capability_required(Capability.API_KEYS_MANAGE)
def api_key_revoke(request, org_slug, api_key_id):
    api_key = _get_or_404(
        lambda: services.api_key_revoke(organization=request.organization, actor=request.user, api_key_id=api_key_id)
    )
    messages.success(request, _("%(label)s was revoked.") % {"label": api_key.label})
    return redirect("api_key_list", org_slug=org_slug)
