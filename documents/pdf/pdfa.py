"""PDF/A-3 and Factur-X: the invoice PDF with its CII XML attached as ``factur-x.xml``.

The invoice PDF's fonts are all embedded TrueType fonts (DejaVu, Droid Sans Fallback; no
base-14 font even as ReportLab's initial or table font). ``facturx_pdf`` hands it to the
``factur-x`` package, which attaches the XML (AFRelationship Data) and writes the PDF/A-3 +
Factur-X XMP metadata (profile EN 16931); then one pikepdf pass adds the sRGB output intent
PDF/A asks for (ReportLab cannot write one), names Billora as the creator in both the document
information and the XMP, and declares PDF 1.7. Nothing is compressed again on save.

Determinism: the package stamps "now" on the attachment, the document information and the
XMP metadata; those dates are set again to the document version's own date, and the file
identifier is derived from the content, so the same version gives the same bytes whenever
and wherever it is rendered.
"""

import datetime
import io
import re
import zlib
from functools import cache
from pathlib import Path

import facturx
import pikepdf
from lxml import etree

ICC_PROFILE = Path(__file__).resolve().parent.parent.parent / "static" / "icc" / "sRGB.icc"
SRGB = "sRGB IEC61966-2.1"
CREATOR = "Billora"  # the application that made the document (the package names itself)
FACTURX_LEVEL = "en16931"
# Characters XML 1.0 cannot carry: a control character in a business name must not break the XMP.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@cache
def _icc_profile() -> bytes:
    """The sRGB profile, Flate-compressed once per process (the file is saved without
    re-compressing: the package's streams are compressed already)."""
    return zlib.compress(ICC_PROFILE.read_bytes())


def facturx_pdf(pdf: bytes, cii_xml: bytes, *, dated: datetime.datetime, title: str, author: str, lang: str) -> bytes:
    """The Factur-X PDF (PDF/A-3, profile EN 16931) of ``pdf`` with ``cii_xml`` attached.

    ``dated`` (the document version's date, timezone-aware) is every date the file carries."""
    combined = facturx.generate_from_binary(
        pdf,
        cii_xml,
        flavor="factur-x",
        level=FACTURX_LEVEL,
        check_xsd=False,  # the CII writer is validated against the XSD and the EN 16931 rules in CI
        pdf_metadata={
            "author": NOT_XML.sub("", author),
            "keywords": "Factur-X, Invoice",
            "title": NOT_XML.sub("", title),
            "subject": NOT_XML.sub("", title),
        },
        lang=lang,
    )
    return _finish_pdfa(combined, dated)


def _pdf_date(when: datetime.datetime) -> pikepdf.String:
    return pikepdf.String(when.astimezone(datetime.UTC).strftime("D:%Y%m%d%H%M%SZ"))


def _finish_pdfa(pdf_bytes: bytes, when: datetime.datetime) -> bytes:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        profile = pdf.make_stream(b"")
        profile.write(_icc_profile(), filter=pikepdf.Name.FlateDecode)
        profile.N = 3
        intent = pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String(SRGB),
            Info=pikepdf.String(SRGB),
            DestOutputProfile=profile,
        )
        pdf.Root.OutputIntents = pikepdf.Array([intent])
        pdf.docinfo.CreationDate = _pdf_date(when)
        pdf.docinfo.ModDate = _pdf_date(when)
        pdf.docinfo.Creator = pikepdf.String(CREATOR)
        # The package's document information says /Trapped, its XMP does not (PDF/A: they agree).
        if "/Trapped" in pdf.docinfo:
            del pdf.docinfo["/Trapped"]
        for spec in pdf.attachments.values():
            spec.obj.EF.F.Params.ModDate = _pdf_date(when)
        stamp = when.astimezone(datetime.UTC).isoformat()
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["xmp:CreateDate"] = stamp
            meta["xmp:ModifyDate"] = stamp
            # PDF/A: the document information and the XMP metadata say the same.
            meta["xmp:CreatorTool"] = CREATOR
            meta["pdf:Producer"] = str(pdf.docinfo.get("/Producer", ""))
            meta["pdf:Keywords"] = str(pdf.docinfo.get("/Keywords", ""))
        out = io.BytesIO()
        pdf.save(out, min_version="1.7", deterministic_id=True, compress_streams=False)
    return out.getvalue()


def attached_xml(pdf: bytes) -> tuple[str, bytes]:
    """(file name, bytes) of the Factur-X XML inside ``pdf``, as the package reads it."""
    return facturx.get_xml_from_pdf(pdf, check_xsd=False)


def facturx_level(xml: bytes) -> str:
    """The Factur-X profile the XML declares ("en16931"), as the package reads it."""
    return facturx.get_level(etree.fromstring(xml))
