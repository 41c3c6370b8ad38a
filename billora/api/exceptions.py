"""One exception handler for the API: DRF's shapes, plus the domain's errors mapped to HTTP."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    conflict = _as_conflict(exc)
    if conflict is not None:
        return Response({"detail": conflict}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def _as_conflict(exc):
    # billing.exceptions.StateConflict and friends carry a `conflict_message`; this keeps the
    # project package free of imports from the apps above it.
    return getattr(exc, "conflict_message", None)
