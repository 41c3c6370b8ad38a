"""A flood of renders never delays an email: emails have their own queue and their own workers.

A worker consuming only the ``email`` queue sends an invoice email while hundreds of renders
wait in ``documents`` with no worker to take them: had the email been queued behind the
renders (one queue for everything), this worker would never see it."""

import pytest
from django.conf import settings

from billing import services as billing_services
from billora.celery import app as celery_app
from documents import services as document_services
from documents.models import OutboundEmail
from documents.tasks import render_invoice_document
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.multihost.cluster import wait_for
from tests.organizations.factories import OrganizationFactory

pytestmark = [pytest.mark.multihost, pytest.mark.postgres, pytest.mark.redis]

FLOOD = 300


def queue_length(name: str) -> int:
    with celery_app.connection_for_read() as connection:
        return connection.default_channel.queue_declare(queue=name, passive=True).message_count


def test_an_email_is_sent_while_a_flood_of_renders_waits_in_its_own_queue(cluster, smtp):
    recorder, _port = smtp
    org = OrganizationFactory(default_currency="EUR")
    business = BusinessFactory(organization=org, email="billing@acme.example")
    customer = CustomerFactory(organization=org, email="ap@customer.example")
    invoice = make_invoice(organization=org, business=business, customer=customer)
    invoice = billing_services.invoice_issue(organization=org, actor=None, invoice_id=invoice.pk)  # + 1 render
    with celery_app.producer_or_acquire() as producer:
        for _ in range(FLOOD):
            render_invoice_document.apply_async(args=[str(invoice.pk), invoice.version], producer=producer)
    assert queue_length("documents") == FLOOD + 1

    email_worker = cluster.start_worker("email-worker", queues=["email"])
    cluster.wait_until_ready()
    queued = document_services.invoice_send(organization=org, actor=None, invoice_id=invoice.pk)  # commits

    assert wait_for(lambda: recorder.messages, timeout=180), "the email was not sent:\n" + cluster.logs()
    with organization_scope(org):
        assert OutboundEmail.objects.get(pk=queued.pk).status == OutboundEmail.Status.SENT
    # Not one render was taken: the email did not wait for them, and they still wait.
    assert queue_length("documents") == FLOOD + 1
    assert not any("render_invoice_document" in entry.get("message", "") for entry in email_worker.json_log())
    assert settings.CELERY_TASK_ROUTES["documents.tasks.send_outbound_email"] == {"queue": "email"}
