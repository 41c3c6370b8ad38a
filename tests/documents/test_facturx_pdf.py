"""The Factur-X PDF is PDF/A-3 ready and deterministic (no database: print data and a built
EN 16931 document)."""

import datetime
import hashlib
import io

import pikepdf
from lxml import etree

from documents.einvoice import render
from documents.pdf import render_invoice_pdf
from documents.pdf.pdfa import attached_xml, facturx_level, facturx_pdf
from tests.documents.test_pdf import make_data
from tests.einvoice.cases import CASES

DATED = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
BASE_14 = {"Helvetica", "Times-Roman", "Courier", "Symbol", "ZapfDingbats"}


def factur_x(author="Acme", **overrides):
    xml = render(CASES[0].make().document, "facturx")
    pdf = render_invoice_pdf(make_data(**overrides))
    return xml, facturx_pdf(pdf, xml, dated=DATED, title="Invoice INV-1", author=author, lang="de-DE")


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


# PDF/A: each document information entry and its XMP property say the same.
INFO_XMP = {
    "/Title": "dc:title",
    "/Author": "dc:creator",
    "/Subject": "dc:description",
    "/Keywords": "pdf:Keywords",
    "/Creator": "xmp:CreatorTool",
    "/Producer": "pdf:Producer",
}


def test_document_information_and_xmp_agree_and_carry_the_facturx_properties():
    _, pdf = factur_x()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        info = doc.docinfo
        assert set(info.keys()) == {*INFO_XMP, "/CreationDate", "/ModDate"}
        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key, prop in INFO_XMP.items():
                value = meta[prop]
                assert (value[0] if isinstance(value, list) else value) == str(info[key]), key
            assert meta["xmp:ModifyDate"] == meta["xmp:CreateDate"]
            assert (str(info.Title), str(info.Creator), str(info.Producer)) == ("Invoice INV-1", "Billora", "Billora")
        fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
        root = etree.fromstring(doc.Root.Metadata.read_bytes())
        assert [
            root.findtext(f".//{fx}{name}") for name in ("DocumentType", "DocumentFileName", "ConformanceLevel")
        ] == [
            "INVOICE",
            "factur-x.xml",
            "EN 16931",
        ]
        assert "Filter" not in doc.Root.Metadata.stream_dict  # readable metadata
        # XMP readers (PDF/A validators among them) ignore a description without rdf:about.
        rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
        descriptions = list(root.iter(f"{rdf}Description"))
        assert len(descriptions) == 6 and all(d.get(f"{rdf}about") == "" for d in descriptions)


def test_the_attachment_is_stored_compressed_with_the_xml_size_and_checksum():
    xml, pdf = factur_x()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        stream = doc.attachments["factur-x.xml"].obj.EF.F
        assert stream.Filter == pikepdf.Name.FlateDecode and len(stream.read_raw_bytes()) < len(xml) / 4
        assert stream.read_bytes() == xml
        assert (int(stream.Params.Size), bytes(stream.Params.CheckSum)) == (len(xml), hashlib.md5(xml).digest())  # noqa: S324 - the PDF checksum is MD5
        assert str(stream.Params.ModDate) == "D:20260302093000Z"


def test_markup_and_control_characters_in_the_seller_name_keep_the_xmp_well_formed():
    author = 'Müller & Söhne <GmbH> \x0b"quoted"'
    _, pdf = factur_x(author=author)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        etree.fromstring(doc.Root.Metadata.read_bytes())
        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            assert meta["dc:creator"] == ['Müller & Söhne <GmbH> "quoted"'] == [str(doc.docinfo.Author)]
