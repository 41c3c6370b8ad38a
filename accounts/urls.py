from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from django.urls import path
from django.views.decorators.cache import never_cache

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/security/", views.security, name="account_security"),
    path("account/logout-everywhere/", views.logout_everywhere, name="account_logout_everywhere"),
    # allauth's pages that show a secret (the authenticator app's key while it is set up, the
    # recovery codes): never stored by the browser or a proxy. Same paths and names as
    # allauth's, matched first because these patterns are included before allauth's.
    path("accounts/2fa/totp/activate/", never_cache(totp_views.activate_totp), name="mfa_activate_totp"),
    path(
        "accounts/2fa/recovery-codes/",
        never_cache(recovery_code_views.view_recovery_codes),
        name="mfa_view_recovery_codes",
    ),
]
