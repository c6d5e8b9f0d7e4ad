"""Whole-dong money helpers.

Money is always a Python ``int`` (or a polars ``Int64`` column): Vietnamese
dong has no minor unit in public accounting, and floats cannot represent every
amount above 2**53 nor add up exactly.  Ratios and shares may be floats, but
anything that ends up as money is rounded to whole dong first.

* :func:`format_vnd` — ``161250000000`` → ``"161.250.000.000 đ"``
* :func:`parse_vnd` — the reverse, tolerant of the usual ways people type it
* :func:`split_by_weights` — largest-remainder (Hamilton) apportionment whose
  parts add up *exactly* to the total.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping
from fractions import Fraction
from typing import TypeVar

__all__ = ["CURRENCY_SUFFIX", "MoneyError", "format_vnd", "parse_vnd", "require_int", "split_by_weights"]

K = TypeVar("K", bound=Hashable)

CURRENCY_SUFFIX = "đ"

# Currency markers accepted (and stripped) by parse_vnd, longest first.
_SUFFIXES = ("vnđ", "vnd", "đồng", "dong", "đ", "₫")
_PLAIN = re.compile(r"\d+")
_GROUPED_DOT = re.compile(r"\d{1,3}(?:\.\d{3})+")
_GROUPED_COMMA = re.compile(r"\d{1,3}(?:,\d{3})+")
_GROUPED_SPACE = re.compile(r"\d{1,3}(?: \d{3})+")
# A zero decimal part as a program writes a whole number ("15000000.0", "15.000.000,00").
_ZERO_DECIMALS = re.compile(r"(?<=\d)(?:\.0+|,0+)$")


def require_int(value: object, what: str = "amount") -> int:
    """Return ``value`` if it is a real ``int`` (not ``bool``), else raise ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number of dong (int), got {type(value).__name__}: {value!r}")
    return value


def format_vnd(amount: int) -> str:
    """Format whole dong the Vietnamese way: dots between thousands, ``đ`` suffix.

    >>> format_vnd(161_250_000_000)
    '161.250.000.000 đ'
    >>> format_vnd(-1500)
    '-1.500 đ'
    """
    require_int(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,}".replace(",", ".") + f" {CURRENCY_SUFFIX}"


class MoneyError(ValueError):
    """Text that is not a whole-dong amount; the message is Vietnamese, for the person who typed it."""


def parse_vnd(text: str, *, signed: bool = False) -> int:
    """Parse a whole-dong amount: the one money grammar of every form, import and CLI.

    Accepted: ``"161.250.000.000"``, ``"161,250,000,000"``, ``"161 250 000 000"``,
    ``"161250000000"``, any of those with a ``đ`` / ``₫`` / ``VND`` / ``VNĐ``
    suffix, and a zero decimal part as spreadsheets and programs write it
    (``"15000000.0"``, ``"15.000.000,00"``). A separator must split the number
    into groups of exactly three digits and only one kind of separator may be
    used, so ``"1.5"``, ``"1,500.50"`` or ``"12.34.567"`` are refused: they look
    like decimals or typos and guessing would silently move money by a factor
    of 1000. A leading ``-`` (or ``−``) is accepted only when ``signed`` (a
    reversing entry); amounts are otherwise never negative. Raises
    :class:`MoneyError` with a Vietnamese message naming the problem.
    """
    if isinstance(text, bool) or not isinstance(text, str):
        raise TypeError(f"parse_vnd expects text, got {type(text).__name__}: {text!r}")
    s = text.strip().replace("\u00a0", " ")
    if not s:
        raise MoneyError("Chưa ghi số tiền (vd 15.000.000).")
    lowered = s.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            s = s[: -len(suffix)].rstrip()
            break
    negative = False
    if s[:1] in ("-", "−"):
        negative = True
        s = s[1:].lstrip()
    elif s[:1] == "+":
        s = s[1:].lstrip()
    if not s:
        raise MoneyError(f"Không có chữ số nào trong số tiền '{text}'.")
    grouped = any(p.fullmatch(s) for p in (_GROUPED_DOT, _GROUPED_COMMA, _GROUPED_SPACE))
    whole = s if grouped else _ZERO_DECIMALS.sub("", s)
    if _PLAIN.fullmatch(whole):
        digits = whole
    elif _GROUPED_DOT.fullmatch(whole) or _GROUPED_COMMA.fullmatch(whole) or _GROUPED_SPACE.fullmatch(whole):
        digits = re.sub(r"[., ]", "", whole)
    elif re.fullmatch(r"[\d., ]+", s):
        raise MoneyError(
            f"Số tiền '{text}' có phần lẻ hoặc dấu phân cách đặt sai: tiền là số nguyên đồng, "
            "dấu chấm tách từng nhóm ba chữ số (vd 15.000.000)."
        )
    else:
        raise MoneyError(f"Số tiền '{text}' có ký tự không phải chữ số: ghi số nguyên đồng, vd 15.000.000.")
    value = int(digits)
    if negative and value:
        if not signed:
            raise MoneyError("Số tiền không được âm.")
        return -value
    return value


def _exact_weight(key: object, weight: object) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, (int, float, Fraction)):
        raise TypeError(f"weight for {key!r} must be int or float, got {type(weight).__name__}")
    if isinstance(weight, float) and not math.isfinite(weight):
        raise ValueError(f"weight for {key!r} must be finite, got {weight!r}")
    if weight < 0:
        raise ValueError(f"weight for {key!r} is negative ({weight!r}); weights must be >= 0")
    return Fraction(weight)  # exact, also for floats


def split_by_weights(total: int, weights: Mapping[K, int | float]) -> dict[K, int]:
    """Split ``total`` dong in proportion to ``weights`` (largest remainder / Hamilton).

    * the parts add up exactly to ``total``;
    * each part is the floor or the ceiling of its exact quota
      ``total * w / sum(w)`` (so within 1 dong of it);
    * a zero weight gets exactly 0;
    * a larger weight never gets less than a smaller one;
    * ties for the leftover dong go to the key that comes first in ``weights``
      (mapping iteration order), so the result is deterministic.

    Float weights are converted exactly (``Fraction``), so no rounding error
    creeps into the quotas.  A negative ``total`` is split as ``-split(-total)``.
    Raises ``ValueError`` for negative, non-finite or all-zero weights and for
    an empty mapping.
    """
    require_int(total, "total")
    if not weights:
        raise ValueError("cannot split money over an empty set of weights")
    exact = {key: _exact_weight(key, w) for key, w in weights.items()}
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        raise ValueError("all weights are zero: nothing to split the money by")
    if total < 0:
        return {key: -part for key, part in split_by_weights(-total, weights).items()}

    parts: dict[K, int] = {}
    remainders: list[tuple[Fraction, int, K]] = []
    for index, (key, w) in enumerate(exact.items()):
        quota = total * w / weight_sum
        floor = quota.numerator // quota.denominator
        parts[key] = floor
        remainders.append((quota - floor, index, key))
    leftover = total - sum(parts.values())
    # Largest remainder first; equal remainders broken by key order.
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _, _, key in remainders[:leftover]:
        parts[key] += 1
    return parts
