"""The EPC QR code ("GiroCode") of an invoice: a SEPA credit transfer a banking app fills in
by scanning it (EPC069-12, version 002, made by ``segno``).

Only an open EUR invoice with a number, something left to pay and the seller's IBAN gets
one: the code carries the seller's name, IBAN and BIC, the balance due, and the invoice
number as the remittance text.
"""

import io
from decimal import Decimal

import segno.helpers

from .data import InvoicePrintData

OPEN_STATUSES = ("issued", "partially_paid")
EPC_MAX_AMOUNT = Decimal("999999999.99")
EPC_NAME_LENGTH = 70


def payment_qr_code(data: InvoicePrintData) -> segno.QRCode | None:
    """The EPC QR code to print, or None when the invoice cannot be paid by one."""
    amount = data.balance_due
    if data.currency != "EUR" or not data.iban or not data.number or data.status not in OPEN_STATUSES:
        return None
    if not Decimal("0.01") <= amount <= EPC_MAX_AMOUNT:
        return None
    name = (data.seller.legal_name or data.seller.name).strip()[:EPC_NAME_LENGTH]
    try:
        return segno.helpers.make_epc_qr(
            name=name,
            iban=data.iban,
            amount=amount.quantize(Decimal("0.01")),
            text=data.number,
            bic=data.bic or None,
        )
    except ValueError:  # a field beyond the standard's limits: the invoice prints without a code
        return None


def payment_qr_png(data: InvoicePrintData) -> bytes | None:
    """The code as PNG bytes (the same data always gives the same bytes)."""
    code = payment_qr_code(data)
    if code is None:
        return None
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
