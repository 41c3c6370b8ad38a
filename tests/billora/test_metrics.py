"""/metrics: Prometheus text for operators, never public; requests and queries of the process,
plus the cluster's state read on each scrape (queues, task outcomes, outbox, renders)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from billora.celery import TASK_OUTCOMES_KEY, metrics_redis
from billora.celery import app as celery_app
from documents.models import InvoiceDocument, OutboundEmail
from documents.tasks import render_invoice_document, sweep_pending_work
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.organizations.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-0123456789"


@pytest.fixture
def scraper(settings, client):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []

    def scrape():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content[:500]
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return scrape


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


# --- access ---------------------------------------------------------------------------------


def test_metrics_do_not_exist_unless_a_token_or_an_address_list_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    ("header", "status"),
    [(f"Bearer {TOKEN}", 200), (f"bearer {TOKEN}", 200), ("Bearer wrong", 404), (TOKEN, 404), ("", 404)],
)
def test_the_bearer_token_opens_the_metrics(client, settings, header, status):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    response = client.get("/metrics", HTTP_AUTHORIZATION=header)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("text/plain; version=")


@pytest.mark.parametrize(
    ("address", "allowed", "status"),
    [
        ("10.1.2.3", ["10.0.0.0/8"], 200),
        ("10.1.2.3", ["10.1.2.3"], 200),
        ("192.0.2.7", ["10.0.0.0/8", "127.0.0.1"], 404),
        ("2001:db8::5", ["2001:db8::/32"], 200),
        ("not-an-ip", ["10.0.0.0/8"], 404),
    ],
)
def test_an_allowed_address_opens_the_metrics_without_a_token(client, settings, address, allowed, status):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = allowed
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == status


def test_metrics_are_exempt_from_the_https_redirect_like_healthz(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/api/v1/ping/").status_code == 301


# --- what they say -----------------------------------------------------------------------------


def test_requests_and_database_queries_are_counted(client, scraper):
    before = scraper()
    client.get("/healthz")  # one request, one query (SELECT 1)
    after = scraper()
    vendor = "postgresql" if value(after, "django_db_execute_total", alias="default", vendor="postgresql") else "sqlite"
    queries = value(after, "django_db_execute_total", alias="default", vendor=vendor)
    assert queries >= (value(before, "django_db_execute_total", alias="default", vendor=vendor) or 0) + 1
    view = {"method": "GET", "view": "healthz"}
    healthz_before = value(before, "django_http_responses_total_by_status_view_method_total", status="200", **view)
    healthz_after = value(after, "django_http_responses_total_by_status_view_method_total", status="200", **view)
    assert healthz_after == (healthz_before or 0) + 1


def test_the_outbox_states_and_the_age_of_the_oldest_waiting_email(scraper):
    org = OrganizationFactory()
    now = timezone.now()
    with organization_scope(org):
        for status, age_minutes in (("queued", 30), ("queued", 2), ("sending", 1), ("failed", 90), ("sent", 600)):
            email = OutboundEmail.objects.create(
                organization=org, kind="invite", to=["a@example.com"], subject="s", body="b", status=status
            )
            OutboundEmail.objects.filter(pk=email.pk).update(created_at=now - timedelta(minutes=age_minutes))
    samples = scraper()
    assert value(samples, "billora_outbound_emails", status="queued") == 2
    assert value(samples, "billora_outbound_emails", status="sending") == 1
    assert value(samples, "billora_outbound_emails", status="failed") == 1
    assert value(samples, "billora_outbound_emails", status="sent") is None  # unbounded: not counted per scrape
    assert 30 * 60 <= value(samples, "billora_outbound_email_oldest_age_seconds", status="queued") < 31 * 60
    assert value(samples, "billora_metrics_collector_up", collector="outbox") == 1


def test_pending_and_failed_renders_are_counted_across_organizations(scraper):
    for status in ("pending", "failed", "failed"):
        org = OrganizationFactory()
        invoice = make_invoice(
            organization=org,
            business=BusinessFactory(organization=org),
            customer=CustomerFactory(organization=org),
            status="issued",
        )
        with organization_scope(org):
            InvoiceDocument.objects.update_or_create(
                organization=org, invoice=invoice, invoice_version=invoice.version, defaults={"status": status}
            )
    samples = scraper()
    assert value(samples, "billora_invoice_documents", status="pending") == 1
    assert value(samples, "billora_invoice_documents", status="failed") == 2
    assert value(samples, "billora_invoice_document_oldest_age_seconds", status="pending") >= 0


@pytest.mark.redis
def test_task_outcomes_are_counted_in_redis_for_every_process_to_report(scraper):
    metrics_redis().delete(TASK_OUTCOMES_KEY)
    sweep_pending_work.apply()
    sweep_pending_work.apply()
    samples = scraper()
    sweeps = value(samples, "billora_celery_tasks_total", task="documents.tasks.sweep_pending_work", outcome="success")
    assert sweeps == 2


@pytest.mark.redis
def test_queue_lengths_are_read_from_the_broker(scraper, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    for version in (1, 2, 3):  # no worker runs in this test: the messages wait
        render_invoice_document.apply_async(args=["00000000-0000-0000-0000-000000000000", version])
    samples = scraper()
    assert value(samples, "billora_celery_queue_length", queue="documents") == 3
    assert value(samples, "billora_celery_queue_length", queue="email") == 0
    assert value(samples, "billora_metrics_collector_up", collector="celery") == 1


def test_a_store_that_cannot_be_read_leaves_the_scrape_standing(scraper, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once
    samples = scraper()
    assert value(samples, "billora_metrics_collector_up", collector="celery") == 0
    assert value(samples, "billora_metrics_collector_up", collector="outbox") == 1
