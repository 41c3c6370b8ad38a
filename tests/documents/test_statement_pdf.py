"""The statement of account PDF: lines, running and closing balances per currency, the
business's letterhead and the customer, deterministic bytes, the customer's language."""

import pytest

from documents.statements import statement_pdf
from tests.billing.factories import BusinessFactory, CustomerFactory
from tests.billing.statement_history import END, START, make_history
from tests.documents.helpers import pdf_text


@pytest.fixture
def seller(org):
    return BusinessFactory(
        organization=org,
        name="Acme Studio",
        vat_id="DE136695976",
        legal_mentions="Acme Studio GmbH, HRB 12345 Berlin",
    )


def _history(org, seller, **customer):
    buyer = CustomerFactory(organization=org, name="Globex Ltd", **customer)
    return buyer, make_history(org, seller, buyer)


def test_the_pdf_prints_every_line_and_the_balances(org, seller):
    buyer, history = _history(org, seller)
    statement, content = statement_pdf(organization=org, customer_id=buyer.pk, start=START, end=END)
    text = pdf_text(content)
    assert "STATEMENT OF ACCOUNT" in text
    assert "Acme Studio" in text and "VAT: DE136695976" in text and "HRB 12345" in text  # letterhead, footer
    assert "Globex Ltd" in text and "1 Main Street" in text
    assert "Mar 1, 2025 – Mar 31, 2025" in text
    assert "Account in EUR" in text and "Account in JPY" in text
    assert "Opening balance" in text and "Closing balance" in text
    invoices, notes = history.invoices, history.credit_notes
    for number in (invoices["c"].number, invoices["d"].number, notes["c"].number):
        assert number in text
    assert invoices["e"].number not in text  # after the period
    assert "Payment (TRX-2)" in text and f"on invoice {invoices['b'].number}" in text and "Refund" in text
    for amount in ("80.00", "360.00", "440.00", "-360.00", "-20.00", "30.00"):
        assert amount in text
    assert "€30.00" in text and "¥0" in text  # the closing balances, in the customer block
    assert statement.currencies[0].closing_balance == 30


def test_same_data_same_bytes_and_new_data_new_bytes(org, seller):
    buyer = _history(org, seller)[0]
    _, first = statement_pdf(organization=org, customer_id=buyer.pk, start=START, end=END)
    _, again = statement_pdf(organization=org, customer_id=buyer.pk, start=START, end=END)
    assert again == first
    _, other_period = statement_pdf(organization=org, customer_id=buyer.pk, start=START, end="2025-04-30")
    assert other_period != first


@pytest.mark.parametrize(
    ("language", "heading", "period", "opening", "money"),
    [
        ("fr", "RELEVÉ DE COMPTE", "1 mars 2025 – 31 mars 2025", "Solde d’ouverture", "30,00\u202f€"),
        ("de", "KONTOAUSZUG", "01.03.2025 – 31.03.2025", "Anfangssaldo", "30,00\u00a0€"),
    ],
)
def test_written_in_the_customer_language(org, seller, language, heading, period, opening, money):
    buyer = _history(org, seller, language=language)[0]
    text = pdf_text(statement_pdf(organization=org, customer_id=buyer.pk, start=START, end=END)[1])
    assert heading in text and period in text and opening in text
    assert money.replace("\u202f", " ").replace("\u00a0", " ") in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Opening balance" not in text


def test_the_business_language_when_the_customer_has_none(org):
    seller = BusinessFactory(organization=org, language="de")
    buyer = _history(org, seller)[0]
    assert "KONTOAUSZUG" in pdf_text(statement_pdf(organization=org, customer_id=buyer.pk, start=START, end=END)[1])


def test_a_customer_with_nothing_gets_a_statement_saying_so(org, seller):
    buyer = CustomerFactory(organization=org, name="Initech")
    text = pdf_text(statement_pdf(organization=org, customer_id=buyer.pk, start=START, end=END)[1])
    assert "Initech" in text and "Acme Studio" in text and "nothing is owed" in text
