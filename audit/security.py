"""The security log: sign-in and credential events, which belong to a person, not to an
organization (see ``SecurityEvent``). Written by the signal receivers in
``audit.receivers``; never raises into the login flow it observes."""

import logging

from django.db import transaction

from audit.context import get_request_context
from audit.models import SecurityEvent
from audit.services import _normalize_ip

logger = logging.getLogger(__name__)


def record_security_event(*, event, user=None, email="", request=None, detail=None) -> SecurityEvent | None:
    """Write one security event with the request's IP, user agent and request id."""
    context = get_request_context()
    ip, user_agent, request_id = context.ip, context.user_agent, context.request_id
    if not request_id and request is not None:
        # Outside the middleware (e.g. a login driven by a test RequestFactory).
        ip = request.META.get("REMOTE_ADDR")
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        request_id = getattr(request, "id", "")
    if not email and user is not None:
        email = getattr(user, "email", "") or ""
    try:
        # A savepoint: a failed write must not poison the transaction of the flow observed.
        with transaction.atomic():
            return SecurityEvent.objects.create(
                event=event,
                user=user if getattr(user, "pk", None) else None,
                email=str(email)[:254],
                detail=detail or {},
                ip=_normalize_ip(ip),
                user_agent=(user_agent or "")[:500],
                request_id=(request_id or "")[:128],
            )
    except Exception:
        # A failing log write must not turn a login into a 500; it is logged loudly instead.
        logger.exception("Could not record security event %s for %s", event, email)
        return None
