"""PDF/A-3 and Factur-X: the invoice PDF with its CII XML attached as ``factur-x.xml``.

The invoice PDF's fonts are all embedded TrueType fonts (DejaVu, Droid Sans Fallback; no
base-14 font even as ReportLab's initial or table font). ``facturx_pdf`` makes it a Factur-X
file (PDF/A-3b, profile EN 16931) in one pikepdf pass: the XML attached with pikepdf's
attachment API (AFRelationship Data, listed in the catalog's AF), the sRGB output intent
PDF/A asks for, the document information and the PDF/A + Factur-X XMP metadata saying the
same (the XMP built by the ``factur-x`` package), PDF 1.7. ReportLab's streams are copied
as they are (already compressed); only the few objects added here are new, so the pass
costs a fraction of the render. (The package's own generator clones and rewrites the whole
PDF with pypdf, which cost as much as rendering the invoice.) The files are read back with
the ``factur-x`` package (``attached_xml``, ``facturx_level``), as a receiver would.

Determinism: every date the file carries is the document version's own date and the file
identifier is derived from the content, so the same version gives the same bytes whenever
and wherever it is rendered.
"""

import copy
import datetime
import io
import re
import zlib
from functools import cache
from pathlib import Path

import facturx
import pikepdf
from facturx.facturx import FACTURX_FILENAME, FACTURX_LEVEL2xmp
from lxml import etree

ICC_PROFILE = Path(__file__).resolve().parent.parent.parent / "static" / "icc" / "sRGB.icc"
SRGB = "sRGB IEC61966-2.1"
FACTURX_LEVEL = "en16931"
# The XMP's Factur-X extension schema namespace (the package writes it; it has no name for it).
FACTURX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
KEYWORDS = "Factur-X, Invoice"
PDF_NS = "http://ns.adobe.com/pdf/1.3/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP_NAMESPACES = {
    "rdf": RDF_NS,
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": PDF_NS,
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
# Each XMP property and the document information entry it repeats (PDF/A: they agree).
XMP_INFO = {
    "dc:title": "/Title",
    "dc:creator": "/Author",
    "dc:description": "/Subject",
    "pdf:Keywords": "/Keywords",
    "pdf:Producer": "/Producer",
    "xmp:CreatorTool": "/Creator",
    "xmp:CreateDate": "/CreationDate",
    "xmp:ModifyDate": "/ModDate",
}
XMP_PATHS = {  # the properties whose value is in a list (Dublin Core)
    "dc:title": ".//dc:title/rdf:Alt/rdf:li",
    "dc:creator": ".//dc:creator/rdf:Seq/rdf:li",
    "dc:description": ".//dc:description/rdf:Alt/rdf:li",
}
XPACKET_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode()
XPACKET_END = b'\n<?xpacket end="w"?>'
# Characters XML 1.0 cannot carry (a control character in a business name must not break the XMP).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@cache
def _icc_profile() -> bytes:
    """The sRGB profile, Flate-compressed once per process."""
    return zlib.compress(ICC_PROFILE.read_bytes())


def facturx_pdf(pdf: bytes, cii_xml: bytes, *, dated: datetime.datetime, title: str, author: str, lang: str) -> bytes:
    """The Factur-X PDF (PDF/A-3, profile EN 16931) of ``pdf`` with ``cii_xml`` attached.

    ``dated`` (the document version's date, timezone-aware) is every date the file carries."""
    when = dated.astimezone(datetime.UTC)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        info = _document_info(doc, when, title=title, author=author)
        _attach_xml(doc, cii_xml, mod_date=info["/ModDate"])
        doc.Root.PageMode = pikepdf.Name.UseAttachments
        doc.Root.Lang = pikepdf.String(lang.replace("_", "-"))
        doc.Root.OutputIntents = pikepdf.Array([_output_intent(doc)])
        doc.Root.Metadata = doc.make_stream(_xmp(info, when), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        out = io.BytesIO()
        # ReportLab's streams are compressed already and the new ones are written as wanted:
        # nothing to decode or compress again (that would cost more than the whole pass). The
        # XMP has no pdf:PDFVersion for pikepdf to correct (that would parse it again).
        doc.save(
            out,
            min_version="1.7",
            deterministic_id=True,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            fix_metadata_version=False,
        )
    return out.getvalue()


def _document_info(doc: pikepdf.Pdf, when: datetime.datetime, *, title: str, author: str) -> dict[str, str]:
    """Set the document information the XMP repeats; returns it as text (without characters
    XML cannot carry, so that both say the same). Trapped is dropped: the XMP does not carry
    it, and PDF/A wants the two to agree."""
    stamp = when.strftime("D:%Y%m%d%H%M%SZ")
    rendered = doc.docinfo
    info = {
        "/Title": title,
        "/Author": author,
        "/Subject": title,
        "/Keywords": KEYWORDS,
        "/Creator": str(rendered.get("/Creator", "")),
        "/Producer": str(rendered.get("/Producer", "")),
    }
    info = {key: NOT_XML.sub("", value) for key, value in info.items()} | {"/CreationDate": stamp, "/ModDate": stamp}
    doc.docinfo = doc.make_indirect(pikepdf.Dictionary({key: pikepdf.String(value) for key, value in info.items()}))
    return info


def _attach_xml(doc: pikepdf.Pdf, xml: bytes, *, mod_date: str) -> None:
    """``xml`` as ``factur-x.xml`` (AFRelationship Data, in the catalog's AF), stored compressed."""
    spec = pikepdf.AttachedFileSpec(
        doc,
        xml,
        description="Factur-X XML file",
        filename=FACTURX_FILENAME,
        mime_type="text/xml",
        mod_date=mod_date,
        relationship=pikepdf.Name.Data,
    )
    doc.attachments[FACTURX_FILENAME] = spec
    # Size and CheckSum in Params are the XML's own; the stored bytes are its Flate encoding.
    spec.obj.EF.F.write(zlib.compress(xml), filter=pikepdf.Name.FlateDecode)


def _output_intent(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
    profile = doc.make_stream(b"", N=3)
    profile.write(_icc_profile(), filter=pikepdf.Name.FlateDecode)
    return pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String(SRGB),
        Info=pikepdf.String(SRGB),
        DestOutputProfile=profile,
    )


@cache
def _xmp_skeleton():
    """The XMP as the ``factur-x`` package builds it (PDF/A-3b, the Factur-X extension schema
    and properties), with the document's own values blank: built once per process, as a plain
    lxml tree that ``_xmp`` copies and fills in."""
    blank = dict.fromkeys(("title", "author", "subject", "producer", "creator_tool", "timestamp"), "")
    root = facturx.generate_xmp_object(
        blank
        | {
            "pdfa3_flavor": "B",
            "version": "1.0",
            "documenttype": "INVOICE",
            "xml_filename": FACTURX_FILENAME,
            "xmp_level": FACTURX_LEVEL2xmp[FACTURX_LEVEL],
            "urn": FACTURX_URN,
        }
    )
    root = etree.fromstring(etree.tostring(root))
    # The package's packet has no pdf:Keywords (the document information has them), and its
    # descriptions lack rdf:about, which XMP requires (PDF/A readers ignore them without it).
    etree.SubElement(root.find(".//pdf:Producer", XMP_NAMESPACES).getparent(), f"{{{PDF_NS}}}Keywords")
    for description in root.iter(f"{{{RDF_NS}}}Description"):
        description.set(f"{{{RDF_NS}}}about", "")
    return root


def _xmp(info: dict[str, str], when: datetime.datetime) -> bytes:
    """The XMP packet, saying what the document information says."""
    root = copy.deepcopy(_xmp_skeleton())
    values = {key: info[name] for key, name in XMP_INFO.items()}
    values["xmp:CreateDate"] = values["xmp:ModifyDate"] = when.isoformat()
    for key, value in values.items():
        root.find(XMP_PATHS.get(key, f".//{key}"), XMP_NAMESPACES).text = value
    return XPACKET_BEGIN + etree.tostring(root, encoding="utf-8") + XPACKET_END


def attached_xml(pdf: bytes) -> tuple[str, bytes]:
    """(file name, bytes) of the Factur-X XML inside ``pdf``, as the package reads it."""
    return facturx.get_xml_from_pdf(pdf, check_xsd=False)


def facturx_level(xml: bytes) -> str:
    """The Factur-X profile the XML declares ("en16931"), as the package reads it."""
    return facturx.get_level(etree.fromstring(xml))
