"""Invoice PDFs: plain print data in, deterministic bytes out."""

from .data import InvoicePrintData, PrintLine, PrintParty, PrintPayment, PrintTaxRow, print_data_for
from .render import InvoicePdfRenderer, render_invoice_pdf

__all__ = [
    "InvoicePdfRenderer",
    "InvoicePrintData",
    "PrintLine",
    "PrintParty",
    "PrintPayment",
    "PrintTaxRow",
    "print_data_for",
    "render_invoice_pdf",
]
