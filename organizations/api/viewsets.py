"""The base every API viewset derives from: it only ever sees the key's organization."""

from contextlib import ExitStack

from rest_framework import viewsets

from organizations.rls import read_request_transaction
from organizations.tenancy import organization_scope


class TenantScopedAPIMixin:
    """Opens the key's organization scope right after authentication and keeps it open until
    the response is built. ``self.organization`` is the key's organization."""

    organization = None

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            stack.enter_context(read_request_transaction(request))  # from authentication on
            self._scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        self.organization = request.auth.organization
        self._scope_stack.enter_context(organization_scope(self.organization))


class TenantViewSet(TenantScopedAPIMixin, viewsets.GenericViewSet):
    """Subclasses add the mixins they need and set ``model`` (not ``queryset``: a scoped
    manager cannot be queried at import time). ``base_queryset`` adds select/prefetch;
    the organization filter is applied explicitly too (the scope is the safety net)."""

    model = None

    def base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request scope
            return self.model.objects.none()
        return self.base_queryset().filter(organization=self.organization)
