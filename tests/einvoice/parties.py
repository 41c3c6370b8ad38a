"""Sellers and buyers for the e-invoice tests, with identifiers that pass their check digits."""

from documents.einvoice.model import Contact

from .builder import buyer_party, seller_party

GERMAN_CONTACT = Contact(name="Anna Müller", phone="+49 30 1234567", email="rechnung@mueller.example")

DE_SELLER = seller_party(
    "Müller Software GmbH",
    "DE",
    vat_id="DE123456789",
    legal_id="HRB 12345 B",
    tax_id="21/815/08150",
    peppol_id="9930:DE123456789",
    street="Hauptstraße 1",
    city="Berlin",
    postcode="10115",
    contact=GERMAN_CONTACT,
    legal_info="Geschäftsführerin: Anna Müller · Amtsgericht Charlottenburg HRB 12345 B",
)
# A German small business (§ 19 UStG): no VAT id, a tax number and a register entry.
DE_SMALL_BUSINESS = seller_party(
    "Grafikbüro Weiß",
    "DE",
    legal_id="HRA 4711",
    tax_id="27/123/45678",
    street="Lindenallee 7",
    city="Leipzig",
    postcode="04109",
    contact=Contact(name="Paul Weiß", phone="0341 998877", email="paul@weiss.example"),
)
FR_SELLER = seller_party(
    "Atelier Lumière SAS",
    "FR",
    vat_id="FR40303265045",
    legal_id="303265045",
    peppol_id="0009:30326504500012",
    street="12 rue de la Paix",
    city="Paris",
    postcode="75002",
    contact=Contact(name="Claire Martin", phone="+33 1 23 45 67 89", email="compta@lumiere.example"),
    legal_info=(
        "SAS au capital de 10 000 € · RCS Paris 303 265 045 · En cas de retard de paiement, pénalités au taux "
        "de 3 fois le taux d'intérêt légal et indemnité forfaitaire pour frais de recouvrement de 40 €."
    ),
    trading_name="Lumière Studio",
)
# A French micro-entrepreneur under the franchise en base (art. 293 B CGI): no VAT id.
FR_MICRO = seller_party(
    "Jeanne Dupont EI",
    "FR",
    legal_id="912345678",
    tax_id="91234567800015",
    street="3 impasse des Lilas",
    city="Lyon",
    postcode="69003",
    contact=Contact(name="Jeanne Dupont", phone="06 12 34 56 78", email="jeanne@dupont.example"),
)
BE_SELLER = seller_party(
    "Brouwerij De Klok BV",
    "BE",
    vat_id="BE0412345614",
    legal_id="0412345614",
    peppol_id="0208:0412345614",
    street="Grote Markt 1",
    city="Brugge",
    postcode="8000",
)
NL_SELLER = seller_party(
    "Fietsenmakerij Van Dijk B.V.",
    "NL",
    vat_id="NL123456789B01",
    legal_id="12345678",
    peppol_id="0106:12345678",
    street="Prinsengracht 263",
    city="Amsterdam",
    postcode="1016 GV",
)
DK_SELLER = seller_party(
    "Nordisk Design ApS",
    "DK",
    vat_id="DK12345678",
    legal_id="12345678",
    peppol_id="0184:DK12345678",
    street="Strøget 10",
    city="København K",
    postcode="1100",
)
IT_SELLER = seller_party(
    "Bottega Rossi S.r.l.",
    "IT",
    vat_id="IT12345678903",
    tax_id="RSSMRA85T10A562S",
    peppol_id="0211:IT12345678903",
    street="Via Roma 1",
    city="Milano",
    postcode="20121",
)
SE_SELLER = seller_party(
    "Svensk Möbel AB",
    "SE",
    vat_id="SE556036079301",
    legal_id="5560360793",
    tax_id="Godkänd för F-skatt",
    peppol_id="0007:5560360793",
    street="Drottninggatan 5",
    city="Stockholm",
    postcode="111 51",
)
NO_SELLER = seller_party(
    "Fjord Konsult AS",
    "NO",
    vat_id="NO923456783MVA",
    legal_id="923456783",
    peppol_id="0192:923456783",
    street="Karl Johans gate 1",
    city="Oslo",
    postcode="0154",
)
AT_SELLER = seller_party(
    "Wiener Beratung GmbH",
    "AT",
    vat_id="ATU12345678",
    legal_id="FN 123456a",
    peppol_id="9914:ATU12345678",
    street="Ringstraße 1",
    city="Wien",
    postcode="1010",
    contact=Contact(name="Lukas Huber", phone="+43 1 234567", email="office@wien-beratung.example"),
)
GR_SELLER = seller_party(
    "Ελληνικά Λογισμικά Α.Ε.",
    "GR",
    vat_id="EL094259216",
    peppol_id="9933:EL094259216",
    street="Οδός Ερμού 10",
    city="Αθήνα",
    postcode="10563",
)
JP_SELLER = seller_party(
    "株式会社サンプル商事",
    "JP",
    legal_id="1234567890123",
    tax_id="T1234567890123",
    street="千代田区丸の内1-1-1",
    city="東京都",
    postcode="100-0005",
)
BH_SELLER = seller_party(
    "مؤسسة البحرين للخدمات",
    "BH",
    vat_id="BH200000000000003",
    legal_id="CR 12345-1",
    street="شارع الملك فيصل",
    city="المنامة",
    postcode="317",
)

DE_PUBLIC_BUYER = buyer_party(
    "Stadt Köln – Amt für Informationsverarbeitung",
    "DE",
    peppol_id="0204:04011000-12345-03",
    email="e-rechnung@stadt-koeln.example",
    street="Willy-Brandt-Platz 2",
    city="Köln",
    postcode="50679",
)
LEITWEG_ID = "04011000-12345-03"
DE_BUYER = buyer_party(
    "Schmidt & Partner KG",
    "DE",
    vat_id="DE811569869",
    peppol_id="9930:DE811569869",
    email="buchhaltung@schmidt.example",
    street="Königsallee 20",
    city="Düsseldorf",
    postcode="40212",
)
FR_BUYER = buyer_party(
    "Boulangerie Éclair SARL",
    "FR",
    vat_id="FR83404833048",
    legal_id="404833048",
    peppol_id="0009:40483304800017",
    email="factures@eclair.example",
    street="8 place Bellecour",
    city="Lyon",
    postcode="69002",
)
BE_BUYER = buyer_party(
    "Chocolaterie Leroy SRL",
    "BE",
    vat_id="BE0847639250",
    legal_id="0847639250",
    peppol_id="0208:0847639250",
    street="Rue Neuve 1",
    city="Bruxelles",
    postcode="1000",
)
NL_BUYER = buyer_party(
    "Kaashandel Bakker B.V.",
    "NL",
    vat_id="NL987654321B01",
    legal_id="87654321",
    peppol_id="0106:87654321",
    street="Markt 5",
    city="Gouda",
    postcode="2801 JE",
)
DK_BUYER = buyer_party(
    "Hygge Kaffe A/S",
    "DK",
    vat_id="DK87654321",
    peppol_id="0184:87654321",
    street="Nyhavn 17",
    city="København",
    postcode="1051",
)
SE_BUYER = buyer_party(
    "Kafé Fika AB", "SE", vat_id="SE559203745001", peppol_id="0007:5592037450", city="Göteborg", postcode="411 01"
)
NO_BUYER = buyer_party("Nordlys Hotell AS", "NO", peppol_id="0192:974760673", city="Tromsø", postcode="9008")
IT_BUYER = buyer_party("Trattoria Bianchi", "IT", vat_id="IT09876543217", peppol_id="0211:IT09876543217")
US_BUYER = buyer_party(
    "Acme Corporation", "US", email="ap@acme.example", street="1 Infinite Loop", city="Cupertino", postcode="95014"
)
GR_BUYER = buyer_party(
    "Ελληνικές Τεχνολογίες Α.Ε.",
    "GR",
    vat_id="EL094014201",
    peppol_id="9933:EL094014201",
    email="logistirio@texnologies.example",
    street="Λεωφόρος Κηφισίας 10",
    city="Αθήνα",
    postcode="11526",
)
JP_BUYER = buyer_party(
    "株式会社テスト電機",
    "JP",
    email="keiri@test-denki.example",
    street="大阪市北区梅田3-1-1",
    city="大阪府",
    postcode="530-0001",
)
KW_BUYER = buyer_party(
    "شركة الكويت للتجارة العامة",
    "KW",
    email="accounts@kuwait-trading.example",
    street="شارع فهد السالم",
    city="مدينة الكويت",
    postcode="13001",
)
BH_BUYER = buyer_party("شركة المنامة للتقنية", "BH", vat_id="BH200000000000011", city="المنامة", postcode="317")
# A charity buyer for "outside the scope of VAT" documents: no VAT id may be written anyway.
FR_ASSOCIATION = buyer_party(
    "Association Les Amis du Livre", "FR", legal_id="W751234567", email="tresorier@amis-livre.example"
)
