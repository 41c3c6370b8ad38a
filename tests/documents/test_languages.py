"""Documents in the customer's language: the PDF and the email, with Babel's formats."""

import pytest

from documents import services
from documents.language import document_language
from documents.models import OutboundEmail
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory, make_invoice
from tests.documents.helpers import pdf_text, reload

DATES = {"issue_date": "2026-03-09", "due_date": "2026-04-08"}
# DEFAULT_ITEMS: 12.5 x 80.00 at 20 % and 1 x 49.99 at 0 %: total 1,249.99, tax 200.00. Both
# parties are in Germany (the factories'), named in the document's language.
EXPECTED = {
    "en": {
        "labels": [
            "INVOICE",
            "BILL TO",
            "Issue date",
            "Balance due",
            "Tax breakdown",
            "Unit price",
            "Subtotal",
            "VAT: DE136695976",
            "Payment instructions",
            "Scan to pay with a banking app.",
            "Page 1 of 1",
        ],
        "values": ["€1,249.99", "€200.00", "Mar 9, 2026", "Apr 8, 2026", "20%", "12.5", "Germany"],
    },
    "fr": {
        "labels": [
            "FACTURE",
            "FACTURÉ À",
            "Date d’émission",
            "Montant dû",
            "Détail de la TVA",
            "Prix unitaire",
            "N° TVA : DE136695976",
            "Instructions de paiement",
            "Scannez pour payer",
            "Page 1 sur 1",
        ],
        "values": ["1 249,99 €", "200,00 €", "9 mars 2026", "8 avr. 2026", "20 %", "12,5", "Allemagne"],
    },
    "de": {
        "labels": [
            "RECHNUNG",
            "RECHNUNGSEMPFÄNGER",
            "Rechnungsdatum",
            "Offener Betrag",
            "Aufschlüsselung der USt.",
            "USt-IdNr.: DE136695976",
            "Zahlungshinweise",
            "Zum Bezahlen mit einer Banking-App",
            "Seite 1 von 1",
        ],
        "values": ["1.249,99 €", "200,00 €", "09.03.2026", "08.04.2026", "20 %", "12,5", "Deutschland"],
    },
}


def plain(text):
    return text.replace("\xa0", " ").replace("\u202f", " ")


def issue(org, member, *, customer_language="", business_language="en", **data):
    business = BusinessFactory(
        organization=org,
        name="Atelier Lumière",
        language=business_language,
        vat_id="DE136695976",
        iban="DE89370400440532013000",
    )
    customer = CustomerFactory(
        organization=org, name="Müller GmbH", language=customer_language, email="ap@mueller.example"
    )
    return make_invoice(
        organization=org, business=business, customer=customer, actor=member, status="issued", **DATES, **data
    )


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_pdf_is_written_in_the_customers_language(org, member, language):
    invoice = issue(org, member, customer_language=language)
    _, pdf = services.preview_pdf(organization=org, invoice_id=invoice.pk)
    text = plain(pdf_text(pdf))
    for expected in EXPECTED[language]["labels"] + EXPECTED[language]["values"]:
        assert expected in text, (language, expected)
    assert "Müller GmbH" in text and "Design work" in text  # customer data is never translated
    if language != "en":
        assert "Balance due" not in text and "INVOICE" not in text


def test_a_customer_without_a_language_gets_the_business_language(org, member):
    invoice = issue(org, member, customer_language="", business_language="fr")
    assert document_language(invoice) == "fr"
    _, pdf = services.preview_pdf(organization=org, invoice_id=invoice.pk)
    assert "Montant dû" in pdf_text(pdf)


def test_an_issued_invoice_keeps_the_language_it_was_issued_in(org, member):
    invoice = issue(org, member, customer_language="de")
    with organization_scope(org):
        invoice.customer.language = "fr"
        invoice.customer.save()
    invoice = reload(invoice)
    assert document_language(invoice) == "de"
    with organization_scope(org):  # the parties are tenant rows: read them in the scope
        business, customer = invoice.business, invoice.customer
    draft = make_invoice(organization=org, business=business, customer=customer, actor=member)
    with organization_scope(org):  # as the app always reads them
        assert document_language(reload(draft)) == "fr"  # drafts follow the live customer


def test_invoices_issued_before_parties_had_a_language_stay_in_english(org, member):
    invoice = issue(org, member, customer_language="de", business_language="de")
    snapshots = {key: value for key, value in invoice.customer_snapshot.items() if key != "language"}
    business = {key: value for key, value in invoice.business_snapshot.items() if key != "language"}
    with organization_scope(org):
        type(invoice).objects.filter(pk=invoice.pk).update(customer_snapshot=snapshots, business_snapshot=business)
    assert document_language(reload(invoice)) == "en"


def _queued_email(org, member, invoice, **kwargs):
    email = services.invoice_send(organization=org, actor=member, invoice_id=invoice.pk, **kwargs)
    with organization_scope(org):
        return OutboundEmail.objects.get(pk=email.pk)


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("en", "Invoice {number} from Atelier Lumière", ["Hello Müller GmbH,", "for €1,249.99, due on Apr 8, 2026."]),
        (
            "fr",
            "Facture {number} de Atelier Lumière",
            ["Bonjour Müller GmbH,", "d’un montant de 1 249,99 €", "au plus tard le 8 avr. 2026."],
        ),
        (
            "de",
            "Rechnung {number} von Atelier Lumière",
            ["Guten Tag Müller GmbH,", "über 1.249,99 €, fällig am 08.04.2026."],
        ),
    ],
)
def test_the_email_subject_and_body_are_in_the_customers_language(org, member, language, subject, body):
    invoice = issue(org, member, customer_language=language)
    email = _queued_email(org, member, invoice)
    assert email.subject == subject.format(number=invoice.number)
    for expected in body:
        assert expected in plain(email.body), (language, expected)


def test_a_template_the_business_wrote_is_sent_as_written_with_amounts_in_the_customers_format(org, member):
    invoice = issue(org, member, customer_language="de")
    with organization_scope(org):
        invoice.business.email_subject_template = "Your invoice {number}: {total}"
        invoice.business.save()
    email = _queued_email(org, member, reload(invoice))
    assert plain(email.subject) == f"Your invoice {invoice.number}: 1.249,99 €"
