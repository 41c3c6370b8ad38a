from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from organizations.selectors import memberships_for_user


@login_required
def home(request):
    """Send a person to their organization, or to create one when they have none yet."""
    membership = memberships_for_user(request.user).first()
    if membership is None:
        return redirect("organization_create")
    return redirect("dashboard", org_slug=membership.organization.slug)
