"""Billora on several "machines": two web hosts and two worker hosts, each a process group
started in its own empty directory with its own MEDIA_ROOT, sharing only PostgreSQL, Redis and
an S3-compatible object store (moto's server). What one host writes, any other must read.

Needs PostgreSQL (the hosts share the test database) and Redis (the broker): skipped with the
reason without them, required in CI. Everything talks to 127.0.0.1 and is bounded in time."""

import hashlib
import os
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from billing.models import Invoice
from documents.models import InvoiceDocument, OutboundEmail
from organizations.tenancy import organization_scope
from tests.documents.helpers import pdf_text
from tests.multihost.cluster import BUCKET, METRICS_TOKEN, fetch, get_without_redirect, wait_for
from tests.organizations.factories import OrganizationFactory, make_api_key
from tests.reliability.helpers import assert_audit_chain_intact, assert_invoice_invariants, http

pytestmark = [pytest.mark.multihost, pytest.mark.postgres, pytest.mark.redis]

ITEMS = [
    {"description": "Design work", "quantity": "12.5", "unit_price": "80.00", "tax_rate": "20"},
    {"description": "Hosting", "quantity": "1", "unit_price": "9.99", "tax_rate": "0"},
]
RENDER_TIMEOUT = 180


def _api(host, method, path, key, body=None):
    return http(host.url, method, f"/api/v1{path}", body=body, key=key)


def _create_and_issue(web, key) -> dict:
    business = _api(
        web, "POST", "/businesses/", key, {"name": "Acme Studio", "email": "billing@acme.example", "country": "DE"}
    )
    assert business.status == 201, business.body
    customer = _api(web, "POST", "/customers/", key, {"name": "Globex", "email": "ap@globex.example", "country": "FR"})
    assert customer.status == 201, customer.body
    body = {"business": business.json()["id"], "customer": customer.json()["id"], "items": ITEMS}
    created = _api(web, "POST", "/invoices/", key, body)
    assert created.status == 201, created.body
    issued = _api(web, "POST", f"/invoices/{created.json()['id']}/issue/", key)
    assert issued.status == 200, issued.body
    return issued.json()


def _document(org, invoice_id) -> InvoiceDocument | None:
    with organization_scope(org):
        invoice = Invoice.objects.get(pk=invoice_id)
        return InvoiceDocument.objects.filter(
            invoice=invoice, invoice_version=invoice.version, status=InvoiceDocument.Status.READY
        ).first()


def _rendered_by(worker) -> int:
    """How many renders this worker finished (its JSON log's task lines)."""
    return sum(
        1
        for entry in worker.json_log()
        if "render_invoice_document" in entry.get("message", "") and "succeeded" in entry.get("message", "")
    )


def _assert_nothing_on_local_disks(cluster):
    for host in cluster.hosts:
        files = [path for path in host.media_root.rglob("*") if path.is_file()]
        assert not files, f"{host.name} wrote to its local MEDIA_ROOT: {files}"


def _metrics(web) -> dict:
    response = get_without_redirect(f"{web.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status == 200, response.body[:300]
    samples = {}
    for family in text_string_to_metric_families(response.body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_an_invoice_issued_on_one_web_host_is_rendered_by_a_worker_and_served_and_sent_by_the_others(cluster, smtp):
    recorder, _port = smtp
    org = OrganizationFactory(default_currency="EUR")
    _key, raw = make_api_key(org, name="multihost")
    cluster.start_object_store()
    web_a = cluster.start_web("web-a")
    # Web B answers downloads with a redirect to a short-lived signed URL of the object.
    web_b = cluster.start_web("web-b", MEDIA_REDIRECT_SECONDS=120)
    workers = [cluster.start_worker("worker-1"), cluster.start_worker("worker-2")]
    cluster.wait_until_ready()

    invoice = _create_and_issue(web_a, raw)
    assert invoice["status"] == "issued" and invoice["number"]

    # Web B: 202 while a worker renders, then a redirect to the object, signed for 120 s.
    def download_through_b():
        response = get_without_redirect(
            f"{web_b.url}/api/v1/invoices/{invoice['id']}/pdf/", headers={"Authorization": f"Bearer {raw}"}
        )
        assert response.status in (202, 302), (response.status, response.body[:300])
        return response if response.status == 302 else None

    redirect = wait_for(download_through_b, timeout=RENDER_TIMEOUT, interval=0.5)
    assert redirect is not None, "no worker rendered the PDF:\n" + cluster.logs()
    location = redirect.getheader("Location")
    assert location.startswith(f"http://127.0.0.1:{cluster.s3_port}/{BUCKET}/invoices/{org.pk}/{invoice['id']}/")
    assert "X-Amz-Expires=120" in location
    pdf = fetch(location)  # as a browser would: no API key on the object store's URL

    document = _document(org, invoice["id"])
    assert document is not None
    assert hashlib.sha256(pdf).hexdigest() == document.sha256 and len(pdf) == document.size
    assert invoice["number"] in pdf_text(pdf)
    # Web A streams the same object's bytes through itself.
    streamed = _api(web_a, "GET", f"/invoices/{invoice['id']}/pdf/", raw)
    assert streamed.status == 200 and streamed.body == pdf
    stored = cluster.s3().get_object(Bucket=BUCKET, Key=document.file.name)["Body"].read()
    assert stored == pdf
    assert sum(_rendered_by(worker) for worker in workers) >= 1

    # The email, queued through web B, is sent by a worker to the SMTP server with that PDF.
    sent = _api(web_b, "POST", f"/invoices/{invoice['id']}/send/", raw)
    assert sent.status == 202, sent.body
    assert wait_for(lambda: recorder.messages, timeout=RENDER_TIMEOUT), "no email was sent:\n" + cluster.logs()
    [envelope] = recorder.messages
    assert envelope.rcpt_tos == ["ap@globex.example"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == pdf

    def marked_sent():  # the worker marks the row after the SMTP server has accepted the message
        with organization_scope(org):
            return OutboundEmail.objects.filter(pk=sent.json()["email"], status=OutboundEmail.Status.SENT).first()

    email = wait_for(marked_sent, timeout=60)
    assert email is not None, cluster.logs()
    assert email.document_version == document.invoice_version
    with organization_scope(org):
        issued = Invoice.objects.get(pk=invoice["id"])
        assert issued.sent_at is not None
        assert InvoiceDocument.objects.filter(invoice=issued, status=InvoiceDocument.Status.READY).count() == 1

    assert_invoice_invariants(issued)
    assert_audit_chain_intact()
    _assert_nothing_on_local_disks(cluster)

    # Any web host reports the whole cluster's task outcomes (counted in Redis by the workers
    # when a task returns, just after its work is committed).
    def succeeded(samples, task):
        key = ("billora_celery_tasks_total", (("outcome", "success"), ("task", f"documents.tasks.{task}")))
        return samples.get(key, 0)

    def reported():
        samples = _metrics(web_a)
        done = succeeded(samples, "render_invoice_document") >= 1 and succeeded(samples, "send_outbound_email") == 1
        return samples if done else None

    samples = wait_for(reported, timeout=60)
    assert samples is not None, _metrics(web_a)
    assert samples[("billora_outbound_emails", (("status", "queued"),))] == 0


def test_a_worker_host_killed_mid_render_leaves_the_work_to_the_other(cluster, tmp_path):
    org = OrganizationFactory(default_currency="EUR")
    _key, raw = make_api_key(org, name="multihost")
    gate = tmp_path / "render-gate"
    gate.write_text("hold")
    started = Path(f"{gate}.started")
    cluster.start_object_store()
    web_a, web_b = cluster.start_web("web-a"), cluster.start_web("web-b")
    # Renders hold at the gate until the test lifts it; a message taken by a worker that then
    # vanishes returns to the queue after the visibility timeout (short here, an hour by default).
    worker_env = {"BILLORA_TEST_RENDER_GATE": str(gate), "CELERY_VISIBILITY_TIMEOUT": 8}
    workers = [cluster.start_worker("worker-1", **worker_env), cluster.start_worker("worker-2", **worker_env)]
    cluster.wait_until_ready()

    invoice = _create_and_issue(web_a, raw)
    child = wait_for(lambda: started.exists() and started.read_text().split(), timeout=RENDER_TIMEOUT)
    assert child, "no worker started the render:\n" + cluster.logs()
    group = os.getpgid(int(child[0]))
    [taken] = [worker for worker in workers if worker.process.pid == group]
    [other] = [worker for worker in workers if worker is not taken]

    taken.kill()  # the whole machine: main process and the child holding the render
    assert not taken.alive()
    assert _document(org, invoice["id"]) is None
    gate.unlink()

    def served_through_b():
        response = _api(web_b, "GET", f"/invoices/{invoice['id']}/pdf/", raw)
        return response if response.status == 200 else None

    download = wait_for(served_through_b, timeout=RENDER_TIMEOUT, interval=0.5)
    assert download is not None, "the other worker did not finish the render:\n" + cluster.logs()
    assert _rendered_by(other) == 1 and other.alive()
    document = _document(org, invoice["id"])
    assert hashlib.sha256(download.body).hexdigest() == document.sha256
    with organization_scope(org):
        assert InvoiceDocument.objects.filter(invoice_id=invoice["id"]).count() == 1
    _assert_nothing_on_local_disks(cluster)
