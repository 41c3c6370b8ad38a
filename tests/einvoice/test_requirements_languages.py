"""The refusal messages are written in the language active when `check` runs (the web's and
the API's request language); the rule ids and the `missing` field names never change."""

from dataclasses import replace

import pytest
from django.utils import translation

from documents.einvoice import check
from documents.einvoice.model import Address, Buyer, Seller

from .test_requirements import DE_DE, TABLE, _buyer, _doc

PREFIX = {
    "en": "This document cannot be produced as ",
    "fr": "Ce document ne peut pas être établi au format ",
    "de": "Dieses Dokument kann nicht als ",
}


def _verdicts(document, format_key):
    verdicts = {}
    for language in PREFIX:
        with translation.override(language):
            verdicts[language] = check(document, format_key)
    return verdicts


def _findings(verdict):
    return [*verdict.missing, *verdict.problems]


def _assert_translated(verdicts):
    english = verdicts["en"]
    assert not english.ok
    for language, verdict in verdicts.items():
        # The stable API values are the same in every language.
        assert [(f.field, f.rule) for f in _findings(verdict)] == [(f.field, f.rule) for f in _findings(english)]
        assert verdict.missing_fields == english.missing_fields
        assert verdict.detail.startswith(PREFIX[language]), verdict.detail
        assert "%(" not in verdict.detail
        if language != "en":
            untranslated = [
                f.message for f in _findings(verdict) if f.message in {g.message for g in _findings(english)}
            ]
            assert not untranslated, (language, untranslated)


@pytest.mark.parametrize(
    ("format_key", "case_id", "mutate"),
    [pytest.param(fmt, case_id, mutate, id=f"{fmt}-{rule}-{field}") for fmt, case_id, mutate, _k, field, rule in TABLE],
)
def test_every_requirement_speaks_the_active_language(format_key, case_id, mutate):
    original = _doc(case_id)
    _assert_translated(_verdicts(mutate(original) if mutate else original, format_key))


@pytest.mark.parametrize("format_key", ["cii", "xrechnung-ubl", "peppol"])
def test_a_document_with_almost_nothing_is_refused_in_every_language(format_key):
    bare = replace(
        _doc(DE_DE),
        seller=Seller(name="", address=Address(country="DE")),
        buyer=Buyer(name="", address=Address()),
        number="",
        buyer_reference="",
        payment_instructions=None,
        payment_terms="#SKONTO TAGE=7 PROZENT=2.00#",
    )
    _assert_translated(_verdicts(bare, format_key))


def test_the_message_keeps_the_language_the_check_ran_in():
    document = _buyer(_doc(DE_DE), electronic_address=None)
    with translation.override("de"):
        verdict = check(document, "peppol")
    with translation.override("fr"):
        assert verdict.detail == (
            "Dieses Dokument kann nicht als Peppol BIS Billing 3.0 erstellt werden: "
            "Peppol erfordert die Peppol-ID des Kunden."
        )
    assert verdict.missing_fields == ["customer.peppol_id"]
    assert [f.rule for f in verdict.missing] == ["PEPPOL-EN16931-R010"]
    with translation.override("fr"):
        assert check(document, "peppol").detail == (
            "Ce document ne peut pas être établi au format Peppol BIS Billing 3.0 : "
            "Peppol exige l’identifiant Peppol du client."
        )
