"""Asset tags: short, readable aloud, unique, ending in a check character.

A tag is six payload symbols and one check symbol from a 31-symbol alphabet,
shown as ``ABC-DEFG``. The alphabet is Crockford's base32 without ``Z``; its
31 symbols make the check a weighted sum modulo the prime 31 with distinct
weights, which refuses *every* single wrong symbol and *every* swap of two
symbols (adjacent or not): a substitution changes the sum by ``w*(a-b)`` and a
swap by ``(w_i-w_j)*(a-b)``, neither of which is 0 mod 31 when the weights are
distinct and non-zero and symbol values differ by less than 31.

When reading typed input we fold the look-alikes people actually type
(O→0, I/L→1) and ignore case, spaces and dashes, as Crockford does.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
MODULUS = len(ALPHABET)  # 31, prime
PAYLOAD_LENGTH = 6
TAG_LENGTH = PAYLOAD_LENGTH + 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Distinct, non-zero weights modulo 31, one per position (payload + check).
_WEIGHTS = tuple(range(1, TAG_LENGTH + 1))


class TagError(ValueError):
    """A tag that cannot be a real tag; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def check_symbol(payload: str) -> str:
    """The check symbol that makes the weighted sum of the whole tag 0 mod 31."""
    total = sum(w * _VALUE[s] for w, s in zip(_WEIGHTS, payload, strict=False))
    # Solve total + w_last * c ≡ 0 (mod 31) for c.
    w_last = _WEIGHTS[len(payload)]
    inverse = pow(w_last, -1, MODULUS)
    return ALPHABET[(-total * inverse) % MODULUS]


def new_tag(randbelow=secrets.randbelow) -> str:
    """A fresh random tag in canonical form (no dash)."""
    payload = "".join(ALPHABET[randbelow(MODULUS)] for _ in range(PAYLOAD_LENGTH))
    return payload + check_symbol(payload)


def canonical(text: str) -> str:
    """Upper-case, look-alikes folded, separators removed (not yet validated)."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -_.\t")
    return cleaned.translate(_LOOKALIKES)


def parse_tag(text: str) -> str:
    """Validate typed or scanned input; return the canonical tag or raise TagError."""
    tag = canonical(text)
    if len(tag) != TAG_LENGTH:
        raise TagError(
            "length",
            f"Mã tài sản phải có {TAG_LENGTH} ký tự (nhận được {len(tag)}).",
        )
    bad = [ch for ch in tag if ch not in _VALUE]
    if bad:
        raise TagError("symbol", f"Mã tài sản có ký tự không hợp lệ: {''.join(bad)}.")
    if sum(w * _VALUE[s] for w, s in zip(_WEIGHTS, tag, strict=False)) % MODULUS:
        raise TagError(
            "check",
            "Mã tài sản sai ký tự kiểm tra: có thể gõ nhầm hoặc đảo chỗ một ký tự.",
        )
    return tag


def is_valid_tag(text: str) -> bool:
    try:
        parse_tag(text)
    except TagError:
        return False
    return True


def display_tag(tag: str) -> str:
    """``ABC-DEFG``: easier to read aloud and to copy by hand."""
    return f"{tag[:3]}-{tag[3:]}"


def display_tag_expr(tag: pl.Expr) -> pl.Expr:
    """:func:`display_tag` of a polars column of tags, column-wise (null stays null)."""
    import polars as pl

    return pl.concat_str([tag.str.slice(0, 3), pl.lit("-"), tag.str.slice(3)])
