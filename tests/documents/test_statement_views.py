"""The statement page on a customer: period picker, one table per currency, errors on the
period's fields, the PDF download and sending by email (through the outbox, to a real SMTP
server); viewers read but do not send; another organization's customer is 404."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from billing import services
from billing.validation import default_statement_period
from documents.models import OutboundEmail
from documents.statements import statement_send
from documents.tasks import send_outbound_email
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.accounts.factories import UserFactory
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.statement_history import END, START, make_history
from tests.documents.helpers import pdf_text
from tests.documents.test_email import smtp  # noqa: F401 (the SMTP server fixture)
from tests.organizations.conftest import logged_in_client
from tests.organizations.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def buyer(org, business):
    buyer = CustomerFactory(organization=org, name="Globex Ltd", email="ap@globex.example", language="fr")
    make_history(org, business, buyer)
    return buyer


def page(org, customer, suffix=""):
    return f"/o/{org.slug}/customers/{customer.pk}/statement/{suffix}"


def test_the_page_shows_each_currency_with_its_balances(org, member, buyer):
    client = logged_in_client(member)
    response = client.get(page(org, buyer), {"start": START, "end": END})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="statement-EUR"' in html and 'data-testid="statement-JPY"' in html
    assert 'data-testid="opening-EUR">€80.00<' in html and 'data-testid="closing-EUR"><strong>€30.00<' in html
    assert 'data-testid="closing-JPY"><strong>¥0<' in html
    assert html.count("on invoice") == 6  # every line but the two invoices: 5 in EUR, 1 in JPY
    assert f"statement/pdf/?start={START}&amp;end={END}&amp;download=1" in html
    assert "Send the statement" in html
    detail = client.get(f"/o/{org.slug}/customers/{buyer.pk}/").content.decode()
    assert f"/customers/{buyer.pk}/statement/" in detail


def test_the_default_period_and_bad_periods(org, member, buyer):
    client = logged_in_client(member)
    start, end = (str(day) for day in default_statement_period(org.local_today()))
    html = client.get(page(org, buyer)).content.decode()
    assert f'name="start" id="id_start" value="{start}"' in html and f'value="{end}"' in html
    bad = client.get(page(org, buyer), {"start": "2025-03-31", "end": "2025-03-01"})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "The end of the period cannot be before its start." in text and "statement-EUR" not in text
    assert "Enter a valid date as YYYY-MM-DD." in client.get(page(org, buyer), {"start": "31.03.2025"}).content.decode()


def test_the_pdf_download(org, member, buyer):
    client = logged_in_client(member)
    response = client.get(page(org, buyer, "pdf/"), {"start": START, "end": END, "download": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    assert "RELEVÉ DE COMPTE" in text and "Solde de clôture" in text  # the customer's language
    bad = client.get(page(org, buyer, "pdf/"), {"start": "nope"})
    assert bad.status_code == 302 and "statement/?start=nope" in bad["Location"]


def test_sending_by_email_through_the_outbox(org, member, buyer, smtp, django_capture_on_commit_callbacks):  # noqa: F811
    client = logged_in_client(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page(org, buyer, "send/"), {"start": START, "end": END})
    assert response.status_code == 302 and response["Location"].endswith(f"?start={START}&end={END}")
    assert len(smtp.messages) == 1
    message = smtp.parsed()
    assert message["To"] == "ap@globex.example"
    assert str(message["Subject"]).strip() == "Relevé de compte de Acme Studio, du 1 mars 2025 au 31 mars 2025"
    assert "Bonjour Globex Ltd" in message.get_body(preferencelist=("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = pdf_text(attachment.get_content())
    assert "RELEVÉ DE COMPTE" in text and "Solde d’ouverture" in text
    with organization_scope(org):
        email = OutboundEmail.objects.get()
        entry = AuditEntry.objects.get(action="customer.statement_email_queued")
    assert (email.kind, email.status, email.customer_id) == ("statement", "sent", buyer.pk)
    assert (email.statement_start.isoformat(), email.statement_end.isoformat()) == (START, END)
    assert entry.actor_user_id == member.pk and entry.changes["to"] == [None, ["ap@globex.example"]]


def test_the_pdf_is_rendered_when_the_email_is_sent(org, member, buyer, smtp):  # noqa: F811
    """Queued, then a payment recorded before the worker runs: the email carries the new balance."""
    client = logged_in_client(member)
    client.post(page(org, buyer, "send/"), {"start": START, "end": "2025-12-31"})  # on_commit not run yet
    with organization_scope(org):
        email = OutboundEmail.objects.get()
    assert email.status == "queued"
    with organization_scope(org):
        open_invoice = buyer.invoices.filter(status="issued").order_by("issue_date").last()
    services.payment_record(
        organization=org, actor=None, invoice_id=open_invoice.pk, amount=str(open_invoice.balance_due), date=END
    )
    send_outbound_email(str(email.pk))
    [attachment] = list(smtp.parsed().iter_attachments())
    text = pdf_text(attachment.get_content())
    # The payment recorded after the email was queued is on it: 140.00 owed before, 20.00 after.
    assert open_invoice.balance_due == Decimal("120.00")
    assert "-120,00" in text and "20,00" in text and "140,00" not in text


def test_viewers_read_but_do_not_send_and_outsiders_get_404(org, buyer):
    viewer = MembershipFactory(organization=org, role=Role.VIEWER).user
    client = logged_in_client(viewer)
    html = client.get(page(org, buyer)).content.decode()
    assert "statement-EUR" in html and "Send the statement" not in html
    assert client.post(page(org, buyer, "send/"), {}).status_code in (403, 404)
    outsider_org = OrganizationFactory()
    BusinessFactory(organization=outsider_org)
    outsider = MembershipFactory(organization=outsider_org, role=Role.OWNER).user
    other = logged_in_client(outsider)
    for suffix in ("", "pdf/"):
        assert other.get(f"/o/{outsider_org.slug}/customers/{buyer.pk}/statement/{suffix}").status_code == 404
    assert other.post(f"/o/{outsider_org.slug}/customers/{buyer.pk}/statement/send/", {}).status_code == 404


def test_a_customer_name_in_any_script_downloads(org, member, business, customer):
    make_history(org, business, customer)  # "Zoë Ελένη Дмитрий"
    response = logged_in_client(member).get(page(org, customer, "pdf/"), {"start": START, "end": END})
    assert response.status_code == 200
    assert 'filename="statement-zoe-2025-03-01-2025-03-31.pdf"' in response["Content-Disposition"]
    assert "Zoë Ελένη Дмитрий" in pdf_text(response.content)


def test_support_sees_a_statement_emails_customer_and_period_in_the_admin(org, member, buyer, client):
    email = statement_send(organization=org, actor=member, customer_id=buyer.pk, start=START, end=END)
    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("admin:documents_outboundemail_change", args=[email.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Globex Ltd" in html and "March 1, 2025" in html and "March 31, 2025" in html


def test_a_statement_email_whose_customer_was_deleted_fails_without_sending(org, member, customer, smtp):  # noqa: F811
    email = statement_send(organization=org, actor=member, customer_id=customer.pk, start=START, end=END)
    services.customer_delete(organization=org, actor=member, customer_id=customer.pk)
    send_outbound_email(str(email.pk))
    assert smtp.messages == []
    with organization_scope(org):
        email.refresh_from_db()
    assert email.status == "failed" and "customer was deleted" in email.last_error
