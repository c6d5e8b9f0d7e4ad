"""Rendering asset labels: one label as PNG or SVG, sheets of labels as PDF.

PDF sheets use reportlab. The QR code is drawn as vector rectangles, one per
run of dark modules, written once per URL as a PDF path in module units and
cached; each label then only places that fragment with a transformation
matrix, through reportlab's public ``Canvas.addLiteral``. (fpdf2 measured as
fast when printing again but twice as slow on a cold start, as it loads
fontTools, and it has no public way to emit such a fragment; through its
``rect()`` API 1,000 labels took 1.45 s.)

Text uses Be Vietnam Pro, a typeface designed for Vietnamese, shipped as a
Python package (``fontpkg-be-vietnam-pro``) and embedded (subset) in every
PDF, so diacritics render the same on any machine or printer.
"""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

import fontpkg_be_vietnam_pro

from labels.qr import DARK_RUN, dark_runs, qr_matrix, qr_rows, tag_from_scan_url
from labels.tags import display_tag

MM = 72 / 25.4  # PDF points per millimetre
FONT_DIR = fontpkg_be_vietnam_pro.ROOT / "files"
REGULAR_FONT_FILE = FONT_DIR / "BeVietnamPro-Regular.ttf"
BOLD_FONT_FILE = FONT_DIR / "BeVietnamPro-Bold.ttf"
REGULAR_FONT = "BeVietnamPro"
BOLD_FONT = "BeVietnamPro-Bold"
ELLIPSIS = "…"
# White modules around the symbol of a single label (PNG, SVG), printed or
# shown wherever: the QR spec asks for 4, phone decoders are fine with 2.
QR_QUIET_MODULES = 2
# On a sheet the symbol is drawn as large as the label's height allows: the
# label's own white margin (LabelStock.qr_margin) plus one light module inside
# the QR box make the quiet zone (about 2.2 modules to the label's edge on
# 3 × 8, 2.3 on 5 × 13; more towards the text side). ISO/IEC 18004 asks for 4;
# phone decoders read 1-2, and the larger module is what keeps a blurred,
# skewed, low-contrast frame readable: tests/unit/test_labels_phone_frames.py
# decodes damaged frames of every stock with zxing and zbar.
SHEET_QR_QUIET_MODULES = 1
OWNER_LINE_MAX_LINES = 2


@dataclass(frozen=True)
class LabelData:
    tag: str  # canonical, no dash
    url: str  # what the QR code encodes, see labels.qr.scan_url
    commune_name: str  # "Xã An Viễn"
    category_name: str  # "Máy tính để bàn"
    owner_line: str  # "Tài sản UBND xã An Viễn"

    def __post_init__(self) -> None:
        # A label whose printed tag and QR code disagree would send whoever
        # scans it to another asset: refuse it before anything is printed.
        if tag_from_scan_url(self.url) != self.tag:
            raise ValueError(f"label URL {self.url!r} is not for tag {self.tag!r}")


@dataclass(frozen=True)
class LabelStock:
    """A sheet of die-cut labels; every length in millimetres."""

    description: str
    columns: int
    rows: int
    label_width: float
    label_height: float
    left_margin: float  # page edge to the first column's left edge
    top_margin: float  # page edge to the first row's top edge
    column_pitch: float  # left edge to left edge of neighbouring columns
    row_pitch: float  # top edge to top edge of neighbouring rows
    padding: float  # kept clear inside each label: die-cut and feed tolerance
    qr_margin: float  # label edge to the QR box: less than padding, the box's own light module adds to it
    tag_font_size: float  # points, the largest size tried
    text_font_size: float  # points, the largest size tried
    min_font_size: float  # points; below this text is truncated instead
    page_width: float = 210.0
    page_height: float = 297.0

    @property
    def labels_per_sheet(self) -> int:
        return self.columns * self.rows


STOCKS: dict[str, LabelStock] = {
    # 24 labels of 70 × 37 mm, edge to edge across, like Avery 3474.
    "a4-3x8": LabelStock(
        description="A4, 3 × 8 labels of 70 × 37 mm",
        columns=3,
        rows=8,
        label_width=70.0,
        label_height=37.0,
        left_margin=0.0,
        top_margin=0.5,
        column_pitch=70.0,
        row_pitch=37.0,
        padding=2.5,
        qr_margin=1.5,
        tag_font_size=18.0,
        text_font_size=9.0,
        min_font_size=6.0,
    ),
    # 65 labels of 38.1 × 21.2 mm, like Avery L7651: for small devices.
    "a4-5x13": LabelStock(
        description="A4, 5 × 13 labels of 38.1 × 21.2 mm",
        columns=5,
        rows=13,
        label_width=38.1,
        label_height=21.2,
        left_margin=4.7,
        top_margin=10.7,
        column_pitch=40.6,
        row_pitch=21.2,
        padding=1.2,
        qr_margin=0.8,
        tag_font_size=10.0,
        text_font_size=6.0,
        min_font_size=4.5,
    ),
}


def sheet_count(label_count: int, stock: str = "a4-3x8", skip: int = 0) -> int:
    """Pages needed for ``label_count`` labels after ``skip`` used positions."""
    return math.ceil((skip + label_count) / STOCKS[stock].labels_per_sheet)


# --- PDF sheets --------------------------------------------------------------


@lru_cache(maxsize=1)
def _prepare_reportlab() -> None:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # reportlab wraps every compressed stream in ASCII85 text by default, in
    # pure Python: that was ~40 % of the time for 1,000 labels and makes the
    # file 25 % larger. Binary streams are standard PDF since 1.2.
    rl_config.useA85 = 0

    pdfmetrics.registerFont(TTFont(REGULAR_FONT, str(REGULAR_FONT_FILE)))
    pdfmetrics.registerFont(TTFont(BOLD_FONT, str(BOLD_FONT_FILE)))


def _number(value: float) -> str:
    """A compact PDF number: 3 decimals (≈0.001 pt) is far below printer dots."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


@lru_cache(maxsize=8192)
def _qr_path_operators(url: str) -> str:
    """PDF path of the dark modules in module units, origin bottom-left.

    PDF's y axis points up while matrix rows go down, hence the flip. One
    rectangle per run of dark modules in a row (see :func:`labels.qr.dark_runs`),
    read straight from the rows.
    """
    rows = qr_rows(url)
    bottom = len(rows) - 1
    return " ".join(
        f"{run.start()} {bottom - index} {run.end() - run.start()} 1 re"
        for index, row in enumerate(rows)
        for run in DARK_RUN.finditer(row)
    )


def _qr_pdf_fragment(url: str, x: float, y: float, side: float) -> str:
    """Operators drawing the QR code (with its light module around) in a ``side`` square at x, y."""
    modules = len(qr_rows(url)) + 2 * SHEET_QR_QUIET_MODULES
    scale = side / modules
    origin_x = x + SHEET_QR_QUIET_MODULES * scale
    origin_y = y + SHEET_QR_QUIET_MODULES * scale
    return (
        f"q {_number(scale)} 0 0 {_number(scale)} {_number(origin_x)} {_number(origin_y)} cm "
        f"0 g {_qr_path_operators(url)} f Q"
    )


def _shrunk_size(text: str, font: str, max_size: float, width: float) -> float:
    """Largest size up to ``max_size`` (to a tenth of a point) at which text fits."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    measured = stringWidth(text, font, max_size)
    if measured <= width:
        return max_size
    # Width scales linearly with size.
    return math.floor(max_size * width / measured * 10 + 1e-9) / 10


@lru_cache(maxsize=16384)
def fit_text(text: str, font: str, max_size: float, min_size: float, width: float) -> tuple[str, float]:
    """Text and font size (points) that fit ``width`` points on one line.

    Shrinks from ``max_size`` down to ``min_size``; text still too wide at the
    smallest size is cut and ends in an ellipsis, so a label never overflows
    into its neighbour.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = unicodedata.normalize("NFC", text.strip())
    size = _shrunk_size(text, font, max_size, width)
    if size >= min_size:
        return text, size
    size = min_size
    low, high = 0, len(text)  # longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        candidate = text[:middle].rstrip() + ELLIPSIS
        if stringWidth(candidate, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS, size


def _wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a single word wider than ``width`` gets a line of its own."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for word in text.split():
        if lines and stringWidth(f"{lines[-1]} {word}", font, size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


@lru_cache(maxsize=16384)
def fit_text_lines(
    text: str,
    font: str,
    max_size: float,
    min_size: float,
    width: float,
    max_lines: int,
) -> tuple[tuple[str, ...], float]:
    """Like :func:`fit_text`, but wraps onto up to ``max_lines`` lines before cutting.

    One line is preferred while it fits at ``min_size`` or larger; otherwise
    the largest size (in half points) at which the words wrap into
    ``max_lines`` lines; otherwise the last line is cut with an ellipsis.
    This keeps "Tài sản UBND xã An Viễn" whole on a 38 mm label.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = unicodedata.normalize("NFC", text.strip())
    if max_lines <= 1 or _shrunk_size(text, font, max_size, width) >= min_size:
        line, size = fit_text(text, font, max_size, min_size, width)
        return (line,), size
    size = max_size
    while size >= min_size:
        lines = _wrap_words(text, font, size, width)
        if len(lines) <= max_lines and all(stringWidth(line, font, size) <= width for line in lines):
            return tuple(lines), size
        size -= 0.5
    lines = _wrap_words(text, font, min_size, width)
    kept = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return (
        tuple(fit_text(line, font, min_size, min_size, width)[0] for line in kept),
        min_size,
    )


def _draw_label(canvas, label: LabelData, stock: LabelStock, left: float, top: float) -> None:
    """Draw one label whose top-left corner is at (left, top) in points."""
    padding = stock.padding * MM
    qr_margin = stock.qr_margin * MM
    qr_side = stock.label_height * MM - 2 * qr_margin
    bottom = top - stock.label_height * MM
    canvas.addLiteral(_qr_pdf_fragment(label.url, left + qr_margin, bottom + qr_margin, qr_side))

    gap = padding  # between QR box and text
    text_left = left + qr_margin + qr_side + gap
    text_width = left + stock.label_width * MM - padding - text_left
    tag_text, tag_size = fit_text(
        display_tag(label.tag),
        BOLD_FONT,
        stock.tag_font_size,
        stock.min_font_size,
        text_width,
    )
    lines = [(tag_text, tag_size, BOLD_FONT)]
    for text, max_lines in (
        (label.commune_name, 1),
        (label.category_name, 1),
        # The owner line is the legal mark ("property of ..."): wrap it
        # rather than cut off the commune's name.
        (label.owner_line, OWNER_LINE_MAX_LINES),
    ):
        wrapped, size = fit_text_lines(
            text,
            REGULAR_FONT,
            stock.text_font_size,
            stock.min_font_size,
            text_width,
            max_lines,
        )
        lines.extend((line, size, REGULAR_FONT) for line in wrapped)
    # Line boxes of 1.25 × size; the block is centred on the QR box's height.
    block_height = sum(1.25 * size for _, size, _ in lines)
    text_height = stock.label_height * MM - 2 * padding
    baseline = top - padding - max(0.0, (text_height - block_height) / 2)
    for text, size, font in lines:
        baseline -= 1.25 * size
        canvas.setFont(font, size)
        canvas.drawString(text_left, baseline + 0.3 * size, text)


def label_sheet_pdf(labels: list[LabelData], stock: str = "a4-3x8", skip: int = 0) -> bytes:
    """A4 sheets of labels, filled row by row, starting after ``skip`` used positions.

    ``skip`` lets a half-used sheet go through the printer again: the first
    ``skip`` positions of the first sheet stay blank.
    """
    from reportlab.pdfgen.canvas import Canvas

    if stock not in STOCKS:
        raise ValueError(f"unknown label stock {stock!r}; known: {', '.join(STOCKS)}")
    sheet = STOCKS[stock]
    if not 0 <= skip < sheet.labels_per_sheet:
        raise ValueError(f"skip must be between 0 and {sheet.labels_per_sheet - 1}")
    if not labels:
        raise ValueError("no labels to print")
    _prepare_reportlab()

    output = io.BytesIO()
    # invariant=1: no timestamps or random ids, so the same labels give the
    # same bytes (reproducible output, cacheable downloads).
    canvas = Canvas(
        output,
        pagesize=(sheet.page_width * MM, sheet.page_height * MM),
        pageCompression=1,
        invariant=1,
        # Otherwise every page lists Helvetica, a font the labels never use
        # and that the printer would have to substitute.
        initialFontName=REGULAR_FONT,
    )
    canvas.setTitle("Tem tài sản")
    for position, label in enumerate(labels, start=skip):
        slot = position % sheet.labels_per_sheet
        if slot == 0 and position != skip:
            canvas.showPage()
        row, column = divmod(slot, sheet.columns)
        left = (sheet.left_margin + column * sheet.column_pitch) * MM
        top = (sheet.page_height - sheet.top_margin - row * sheet.row_pitch) * MM
        _draw_label(canvas, label, sheet, left, top)
    canvas.showPage()
    canvas.save()
    return output.getvalue()


# --- single labels -----------------------------------------------------------


def label_svg(url: str, tag: str | None = None, width_mm: float = 40.0) -> str:
    """One label as SVG: the QR code as a single path, the tag in large type below.

    Coordinates are in QR modules so the path stays short (integers only);
    ``width_mm`` sets the printed size.
    """
    tag = tag or tag_from_scan_url(url)
    modules = len(qr_rows(url))
    side = modules + 2 * QR_QUIET_MODULES
    text_band = round(side * 0.22)  # room for the tag under the code
    height = side + text_band
    path = "".join(
        f"M{column + QR_QUIET_MODULES} {row + QR_QUIET_MODULES}h{length}v1h-{length}z"
        for row, column, length in dark_runs(url)
    )
    height_mm = width_mm * height / side
    font_size = text_band * 0.72
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_number(width_mm)}mm" '
        f'height="{_number(height_mm)}mm" viewBox="0 0 {side} {height}">'
        f'<rect width="{side}" height="{height}" fill="#fff"/>'
        f'<path d="{path}" fill="#000" shape-rendering="crispEdges"/>'
        f'<text x="{side / 2:g}" y="{side + text_band * 0.62:g}" text-anchor="middle" '
        f"font-family=\"'Be Vietnam Pro', 'DejaVu Sans', Arial, sans-serif\" "
        f'font-weight="700" font-size="{font_size:g}">{escape(display_tag(tag))}</text>'
        f"<title>{escape(url)}</title></svg>"
    )


def label_png(url: str, tag: str | None = None, module_px: int = 10) -> bytes:
    """One label as PNG: QR code with ``module_px`` pixels per module, tag below."""
    from PIL import Image, ImageDraw, ImageFont

    tag = tag or tag_from_scan_url(url)
    matrix = qr_matrix(url)
    modules = len(matrix)
    quiet_px = QR_QUIET_MODULES * module_px
    side_px = modules * module_px + 2 * quiet_px
    text_band_px = round(side_px * 0.22)

    # One pixel per module, then a nearest-neighbour upscale: crisp edges and
    # no per-module drawing calls.
    code = Image.new("L", (modules, modules))
    code.putdata([0 if dark else 255 for row in matrix for dark in row])
    code = code.resize((modules * module_px,) * 2, Image.Resampling.NEAREST)

    image = Image.new("L", (side_px, side_px + text_band_px), 255)
    image.paste(code, (quiet_px, quiet_px))
    font = ImageFont.truetype(str(BOLD_FONT_FILE), round(text_band_px * 0.7))
    ImageDraw.Draw(image).text(
        (side_px / 2, side_px + text_band_px * 0.45),
        display_tag(tag),
        fill=0,
        font=font,
        anchor="mm",
    )
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


__all__ = [
    "STOCKS",
    "LabelData",
    "LabelStock",
    "fit_text",
    "fit_text_lines",
    "label_png",
    "label_sheet_pdf",
    "label_svg",
    "sheet_count",
]
