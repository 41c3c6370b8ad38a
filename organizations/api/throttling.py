"""The per-API-key rate limit: a sliding-window counter on Django's cache API.

DRF's ``SimpleRateThrottle`` keeps every request's timestamp of the last window in one cache
value that each request reads, trims and writes back: two workers reading the same list lose
each other's writes (a key gets more than its rate), and at a high rate the list pickled to
and from Redis grows with every request. Here a key has one integer per fixed window, and the
previous window's count, weighted by the part of it still inside the sliding window, plus the
current one estimates the requests of the last ``duration`` seconds.

The counter is ``cache.incr`` (Redis INCRBY; a lock-protected update in local memory), created
by ``cache.add`` (SET NX) on a window's first request: atomic across workers and O(1) per
request whatever the rate, through the public cache API only. If the cache is unreachable
the request is allowed and a warning logged: the throttle must not take the API down.
"""

import logging
import math

from django.core.cache import caches
from redis import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# What the cache backends raise when their server is unreachable: Redis's errors, and socket
# errors (OSError) from the others.
CACHE_ERRORS = (RedisError, OSError)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key, counted in the shared cache (Redis when configured)."""

    scope = "api_key"
    cache_alias = "default"

    @property
    def cache(self):
        # Looked up per request, so a settings change (tests) is seen.
        return caches[self.cache_alias]

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        if api_key is None or not hasattr(api_key, "prefix"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.prefix}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True

        self.now = self.timer()
        window = math.floor(self.now / self.duration)
        self.elapsed = self.now - window * self.duration
        current_key = f"{key}:{window}"
        try:
            count = self._count_request(current_key)
            self.previous_count = self.cache.get(f"{key}:{window - 1}", 0)
        except CACHE_ERRORS as error:
            # No traceback: while Redis is down this is logged on every request.
            logger.warning("API throttle: the cache is unreachable, request allowed (%r)", error)
            return True

        # previous * (1 - elapsed / duration) + count <= limit, without dividing (exact on boundaries).
        weighted = self.previous_count * (self.duration - self.elapsed) + count * self.duration
        if weighted <= self.num_requests * self.duration:
            return True
        self.current_count = count - 1  # without this request, which is not counted
        self._uncount_request(current_key)
        return False

    def _count_request(self, current_key) -> int:
        """Count the request in its window; return the window's count including it."""
        try:
            return self.cache.incr(current_key)
        except ValueError:  # the window's first request: no counter yet
            pass
        # Twice the duration: the current window's count still serves as "previous" in the next.
        if self.cache.add(current_key, 1, 2 * self.duration):
            return 1
        return self.cache.incr(current_key)  # another worker created it in between

    def _uncount_request(self, current_key) -> None:
        try:
            self.cache.decr(current_key)
        except (*CACHE_ERRORS, ValueError) as error:
            # Still denied; the key counts one request too many until its window ends.
            logger.warning("API throttle: could not uncount a denied request (%r)", error)

    def wait(self):
        """Seconds until a request is allowed again, if the key sends nothing meanwhile.

        With limit L, duration D, p requests in the previous window, c in this one and e seconds
        into it, a request s seconds later is allowed when p * (D - e - s) / D + c + 1 <= L.
        If c < L that happens in this window, at s = D - e - (L - c - 1) * D / p. If c = L, only
        in the next window, whose previous count is L: D / L into it, so s = D - e + D / L.
        The estimate never rises while the key is idle, so retrying any later is allowed too.

        The wait can exceed D, by at most D / L: the estimate assumes the previous window's
        requests were spread evenly, so a burst at its start keeps weighing after it left the
        sliding window.
        """
        limit, duration = self.num_requests, self.duration
        if limit < 1:
            return None  # nothing is ever allowed
        # current_count exceeds the limit only while concurrent denials are not yet uncounted;
        # below it a denial implies previous_count > 0 (checked anyway: no ZeroDivisionError).
        if self.current_count < limit and self.previous_count:
            seconds = duration - self.elapsed - (limit - self.current_count - 1) * duration / self.previous_count
        else:
            seconds = duration - self.elapsed + duration / limit
        # Denied means a positive wait; the floor only guards against rounding (Retry-After >= 1).
        return max(seconds, 0.001)
