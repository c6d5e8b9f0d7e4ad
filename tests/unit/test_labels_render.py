"""Label rendering: sheets open, every QR decodes to its URL, Vietnamese survives.

QR codes are checked with a real decoder (zxing-cpp) on pages rasterised by
pdfium, i.e. roughly what a phone sees, not by re-reading our own matrix.
"""

from __future__ import annotations

import io
import random
import re
import unicodedata
import xml.etree.ElementTree as ElementTree

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from labels.qr import ERROR_CORRECTION, qr_matrix, scan_url, tag_from_scan_url
from labels.render import (
    BOLD_FONT,
    OWNER_LINE_MAX_LINES,
    QR_QUIET_MODULES,
    REGULAR_FONT,
    STOCKS,
    LabelData,
    fit_text,
    fit_text_lines,
    label_png,
    label_sheet_pdf,
    label_svg,
    sheet_count,
)
from labels.tags import TagError, display_tag, new_tag

BASE_URL = "https://ts.dongnai.gov.vn"
COMMUNE = "Xã An Viễn"
CATEGORY = "Máy tính để bàn"
OWNER = "Tài sản UBND xã An Viễn"
RASTER_DPI = 300


def make_labels(count: int, seed: int = 7) -> list[LabelData]:
    rng = random.Random(seed)
    tags: list[str] = []
    while len(tags) < count:
        tag = new_tag(rng.randrange)
        if tag not in tags:
            tags.append(tag)
    return [LabelData(tag, scan_url(BASE_URL, tag), COMMUNE, CATEGORY, OWNER) for tag in tags]


def decoded_qr_codes_by_slot(pdf: bytes, stock_name: str) -> list[dict[int, str]]:
    """Per page: label position on the sheet -> text of the QR code found there."""
    stock = STOCKS[stock_name]
    pages = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=RASTER_DPI / 72, grayscale=True).to_pil()
            px_per_mm = image.width / stock.page_width
            found: dict[int, str] = {}
            for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                # Upright and not mirrored (a mirrored code reads as rotated):
                # zxing forgives a mirror image, many phone scanners do not.
                assert barcode.orientation == 0
                assert barcode.ec_level == "M"
                corners = barcode.position
                centre_x = (corners.top_left.x + corners.bottom_right.x) / 2 / px_per_mm
                centre_y = (corners.top_left.y + corners.bottom_right.y) / 2 / px_per_mm
                column = int((centre_x - stock.left_margin) // stock.column_pitch)
                row = int((centre_y - stock.top_margin) // stock.row_pitch)
                slot = row * stock.columns + column
                assert slot not in found, f"two QR codes in label position {slot}"
                found[slot] = barcode.text
            pages.append(found)
    finally:
        document.close()
    return pages


# --- scan URL ---------------------------------------------------------------


def test_scan_url_is_short_canonical_in_capitals_and_parses_back():
    tag = new_tag(random.Random(1).randrange)
    typed = display_tag(tag).lower()  # as a person might type it
    url = scan_url(BASE_URL + "/", typed)
    assert url == f"{BASE_URL.upper()}/S/{tag}"
    assert len(url) <= 40
    assert tag_from_scan_url(url) == tag
    # Labels printed before the capital URLs still parse.
    assert tag_from_scan_url(f"{BASE_URL}/s/{tag}") == tag


def test_only_scheme_and_host_are_written_in_capitals():
    tag = new_tag(random.Random(9).randrange)
    # A path may be case-sensitive (a proxy's prefix): kept as written.
    assert scan_url("https://Tinh.Example.vn:8443/TaiSan/", tag) == f"HTTPS://TINH.EXAMPLE.VN:8443/TaiSan/S/{tag}"
    assert tag_from_scan_url(scan_url("https://tinh.example.vn/s", tag)) == tag


def test_scan_url_refuses_a_mistyped_tag():
    tag = new_tag(random.Random(2).randrange)
    wrong = tag[:-1] + ("0" if tag[-1] != "0" else "1")
    with pytest.raises(TagError):
        scan_url(BASE_URL, wrong)


def test_qr_for_a_scan_url_is_alphanumeric_small_and_cached():
    url = scan_url(BASE_URL, new_tag(random.Random(3).randrange))
    matrix = qr_matrix(url)
    # All capitals: alphanumeric mode, version 2 (25 modules) where bytes need version 3.
    assert len(matrix) == 25
    assert qr_matrix(url) is matrix


def _qrcode_automatic(url: str) -> tuple[tuple[bool, ...], ...]:
    """The symbol qrcode itself makes with its automatic (best) mask."""
    import qrcode
    from qrcode import util

    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
    if re.fullmatch(r"[0-9A-Z $%*+\-./:]+", url):
        code.add_data(util.QRData(url.encode(), mode=util.MODE_ALPHA_NUM))
    else:
        code.add_data(url, optimize=4)
    code.make(fit=True)
    return tuple(tuple(bool(module) for module in row) for row in code.get_matrix())


@pytest.mark.parametrize(
    "base",
    ["https://ts.dongnai.gov.vn", "http://127.0.0.1:8000", "https://tai-san.so-tt.example.vn/TaiSan_cx"],
)
def test_each_code_gets_the_mask_qrcode_would_choose_same_symbol(base):
    """The fast mask choice is the standard's penalty rule exactly as qrcode's
    automatic mask applies it: whole symbols are equal, for many tags."""
    rng = random.Random(base)
    masks = set()
    for _ in range(120):
        url = scan_url(base, new_tag(rng.randrange))
        matrix = qr_matrix(url)
        assert matrix == _qrcode_automatic(url), url
        masks.add(_format_mask(matrix))
    assert len(masks) >= 4  # the mask really varies with the code


def _format_mask(matrix) -> int:
    """Mask number read back from the format information (ISO/IEC 18004 §7.9)."""
    bits = [matrix[8][column] for column in (0, 1, 2, 3, 4, 5, 7, 8)] + [
        matrix[row][8] for row in (7, 5, 4, 3, 2, 1, 0)
    ]
    value = int("".join("1" if bit else "0" for bit in bits), 2) ^ 0b101010000010010
    return (value >> 10) & 0b111


# --- PDF sheets -------------------------------------------------------------


@pytest.mark.parametrize(
    ("stock", "count", "skip", "pages"),
    [
        ("a4-3x8", 30, 5, 2),
        ("a4-3x8", 24, 0, 1),
        ("a4-3x8", 24, 1, 2),
        ("a4-3x8", 1, 23, 1),
        ("a4-5x13", 65, 0, 1),
        ("a4-5x13", 30, 40, 2),
        ("a4-5x13", 131, 0, 3),
    ],
)
def test_sheet_opens_with_the_right_number_of_pages(stock, count, skip, pages):
    pdf = label_sheet_pdf(make_labels(count), stock=stock, skip=skip)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == pages == sheet_count(count, stock, skip)
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)


@pytest.mark.parametrize(("stock", "count", "skip"), [("a4-3x8", 30, 5), ("a4-5x13", 70, 3)])
def test_every_qr_code_decodes_to_its_url_in_the_right_position(stock, count, skip):
    labels = make_labels(count)
    pages = decoded_qr_codes_by_slot(label_sheet_pdf(labels, stock=stock, skip=skip), stock)

    per_sheet = STOCKS[stock].labels_per_sheet
    expected_pages: list[dict[int, str]] = [{} for _ in pages]
    for position, label in enumerate(labels, start=skip):
        expected_pages[position // per_sheet][position % per_sheet] = label.url
    assert pages == expected_pages
    decoded = [url for page in pages for url in page.values()]
    assert sorted(decoded) == sorted(label.url for label in labels)


def test_skipped_positions_stay_blank():
    pdf = label_sheet_pdf(make_labels(3), stock="a4-3x8", skip=5)
    (page,) = decoded_qr_codes_by_slot(pdf, "a4-3x8")
    assert sorted(page) == [5, 6, 7]


def test_vietnamese_text_is_embedded_and_extracts_correctly():
    labels = make_labels(3)
    text = PdfReader(io.BytesIO(label_sheet_pdf(labels))).pages[0].extract_text()
    assert COMMUNE in text
    assert CATEGORY in text
    assert OWNER in text
    for label in labels:
        assert display_tag(label.tag) in text


def test_decomposed_input_is_printed_as_composed_characters():
    # Text pasted from some sources arrives decomposed (e + combining marks);
    # without shaping those marks would print detached from their letters.
    decomposed = unicodedata.normalize("NFD", COMMUNE)
    assert decomposed != COMMUNE
    tag = new_tag(random.Random(4).randrange)
    label = LabelData(tag, scan_url(BASE_URL, tag), decomposed, CATEGORY, OWNER)
    text = PdfReader(io.BytesIO(label_sheet_pdf([label]))).pages[0].extract_text()
    assert COMMUNE in text


def test_font_is_embedded_not_referenced():
    page = PdfReader(io.BytesIO(label_sheet_pdf(make_labels(2)))).pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    embedded = [font for font in fonts if "/FontDescriptor" in font and "/FontFile2" in font["/FontDescriptor"]]
    assert embedded and len(embedded) == len(fonts)
    assert any("BeVietnamPro" in str(font["/BaseFont"]) for font in embedded)


def dense_label_text_lines(owner_line: str) -> list[str]:
    tag = new_tag(random.Random(5).randrange)
    label = LabelData(tag, scan_url(BASE_URL, tag), COMMUNE, CATEGORY, owner_line)
    pdf = label_sheet_pdf([label], stock="a4-5x13")
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()


def test_owner_line_wraps_whole_on_the_dense_stock():
    lines = dense_label_text_lines(OWNER)
    assert lines[-2:] == ["Tài sản UBND", "xã An Viễn"]


def test_too_long_owner_line_is_cut_after_two_lines_not_spilled():
    long_owner = "Tài sản của Ủy ban nhân dân xã An Viễn, huyện Trảng Bom, tỉnh Đồng Nai"
    lines = dense_label_text_lines(long_owner)
    first, second = lines[-2:]
    assert first.startswith("Tài sản") and second.endswith("…")
    assert long_owner.startswith(f"{first} {second[:-1]}".rstrip())


def test_text_block_fits_the_label_height_on_every_stock():
    # Worst case: every line at its largest size, owner line on two lines.
    for stock in STOCKS.values():
        text_lines = 2 + OWNER_LINE_MAX_LINES
        block = 1.25 * (stock.tag_font_size + text_lines * stock.text_font_size)
        available = (stock.label_height - 2 * stock.padding) * 72 / 25.4
        assert block <= available, stock.description


def test_fit_text_lines_prefers_one_line_then_wraps_then_cuts():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    label_sheet_pdf(make_labels(1))  # registers the fonts
    one_line_width = stringWidth(OWNER, REGULAR_FONT, 6)
    assert fit_text_lines(OWNER, REGULAR_FONT, 9, 6, one_line_width, 2) == (
        (OWNER,),
        pytest.approx(6, abs=0.1),
    )
    lines, size = fit_text_lines(OWNER, REGULAR_FONT, 9, 6, one_line_width * 0.7, 2)
    assert len(lines) == 2 and " ".join(lines) == OWNER and size >= 6
    lines, size = fit_text_lines(OWNER, REGULAR_FONT, 9, 6, 30, 2)
    assert len(lines) == 2 and lines[-1].endswith("…") and size == 6
    assert all(stringWidth(line, REGULAR_FONT, size) <= 30 for line in lines)


def test_fit_text_keeps_short_text_shrinks_then_truncates():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    label_sheet_pdf(make_labels(1))  # registers the fonts
    assert fit_text(COMMUNE, REGULAR_FONT, 9, 6, 200) == (COMMUNE, 9)

    natural = stringWidth(OWNER, REGULAR_FONT, 9)
    text, size = fit_text(OWNER, REGULAR_FONT, 9, 6, natural * 0.8)
    assert text == OWNER and 6 <= size < 9
    assert stringWidth(text, REGULAR_FONT, size) <= natural * 0.8

    text, size = fit_text(OWNER, BOLD_FONT, 9, 6, 40)
    assert size == 6 and text.endswith("…") and len(text) < len(OWNER)
    assert stringWidth(text, BOLD_FONT, size) <= 40


def test_a_label_whose_qr_would_point_to_another_tag_is_refused():
    first, second = (label.tag for label in make_labels(2))
    with pytest.raises(ValueError):
        LabelData(first, scan_url(BASE_URL, second), COMMUNE, CATEGORY, OWNER)
    with pytest.raises(ValueError):
        LabelData(display_tag(first), scan_url(BASE_URL, first), COMMUNE, CATEGORY, OWNER)


def test_bad_arguments_are_refused():
    labels = make_labels(2)
    with pytest.raises(ValueError):
        label_sheet_pdf(labels, stock="letter-2x5")
    with pytest.raises(ValueError):
        label_sheet_pdf(labels, stock="a4-3x8", skip=24)
    with pytest.raises(ValueError):
        label_sheet_pdf([], stock="a4-3x8")


# --- single labels ----------------------------------------------------------


def test_png_label_decodes_to_the_url():
    url = scan_url(BASE_URL, new_tag(random.Random(6).randrange))
    image = Image.open(io.BytesIO(label_png(url)))
    assert image.format == "PNG"
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [(result.text, result.orientation) for result in results] == [(url, 0)]


def test_svg_label_path_is_exactly_the_qr_matrix_and_decodes():
    tag = new_tag(random.Random(8).randrange)
    url = scan_url(BASE_URL, tag)
    svg = label_svg(url)

    root = ElementTree.fromstring(svg)
    namespace = "{http://www.w3.org/2000/svg}"
    (path,) = root.iter(f"{namespace}path")
    (text,) = root.iter(f"{namespace}text")
    assert text.text == display_tag(tag)

    matrix = qr_matrix(url)
    size = len(matrix)
    drawn = [[False] * size for _ in range(size)]
    commands = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path.get("d"))
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in commands) == path.get("d")
    for x, y, width, back in commands:
        assert width == back
        row = int(y) - QR_QUIET_MODULES
        for column in range(int(x) - QR_QUIET_MODULES, int(x) - QR_QUIET_MODULES + int(width)):
            assert not drawn[row][column], "overlapping runs"
            drawn[row][column] = True
    assert tuple(map(tuple, drawn)) == matrix

    # And the matrix itself is a QR code a decoder reads as the URL.
    quiet = 4
    image = Image.new("L", (size + 2 * quiet,) * 2, 255)
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                image.putpixel((column_index + quiet, row_index + quiet), 0)
    image = image.resize((image.width * 8,) * 2, Image.Resampling.NEAREST)
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [(result.text, result.orientation) for result in results] == [(url, 0)]
