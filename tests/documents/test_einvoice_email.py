"""The customer's ``einvoice_format`` decides what the invoice email attaches; the business's
``facturx`` setting whether its PDF is the Factur-X file (made by the document pipeline)."""

import pytest

from billing.exceptions import StateConflict
from documents import services
from documents.pdf.pdfa import attached_xml
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.documents.test_email import smtp  # noqa: F401 (the SMTP server fixture)
from tests.einvoice.issued import DE_FULL_BUYER, DE_FULL_SELLER

ITEMS = ({"description": "Beratung", "quantity": "2", "unit_price": "500.00", "tax_rate": "19"},)


def issue(org, member, commit, *, einvoice_format="pdf", facturx=True, buyer=DE_FULL_BUYER):
    business = BusinessFactory(organization=org, **{**DE_FULL_SELLER, "facturx": facturx})
    customer = CustomerFactory(organization=org, **{**buyer, "einvoice_format": einvoice_format})
    with commit():
        return make_invoice(
            organization=org, business=business, customer=customer, actor=member, items=ITEMS, status="issued"
        )


def send(invoice, member, commit):
    with commit():
        services.invoice_send(organization=invoice.organization, actor=member, invoice_id=invoice.pk)


def attachments(smtp):  # noqa: F811
    return {part.get_filename(): part for part in smtp.parsed().iter_attachments()}


def cii_of(invoice):
    with organization_scope(invoice.organization):
        return services.einvoice_download(organization=invoice.organization, invoice_id=invoice.pk, format_key="cii")


def test_a_business_with_factur_x_stores_and_sends_the_factur_x_pdf(org, member, commit, smtp):  # noqa: F811
    invoice = issue(org, member, commit)
    document = services.fresh_document(organization=org, invoice=invoice)
    assert document.facturx
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert attached_xml(stored)[1] == cii_of(invoice).content
    send(invoice, member, commit)
    [pdf] = attachments(smtp).values()
    assert pdf.get_content() == stored


def test_without_factur_x_the_business_sends_its_plain_pdf(org, member, commit, smtp):  # noqa: F811
    invoice = issue(org, member, commit, facturx=False)
    assert not services.fresh_document(organization=org, invoice=invoice).facturx
    send(invoice, member, commit)
    [pdf] = attachments(smtp).values()
    assert b"factur-x.xml" not in pdf.get_content()


def test_a_customer_taking_factur_x_gets_it_even_from_a_business_without_it(org, member, commit, smtp):  # noqa: F811
    invoice = issue(org, member, commit, facturx=False, einvoice_format="facturx")
    send(invoice, member, commit)
    [pdf] = attachments(smtp).values()
    assert attached_xml(pdf.get_content())[1] == cii_of(invoice).content


@pytest.mark.parametrize(("einvoice_format", "xml_format"), [("xrechnung", "xrechnung-cii"), ("peppol", "peppol")])
def test_an_xml_customer_gets_the_xml_and_the_pdf(org, member, commit, smtp, einvoice_format, xml_format):  # noqa: F811
    invoice = issue(org, member, commit, einvoice_format=einvoice_format)
    send(invoice, member, commit)
    files = attachments(smtp)
    assert set(files) == {f"{invoice.number}.pdf", f"{invoice.number}-{xml_format}.xml"}
    with organization_scope(org):
        expected = services.einvoice_download(organization=org, invoice_id=invoice.pk, format_key=xml_format)
    assert files[f"{invoice.number}-{xml_format}.xml"].get_content() == expected.content


def test_a_customer_format_the_invoice_cannot_satisfy_refuses_the_email(org, member, commit, smtp):  # noqa: F811
    invoice = issue(org, member, commit, einvoice_format="peppol", buyer={**DE_FULL_BUYER, "peppol_id": ""})
    with pytest.raises(StateConflict) as refused:
        services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk)
    assert "needs the customer's Peppol id" in refused.value.conflict_message
    assert not smtp.messages


def test_factur_x_renders_are_byte_identical(org, member, commit):
    invoice = issue(org, member, commit)
    document = services.fresh_document(organization=org, invoice=invoice)
    with document.file.open("rb") as handle:
        stored = handle.read()
    with organization_scope(org):
        document.delete()
    rendered_again = services.document_render(organization=org, invoice_id=invoice.pk)
    with rendered_again.file.open("rb") as handle:
        assert handle.read() == stored
