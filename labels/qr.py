"""QR payloads and module matrices for asset labels.

The payload is a short URL, ``<base>/s/<TAG>``: a phone camera opens it
directly, and the shorter it is the larger each module can be on a small
label, which is what makes a worn or slightly blurred label still scan.

Speed: qrcode's automatic mask choice builds the symbol nine times (eight
trial masks plus the real one) and scores each; measured ≈300 codes/s against
≈1,800 codes/s with a fixed mask. All eight masks are valid QR, and decoders
read any of them; the automatic choice only lowers a penalty score for
patterns that *might* confuse a weak scanner. The tests decode every label of
a sheet with a real decoder, so a fixed mask is checked, not assumed.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.constants

from labels.tags import TAG_LENGTH, parse_tag

SCAN_PATH = "/s/"
# Any of 0..7 is a valid QR mask; 0 (checkerboard) is fixed so output is stable.
FIXED_MASK_PATTERN = 0
# Medium error correction (≈15 % of codewords recoverable): survives scuffs
# and a bit of tape glare without growing the symbol as much as Q or H would.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
# The URL ends in "/TAG": TAG_LENGTH + 1 upper-case alphanumeric characters.
# qrcode's `optimize` is the shortest run it gives a segment of its own: set
# to the tail's length, the tail is encoded in alphanumeric mode (5.5 instead
# of 8 bits a character) while the lower-case host stays in byte mode, and a
# few digits inside a tag get no numeric segment whose header costs more
# than it saves.
_ALPHANUMERIC_TAIL = TAG_LENGTH + 1

QrMatrix = tuple[tuple[bool, ...], ...]


def scan_url(base_url: str, tag: str) -> str:
    """The URL a label's QR code points to, e.g. ``https://ts.example.vn/s/ABC1234``.

    ``tag`` may be typed in any accepted form (``abc-1234``); the URL always
    carries the canonical upper-case tag without dash.
    """
    return base_url.rstrip("/") + SCAN_PATH + parse_tag(tag)


def tag_from_scan_url(url: str) -> str:
    """The canonical tag at the end of a scan URL; raises TagError if invalid."""
    _, separator, tail = url.rpartition(SCAN_PATH)
    return parse_tag(tail if separator else url)


@lru_cache(maxsize=8192)
def qr_matrix(url: str) -> QrMatrix:
    """Dark (True) / light (False) modules of the QR code, without quiet zone.

    Cached by URL: reprinting the same labels skips the encoding entirely.
    The result is an immutable tuple so the cached value cannot be altered.
    """
    code = qrcode.QRCode(
        # make(fit=True) still picks the smallest version that holds the URL;
        # starting it at 1 saves qrcode a second size search (≈10 %), which
        # it otherwise runs while reading its unset `version`.
        version=1,
        error_correction=ERROR_CORRECTION,
        border=0,
        mask_pattern=FIXED_MASK_PATTERN,
    )
    code.add_data(url, optimize=_ALPHANUMERIC_TAIL)
    code.make(fit=True)
    return tuple(tuple(bool(module) for module in row) for row in code.get_matrix())


@lru_cache(maxsize=8192)
def dark_runs(url: str) -> tuple[tuple[int, int, int], ...]:
    """Horizontal runs of dark modules as ``(row, column, length)``.

    Drawing a run as one rectangle instead of one square per module cuts
    the vector output roughly in half and keeps a printed run seamless.
    """
    runs = []
    for row_index, row in enumerate(qr_matrix(url)):
        column = 0
        width = len(row)
        while column < width:
            if row[column]:
                start = column
                while column < width and row[column]:
                    column += 1
                runs.append((row_index, start, column - start))
            else:
                column += 1
    return tuple(runs)
