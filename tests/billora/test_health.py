import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"


def _healthz_in_subprocess(**env_overrides):
    """Ask /healthz from a separate process whose settings point at the given services."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "billora.settings", "SECURE_SSL_REDIRECT": "0", **env_overrides}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_healthz_reports_503_when_the_database_is_unreachable():
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    result = _healthz_in_subprocess(DATABASE_URL="postgres://postgres@127.0.0.1:1/billora", REDIS_URL="")
    assert result["status"] == 503
    assert result["body"] == {"status": "down", "checks": {"database": "down"}}


def test_healthz_reports_redis_down_when_configured_and_unreachable(tmp_path):
    result = _healthz_in_subprocess(
        DATABASE_URL=f"sqlite:///{tmp_path / 'health.sqlite3'}", REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert result["status"] == 503
    assert result["body"]["checks"] == {"database": "ok", "redis": "down"}
