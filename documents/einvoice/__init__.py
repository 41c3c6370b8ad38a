"""EN 16931 e-invoices: one semantic model, two syntaxes, six formats.

Pure code (stdlib, lxml, Babel; no ORM, no Django): something else maps an issued invoice or
credit note to a `model.Document`, and `render(document, format_key)` returns the XML bytes,
or raises `EInvoiceRefused` naming what is missing before anything is written.

Formats (`formats.FORMATS`, the API's `?format=` keys), the official rule sets each must
pass (../shared/einvoicing), and what each needs beyond EN 16931 (`requirements` lists it
per document, as Billora field names):
- `facturx`: CII D16B with BT-24 `urn:cen.eu:en16931:2017`, the XML that goes into the
  Factur-X PDF/A-3 (EN 16931 profile); the same bytes as `cii`. Rules: XSD + en16931-cii.
- `cii`: CII D16B, plain EN 16931. Rules: XSD + en16931-cii.
- `ubl`: UBL 2.1 Invoice or CreditNote, plain EN 16931. Rules: en16931-ubl.
- `xrechnung-cii`, `xrechnung-ubl`: BT-24 `...#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0`.
  Needs the buyer reference (BT-10), the seller contact's name, phone and email, payment
  instructions (the IBAN), both parties' city and postcode, both electronic addresses
  (Peppol id, or the email address as scheme EM), and no payment-term line starting with
  "#" (reserved for structured Skonto, BR-DE-18). Rules: + xrechnung-cii/-ubl.
- `peppol`: UBL with BT-24 `...#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0` and
  BT-23 `urn:fdc:peppol.eu:2017:poacc:billing:01:1.0`. Needs both parties' Peppol ids
  (EndpointID with its EAS scheme), the buyer or order reference, and the national rules of
  the seller's country (DE with a German buyer, NL, IT, DK, SE, NO, IS; Greek sellers are
  refused), valid check digits for the schemes Peppol checks (GLN, BE, DK, NO, SE, ABN), and
  line nets within 0.02 of quantity x price (R120: a JPY line like 2.5 x 1001 = 2503 is
  refused). Rules: en16931-ubl + peppol-ubl.

EN 16931 itself needs both parties' names and countries, the seller's VAT id (or legal
registration id), the VAT ids each category requires (AE: both; K: both, plus delivery date
and deliver-to country; G: the seller's), and an exemption reason for E, AE, K, G and O.
(BR-CO-25, a due date or payment terms while something is due, is not checked by the
official rules 1.3.16, so a credit note without either is written.)

Mapping decisions:
- Discount: Billora's document discount is spread over the lines (billing.calc rule 4). It is
  written as one document-level allowance (BG-20, reason code 95) per VAT (category, rate)
  row that took a share, with that row's share as its amount (`model.discount_allowances`),
  so that each VAT breakdown row's taxable amount BT-116 = its lines' nets - its allowance
  (BR-S-08 and siblings) and the allowances add up to the discount total BT-107. No
  percentage/base is written: a row's share is not exactly base x percent (the spread works
  in minor units), and Peppol checks that.
- BT-113 prepaid amount is what was paid before this document version was produced (Billora's
  payments on an invoice; 0 for a credit note) and BT-115 = BT-112 - BT-113.
- BT-130 unit code is C62 ("one"): Billora quantities carry no unit.
- Rounding: none here. Every amount is Billora's own (calc rounds half-up per line and per VAT
  row, which BR-CO-17's tolerance accepts). Amounts are written with min(currency places, 2)
  decimals when that is exact; a KWD/BHD amount needing its third decimal is refused (BR-DEC),
  never rounded. Prices and quantities keep their own decimals.
- Items: BT-153 name is the description's first line (at most 100 characters), BT-154 the
  full description when longer (`model.item_name_and_description`).
- "Outside the scope of VAT" (O) documents carry no VAT ids and no line/allowance VAT rate
  (BR-O-02, -05, -06), and cannot be mixed with other categories (BR-O-11): refused.
- Notes: Peppol allows one BT-22, so several notes are joined with a blank line there.
- Legal registration ids (BT-30, BT-47) carry an ISO 6523 scheme only where Peppol demands
  one (NL KvK 0106, DK CVR 0184, IS kennitala 0196; `model.legal_registration_scheme_for`).
- Seller legal mentions are BT-33 (CII SellerTradeParty/Description, UBL CompanyLegalForm).
- Determinism: no timestamps or generated ids; the same document gives the same bytes.
"""

from . import cii, ubl
from .formats import CII, FORMATS, UBL, Format, get_format
from .model import Document
from .requirements import EInvoiceRefused, Verdict, check, missing_fields

__all__ = [
    "FORMATS",
    "Document",
    "EInvoiceRefused",
    "Format",
    "Verdict",
    "check",
    "missing_fields",
    "render",
]


def render(document: Document, format_key: str) -> bytes:
    """The document as XML in the format, or EInvoiceRefused (with the verdict) before any file exists."""
    fmt = get_format(format_key)
    verdict = check(document, fmt.key)
    if not verdict.ok:
        raise EInvoiceRefused(verdict)
    if fmt.syntax == CII:
        return cii.write(document, fmt)
    if fmt.syntax == UBL:
        return ubl.write(document, fmt)
    raise ValueError(f"Unknown syntax {fmt.syntax!r}")
