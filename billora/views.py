"""Project-level views: health check and the error pages."""

import logging
import sys

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down"; the reason goes to the log
        logger.exception("health check: database unreachable")
        return False


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except redis.RedisError:
        logger.exception("health check: redis unreachable")
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": "ok" if _database_ok() else "down"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "down"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


# A lost or refused database connection (restart, failover, network cut, lock timeout) is an
# outage, not a bug: the request's transaction was rolled back, so answer 503 + Retry-After.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def server_error(request):
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    return render(request, "500.html", status=500)


def service_unavailable(request):
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "The service is briefly unavailable; nothing was saved. Retry in a moment."}, status=503
        )
    else:  # the 500 page needs no database and already says nothing was saved half-way
        response = render(request, "500.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
