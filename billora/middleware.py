"""Request id and the one structured log line per request."""

import logging
import re
import time
import uuid

from audit.context import RequestContext, bound_request_context

logger = logging.getLogger("billora.requests")

# An incoming id is honoured only if it is short and harmless in a log line or a header.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def client_ip(request) -> str | None:
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
