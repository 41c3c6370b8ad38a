"""The Factur-X PDF is PDF/A-3 ready and deterministic (no database: print data and a built
EN 16931 document)."""

import datetime
import io

import pikepdf

from documents.einvoice import render
from documents.pdf import render_invoice_pdf
from documents.pdf.pdfa import attached_xml, facturx_level, facturx_pdf
from tests.documents.test_pdf import make_data
from tests.einvoice.cases import CASES

DATED = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
BASE_14 = {"Helvetica", "Times-Roman", "Courier", "Symbol", "ZapfDingbats"}


def factur_x(**overrides):
    xml = render(CASES[0].make().document, "facturx")
    pdf = render_invoice_pdf(make_data(**overrides))
    return xml, facturx_pdf(pdf, xml, dated=DATED, title="Invoice INV-1", author="Acme", lang="de-DE")


def test_the_attachment_is_the_cii_and_the_profile_en16931():
    xml, pdf = factur_x()
    assert attached_xml(pdf) == ("factur-x.xml", xml)
    assert facturx_level(xml) == "en16931"


def test_pdfa3_essentials_embedded_fonts_srgb_intent_consistent_metadata():
    _, pdf = factur_x()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.pdf_version == "1.7"
        for page in doc.pages:
            for font in page.Resources.Font.values():
                assert str(font.BaseFont).lstrip("/").split("+")[-1] not in BASE_14
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                assert "/FontFile2" in descendant.FontDescriptor
        [intent] = doc.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1 and intent.DestOutputProfile.N == 3
        assert doc.Root.AF[0].AFRelationship == pikepdf.Name.Data
        assert str(doc.docinfo.CreationDate) == str(doc.docinfo.ModDate) == "D:20260302093000Z"
        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
            assert meta["pdf:Producer"] == str(doc.docinfo.Producer)
            assert meta["xmp:CreateDate"] == "2026-03-02T09:30:00+00:00"


def test_two_renders_are_byte_identical():
    assert factur_x()[1] == factur_x()[1]
