from django.contrib import admin
from django.urls import include, path

from billora import metrics, views

handler404 = "billora.views.page_not_found"
handler500 = "billora.views.server_error"

# Everything a member does inside an organization lives under /o/<org_slug>/; the tenancy
# middleware resolves the organization from that kwarg and opens its scope.
organization_patterns = [
    path("", include("billing.urls")),
    path("", include("organizations.urls_org")),
    path("", include("audit.urls")),
    path("", include("documents.urls")),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The footer's language switcher posts here (Django's set_language: cookie, then back).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("organizations.urls")),
    path("o/<slug:org_slug>/", include(organization_patterns)),
    path("api/v1/", include("billora.api.urls")),
]
