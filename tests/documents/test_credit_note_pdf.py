"""Credit notes in the versioned document pipeline: issuing one stores its PDF ("CREDIT NOTE",
its number, the invoice it corrects with its date, the reason, the totals) and its e-invoices
once; downloads serve the stored bytes and answer 202 while they are being rendered; a draft
is previewed on the fly, watermarked; the sweeper finds what a lost job left behind."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.exceptions import StateConflict
from billing.models import CreditNote
from documents import jobs, pipeline
from documents import services as document_services
from documents.models import CreditNoteDocument
from documents.tasks import render_credit_note_document, sweep_pending_work
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.api.conftest import client_for
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.documents.helpers import ITEM, credit_note_documents, issue_note, pdf_text
from tests.einvoice.issued import DE_FULL_BUYER, DE_FULL_SELLER
from tests.organizations.factories import MembershipFactory, OrganizationFactory, make_api_key


@pytest.fixture
def org(db):
    return OrganizationFactory(default_currency="EUR")


@pytest.fixture
def issued_note(org, commit):
    """An issued credit note whose after-commit work (the render) has run."""
    return issue_note(org, commit=commit)


def stored_pdf(note) -> bytes:
    [document] = credit_note_documents(note)
    return pipeline.read_pdf(document)


def test_issuing_stores_the_pdf_its_invoice_the_reason_and_the_totals(org, issued_note):
    invoice, note = issued_note
    [document] = credit_note_documents(note)
    assert document.status == CreditNoteDocument.Status.READY
    assert document.credit_note_version == note.version and document.is_fresh_for(note)
    text = pdf_text(pipeline.read_pdf(document))
    assert "CREDIT NOTE" in text and "INVOICE\n" not in text
    assert note.number in text
    assert invoice.number in text and "Mar 5, 2026" in text
    assert "Two hours billed twice" in text
    assert "€50.00" in text and "€10.00" in text and "€60.00" in text  # subtotal, tax, total
    assert "Balance due" not in text


def test_it_is_stored_once_per_version_and_renders_byte_identical(org, issued_note, monkeypatch):
    _, note = issued_note
    [document] = credit_note_documents(note)
    pdf, files = pipeline.read_pdf(document), {key: pipeline.read_einvoice(document, key) for key in document.einvoices}
    monkeypatch.setattr(pipeline, "render_invoice_pdf", lambda data: pytest.fail("a stored version is not rendered"))
    assert render_credit_note_document.apply(args=[str(note.pk), note.version]).get() == "ready"
    assert credit_note_documents(note) == [document]
    monkeypatch.undo()
    with organization_scope(org):
        document.delete()
    again = pipeline.render(pipeline.CREDIT_NOTE, organization=org, subject_id=note.pk)
    assert pipeline.read_pdf(again) == pdf
    assert {key: pipeline.read_einvoice(again, key) for key in again.einvoices} == files


def test_a_draft_is_previewed_watermarked_and_never_stored(org, commit):
    invoice = make_invoice(organization=org, items=[ITEM], status="issued")
    with commit():
        draft = services.credit_note_create(organization=org, actor=None, data={"invoice": invoice.pk, "full": True})
    assert credit_note_documents(draft) == []
    text = pdf_text(document_services.credit_note_preview_pdf(organization=org, credit_note_id=draft.pk)[1])
    assert "Draft (no number yet)" in text and invoice.number in text
    api = client_for(make_api_key(org)[1])
    response = api.get(f"/api/v1/credit-notes/{draft.pk}/pdf/")
    assert response.status_code == 200 and "Draft (no number yet)" in pdf_text(response.content)
    assert credit_note_documents(draft) == []


def test_the_api_answers_202_while_pending_then_the_stored_pdf(org, monkeypatch, django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr(jobs, "enqueue_render_credit_note", lambda note_id, version: enqueued.append(version))
    with django_capture_on_commit_callbacks(execute=True):
        _, note = issue_note(org)
    [pending] = credit_note_documents(note)
    assert pending.status == CreditNoteDocument.Status.PENDING and enqueued == [note.version]
    api = client_for(make_api_key(org)[1])
    response = api.get(f"/api/v1/credit-notes/{note.pk}/pdf/")
    assert response.status_code == 202 and response["Retry-After"] == "3"
    assert response.json()["status"] == "pending"
    monkeypatch.undo()
    assert render_credit_note_document.apply(args=[str(note.pk), note.version]).get() == "ready"
    response = api.get(f"/api/v1/credit-notes/{note.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == stored_pdf(note)


def test_the_web_download_shows_the_pending_page_then_the_stored_pdf(org, client, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue_render_credit_note", lambda note_id, version: None)  # a slow worker
    _, note = issue_note(org)
    client.force_login(MembershipFactory(organization=org, role=Role.VIEWER).user)
    url = reverse("credit_note_pdf", kwargs={"org_slug": org.slug, "credit_note_id": note.pk})
    page = client.get(url)
    assert page.status_code == 202 and page["Retry-After"]
    assert f"Preparing the PDF of credit note {note.number}" in page.content.decode()
    pipeline.render(pipeline.CREDIT_NOTE, organization=org, subject_id=note.pk)
    response = client.get(url, {"download": "1"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response.content == stored_pdf(note)


def test_the_sweeper_renders_what_a_lost_hook_or_job_left_behind(org, monkeypatch):
    _, lost_hook = issue_note(org)  # its after-commit hook never ran: no document at all
    _, lost_job = issue_note(org)
    pipeline.schedule(pipeline.CREDIT_NOTE, organization=org, subject_id=lost_job.pk, version=lost_job.version)
    later = timezone.now() + timedelta(minutes=5)
    enqueued = []
    monkeypatch.setattr(jobs, "enqueue_render_credit_note", lambda note_id, version: enqueued.append(str(note_id)))
    result = sweep_pending_work(now=later)
    assert result["documents"] >= 1 and result["missing_documents"] >= 1
    assert str(lost_job.pk) in enqueued
    [scheduled] = credit_note_documents(lost_hook)
    assert scheduled.status == CreditNoteDocument.Status.PENDING


def test_the_email_attaches_the_stored_pdf_and_the_customers_e_invoice(org, commit, mailoutbox):
    business = BusinessFactory(organization=org, **DE_FULL_SELLER)
    customer = CustomerFactory(organization=org, **{**DE_FULL_BUYER, "einvoice_format": "xrechnung"})
    _, note = issue_note(org, commit=commit, business=business, customer=customer)
    with commit():
        document_services.credit_note_send(organization=org, actor=None, credit_note_id=note.pk)
    [message] = mailoutbox
    attachments = {name: content for name, content, _type in message.attachments}
    [document] = credit_note_documents(note)
    assert attachments == {
        f"{note.number}.pdf": pipeline.read_pdf(document),
        f"{note.number}-xrechnung-cii.xml": pipeline.read_einvoice(document, "xrechnung-cii"),
    }


def test_a_customer_format_the_credit_note_cannot_satisfy_refuses_the_email(org, commit, mailoutbox):
    customer = CustomerFactory(organization=org, einvoice_format="peppol")
    _, note = issue_note(org, commit=commit, customer=customer)
    with pytest.raises(StateConflict) as refused:
        document_services.credit_note_send(organization=org, actor=None, credit_note_id=note.pk)
    assert "needs the customer's Peppol id" in refused.value.conflict_message and not mailoutbox


def test_api_and_web_refuse_another_organization(org, issued_note, client):
    _, note = issued_note
    outsider = client_for(make_api_key(OrganizationFactory(), name="outsider")[1])
    assert outsider.get(f"/api/v1/credit-notes/{note.pk}/pdf/").status_code == 404
    assert outsider.get(f"/api/v1/credit-notes/{note.pk}/einvoice/", {"format": "cii"}).status_code == 404
    client.force_login(MembershipFactory(organization=OrganizationFactory()).user)
    for name in ("credit_note_pdf", "credit_note_einvoice"):
        url = reverse(name, kwargs={"org_slug": org.slug, "credit_note_id": note.pk})
        assert client.get(url, {"format": "cii"}).status_code == 404
    with organization_scope(org):
        assert CreditNote.objects.filter(pk=note.pk).exists()
