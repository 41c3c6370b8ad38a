"""Who is acting and from where, for the audit log.

A context variable rather than a thread-local so it follows the code into async views and
Celery tasks alike. The request middleware binds it per request, API authentication
refines it, and tasks bind a ``system`` context of their own.
"""

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
