from django.contrib import admin
from django.urls import include, path

from billora import views

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
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("organizations.urls")),
    path("o/<slug:org_slug>/", include(organization_patterns)),
    path("api/v1/", include("billora.api.urls")),
]
