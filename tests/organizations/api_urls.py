"""A test-only API endpoint (``pytest.mark.urls``) to exercise key authentication by itself."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.api.viewsets import TenantScopedAPIMixin
from organizations.models import ApiKey


class WhoAmIView(TenantScopedAPIMixin, APIView):
    def get(self, request):
        # A tenant query works here only because authentication opened the key's scope.
        return Response({"organization": self.organization.slug, "api_keys": ApiKey.objects.count()})

    def post(self, request):
        return Response({"ok": True}, status=201)


urlpatterns = [path("api/v1/whoami/", WhoAmIView.as_view())]
