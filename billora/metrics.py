"""Prometheus metrics at ``/metrics``, for operators (never public: see ``metrics_view``).

Two kinds of metrics are served:

* this process's own, recorded as they happen by django-prometheus: requests by view, method
  and status, latencies, database queries and errors (its middleware and database engines). With
  ``PROMETHEUS_MULTIPROC_DIR`` set, the metrics of every gunicorn worker on the host are summed.
* the cluster's state, read at scrape time by the collectors named in
  ``settings.METRICS_COLLECTORS``: Celery queue lengths and task outcomes (Redis), the email
  outbox and the PDF renders (a grouped count on an indexed column each). Any web host
  answers the same for these, so scrape one, or all and aggregate with ``max``.
"""

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import ChannelError
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from billora.celery import TASK_OUTCOME_SEPARATOR, TASK_OUTCOMES_KEY, metrics_redis
from billora.celery import app as celery_app
from documents.models import InvoiceDocument, OutboundEmail
from organizations.tenancy import all_tenants

logger = logging.getLogger(__name__)


# --- access ---------------------------------------------------------------------------------


def _bearer_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _address_allowed(address: str | None) -> bool:
    if not address or not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


def scrape_allowed(request) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a connecting address in METRICS_ALLOWED_IPS."""
    token = _bearer_token(request)
    if settings.METRICS_TOKEN and token and hmac.compare_digest(token.encode(), settings.METRICS_TOKEN.encode()):
        return True
    return _address_allowed(request.META.get("REMOTE_ADDR"))


# --- collectors read on each scrape --------------------------------------------------------------


class StateCollector:
    """A collector whose reads may fail (database or Redis down): the scrape still answers,
    with ``billora_metrics_collector_up{collector=...} 0`` instead of the missing values."""

    name = ""

    def read(self):
        raise NotImplementedError

    def collect(self):
        try:
            families = list(self.read())
        except Exception:  # any failure of a store we read: reported as a gauge, logged
            logger.exception("metrics: the %s collector failed", self.name)
            families, up = [], 0
        else:
            up = 1
        yield from families
        gauge = GaugeMetricFamily(
            "billora_metrics_collector_up", "1 when the collector could read its source.", labels=["collector"]
        )
        gauge.add_metric([self.name], up)
        yield gauge


class CeleryCollector(StateCollector):
    """Messages waiting in each queue (not counting the ones workers hold), and the task
    outcomes every worker counts in Redis (``billora.celery.count_task_outcome``)."""

    name = "celery"

    def read(self):
        lengths = GaugeMetricFamily(
            "billora_celery_queue_length", "Tasks waiting in the queue for a worker.", labels=["queue"]
        )
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            with celery_app.connection_for_read() as connection:
                channel = connection.default_channel
                for queue in settings.TASK_QUEUE_NAMES:
                    try:
                        size = channel.queue_declare(queue=queue, passive=True).message_count
                    except ChannelError:  # no message was ever sent to it
                        size = 0
                    lengths.add_metric([queue], size)
        yield lengths

        outcomes = CounterMetricFamily(
            "billora_celery_tasks",
            "Tasks run, by task and outcome (success, failure, retry).",
            labels=["task", "outcome"],
        )
        client = metrics_redis()
        counts = client.hgetall(TASK_OUTCOMES_KEY) if client is not None else {}
        for field, value in sorted(counts.items()):
            task, _, outcome = field.decode().rpartition(TASK_OUTCOME_SEPARATOR)
            outcomes.add_metric([task, outcome], int(value))
        yield outcomes


def _states(model, statuses):
    """{status: (count, oldest created_at)} over every organization, in one grouped query on
    the (status, created_at) index."""
    with all_tenants():  # operators' view of the whole installation: deliberately all tenants
        rows = (
            model.objects.filter(status__in=statuses)
            .order_by()
            .values_list("status")
            .annotate(count=Count("pk"), oldest=Min("created_at"))
        )
        return {status: (count, oldest) for status, count, oldest in rows}


def _age_seconds(oldest, now) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


class OutboxCollector(StateCollector):
    """Emails not sent yet (queued, sending) or given up on (failed), and the age of the oldest
    waiting one: the number to alert on when delivery stalls."""

    name = "outbox"
    STATUSES = (OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING, OutboundEmail.Status.FAILED)

    def read(self):
        states = _states(OutboundEmail, self.STATUSES)
        now = timezone.now()
        count = GaugeMetricFamily("billora_outbound_emails", "Emails in the outbox by status.", labels=["status"])
        age = GaugeMetricFamily(
            "billora_outbound_email_oldest_age_seconds",
            "Age of the oldest email in this status (0 when there is none).",
            labels=["status"],
        )
        for status in self.STATUSES:
            number, oldest = states.get(status, (0, None))
            count.add_metric([status], number)
            age.add_metric([status], _age_seconds(oldest, now))
        yield count
        yield age


class DocumentCollector(StateCollector):
    """Invoice PDFs waiting to be rendered or whose render failed."""

    name = "documents"
    STATUSES = (InvoiceDocument.Status.PENDING, InvoiceDocument.Status.FAILED)

    def read(self):
        states = _states(InvoiceDocument, self.STATUSES)
        now = timezone.now()
        count = GaugeMetricFamily("billora_invoice_documents", "Invoice PDFs by render status.", labels=["status"])
        age = GaugeMetricFamily(
            "billora_invoice_document_oldest_age_seconds",
            "Age of the oldest PDF in this status (0 when there is none).",
            labels=["status"],
        )
        for status in self.STATUSES:
            number, oldest = states.get(status, (0, None))
            count.add_metric([status], number)
            age.add_metric([status], _age_seconds(oldest, now))
        yield count
        yield age


def _process_registry():
    """This process's metrics, or with PROMETHEUS_MULTIPROC_DIR every worker's of this host."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _state_registry():
    registry = CollectorRegistry(auto_describe=False)
    for path in settings.METRICS_COLLECTORS:
        registry.register(import_string(path)())
    return registry


@never_cache
@require_GET
def metrics_view(request):
    """The Prometheus text format. A request that is not allowed gets 404, as if there were
    no such page."""
    if not scrape_allowed(request):
        raise Http404("No such page.")
    started = time.perf_counter()
    state = generate_latest(_state_registry())
    duration = (
        "# HELP billora_metrics_state_read_seconds Time spent reading the cluster state for this scrape.\n"
        "# TYPE billora_metrics_state_read_seconds gauge\n"
        f"billora_metrics_state_read_seconds {time.perf_counter() - started:.6f}\n"
    ).encode()
    return HttpResponse(generate_latest(_process_registry()) + state + duration, content_type=CONTENT_TYPE_LATEST)
