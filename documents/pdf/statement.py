"""The statement of account PDF: the invoice PDF's letterhead, parties, fonts and footer,
then one table per currency (opening balance, each dated line with the balance after it,
closing balance).

Deterministic like the invoice's: ``invariant=1``, nothing reads the clock (the statement is
dated by its period's end), so the same ``StatementPrintData`` always gives the same bytes.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, PageTemplate, Paragraph, Spacer, Table

from billora.formatting import formats_for

from .data import PrintParty, business_party, customer_party, logo_bytes
from .fonts import BOLD, REGULAR, markup
from .render import (
    BODY_SIZE,
    CELL_PAD,
    FRAME_WIDTH,
    INK,
    RULE,
    STRIPE,
    InvoicePdfRenderer,
    _table_style,
    new_document,
    page_layout,
)


@dataclass(frozen=True)
class StatementPrintLine:
    kind: str  # invoice | credit_note | payment | refund
    date: datetime.date
    number: str
    invoice_number: str
    due_date: datetime.date | None
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class StatementPrintSection:
    currency: str
    opening_balance: Decimal
    lines: tuple[StatementPrintLine, ...]
    closing_balance: Decimal


@dataclass(frozen=True)
class StatementPrintData:
    seller: PrintParty
    buyer: PrintParty
    start: datetime.date
    end: datetime.date
    sections: tuple[StatementPrintSection, ...]
    legal_mentions: str = ""
    logo: bytes | None = None
    language: str = "en"


def statement_print_data(statement, *, language: str) -> StatementPrintData:
    """What the PDF prints for a ``billing.statements.Statement``: the seller and customer as
    they are now (a statement is of today's records, not a snapshot)."""
    business = statement.business
    seller = business_party(business, language) if business is not None else PrintParty(name="")
    sections = tuple(
        StatementPrintSection(
            currency=section.currency,
            opening_balance=section.opening_balance,
            lines=tuple(
                StatementPrintLine(
                    kind=line.kind,
                    date=line.date,
                    number=line.number or "",
                    invoice_number=line.invoice_number or "",
                    due_date=line.due_date,
                    amount=line.amount,
                    balance=line.balance,
                )
                for line in section.lines
            ),
            closing_balance=section.closing_balance,
        )
        for section in statement.currencies
    )
    return StatementPrintData(
        seller=seller,
        buyer=customer_party(statement.customer, language),
        start=statement.start,
        end=statement.end,
        sections=sections,
        legal_mentions=business.legal_mentions if business is not None else "",
        logo=logo_bytes(business.logo.name) if business is not None and business.logo else None,
        language=language,
    )


def line_label(line) -> str:
    """What a line is, in the active language: "Invoice INV-2026-0001", "Payment (TRX-1)"."""
    if line.kind == "invoice":
        return _("Invoice %(number)s") % {"number": line.number}
    if line.kind == "credit_note":
        return _("Credit note %(number)s") % {"number": line.number}
    label = _("Refund") if line.kind == "refund" else _("Payment")
    return f"{label} ({line.number})" if line.number else label


def line_detail(line, formats) -> str:
    """The second column: an invoice's due date, or the invoice a line belongs to."""
    if line.kind == "invoice":
        return _("Due %(date)s") % {"date": formats.date(line.due_date)} if line.due_date else ""
    return _("on invoice %(number)s") % {"number": line.invoice_number} if line.invoice_number else ""


class StatementPdfRenderer(InvoicePdfRenderer):
    """Renders one ``StatementPrintData`` to PDF bytes, with the invoice renderer's styles."""

    def render_statement(self, data: StatementPrintData) -> bytes:
        with override(data.language):
            return self._render_statement(data)

    def _render_statement(self, data: StatementPrintData) -> bytes:
        formats = formats_for(data.language)
        period = self.period(data, formats)
        buffer = io.BytesIO()
        title = _("Statement of account")
        doc = new_document(buffer, title=f"{title} {period}", author=data.seller.legal_name or data.seller.name)
        footer_label = f"{data.seller.name} · {title} · {period}"
        canvas_class, frame = page_layout("StatementCanvas", footer_label, data.legal_mentions)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        doc.build(self._statement_story(data, formats, period), canvasmaker=canvas_class)
        return buffer.getvalue()

    @staticmethod
    def period(data: StatementPrintData, formats) -> str:
        return f"{formats.date(data.start)} – {formats.date(data.end)}"

    def _statement_story(self, data: StatementPrintData, formats, period: str) -> list:
        story = [self._statement_header(data, formats, period), Spacer(1, 8 * mm), self._customer_block(data, formats)]
        if not data.sections:
            story += [Spacer(1, 6 * mm), self._p(_("Nothing was invoiced, credited or paid, and nothing is owed."))]
        for section in data.sections:
            story += [Spacer(1, 6 * mm), *self._section(section, formats)]
        return story

    def _statement_header(self, data: StatementPrintData, formats, period: str):
        left_width, right_width = FRAME_WIDTH * 0.5, FRAME_WIDTH * 0.5
        left = []
        logo = self._logo(data)
        if logo is not None:
            left += [logo, Spacer(1, 3 * mm)]
        left.append(self._party_lines(data.seller, name_style="seller", width=left_width - 4 * mm))
        facts = Table(
            [[_("Period"), period], [_("Statement date"), formats.date(data.end)]],
            hAlign="RIGHT",
        )
        facts.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (0, -1), BOLD, BODY_SIZE),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        title = ParagraphStyle("statement_title", parent=self.styles["title"], fontSize=16, leading=20)
        right = [Paragraph(markup(_("Statement of account").upper()), title), facts]
        table = Table([[left, right]], colWidths=[left_width, right_width])
        table.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        return table

    def _customer_block(self, data: StatementPrintData, formats):
        left = [
            Paragraph(markup(_("Customer").upper()), self.styles["label"]),
            Spacer(1, 1 * mm),
            self._party_lines(data.buyer, name_style="heading", width=FRAME_WIDTH * 0.6 - 4 * mm),
        ]
        owed = [[_("Balance on %(date)s") % {"date": formats.date(data.end)}, ""]] + [
            ["", formats.money(section.closing_balance, section.currency)] for section in data.sections
        ]
        right = Table(owed, hAlign="RIGHT")
        right.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), BOLD, BODY_SIZE),
                    ("FONT", (0, 1), (-1, -1), BOLD, 13),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                    ("SPAN", (0, 0), (1, 0)),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        table = Table([[left, right]], colWidths=[FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4])
        table.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        return table

    def _description(self, line, formats) -> list:
        """What the line is, and below it, smaller, its due date or the invoice it is on."""
        cell = [self._p(line_label(line), "cell")]
        detail = line_detail(line, formats)
        if detail:
            cell.append(self._p(detail, "small"))
        return cell

    def _section(self, section: StatementPrintSection, formats) -> list:
        money = lambda amount: formats.money_number(amount, section.currency)  # noqa: E731
        rows = [
            [_("Date"), _("Description"), _("Amount"), _("Balance")],
            ["", _("Opening balance"), "", money(section.opening_balance)],
        ]
        for line in section.lines:
            rows.append(
                [formats.date(line.date), self._description(line, formats), money(line.amount), money(line.balance)]
            )
        rows.append(["", _("Closing balance"), "", money(section.closing_balance)])
        widths = [28 * mm, None, 32 * mm, 32 * mm]
        widths[1] = FRAME_WIDTH - sum(width for width in widths if width)
        table = LongTable(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            _table_style(
                [
                    ("FONT", (0, 0), (-1, 0), BOLD, BODY_SIZE),
                    ("FONT", (0, 1), (-1, -1), REGULAR, BODY_SIZE),
                    ("FONT", (0, 1), (-1, 1), BOLD, BODY_SIZE),
                    ("FONT", (0, -1), (-1, -1), BOLD, BODY_SIZE),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                    ("ROWBACKGROUNDS", (0, 2), (-1, -2), [colors.white, STRIPE]),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
                    ("LINEBELOW", (0, 1), (-1, 1), 0.5, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
                ]
            )
        )
        heading = Paragraph(
            markup(_("Account in %(currency)s") % {"currency": section.currency}), self.styles["heading"]
        )
        heading.keepWithNext = True
        return [heading, table]


_renderer: StatementPdfRenderer | None = None


def render_statement_pdf(data: StatementPrintData) -> bytes:
    """The PDF bytes of ``data``. Fonts and styles are set up once per process."""
    global _renderer
    if _renderer is None:
        _renderer = StatementPdfRenderer()
    return _renderer.render_statement(data)
