"""E-invoices come from the versioned pipeline: stored with the version's PDF (new version, new
files), served as stored, 202 while being rendered; and issued credit notes download as every
format (type code 381, the corrected invoice as BG-3), from the API and the web."""

import datetime

import pytest
from django.urls import reverse
from lxml import etree

from billing import services
from documents import jobs, pipeline
from documents.models import InvoiceDocument
from documents.pdf.pdfa import attached_xml, facturx_level
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.api.conftest import client_for
from tests.billing.factories import CustomerFactory, make_invoice
from tests.documents.helpers import (
    EVERY_FORMAT,
    ITEM,
    credit_note_documents,
    documents_of,
    full_parties,
    issue_note,
    pay,
    reload,
)
from tests.einvoice.readback import NS
from tests.organizations.factories import OrganizationFactory, make_api_key

CONTENT_TYPES = {key: "application/pdf" if key == "facturx" else "application/xml" for key in EVERY_FORMAT}


@pytest.fixture
def api(org):
    return client_for(make_api_key(org)[1])


def einvoice(api, note, key, kind="credit-notes"):
    return api.get(f"/api/v1/{kind}/{note.pk}/einvoice/", {"format": key})


@pytest.mark.parametrize("key", sorted(EVERY_FORMAT))
def test_an_issued_credit_note_downloads_as_every_format_from_its_stored_files(api, full_note, key):
    invoice, note = full_note
    response = einvoice(api, note, key)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPES[key]
    suffix = "pdf" if key == "facturx" else f"{key}.xml"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="{note.number}{"." if key == "facturx" else "-"}{suffix}"'
    )
    [document] = credit_note_documents(note)
    assert response.content == pipeline.read_einvoice(document, key)
    xml = attached_xml(response.content)[1] if key == "facturx" else response.content
    root = etree.fromstring(xml)
    if "ubl" in key or key == "peppol":
        assert etree.QName(root).localname == "CreditNote"
        assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
        assert root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS) == (
            invoice.number
        )
        assert root.findtext(".//cac:InvoiceDocumentReference/cbc:IssueDate", namespaces=NS) == "2026-03-05"
        assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "60.00"
    else:
        assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
        reference = root.find(".//ram:InvoiceReferencedDocument", namespaces=NS)
        assert reference.findtext("ram:IssuerAssignedID", namespaces=NS) == invoice.number
        assert "20260305" in etree.tostring(reference).decode()
        assert root.findtext(".//ram:DuePayableAmount", namespaces=NS) == "60.00"


def test_the_factur_x_credit_note_carries_the_cii_download_and_renders_byte_identical(org, api, full_note):
    _, note = full_note
    facturx = einvoice(api, note, "facturx").content
    name, xml = attached_xml(facturx)
    assert name == "factur-x.xml"
    assert xml == einvoice(api, note, "cii").content
    assert facturx_level(xml) == "en16931"
    with organization_scope(org):
        note.documents.all().delete()
    again = pipeline.render(pipeline.CREDIT_NOTE, organization=org, subject_id=note.pk)
    assert pipeline.read_einvoice(again, "facturx") == facturx


def test_draft_409_missing_data_422_unknown_format_400(org, api):
    invoice, note = issue_note(org)  # the factory's parties: no Peppol ids, no buyer reference
    draft = services.credit_note_create(organization=org, actor=None, data={"invoice": invoice.pk, "full": True})
    assert einvoice(api, draft, "cii").status_code == 409
    refused = einvoice(api, note, "peppol")
    assert refused.status_code == 422
    assert {"business.peppol_id", "customer.peppol_id"} <= set(refused.json()["missing"])
    assert einvoice(api, note, "docx").status_code == 400
    with organization_scope(org):
        assert not note.documents.exists()  # refused before any file, nothing asked of the pipeline


def test_while_pending_the_download_answers_202_and_asks_for_the_render(org, api, monkeypatch):
    enqueued = []
    monkeypatch.setattr(jobs, "enqueue_render_credit_note", lambda note_id, version: enqueued.append(version))
    business, customer = full_parties(org)
    _, note = issue_note(org, business=business, customer=customer)  # its after-commit render never ran
    response = einvoice(api, note, "cii")
    assert response.status_code == 202 and response["Retry-After"] == "3"
    assert response.json()["status"] == "pending"
    [pending] = credit_note_documents(note)
    assert pending.status == "pending" and pending.einvoices is None
    pipeline.render(pipeline.CREDIT_NOTE, organization=org, subject_id=note.pk)
    assert einvoice(api, note, "cii").status_code == 200


def test_a_new_invoice_version_has_new_e_invoice_files(org, api, commit):
    business, customer = full_parties(org)
    with commit():
        invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
    first = einvoice(api, invoice, "cii", kind="invoices").content
    with commit():
        pay(invoice, "10.00")
    old, new = documents_of(reload(invoice))
    assert old.einvoice("cii")["name"] != new.einvoice("cii")["name"]
    second = einvoice(api, invoice, "cii", kind="invoices").content
    assert second == pipeline.read_einvoice(new, "cii") != first
    assert b"<ram:TotalPrepaidAmount>10.00</ram:TotalPrepaidAmount>" in second


def test_a_version_stored_before_e_invoices_gets_them_from_its_stored_pdf(org, api, commit, monkeypatch):
    business, customer = full_parties(org)
    with commit():
        invoice = make_invoice(organization=org, business=business, customer=customer, items=[ITEM], status="issued")
    [document] = documents_of(invoice)
    long_ago = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with organization_scope(org):
        InvoiceDocument.objects.filter(pk=document.pk).update(einvoices=None, updated_at=long_ago)
    monkeypatch.setattr(pipeline, "render_invoice_pdf", lambda data: pytest.fail("the stored PDF is kept"))
    with commit():
        assert einvoice(api, invoice, "ubl", kind="invoices").status_code == 202
    [completed] = documents_of(invoice)
    assert completed.sha256 == document.sha256 and completed.file.name == document.file.name
    assert set(completed.einvoices) >= {"cii", "ubl"}
    assert einvoice(api, invoice, "ubl", kind="invoices").status_code == 200


def test_the_invoice_page_offers_each_issued_credit_note_in_every_format(client, org, full_note):
    from tests.billing.webclient import log_in

    invoice, note = full_note
    log_in(client, org, Role.VIEWER)
    page = client.get(reverse("invoice_detail", kwargs={"org_slug": org.slug, "invoice_id": invoice.pk}))
    text = page.content.decode()
    url = reverse("credit_note_einvoice", kwargs={"org_slug": org.slug, "credit_note_id": note.pk})
    assert 'data-testid="credit-note-download-as"' in text
    for key in EVERY_FORMAT:
        assert f"{url}?format={key}" in text
    response = client.get(url, {"format": "xrechnung-ubl"})
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"


def test_the_web_refuses_a_format_the_credit_note_lacks_data_for(client, org):
    from tests.billing.webclient import log_in

    customer = CustomerFactory(organization=org)
    invoice, note = issue_note(org, customer=customer)
    log_in(client, org)
    url = reverse("credit_note_einvoice", kwargs={"org_slug": org.slug, "credit_note_id": note.pk})
    response = client.get(url, {"format": "peppol"}, follow=True)
    detail = reverse("invoice_detail", kwargs={"org_slug": org.slug, "invoice_id": invoice.pk})
    assert response.redirect_chain[-1][0] == detail + "#credit-notes"
    assert "cannot be produced as Peppol BIS Billing 3.0" in response.content.decode()


def test_another_organizations_key_gets_404(full_note):
    _, note = full_note
    outsider = client_for(make_api_key(OrganizationFactory())[1])
    assert einvoice(outsider, note, "cii").status_code == 404
