"""eu-invoicing.md "Parties" on paper: both parties' full addresses, VAT and registration ids,
the seller's bank account in the payment section and its legal mentions in every footer, all
from the snapshot taken at issue."""

import io
from decimal import Decimal

import zxingcpp
from pypdf import PdfReader

from billing.models import Business, Customer, Invoice
from documents.pdf import print_data_for, render_invoice_pdf
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.documents.helpers import pay, pdf_text

SELLER = {
    "name": "Atelier Lumière",
    "legal_name": "Atelier Lumière SAS",
    "address_line1": "12 rue de la Paix",
    "address_line2": "Bâtiment B",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "vat_id": "FR40303265045",
    "legal_registration_id": "SIREN 303 265 045",
    "iban": "FR7630006000011234567890189",
    "bic": "BNPAFRPP",
    "legal_mentions": "SAS au capital de 10 000 € · RCS Paris 303 265 045\n"
    "Pénalités de retard : trois fois le taux d'intérêt légal. Indemnité forfaitaire de recouvrement : 40 €.",
    "contact_name": "Camille Martin",
    "peppol_id": "0009:30326504500013",
    "language": "fr",
}
BUYER = {
    "name": "Kunde GmbH",
    "address_line1": "Hauptstraße 5",
    "postcode": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE136695976",
    "legal_registration_id": "HRB 12345 B",
    "buyer_reference": "04011000-12345-34",
    "peppol_id": "9930:DE136695976",
    "language": "de",
}


def load(invoice) -> Invoice:
    return (
        Invoice.objects.select_related("business", "customer").prefetch_related("items", "payments").get(pk=invoice.pk)
    )


def issued_invoice(org, member, items=None):
    business = BusinessFactory(organization=org, **SELLER)
    customer = CustomerFactory(organization=org, **BUYER)
    extra = {"items": items} if items else {}
    return make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued", **extra)


def test_the_snapshot_holds_every_party_field_as_printed(org, member):
    invoice = issued_invoice(org, member)
    assert {key: invoice.business_snapshot[key] for key in SELLER} == SELLER
    assert {key: invoice.customer_snapshot[key] for key in BUYER} == BUYER
    assert invoice.business_snapshot["address"] == "12 rue de la Paix\nBâtiment B\n75002 Paris\nFrance"
    assert invoice.customer_snapshot["billing_address"] == "Hauptstraße 5\n10115 Berlin\nGermany"


def test_the_pdf_prints_both_parties_bank_details_and_legal_mentions(org, member):
    invoice = issued_invoice(org, member)
    with organization_scope(org):
        # Later edits reach neither the print data nor the PDF.
        Business.objects.filter(pk=invoice.business_id).update(iban="", legal_mentions="", city="Lyon")
        Customer.objects.filter(pk=invoice.customer_id).update(vat_id="", city="München")
        data = print_data_for(load(invoice))
    text = pdf_text(render_invoice_pdf(data))
    for expected in (
        "12 rue de la Paix",
        "Bâtiment B",
        "75002 Paris",
        "France",
        "VAT: FR40303265045",
        "Registration: SIREN 303 265 045",
        "Hauptstraße 5",
        "10115 Berlin",
        "Germany",
        "VAT: DE136695976",
        "Registration: HRB 12345 B",
        "IBAN: FR76 3000 6000 0112 3456 7890 189 · BIC: BNPAFRPP",
        "SAS au capital de 10 000 € · RCS Paris 303 265 045",
        "Indemnité forfaitaire de recouvrement : 40 €.",
    ):
        assert expected in text, expected
    assert "Lyon" not in text and "München" not in text


def test_legal_mentions_are_in_every_pages_footer(org, member):
    items = [{"description": f"Line {n}", "quantity": "1", "unit_price": "10.00", "tax_rate": "20"} for n in range(80)]
    invoice = issued_invoice(org, member, items=items)
    with organization_scope(org):
        pdf = render_invoice_pdf(print_data_for(load(invoice)))
    pages = pdf_text(pdf).split("Page ")
    footers = [page for page in pdf_text(pdf).split("\n") if "RCS Paris 303 265 045" in page]
    assert len(pages) > 2 and len(footers) == len(pages) - 1  # once per page


def test_the_country_is_named_in_the_documents_language(org, member):
    invoice = issued_invoice(org, member)
    with organization_scope(org):
        data = print_data_for(load(invoice), language="de")
    assert data.seller.address.splitlines()[-1] == "Frankreich"
    assert data.buyer.address.splitlines()[-1] == "Deutschland"


def test_a_snapshot_taken_before_structured_addresses_prints_its_old_text(org, member):
    invoice = make_invoice(organization=org, actor=member, status="issued")
    legacy_seller = {"name": "Old GmbH", "address": "Torstraße 1\n10119 Berlin", "tax_id": "DE1"}
    legacy_buyer = {"name": "Old Client", "billing_address": "1 Main St\nSpringfield"}
    with organization_scope(org):
        Invoice.objects.filter(pk=invoice.pk).update(business_snapshot=legacy_seller, customer_snapshot=legacy_buyer)
        data = print_data_for(load(invoice))
    assert data.seller.address == "Torstraße 1\n10119 Berlin"
    assert data.buyer.address == "1 Main St\nSpringfield"
    assert (data.iban, data.bic, data.legal_mentions) == ("", "", "")
    assert "Torstraße 1" in pdf_text(render_invoice_pdf(data))


# --- the EPC QR code (GiroCode) ------------------------------------------------------------------


def decoded_qr_codes(pdf: bytes) -> list[str]:
    """The text of every QR code among the PDF's images, read as a banking app would."""
    texts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            texts += [result.text for result in zxingcpp.read_barcodes(image.image) if result.format.name == "QRCode"]
    return texts


def test_the_epc_qr_code_decodes_to_the_iban_amount_and_invoice_number(org, member):
    invoice = issued_invoice(org, member)
    pay(invoice, "100.00")
    with organization_scope(org):
        stored = load(invoice)
        pdf = render_invoice_pdf(print_data_for(stored))
    [text] = decoded_qr_codes(pdf)
    fields = text.split("\n")
    # EPC069-12 version 002: service tag, version, encoding, SCT, BIC, name, IBAN, amount, purpose,
    # structured reference, remittance text.
    assert fields[:4] == ["BCD", "002", fields[2], "SCT"]
    assert fields[4:7] == ["BNPAFRPP", "Atelier Lumière SAS", "FR7630006000011234567890189"]
    assert fields[7] == f"EUR{stored.balance_due.quantize(Decimal('0.01'))}"
    assert stored.balance_due == stored.total - Decimal("100.00")
    assert fields[10] == stored.number


def test_no_qr_code_without_an_iban_in_another_currency_or_with_nothing_to_pay(org, member):
    business = BusinessFactory(organization=org, **{**SELLER, "iban": ""})
    customer = CustomerFactory(organization=org, **BUYER)
    without_iban = make_invoice(organization=org, business=business, customer=customer, actor=member, status="issued")
    with_iban = BusinessFactory(organization=org, **SELLER)
    in_dollars = make_invoice(
        organization=org, business=with_iban, customer=customer, actor=member, status="issued", currency="USD"
    )
    paid = make_invoice(organization=org, business=with_iban, customer=customer, actor=member, status="paid")
    draft = make_invoice(organization=org, business=with_iban, customer=customer, actor=member)
    for invoice in (without_iban, in_dollars, paid, draft):
        with organization_scope(org):
            assert decoded_qr_codes(render_invoice_pdf(print_data_for(load(invoice)))) == [], invoice.status
