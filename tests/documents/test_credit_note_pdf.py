"""The credit note PDF: "CREDIT NOTE", its number, the invoice it corrects (number and date),
the reason and the totals, deterministic bytes; through the API and the web, tenant-safe."""

import pytest

from billing import services
from documents import services as document_services
from organizations.permissions import Role
from tests.api.conftest import client_for
from tests.billing.factories import make_invoice
from tests.documents.helpers import pdf_text
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key

ITEM = {"description": "Design work", "quantity": "2", "unit_price": "50.00", "tax_rate": "20"}


@pytest.fixture
def org(db):
    return OrganizationFactory(default_currency="EUR")


@pytest.fixture
def issued_note(org):
    invoice = make_invoice(organization=org, items=[ITEM], status="issued", issue_date="2026-03-05")
    note = services.credit_note_create(
        organization=org,
        actor=None,
        data={"invoice": invoice.pk, "reason": "Two hours billed twice", "items": [{**ITEM, "quantity": "1"}]},
    )
    return invoice, services.credit_note_issue(organization=org, actor=None, credit_note_id=note.pk)


def test_the_pdf_prints_the_credit_note_its_invoice_the_reason_and_the_totals(org, issued_note):
    invoice, note = issued_note
    _, content = document_services.credit_note_pdf(organization=org, credit_note_id=note.pk)
    text = pdf_text(content)
    assert "CREDIT NOTE" in text and "INVOICE\n" not in text
    assert note.number in text
    assert invoice.number in text and "Mar 5, 2026" in text
    assert "Two hours billed twice" in text
    assert "€50.00" in text and "€10.00" in text and "€60.00" in text  # subtotal, tax, total
    assert "Balance due" not in text
    again = document_services.credit_note_pdf(organization=org, credit_note_id=note.pk)[1]
    assert again == content  # deterministic


def test_a_draft_credit_note_is_watermarked(org):
    invoice = make_invoice(organization=org, items=[ITEM], status="issued")
    draft = services.credit_note_create(organization=org, actor=None, data={"invoice": invoice.pk, "full": True})
    text = pdf_text(document_services.credit_note_pdf(organization=org, credit_note_id=draft.pk)[1])
    assert "Draft (no number yet)" in text and invoice.number in text


def test_api_and_web_serve_it_and_another_organization_gets_404(org, issued_note, client):
    _, note = issued_note
    api = client_for(make_api_key(org, name="script")[1])
    response = api.get(f"/api/v1/credit-notes/{note.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    outsider = client_for(make_api_key(OrganizationFactory(), name="outsider")[1])
    assert outsider.get(f"/api/v1/credit-notes/{note.pk}/pdf/").status_code == 404
    member = MembershipFactory(organization=org, role=Role.VIEWER).user
    client.force_login(member)
    web = client.get(f"/o/{org.slug}/credit-notes/{note.pk}/pdf/")
    assert web.status_code == 200 and web["Content-Type"] == "application/pdf"
