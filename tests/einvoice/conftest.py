"""The official e-invoice rules, compiled once per test session.

The rule sets live beside the project in ../shared/einvoicing (EN 16931 1.3.16 for CII and
UBL with the CII D16B XSD, KoSIT's XRechnung rules, OpenPEPPOL's BIS 3.0 rules, all compiled to
XSLT 2.0). They are run exactly as ../shared/einvoicing/validate.py runs them: saxonche for the
XSLT, lxml for the XSD, and a document is valid when no failed assertion is flagged fatal or
error. CI must run them: a missing folder fails every test that needs it, never skips it.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from saxonche import PySaxonProcessor

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = PROJECT_ROOT.parent / "shared" / "einvoicing"
RULE_FILES = {
    "en16931-cii": "en16931/cii/xslt/EN16931-CII-validation.xslt",
    "en16931-ubl": "en16931/ubl/xslt/EN16931-UBL-validation.xslt",
    "xrechnung-cii": "xrechnung/XRechnung-CII-validation.xslt",
    "xrechnung-ubl": "xrechnung/XRechnung-UBL-validation.xslt",
    "peppol-cii": "peppol/PEPPOL-EN16931-CII-validation.xslt",
    "peppol-ubl": "peppol/PEPPOL-EN16931-UBL-validation.xslt",
}
CII_XSD = "en16931/cii/schema/CII/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
FATAL_FLAGS = ("fatal", "error")


@dataclass(frozen=True)
class Failure:
    flag: str  # fatal, error, warning, information
    rule: str  # e.g. "en16931-cii:BR-CO-15" or "XSD"
    text: str

    @property
    def is_fatal(self) -> bool:
        return self.flag in FATAL_FLAGS


@dataclass(frozen=True)
class Report:
    failures: tuple[Failure, ...]

    @property
    def fatal(self) -> list[Failure]:
        return [f for f in self.failures if f.is_fatal]

    @property
    def fatal_rules(self) -> set[str]:
        """Rule ids without the rule-set prefix: {"BR-CO-15", "BR-DE-15", "XSD"}."""
        return {f.rule.split(":", 1)[-1] for f in self.fatal}

    def describe(self) -> str:
        return "\n".join(f"{f.flag} {f.rule}: {f.text[:300]}" for f in self.failures)


class Validator:
    """Runs rule sets on XML bytes; each rule set is compiled on first use, once per session."""

    def __init__(self, processor):
        self._processor = processor
        self._compiler = processor.new_xslt30_processor()
        self._compiled = {}
        self._cii_schema = None

    def _executable(self, name: str):
        if name not in self._compiled:
            self._compiled[name] = self._compiler.compile_stylesheet(stylesheet_file=str(RULES_DIR / RULE_FILES[name]))
        return self._compiled[name]

    def _schema(self):
        if self._cii_schema is None:
            self._cii_schema = etree.XMLSchema(etree.parse(str(RULES_DIR / CII_XSD)))
        return self._cii_schema

    def validate(self, xml: bytes, rule_sets: tuple[str, ...]) -> Report:
        failures = []
        if any(name.endswith("-cii") for name in rule_sets):
            schema = self._schema()
            if not schema.validate(etree.fromstring(xml)):
                failures += [Failure("fatal", "XSD", f"line {e.line}: {e.message}") for e in schema.error_log]
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        for name in rule_sets:
            svrl = etree.fromstring(self._executable(name).transform_to_string(xdm_node=node).encode())
            for failed in svrl.iterfind(".//svrl:failed-assert", SVRL):
                text = " ".join("".join(failed.itertext()).split())
                failures.append(Failure(failed.get("flag") or "fatal", f"{name}:{failed.get('id') or '?'}", text))
        return Report(tuple(failures))


@pytest.fixture(scope="session")
def validator():
    missing = [path for path in (*RULE_FILES.values(), CII_XSD) if not (RULES_DIR / path).is_file()]
    if missing:
        pytest.fail(
            f"The official e-invoice rules are missing from {RULES_DIR} ({', '.join(missing)}). "
            "They must sit beside the project as ../shared/einvoicing; these tests never skip.",
            pytrace=False,
        )
    with PySaxonProcessor(license=False) as processor:
        yield Validator(processor)
