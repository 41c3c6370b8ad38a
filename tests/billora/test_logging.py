"""Logs: one line per request (key=value), or with LOG_FORMAT=json one JSON object per line
for web, workers and beat alike."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script, **environment):
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DJANGO_DEBUG")}
    env.update(environment, DJANGO_SETTINGS_MODULE="billora.settings", SECURE_SSL_REDIRECT="0")
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False
    )


def _json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_json_request_log_has_the_request_fields_as_keys():
    script = (
        "import django; django.setup(); from django.test import Client;"
        "Client().get('/healthz', HTTP_X_REQUEST_ID='trace-json-1')"
    )
    result = _run(script, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    [line] = [entry for entry in _json_lines(result.stderr) if entry.get("logger") == "billora.requests"]
    assert line["level"] == "INFO"
    assert line["request_id"] == "trace-json-1"
    assert line["path"] == "/healthz" and line["method"] == "GET" and line["status"] in (200, 503)
    assert isinstance(line["duration_ms"], float)
    assert line["message"].startswith("request_id=trace-json-1 method=GET path=/healthz")
    assert "time" in line and "process" in line


def test_celery_workers_and_beat_log_through_the_project_configuration():
    # What `celery worker` / `celery beat` do at start-up: set up logging (Celery's signal).
    script = (
        "import django; django.setup(); import logging; from billora.celery import app;"
        "app.log.setup_logging_subsystem(loglevel='INFO');"
        "logging.getLogger('celery.worker').info('worker %s ready', 'w1')"
    )
    result = _run(script, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    assert {"logger": "celery.worker", "message": "worker w1 ready"}.items() <= _json_lines(result.stderr)[-1].items()
    line = _run(script, LOG_FORMAT="line")
    assert line.stderr.strip().endswith("INFO celery.worker worker w1 ready")


def test_an_unknown_log_format_is_refused():
    result = _run("import django; django.setup()", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be line or json" in result.stderr
