"""The base of every API v1 viewset: the tenant scope (organizations.api) plus idempotent POSTs
and strict query strings."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from billora.api.idempotency import IdempotentPostMixin
from billora.api.parsers import JSONParser
from organizations.api.viewsets import TenantViewSet


class StrictQueryMixin:
    """A query parameter the endpoint does not document is a 400, not silently ignored: a
    misspelt filter (``?stauts=paid``) would otherwise return every row."""

    extra_query_params = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            return  # the view answers 405 whatever the query says
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            raise exceptions.ValidationError({name: ["Unknown query parameter."] for name in unknown})
        # PostgreSQL cannot compare text with NUL; refuse it here, in the API's error shape.
        with_nul = sorted(name for name, values in request.query_params.lists() if any("\x00" in v for v in values))
        if with_nul:
            raise exceptions.ValidationError({name: ["Null characters are not allowed."] for name in with_nul})

    def allowed_query_params(self) -> set[str]:
        allowed = set(self.extra_query_params)
        if self.action != "list":
            return allowed
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        for backend in getattr(self, "filter_backends", ()):
            if issubclass(backend, SearchFilter) and getattr(self, "search_fields", None):
                allowed.add(backend.search_param)
            if issubclass(backend, OrderingFilter) and getattr(self, "ordering_fields", None):
                allowed.add(backend.ordering_param)
        paginator = self.paginator
        if paginator is not None:
            allowed |= {paginator.page_query_param, paginator.page_size_query_param}
        return allowed


class ApiViewSet(IdempotentPostMixin, StrictQueryMixin, TenantViewSet):
    """Set ``model`` and override ``base_queryset``; writes call services with
    ``organization=self.organization`` and ``actor=self.request.auth`` (the ApiKey).

    Only the methods the schema documents are served (no HEAD/OPTIONS): anything else is 405."""

    http_method_names = ["get", "post", "patch", "delete"]
    parser_classes = [JSONParser]
    # Any id-like segment reaches the view, so a malformed id is a JSON 404 like a missing one.
    lookup_value_regex = "[^/]+"


class PresentedMixin:
    """``list`` and ``retrieve`` written by the resource's presenter, the one function that turns
    its rows into the dicts the API returns (writes respond with it too). The serializer class
    only declares the schema and parses bodies.

    ``present(rows)`` takes the page's rows (what ``list_queryset`` yields, by default model
    instances) and returns their dicts in the same order."""

    def present(self, rows) -> list[dict]:
        raise NotImplementedError

    def present_one(self, row) -> dict:
        return self.present([row])[0]

    def list_queryset(self, queryset):
        """The filtered, ordered queryset the page is cut from (e.g. ``.values()`` rows)."""
        return queryset

    def list(self, request, *args, **kwargs):
        queryset = self.list_queryset(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.present(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self.present_one(self.get_object()))


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` plus the primary key as the last key, so pages never repeat or skip rows
    that share a sort value."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return ordering


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter, built only when the query names one of the filters: a FilterSet
    deep-copies every filter it has on each request, which a plain list need not pay for.
    (StrictQueryMixin has already refused any parameter the endpoint does not know.)"""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and request.query_params.keys().isdisjoint(filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)
