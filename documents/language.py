"""The language a document (PDF, email) is written in: the customer's.

A customer's blank language means its business's; a business's blank language means the
site's default. An issued invoice keeps the language it was issued in (its snapshots), so a
later change of the customer's language never rewrites a document already sent.
"""

from django.conf import settings


def _supported(code) -> str | None:
    codes = {code for code, _name in settings.LANGUAGES}
    return code if code in codes else None


def document_language(invoice) -> str:
    """``fr``, ``de`` or ``en``: the language ``invoice``'s PDF and email are written in."""
    if invoice.status != "draft" and invoice.customer_snapshot:
        chosen = (invoice.customer_snapshot or {}).get("language") or (invoice.business_snapshot or {}).get("language")
    else:
        chosen = None
    return _supported(chosen) or settings.LANGUAGE_CODE
