import pytest
from aiosmtpd.controller import Controller

from billora.celery import app as celery_app
from tests.documents.helpers import Recorder, free_port
from tests.multihost.cluster import Cluster


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1: what the workers send invoices to."""
    recorder = Recorder()
    server = Controller(recorder, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        yield recorder, server.port
    finally:
        server.stop()


@pytest.fixture
def cluster(transactional_db, settings, tmp_path, smtp):
    """An empty cluster (hosts are started by the test); this process publishes tasks to the
    same broker as the hosts (not eagerly). Every host is stopped at the end, pass or fail."""
    _recorder, smtp_port = smtp
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    running = Cluster(base=tmp_path / "hosts", smtp_port=smtp_port)
    try:
        yield running
    finally:
        running.stop()
        celery_app.conf.task_always_eager = saved
