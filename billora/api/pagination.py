from django.core.paginator import Paginator
from django.http import HttpResponse
from rest_framework import exceptions, pagination
from rest_framework.renderers import JSONRenderer


class PageNumberPagination(pagination.PageNumberPagination):
    """The contract's list shape: count/next/previous/results, ?page= and ?page_size= (<= 100).

    A ``page`` or ``page_size`` that is not a positive integer is a 400 (DRF would silently use the
    default); larger than 100 is capped at 100."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({self.page_size_query_param: ["A positive integer is required."]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({self.page_query_param: ["A positive integer is required."]})
        return raw  # past the last page: DRF's 404 "Invalid page."

    known_count = None

    def paginate_queryset(self, queryset, request, view=None, *, known_count: int | None = None):
        """``known_count``: the number of rows ``queryset`` holds, when the caller has it without
        a COUNT query (``billing.selectors.invoice_count``)."""
        self.known_count = known_count
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        paginator = Paginator(object_list, per_page)
        if self.known_count is not None:
            paginator.count = self.known_count  # a cached_property: set, it is never computed
        return paginator

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = "Results per page: 25 by default, at most 100."
        return parameters

    def get_json_response(self, results_json: list[str]) -> HttpResponse:
        """The page's response when its results are JSON text already (the invoice list on
        PostgreSQL, ``billing.api.invoice_json``): the bytes DRF would render for the same data."""
        envelope = JSONRenderer().render(
            {"count": self.page.paginator.count, "next": self.get_next_link(), "previous": self.get_previous_link()}
        )
        # As DRF's renderer does: U+2028/U+2029 are valid JSON but end a line in JavaScript.
        results = ",".join(results_json).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        body = envelope[:-1] + b',"results":[' + results.encode() + b"]}"
        return HttpResponse(body, content_type="application/json")
