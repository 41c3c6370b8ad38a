"""Invoice PDF render time (targets: 10 items < 25 ms, 500 items < 1 s).

Run: ``.venv/bin/python bench/pdf_render.py [--runs N]``. Renders plain print data (no
database), once to warm up (fonts are registered once per process, as in a worker), then
N times per case, and prints a markdown table in milliseconds. The verdict uses the
median CPU time of the process (``time.process_time``): on a shared machine wall time
mostly measures the neighbours; it is printed too.
"""

import argparse
import datetime
import io
import os
import platform
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

from pypdf import PdfReader

from billing.calc import LineInput, compute_totals
from billing.vat import CATEGORY_LABELS
from documents.pdf import (
    InvoicePrintData,
    PrintLine,
    PrintParty,
    PrintPayment,
    PrintTaxRow,
    render_invoice_pdf,
)


def make_data(
    items: int, *, long_descriptions: bool = False, customer: str = "Jane Doe Consulting Ltd"
) -> InvoicePrintData:
    descriptions, inputs = [], []
    for i in range(items):
        description = f"Consulting, week {i + 1}"
        if long_descriptions:
            description += (
                " - architecture review, workshops with the product team, written recommendations "
                "and a follow-up call to go through the open questions"
            )
        descriptions.append(description)
        rate = Decimal("20.000") if i % 3 else Decimal("7.000")
        inputs.append(LineInput(quantity=Decimal("1.5"), unit_price=Decimal("120.0000"), tax_rate=rate))
    # Totals come from the one calc module, as for every stored invoice.
    totals = compute_totals(currency="EUR", lines=inputs, discount_type="none", discount_value=Decimal(0))
    lines = [
        PrintLine(
            description=description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            line_net=amounts.line_net,
        )
        for description, line, amounts in zip(descriptions, inputs, totals.lines, strict=True)
    ]
    total = totals.total
    paid = Decimal("100.00")
    return InvoicePrintData(
        status="partially_paid",
        number="INV-2026-0042",
        currency="EUR",
        issue_date=datetime.date(2026, 11, 1),
        due_date=datetime.date(2026, 12, 1),
        seller=PrintParty(
            name="Acme Software",
            legal_name="Acme Software GmbH",
            address="Hauptstrasse 1\n10115 Berlin\nGermany",
            tax_id="DE123456789",
            email="billing@acme.example",
            phone="+49 30 1234567",
        ),
        buyer=PrintParty(name=customer, address="1 Main Street\nSpringfield", tax_id="GB999999973"),
        lines=tuple(lines),
        tax_rows=tuple(
            PrintTaxRow(row.rate, row.taxable_amount, row.tax_amount, row.category, CATEGORY_LABELS[row.category])
            for row in totals.tax_breakdown
        ),
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=total,
        amount_paid=paid,
        balance_due=total - paid,
        payments=(PrintPayment(datetime.date(2026, 11, 5), "Bank transfer", "TRX-1", paid),),
        notes="Thank you for your business.",
        terms="Payment within 30 days.",
        payment_instructions="IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX",
    )


# (label, print data, target in ms or None)
CASES = [
    ("10 items (1 page)", lambda: make_data(10), 25),
    ("10 items, wrapping descriptions (2 pages)", lambda: make_data(10, long_descriptions=True), None),
    ("10 items, CJK customer name", lambda: make_data(10, customer="株式会社 東京商事"), 25),
    ("200 items", lambda: make_data(200), None),
    ("500 items", lambda: make_data(500), 1000),
    ("500 items, wrapping descriptions", lambda: make_data(500, long_descriptions=True), 1000),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed renders per case (500-item cases use a quarter)")
    args = parser.parse_args()
    django.setup()  # the PDF is rendered in the document's language (translations need the apps)

    render_invoice_pdf(make_data(1, customer="Ω 東"))  # register every font once, as a worker would
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load {load}\n")
    print("| case | pages | size | CPU min ms | CPU median ms | CPU max ms | wall median ms | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, build, target in CASES:
        data = build()
        runs = max(3, args.runs // 4) if len(data.lines) >= 200 else args.runs
        pdf = render_invoice_pdf(data)
        timings, walls = [], []
        for _ in range(runs):
            start, wall = time.process_time(), time.perf_counter()
            render_invoice_pdf(data)
            timings.append((time.process_time() - start) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        verdict = ""
        if target:
            verdict = f"< {target} ms (median): {'ok' if statistics.median(timings) < target else 'MISSED'}"
        print(
            f"| {label} | {pages} | {len(pdf) // 1024} KiB | {min(timings):.1f} | "
            f"{statistics.median(timings):.1f} | {max(timings):.1f} | {statistics.median(walls):.1f} | {verdict} |"
        )


if __name__ == "__main__":
    main()
