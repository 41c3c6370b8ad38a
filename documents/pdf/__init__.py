"""Invoice and credit note PDFs: plain print data in, deterministic bytes out."""

from .data import (
    InvoicePrintData,
    PrintLine,
    PrintParty,
    PrintPayment,
    PrintTaxRow,
    print_data_for,
    print_data_for_credit_note,
)
from .render import InvoicePdfRenderer, render_invoice_pdf

__all__ = [
    "InvoicePdfRenderer",
    "InvoicePrintData",
    "PrintLine",
    "PrintParty",
    "PrintPayment",
    "PrintTaxRow",
    "print_data_for",
    "print_data_for_credit_note",
    "render_invoice_pdf",
]
