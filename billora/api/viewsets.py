"""The base of every API v1 viewset: the tenant scope (organizations.api) plus idempotent POSTs."""

from rest_framework.filters import OrderingFilter

from billora.api.idempotency import IdempotentPostMixin
from organizations.api.viewsets import TenantViewSet


class ApiViewSet(IdempotentPostMixin, TenantViewSet):
    """Set ``model`` and override ``base_queryset``; writes call services with
    ``organization=self.organization`` and ``actor=self.request.auth`` (the ApiKey).

    Only the methods the schema documents are served (no HEAD/OPTIONS): anything else is 405."""

    http_method_names = ["get", "post", "patch", "delete"]


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` plus the primary key as the last key, so pages never repeat or skip rows
    that share a sort value."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return ordering
