"""The statement endpoints: JSON per currency with exact money strings, the PDF, sending;
period validation tied to the fields; read-only keys read but do not send."""

import pytest

from audit.models import AuditEntry
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory
from tests.billing.statement_history import END, START, make_history
from tests.documents.helpers import pdf_text


@pytest.fixture
def history(org, business, customer):
    return make_history(org, business, customer)


def url(customer, suffix=""):
    return f"/api/v1/customers/{customer.pk}/statement/{suffix}"


def test_the_statement_as_json(api, customer, history):
    response = api.get(url(customer), {"start": START, "end": END})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["customer"], body["start"], body["end"]) == (str(customer.pk), START, END)
    eur, jpy = body["currencies"]
    assert (eur["currency"], eur["opening_balance"], eur["closing_balance"]) == ("EUR", "80.00", "30.00")
    assert [(line["kind"], line["amount"], line["balance"]) for line in eur["lines"]] == [
        ("invoice", "360.00", "440.00"),
        ("payment", "-80.00", "360.00"),
        ("payment", "-360.00", "0.00"),
        ("credit_note", "-360.00", "-360.00"),
        ("refund", "360.00", "0.00"),
        ("invoice", "50.00", "50.00"),
        ("payment", "-20.00", "30.00"),
    ]
    first, second = eur["lines"][:2]
    c, b = history.invoices["c"], history.invoices["b"]
    assert first == {
        "kind": "invoice",
        "id": str(c.pk),
        "date": "2025-03-05",
        "number": c.number,
        "invoice": str(c.pk),
        "invoice_number": c.number,
        "due_date": "2025-03-05",
        "method": None,
        "amount": "360.00",
        "balance": "440.00",
    }
    assert (second["number"], second["invoice"], second["method"]) == ("TRX-2", str(b.pk), "bank_transfer")
    assert (jpy["opening_balance"], jpy["closing_balance"], jpy["lines"][0]["amount"]) == ("600", "0", "-600")


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"start": "2025-02-30"}, {"start": ["Enter a valid date as YYYY-MM-DD."]}),
        ({"start": "2025-03-01", "end": "03/31/2025"}, {"end": ["Enter a valid date as YYYY-MM-DD."]}),
        ({"start": "2025-03-31", "end": "2025-03-01"}, {"end": ["The end of the period cannot be before its start."]}),
        ({"from": "2025-03-01"}, {"from": ["Unknown query parameter."]}),
    ],
)
def test_bad_periods_are_400_on_the_field(api, customer, params, errors):
    for suffix in ("", "pdf/"):
        response = api.get(url(customer, suffix), params)
        assert response.status_code == 400, response.content
        assert response.json() == errors
    response = api.post(url(customer, "send/"), params, format="json")
    assert response.status_code == 400
    assert response.json() == (errors if "from" not in params else {"from": ["Unknown field."]})


def test_the_pdf(api, customer, history):
    response = api.get(url(customer, "pdf/"), {"start": START, "end": END})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "STATEMENT OF ACCOUNT" in text and history.invoices["c"].number in text
    assert api.get(url(customer, "pdf/"), {"start": START, "end": END}).content == response.content


def test_send_queues_the_email_and_audits_it(
    api, org, customer, history, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url(customer, "send/"), {"start": START, "end": END}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["to"], body["start"], body["end"]) == ([customer.email], START, END)
    with organization_scope(org):
        email = OutboundEmail.objects.get(pk=body["email"])
        entry = AuditEntry.objects.filter(organization=org, action="customer.statement_email_queued").get()
    assert email.kind == "statement" and email.status == "sent" and email.customer_id == customer.pk
    assert entry.target_id == str(customer.pk) and entry.changes["period"] == [None, [START, END]]
    assert entry.actor_type == "api_key" and entry.actor_label.startswith("API key")
    [message] = mailoutbox
    [(name, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and name.endswith(f"{START}-{END}.pdf")
    assert "Opening balance" in pdf_text(content)


def test_send_to_given_addresses_and_the_read_only_key(api, ro_api, customer):
    response = api.post(url(customer, "send/"), {"to": ["books@example.org"]}, format="json")
    assert response.status_code == 202 and response.json()["to"] == ["books@example.org"]
    bad = api.post(url(customer, "send/"), {"to": ["not an address"]}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["to"]
    assert ro_api.get(url(customer)).status_code == 200
    assert ro_api.post(url(customer, "send/"), {}, format="json").status_code == 403


def test_a_customer_without_email_needs_a_recipient(api, org):
    silent = CustomerFactory(organization=org, email="")
    response = api.post(url(silent, "send/"), {}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["to"]


def test_another_organizations_customer_is_404(outsider_api, customer):
    assert outsider_api.get(url(customer)).status_code == 404
    assert outsider_api.get(url(customer, "pdf/")).status_code == 404
    assert outsider_api.post(url(customer, "send/"), {}, format="json").status_code == 404
