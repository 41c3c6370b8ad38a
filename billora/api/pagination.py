from rest_framework import exceptions, pagination


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

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = "Results per page: 25 by default, at most 100."
        return parameters
