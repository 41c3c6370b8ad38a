"""The official EN 16931 rules against Billora's issue-time verdicts on the VAT table.

Each case of tests/billing/vat_cases.py (which the service and API tests issue or refuse) is
written as the CII e-invoice an adapter would make of it (parties, lines with their resolved
categories, the stored exemption reasons), bypassing `render`'s own requirement check, and run
through the published schematron. Where EN 16931 has a rule for what Billora refuses, the
validator flags it; what Billora accepts, the validator accepts. Three refusals go beyond
EN 16931 and are named here: K to a buyer in the seller's own country and G to a buyer inside
the EU (art. 138 and 146 of the VAT Directive: EN 16931 does not compare countries), and O
with VAT ids on the parties (BR-O-02 forbids them in the document; the writer leaves them
out, so the XML passes, but the printed invoice would show them: Billora refuses instead).
"""

from decimal import Decimal

import pytest

from billing.vat import default_category
from documents.einvoice import cii, get_format
from tests.billing.vat_cases import CASES, VatCase

from .builder import build, buyer_party, item, seller_party

# The EN 16931 rule behind each refusal the official rules can see.
EN16931_RULE = {
    "e-exemption-without-a-reason": "BR-E-10",
    "ae-reverse-charge-without-the-buyers-vat-id": "BR-AE-02",
}
BEYOND_EN16931 = {
    "k-intra-community-to-a-buyer-in-the-same-country",
    "g-export-to-a-buyer-in-the-eu",
    "o-outside-the-scope-with-vat-ids-present",
}


def document_of(case: VatCase):
    seller = seller_party(
        "Seller",
        case.seller["country"],
        vat_id=case.seller.get("vat_id", ""),
        tax_id=case.seller.get("tax_id", ""),
        legal_id=case.seller.get("legal_registration_id", ""),
    )
    buyer = buyer_party("Buyer", case.buyer["country"], vat_id=case.buyer.get("vat_id", ""))
    business_default = case.seller.get("default_vat_category", "S")
    items = [
        item(
            line["quantity"],
            line["unit_price"],
            line["tax_rate"],
            line.get("vat_category") or default_category(Decimal(line["tax_rate"]), business_default),
            line["description"],
        )
        for line in case.items
    ]
    reasons = {row[0]: (row[4], row[5]) for row in case.breakdown if row[4] or row[5]}
    categories = {row[0] for row in case.breakdown}
    # An intra-community supply states where and when the goods went (BR-IC-11, BR-IC-12).
    return build(seller=seller, buyer=buyer, items=items, exemption_reasons=reasons, delivery="K" in categories)


def test_the_table_is_covered():
    ids = {case.id for case in CASES}
    refused = {case.id for case in CASES if not case.allowed}
    assert set(EN16931_RULE) | BEYOND_EN16931 == refused
    assert set(EN16931_RULE) <= ids


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_official_rules_agree_with_the_issue_verdict(case: VatCase, validator):
    xml = cii.write(document_of(case).document, get_format("cii"))
    report = validator.validate(xml, get_format("cii").rule_sets)
    if case.allowed or case.id in BEYOND_EN16931:
        assert not report.fatal, report.describe()
    else:
        assert EN16931_RULE[case.id] in report.fatal_rules, report.describe()
