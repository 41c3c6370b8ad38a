"""``GET /api/v1/invoices/{id}/einvoice/?format=...``: the XML formats and the Factur-X PDF of
the current version, as the document pipeline stored them (202 until then), 409 on a draft,
422 naming what is missing, 400 on an unknown format."""

import pytest

from billing.models import Business
from documents import pipeline
from documents import services as document_services
from documents.pdf.pdfa import attached_xml, facturx_level
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.einvoice.issued import DE_FULL_BUYER, DE_FULL_SELLER

URL = "/api/v1/invoices/"
ITEMS = (
    {"description": "Beratung", "quantity": "12.5", "unit_price": "80.00", "tax_rate": "19"},
    {"description": "Bücher", "quantity": "3", "unit_price": "12.99", "tax_rate": "7"},
)


@pytest.fixture
def invoice(org):
    business = BusinessFactory(organization=org, **DE_FULL_SELLER)
    customer = CustomerFactory(organization=org, **DE_FULL_BUYER)
    return make_invoice(organization=org, business=business, customer=customer, items=ITEMS, status="issued")


def einvoice(api, invoice, format_key, **headers):
    return api.get(f"{URL}{invoice.pk}/einvoice/", {"format": format_key}, **headers)


def render(org, invoice):
    document = document_services.document_render(organization=org, invoice_id=invoice.pk)
    assert document is not None and document.status == "ready"
    return document


@pytest.mark.parametrize("format_key", ["cii", "ubl", "xrechnung-cii", "xrechnung-ubl", "peppol"])
def test_xml_formats_are_202_until_the_pipeline_rendered_them_then_a_named_file(api, org, invoice, format_key):
    pending = einvoice(api, invoice, format_key)
    assert pending.status_code == 202 and int(pending["Retry-After"]) > 0
    assert pending.json()["status"] == "pending"
    document = render(org, invoice)
    response = einvoice(api, invoice, format_key, HTTP_ACCEPT="application/xml")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}-{format_key}.xml"'
    assert response.content.startswith(b"<?xml")
    with document.file.storage.open(document.einvoice(format_key)["name"], "rb") as stored:
        assert stored.read() == response.content  # the stored bytes, not a render in the request


def test_facturx_is_202_until_the_pipeline_rendered_it_then_the_pdf_with_the_cii_inside(api, org, invoice):
    pending = einvoice(api, invoice, "facturx")
    assert pending.status_code == 202 and int(pending["Retry-After"]) > 0
    document = render(org, invoice)
    assert document.facturx  # the business uses Factur-X: the stored PDF is the Factur-X file
    response = einvoice(api, invoice, "facturx", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    name, xml = attached_xml(response.content)
    assert name == "factur-x.xml"
    assert xml == einvoice(api, invoice, "cii").content
    assert facturx_level(xml) == "en16931"
    assert api.get(f"{URL}{invoice.pk}/pdf/").content == response.content  # the normal PDF is the Factur-X one


def test_facturx_of_a_business_without_it_is_stored_beside_the_plain_pdf(api, org, invoice):
    with organization_scope(org):
        Business.objects.filter(pk=invoice.business_id).update(facturx=False)
        invoice.business_snapshot = {**invoice.business_snapshot, "facturx": False}
        invoice.save(update_fields=["business_snapshot"])
    document = render(org, invoice)
    assert not document.facturx
    plain = api.get(f"{URL}{invoice.pk}/pdf/").content
    first, second = einvoice(api, invoice, "facturx").content, einvoice(api, invoice, "facturx").content
    assert first == second and first != plain
    assert first == pipeline.read_einvoice(document, "facturx")  # stored beside the plain PDF
    assert attached_xml(first)[1] == einvoice(api, invoice, "cii").content


def test_a_draft_has_no_einvoice(api, org):
    draft = make_invoice(organization=org)
    response = einvoice(api, draft, "cii")
    assert response.status_code == 409 and "draft" in response.json()["detail"]


def test_a_format_the_invoice_cannot_satisfy_is_422_naming_the_fields(api, org):
    plain = make_invoice(organization=org, status="issued")  # no Peppol ids, no buyer reference
    response = einvoice(api, plain, "peppol")
    assert response.status_code == 422
    body = response.json()
    assert {"business.peppol_id", "customer.peppol_id"} <= set(body["missing"])
    assert body["detail"].startswith("This document cannot be produced as Peppol BIS Billing 3.0")


# A plain issued invoice (German parties, no Peppol ids, no buyer reference) refused as Peppol.
PEPPOL_MISSING = [
    "business.vat_id",
    "business.peppol_id",
    "customer.peppol_id",
    "customer.buyer_reference",
    "business.iban",
    "business.contact_name",
    "business.phone",
    "customer.postcode",
]
PEPPOL_DETAIL = {
    "en": "This document cannot be produced as Peppol BIS Billing 3.0: "
    "The business needs its VAT number or its legal registration number. "
    "Peppol needs the business's Peppol id. Peppol needs the customer's Peppol id. "
    "Peppol needs the customer's buyer reference or a purchase order reference. "
    "German e-invoices need payment instructions: the business's IBAN. "
    "German e-invoices need a seller contact name. German e-invoices need the business's phone number. "
    "German e-invoices need the customer's postcode.",
    "fr": "Ce document ne peut pas être établi au format Peppol BIS Billing 3.0 : "
    "L’entreprise doit renseigner son numéro de TVA ou son numéro d’immatriculation. "
    "Peppol exige l’identifiant Peppol de l’entreprise. Peppol exige l’identifiant Peppol du client. "
    "Peppol exige la référence acheteur du client ou une référence de bon de commande. "
    "Les factures électroniques allemandes exigent des instructions de paiement : l’IBAN de l’entreprise. "
    "Les factures électroniques allemandes exigent le nom d’un contact chez le vendeur. "
    "Les factures électroniques allemandes exigent le numéro de téléphone de l’entreprise. "
    "Les factures électroniques allemandes exigent le code postal du client.",
    "de": "Dieses Dokument kann nicht als Peppol BIS Billing 3.0 erstellt werden: "
    "Das Unternehmen benötigt seine USt-IdNr. oder seine Registernummer. "
    "Peppol erfordert die Peppol-ID des Unternehmens. Peppol erfordert die Peppol-ID des Kunden. "
    "Peppol erfordert die Käuferreferenz des Kunden oder eine Bestellreferenz. "
    "Deutsche E-Rechnungen erfordern Zahlungsanweisungen: die IBAN des Unternehmens. "
    "Deutsche E-Rechnungen erfordern den Namen eines Ansprechpartners des Verkäufers. "
    "Deutsche E-Rechnungen erfordern die Telefonnummer des Unternehmens. "
    "Deutsche E-Rechnungen erfordern die Postleitzahl des Kunden.",
}


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_422_detail_is_in_the_requests_language_and_missing_stays_the_same(api, org, language):
    plain = make_invoice(organization=org, status="issued")
    response = einvoice(api, plain, "peppol", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    assert response.status_code == 422
    assert response.json() == {"detail": PEPPOL_DETAIL[language], "missing": PEPPOL_MISSING}


@pytest.mark.parametrize("query", [{"format": "pdf"}, {"format": ""}, {}, {"format": "cii", "other": "1"}])
def test_an_unknown_or_missing_format_is_400(api, invoice, query):
    response = api.get(f"{URL}{invoice.pk}/einvoice/", query)
    assert response.status_code == 400
    assert set(response.json()) <= {"format", "other"}


def test_another_organizations_invoice_is_404(outsider_api, invoice):
    assert einvoice(outsider_api, invoice, "cii").status_code == 404


def test_a_read_only_key_may_download(ro_api, org, invoice):
    render(org, invoice)
    assert einvoice(ro_api, invoice, "ubl").status_code == 200


def test_the_endpoint_is_in_the_schema(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/invoices/{id}/einvoice/"]["get"]
    formats = next(p for p in operation["parameters"] if p["name"] == "format")
    assert sorted(formats["schema"]["enum"]) == ["cii", "facturx", "peppol", "ubl", "xrechnung-cii", "xrechnung-ubl"]
    assert formats["required"] is True
    assert {"200", "202", "422"} <= set(operation["responses"])
    assert set(operation["responses"]["200"]["content"]) == {"application/xml", "application/pdf"}
