"""One exception handler for the API: DRF's shapes, plus the domain's errors mapped to HTTP.

* ``billing.exceptions.BillingValidationError`` -> 400 with its DRF-shaped ``errors`` dict;
* ``StateConflict`` (anything carrying a ``conflict_message``) -> 409 ``{"detail": ...}``;
* ``billing.exceptions.NotFound`` (an ``Http404``) -> 404, malformed JSON -> 400 (DRF's own).

The domain errors are recognised by the attributes they carry, so this project package does
not import the apps above it.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    billing_errors = getattr(exc, "billing_errors", None)
    if isinstance(billing_errors, dict):
        return Response(billing_errors, status=status.HTTP_400_BAD_REQUEST)
    conflict = getattr(exc, "conflict_message", None)
    if conflict is not None:
        return Response({"detail": str(conflict)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


class UnprocessableEntity(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used with a different request."
    default_code = "idempotency_key_reused"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."
    default_code = "idempotency_key_in_flight"
