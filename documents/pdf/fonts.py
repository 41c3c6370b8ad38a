"""The fonts of the invoice PDF, registered once per process.

DejaVu Sans covers Latin, Greek and Cyrillic. ReportLab has no glyph fallback of its own,
so characters DejaVu lacks (CJK above all) are wrapped in a ``<font>`` tag that switches
to Droid Sans Fallback, which is loaded only the first time such a character appears.
Both fonts ship in ``static/fonts`` with their licences.
"""

import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "fonts"

REGULAR = "BilloraSans"
BOLD = "BilloraSans-Bold"
FALLBACK = "BilloraFallback"

_lock = threading.Lock()
_base_registered = False
_fallback_registered = False
_base_cmap: frozenset[int] = frozenset()
_base_chars: frozenset[str] = frozenset()
_fallback_cmap: frozenset[int] = frozenset()


def register_fonts() -> None:
    """Register the base family (idempotent, cheap after the first call)."""
    global _base_registered, _base_cmap, _base_chars
    if _base_registered:
        return
    with _lock:
        if _base_registered:
            return
        regular = TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf"))
        bold = TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdfmetrics.registerFont(regular)
        pdfmetrics.registerFont(bold)
        # <b> inside a Paragraph picks the bold face; there is no italic face, so it maps
        # to the upright one rather than failing.
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _base_cmap = frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)
        _base_chars = frozenset(map(chr, _base_cmap)) | frozenset(" \t\n\r")
        _base_registered = True


def _register_fallback() -> None:
    global _fallback_registered, _fallback_cmap
    if _fallback_registered:
        return
    with _lock:
        if _fallback_registered:
            return
        fallback = TTFont(FALLBACK, str(FONT_DIR / "DroidSansFallback.ttf"))
        pdfmetrics.registerFont(fallback)
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FALLBACK, bold, italic, FALLBACK)
        _fallback_cmap = frozenset(fallback.face.charToGlyph)
        _fallback_registered = True


def _needs_fallback(char: str) -> bool:
    code = ord(char)
    return code not in _base_cmap and not char.isspace()


def has_foreign_glyphs(text: str) -> bool:
    """True when ``text`` has a character the base font cannot draw (set test: this runs
    for every line of a 500-item invoice)."""
    register_fonts()
    return not _base_chars.issuperset(text)


def markup(text: str) -> str:
    """Escape ``text`` for a Paragraph, switching to the fallback font where DejaVu has no
    glyph. Characters neither font has are printed as the font's empty box, never an error.
    Newlines become line breaks."""
    text = text or ""
    if not has_foreign_glyphs(text):
        return escape(text).replace("\n", "<br/>")
    _register_fallback()
    out: list[str] = []
    run: list[str] = []
    run_is_fallback = False

    def flush():
        if not run:
            return
        chunk = escape("".join(run)).replace("\n", "<br/>")
        out.append(f'<font face="{FALLBACK}">{chunk}</font>' if run_is_fallback else chunk)
        run.clear()

    for char in text:
        fallback = _needs_fallback(char) and ord(char) in _fallback_cmap
        if fallback != run_is_fallback and not char.isspace():
            flush()
            run_is_fallback = fallback
        run.append(char)
    flush()
    return "".join(out)
