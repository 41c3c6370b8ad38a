"""The invoice PDF: ReportLab platypus, deterministic bytes for the same print data.

Determinism: ``invariant=1`` fixes the creation date and the document id, nothing reads the
clock, and fonts are subset in the order characters first appear, so the same
``InvoicePrintData`` always gives the same bytes (and the stored SHA-256 means something).
"""

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from billora.formatting import formats_for

from .data import InvoicePrintData
from .fonts import BOLD, REGULAR, has_foreign_glyphs, markup, register_fonts
from .payment_qr import payment_qr_png

PAGE_SIZE = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
BODY_SIZE = 9
SMALL_SIZE = 8
CELL_PAD = 5
CELL_LEADING = 11
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
STRIPE = colors.HexColor("#f5f7fa")
WATERMARK_COLORS = {"draft": colors.HexColor("#52606d"), "void": colors.HexColor("#c81e1e")}
PAID_COLOR = colors.HexColor("#2f8f46")


class _Formatter:
    """``billora.formatting`` for one currency and language, memoized (long invoices repeat
    the same prices and rates)."""

    def __init__(self, currency: str, language: str):
        self.currency = currency
        self.formats = formats_for(language)
        self._formatted: dict = {}

    def _memo(self, kind, value, make):
        key = (kind, value)
        text = self._formatted.get(key)
        if text is None:
            text = self._formatted[key] = make(value)
        return text

    def money(self, amount: Decimal) -> str:
        return self._memo("m", amount, lambda v: self.formats.money(v, self.currency))

    def price(self, amount: Decimal) -> str:
        """Unit prices keep their extra places (up to 4) when they have them."""
        return self._memo("p", amount, lambda v: self.formats.price(v, self.currency))

    def quantity(self, value: Decimal) -> str:
        return self._memo("q", value, self.formats.number)

    def rate(self, value: Decimal) -> str:
        return self._memo("r", value, self.formats.percent)

    def date(self, value) -> str:
        return self.formats.date(value)


QR_SIZE = 30 * mm
LEGAL_SIZE = 7
LEGAL_LEADING = 8.5
MAX_LEGAL_LINES = 6


def legal_lines(text: str) -> list[str]:
    """The seller's legal mentions wrapped to the page width, at most ``MAX_LEGAL_LINES``."""
    lines: list[str] = []
    for part in text.strip().splitlines():
        lines += simpleSplit(part, REGULAR, LEGAL_SIZE, FRAME_WIDTH) or [""]
    return lines[:MAX_LEGAL_LINES]


def grouped_iban(iban: str) -> str:
    """``DE89370400440532013000`` as printed: ``DE89 3704 0044 0532 0130 00``."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _table_style(commands) -> TableStyle:
    """A table style whose default cell font is the embedded one: ReportLab's default is
    Helvetica, which is never embedded (PDF/A needs every font embedded)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *commands])


class _NumberedCanvas(Canvas):
    """Holds every page until save() so each footer can say "Page N of M"; the footer also
    carries the seller's legal mentions, above its rule."""

    footer_label = ""
    legal_lines: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._page_states = []

    def showPage(self):  # noqa: N802 - ReportLab's name
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._page_states)
        for state in self._page_states:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total):
        self.saveState()
        self.setFont(REGULAR, SMALL_SIZE)
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        y = MARGIN - 8 * mm
        self.line(MARGIN, y + 4 * mm, PAGE_SIZE[0] - MARGIN, y + 4 * mm)
        if self.footer_label:
            self.drawString(MARGIN, y, self.footer_label)
        self.setFont(REGULAR, LEGAL_SIZE)
        for index, line in enumerate(reversed(self.legal_lines)):
            self.drawString(MARGIN, y + 6 * mm + index * LEGAL_LEADING, line)
        page = _("Page %(page)s of %(pages)s") % {"page": self._pageNumber, "pages": total}
        self.drawRightString(PAGE_SIZE[0] - MARGIN, y, page)
        self.restoreState()


def _tax_column_widths(rows: list) -> list:
    """The VAT breakdown's amount columns as wide as their texts; the first (a rate, or a
    category name that wraps) takes the rest of the summary's left half, less a gutter."""
    cell_padding = 12  # a table cell's default 6 pt on each side

    def width(column: int) -> float:
        header, *cells = (row[column] for row in rows)
        return cell_padding + max(
            stringWidth(str(header), BOLD, SMALL_SIZE), *(stringWidth(str(cell), REGULAR, SMALL_SIZE) for cell in cells)
        )

    amounts = [width(1), width(2)]
    return [max(FRAME_WIDTH * 0.5 - 6 * mm - sum(amounts), 20 * mm), *amounts]


def new_document(buffer, *, title: str, author: str) -> BaseDocTemplate:
    """An A4 document of Billora's: deterministic bytes (invariant), compressed pages, and an
    embedded initial font, since ReportLab's preamble names one (never a base-14 font: PDF/A)."""
    return BaseDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        subject=title,
        creator="Billora",
        producer="Billora",
        invariant=1,
        pageCompression=1,
        initialFontName=REGULAR,
    )


def page_layout(name: str, footer_label: str, legal_mentions) -> tuple[type, Frame]:
    """The canvas class (page numbers, the footer label and the legal mentions on every page)
    and the body frame, which ends above the legal mentions."""
    legal = tuple(legal_lines(legal_mentions))
    canvas_class = type(name, (_NumberedCanvas,), {"footer_label": footer_label, "legal_lines": legal})
    legal_height = len(legal) * LEGAL_LEADING
    frame = Frame(
        MARGIN,
        MARGIN + legal_height,
        FRAME_WIDTH,
        PAGE_SIZE[1] - 2 * MARGIN - legal_height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    return canvas_class, frame


class InvoicePdfRenderer:
    """Renders one ``InvoicePrintData`` to PDF bytes. Stateless; safe to reuse."""

    def __init__(self):
        register_fonts()
        self.styles = {
            "body": ParagraphStyle("body", fontName=REGULAR, fontSize=BODY_SIZE, leading=11.5, textColor=INK),
            "small": ParagraphStyle("small", fontName=REGULAR, fontSize=SMALL_SIZE, leading=10, textColor=MUTED),
            "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=BODY_SIZE, leading=CELL_LEADING, textColor=INK),
            "seller": ParagraphStyle("seller", fontName=BOLD, fontSize=14, leading=17, textColor=INK),
            "title": ParagraphStyle("title", fontName=BOLD, fontSize=20, leading=24, textColor=INK, alignment=TA_RIGHT),
            "meta": ParagraphStyle(
                "meta", fontName=REGULAR, fontSize=BODY_SIZE, leading=12, textColor=INK, alignment=TA_RIGHT
            ),
            # A VAT category's name in the breakdown, wrapped within its column.
            "tax_category": ParagraphStyle(
                "tax_category", fontName=REGULAR, fontSize=SMALL_SIZE, leading=10, textColor=INK, alignment=TA_RIGHT
            ),
            "label": ParagraphStyle("label", fontName=BOLD, fontSize=SMALL_SIZE, leading=10, textColor=MUTED),
            "heading": ParagraphStyle(
                "heading", fontName=BOLD, fontSize=10, leading=13, textColor=INK, spaceBefore=4, spaceAfter=2
            ),
        }

    # -- public ---------------------------------------------------------------------------
    def render(self, data: InvoicePrintData) -> bytes:
        """The PDF in the document's language (labels, dates, numbers); customer data as written."""
        # The footer's page numbers are drawn at save(), inside build(): still in the language.
        with override(data.language):
            return self._render(data)

    def _render(self, data: InvoicePrintData) -> bytes:
        fmt = _Formatter(data.currency, data.language)
        buffer = io.BytesIO()
        doc = new_document(buffer, title=str(data.title), author=data.seller.legal_name or data.seller.name)
        story = self._story(data, fmt)
        footer_label = f"{data.seller.name} · {data.number or _('Draft')}"
        canvas_class, frame = page_layout("InvoiceCanvas", footer_label, data.legal_mentions)
        # Stamps go on after the content (onPageEnd), translucent, so table backgrounds
        # cannot hide them.
        template = PageTemplate(id="page", frames=[frame], onPageEnd=lambda canvas, _doc: self._stamp(canvas, data))
        doc.addPageTemplates([template])
        doc.build(story, canvasmaker=canvas_class)
        return buffer.getvalue()

    def _story(self, data: InvoicePrintData, fmt: "_Formatter") -> list:
        """The flowables of the invoice, top to bottom."""
        story = [
            self._header(data, fmt),
            Spacer(1, 8 * mm),
            self._parties(data, fmt),
            Spacer(1, 6 * mm),
            self._items(data, fmt),
            Spacer(1, 4 * mm),
            KeepTogether(self._summary(data, fmt)),
        ]
        if data.payments:
            story += [Spacer(1, 4 * mm), KeepTogether(self._payments(data, fmt))]
        for heading, text in ((_("Reason"), data.reason), (_("Notes"), data.notes), (_("Terms"), data.terms)):
            if text and text.strip():
                story += [
                    Spacer(1, 3 * mm),
                    Paragraph(heading, self.styles["heading"]),
                    Paragraph(markup(text.strip()), self.styles["body"]),
                ]
        return story + self._payment_block(data)

    def _payment_block(self, data: InvoicePrintData) -> list:
        """Payment instructions: the bank account, the seller's text, and the EPC QR code."""
        text = self._payment_text(data)
        qr_png = payment_qr_png(data)
        if not text and qr_png is None:
            return []
        block = [Paragraph(markup(_("Payment instructions")), self.styles["heading"])]
        if text:
            block.append(Paragraph(markup(text), self.styles["body"]))
        if qr_png is not None:
            code = Image(io.BytesIO(qr_png), width=QR_SIZE, height=QR_SIZE)
            code.hAlign = "LEFT"
            block += [
                Spacer(1, 2 * mm),
                code,
                Paragraph(markup(_("Scan to pay with a banking app.")), self.styles["small"]),
            ]
        return [Spacer(1, 3 * mm), KeepTogether(block)]

    @staticmethod
    def _payment_text(data: InvoicePrintData) -> str:
        """The seller's bank account (SEPA credit transfer, BG-16), then its instructions."""
        account = []
        if data.iban:
            account.append(f"IBAN: {grouped_iban(data.iban)}")
        if data.bic:
            account.append(f"BIC: {data.bic}")
        bank = " · ".join(account)
        return "\n".join(text for text in (bank, data.payment_instructions.strip()) if text)

    # -- blocks -----------------------------------------------------------------------------
    def _p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(markup(text), self.styles[style])

    def _text_block(self, rows: list[tuple[str, str]], width: float):
        """Lines of text (each with a style name) as plain strings in a one-column table:
        several times cheaper than Paragraphs. Paragraphs only where needed (a glyph the
        base font lacks, or a word too long to wrap)."""
        data, commands = [], []
        for text, style_name in rows:
            style = self.styles[style_name]
            lines = []
            for part in text.splitlines() or [""]:
                lines += simpleSplit(part, style.fontName, style.fontSize, width) or [""]
            fits = all(stringWidth(line, style.fontName, style.fontSize) <= width for line in lines)
            row = len(data)
            if fits and not has_foreign_glyphs(text):
                data.append(["\n".join(lines)])
                commands += [
                    ("FONT", (0, row), (0, row), style.fontName, style.fontSize, style.leading),
                    ("TEXTCOLOR", (0, row), (0, row), style.textColor),
                ]
            else:
                data.append([Paragraph(markup(text), style)])
            commands.append(("BOTTOMPADDING", (0, row), (0, row), style.leading - style.fontSize * 1.2 + 1))
        table = Table(data, colWidths=[width], hAlign="LEFT")
        table.setStyle(
            _table_style(
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    *commands,
                ]
            )
        )
        return table

    def _party_lines(self, party, *, name_style: str, width: float):
        rows = [(party.name, name_style)]
        if party.legal_name and party.legal_name != party.name:
            rows.append((party.legal_name, "body"))
        if party.address:
            rows.append((party.address.strip(), "body"))
        for text, value in (
            (_("VAT: %(value)s"), party.vat_id),
            (_("Registration: %(value)s"), party.legal_registration_id),
            (_("Tax ID: %(value)s"), party.tax_id),
        ):
            if value:
                rows.append((text % {"value": value}, "body"))
        contact = " · ".join(v for v in (party.email, party.phone) if v)
        if contact:
            rows.append((contact, "small"))
        return self._text_block(rows, width)

    def _logo(self, data: InvoicePrintData):
        if not data.logo:
            return None
        try:
            reader = ImageReader(io.BytesIO(data.logo))
            width, height = reader.getSize()
        except Exception:
            return None
        if not width or not height:
            return None
        scale = min(50 * mm / width, 20 * mm / height)
        image = Image(io.BytesIO(data.logo), width=width * scale, height=height * scale)
        image.hAlign = "LEFT"
        return image

    def _header(self, data: InvoicePrintData, fmt: _Formatter):
        left_width, right_width = FRAME_WIDTH * 0.58, FRAME_WIDTH * 0.42
        left = []
        logo = self._logo(data)
        if logo is not None:
            left += [logo, Spacer(1, 3 * mm)]
        left.append(self._party_lines(data.seller, name_style="seller", width=left_width - 4 * mm))

        facts = [
            (_("No."), data.number or _("Draft (no number yet)")),
            (_("Status"), str(data.status_label)),
            (_("Issue date"), fmt.date(data.issue_date)),
            *self._reference_facts(data, fmt),
            (_("Currency"), data.currency),
        ]
        meta = self.styles["meta"]
        rows = [
            [label, value if not has_foreign_glyphs(value) else Paragraph(markup(value), meta)]
            for label, value in facts
        ]
        facts_table = Table(rows, hAlign="RIGHT")
        facts_table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (0, -1), BOLD, BODY_SIZE),
                    ("FONT", (1, 0), (1, -1), REGULAR, BODY_SIZE),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ]
            )
        )
        heading = _("Credit note") if data.is_credit_note else _("Invoice")
        right = [Paragraph(markup(heading.upper()), self.styles["title"]), facts_table]
        table = Table([[left, right]], colWidths=[left_width, right_width])
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    @staticmethod
    def _reference_facts(data: InvoicePrintData, fmt: _Formatter) -> list[tuple[str, str]]:
        """An invoice's due date; a credit note's invoice number and date (BT-25, BT-26)."""
        if not data.is_credit_note:
            return [(_("Due date"), fmt.date(data.due_date))]
        return [(_("Invoice"), data.invoice_number), (_("Invoice date"), fmt.date(data.invoice_issue_date))]

    def _parties(self, data: InvoicePrintData, fmt: _Formatter):
        left = [
            Paragraph(markup(_("Bill to").upper()), self.styles["label"]),
            Spacer(1, 1 * mm),
            self._party_lines(data.buyer, name_style="heading", width=FRAME_WIDTH * 0.6 - 4 * mm),
        ]
        # A void invoice is owed by nobody: show what it was, not a balance.
        due_label, due_amount = (
            (_("Total (void)"), data.total) if data.status == "void" else (_("Balance due"), data.balance_due)
        )
        due_line = _("Due %(date)s") % {"date": fmt.date(data.due_date)}
        if data.is_credit_note:
            due_label, due_amount = _("Total credited"), data.total
            due_line = _("Credits invoice %(number)s of %(date)s") % {
                "number": data.invoice_number,
                "date": fmt.date(data.invoice_issue_date),
            }
        right = [
            Paragraph(
                markup(due_label.upper()), ParagraphStyle("due_l", parent=self.styles["label"], alignment=TA_RIGHT)
            ),
            Paragraph(
                markup(fmt.money(due_amount)),
                ParagraphStyle("due", fontName=BOLD, fontSize=16, leading=20, textColor=INK, alignment=TA_RIGHT),
            ),
            Paragraph(markup(due_line), ParagraphStyle("dued", parent=self.styles["meta"])),
        ]
        table = Table([[left, right]], colWidths=[FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4])
        table.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def _items(self, data: InvoicePrintData, fmt: _Formatter):
        header = ["#", _("Description"), _("Qty"), _("Unit price"), _("Tax"), _("Amount")]
        numeric = [
            (
                str(index),
                fmt.quantity(line.quantity),
                fmt.price(line.unit_price),
                fmt.rate(line.tax_rate) + ("" if line.vat_category == "S" else f" {line.vat_category}"),
                fmt.money(line.line_net),
            )
            for index, line in enumerate(data.lines, start=1)
        ]
        # Numeric columns are as wide as their widest entry; the description takes the rest.
        widths = [stringWidth(h, BOLD, BODY_SIZE) for h in header]
        for values in numeric:
            for col, text in zip((0, 2, 3, 4, 5), values, strict=True):
                widths[col] = max(widths[col], stringWidth(text, REGULAR, BODY_SIZE))
        widths = [w + 2 * CELL_PAD for w in widths]
        widths[1] = max(FRAME_WIDTH - sum(w for i, w in enumerate(widths) if i != 1), 50 * mm)

        room = widths[1] - 2 * CELL_PAD
        rows = [header]
        for line, (index, qty, price, rate, amount) in zip(data.lines, numeric, strict=True):
            rows.append([index, self._description(line.description, room), qty, price, rate, amount])
        table = LongTable(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), BOLD, BODY_SIZE),
                    ("FONT", (0, 1), (-1, -1), REGULAR, BODY_SIZE, CELL_LEADING),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("TEXTCOLOR", (0, 1), (0, -1), MUTED),
                    ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
                    ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
                ]
            )
        )
        return table

    def _description(self, text: str, room: float):
        """A plain (pre-wrapped) string where the base font can draw it: a Paragraph costs
        several times more and descriptions are most of a long invoice. A Paragraph where
        it is needed: font fallback, or a word too long for the column (it splits words)."""
        if not has_foreign_glyphs(text):
            lines = []
            for part in text.splitlines() or [""]:
                lines += simpleSplit(part, REGULAR, BODY_SIZE, room) or [""]
            if all(stringWidth(ln, REGULAR, BODY_SIZE) <= room for ln in lines):
                return "\n".join(lines)
        return Paragraph(markup(text), self.styles["cell"])

    def _tax_breakdown(self, data: InvoicePrintData, fmt: _Formatter) -> tuple:
        """The VAT breakdown table, and the exemption reason of each exempt row to print below it."""
        tax_rows = [[_("Tax rate"), _("Taxable amount"), _("Tax")]]
        reasons = []
        for row in data.tax_rows:
            # A standard-rate row shows its rate; any other its category, and the reason below the table.
            if row.category == "S":
                label = fmt.rate(row.rate)
            else:  # some names are long ("Steuerschuldnerschaft des Leistungsempfängers"): they wrap
                label = Paragraph(markup(f"{row.category_name} ({row.category})"), self.styles["tax_category"])
            tax_rows.append([label, fmt.money(row.taxable_amount), fmt.money(row.tax_amount)])
            if row.exemption_reason:
                text = f"{row.category_name}: {row.exemption_reason}"
                reasons.append(Paragraph(markup(text), self.styles["small"]))
        tax_table = Table(tax_rows, colWidths=_tax_column_widths(tax_rows), hAlign="LEFT")
        tax_table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), BOLD, SMALL_SIZE),
                    ("FONT", (0, 1), (-1, -1), REGULAR, SMALL_SIZE),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return tax_table, reasons

    def _summary(self, data: InvoicePrintData, fmt: _Formatter) -> list:
        """Per-rate tax breakdown on the left, totals on the right."""
        tax_table, reasons = self._tax_breakdown(data, fmt)

        totals = [[_("Subtotal"), fmt.money(data.subtotal)]]
        if data.discount_total:
            totals.append([data.discount_label, fmt.money(-data.discount_total)])
        totals.append([_("Tax"), fmt.money(data.tax_total)])
        totals.append([_("Total"), fmt.money(data.total)])
        total_row = len(totals) - 1
        if data.amount_paid:
            totals.append([_("Payments received"), fmt.money(-data.amount_paid)])
        if data.is_credit_note:
            totals.append([_("Total credited"), fmt.money(data.total)])
        else:
            totals.append([_("Balance due"), fmt.money(data.balance_due)])
        totals_table = Table(totals, hAlign="RIGHT")
        totals_table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, -1), REGULAR, BODY_SIZE),
                    ("FONT", (0, total_row), (-1, total_row), BOLD, BODY_SIZE),
                    ("FONT", (0, -1), (-1, -1), BOLD, 11),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEABOVE", (0, total_row), (-1, total_row), 0.5, RULE),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, -1), (-1, -1), 4),
                ]
            )
        )
        left = [Paragraph(markup(_("Tax breakdown")), self.styles["label"]), Spacer(1, 1 * mm), tax_table, *reasons]
        outer = Table([[left, totals_table]], colWidths=[FRAME_WIDTH * 0.5, FRAME_WIDTH * 0.5])
        outer.setStyle(
            _table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return [outer]

    def _payments(self, data: InvoicePrintData, fmt: _Formatter) -> list:
        rows = [[_("Date"), _("Method"), _("Reference"), _("Amount")]]
        for payment in data.payments:
            rows.append(
                [
                    fmt.date(payment.date),
                    payment.method,
                    Paragraph(markup(payment.reference or "-"), self.styles["cell"]),
                    fmt.money(payment.amount),
                ]
            )
        table = Table(rows, colWidths=[30 * mm, 32 * mm, FRAME_WIDTH - 96 * mm, 34 * mm], hAlign="LEFT")
        table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), BOLD, SMALL_SIZE),
                    ("FONT", (0, 1), (-1, -1), REGULAR, BODY_SIZE),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return [Paragraph(markup(_("Payments received")), self.styles["heading"]), table]

    # -- page decoration ------------------------------------------------------------------
    def _stamp(self, canvas, data: InvoicePrintData):
        width, height = PAGE_SIZE
        if data.status in WATERMARK_COLORS:
            text = (_("Draft") if data.status == "draft" else _("Void")).upper()
            color = WATERMARK_COLORS[data.status]
            canvas.saveState()
            canvas.setFillColor(color)
            canvas.setFillAlpha(0.16)
            canvas.setFont(BOLD, 110)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, -40, text)
            canvas.restoreState()
        elif data.status == "paid" and canvas.getPageNumber() == 1:
            # A stamp in the header gap, tilted like a rubber stamp.
            canvas.saveState()
            canvas.setStrokeColor(PAID_COLOR)
            canvas.setFillColor(PAID_COLOR)
            canvas.setStrokeAlpha(0.8)
            canvas.setFillAlpha(0.8)
            canvas.setLineWidth(2.5)
            canvas.translate(width * 0.47, height - MARGIN - 30 * mm)
            canvas.rotate(12)
            canvas.setFont(BOLD, 28)
            text = _("Paid").upper()
            text_width = stringWidth(text, BOLD, 28)
            canvas.roundRect(-text_width / 2 - 8, -10, text_width + 16, 38, 6, stroke=1, fill=0)
            canvas.drawCentredString(0, 0, text)
            canvas.restoreState()


_renderer: InvoicePdfRenderer | None = None


def render_invoice_pdf(data: InvoicePrintData) -> bytes:
    """The PDF bytes of ``data``. Fonts and styles are set up once per process."""
    global _renderer
    if _renderer is None:
        _renderer = InvoicePdfRenderer()
    return _renderer.render(data)
