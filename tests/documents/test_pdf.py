"""The invoice PDF renderer, checked by reading the text back out of the PDF with pypdf."""

import dataclasses
import datetime
import hashlib
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from documents.pdf import (
    InvoicePrintData,
    PrintLine,
    PrintParty,
    PrintPayment,
    PrintTaxRow,
    render_invoice_pdf,
)

D = Decimal
ROOT = Path(__file__).resolve().parent.parent.parent


def line(description="Design work", quantity="12.5", unit_price="80.00", tax_rate="20", line_net="1000.00"):
    return PrintLine(
        description=description,
        quantity=D(quantity),
        unit_price=D(unit_price),
        tax_rate=D(tax_rate),
        line_net=D(line_net),
    )


def make_data(**overrides) -> InvoicePrintData:
    data = InvoicePrintData(
        status="partially_paid",
        number="INV-2026-0007",
        currency="EUR",
        issue_date=datetime.date(2026, 11, 2),
        due_date=datetime.date(2026, 12, 2),
        seller=PrintParty(
            name="Acme Studio",
            legal_name="Acme Studio GmbH",
            address="Hauptstraße 1\n10115 Berlin",
            tax_id="DE123456789",
            email="billing@acme.example",
        ),
        buyer=PrintParty(name="Jane Doe Ltd", address="1 Main Street\nSpringfield", tax_id="GB999999973"),
        lines=(
            line(),
            line("Hosting", "1", "49.9900", "7", "49.99"),
        ),
        tax_rows=(
            PrintTaxRow(rate=D("7.000"), taxable_amount=D("44.99"), tax_amount=D("3.15")),
            PrintTaxRow(rate=D("20.000"), taxable_amount=D("900.00"), tax_amount=D("180.00")),
        ),
        subtotal=D("1049.99"),
        discount_total=D("105.00"),
        discount_label="Discount (10%)",
        tax_total=D("183.15"),
        total=D("1128.14"),
        amount_paid=D("400.00"),
        balance_due=D("728.14"),
        payments=(PrintPayment(datetime.date(2026, 11, 10), "Bank transfer", "TRX-4711", D("400.00")),),
        notes="Thank you for the good collaboration.",
        terms="Payable within 30 days.",
        payment_instructions="IBAN DE89 3704 0044 0532 0130 00",
    )
    return dataclasses.replace(data, **overrides)


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_prints_number_parties_totals_tax_breakdown_payments_and_balance():
    pdf = render_invoice_pdf(make_data())
    assert pdf.startswith(b"%PDF-")
    reader, text = pdf_text(pdf)
    assert len(reader.pages) == 1
    for expected in (
        "INV-2026-0007",
        "Acme Studio",
        "Acme Studio GmbH",
        "Hauptstraße 1",
        "DE123456789",
        "Jane Doe Ltd",
        "GB999999973",
        "Partially paid",
        "Nov 2, 2026",  # issue date, readable
        "Dec 2, 2026",  # due date
        # items: quantity, unit price (extra zero places dropped), amount
        "Design work",
        "12.5",
        "€80.00",
        "€1,000.00",
        "€49.99",
        # totals
        "Subtotal",
        "€1,049.99",
        "Discount (10%)",
        "-€105.00",
        "€183.15",
        "€1,128.14",
        "Payments received",
        "-€400.00",
        "Balance due",
        "€728.14",
        # payments list
        "Nov 10, 2026",
        "Bank transfer",
        "TRX-4711",
        # texts from the invoice and the business
        "Thank you for the good collaboration.",
        "Payable within 30 days.",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def _has_run(text: str, run: list[str]) -> bool:
    """True when ``run`` appears as consecutive lines (pypdf gives one table cell per line)."""
    lines = [ln.strip() for ln in text.splitlines()]
    return any(lines[i : i + len(run)] == run for i in range(len(lines)))


def test_tax_breakdown_prints_one_row_per_rate():
    _, text = pdf_text(render_invoice_pdf(make_data()))
    assert _has_run(text, ["Tax breakdown", "Tax rate", "Taxable amount", "Tax"]), text
    assert _has_run(text, ["7%", "€44.99", "€3.15", "20%", "€900.00", "€180.00"]), text


def test_money_follows_the_currency_minor_unit_and_the_locale():
    jpy = make_data(
        currency="JPY",
        lines=(line("Ticket", "3", "1500", "10", "4500"),),
        tax_rows=(PrintTaxRow(D("10"), D("4500"), D("450")),),
        subtotal=D("4500"),
        discount_total=D("0"),
        tax_total=D("450"),
        total=D("4950"),
        amount_paid=D("0"),
        balance_due=D("4950"),
        payments=(),
    )
    _, text = pdf_text(render_invoice_pdf(jpy))
    assert "¥4,950" in text and "¥4,950.00" not in text

    kwd = dataclasses.replace(jpy, currency="KWD", total=D("4950.125"), balance_due=D("4950.125"))
    _, text = pdf_text(render_invoice_pdf(kwd))
    assert "KWD" in text and "4,950.125" in text

    german = make_data(language="de")
    _, text = pdf_text(render_invoice_pdf(german))
    assert "1.128,14 €" in text


def test_unit_price_keeps_its_extra_places():
    data = make_data(lines=(line("Screws", "1000", "0.0125", "20", "12.50"),))
    _, text = pdf_text(render_invoice_pdf(data))
    assert "€0.0125" in text


def test_long_invoice_flows_over_pages_with_page_n_of_m_and_repeated_header():
    lines = tuple(line(f"Line item number {i:03d}", "1", "10.00", "20", "10.00") for i in range(1, 201))
    pdf = render_invoice_pdf(make_data(lines=lines))
    reader, _ = pdf_text(pdf)
    pages = len(reader.pages)
    assert pages > 1
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert f"Page {number} of {pages}" in page_text
        # the items header is repeated on every page the table reaches
        if "Line item number" in page_text:
            assert "Description" in page_text and "Unit price" in page_text
    texts = [p.extract_text() for p in reader.pages]
    first_item = next(i for i, t in enumerate(texts) if "Line item number 001" in t)
    last_item = next(i for i, t in enumerate(texts) if "Line item number 200" in t)
    summary = next(i for i, t in enumerate(texts) if "Subtotal" in t)
    assert first_item == 0
    assert summary >= last_item


def test_long_descriptions_wrap_inside_the_table():
    words = " ".join(f"word{i}" for i in range(200))
    _, text = pdf_text(render_invoice_pdf(make_data(lines=(line(words),))))
    assert "word0" in text and "word199" in text
    # wrapped over several lines of the page, not one line running off the page
    assert sum(1 for ln in text.splitlines() if "word" in ln) >= 5


def test_unicode_names_render_and_extract():
    buyer = PrintParty(
        name="Ελένη Παπαδοπούλου · Дмитрий Шостакович · Zoë Çelik-Ångström",
        address="Καλαμάτα\nМосква",
    )
    pdf = render_invoice_pdf(make_data(buyer=buyer, lines=(line("Überweisung für Ärger — naïve café"),)))
    _, text = pdf_text(pdf)
    assert "Ελένη Παπαδοπούλου" in text
    assert "Дмитрий Шостакович" in text
    assert "Zoë" in text and "Çelik-Ångström" in text  # the long name wraps here
    assert "Überweisung für Ärger — naïve café" in text


def test_cjk_and_characters_no_font_has_do_not_crash():
    buyer = PrintParty(name="株式会社 東京商事 김민준", address="東京都千代田区 1-1")
    data = make_data(buyer=buyer, lines=(line("請求書 データ 🙂 \u0e01"),), notes="ありがとうございました")
    pdf = render_invoice_pdf(data)
    _, text = pdf_text(pdf)
    # The CJK fallback font is embedded, so the text is really there (not empty boxes).
    assert "株式会社" in text and "東京商事" in text
    assert "ありがとうございました" in text
    assert b"BilloraFallback" in pdf or b"DroidSans" in pdf


@pytest.mark.parametrize(
    ("status", "present", "absent"),
    [
        ("draft", "DRAFT", ("VOID", "PAID")),
        ("void", "VOID", ("DRAFT", "PAID")),
        ("paid", "PAID", ("DRAFT", "VOID")),
        ("issued", None, ("DRAFT", "VOID", "PAID")),
    ],
)
def test_status_watermarks(status, present, absent):
    number = None if status == "draft" else "INV-2026-0007"
    _, text = pdf_text(render_invoice_pdf(make_data(status=status, number=number)))
    words = set(text.split())
    if present:
        assert present in words
    for word in absent:
        assert word not in words


def test_draft_watermark_is_on_every_page():
    lines = tuple(line(f"Item {i}", "1", "1.00", "0", "1.00") for i in range(120))
    reader, _ = pdf_text(render_invoice_pdf(make_data(status="draft", number=None, lines=lines)))
    assert len(reader.pages) > 1
    assert all("DRAFT" in page.extract_text().split() for page in reader.pages)


def test_draft_without_number_says_so():
    _, text = pdf_text(render_invoice_pdf(make_data(status="draft", number=None)))
    assert "Draft (no number yet)" in text


def test_void_shows_the_total_not_a_balance_to_pay():
    _, text = pdf_text(render_invoice_pdf(make_data(status="void", amount_paid=D(0), balance_due=D("1128.14"))))
    assert "TOTAL (VOID)" in text


def test_same_data_gives_identical_bytes():
    data = make_data(buyer=PrintParty(name="Zoë 株式会社"))
    assert render_invoice_pdf(data) == render_invoice_pdf(data)
    changed = dataclasses.replace(data, balance_due=D("728.15"))
    assert render_invoice_pdf(changed) != render_invoice_pdf(data)


def test_bytes_are_identical_across_processes():
    """Another worker process must produce the same bytes (the stored SHA-256 relies on it)."""
    paths = [str(ROOT), str(Path(__file__).parent)]
    script = (
        f"import sys, hashlib; sys.path[:0] = {paths!r};"
        "import django; django.setup();"
        "from test_pdf import make_data; from documents.pdf import render_invoice_pdf;"
        "print(hashlib.sha256(render_invoice_pdf(make_data())).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == hashlib.sha256(render_invoice_pdf(make_data())).hexdigest()


def _png(width=300, height=100) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_logo_is_drawn_when_set_and_a_broken_logo_is_skipped():
    with_logo = render_invoice_pdf(make_data(logo=_png()))
    without = render_invoice_pdf(make_data())
    assert b"/Subtype /Image" in with_logo
    assert b"/Subtype /Image" not in without
    broken = render_invoice_pdf(make_data(logo=b"not an image"))
    _, text = pdf_text(broken)
    assert "INV-2026-0007" in text and b"/Subtype /Image" not in broken


def test_markup_characters_in_user_text_are_printed_literally():
    data = make_data(
        buyer=PrintParty(name="Smith & Sons <b>Ltd</b>"), lines=(line("a < b & c > d"),), notes="<font size=40>x</font>"
    )
    _, text = pdf_text(render_invoice_pdf(data))
    assert "Smith & Sons <b>Ltd</b>" in text
    assert "a < b & c > d" in text
    assert "<font size=40>x</font>" in text
