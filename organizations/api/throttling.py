"""The per-API-key rate limit: a sliding-window counter.

DRF's ``SimpleRateThrottle`` keeps every request's timestamp of the last window in one cache
value that each request reads, trims and writes back: two workers reading the same list lose
each other's writes (a key gets more than its rate), and at a high rate the list pickled to
and from Redis grows with every request. Here a key has one integer per fixed window, and the
previous window's count, weighted by the part of it still inside the sliding window, plus the
current one estimates the requests of the last ``duration`` seconds. On Redis that is one
round trip (INCR, EXPIRE, GET in a transaction): atomic across workers and O(1) per request
whatever the rate. If the cache is unreachable the request is allowed and a warning logged:
the throttle must not take the API down.
"""

import logging
import math

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# Redis failures, and socket errors from any other cache backend.
CACHE_ERRORS = (RedisError, OSError)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key, counted in the shared cache (Redis when configured)."""

    scope = "api_key"
    cache_alias = "default"

    @property
    def cache(self):
        # The backend itself, not django.core.cache.cache (a proxy): the Redis path needs its client.
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
        self.current_key = f"{key}:{window}"
        try:
            count, self.previous_count = self._count_request(self.current_key, f"{key}:{window - 1}")
        except CACHE_ERRORS as error:
            # No traceback: while Redis is down this is logged on every request.
            logger.warning("API throttle: the cache is unreachable, request allowed (%r)", error)
            return True

        # previous * (1 - elapsed / duration) + count <= limit, without dividing (exact on boundaries).
        weighted = self.previous_count * (self.duration - self.elapsed) + count * self.duration
        if weighted <= self.num_requests * self.duration:
            return True
        self.current_count = count - 1  # without this request, which is not counted
        self._uncount_request(self.current_key)
        return False

    def _count_request(self, current_key, previous_key):
        """Count the request in the current window; return that count and the previous window's."""
        cache = self.cache
        # Twice the duration: the current window's count still serves as "previous" in the next.
        timeout = 2 * self.duration
        if isinstance(cache, RedisCache):
            current, previous = cache.make_key(current_key), cache.make_key(previous_key)
            # The backend stores ints unpickled, so INCR works on its keys and GET returns digits.
            pipeline = cache._cache.get_client(current, write=True).pipeline(transaction=True)
            count, _, previous_count = pipeline.incr(current).expire(current, timeout).get(previous).execute()
            return count, int(previous_count or 0)
        # Other backends: add + incr is atomic within a process (local memory, used without Redis).
        cache.add(current_key, 0, timeout)
        return cache.incr(current_key), cache.get(previous_key, 0)

    def _uncount_request(self, current_key):
        cache = self.cache
        try:
            if isinstance(cache, RedisCache):
                current = cache.make_key(current_key)
                cache._cache.get_client(current, write=True).decr(current)
            else:
                cache.decr(current_key)
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
