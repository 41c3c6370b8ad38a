"""The default cache on Redis, and what a Redis outage does to it.

The default cache holds allauth's rate-limit counters (login, failed logins, password reset,
signup) and its TOTP replay guard: limits, not data. If Redis is unreachable, failing those
calls would answer 500 to every sign-in. Instead, while it is down, a read is a miss, a write
is skipped and ``add`` reports success (allauth's short lock before counting then proceeds),
with a warning logged on every call: sign-in works, the limits are not applied until Redis is
back. ``incr`` and ``clear`` still raise: there is no honest made-up count, and clearing is an
operator's action that must say when it did not happen.

Only outages degrade (refused or dropped connections, timeouts, a server still loading); any
other Redis error is a bug and raises. The API throttle talks to the Redis client directly and
handles outages itself (``organizations.api.throttling``).
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)


def redis_cache_settings(location: str, *, key_prefix: str) -> dict:
    """The ``CACHES`` entry of a Redis cache at ``location`` (a ``redis://`` URL)."""
    return {
        "BACKEND": "billora.cache.DegradingRedisCache",
        "LOCATION": location,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


def _outage(operation: str, error: Exception) -> None:
    # No traceback: during an outage this is logged on every cache call.
    logger.warning("Cache unreachable, %s skipped; rate limits are not applied until it is back (%r)", operation, error)


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, degrading during a Redis outage as the module docstring says."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except OUTAGE_ERRORS as error:
            _outage("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except OUTAGE_ERRORS as error:
            _outage("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except OUTAGE_ERRORS as error:
            _outage("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except OUTAGE_ERRORS as error:
            _outage("add", error)
            return True

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except OUTAGE_ERRORS as error:
            _outage("set", error)
            return None

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except OUTAGE_ERRORS as error:
            _outage("set_many", error)
            return list(data)  # Django's contract: the keys that were not stored

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except OUTAGE_ERRORS as error:
            _outage("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except OUTAGE_ERRORS as error:
            _outage("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except OUTAGE_ERRORS as error:
            _outage("delete_many", error)
            return None
