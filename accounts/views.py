from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import user_end_all_sessions
from organizations.selectors import memberships_for_user
from organizations.views import PENDING_INVITE_SESSION_KEY


@login_required
def home(request):
    """Send a person to a pending invite, to their organization, or to create one."""
    # One-shot: the invite page itself decides whether the token is still good.
    token = request.session.pop(PENDING_INVITE_SESSION_KEY, None)
    if token:
        return redirect("invite_accept", token=token)
    membership = memberships_for_user(request.user).first()
    if membership is None:
        return redirect("organization_create")
    return redirect("dashboard", org_slug=membership.organization.slug)


@login_required
def security(request):
    return render(request, "account/security.html")


@require_POST
@login_required
def logout_everywhere(request):
    user_end_all_sessions(user=request.user)
    logout(request)
    messages.success(request, _("You were logged out on every device and browser."))
    return redirect("account_login")
