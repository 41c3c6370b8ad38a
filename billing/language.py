"""The language an invoice's or credit note's documents (PDF, email) are written in: the
customer's. Billing writes the few words it puts on a document itself (the line of a credit
note for the rest of an invoice) in it too.

A customer's blank language means its business's (eu-invoicing.md, "Parties"). An issued
invoice keeps the languages of its snapshots, taken at issue, so a later change of the
customer's or business's language never rewrites a document already sent; an invoice issued
before parties had a language (snapshots without one) stays in the site's default, as it was
printed. Drafts follow the live customer and business.
"""

from django.conf import settings


def _supported(code) -> str | None:
    return code if code in {code for code, _name in settings.LANGUAGES} else None


def supported_language(code) -> str:
    """``code`` when documents are written in it, else the site's default language."""
    return _supported(code) or settings.LANGUAGE_CODE


def document_language(invoice) -> str:
    """``en``, ``fr`` or ``de``: the language of ``invoice``'s (or a credit note's) PDF and email."""
    if invoice.status != "draft" and (invoice.customer_snapshot or invoice.business_snapshot):
        customer, business = invoice.customer_snapshot or {}, invoice.business_snapshot or {}
        chosen = customer.get("language") or business.get("language")
    else:
        chosen = invoice.customer.language or invoice.business.language
    return supported_language(chosen)
