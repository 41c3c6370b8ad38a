"""The per-API-key throttle: a sliding-window counter, exact per key, atomic on Redis, O(1).

Time is a fake clock set on the throttle's ``timer``; most tests run on both cache backends
(local memory, and Redis when ``REDIS_URL`` is set).
"""

import logging
import threading
from types import SimpleNamespace

import pytest
import redis
from django.core.cache import caches

from organizations.api.throttling import ApiKeyRateThrottle
from tests.api.conftest import client_for

PING = "/api/v1/ping/"
MINUTE = 60
WINDOW = 29_000_000  # a window number around 2025, in minutes since the epoch


class Clock:
    """A settable ``timer``; an instance, not a function, so it is not bound as a method."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def at(window, seconds):
    return window * MINUTE + seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(at(WINDOW, 0))
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", clock)
    return clock


def redis_cache_settings(location):
    # A key prefix, as in production: the Redis path must build its keys with make_key.
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location, "KEY_PREFIX": "thr"}


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, settings):
    if request.param == "redis":
        settings.CACHES = {"default": redis_cache_settings(settings.REDIS_URL)}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].clear()
    return request.param


@pytest.fixture
def redis_backend(settings):
    settings.CACHES = {"default": redis_cache_settings(settings.REDIS_URL)}
    caches["default"].clear()


def throttled_at(monkeypatch, rate):
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", rate, raising=False)


def request_for(prefix="abcd1234"):
    return SimpleNamespace(auth=SimpleNamespace(prefix=prefix))


def window_key(window, prefix="abcd1234"):
    """The cache key (before the backend's prefix) counting a window's requests."""
    return f"throttle_api_key_{prefix}:{window}"


def send(clock=None, seconds=None, prefix="abcd1234"):
    """One request through a fresh throttle (DRF makes one per request); returns the throttle."""
    if seconds is not None:
        clock.now = seconds
    throttle = ApiKeyRateThrottle()
    throttle.allowed = throttle.allow_request(request_for(prefix), view=None)
    return throttle


# --- over HTTP -----------------------------------------------------------------------------


def test_the_rate_is_enforced_per_key_with_retry_after(monkeypatch, clock, backend, rw_key, ro_key):
    throttled_at(monkeypatch, "3/minute")
    clock.now = at(WINDOW, 1)
    client = client_for(rw_key[1])
    assert [client.get(PING).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(PING)
    assert response.status_code == 429
    # 59 s to the next window, then 20 s more for the 3 requests' weight to fall to 2.
    assert response["Retry-After"] == "79"
    assert client_for(ro_key[1]).get(PING).status_code == 200

    clock.now = at(WINDOW, 1 + 78.5)
    assert client.get(PING).status_code == 429
    clock.now = at(WINDOW, 1 + 79)
    assert client.get(PING).status_code == 200


def test_requests_without_an_api_key_are_not_counted(monkeypatch, backend):
    throttled_at(monkeypatch, "1/minute")
    throttle = ApiKeyRateThrottle()
    assert all(throttle.allow_request(SimpleNamespace(auth=None), view=None) for _ in range(5))


def test_without_a_rate_attribute_the_settings_rate_applies(monkeypatch, settings):
    monkeypatch.delattr(ApiKeyRateThrottle, "rate")
    throttle = ApiKeyRateThrottle()
    assert throttle.rate == settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]
    assert (throttle.num_requests, throttle.duration) == (120, 60)


# --- the window math -----------------------------------------------------------------------


def test_denied_requests_are_not_counted(monkeypatch, clock, backend):
    throttled_at(monkeypatch, "3/minute")
    assert [send(clock, at(WINDOW, 1)).allowed for _ in range(3)] == [True] * 3
    assert not any(send(clock, at(WINDOW, 30)).allowed for _ in range(10))
    assert caches["default"].get(window_key(WINDOW)) == 3

    # 45 s into the next window the previous one weighs 3 * 0.25: two more fit (thirteen would not).
    assert [send(clock, at(WINDOW + 1, 45)).allowed for _ in range(3)] == [True, True, False]
    # Once both windows are behind, the full quota is back.
    assert [send(clock, at(WINDOW + 3, 0)).allowed for _ in range(4)] == [True, True, True, False]


def test_a_burst_at_30_seconds_after_a_full_window(monkeypatch, clock, backend):
    throttled_at(monkeypatch, "10/minute")
    assert all(send(clock, at(WINDOW, seconds)).allowed for seconds in range(0, 60, 6))
    assert not send(clock, at(WINDOW, 59)).allowed
    # 10 * 0.5 + n <= 10: five allowed, the sixth denied.
    assert [send(clock, at(WINDOW + 1, 30)).allowed for _ in range(6)] == [True] * 5 + [False]


@pytest.mark.parametrize(
    ("previous", "seconds", "allowed", "wait"),
    [
        # In this window: p * (60 - 30 - s) / 60 + 5 + 1 <= 10 at s = 30 - 4 * 6.
        (10, 30, 5, 6),
        (4, 30, 8, 15),
        (10, 0, 0, 6),
        # Only in the next one, whose previous count is 10: 6 s into it.
        (0, 59, 10, 7),
        # The longest wait, duration + duration / limit: a full burst at a window's start.
        (0, 0, 10, 66),
        # The next window's start exactly: its estimate is 9 * 1 + 1.
        (2, 30, 9, 30),
    ],
)
def test_retrying_after_the_reported_wait_is_allowed(monkeypatch, clock, backend, previous, seconds, allowed, wait):
    throttled_at(monkeypatch, "10/minute")
    assert all(send(clock, at(WINDOW - 1, 0)).allowed for _ in range(previous))
    now = at(WINDOW, seconds)
    assert [send(clock, now).allowed for _ in range(allowed)] == [True] * allowed
    denied = send(clock, now)
    assert not denied.allowed
    assert denied.wait() == pytest.approx(wait)

    assert not send(clock, now + wait - 0.5).allowed
    assert send(clock, now + wait).allowed


def test_wait_is_never_negative_nor_zero(monkeypatch, clock, backend):
    throttled_at(monkeypatch, "10/minute")
    assert all(send(clock, at(WINDOW - 1, 0)).allowed for _ in range(10))
    assert send(clock, at(WINDOW, 6)).allowed
    # Denied just before the estimate falls to the limit: the wait is tiny but positive.
    denied = send(clock, at(WINDOW, 12) - 1e-6)
    assert not denied.allowed
    assert 0 < denied.wait() < 1


def test_a_limit_of_one_waits_for_the_window_after_next(monkeypatch, clock, backend):
    throttled_at(monkeypatch, "1/minute")
    assert send(clock, at(WINDOW, 30)).allowed
    denied = send(clock, at(WINDOW, 30))
    # The previous window's single request weighs more than nothing until its successor ends.
    assert denied.wait() == pytest.approx(90)
    assert not send(clock, at(WINDOW + 1, 59)).allowed
    assert send(clock, at(WINDOW + 2, 0)).allowed


# --- storage, atomicity, round trips -------------------------------------------------------


def test_the_stored_value_is_one_integer_whatever_the_count(monkeypatch, clock, backend):
    throttled_at(monkeypatch, "100000000/minute")
    assert all(send(clock, at(WINDOW, 10)).allowed for _ in range(1000))
    assert caches["default"].get(window_key(WINDOW)) == 1000


def redis_client(settings):
    """A client of its own, to look at what the throttle stored (not the cache backend's)."""
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.mark.redis
def test_on_redis_a_window_is_one_integer_key(monkeypatch, clock, redis_backend, settings):
    throttled_at(monkeypatch, "100000000/minute")
    cache = caches["default"]
    client = redis_client(settings)
    key = cache.make_key(window_key(WINDOW))
    sizes = []
    for sent in range(1, 1001):
        assert send(clock, at(WINDOW, 10)).allowed
        if sent in (10, 1000):
            assert client.get(key) == str(sent).encode()
            assert client.object("encoding", key) == b"int"
            sizes.append(client.memory_usage(key))
    assert sizes[0] == sizes[1]
    # Nothing else is stored, and the key outlives the next window (where it is "previous").
    assert client.keys(cache.make_key("throttle_*")) == [key.encode()]
    assert MINUTE < client.ttl(key) <= 2 * MINUTE


@pytest.mark.redis
def test_a_request_costs_the_same_redis_commands_whatever_the_count(monkeypatch, clock, redis_backend):
    throttled_at(monkeypatch, "2/minute")
    commands = []
    execute_command = redis.Redis.execute_command

    def recording(client, *args, **options):
        commands.append(args[0])
        return execute_command(client, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", recording)

    def commands_of_one_request():
        commands.clear()
        allowed = send(clock, at(WINDOW, 0)).allowed
        return allowed, list(commands)

    # The window's first request creates its counter (SET NX with the expiry) ...
    assert commands_of_one_request() == (True, ["EXISTS", "SET", "GET"])
    # ... every later one increments it (Django's incr checks that the key exists first).
    assert commands_of_one_request() == (True, ["EXISTS", "INCRBY", "GET"])
    # A denial takes its request back (Django's decr is an INCRBY of -1).
    denial = ["EXISTS", "INCRBY", "GET", "EXISTS", "INCRBY"]
    assert commands_of_one_request() == (False, denial)
    assert commands_of_one_request() == (False, denial)


def test_a_counter_created_by_another_worker_in_between_is_incremented(monkeypatch, clock, backend):
    """Two first requests of a window: the one whose ``add`` loses counts on the winner's counter."""
    throttled_at(monkeypatch, "2/minute")
    cache = caches["default"]
    incr = type(cache).incr
    raced = []

    def incr_losing_the_race(self, key, delta=1, version=None):
        if not raced:
            raced.append(key)
            cache.add(window_key(WINDOW), 1, 2 * MINUTE)  # the other worker's first request
            raise ValueError("no counter yet")
        return incr(self, key, delta, version)

    monkeypatch.setattr(type(cache), "incr", incr_losing_the_race)
    assert send(clock, at(WINDOW, 0)).allowed
    assert raced
    assert cache.get(window_key(WINDOW)) == 2
    assert not send(clock, at(WINDOW, 0)).allowed


def test_concurrent_requests_get_exactly_the_limit(monkeypatch, clock, backend):
    threads = 16
    throttled_at(monkeypatch, "50/minute")
    clock.now = at(WINDOW, 30)
    start = threading.Barrier(threads)
    allowed = []

    def hammer():
        start.wait()
        answers = [send().allowed for _ in range(20)]
        allowed.extend(answers)

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(allowed) == threads * 20
    assert sum(allowed) == 50
    assert caches["default"].get(window_key(WINDOW)) == 50  # every denial was uncounted


# --- cache failures ------------------------------------------------------------------------


def test_an_unreachable_redis_lets_requests_through_with_a_warning(monkeypatch, settings, caplog, rw_key):
    throttled_at(monkeypatch, "1/minute")
    settings.CACHES = {"default": redis_cache_settings("redis://127.0.0.1:1/0")}
    client = client_for(rw_key[1])
    with caplog.at_level(logging.WARNING, logger="organizations.api.throttling"):
        assert [client.get(PING).status_code for _ in range(3)] == [200, 200, 200]
    assert "cache is unreachable" in caplog.text


@pytest.mark.redis
def test_a_redis_error_lets_the_request_through(monkeypatch, clock, redis_backend, caplog):
    throttled_at(monkeypatch, "1/minute")

    def refuse(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(redis.Redis, "execute_command", refuse)
    with caplog.at_level(logging.WARNING, logger="organizations.api.throttling"):
        assert send(clock, at(WINDOW, 0)).allowed
        assert send(clock, at(WINDOW, 0)).allowed
    assert "ConnectionError" in caplog.text


def test_a_failing_local_cache_lets_requests_through(monkeypatch, clock, settings, caplog):
    throttled_at(monkeypatch, "1/minute")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    def refuse(*args, **kwargs):
        raise ConnectionError("down")

    monkeypatch.setattr(type(caches["default"]), "incr", refuse)
    with caplog.at_level(logging.WARNING, logger="organizations.api.throttling"):
        assert send(clock, at(WINDOW, 0)).allowed
    assert "cache is unreachable" in caplog.text
