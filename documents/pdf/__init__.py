"""Invoice, credit note and statement PDFs: plain print data in, deterministic bytes out."""

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
from .statement import StatementPrintData, render_statement_pdf, statement_print_data

__all__ = [
    "InvoicePdfRenderer",
    "InvoicePrintData",
    "PrintLine",
    "PrintParty",
    "PrintPayment",
    "PrintTaxRow",
    "StatementPrintData",
    "print_data_for",
    "print_data_for_credit_note",
    "render_invoice_pdf",
    "render_statement_pdf",
    "statement_print_data",
]
