"""OpenAPI: every operation documents the errors api.md promises, in one place.

Views describe their success bodies; this schema class adds the error responses every
operation can give (401 without a valid key, 429 when throttled, 400/403/404/409/413/415/422 where
they apply) and the ``Idempotency-Key`` header of every POST, so no endpoint can forget them.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from billora.api.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")

    class Meta:
        ref_name = "ErrorDetail"


VALIDATION_ERROR = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {},
        "description": 'Messages per field, e.g. {"amount": ["..."]}; nested for items: '
        '{"items": [{}, {"quantity": ["..."]}]}.',
    },
    description="Validation error (also: a malformed JSON body).",
)


def _detail(description):
    return OpenApiResponse(response=ErrorDetailSerializer, description=description)


ERRORS = {
    "400": VALIDATION_ERROR,  # also: an unknown query parameter
    "401": _detail("No, an invalid or a revoked API key (see the WWW-Authenticate header)."),
    "403": _detail("The API key may not do this (a read_only key on a write)."),
    "404": _detail("No such object in the key's organization (or no such page)."),
    "409": _detail("Not allowed in the object's current state, or the same Idempotency-Key is still running."),
    "413": _detail("The request body is larger than the server accepts (10 MiB unless configured otherwise)."),
    "415": _detail("Send JSON (Content-Type: application/json)."),
    "422": _detail("This Idempotency-Key was used with a different request body."),
    "429": _detail("Too many requests for this API key; retry after Retry-After seconds."),
}


class BilloraAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    HEADER,
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=f"Up to {MAX_KEY_LENGTH} characters. A retry within 24 hours with the same key and "
                    f"body returns the first response again with `{REPLAYED_HEADER}: true`.",
                )
            )
        return parameters

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # An empty filter (?status=) means "no filter", as django-filter treats it.
            if parameter.get("in") == "query" and parameter.get("name") not in ("page", "page_size"):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ERRORS[code], code, media_types=["application/json"], direction=direction
                )
        return responses

    def _error_codes(self):
        codes = ["400", "401", "429"]  # 400: an invalid body, filter value or unknown query parameter
        has_id = "{" in self.path
        is_list = self._is_list_view()
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["403", "409"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if has_id or is_list:
            codes.append("404")  # unknown id, or a page past the end
        if self.method == "POST":
            codes.append("422")
        return codes
