"""Who is acting and from where, for the audit log.

A context variable rather than a thread-local so it follows the code into async views and
Celery tasks alike. ``billora.middleware.RequestIdMiddleware`` binds it once per request,
web and API alike (request id, client IP, user agent), so an API request needs nothing more:
the API key is passed to ``audit.services.record`` as the actor and the entry gets the
request's IP and id. Tasks and commands bind ``system_context()`` of their own.
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""
    # True while a staff user acts through the admin on another organization's data.
    support_access: bool = False


_current: ContextVar[RequestContext | None] = ContextVar("audit_request_context", default=None)


def get_request_context() -> RequestContext:
    return _current.get() or RequestContext()


@contextmanager
def bound_request_context(context: RequestContext | None = None, **changes):
    """Bind ``context`` (or the current one with ``changes``) for the duration of the block."""
    new = replace(context or get_request_context(), **changes)
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)


@contextmanager
def system_context(request_id: str = ""):
    """Bind the context of work no person started: Celery tasks and management commands.

    No IP and no user agent; ``request_id`` is the task id (``self.request.id`` in a bound
    task) so entries can be traced to the task's log lines; a fresh id when none is given.
    Entries recorded with ``actor=None`` inside it read as done by ``system``.
    """
    context = RequestContext(request_id=(request_id or f"system-{uuid.uuid4().hex}")[:128])
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
