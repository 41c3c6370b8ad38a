"""Every case, in every format it satisfies, passes the official rules with Billora's amounts.

The rules are the published ones (../shared/einvoicing: XSD + EN 16931 schematron, plus
XRechnung or Peppol where the format needs them); the amounts read back from the XML are
the ones billing.calc computed for the same document.
"""

from functools import cache

import pytest

from documents.einvoice import FORMATS, check, render

from .cases import CASES, Case
from .readback import amounts_in, expected_amounts

CASES_BY_ID = {case.id: case for case in CASES}


@cache
def built(case_id: str):
    return CASES_BY_ID[case_id].make()


def test_the_cases_cover_what_the_rules_distinguish():
    documents = [built(case.id).document for case in CASES]
    assert len(CASES) >= 40
    assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"
    assert set().union(*(doc.vat_categories for doc in documents)) == {"S", "Z", "E", "AE", "K", "G", "O"}
    assert {doc.currency for doc in documents} >= {"EUR", "JPY", "KWD", "BHD", "USD", "DKK", "SEK", "NOK"}
    assert {doc.type_code for doc in documents} == {"380", "381"}
    assert any(doc.allowances for doc in documents if doc.is_credit_note)
    assert {len(doc.lines) for doc in documents} >= {1, 500}
    assert max(len(line.description) for doc in documents for line in doc.lines) == 2000
    assert {doc.seller.address.country for doc in documents} >= {"DE", "FR", "BE", "NL", "DK", "IT", "SE", "NO", "AT"}
    for case in CASES:
        assert case.formats, f"{case.id} must be written in at least one format"
    assert set().union(*(case.formats for case in CASES)) == set(FORMATS)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_requirements_accept_exactly_the_expected_formats(case: Case):
    document = built(case.id).document
    verdicts = {key: check(document, key) for key in FORMATS}
    accepted = {key for key, verdict in verdicts.items() if verdict.ok}
    refused = {key: (verdict.missing_fields, [f.rule for f in verdict.problems]) for key, verdict in verdicts.items()}
    assert accepted == case.formats, refused


# Factur-X's XML is the CII XML byte for byte (test_writers proves it), so it is validated once, as "cii".
PAIRS = [
    pytest.param(case, key, id=f"{case.id}-{key}")
    for case in CASES
    for key in sorted(case.formats)
    if not (key == "facturx" and "cii" in case.formats)
]


@pytest.mark.parametrize(("case", "format_key"), PAIRS)
def test_passes_the_official_rules_with_calcs_amounts(case: Case, format_key: str, validator):
    document = built(case.id)
    xml = render(document.document, format_key)
    report = validator.validate(xml, FORMATS[format_key].rule_sets)
    assert not report.fatal, report.describe()
    assert amounts_in(xml) == expected_amounts(document)
