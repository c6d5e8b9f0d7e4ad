"""Every label stock's QR codes still read after the damage of a phone camera frame,
with two independent decoders (zxing-cpp and zbar, through pyzbar).

Each label is cut out of its sheet rasterised by pdfium, scaled so the label is
300 px wide (a phone frame held at arm's length), rotated 17°, skewed (shear 0.25), blurred (Gaussian, radius 1.8 px),
flattened to low contrast and saved as JPEG at quality 40. At least 95 % of the
labels must decode to their URL with each decoder.
"""

from __future__ import annotations

import io
import math

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageFilter
from pyzbar import pyzbar

from labels.render import STOCKS, label_sheet_pdf
from tests.unit.test_labels_render import make_labels

LABELS_PER_STOCK = 48
REQUIRED_SHARE = 0.95
RASTER_DPI = 200
FRAME_WIDTH_PX = 300


def phone_frame(label: Image.Image, seed: int) -> Image.Image:
    """The damage a weak phone camera does to one label."""
    frame = label.resize((FRAME_WIDTH_PX, round(label.height * FRAME_WIDTH_PX / label.width)), Image.Resampling.LANCZOS)
    angle = 17 if seed % 2 else -17
    frame = frame.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    shear = 0.25 if seed % 3 else -0.25
    frame = frame.transform(
        (frame.width + round(abs(shear) * frame.height), frame.height),
        Image.Transform.AFFINE,
        (1, shear, -abs(shear) * frame.height if shear > 0 else 0, 0, 1, 0),
        resample=Image.Resampling.BICUBIC,
        fillcolor=255,
    )
    frame = frame.filter(ImageFilter.GaussianBlur(1.8))
    frame = frame.point(lambda value: 90 + value * (170 - 90) // 255)  # low contrast: ink 90, paper 170
    buffer = io.BytesIO()
    frame.save(buffer, format="JPEG", quality=40)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def cut_labels(pdf: bytes, stock_name: str, count: int) -> list[Image.Image]:
    stock = STOCKS[stock_name]
    labels: list[Image.Image] = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=RASTER_DPI / 72, grayscale=True).to_pil().convert("L")
            px = image.width / stock.page_width
            for slot in range(stock.labels_per_sheet):
                if len(labels) == count:
                    break
                row, column = divmod(slot, stock.columns)
                left = (stock.left_margin + column * stock.column_pitch) * px
                top = (stock.top_margin + row * stock.row_pitch) * px
                box = (
                    math.floor(left),
                    math.floor(top),
                    math.ceil(left + stock.label_width * px),
                    math.ceil(top + stock.label_height * px),
                )
                labels.append(image.crop(box))
    finally:
        document.close()
    return labels


@pytest.mark.parametrize("stock", list(STOCKS))
def test_phone_frames_of_every_stock_read_with_two_decoders(stock):
    labels = make_labels(LABELS_PER_STOCK, seed=11)
    images = cut_labels(label_sheet_pdf(labels, stock=stock), stock, LABELS_PER_STOCK)
    zxing_read = zbar_read = 0
    for index, (label, image) in enumerate(zip(labels, images, strict=True)):
        frame = phone_frame(image, index)
        zxing = [r.text for r in zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)]
        zbar = [r.data.decode() for r in pyzbar.decode(frame, symbols=[pyzbar.ZBarSymbol.QRCODE])]
        zxing_read += zxing == [label.url]
        zbar_read += zbar == [label.url]
    print(f"\n{stock}: zxing {zxing_read}/{LABELS_PER_STOCK}, zbar {zbar_read}/{LABELS_PER_STOCK}")
    assert zxing_read >= REQUIRED_SHARE * LABELS_PER_STOCK
    assert zbar_read >= REQUIRED_SHARE * LABELS_PER_STOCK
