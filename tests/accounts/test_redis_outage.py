"""Sign-in during a Redis outage: allauth keeps its rate-limit counters in the default cache;
when Redis goes away, login and password reset keep working (the limits are not applied until
it is back) and a warning is logged, instead of a 500 for everyone.

A real redis-server is started for the test on a free port, the settings' cache points at it,
and it is stopped in the middle of the test."""

import logging
import os
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.core import mail
from django.test import Client

from billora.cache import redis_cache_settings
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server: (port, stop()). Stopped at the end whatever happens."""
    if REDIS_SERVER is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("BILLORA_REQUIRE_REDIS") == "1":
            pytest.fail(f"BILLORA_REQUIRE_REDIS=1 but {message}")
        pytest.skip(message)
    port = _free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the test's redis-server did not start")
            time.sleep(0.05)

    def stop():
        process.terminate()
        process.wait(timeout=10)

    yield port, client, stop
    if process.poll() is None:
        stop()


@pytest.fixture
def cache_on(redis_server, settings):
    port, client, stop = redis_server
    settings.CACHES = {"default": redis_cache_settings(f"redis://127.0.0.1:{port}/0", key_prefix="outage-test")}
    return client, stop


def _logged_in(client) -> bool:
    return client.get("/account/security/").status_code == 200


def test_login_and_password_reset_keep_working_while_redis_is_down(cache_on, caplog):
    redis_client, stop_redis = cache_on
    user = UserFactory(email="during-outage@example.com")

    before = Client()
    assert before.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}).status_code == 302
    assert _logged_in(before)
    # The rate limiter really counted in this server.
    assert any(b"allauth" in key for key in redis_client.keys("*"))

    stop_redis()
    caplog.set_level(logging.WARNING, logger="billora.cache")

    browser = Client(raise_request_exception=True)
    wrong = browser.post("/accounts/login/", {"login": user.email, "password": "not the password"})
    assert wrong.status_code == 200
    assert wrong.context["form"].non_field_errors()
    right = browser.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert right.status_code == 302
    assert _logged_in(browser)

    reset = Client().post("/accounts/password/reset/", {"email": user.email})
    assert reset.status_code == 302
    assert [message.to for message in mail.outbox] == [[user.email]]

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings, "the outage must be logged"
    assert all("unreachable" in record.getMessage() for record in warnings)


def test_the_cache_works_normally_while_redis_is_up(cache_on):
    from django.core.cache import cache

    cache.set("greeting", "hello", 30)
    assert cache.get("greeting") == "hello"
    assert cache.add("greeting", "again", 30) is False
    assert cache.get_many(["greeting", "missing"]) == {"greeting": "hello"}
    assert cache.delete("greeting") is True
    assert cache.get("greeting", "gone") == "gone"


def test_while_redis_is_down_reads_miss_writes_are_skipped_and_add_succeeds(cache_on, caplog):
    from django.core.cache import cache

    _redis_client, stop_redis = cache_on
    stop_redis()
    with caplog.at_level(logging.WARNING, logger="billora.cache"):
        assert cache.get("anything", "default") == "default"
        assert cache.set("anything", 1, 30) is None
        # allauth takes a lock with add() before counting: the lock must not block sign-in.
        assert cache.add("anything", 1, 30) is True
        assert cache.get_many(["a", "b"]) == {}
        assert cache.delete("anything") is False
        assert cache.has_key("anything") is False
    assert len(caplog.records) == 6
    # Counting cannot pretend: incr still raises, so nothing relies on a made-up count.
    with pytest.raises(redis.ConnectionError):
        cache.incr("anything")
