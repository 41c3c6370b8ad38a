"""Test setup shared by the whole suite.

* Celery runs eagerly in tests (integration tests that start a real worker switch it off).
* ``postgres``-marked tests need PostgreSQL; on SQLite they are skipped with the reason shown,
  unless ``BILLORA_REQUIRE_POSTGRES=1`` (CI), where running them on SQLite is an error.
* ``redis``-marked tests need ``REDIS_URL``; ``BILLORA_REQUIRE_REDIS=1`` makes that mandatory.
* On PostgreSQL with ``BILLORA_RLS`` on (the default), the suite connects as ``APP_ROLE``, a
  role the row-level security policies bind, as production does; migrations ran as the owner.
* The translation catalogs are compiled (as ``make compilemessages`` does) when a ``.po`` is
  newer than its ``.mo``, so a bare ``pytest`` tests the translations in the tree.
"""

import io
import os

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"

import pytest
from django.conf import settings


def _is_postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    require_postgres = os.environ.get("BILLORA_REQUIRE_POSTGRES") == "1"
    require_redis = os.environ.get("BILLORA_REQUIRE_REDIS") == "1"
    if require_postgres and not _is_postgres():
        raise pytest.UsageError("BILLORA_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL.")
    if require_redis and not settings.REDIS_URL:
        raise pytest.UsageError("BILLORA_REQUIRE_REDIS=1 but REDIS_URL is not set.")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... to run it")
    skip_redis = pytest.mark.skip(reason="needs Redis and a Celery worker: set REDIS_URL to run it")
    for item in items:
        if "postgres" in item.keywords and not _is_postgres():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


APP_ROLE = "billora_app_test"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.BILLORA_RLS:
        yield
        return
    owner = connection.settings_dict["USER"]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Roles belong to the whole server, so another test database may have made it already.
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        # NOINHERIT: a member of the owner's role without its rights (the policies bind it), yet
        # able to SET LOCAL ROLE to the owner where a test does what only the owner may.
        cursor.execute(f"ALTER ROLE {APP_ROLE} LOGIN NOINHERIT")
        cursor.execute(f"GRANT {connection.ops.quote_name(owner)} TO {APP_ROLE}")
        call_command("grant_app_role", APP_ROLE, truncate=True, stdout=io.StringIO())
    connection.close()
    connection.settings_dict["USER"] = APP_ROLE
    yield
    connection.close()
    connection.settings_dict["USER"] = owner


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs():
    from billora.catalogs import compile_catalogs

    compile_catalogs()


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    from billora.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _fast_hashing_and_media(settings, tmp_path):
    # Password hashing at full strength makes every login in the suite slow; nothing is lost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request through LocaleMiddleware leaves its language active in the test's thread (a
    server thread activates one again for every request); the next test starts in the default."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
