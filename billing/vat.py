"""VAT treatment per line (eu-invoicing.md): which category a line gets, which rate each
category allows, and what an invoice needs before it is issued with lines in a category.

Plain Python, like ``billing.calc``: the services feed the parties' fields in and turn the
problems into field errors. The EN 16931 business rules (BR-S-*, BR-Z-*, BR-E-*, BR-AE-*,
BR-IC-*, BR-G-*, BR-O-*) are the reference; the comments name the rule each check follows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from billing.calc import (
    VAT_EXEMPT,
    VAT_EXPORT,
    VAT_INTRA_COMMUNITY,
    VAT_OUTSIDE_SCOPE,
    VAT_REVERSE_CHARGE,
    VAT_STANDARD,
    VAT_ZERO_RATED,
)

# Categories whose breakdown row must say why no VAT is charged (BR-E-10, BR-AE-10, BR-IC-10,
# BR-G-10, BR-O-10). Standard and zero-rated rows may not carry a reason (BR-S-10, BR-Z-10).
EXEMPTION_REASON_CATEGORIES = (VAT_EXEMPT, VAT_REVERSE_CHARGE, VAT_INTRA_COMMUNITY, VAT_EXPORT, VAT_OUTSIDE_SCOPE)

# Each category's name as a label (the model's choices, the web, the PDF) ...
CATEGORY_LABELS = {
    VAT_STANDARD: _("Standard or reduced rate"),
    VAT_ZERO_RATED: _("Zero rated"),
    VAT_EXEMPT: _("Exempt from VAT"),
    VAT_REVERSE_CHARGE: _("Reverse charge"),
    VAT_INTRA_COMMUNITY: _("Intra-community supply"),
    VAT_EXPORT: _("Export outside the EU"),
    VAT_OUTSIDE_SCOPE: _("Outside the scope of VAT"),
}
# ... and inside a sentence ("Lines with reverse charge carry no VAT").
CATEGORY_NAMES = {
    VAT_STANDARD: _("standard rate"),
    VAT_ZERO_RATED: _("zero rate"),
    VAT_EXEMPT: _("VAT exemption"),
    VAT_REVERSE_CHARGE: _("reverse charge"),
    VAT_INTRA_COMMUNITY: _("intra-community supply"),
    VAT_EXPORT: _("export outside the EU"),
    VAT_OUTSIDE_SCOPE: _("outside the scope of VAT"),
}


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The 27 member states by ISO 3166-1 alpha-2 (Greece is GR here, EL only in VAT numbers).
EU_COUNTRIES = _codes("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK")

# The CEF VATEX exemption reason codes EN 16931 accepts (BR-CL-22): the EU codes and the French ones.
VATEX_CODES = _codes(
    """VATEX-EU-79-C VATEX-EU-132 VATEX-EU-132-1A VATEX-EU-132-1B VATEX-EU-132-1C VATEX-EU-132-1D
    VATEX-EU-132-1E VATEX-EU-132-1F VATEX-EU-132-1G VATEX-EU-132-1H VATEX-EU-132-1I VATEX-EU-132-1J
    VATEX-EU-132-1K VATEX-EU-132-1L VATEX-EU-132-1M VATEX-EU-132-1N VATEX-EU-132-1O VATEX-EU-132-1P
    VATEX-EU-132-1Q VATEX-EU-135-1 VATEX-EU-143 VATEX-EU-143-1A VATEX-EU-143-1B VATEX-EU-143-1C
    VATEX-EU-143-1D VATEX-EU-143-1E VATEX-EU-143-1F VATEX-EU-143-1FA VATEX-EU-143-1G VATEX-EU-143-1H
    VATEX-EU-143-1I VATEX-EU-143-1J VATEX-EU-143-1K VATEX-EU-143-1L VATEX-EU-144 VATEX-EU-146-1E VATEX-EU-159
    VATEX-EU-309 VATEX-EU-148 VATEX-EU-148-A VATEX-EU-148-B VATEX-EU-148-C VATEX-EU-148-D VATEX-EU-148-E
    VATEX-EU-148-F VATEX-EU-148-G VATEX-EU-151 VATEX-EU-151-1A VATEX-EU-151-1AA VATEX-EU-151-1B
    VATEX-EU-151-1C VATEX-EU-151-1D VATEX-EU-151-1E VATEX-EU-G VATEX-EU-O VATEX-EU-IC VATEX-EU-AE VATEX-EU-D
    VATEX-EU-F VATEX-EU-I VATEX-EU-J VATEX-FR-FRANCHISE VATEX-FR-CNWVAT VATEX-EU-153 VATEX-FR-CGI261-1
    VATEX-FR-CGI261-2 VATEX-FR-CGI261-3 VATEX-FR-CGI261-4 VATEX-FR-CGI261-5 VATEX-FR-CGI261-7 VATEX-FR-CGI261-8
    VATEX-FR-CGI261A VATEX-FR-CGI261B VATEX-FR-CGI261C-1 VATEX-FR-CGI261C-2 VATEX-FR-CGI261C-3
    VATEX-FR-CGI261D-1 VATEX-FR-CGI261D-1BIS VATEX-FR-CGI261D-2 VATEX-FR-CGI261D-3 VATEX-FR-CGI261D-4
    VATEX-FR-CGI261E-1 VATEX-FR-CGI261E-2 VATEX-FR-CGI277A VATEX-FR-CGI275 VATEX-FR-298SEXDECIESA
    VATEX-FR-CGI295 VATEX-FR-AE"""
)
# Codes that mean one category only (Peppol PEPPOL-EN16931-P0104..P0111); the others are exemptions (E).
VATEX_CATEGORY = {
    "VATEX-EU-G": VAT_EXPORT,
    "VATEX-EU-O": VAT_OUTSIDE_SCOPE,
    "VATEX-EU-IC": VAT_INTRA_COMMUNITY,
    "VATEX-EU-AE": VAT_REVERSE_CHARGE,
    "VATEX-FR-AE": VAT_REVERSE_CHARGE,
}


def default_category(rate: Decimal, business_default: str = VAT_STANDARD) -> str:
    """The category of a line sent without one: the business's default when it suits the rate
    (a small business under an exemption scheme sets E once), else S above 0 and Z at 0."""
    if rate > 0:
        return VAT_STANDARD
    if business_default != VAT_STANDARD:
        return business_default
    return VAT_ZERO_RATED


def rate_problem(category: str, rate: Decimal) -> str | None:
    """A standard-rate line has a rate above 0; every other category has 0 (BR-S-05, BR-Z-05,
    BR-E-05, BR-AE-05, BR-IC-05, BR-G-05; an O line states no rate, BR-O-05, which is 0 here)."""
    if category == VAT_STANDARD:
        if rate <= 0:
            return gettext(
                "A line with the standard or a reduced rate needs a tax rate above 0; for 0% choose “Zero rated”."
            )
        return None
    if rate != 0:
        return gettext("Lines with %(category)s carry no VAT: set the tax rate to 0.") % {
            "category": CATEGORY_NAMES[category]
        }
    return None


def code_problem(category: str, code: str) -> str | None:
    """A VATEX code must be one EN 16931 knows, and one meant for the category it explains."""
    if code not in VATEX_CODES:
        return gettext("Enter a VATEX exemption reason code such as VATEX-EU-AE, or leave it empty.")
    meant_for = VATEX_CATEGORY.get(code, VAT_EXEMPT)
    if meant_for != category:
        words = {"code": code, "meant_for": CATEGORY_NAMES[meant_for], "category": CATEGORY_NAMES[category]}
        return gettext("%(code)s explains %(meant_for)s, not %(category)s.") % words
    return None


@dataclass(frozen=True)
class Party:
    """What the rules read of a seller or buyer: its VAT id (BT-31 / BT-48) and country (BT-40 / BT-55)."""

    vat_id: str = ""
    country: str = ""


def issue_problems(
    *, categories: Sequence[str], reasons: Mapping[str, Mapping], seller: Party, buyer: Party
) -> dict[str, list[str]]:
    """Every rule of the table for the lines' ``categories`` (one entry per line, in order), as
    messages by field path. Empty when the invoice may be issued."""
    problems: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        if message not in problems.setdefault(path, []):
            problems[path].append(message)

    used = set(categories)
    for category in EXEMPTION_REASON_CATEGORIES:
        if category in used and not (reasons.get(category) or {}).get("text"):
            add(f"vat_exemption_reasons.{category}", gettext(_REASON_MESSAGES[category]))
    if VAT_REVERSE_CHARGE in used:  # BR-AE-02
        _need_vat_ids(add, seller, buyer, VAT_REVERSE_CHARGE)
    if VAT_INTRA_COMMUNITY in used:  # BR-IC-02, and art. 138 of the VAT Directive for the countries
        _need_vat_ids(add, seller, buyer, VAT_INTRA_COMMUNITY)
        _need_other_eu_country(add, seller, buyer)
    if VAT_EXPORT in used:
        _export(add, seller, buyer)
    if VAT_OUTSIDE_SCOPE in used:
        _outside_scope(add, categories, seller, buyer)
    return problems


_REASON_MESSAGES = {
    VAT_EXEMPT: gettext_noop("Exempt lines need the reason no VAT is charged, e.g. “VAT exempt under § 19 UStG”."),
    VAT_REVERSE_CHARGE: gettext_noop(
        "Reverse charge needs its reason, e.g. “Reverse charge: VAT to be accounted for by the "
        "recipient, art. 196 Directive 2006/112/EC”."
    ),
    VAT_INTRA_COMMUNITY: gettext_noop(
        "An intra-community supply needs its reason, e.g. “Exempt intra-community supply, "
        "art. 138 Directive 2006/112/EC”."
    ),
    VAT_EXPORT: gettext_noop(
        "An export needs its reason, e.g. “Exempt export outside the EU, art. 146 Directive 2006/112/EC”."
    ),
    VAT_OUTSIDE_SCOPE: gettext_noop("Lines outside the scope of VAT need the reason, e.g. “Not subject to VAT”."),
}


# Whole sentences per category: "what" cannot be slotted into another language's grammar.
_VAT_ID_MESSAGES = {
    VAT_REVERSE_CHARGE: (
        gettext_noop("Reverse charge needs your business's VAT number."),
        gettext_noop("Reverse charge needs the customer's VAT number."),
    ),
    VAT_INTRA_COMMUNITY: (
        gettext_noop("An intra-community supply needs your business's VAT number."),
        gettext_noop("An intra-community supply needs the customer's VAT number."),
    ),
}


def _need_vat_ids(add, seller: Party, buyer: Party, category: str) -> None:
    seller_message, buyer_message = _VAT_ID_MESSAGES[category]
    if not seller.vat_id:
        add("business.vat_id", gettext(seller_message))
    if not buyer.vat_id:
        add("customer.vat_id", gettext(buyer_message))


def _need_other_eu_country(add, seller: Party, buyer: Party) -> None:
    if not seller.country:
        add("business.country", gettext("An intra-community supply needs your business's country."))
    elif seller.country not in EU_COUNTRIES:
        add(
            "business.country",
            gettext("An intra-community supply is made from an EU country; your business is not in one."),
        )
    if not buyer.country:
        add("customer.country", gettext("An intra-community supply needs the customer's country."))
    elif buyer.country not in EU_COUNTRIES:
        add(
            "customer.country",
            gettext(
                "An intra-community supply goes to a customer in another EU country; this customer is outside the EU "
                "(use “Export outside the EU”)."
            ),
        )
    elif buyer.country == seller.country:
        add(
            "customer.country",
            gettext(
                "An intra-community supply goes to a customer in another EU country, but this customer is in the same "
                "country as your business: charge VAT instead."
            ),
        )


def _export(add, seller: Party, buyer: Party) -> None:
    """The buyer is outside the EU (art. 146 of the VAT Directive); the seller states its VAT
    number (BR-G-02: the official rules refuse an export without it)."""
    if not seller.vat_id:
        add("business.vat_id", gettext("An export needs your business's VAT number."))
    if not buyer.country:
        add("customer.country", gettext("An export needs the customer's country."))
    elif buyer.country in EU_COUNTRIES:
        add(
            "customer.country",
            gettext(
                "An export outside the EU needs a customer outside the EU; this customer is in an EU country "
                "(use “Intra-community supply” or charge VAT)."
            ),
        )


def _outside_scope(add, categories: Sequence[str], seller: Party, buyer: Party) -> None:
    """BR-O-02: no VAT number may appear on an invoice with lines outside the scope of VAT, and
    BR-O-11/12: such an invoice has no lines in other categories."""
    if seller.vat_id:
        add(
            "business.vat_id",
            gettext(
                "An invoice outside the scope of VAT may not show a VAT number, and this business has one: "
                "invoice it from a business profile without a VAT number."
            ),
        )
    if buyer.vat_id:
        add(
            "customer.vat_id",
            gettext(
                "An invoice outside the scope of VAT may not show a VAT number, and this customer has one: "
                "remove it from the customer, or choose another VAT category."
            ),
        )
    for index, category in enumerate(categories):
        if category != VAT_OUTSIDE_SCOPE:
            add(
                f"items.{index}.vat_category",
                gettext(
                    "Lines outside the scope of VAT cannot share an invoice with lines that have VAT: "
                    "put them on separate invoices."
                ),
            )
