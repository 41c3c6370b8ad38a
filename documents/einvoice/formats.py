"""The e-invoice formats Billora offers, by the key the API uses (`?format=`)."""

from dataclasses import dataclass

CII = "cii"
UBL = "ubl"

EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BIS_BILLING = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    syntax: str  # CII (UN/CEFACT CrossIndustryInvoice D16B) or UBL (OASIS UBL 2.1)
    specification_id: str  # BT-24
    business_process: str  # BT-23, "" when not written
    rule_sets: tuple[str, ...]  # the official rule sets a file must pass (../shared/einvoicing)

    @property
    def is_xrechnung(self) -> bool:
        return self.specification_id == XRECHNUNG

    @property
    def is_peppol(self) -> bool:
        return self.specification_id == PEPPOL_BIS_BILLING


_FORMATS = (
    # Factur-X's EN 16931 profile is the plain EN 16931 CII document (guideline urn:cen.eu:en16931:2017),
    # so the XML inside the PDF and the CII download are the same bytes.
    Format("facturx", "Factur-X / ZUGFeRD (EN 16931)", CII, EN16931, "", ("en16931-cii",)),
    Format("cii", "CII (UN/CEFACT D16B)", CII, EN16931, "", ("en16931-cii",)),
    Format("ubl", "UBL 2.1", UBL, EN16931, "", ("en16931-ubl",)),
    Format(
        "xrechnung-cii", "XRechnung 3.0 (CII)", CII, XRECHNUNG, PEPPOL_BILLING_PROCESS, ("en16931-cii", "xrechnung-cii")
    ),
    Format(
        "xrechnung-ubl", "XRechnung 3.0 (UBL)", UBL, XRECHNUNG, PEPPOL_BILLING_PROCESS, ("en16931-ubl", "xrechnung-ubl")
    ),
    Format(
        "peppol",
        "Peppol BIS Billing 3.0",
        UBL,
        PEPPOL_BIS_BILLING,
        PEPPOL_BILLING_PROCESS,
        ("en16931-ubl", "peppol-ubl"),
    ),
)
FORMATS: dict[str, Format] = {fmt.key: fmt for fmt in _FORMATS}


def get_format(key: str) -> Format:
    try:
        return FORMATS[key]
    except KeyError:
        raise ValueError(f"Unknown e-invoice format {key!r}; expected one of {', '.join(FORMATS)}") from None
