"""Request id and the one structured log line per request; JSON for API bodies over the limit."""

import logging
import re
import time
import uuid

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, RequestDataTooBig
from django.http import JsonResponse

from audit.context import RequestContext, bound_request_context

logger = logging.getLogger("billora.requests")

# An incoming id is honoured only if it is short and harmless in a log line or a header.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def client_ip(request) -> str | None:
    """The client's address as allauth's rate limits see it: from ``X-Forwarded-For`` behind
    ``ALLAUTH_TRUSTED_PROXY_COUNT`` proxies, else ``REMOTE_ADDR``."""
    try:
        return get_account_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        # No usable address, or fewer forwarded addresses than trusted proxies (a request that
        # did not come through them): what the socket says is all there is.
        return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _ACCEPTABLE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        context = RequestContext(
            request_id=request.id,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:500],
        )
        with bound_request_context(context):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        self._log(request, response, started)
        return response

    def _log(self, request, response, started):
        # An API request's key: DRF sets what authenticated it as ``auth`` on this request too
        # ("available to any middleware in the stack"); the key fixes the organization.
        api_key = getattr(request, "auth", None)
        organization = getattr(request, "organization", None) or getattr(api_key, "organization", None)
        user = getattr(request, "user", None)
        fields = {
            "request_id": request.id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "org": organization.slug if organization is not None else "-",
            "user": str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else "-",
            "api_key": getattr(api_key, "prefix", "-"),
        }
        # The same fields twice: in the line for people, as keys for LOG_FORMAT=json.
        logger.info(" ".join(f"{name}=%s" for name in fields), *fields.values(), extra=fields)


class ApiBodyTooLargeMiddleware:
    """Django answers a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with its HTML 400 page; an API
    client gets JSON 413 ``{"detail": ...}`` like every other API error. Nothing has run yet
    when the body is read, so nothing was written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RequestDataTooBig) or not request.path.startswith("/api/"):
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse({"detail": f"The request body is larger than the {limit} bytes allowed."}, status=413)
