"""The PDF's VAT breakdown: each row names its category, and an exempt row prints its reason."""

from decimal import Decimal

from billing import services
from billing.models import Invoice
from documents.pdf import PrintTaxRow, print_data_for, render_invoice_pdf
from organizations.tenancy import organization_scope
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.vat_cases import REVERSE_CHARGE, line
from tests.documents.helpers import pdf_text


def test_an_issued_reverse_charge_invoice_prints_its_category_and_reason(org, member):
    business = BusinessFactory(organization=org, country="AT", vat_id="ATU13585627")
    customer = CustomerFactory(organization=org, country="DE", vat_id="DE136695976")
    invoice = services.invoice_create(
        organization=org,
        actor=member,
        data={
            "business": str(business.pk),
            "customer": str(customer.pk),
            "items": [line("10", "100.00", "20", description="Licence"), line("12.5", "140", "0", "AE")],
            "vat_exemption_reasons": {"AE": REVERSE_CHARGE},
        },
    )
    services.invoice_issue(organization=org, actor=member, invoice_id=invoice.pk)
    with organization_scope(org):
        data = print_data_for(
            Invoice.objects.select_related("business", "customer")
            .prefetch_related("items", "payments")
            .get(pk=invoice.pk)
        )
    assert data.tax_rows == (
        PrintTaxRow(
            rate=Decimal("0.000"),
            taxable_amount=Decimal("1750.00"),
            tax_amount=Decimal("0.00"),
            category="AE",
            category_name="Reverse charge",
            exemption_reason=REVERSE_CHARGE["text"],
            exemption_reason_code="VATEX-EU-AE",
        ),
        PrintTaxRow(rate=Decimal("20.000"), taxable_amount=Decimal("1000.00"), tax_amount=Decimal("200.00")),
    )
    assert [line.vat_category for line in data.lines] == ["S", "AE"]
    text = " ".join(pdf_text(render_invoice_pdf(data)).split())
    assert "Reverse charge (AE)" in text
    assert "Reverse charge: Reverse charge: VAT to be accounted for by the recipient, art. 196" in text
    assert "0% AE" in text
