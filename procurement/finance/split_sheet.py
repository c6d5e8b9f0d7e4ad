"""Weights of a split read from a sheet: one row per commune, its 5-digit code and its weight.

The file is read with the register import's reader (:func:`procurement.register.importing.read_grid`:
the same size, zip-bomb and encoding guards, in a worker thread); this module only finds the two
columns and checks each row. Headers are matched without diacritics or case ("Ma xa" = "Mã xã"),
in the first 20 rows (below a title). A wrong row is named with its row number, column and reason,
in Vietnamese, and nothing is split.
"""

from __future__ import annotations

import math
import re

from procurement.core.errors import DomainError
from procurement.core.text import search_key

FIELD = "weights_file"
MAX_ROWS = 4000  # more than the 3,321 communes of the country
_HEADER_ROWS = 20
_CODE_HEADERS = {"ma xa", "ma xa/phuong", "ma xa phuong", "ma don vi", "commune code", "commune_code", "ma"}
_WEIGHT_HEADERS = {"trong so", "he so", "weight", "ty trong"}
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_SHOWN_ERRORS = 5


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _header(grid: list[list[str | None]]) -> tuple[int, int, int]:
    for index, row in enumerate(grid[:_HEADER_ROWS]):
        keys = [search_key(_text(c)) for c in row]
        code = next((i for i, k in enumerate(keys) if k in _CODE_HEADERS), None)
        weight = next((i for i, k in enumerate(keys) if k in _WEIGHT_HEADERS), None)
        if code is not None and weight is not None:
            return index, code, weight
    raise DomainError('Không tìm thấy dòng tiêu đề có hai cột "Mã xã" và "Trọng số" (trong 20 dòng đầu).', field=FIELD)


def _code(text: str) -> str | None:
    if text.endswith(".0"):  # a code typed as a number in Excel
        text = text[:-2]
    if not text.isdigit() or len(text) > 5:
        return None
    return text.zfill(5)  # a leading zero dropped by Excel


def _weight(text: str) -> float | None:
    text = text.replace(" ", "")
    if "," in text and "." not in text:  # decimal comma, as typed in Vietnam
        text = text.replace(",", ".")
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) and value <= 1_000_000_000 else None


def weights_from_grid(grid: list[list[str | None]]) -> dict[str, float]:
    """commune code -> weight, from the cells of a sheet; every wrong row refused at once."""
    header, code_at, weight_at = _header(grid)
    weights: dict[str, float] = {}
    first_row: dict[str, int] = {}
    errors: list[str] = []
    for number, row in enumerate(grid[header + 1 :], start=header + 2):
        cells = [_text(c) for c in row]
        if not any(cells):
            continue
        raw_code = cells[code_at] if code_at < len(cells) else ""
        raw_weight = cells[weight_at] if weight_at < len(cells) else ""
        code = _code(raw_code)
        weight = _weight(raw_weight)
        if code is None:
            errors.append(f"dòng {number}, cột Mã xã: '{raw_code}' không phải mã xã 5 chữ số")
        elif code in first_row:
            errors.append(f"dòng {number}, cột Mã xã: {code} đã có ở dòng {first_row[code]}")
            code = None
        else:
            first_row[code] = number
        if weight is None:
            errors.append(f"dòng {number}, cột Trọng số: '{raw_weight}' không phải số không âm")
        elif code is not None:
            weights[code] = weight
        if len(weights) > MAX_ROWS:
            raise DomainError(f"Tệp có quá {MAX_ROWS} xã.", field=FIELD)
    if errors:
        more = f" (và {len(errors) - _SHOWN_ERRORS} lỗi khác)" if len(errors) > _SHOWN_ERRORS else ""
        raise DomainError(
            f"Tệp trọng số có {len(errors)} lỗi, chưa chia: " + "; ".join(errors[:_SHOWN_ERRORS]) + more + ".",
            field=FIELD,
        )
    if not weights:
        raise DomainError("Tệp trọng số không có dòng nào.", field=FIELD)
    if not any(weights.values()):
        raise DomainError("Mọi trọng số đều bằng 0: không có gì để chia.", field=FIELD)
    return weights


async def read_weights(content: bytes, file_name: str = "") -> dict[str, float]:
    """The weights of an uploaded XLSX or CSV, read off the event loop."""
    from procurement.register.importing import read_grid_off_loop  # the register's reader (database-bound module)

    try:
        grid = await read_grid_off_loop(content, file_name)
    except DomainError as error:  # the reader names its field "file"
        error.field = FIELD
        raise
    return weights_from_grid(grid)
