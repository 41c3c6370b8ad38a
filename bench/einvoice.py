"""E-invoice cost per document: writing each format, validating it with the official rules,
and the Factur-X PDF against the plain PDF (target: within 1.5x).

Run: ``.venv/bin/python bench/einvoice.py [--runs N]``. No database: the documents are built
as the adapter builds them (amounts from billing.calc), for 10 and 500 lines, seller and
buyer with everything every format needs. Each rule set is compiled once first (as the test
session does), then timed. Times are medians of process CPU time in milliseconds (wall time
on a shared machine mostly measures the neighbours); the plain and the Factur-X PDF are timed
in turn within each round, so that both see the same load. Markdown tables are printed.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billora.settings")

from saxonche import PySaxonProcessor

from bench.pdf_render import make_data
from documents.einvoice import FORMATS, render
from documents.pdf import render_invoice_pdf
from documents.pdf.pdfa import facturx_pdf
from tests.einvoice.builder import build, buyer_party, item
from tests.einvoice.conftest import Validator
from tests.einvoice.parties import DE_SELLER

DATED = datetime.datetime(2026, 11, 1, 9, 30, tzinfo=datetime.UTC)


def document(lines: int):
    buyer = buyer_party(
        "Stadtverwaltung Musterstadt",
        "DE",
        vat_id="DE136695976",
        peppol_id="9930:DE136695976",
        city="Musterstadt",
        postcode="12345",
    )
    items = [
        item("1.5", "120.00", "19" if i % 3 else "7", description=f"Consulting, week {i + 1}") for i in range(lines)
    ]
    return build(
        seller=DE_SELLER,
        buyer=buyer,
        items=items,
        buyer_reference="04011000-12345-34",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        number="INV-2026-0042",
    ).document


def cpu_ms(run, times: int) -> float:
    timings = []
    for _ in range(times):
        start = time.process_time()
        run()
        timings.append((time.process_time() - start) * 1000)
    return statistics.median(timings)


def formats_table(validator, runs: int) -> None:
    print("| lines | format | write ms | validate ms | size |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for lines in (10, 500):
        doc = document(lines)
        times = runs if lines < 100 else max(2, runs // 4)
        for key, fmt in FORMATS.items():
            if key == "facturx":
                continue  # the cii XML; its PDF is the next table
            xml = render(doc, key)
            assert not validator.validate(xml, fmt.rule_sets).fatal, key
            write = cpu_ms(lambda doc=doc, key=key: render(doc, key), times)
            check = cpu_ms(lambda xml=xml, fmt=fmt: validator.validate(xml, fmt.rule_sets), max(1, times // 2))
            print(f"| {lines} | {key} | {write:.1f} | {check:.0f} | {len(xml) // 1024} KiB |")


def paired_cpu_ms(runs: dict, times: int) -> dict:
    """Median CPU ms of each of ``runs``, run in turn within each round, so that all of them
    see the same load on a shared machine (the ratio is what matters)."""
    timings = {name: [] for name in runs}
    for _ in range(times):
        for name, run in runs.items():
            start = time.process_time()
            run()
            timings[name].append((time.process_time() - start) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def facturx_table(runs: int) -> None:
    print("\n| lines | plain PDF ms | Factur-X PDF ms | of which the Factur-X pass | ratio | target |")
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for lines in (10, 500):
        data, doc = make_data(lines), document(lines)
        times = 3 * runs if lines < 100 else max(3, runs // 2)
        pdf, xml = render_invoice_pdf(data), render(doc, "facturx")

        def attach(pdf=pdf, xml=xml):
            return facturx_pdf(pdf, xml, dated=DATED, title="Invoice", author="Acme", lang="de")

        def factur_x(data=data, doc=doc):
            return facturx_pdf(
                render_invoice_pdf(data), render(doc, "facturx"), dated=DATED, title="Invoice", author="Acme", lang="de"
            )

        ms = paired_cpu_ms({"plain": lambda data=data: render_invoice_pdf(data), "fx": factur_x, "pass": attach}, times)
        ratio = ms["fx"] / ms["plain"]
        print(
            f"| {lines} | {ms['plain']:.1f} | {ms['fx']:.1f} | {ms['pass']:.1f} | {ratio:.2f}x "
            f"| < 1.5x: {'ok' if ratio < 1.5 else 'MISSED'} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=8,
        help="timed runs per case (500 lines: a quarter; the PDFs: 3x, at 500 lines half)",
    )
    args = parser.parse_args()
    django.setup()  # the PDF is rendered in the document's language (translations need the apps)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load {load}\n")
    render_invoice_pdf(make_data(1))  # fonts are registered once per process, as in a worker
    with PySaxonProcessor(license=False) as processor:
        validator = Validator(processor)
        formats_table(validator, args.runs)
    facturx_table(args.runs)


if __name__ == "__main__":
    main()
