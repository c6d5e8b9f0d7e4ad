"""The fast mask choice is the standard's: every mask's penalty equals qrcode's
``lost_point``, on real symbols of every kind of URL and on arbitrary module
patterns (long runs, blocks, finder-like patterns, all dark, all light)."""

from __future__ import annotations

import random

import pytest
import qrcode
from qrcode import util

from labels.qr import ERROR_CORRECTION, _data_modules, _layout, _penalty, qr_matrix, scan_url
from labels.tags import new_tag

BASES = [
    "https://ts.dongnai.gov.vn",
    "http://127.0.0.1:8000",
    # A lower-case path: a byte segment beside the alphanumeric ones.
    "https://tai-san.so-tt.example.vn/TaiSan_cx",
    # Long enough for version 7 and up, whose symbols carry version information.
    "https://" + "tai-san-cong-xa." * 9 + "example.vn",
]


def _qrcode_symbol(url: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
    if url.upper() == url:
        code.add_data(util.QRData(url.encode(), mode=util.MODE_ALPHA_NUM))
    else:
        code.add_data(url, optimize=4)
    code.make(fit=True)
    return code


def _as_bits(matrix, layout) -> int:
    """Rows, then columns, one bit a module: the form ``_penalty`` reads."""
    size, stride, half = layout.size, layout.stride, layout.half
    value = 0
    for r in range(size):
        for c in range(size):
            if matrix[r][c]:
                value |= 1 << (r * stride + c) | 1 << (half + c * stride + r)
    return value


@pytest.mark.parametrize("base", BASES)
def test_every_masks_penalty_is_qrcodes(base):
    rng = random.Random(base)
    for _ in range(25):
        url = scan_url(base, new_tag(rng.randrange))
        code = _qrcode_symbol(url)
        layout, data = _data_modules(url)
        assert layout.size == code.modules_count
        for mask in range(8):
            code.makeImpl(True, mask)  # the symbol qrcode scores for this mask
            ours = _penalty(layout.scoring_base ^ data ^ layout.mask_bits[mask], layout)
            assert ours == util.lost_point(code.modules), (url, mask)
            assert _as_bits(code.modules, layout) == layout.scoring_base ^ data ^ layout.mask_bits[mask]


@pytest.mark.parametrize("base", BASES[2:])
def test_whole_symbol_is_qrcodes_for_byte_segments_and_large_versions(base):
    rng = random.Random(base + "symbol")
    for _ in range(20):
        url = scan_url(base, new_tag(rng.randrange))
        code = _qrcode_symbol(url)
        assert qr_matrix(url) == tuple(tuple(bool(m) for m in row) for row in code.get_matrix()), url
    assert code.version >= 7 or base != BASES[3]


def _patterns(size: int, rng: random.Random):
    yield [[False] * size for _ in range(size)]
    yield [[True] * size for _ in range(size)]
    yield [[(r // 3 + c // 3) % 2 == 0 for c in range(size)] for r in range(size)]  # 3 × 3 checks
    yield [[c % 7 < 5 for c in range(size)] for r in range(size)]  # runs across rows
    finder = [True, False, True, True, True, False, True, False, False, False, False]
    row = (finder + [False, False] + finder[::-1] + [True] * size)[:size]
    yield [row if r % 2 else row[::-1] for r in range(size)]  # finder-like both ways
    yield [[row[r] for _ in range(size)] for r in range(size)]  # and down the columns
    for share in (0.1, 0.3, 0.5, 0.7, 0.9):
        for _ in range(6):
            yield [[rng.random() < share for _ in range(size)] for _ in range(size)]


@pytest.mark.parametrize("version", [1, 2, 3, 7])
def test_penalty_of_arbitrary_patterns_is_qrcodes(version):
    layout = _layout(version, ERROR_CORRECTION)
    rng = random.Random(version)
    for matrix in _patterns(layout.size, rng):
        assert _penalty(_as_bits(matrix, layout), layout) == util.lost_point(matrix)
