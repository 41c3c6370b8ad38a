"""The invoice list's bulk actions that touch documents: the PDFs of the ticked invoices as
one zip, and sending them to their customers; roles, tenancy and the cap on their number."""

import io
import zipfile

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from documents import services
from documents.models import OutboundEmail
from organizations.permissions import Role
from organizations.tenancy import organization_scope
from tests.billing.factories import CustomerFactory, make_invoice
from tests.documents.helpers import pdf_text, reload
from tests.organizations.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

ROLES = [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER]
WRITERS = [Role.OWNER, Role.ADMIN, Role.MEMBER]


def url(org, name):
    return reverse(name, kwargs={"org_slug": org.slug})


def log_in(client, org, role=Role.MEMBER):
    user = MembershipFactory(organization=org, role=role).user
    client.force_login(user)
    return user


@pytest.fixture
def invoices(org, business, customer, commit):
    with commit():
        issued = make_invoice(organization=org, business=business, customer=customer, status="issued")
        paid = make_invoice(organization=org, business=business, customer=customer, status="paid")
    draft = make_invoice(organization=org, business=business, customer=customer)
    return issued, paid, draft


def emails(org):
    with organization_scope(org):
        return list(OutboundEmail.objects.filter(organization=org).order_by("created_at"))


class TestPdfZip:
    @pytest.mark.parametrize("role", ROLES)
    def test_every_role_downloads_the_ticked_invoices_as_one_zip(self, client, org, invoices, role):
        issued, paid, draft = invoices
        log_in(client, org, role)
        response = client.post(url(org, "invoice_bulk_pdf"), {"invoice": [str(i.pk) for i in invoices]})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        names = archive.namelist()
        assert names == [f"{reload(issued).number}.pdf", f"{reload(paid).number}.pdf", f"draft-{str(draft.pk)[:8]}.pdf"]
        assert reload(issued).number in pdf_text(archive.read(names[0]))
        assert "DRAFT" in pdf_text(archive.read(names[2]))

    def test_an_issued_invoice_whose_pdf_is_not_rendered_yet_is_rendered_now(self, client, org, business, customer):
        issued = make_invoice(organization=org, business=business, customer=customer, status="issued")  # no job ran
        log_in(client, org)
        response = client.post(url(org, "invoice_bulk_pdf"), {"invoice": [str(issued.pk)]})
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        assert reload(issued).number in pdf_text(archive.read(archive.namelist()[0]))

    def test_another_organizations_invoices_are_left_out(self, client, org, invoices):
        foreign = make_invoice(organization=OrganizationFactory())
        log_in(client, org)
        response = client.post(url(org, "invoice_bulk_pdf"), {"invoice": [str(foreign.pk), str(invoices[2].pk)]})
        assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == [f"draft-{str(invoices[2].pk)[:8]}.pdf"]
        only_foreign = client.post(url(org, "invoice_bulk_pdf"), {"invoice": [str(foreign.pk)]}, follow=True)
        assert "None of the selected invoices exists" in only_foreign.content.decode()

    @pytest.mark.parametrize("picked", [[], ["not-a-uuid"], [""]])
    def test_nothing_ticked_is_explained_on_the_list(self, client, org, invoices, picked):
        log_in(client, org)
        response = client.post(
            url(org, "invoice_bulk_pdf"), {"invoice": picked, "return_query": "status=draft&q=x"}, follow=True
        )
        assert response.redirect_chain[-1][0] == url(org, "invoice_list") + "?status=draft&q=x"
        assert "Select at least one invoice." in response.content.decode()

    def test_at_most_the_cap_at_a_time(self, client, org, business, customer, monkeypatch):
        monkeypatch.setattr(services, "MAX_BULK_INVOICES", 2)
        drafts = [make_invoice(organization=org, business=business, customer=customer) for _ in range(3)]
        log_in(client, org)
        response = client.post(url(org, "invoice_bulk_pdf"), {"invoice": [str(d.pk) for d in drafts]}, follow=True)
        assert "Select at most 2 invoices at a time (3 were selected)." in response.content.decode()

    def test_outsider_gets_404_and_get_is_refused(self, client, org, invoices):
        log_in(client, OrganizationFactory(), Role.OWNER)
        assert client.post(url(org, "invoice_bulk_pdf"), {"invoice": [str(invoices[0].pk)]}).status_code == 404
        log_in(client, org)
        assert client.get(url(org, "invoice_bulk_pdf")).status_code == 405


class TestSend:
    @pytest.mark.parametrize("role", ROLES)
    def test_role_matrix(self, client, org, invoices, role):
        issued, paid, _ = invoices
        log_in(client, org, role)
        response = client.post(url(org, "invoice_bulk_send"), {"invoice": [str(issued.pk), str(paid.pk)]})
        if role in WRITERS:
            assert response.status_code == 302
            assert [e.invoice_id for e in emails(org)] == [issued.pk, paid.pk]
        else:
            assert response.status_code == 403
            assert emails(org) == []

    def test_what_cannot_be_sent_is_named_and_the_rest_is_sent_and_audited(self, client, org, invoices, business):
        issued, paid, draft = invoices
        silent = make_invoice(
            organization=org, business=business, customer=CustomerFactory(organization=org, email=""), status="issued"
        )
        user = log_in(client, org)
        picked = [str(i.pk) for i in (draft, issued, silent, paid)]
        response = client.post(url(org, "invoice_bulk_send"), {"invoice": picked, "return_query": "q=a"}, follow=True)
        content = response.content.decode()
        assert response.redirect_chain[-1][0] == url(org, "invoice_list") + "?q=a"
        assert "2 invoices are being sent." in content
        assert "was not sent: A draft invoice cannot be sent." in content
        assert f"{reload(silent).number} was not sent: The customer has no email address" in content
        assert [e.invoice_id for e in emails(org)] == [issued.pk, paid.pk]
        with organization_scope(org):
            audited = AuditEntry.objects.filter(organization=org, action="invoice.email_queued", actor_user=user)
            assert sorted(e.target_id for e in audited) == sorted([str(issued.pk), str(paid.pk)])

    def test_at_most_the_cap_at_a_time_and_nothing_is_sent(self, client, org, invoices, monkeypatch):
        monkeypatch.setattr(services, "MAX_BULK_INVOICES", 1)
        log_in(client, org)
        response = client.post(
            url(org, "invoice_bulk_send"), {"invoice": [str(i.pk) for i in invoices[:2]]}, follow=True
        )
        assert "Select at most 1 invoices at a time" in response.content.decode()
        assert emails(org) == []

    def test_another_organizations_invoice_is_never_sent(self, client, org, invoices):
        foreign = make_invoice(organization=OrganizationFactory(), status="issued")
        log_in(client, org)
        client.post(url(org, "invoice_bulk_send"), {"invoice": [str(foreign.pk), str(invoices[0].pk)]})
        assert [e.invoice_id for e in emails(org)] == [invoices[0].pk]
        with organization_scope(foreign.organization):
            assert not OutboundEmail.objects.filter(invoice_id=foreign.pk).exists()
