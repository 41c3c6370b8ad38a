"""Web download and preview of invoice PDFs."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from documents import jobs, services
from documents.models import InvoiceDocument
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import make_invoice
from tests.documents.helpers import documents_of, pay, pdf_text, reload
from tests.organizations.factories import MembershipFactory, OrganizationFactory


def pdf_url(invoice, name="invoice_pdf"):
    return reverse(name, kwargs={"org_slug": invoice.organization.slug, "invoice_id": invoice.pk})


def stored_bytes(document):
    with document.file.open("rb") as fh:
        return fh.read()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_every_member_role_downloads_the_fresh_pdf(client, issued, role):
    user = MembershipFactory(organization=issued.organization, role=role).user
    client.force_login(user)
    response = client.get(pdf_url(issued))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    [document] = documents_of(issued)
    assert response.content == stored_bytes(document)
    assert response["ETag"] == f'"{document.sha256}"'
    assert f'filename="{reload(issued).number}.pdf"' in response["Content-Disposition"]


def test_download_can_be_forced_as_attachment_and_revalidates_with_etag(client, issued, member):
    client.force_login(member)
    response = client.get(pdf_url(issued) + "?download=1")
    assert response["Content-Disposition"].startswith("attachment;")
    again = client.get(pdf_url(issued), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_non_members_get_404_and_anonymous_users_nothing(client, issued):
    outsider = MembershipFactory(organization=OrganizationFactory()).user
    client.force_login(outsider)
    assert client.get(pdf_url(issued)).status_code == 404
    assert client.get(pdf_url(issued, "invoice_pdf_preview")).status_code == 404
    client.logout()
    response = client.get(pdf_url(issued))
    assert response.status_code in (302, 404)
    assert b"%PDF" not in response.content


def test_other_organizations_invoice_id_is_404_for_a_member(client, issued):
    other_org = OrganizationFactory()
    user = MembershipFactory(organization=other_org, role=Role.OWNER).user
    client.force_login(user)
    url = reverse("invoice_pdf", kwargs={"org_slug": other_org.slug, "invoice_id": issued.pk})
    assert client.get(url).status_code == 404
    url = reverse("invoice_pdf_preview", kwargs={"org_slug": other_org.slug, "invoice_id": issued.pk})
    assert client.get(url).status_code == 404


def test_a_stale_document_is_never_served_while_the_new_one_renders(client, issued, member, monkeypatch):
    """The render of the new version is slow (its job has not run yet): the page says so and
    reloads itself; it never hands out the previous version's bytes."""
    [old] = documents_of(issued)
    old_bytes = stored_bytes(old)
    enqueued = []
    monkeypatch.setattr(jobs, "enqueue_render", lambda invoice_id, version: enqueued.append(version))
    with_payment = pay(issued, "50.00", actor=member)  # noqa: F841 - the new version exists now
    client.force_login(member)
    response = client.get(pdf_url(issued))
    assert response.status_code == 202
    assert response["Retry-After"] == "2"
    assert b'http-equiv="refresh"' in response.content
    assert old_bytes not in response.content
    assert b"%PDF" not in response.content
    current = reload(issued)
    # the request itself made sure a render is on its way
    pending = [d for d in documents_of(current) if d.invoice_version == current.version]
    assert pending and pending[0].status == InvoiceDocument.Status.PENDING

    # Once the job ran, the same URL serves the new version.
    services.document_render(organization=current.organization, invoice_id=current.pk, version=current.version)
    response = client.get(pdf_url(issued))
    assert response.status_code == 200
    assert response.content != old_bytes
    assert "€50.00" in pdf_text(response.content)


def test_a_failed_render_shows_the_error_and_is_retried(client, issued, member, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue_render", lambda invoice_id, version: None)
    pay(issued, "5.00", actor=member)
    invoice = reload(issued)
    with organization_scope(invoice.organization):
        InvoiceDocument.objects.create(
            organization=invoice.organization,
            invoice=invoice,
            invoice_version=invoice.version,
            status=InvoiceDocument.Status.FAILED,
            error="OSError: disk full",
        )
        InvoiceDocument.objects.filter(invoice=invoice).update(updated_at=timezone.now() - timedelta(minutes=1))
    client.force_login(member)
    response = client.get(pdf_url(issued))
    assert response.status_code == 202
    assert b"failed" in response.content and b"disk full" in response.content
    [document] = [d for d in documents_of(invoice) if d.invoice_version == invoice.version]
    assert document.status == InvoiceDocument.Status.PENDING  # asked again


def test_draft_pdf_is_a_watermarked_preview_and_is_not_stored(client, org, business, customer, member):
    draft = make_invoice(organization=org, business=business, customer=customer, actor=member)
    client.force_login(member)
    for name in ("invoice_pdf", "invoice_pdf_preview"):
        response = client.get(pdf_url(draft, name))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        text = pdf_text(response.content)
        assert "DRAFT" in text.split()
        assert "Draft (no number yet)" in text
    assert documents_of(draft) == []


def test_preview_of_an_issued_invoice_shows_its_current_state(client, issued, member):
    client.force_login(member)
    response = client.get(pdf_url(issued, "invoice_pdf_preview"))
    assert response.status_code == 200
    assert reload(issued).number in pdf_text(response.content)


def test_missing_invoice_is_404(client, org, member):
    import uuid

    client.force_login(member)
    url = reverse("invoice_pdf", kwargs={"org_slug": org.slug, "invoice_id": uuid.uuid4()})
    assert client.get(url).status_code == 404


def test_api_serves_only_the_fresh_pdf_and_answers_202_while_rendering(client, issued, member, monkeypatch):
    from tests.organizations.factories import make_api_key

    _key, raw = make_api_key(issued.organization)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT": "application/pdf"}
    url = f"/api/v1/invoices/{issued.pk}/pdf/"
    [old] = documents_of(issued)
    response = client.get(url, **headers)
    assert response.status_code == 200
    assert response.content == stored_bytes(old)

    monkeypatch.setattr(jobs, "enqueue_render", lambda invoice_id, version: None)  # a slow worker
    pay(issued, "50.00", actor=member)
    response = client.get(url, **headers)
    assert response.status_code == 202
    assert response["Retry-After"]
    assert b"%PDF" not in response.content

    current = reload(issued)
    services.document_render(organization=current.organization, invoice_id=current.pk)
    response = client.get(url, **headers)
    assert response.status_code == 200
    assert "€50.00" in pdf_text(response.content)
