"""A small, fast table-paper writer on reportlab's canvas: A4 landscape, a heading with the
unit and the form number, a table whose header repeats on each page, totals, and
signature blocks. Be Vietnam Pro is embedded (labels.render registers it)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

from labels.render import BOLD_FONT, MM, REGULAR_FONT, _prepare_reportlab, fit_text, fit_text_lines

PAGE_W, PAGE_H = 297 * MM, 210 * MM
MARGIN = 10 * MM
ROW_H = 5 * MM
SIZE = 7.5


@dataclass(frozen=True)
class Col:
    header: str
    width_mm: float
    align: str = "left"  # left, right, center


@dataclass
class Paper:
    unit_lines: list[str]  # top left: Đơn vị, Mã QHNS...
    form_lines: list[str]  # top right: Mẫu số..., (Ban hành theo ...)
    title: str
    subtitle_lines: list[str]
    columns: list[Col]
    rows: list[list[str]] = field(default_factory=list)
    bold_rows: set[int] = field(default_factory=set)  # indexes of rows in bold (subtotals, totals)
    before_table: list[str] = field(default_factory=list)
    after_table: list[str] = field(default_factory=list)
    signatures: list[tuple[str, str]] = field(default_factory=list)  # (title, note)


@lru_cache(maxsize=65536)
def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def render(paper: Paper) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    _prepare_reportlab()
    out = io.BytesIO()
    c = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    c.setTitle(paper.title)
    page = [1]
    scale = (PAGE_W - 2 * MARGIN) / (sum(col.width_mm for col in paper.columns) * MM)
    widths = [col.width_mm * MM * scale for col in paper.columns]

    def text(x: float, y: float, value: str, *, bold: bool = False, size: float = SIZE, align: str = "left") -> None:
        font = BOLD_FONT if bold else REGULAR_FONT
        c.setFont(font, size)
        if align == "center":
            c.drawCentredString(x, y, value)
        elif align == "right":
            c.drawRightString(x, y, value)
        else:
            c.drawString(x, y, value)

    def footer() -> None:
        text(PAGE_W - MARGIN, MARGIN / 2, f"Trang {page[0]}", size=7, align="right")

    def new_page() -> float:
        footer()
        c.showPage()
        page[0] += 1
        return PAGE_H - MARGIN

    def header_row(y: float) -> float:
        wrapped = [
            fit_text_lines(col.header, BOLD_FONT, SIZE, 6, w - 2, 3)
            for col, w in zip(paper.columns, widths, strict=True)
        ]
        height = max(len(lines) for lines, _ in wrapped) * 3.2 * MM + 2 * MM
        x = MARGIN
        c.setLineWidth(0.4)
        for (lines, size), w in zip(wrapped, widths, strict=True):
            c.rect(x, y - height, w, height)
            for i, line in enumerate(lines):
                text(x + w / 2, y - 3.4 * MM - i * 3.2 * MM, line, bold=True, size=size, align="center")
            x += w
        return y - height

    y = PAGE_H - MARGIN
    for i, line in enumerate(paper.unit_lines):
        text(MARGIN, y - 4 * MM * (i + 1) + 1 * MM, line, bold=i == 0, size=8)
    for i, line in enumerate(paper.form_lines):
        text(PAGE_W - MARGIN, y - 4 * MM * (i + 1) + 1 * MM, line, bold=i == 0, size=8, align="right")
    y -= 4 * MM * max(len(paper.unit_lines), len(paper.form_lines)) + 6 * MM
    text(PAGE_W / 2, y, paper.title, bold=True, size=13, align="center")
    y -= 5 * MM
    for line in paper.subtitle_lines:
        text(PAGE_W / 2, y, line, size=9, align="center")
        y -= 4.5 * MM
    for line in paper.before_table:
        text(MARGIN, y, fit_text(line, REGULAR_FONT, 8.5, 6, PAGE_W - 2 * MARGIN)[0], size=8.5)
        y -= 4.5 * MM

    def grid(top: float, bottom: float) -> None:
        """Vertical rules of a block of rows, drawn once per page instead of a box per cell."""
        x = MARGIN
        path = c.beginPath()
        for w in [0.0, *widths]:
            x += w
            path.moveTo(x, top)
            path.lineTo(x, bottom)
        c.drawPath(path, stroke=1, fill=0)

    y = header_row(y - 1 * MM)
    block_top = y
    for index, row in enumerate(paper.rows):
        if y - ROW_H < MARGIN + 2 * MM:
            grid(block_top, y)
            y = header_row(new_page())
            block_top = y
        bold = index in paper.bold_rows
        font = BOLD_FONT if bold else REGULAR_FONT
        line = c.beginText()
        current: tuple[str, float] | None = None
        x = MARGIN
        for value, col, w in zip(row, paper.columns, widths, strict=True):
            if value:
                shown, size = fit_text(value, font, SIZE, 5.5, w - 2 * MM)
                if current != (font, size):
                    line.setFont(font, size)
                    current = (font, size)
                if col.align == "right":
                    left = x + w - 1 * MM - _width(shown, font, size)
                elif col.align == "center":
                    left = x + (w - _width(shown, font, size)) / 2
                else:
                    left = x + 1 * MM
                line.setTextOrigin(left, y - 3.5 * MM)
                line.textOut(shown)
            x += w
        c.drawText(line)
        y -= ROW_H
        c.line(MARGIN, y, PAGE_W - MARGIN, y)
    grid(block_top, y)
    y -= 5 * MM
    for line in paper.after_table:
        if y < MARGIN + 5 * MM:
            y = new_page()
        text(MARGIN, y, fit_text(line, REGULAR_FONT, 8.5, 6, PAGE_W - 2 * MARGIN)[0], size=8.5)
        y -= 4.5 * MM
    if paper.signatures:
        if y < MARGIN + 30 * MM:
            y = new_page()
        y -= 2 * MM
        slot = (PAGE_W - 2 * MARGIN) / len(paper.signatures)
        for i, (title, note) in enumerate(paper.signatures):
            centre = MARGIN + slot * (i + 0.5)
            text(centre, y, title, bold=True, size=9, align="center")
            text(centre, y - 4 * MM, note, size=7.5, align="center")
    footer()
    c.save()
    return out.getvalue()
