"""QR payloads and module matrices for asset labels.

The payload is a short URL written in capitals, ``HTTPS://TS.EXAMPLE.VN/S/<TAG>``:
QR's alphanumeric mode holds capitals, digits and ``:/.-`` in 5.5 bits a
character instead of 8, so the whole URL fits a smaller symbol (version 2,
25 × 25 modules, instead of version 3, 29 × 29, for a typical host) and each
module prints larger on the same label: a worn, blurred or skewed label then
still scans. Scheme and host are case-insensitive (RFC 3986 §3.1 and §3.2.2),
phones open the lower-case address; the app serves ``/S/TAG`` as well as
``/s/TAG``. A path inside ``BASE_URL`` (``https://host/taisan``) is kept as
written, since a path may be case-sensitive; qrcode then puts it in a byte
segment of its own.

Mask: each code gets the mask with the lowest penalty of ISO/IEC 18004:2015
§7.8.3 (runs, 2 × 2 blocks, finder-like patterns, dark/light balance), exactly
the mask qrcode's automatic choice gives (tests compare the penalty of every
mask and the whole symbol). qrcode finds it by building the symbol nine times
and scanning it module by module (≈1 ms a code). Here a symbol is one integer,
one bit a module, rows and columns side by side: the data modules are placed
with one table look-up per half codeword, each mask is one XOR, and each
penalty rule is a few shifts, ANDs and popcounts over the whole symbol (about
6 µs a mask, 0.1 ms a code with its Reed-Solomon codewords). Fast enough to
choose the best mask for every code of a 1,000-label print on the fly, so
nothing is stored per tag (a stored mask would also go stale when BASE_URL
changes the URL). Results are cached per URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
from qrcode import base as qr_base
from qrcode import util as qr_util

from labels.tags import parse_tag

SCAN_PATH = "/S/"
# Medium error correction (≈15 % of codewords recoverable): survives scuffs
# and a bit of tape glare without growing the symbol as much as Q or H would.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")

QrMatrix = tuple[tuple[bool, ...], ...]


def scan_url(base_url: str, tag: str) -> str:
    """The URL a label's QR code points to, e.g. ``HTTPS://TS.EXAMPLE.VN/S/ABC1234``.

    ``tag`` may be typed in any accepted form (``abc-1234``); the URL always
    carries the canonical upper-case tag without dash. Scheme and host are
    written in capitals; a path in ``base_url`` is kept as it is.
    """
    parts = urlsplit(base_url.rstrip("/"))
    origin = f"{parts.scheme}://{parts.netloc}".upper() if parts.scheme and parts.netloc else ""
    rest = base_url.rstrip("/")[len(origin) :] if origin else base_url.rstrip("/")
    return origin + rest + SCAN_PATH + parse_tag(tag)


def tag_from_scan_url(url: str) -> str:
    """The canonical tag at the end of a scan URL (``/S/`` or ``/s/``); raises TagError if invalid."""
    at = url.lower().rfind(SCAN_PATH.lower())
    return parse_tag(url[at + len(SCAN_PATH) :] if at >= 0 else url)


# --- the matrix ----------------------------------------------------------------
# A symbol is held as one integer, one bit a module: row r, column c at bit
# r * stride + c with stride = size + 1, so every row ends in a spare bit that
# is neither dark nor light and stops every run and pattern at the row's end.
# The transposed symbol (columns as rows) follows in the upper half, so one XOR
# masks both and each rule of the penalty is a handful of shifts, ANDs and
# popcounts over rows and columns at once, whatever the symbol's size.

DARK_RUN = re.compile("1+")  # a run of dark modules in a row of qr_rows


@dataclass(frozen=True)
class _Layout:
    """What every symbol of one version and error level shares (all bit sets as integers)."""

    size: int
    stride: int
    half: int  # bits of the row half; the column half starts here
    modules: int  # 1 on every module, rows and columns (not on the spare bits)
    block_corners: int  # 1 on each module that is the top-left corner of a 2 × 2 block
    nibbles: tuple[tuple[int, ...], ...]  # per codeword nibble (high, low, …): its 16 placed values
    scoring_base: int  # function patterns with format areas light, as qrcode scores masks
    final_base: tuple[int, ...]  # per mask: function patterns with that mask's format info
    mask_bits: tuple[int, ...]  # per mask: 1 on the data modules the mask flips


@lru_cache(maxsize=32)
def _layout(version: int, error_correction: int) -> _Layout:
    size = version * 4 + 17
    stride = size + 1
    half = size * stride
    code = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    code.modules_count = size

    def function_modules(test: bool, mask: int) -> list[list[bool | None]]:
        code.modules = [[None] * size for _ in range(size)]
        code.setup_position_probe_pattern(0, 0)
        code.setup_position_probe_pattern(size - 7, 0)
        code.setup_position_probe_pattern(0, size - 7)
        code.setup_position_adjust_pattern()
        code.setup_timing_pattern()
        code.setup_type_info(test, mask)
        if version >= 7:
            code.setup_type_number(test)
        return code.modules

    def bit(r: int, c: int) -> int:
        return 1 << (r * stride + c) | 1 << (half + c * stride + r)

    def encode(modules: list[list[bool | None]]) -> int:
        return sum(bit(r, c) for r in range(size) for c in range(size) if modules[r][c])

    scoring = function_modules(True, 0)
    # The placement walk of ISO/IEC 18004 §7.7.3, as qrcode's map_data does it:
    # two-module columns from the right, up then down, skipping the timing column.
    cells: list[tuple[int, int]] = []
    row, step = size - 1, -1
    for column in range(size - 1, 0, -2):
        if column <= 6:
            column -= 1
        while True:
            for c in (column, column - 1):
                if scoring[row][c] is None:
                    cells.append((row, c))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break
    # Each codeword's bits go to 8 cells in placement order, most significant
    # first; the value of a whole symbol's data is then one OR per nibble.
    placed = [bit(r, c) for r, c in cells]
    nibbles = []
    for start in range(0, len(placed) - len(placed) % 4, 4):
        weights = placed[start : start + 4]  # bit 3 of the nibble first
        nibbles.append(
            tuple(
                sum(weight for shift, weight in zip((3, 2, 1, 0), weights, strict=True) if value >> shift & 1)
                for value in range(16)
            )
        )
    return _Layout(
        size=size,
        stride=stride,
        half=half,
        modules=sum(bit(r, c) for r in range(size) for c in range(size)),
        block_corners=sum(1 << (r * stride + c) for r in range(size - 1) for c in range(size - 1)),
        nibbles=tuple(nibbles),
        scoring_base=encode(scoring),
        final_base=tuple(encode(function_modules(False, mask)) for mask in range(8)),
        mask_bits=tuple(sum(bit(r, c) for r, c in cells if qr_util.mask_func(mask)(r, c)) for mask in range(8)),
    )


def _penalty(dark: int, layout: _Layout) -> int:
    """Mask penalty of ISO/IEC 18004:2015 §7.8.3.1 (N1 = 3, N2 = 3, N3 = 40, N4 = 10),
    counted exactly as qrcode's ``util.lost_point`` counts it. ``dark`` holds the
    symbol's rows and its columns (see :class:`_Layout`); bit i + k of a run or
    pattern is read as bit i of the symbol shifted right by k."""
    light = layout.modules ^ dark
    score = 0
    for colour in (dark, light):
        # N1: a run of n ≥ 5 same-coloured modules scores n - 2, i.e. one per
        # window of five inside it (n - 4) plus two for the run itself.
        windows = colour & colour >> 1 & colour >> 2 & colour >> 3 & colour >> 4
        score += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    # N2: 3 per 2 × 2 block of one colour, blocks overlapping (rows half only).
    stride = layout.stride
    across = dark ^ dark >> 1
    mixed = across | across >> stride | dark ^ dark >> stride
    corners = layout.block_corners
    score += 3 * (corners.bit_count() - (corners & mixed).bit_count())
    # N3: 40 per 1:1:3:1:1 finder-like pattern with four light modules after it
    # (10111010000) or before it (00001011101), within one row or column.
    core = dark & light >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & light >> 5 & dark >> 6
    four_light = light & light >> 1 & light >> 2 & light >> 3
    score += 40 * ((core & four_light >> 7).bit_count() + (four_light & core >> 4).bit_count())
    # N4: 10 per whole 5 % the dark share departs from half, as qrcode rounds it.
    size = layout.size
    percent = float((dark & ((1 << layout.half) - 1)).bit_count()) / (size**2)
    return score + int(abs(percent * 100 - 50) / 5) * 10


# --- codewords ---------------------------------------------------------------------
# An all-alphanumeric URL (the usual case) is encoded here: qrcode's bit buffer
# and polynomial division are written for generality and took most of the time.
# Anything else goes through qrcode's own create_data. Same codewords either way
# (the test compares whole symbols with qrcode's).

_ALPHANUMERIC_VALUE = {character: value for value, character in enumerate(qr_util.ALPHA_NUM.decode())}
_GF_EXP = [1] * 512
_GF_LOG = [0] * 256
for _power in range(1, 255):
    _GF_EXP[_power] = _GF_EXP[_power - 1] << 1 ^ (0x11D if _GF_EXP[_power - 1] & 0x80 else 0)
for _power in range(255, 512):
    _GF_EXP[_power] = _GF_EXP[_power - 255]
for _power in range(255):
    _GF_LOG[_GF_EXP[_power]] = _power


@lru_cache(maxsize=64)
def _generator_logs(degree: int) -> tuple[int, ...]:
    """Logs of the Reed-Solomon generator's coefficients after the leading 1."""
    generator = [1]
    for power in range(degree):
        factor = _GF_EXP[power]
        product = generator + [0]
        for index, coefficient in enumerate(generator):
            if coefficient:
                product[index + 1] ^= _GF_EXP[_GF_LOG[coefficient] + _GF_LOG[factor]]
        generator = product
    return tuple(_GF_LOG[c] for c in generator[1:])


@lru_cache(maxsize=64)
def _generator_multiples(degree: int) -> tuple[int, ...]:
    """Per byte value f: the generator's coefficients after the leading 1, times f,
    as one big-endian integer of ``degree`` bytes (0 for f = 0)."""
    logs = _generator_logs(degree)
    return (0,) + tuple(
        int.from_bytes(bytes(_GF_EXP[log + _GF_LOG[factor]] for log in logs), "big") for factor in range(1, 256)
    )


def _error_codewords(data: list[int], degree: int) -> list[int]:
    """Reed-Solomon error codewords: the remainder of data × x^degree by the
    generator, the remainder held as one integer so each data byte costs a
    shift, a table look-up and an XOR."""
    multiples = _generator_multiples(degree)
    top = 8 * (degree - 1)
    keep = (1 << top) - 1
    remainder = 0
    for byte in data:
        remainder = (remainder & keep) << 8 ^ multiples[byte ^ remainder >> top]
    return list(remainder.to_bytes(degree, "big"))


def _alphanumeric_codewords(text: str, error_correction: int) -> tuple[int, list[int]] | None:
    """(version, codewords) for an alphanumeric text, or None when it does not fit version 9."""
    for version in range(1, 10):
        blocks = qr_base.rs_blocks(version, error_correction)
        capacity = 8 * sum(block.data_count for block in blocks)
        count_bits = qr_util.length_in_bits(qr_util.MODE_ALPHA_NUM, version)
        length = 4 + count_bits + 11 * (len(text) // 2) + 6 * (len(text) % 2)
        if length <= capacity:
            break
    else:
        return None
    stream, bits = qr_util.MODE_ALPHA_NUM, 4
    stream, bits = stream << count_bits | len(text), bits + count_bits
    values = [_ALPHANUMERIC_VALUE[character] for character in text]
    for index in range(0, len(values) - 1, 2):
        stream, bits = stream << 11 | values[index] * 45 + values[index + 1], bits + 11
    if len(values) % 2:
        stream, bits = stream << 6 | values[-1], bits + 6
    terminator = min(4, capacity - bits)
    stream, bits = stream << terminator, bits + terminator
    stream, bits = stream << (-bits % 8), bits + (-bits % 8)
    data = list(stream.to_bytes(bits // 8, "big"))
    pads = (qr_util.PAD0, qr_util.PAD1)
    data.extend(pads[index % 2] for index in range(capacity // 8 - len(data)))
    data_blocks: list[list[int]] = []
    error_blocks: list[list[int]] = []
    offset = 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        error_blocks.append(_error_codewords(chunk, block.total_count - block.data_count))
    codewords: list[int] = []
    for group in (data_blocks, error_blocks):
        for index in range(max(map(len, group))):
            codewords.extend(block[index] for block in group if index < len(block))
    return version, codewords


def _segments(url: str) -> list[qr_util.QRData]:
    if _ALPHANUMERIC.fullmatch(url):
        return [qr_util.QRData(url.encode(), mode=qr_util.MODE_ALPHA_NUM, check_data=False)]
    # A lower-case path in BASE_URL: the capital host and "/S/TAG" stay alphanumeric.
    return list(qr_util.optimal_data_chunks(url, minimum=4))


def _data_modules(url: str) -> tuple[_Layout, int]:
    """The symbol's layout and its data modules before masking (see :class:`_Layout`)."""
    encoded = _alphanumeric_codewords(url, ERROR_CORRECTION) if _ALPHANUMERIC.fullmatch(url) else None
    if encoded is None:
        code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
        for segment in _segments(url):
            code.add_data(segment)
        version = code.best_fit(start=1)
        encoded = version, qr_util.create_data(version, ERROR_CORRECTION, code.data_list)
    version, codewords = encoded
    layout = _layout(version, ERROR_CORRECTION)
    nibbles = layout.nibbles
    data = 0
    for index, codeword in enumerate(codewords[: len(nibbles) // 2]):
        data |= nibbles[2 * index][codeword >> 4] | nibbles[2 * index + 1][codeword & 15]
    return layout, data


@lru_cache(maxsize=8192)
def qr_rows(url: str) -> tuple[str, ...]:
    """The QR code's rows without quiet zone, ``"1"`` a dark module, ``"0"`` a light one.

    The smallest version that holds the URL at error level M, the mask with the
    lowest penalty (the first of equals, as qrcode). Cached by URL: reprinting
    the same labels skips the work.
    """
    layout, data = _data_modules(url)
    best_mask, best_score = 0, -1
    for mask in range(8):
        score = _penalty(layout.scoring_base ^ data ^ layout.mask_bits[mask], layout)
        if best_score < 0 or score < best_score:
            best_mask, best_score = mask, score
    symbol = (layout.final_base[best_mask] ^ data ^ layout.mask_bits[best_mask]) & ((1 << layout.half) - 1)
    # Bit 0 (row 0, column 0) is the last digit of the binary text: reverse it.
    text = format(symbol, f"0{layout.half}b")[::-1]
    return tuple(text[start : start + layout.size] for start in range(0, layout.half, layout.stride))


@lru_cache(maxsize=8192)
def qr_matrix(url: str) -> QrMatrix:
    """Dark (True) / light (False) modules of the QR code (:func:`qr_rows`), without quiet zone.

    The result is an immutable tuple so the cached value cannot be altered.
    """
    return tuple(tuple(module == "1" for module in row) for row in qr_rows(url))


@lru_cache(maxsize=8192)
def dark_runs(url: str) -> tuple[tuple[int, int, int], ...]:
    """Horizontal runs of dark modules as ``(row, column, length)``.

    Drawing a run as one rectangle instead of one square per module cuts
    the vector output roughly in half and keeps a printed run seamless.
    """
    return tuple(
        (row_index, run.start(), run.end() - run.start())
        for row_index, row in enumerate(qr_rows(url))
        for run in DARK_RUN.finditer(row)
    )
