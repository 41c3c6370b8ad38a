import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "k3y-" + "production-secret-value-that-is-long-and-random-enough-0123456789",
    "DJANGO_DEBUG": "0",
    "ALLOWED_HOSTS": "billora.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://billora.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args, env_overrides):
    # The browser tests allow async-unsafe ORM calls in the test process; production never does.
    dropped = ("DJANGO_DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_development_secret_key_fails_the_deploy_checks():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_settings_parse_the_environment():
    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
        " s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND, s.SESSION_COOKIE_SECURE)"
    )
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "postgres://u:p@db.example.com:5432/billora",
        "DJANGO_SETTINGS_MODULE": "billora.settings",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    full_env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "DJANGO_DEBUG")}
    full_env.update(env)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out[0] == "False"
    assert "billora.example.com" in out[1]
    assert out[2] == "django_prometheus.db.backends.postgresql"  # Django's, counting queries for /metrics
    assert out[3] == "False"  # a broker is configured: tasks go to the worker
    assert out[4] == "billora.cache.DegradingRedisCache"
    assert out[5] == "django.core.mail.backends.smtp.EmailBackend"
    assert out[6] == "True"


def test_defaults_give_a_local_app_without_services():
    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'],"
        " s.EMAIL_BACKEND)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER")
    }
    env["DJANGO_SETTINGS_MODULE"] = "billora.settings"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == [
        "django_prometheus.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.mail.backends.console.EmailBackend",
    ]
