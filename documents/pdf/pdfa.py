"""PDF/A-3 and Factur-X: the invoice PDF with its CII XML attached as ``factur-x.xml``.

The invoice PDF's fonts are all embedded TrueType fonts (DejaVu, Droid Sans Fallback; no
base-14 font even as ReportLab's initial or table font). ``facturx_pdf`` makes it a Factur-X
file (PDF/A-3b, profile EN 16931) in one pikepdf pass: the XML attached with pikepdf's
attachment API (AFRelationship Data, listed in the catalog's AF), the sRGB output intent
PDF/A asks for, the document information and the PDF/A + Factur-X XMP metadata saying the
same, PDF 1.7. ReportLab's streams are copied as they are (already compressed); only the
few objects added here are new, so the pass costs a fraction of the render. The files are
read back with the ``factur-x`` package (``attached_xml``, ``facturx_level``), as a
receiver would.

Determinism: every date the file carries is the document version's own date and the file
identifier is derived from the content, so the same version gives the same bytes whenever
and wherever it is rendered.
"""

import datetime
import io
import re
import zlib
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import facturx
import pikepdf
from lxml import etree

ICC_PROFILE = Path(__file__).resolve().parent.parent.parent / "static" / "icc" / "sRGB.icc"
SRGB = "sRGB IEC61966-2.1"
FACTURX_LEVEL = "en16931"
FACTURX_FILENAME = "factur-x.xml"
FACTURX_CONFORMANCE = "EN 16931"  # the XMP's fx:ConformanceLevel for FACTURX_LEVEL
FACTURX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
KEYWORDS = "Factur-X, Invoice"

# The PDF/A-3b + Factur-X XMP packet (the extension schema is the one Factur-X 1.0 defines).
XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{producer}</pdf:Producer>
   <pdf:Keywords>{keywords}</pdf:Keywords>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{creator}</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>{urn}</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>{properties}
       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:fx="{urn}">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>{filename}</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>{conformance}</fx:ConformanceLevel>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
XMP_PROPERTY = """
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>{0}</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType>
         <pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>{1}</pdfaProperty:description>
        </rdf:li>"""
FACTURX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)
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
        doc.Root.Metadata = doc.make_stream(
            _xmp(info, when).encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
        )
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


def _xmp(info: dict[str, str], when: datetime.datetime) -> str:
    """The XMP packet: the document information again, PDF/A-3b and the Factur-X properties."""
    return XMP_TEMPLATE.format(
        title=escape(info["/Title"]),
        author=escape(info["/Author"]),
        subject=escape(info["/Subject"]),
        producer=escape(info["/Producer"]),
        keywords=escape(info["/Keywords"]),
        creator=escape(info["/Creator"]),
        date=when.isoformat(),
        urn=FACTURX_URN,
        properties="".join(XMP_PROPERTY.format(name, text) for name, text in FACTURX_PROPERTIES),
        filename=FACTURX_FILENAME,
        conformance=FACTURX_CONFORMANCE,
    )


def attached_xml(pdf: bytes) -> tuple[str, bytes]:
    """(file name, bytes) of the Factur-X XML inside ``pdf``, as the package reads it."""
    return facturx.get_xml_from_pdf(pdf, check_xsd=False)


def facturx_level(xml: bytes) -> str:
    """The Factur-X profile the XML declares ("en16931"), as the package reads it."""
    return facturx.get_level(etree.fromstring(xml))
