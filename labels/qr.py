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
the mask qrcode's automatic choice gives (a test compares them). qrcode finds
it by building the symbol nine times (≈300 codes/s); here the data modules are
placed once, the eight masks are applied as XORs on a byte string, and the
penalties are counted with regular expressions and integer bit operations
(several times faster), and the result is cached per URL.
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
# A symbol is held as bytes, one row after another, each row ending in a newline:
# b"1" dark, b"0" light. XOR with a string of 0/1 bytes flips modules, and
# regular expressions find runs row by row (the newline stops them).

_LIGHT, _DARK, _END = 0x30, 0x31, 0x0A
_TO_BITS = bytes.maketrans(b"01", b"\x00\x01")
_DARK_RUN = re.compile(rb"\x01+")
_RUN = re.compile(rb"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(rb"(?=10111010000|00001011101)")


@dataclass(frozen=True)
class _Layout:
    """What every symbol of one version and error level shares.

    Each bit pattern is held twice, rows then columns (the transposed symbol
    after the symbol itself), so that one XOR masks both and one pass of each
    rule reads rows and columns alike.
    """

    size: int
    placement: tuple[int, ...]  # per data bit, in placement order: its row offset
    placement_transposed: tuple[int, ...]  # and its offset in the transposed half
    scoring_base: int  # function patterns with format areas light, as qrcode scores masks
    final_base: tuple[int, ...]  # per mask: function patterns with that mask's format info
    mask_bits: tuple[int, ...]  # per mask: 1 on the data modules the mask flips


def _as_int(cells: bytearray) -> int:
    return int.from_bytes(cells, "big")


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

    def encode(modules: list[list[bool | None]]) -> int:
        cells = bytearray()
        for row in modules:
            cells.extend(_DARK if module else _LIGHT for module in row)
            cells.append(_END)
        for c in range(size):
            cells.extend(_DARK if modules[r][c] else _LIGHT for r in range(size))
            cells.append(_END)
        return _as_int(cells)

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
    mask_bits = []
    for mask in range(8):
        flips = bytearray(2 * half)
        mask_function = qr_util.mask_func(mask)
        for r, c in cells:
            if mask_function(r, c):
                flips[r * stride + c] = flips[half + c * stride + r] = 1
        mask_bits.append(_as_int(flips))
    return _Layout(
        size=size,
        placement=tuple(r * stride + c for r, c in cells),
        placement_transposed=tuple(half + c * stride + r for r, c in cells),
        scoring_base=encode(scoring),
        final_base=tuple(encode(function_modules(False, mask)) for mask in range(8)),
        mask_bits=tuple(mask_bits),
    )


def _finder_like(text: bytes) -> int:
    """Dark:light:dark:light:dark 1:1:3:1:1 with four light modules before or after
    (each side counts once), found by ``bytes.find`` rather than a regex lookahead."""
    count = 0
    at = text.find(b"1011101")
    while at >= 0:
        count += text[at + 7 : at + 11] == b"0000"
        count += at >= 4 and text[at - 4 : at] == b"0000"
        at = text.find(b"1011101", at + 1)
    return count


def _penalty(both: bytes, size: int) -> int:
    """Mask penalty of ISO/IEC 18004:2015 §7.8.3.1 (N1 = 3, N2 = 3, N3 = 40, N4 = 10),
    counted as qrcode's ``util.lost_point`` counts it; ``both`` is the symbol's rows
    followed by its columns."""
    runs = _RUN.findall(both)
    score = sum(map(len, runs)) - 2 * len(runs)  # 3 + (length - 5) each
    score += 40 * _finder_like(both)
    stride = size + 1
    rows = [int(both[start : start + size], 2) for start in range(0, size * stride, stride)]
    pairs = (1 << (size - 1)) - 1
    blocks = 0
    for upper, lower in zip(rows, rows[1:], strict=False):
        blocks += (~(upper ^ (upper >> 1)) & ~(lower ^ (lower >> 1)) & ~(upper ^ lower) & pairs).bit_count()
    score += 3 * blocks
    dark_share = both.count(b"1") / 2 / (size * size)
    return score + int(abs(dark_share * 100 - 50) / 5) * 10


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


def _error_codewords(data: list[int], degree: int) -> list[int]:
    logs = _generator_logs(degree)
    remainder = [0] * degree
    for byte in data:
        factor = byte ^ remainder[0]
        remainder = remainder[1:]
        remainder.append(0)
        if factor:
            shift = _GF_LOG[factor]
            for index, log in enumerate(logs):
                remainder[index] ^= _GF_EXP[log + shift]
    return remainder


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


@lru_cache(maxsize=8192)
def qr_matrix(url: str) -> QrMatrix:
    """Dark (True) / light (False) modules of the QR code, without quiet zone.

    The smallest version that holds the URL at error level M, the mask with the
    lowest penalty. Cached by URL: reprinting the same labels skips the work.
    The result is an immutable tuple so the cached value cannot be altered.
    """
    encoded = _alphanumeric_codewords(url, ERROR_CORRECTION) if _ALPHANUMERIC.fullmatch(url) else None
    if encoded is None:
        code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
        for segment in _segments(url):
            code.add_data(segment)
        version = code.best_fit(start=1)
        encoded = version, qr_util.create_data(version, ERROR_CORRECTION, code.data_list)
    version, codewords = encoded
    layout = _layout(version, ERROR_CORRECTION)
    size, stride = layout.size, layout.size + 1
    length = 2 * size * stride
    bits = bytearray(length)
    placement, transposed = layout.placement, layout.placement_transposed
    stream = int.from_bytes(bytes(codewords), "big")
    top = 8 * len(codewords) - 1
    for index in range(min(len(placement), top + 1)):
        if (stream >> (top - index)) & 1:
            bits[placement[index]] = bits[transposed[index]] = 1
    data = _as_int(bits)
    best_mask, best_score = 0, -1
    for mask in range(8):
        score = _penalty((layout.scoring_base ^ data ^ layout.mask_bits[mask]).to_bytes(length, "big"), size)
        if best_score < 0 or score < best_score:
            best_mask, best_score = mask, score
    symbol = (layout.final_base[best_mask] ^ data ^ layout.mask_bits[best_mask]).to_bytes(length, "big")
    return tuple(
        tuple(map(bool, symbol[start : start + size].translate(_TO_BITS))) for start in range(0, size * stride, stride)
    )


@lru_cache(maxsize=8192)
def dark_runs(url: str) -> tuple[tuple[int, int, int], ...]:
    """Horizontal runs of dark modules as ``(row, column, length)``.

    Drawing a run as one rectangle instead of one square per module cuts
    the vector output roughly in half and keeps a printed run seamless.
    """
    return tuple(
        (row_index, run.start(), run.end() - run.start())
        for row_index, row in enumerate(qr_matrix(url))
        for run in _DARK_RUN.finditer(bytes(row))
    )
