"""A small Billora cluster on this machine, for the multi-host tests: web hosts (gunicorn), worker
hosts (celery) and an S3-compatible object store (moto's server), each a process group of its
own, started in its own empty working directory with its own MEDIA_ROOT. What they share is
exactly what separate machines would: PostgreSQL, Redis and the object store, reached over
127.0.0.1 only. Every wait is bounded; ``Cluster.stop`` ends every process it started."""

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import boto3
from django.conf import settings
from django.db import connection

from tests.documents.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
# A real Celery worker whose renders can be held at a gate (tests/reliability uses it too).
GATED_WORKER = ROOT / "tests" / "reliability" / "slow_render_worker.py"
BUCKET = "billora-cluster"
S3_KEY, S3_SECRET = "cluster-access-key", "cluster-secret-key"
METRICS_TOKEN = "cluster-metrics-token"
START_TIMEOUT = 180  # imports and connections on a busy 2-core machine
STOP_TIMEOUT = 20


def database_url() -> str:
    """The test database as the other processes reach it (directly, or through PgBouncer when
    the suite runs through it: the same host and port as this process)."""
    data = connection.settings_dict
    user = data.get("USER") or ""
    password = f":{quote(data['PASSWORD'], safe='')}" if data.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{data['PORT']}" if data.get("PORT") else ""
    return f"postgres://{auth}{data.get('HOST') or '127.0.0.1'}{port}/{data['NAME']}"


def wait_for(check, *, timeout, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    return None


@dataclass
class Host:
    """One process group (a "machine"): its name, working directory, log and process."""

    name: str
    directory: Path
    process: subprocess.Popen
    log_path: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def media_root(self) -> Path:
        return self.directory / "media"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, size=3000) -> str:
        return f"--- {self.name} ---\n{self.log()[-size:]}"

    def json_log(self) -> list[dict]:
        entries = []
        for line in self.log().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    entries.append(entry)
        return entries

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        """SIGKILL the whole group at once (main process and its children): a lost machine."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        # Children left behind by a main process that died first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Cluster:
    base: Path
    smtp_port: int
    hosts: list[Host] = field(default_factory=list)
    s3_port: int | None = None

    # --- starting -------------------------------------------------------------------------

    def _spawn(self, name, command, env, port=None) -> Host:
        directory = self.base / name
        (directory / "media").mkdir(parents=True)
        log_path = directory / "output.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=directory,  # an empty directory: nothing is read from or written to the checkout
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one machine
            )
        host = Host(name=name, directory=directory, process=process, log_path=log_path, port=port)
        self.hosts.append(host)
        return host

    def start_object_store(self) -> Host:
        self.s3_port = free_port()
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        host = self._spawn(
            "s3",
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)],
            env,
            port=self.s3_port,
        )
        up = wait_for(lambda: _http_status(f"{host.url}/moto-api/") == 200, timeout=START_TIMEOUT)
        assert up, "the object store did not start:\n" + host.log_tail()
        self.s3().create_bucket(Bucket=BUCKET)
        return host

    def s3(self):
        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            region_name="us-east-1",
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
        )

    def environment(self, name, **extra) -> dict:
        directory = self.base / name
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BILLORA_TEST_", "DJANGO_ALLOW_ASYNC", "AWS_", "PYTEST", "CELERY_"))
        }
        env.update(
            PYTHONPATH=str(ROOT),
            DJANGO_SETTINGS_MODULE="billora.settings",
            SECRET_KEY="cluster-secret-key-" + "x" * 40,
            DJANGO_DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(directory / "static"),
            STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
            MEDIA_ROOT=str(directory / "media"),
            DATABASE_URL=database_url(),
            REDIS_URL=settings.REDIS_URL,
            CELERY_BROKER_URL=settings.REDIS_URL,
            CELERY_TASK_ALWAYS_EAGER="0",
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp_port}",
            DEFAULT_FROM_EMAIL="Billora <no-reply@billora.test>",
            API_THROTTLE_RATE="100000/minute",
            METRICS_TOKEN=METRICS_TOKEN,
            LOG_FORMAT="json",
        )
        if self.s3_port is not None:
            env["STORAGE_URL"] = (
                f"s3://{S3_KEY}:{S3_SECRET}@{BUCKET}?endpoint_url=http://127.0.0.1:{self.s3_port}"
                "&region_name=us-east-1&addressing_style=path"
            )
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def start_web(self, name, **extra) -> Host:
        port = free_port()
        env = self.environment(name, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=1, GUNICORN_THREADS=4, **extra)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "billora.wsgi:application",
            "--config",
            str(ROOT / "billora" / "gunicorn_conf.py"),
        ]
        return self._spawn(name, command, env, port=port)

    def start_worker(self, name, *, queues=None, **extra) -> Host:
        env = self.environment(name, **extra)
        command = [
            sys.executable,
            str(GATED_WORKER),
            "-A",
            "billora",
            "worker",
            "-c",
            "1",
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
        ]
        if queues:
            command += ["-Q", ",".join(queues)]
        return self._spawn(name, command, env)

    def wait_until_ready(self):
        """Web hosts answer /healthz, workers have said they are ready."""
        for host in self.hosts:
            if host.name == "s3":
                continue
            if host.port is not None:
                ready = wait_for(lambda h=host: _http_status(f"{h.url}/healthz") == 200, timeout=START_TIMEOUT)
            else:
                ready = wait_for(
                    lambda h=host: any(" ready." in e.get("message", "") for e in h.json_log()) or not h.alive(),
                    timeout=START_TIMEOUT,
                )
                ready = ready and host.alive()
            assert ready, f"{host.name} did not start:\n" + host.log_tail()

    # --- stopping -------------------------------------------------------------------------

    def stop(self):
        for host in reversed(self.hosts):
            host.stop()

    def logs(self) -> str:
        return "\n".join(host.log_tail() for host in self.hosts)


def _http_status(url) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http://127.0.0.1 only)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def get_without_redirect(url, *, headers=None) -> http.client.HTTPResponse:
    """A GET whose redirect is returned, not followed (a signed URL must be fetched without the
    API key's Authorization header, as a browser or curl would)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def fetch(url) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (http://127.0.0.1 only)
        return response.read()
