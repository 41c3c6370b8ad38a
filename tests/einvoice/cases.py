"""Varied documents for the validity tests, each with the formats it must satisfy.

Every VAT category with what its rules need, mixed rates, document discounts (percent and
amount), credit notes (full and partial), EUR, JPY, KWD, BHD and the Nordic currencies, 1 to
500 lines, long and non-Latin texts, and sellers from the countries whose Peppol rules
Billora follows. `formats` is what `requirements.check` must accept: the test checks that
exactly these are accepted, then writes and validates each.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from documents.einvoice import FORMATS

from . import parties as p
from .builder import Built, build, item

ALL = frozenset(FORMATS)
PLAIN = frozenset({"facturx", "cii", "ubl"})
XRECHNUNG = frozenset({"xrechnung-cii", "xrechnung-ubl"})
PEPPOL = frozenset({"peppol"})

REVERSE_CHARGE = (
    "Reverse charge: VAT to be accounted for by the recipient, art. 196 Directive 2006/112/EC",
    "VATEX-EU-AE",
)
INTRA_COMMUNITY = ("Exempt intra-community supply, art. 138 Directive 2006/112/EC", "VATEX-EU-IC")
EXPORT = ("Exempt export outside the EU, art. 146 Directive 2006/112/EC", "VATEX-EU-G")
FRANCHISE = ("TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")
SMALL_BUSINESS_DE = ("Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.", "")
EXEMPT_EDUCATION = ("Exonération de TVA, article 261-4-4° du CGI (formation professionnelle)", "")
NOT_SUBJECT = ("Non soumis à la TVA (subvention)", "VATEX-EU-O")

DE_IBAN = {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}
FR_IBAN = {"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"}
INVOICE_OF = ("INV-2026-0001", datetime.date(2026, 2, 2))

LONG_TEXT = (
    "Entwicklung und Betrieb der Bürgerportal-Plattform, Phase 2.\n"
    + " ".join(
        f"Arbeitspaket {n}: Analyse, Umsetzung, Test und Dokumentation gemäß Leistungsbeschreibung." for n in range(40)
    )
)[:2000]


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], Built]
    formats: frozenset[str]


def _rates(n: int, rates: tuple[str, ...]) -> list:
    """n lines cycling through the rates, with quantities and 4-place prices that need rounding."""
    return [
        item(
            f"{1 + n_ % 7}.{n_ % 10}",
            f"{3 + n_ % 97}.{(n_ * 37) % 10000:04d}",
            rates[n_ % len(rates)],
            description=f"Position {n_ + 1}",
        )
        for n_ in range(n)
    ]


CASES = [
    # --- Germany: XRechnung and Peppol DE-R rules ----------------------------------------------
    Case(
        "de-public-buyer-19-7-0-percent-discount",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_PUBLIC_BUYER,
            items=[item("2", "100.00", "19"), item("3", "12.50", "7", description="Fachbücher"), item("1", "5", "0")],
            discount=("percent", "10"),
            buyer_reference=p.LEITWEG_ID,
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-de-one-line",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1", "1499.00", "19", description="Jahreslizenz")],
            buyer_reference="Einkauf / Frau Schmidt",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-small-business-e-exempt-email-addresses",
        lambda: build(
            seller=p.DE_SMALL_BUSINESS,
            buyer=p.DE_PUBLIC_BUYER,
            items=[item("8", "65.00", "0", "E", "Logo-Entwurf"), item("1", "120.00", "0", "E", "Druckvorlage")],
            exemption_reasons={"E": SMALL_BUSINESS_DE},
            buyer_reference=p.LEITWEG_ID,
            iban="DE02120300000000202051",
        ),
        PLAIN | XRECHNUNG,
    ),
    Case(
        "at-de-reverse-charge-services",
        lambda: build(
            seller=p.AT_SELLER,
            buyer=p.DE_BUYER,
            items=[item("12.5", "140.00", "0", "AE", "Beratungsstunden"), item("1", "350.00", "0", "AE", "Workshop")],
            exemption_reasons={"AE": REVERSE_CHARGE},
            buyer_reference="Bestellung 2026/17",
            iban="AT611904300234573201",
        ),
        ALL,
    ),
    Case(
        "de-credit-note-full",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_PUBLIC_BUYER,
            items=[item("2", "100.00", "19"), item("3", "12.50", "7", description="Fachbücher"), item("1", "5", "0")],
            discount=("percent", "10"),
            credit_note_of=INVOICE_OF,
            number="CN-2026-0001",
            notes=("Storno der Rechnung INV-2026-0001: falsche Menge.",),
            buyer_reference=p.LEITWEG_ID,
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-partially-paid-prepaid-amount",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("10", "80.00", "19"), item("4", "19.90", "7")],
            prepaid="500.00",
            buyer_reference="Projekt Alpha",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-fully-paid-nothing-due",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1", "100.00", "19")],
            prepaid="119.00",
            due_days=None,
            payment_terms="",
            buyer_reference="Projekt Alpha",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-discount-100-percent-total-zero",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("3", "33.33", "19"), item("1", "7.77", "7")],
            discount=("percent", "100"),
            buyer_reference="Kulanz",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-three-notes-joined-for-peppol",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1", "250.00", "19")],
            notes=(
                "Vielen Dank für Ihren Auftrag.",
                "Lieferung erfolgte am 27.02.2026.",
                "Bitte Rechnungsnummer angeben.",
            ),
            buyer_reference="Bestellung 2026-118",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-multiline-terms-with-hash-inside-a-line",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1", "250.00", "19")],
            payment_terms="Zahlbar innerhalb von 30 Tagen.\nBitte Referenz #2026-118 angeben.\nKein Skonto.",
            buyer_reference="Bestellung 2026-118",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-tiny-amounts-rounded-per-rate",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1", "0.05", "7"), item("1", "0.05", "7"), item("1", "0.05", "7"), item("3", "0.0333", "19")],
            buyer_reference="Kleinteile",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-four-place-quantities-and-prices",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1.2345", "9.8765", "19"), item("0.0001", "9999.9999", "7"), item("12.5", "0.0815", "19")],
            discount=("amount", "0.07"),
            buyer_reference="Messwerte",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-large-amounts",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=[item("1000000", "1234.5678", "19"), item("250000", "99.99", "7")],
            discount=("percent", "2.5"),
            buyer_reference="Rahmenvertrag 7",
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-long-description-2000-characters",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_PUBLIC_BUYER,
            items=[item("1", "48500.00", "19", description=LONG_TEXT), item("2", "10.00", "7", description="x" * 2000)],
            buyer_reference=p.LEITWEG_ID,
            **DE_IBAN,
        ),
        ALL,
    ),
    Case(
        "de-500-lines-mixed-rates-percent-discount",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.DE_BUYER,
            items=_rates(500, ("19", "7", "0")),
            discount=("percent", "3.5"),
            buyer_reference="Sammelrechnung März",
            **DE_IBAN,
        ),
        ALL,
    ),
    # --- France ------------------------------------------------------------------------------
    Case(
        "fr-four-rates-order-reference",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_BUYER,
            items=[
                item("2", "150.00", "20", description="Séance photo"),
                item("10", "8.50", "10", description="Tirages"),
                item("3", "12.00", "5.5", description="Livres"),
                item("1", "9.90", "2.1", description="Presse"),
            ],
            order_reference="BC-2026-118",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "fr-micro-entrepreneur-franchise-en-base",
        lambda: build(
            seller=p.FR_MICRO,
            buyer=p.FR_BUYER,
            items=[item("3", "45.00", "0", "E", "Cours de pâtisserie"), item("1", "20.00", "0", "E", "Fournitures")],
            exemption_reasons={"E": FRANCHISE},
        ),
        PLAIN,
    ),
    Case(
        "fr-zero-rated-only",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_BUYER,
            items=[
                item("5", "30.00", "0", "Z", "Livraison intracommunautaire de livres scolaires"),
                item("1", "2", "0"),
            ],
            order_reference="BC-2026-119",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "fr-s-z-e-separate-rows-percent-discount",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_BUYER,
            items=[
                item("2", "99.90", "20", description="Conception graphique"),
                item("4", "12.50", "0", "Z", "Exportation de brochures"),
                item("6", "40.00", "0", "E", "Formation professionnelle"),
                item("1", "3.33", "0", description="Frais de port"),
            ],
            discount=("percent", "7.5"),
            exemption_reasons={"E": EXEMPT_EDUCATION},
            order_reference="BC-2026-120",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "fr-amount-discount-equals-subtotal",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_BUYER,
            items=[item("1", "10.00", "20"), item("1", "5.00", "5.5")],
            discount=("amount", "15.00"),
            order_reference="Geste commercial",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "fr-de-reverse-charge",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.DE_BUYER,
            items=[item("16", "95.00", "0", "AE", "Développement logiciel (jours)")],
            exemption_reasons={"AE": REVERSE_CHARGE},
            buyer_reference="Kostenstelle 4711",
            **FR_IBAN,
        ),
        ALL,
    ),
    Case(
        "fr-de-intra-community-goods-amount-discount",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.DE_BUYER,
            items=[item("40", "12.90", "0", "K", "Lampes en laiton"), item("40", "3.10", "0", "K", "Abat-jour")],
            discount=("amount", "25.00"),
            exemption_reasons={"K": INTRA_COMMUNITY},
            buyer_reference="Bestellung 88",
            delivery=True,
            **FR_IBAN,
        ),
        ALL,
    ),
    Case(
        "fr-gr-intra-community-greek-buyer",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.GR_BUYER,
            items=[item("100", "4.20", "0", "K", "Φωτιστικά LED (lampes LED)")],
            exemption_reasons={"K": INTRA_COMMUNITY},
            buyer_reference="Παραγγελία 42",
            delivery=True,
            **FR_IBAN,
        ),
        ALL,
    ),
    Case(
        "fr-us-export",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.US_BUYER,
            currency="USD",
            items=[item("2", "1800.00", "0", "G", "Tirages d'art encadrés")],
            exemption_reasons={"G": EXPORT},
            buyer_reference="ACME-PO-77",
            **FR_IBAN,
        ),
        PLAIN | XRECHNUNG,
    ),
    Case(
        "fr-outside-scope-association",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_ASSOCIATION,
            items=[item("1", "500.00", "0", "O", "Mécénat de compétences"), item("2", "25.00", "0", "O", "Frais")],
            exemption_reasons={"O": NOT_SUBJECT},
        ),
        PLAIN,
    ),
    Case(
        "fr-credit-note-partial-with-discount",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_BUYER,
            items=[
                item("1", "150.00", "20", description="Séance photo annulée"),
                item("2", "8.50", "10", description="Tirages"),
            ],
            discount=("percent", "5"),
            credit_note_of=INVOICE_OF,
            number="AV-2026-0003",
            order_reference="BC-2026-118",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "fr-de-credit-note-reverse-charge",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.DE_BUYER,
            items=[item("2", "95.00", "0", "AE", "Jours non effectués")],
            exemption_reasons={"AE": REVERSE_CHARGE},
            credit_note_of=INVOICE_OF,
            number="AV-2026-0004",
            buyer_reference="Kostenstelle 4711",
            **FR_IBAN,
        ),
        ALL,
    ),
    Case(
        "fr-credit-note-without-due-date-uses-terms",
        lambda: build(
            seller=p.FR_SELLER,
            buyer=p.FR_BUYER,
            items=[item("1", "60.00", "20")],
            credit_note_of=INVOICE_OF,
            number="AV-2026-0005",
            due_days=None,
            payment_terms="Montant déduit de votre prochaine facture.",
            order_reference="BC-2026-118",
        ),
        PLAIN | PEPPOL,
    ),
    # --- Peppol sellers with national rules ----------------------------------------------------
    Case(
        "be-be-peppol-amount-discount",
        lambda: build(
            seller=p.BE_SELLER,
            buyer=p.BE_BUYER,
            items=[item("24", "2.35", "21", description="Tripel 33cl"), item("10", "1.10", "6", description="Water")],
            discount=("amount", "5.00"),
            buyer_reference="PO 77",
            iban="BE68539007547034",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "nl-nl-peppol",
        lambda: build(
            seller=p.NL_SELLER,
            buyer=p.NL_BUYER,
            items=[item("1", "899.00", "21", description="Bakfiets"), item("2", "14.95", "9", description="Fietsbel")],
            buyer_reference="Inkoop 12",
            iban="NL91ABNA0417164300",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "nl-credit-note-peppol",
        lambda: build(
            seller=p.NL_SELLER,
            buyer=p.NL_BUYER,
            items=[item("1", "14.95", "9", description="Fietsbel retour")],
            credit_note_of=INVOICE_OF,
            number="CN-2026-0002",
            buyer_reference="Inkoop 12",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "dk-dk-peppol-dkk",
        lambda: build(
            seller=p.DK_SELLER,
            buyer=p.DK_BUYER,
            currency="DKK",
            items=[item("3", "1495.00", "25", description="Spisebordsstol"), item("1", "249.50", "25")],
            buyer_reference="Indkøb 5",
            iban="DK5000400440116243",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "it-it-peppol-three-rates",
        lambda: build(
            seller=p.IT_SELLER,
            buyer=p.IT_BUYER,
            items=[item("2", "35.00", "22"), item("5", "4.20", "10"), item("10", "1.15", "4")],
            buyer_reference="Ordine 9",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "se-se-peppol-sek",
        lambda: build(
            seller=p.SE_SELLER,
            buyer=p.SE_BUYER,
            currency="SEK",
            items=[
                item("1", "12995.00", "25", description="Soffa"),
                item("4", "89.00", "12"),
                item("2", "249.00", "6"),
            ],
            buyer_reference="Inköp 3",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "no-no-peppol-nok",
        lambda: build(
            seller=p.NO_SELLER,
            buyer=p.NO_BUYER,
            currency="NOK",
            items=[
                item("7.5", "1450.00", "25", description="Rådgivning"),
                item("3", "180.00", "15", description="Lunsj"),
            ],
            buyer_reference="Innkjøp 8",
        ),
        PLAIN | PEPPOL,
    ),
    Case(
        "gr-gr-greek-seller-not-for-peppol",
        lambda: build(
            seller=p.GR_SELLER,
            buyer=p.GR_BUYER,
            items=[
                item("1", "1200.00", "24", description="Άδεια λογισμικού"),
                item("6", "45.00", "13", description="Υποστήριξη"),
            ],
            buyer_reference="Παραγγελία 7",
        ),
        PLAIN,
    ),
    # --- Other currencies ----------------------------------------------------------------------
    Case(
        "jpy-two-rates-percent-discount",
        lambda: build(
            seller=p.JP_SELLER,
            buyer=p.JP_BUYER,
            currency="JPY",
            items=[
                item("1", "1000", "10", description="コンサルティング"),
                item("1", "333", "8", description="軽減税率対象の食品"),
            ],
            discount=("percent", "10"),
        ),
        PLAIN,
    ),
    Case(
        "jpy-fractional-quantity-rounded-line",
        lambda: build(
            seller=p.JP_SELLER,
            buyer=p.JP_BUYER,
            currency="JPY",
            items=[item("2.5", "1001", "10", description="作業時間"), item("3", "1500", "10")],
        ),
        PLAIN,
    ),
    Case(
        "jpy-credit-note",
        lambda: build(
            seller=p.JP_SELLER,
            buyer=p.JP_BUYER,
            currency="JPY",
            items=[item("1", "1000", "10", description="返金")],
            credit_note_of=INVOICE_OF,
            number="CN-2026-0009",
        ),
        PLAIN,
    ),
    Case(
        "de-jp-export-in-jpy",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.JP_BUYER,
            currency="JPY",
            items=[item("3", "45000", "0", "G", "Industrieventil"), item("1", "12500", "0", "G", "Versand")],
            exemption_reasons={"G": EXPORT},
        ),
        PLAIN,
    ),
    Case(
        "de-kw-export-in-kwd-two-decimal-amounts",
        lambda: build(
            seller=p.DE_SELLER,
            buyer=p.KW_BUYER,
            currency="KWD",
            items=[item("2", "12.500", "0", "G", "مضخة مياه (water pump)"), item("4", "0.250", "0", "G", "Dichtungen")],
            discount=("amount", "0.500"),
            exemption_reasons={"G": EXPORT},
        ),
        PLAIN,
    ),
    Case(
        "bh-bh-bhd-standard-rate-arabic-names",
        lambda: build(
            seller=p.BH_SELLER,
            buyer=p.BH_BUYER,
            currency="BHD",
            items=[
                item("5", "25.100", "10", description="خدمات استشارية"),
                item("1", "10.000", "10", description="رسوم"),
            ],
        ),
        PLAIN,
    ),
]
