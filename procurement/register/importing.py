"""Bring a commune's Excel/CSV inventory into the register, and send it back out.

The template (``TEMPLATE``) has Vietnamese headers; a sheet is read with
fastexcel (XLSX/XLS, via calamine) or polars (CSV), every cell as text, and
each row is checked with the same ``AssetCreate`` rules as the API.

* Headers are matched without diacritics, case or punctuation ("Loai thiet bi"
  is "Loại thiết bị"); the header row may sit below a title (first 20 rows).
* "Ngày mua" takes an Excel date, dd/mm/yyyy text, or a year alone.
* Money takes 15000000, 15.000.000, 15,000,000 or "15.000.000 đ".
* A CSV is UTF-8 (with or without BOM), else Windows-1258; anything else is refused.

Matching rule (what makes a re-import idempotent): a row with a tag ("Mã tài
sản") is the device with that tag; a row without a tag is the device of the
same commune with the same serial; a row with neither is a new device each time
(the dry run warns). A matched device is updated only where a filled cell
differs: an empty cell leaves the stored value as it is.

``dry_run`` and ``commit`` run the same plan; ``commit`` runs it inside one
write transaction (serialised between importers) and writes everything, or,
if any row is wrong, nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal

import anyio
import fastexcel
import polars as pl
from pydantic import BaseModel, ValidationError

from labels.tags import TagError, display_tag, display_tag_expr, parse_tag
from models.tables import Asset, AssetEvent, Category, Commune
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now
from procurement.core.columns import ColumnQuery, sqlite_ranges
from procurement.core.errors import DomainError
from procurement.core.heavy import run_heavy, run_heavy_to_file
from procurement.core.money import MoneyError, parse_vnd
from procurement.core.text import nfc, search_key
from procurement.core.transactions import (
    engine,
    insert_many,
    is_sqlite,
    read_frame,
    refresh_statistics,
    reserve_ids,
    write_transaction,
)
from procurement.core.xlsx import Column as XlsxColumn
from procurement.core.xlsx import scope_text
from procurement.core.xlsx import write_csv_to as write_table_csv_to
from procurement.core.xlsx import write_xlsx_to as write_table_xlsx_to
from procurement.register.devices import filter_conditions
from procurement.register.new_device import (
    creation_changes,
    device_row,
    draw_free_tags,
    effective_acquired,
    search_text,
)
from procurement.register.schemas import (
    ACQUISITION_VI,
    CONDITION_VI,
    LOCATION_VI,
    STATUS_VI,
    AssetCreate,
    AssetFilter,
    Status,
)
from procurement.register.sheet_guard import SheetRefused, check_xlsx

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
MAX_REPORTED_ISSUES = 1000
PREVIEW_ROWS = 200
_HEADER_SEARCH_ROWS = 20
_BATCH = 500  # keys per IN (...) look-up: well under SQLite's bound-parameter limit
_WRITE_BATCH = 2000  # rows per bulk insert (executemany / COPY), also the progress step
_IMPORT_LOCK_KEY = 7_204_117  # PostgreSQL advisory lock id shared by importers
# Reading a sheet is CPU and memory work: it runs in a worker thread, at most two at once, so one
# user's upload never holds the event loop (other requests) nor fills memory with parallel reads.
_READERS = anyio.CapacityLimiter(2)

Progress = Callable[[str, int, int], None]


class FileTooLarge(DomainError):
    status_code = 413

    def __init__(self, message: str):
        super().__init__(message, field="file", code="too_large")


class ImportRejected(DomainError):
    """The commit found wrong rows: nothing was written; ``issues`` says where."""

    def __init__(self, report: ImportReport):
        super().__init__(
            f"Tệp có {report.error_count} lỗi; chưa nhập dòng nào. Sửa các dòng được liệt kê rồi nhập lại.",
            field="file",
            code="rows_invalid",
        )
        self.report = report

    @property
    def items(self) -> list[dict[str, Any]]:
        return [
            {
                "key": f"row {i.row}: {i.column}" if i.row else (i.column or "file"),
                "message": i.describe(),
                "code": "invalid_row",
            }
            for i in self.report.errors
        ]


# --- the template ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    note: str
    aliases: tuple[str, ...] = ()
    width: int = 14


TEMPLATE: tuple[Column, ...] = (
    Column(
        "tag",
        "Mã tài sản",
        "Mã trên nhãn QR (vd ABC-DEFG). Để trống: hệ thống cấp mã mới.",
        ("ma", "ma the", "ma nhan", "tag"),
        11,
    ),
    Column(
        "category",
        "Loại thiết bị",
        "Bắt buộc. Một trong các loại ở cột bên.",
        ("loai", "loai tai san", "chung loai", "category"),
        18,
    ),
    Column(
        "commune_code",
        "Mã xã",
        "Mã xã/phường 5 chữ số (vd 26296). Cán bộ xã để trống: xã của mình.",
        ("ma xa phuong", "ma don vi", "commune code", "commune_code"),
        8,
    ),
    Column(
        "commune_name", "Tên xã", "Chỉ để đọc; khi nhập, hệ thống dùng Mã xã.", ("ten xa phuong", "xa phuong", "xa"), 20
    ),
    Column("make", "Hãng sản xuất", "vd Dell, HP, Canon", ("hang", "hang sx", "nha san xuat", "make"), 14),
    Column("model", "Model", "vd OptiPlex 3080", ("kieu may", "doi may", "model may"), 18),
    Column(
        "serial",
        "Số serial",
        "Số serial in trên máy. Dùng để nhận ra máy khi không có mã tài sản.",
        ("serial", "so seri", "seri", "so hieu", "sn", "s n"),
        16,
    ),
    Column("location", "Nơi đặt", "Văn phòng hoặc Bộ phận một cửa.", ("vi tri", "location"), 14),
    Column(
        "location_detail",
        "Phòng",
        "vd Phòng Văn hóa - Xã hội",
        ("chi tiet noi dat", "phong ban", "location detail", "location_detail"),
        18,
    ),
    Column(
        "assigned_to",
        "Người sử dụng",
        "Họ tên người dùng máy",
        ("nguoi dung", "can bo su dung", "assigned to", "assigned_to"),
        18,
    ),
    Column(
        "acquired",
        "Ngày mua",
        "Ngày dd/mm/yyyy, hoặc chỉ năm (vd 2015) với máy tiếp nhận.",
        ("ngay mua", "nam mua", "ngay nam mua", "ngay dua vao su dung", "nam su dung", "acquired on", "acquired_on"),
        11,
    ),
    Column(
        "cost_vnd",
        "Nguyên giá (VND)",
        "Số nguyên đồng, có hoặc không có dấu chấm ngăn cách (vd 15.000.000).",
        ("nguyen gia", "gia tri", "gia mua", "don gia", "cost vnd", "cost_vnd"),
        16,
    ),
    Column(
        "acquisition",
        "Nguồn gốc",
        ", ".join(ACQUISITION_VI.values()) + ".",
        ("nguon", "hinh thuc", "acquisition"),
        16,
    ),
    Column(
        "status",
        "Trạng thái",
        ", ".join(STATUS_VI[s] for s in ("in_use", "in_storage", "in_repair"))
        + " (thanh lý: làm trên trang thiết bị).",
        ("trang thai su dung", "status"),
        14,
    ),
    Column(
        "condition",
        "Tình trạng",
        ", ".join(CONDITION_VI.values()) + ".",
        ("tinh trang ky thuat", "chat luong", "condition"),
        11,
    ),
    Column(
        "antimalware_installed",
        "Đã cài diệt virus",
        "Có / Không (máy tính).",
        ("diet virus", "phan mem diet virus", "antimalware", "antimalware installed"),
        10,
    ),
    Column("os_name", "Hệ điều hành", "vd Windows 10", ("he dieu hanh", "os", "os name"), 14),
    Column("os_supported", "HĐH còn hỗ trợ", "Có / Không.", ("he dieu hanh con ho tro", "os supported"), 10),
    Column("notes", "Ghi chú", "", ("note", "notes"), 24),
)
_BY_FIELD = {c.field: c for c in TEMPLATE}
_ENUM_VI = {
    "location": LOCATION_VI,
    "acquisition": ACQUISITION_VI,
    "status": STATUS_VI,
    "condition": CONDITION_VI,
}
_ENUM_ALIASES = {  # short forms people type
    "acquisition": {
        "mua": "purchased",
        "mua moi": "purchased",
        "tiep nhan": "reused",
        "dieu chuyen": "reused",
        "tang": "donated",
        "tai tro": "donated",
    },
    "location": {"mot cua": "service_point", "bo phan mot cua": "service_point", "van phong": "office"},
    "condition": {"binh thuong": "fair", "hu": "broken", "hong": "broken", "tot": "good"},
    "status": {"dang dung": "in_use", "su dung": "in_use", "kho": "in_storage", "sua chua": "in_repair"},
}
_YES = {"co", "x", "yes", "y", "true", "1", "da cai", "con"}
_NO = {"khong", "no", "n", "false", "0", "chua", "chua cai", "het"}
_BOOL_FIELDS = ("antimalware_installed", "os_supported")
_TEXT_FIELDS = ("make", "model", "serial", "location_detail", "assigned_to", "os_name", "notes")
_DISPOSAL = {Status.disposed.value, Status.awaiting_disposal.value}
_IN_TRANSIT_MESSAGE = (
    'Trạng thái "Đang điều chuyển" chỉ có khi lập quyết định điều chuyển; thiết bị đang điều chuyển '
    "chỉ đổi khi xã nhận xác nhận đã đến (trang Điều chuyển), không qua nhập tệp."
)


@functools.lru_cache(maxsize=8192)
def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", search_key(str(text))).strip()


def header_key(text: str) -> str:
    """A header (or a choice) as it is matched: no diacritics, case or punctuation."""
    return _key(text)


_HEADER_KEYS: dict[str, str] = {}
for _column in TEMPLATE:
    for _alias in (_column.header, _column.field, *_column.aliases):
        _HEADER_KEYS.setdefault(_key(_alias), _column.field)


def column_letter(index: int) -> str:
    """Excel's letters of a 0-based column position (0 -> A, 26 -> AA)."""
    return _letter(index)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- the report ------------------------------------------------------------


class ImportIssue(BaseModel):
    row: int | None = None  # row number as Excel shows it; None for the whole file
    column: str | None = None  # header as written in the file
    cell: str | None = None  # e.g. "K12"
    value: str | None = None
    message: str

    def describe(self) -> str:
        where = []
        if self.row:
            where.append(f"Dòng {self.row}")
        if self.column:
            where.append(f"cột {self.column}")
        return (", ".join(where) + ": " if where else "") + self.message


class PlannedRow(BaseModel):
    row: int
    action: Literal["create", "update"]
    tag: str | None
    category: str
    commune_code: str
    make: str
    model: str
    serial: str | None
    changes: list[str]


class ImportReport(BaseModel):
    file_name: str
    rows: int
    create: int = 0
    update: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[ImportIssue] = []
    warnings: list[ImportIssue] = []
    preview: list[PlannedRow] = []
    committed: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0


# --- reading the file -------------------------------------------------------


@dataclass
class Sheet:
    """The sheet as text: ``columns`` maps field -> (position, header as written)."""

    columns: dict[str, tuple[int, str]]
    rows: list[tuple[int, list[str | None]]]  # (row number, cells)
    warnings: list[ImportIssue] = field(default_factory=list)


def _is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04" or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def decode_csv(content: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1258 (old Vietnamese Excel); else refuse."""
    if b"\x00" in content[:4096]:
        raise DomainError(
            "Tệp không phải CSV dạng chữ (có thể là UTF-16 hoặc tệp nhị phân). Hãy lưu lại dạng CSV UTF-8 hoặc dùng tệp Excel (.xlsx).",
            field="file",
            code="bad_encoding",
        )
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            return nfc(content.decode("cp1258"))
        except UnicodeDecodeError:
            pass
    raise DomainError(
        'Không đọc được bảng mã của tệp CSV: chỉ nhận UTF-8 hoặc Windows-1258. Hãy lưu lại dạng "CSV UTF-8" hoặc dùng tệp Excel (.xlsx).',
        field="file",
        code="bad_encoding",
    )


_QUOTED_FORMULA = re.compile(r"'[=+\-@\t\r]")


def _grid_frame_from_csv(content: bytes) -> pl.DataFrame:
    text = decode_csv(content)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:  # rows of unequal length (a title row): the separator the sample uses most
        delimiter = max(",;\t", key=sample.count) if any(c in sample for c in ",;\t") else ","
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            infer_schema=False,
            separator=delimiter,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except Exception as error:  # polars raises several types for malformed text
        raise DomainError(
            f"Tệp CSV bị hỏng, không đọc được ({type(error).__name__}).", field="file", code="broken_file"
        ) from None
    # The quote our CSV export puts before text that would start a formula (OWASP "CSV Injection")
    # goes away again, so that an exported file imports unchanged.
    return frame.with_columns(
        pl.when(pl.col(name).str.contains("^" + _QUOTED_FORMULA.pattern))
        .then(pl.col(name).str.slice(1))
        .otherwise(pl.col(name))
        .alias(name)
        for name in frame.columns
    )


def _grid_frame_from_xlsx(content: bytes) -> pl.DataFrame:
    try:
        reader = fastexcel.read_excel(content)
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
        frame = sheet.to_polars()
        offset = sheet.selected_columns[0].absolute_index if sheet.selected_columns else 0
    except Exception:
        raise DomainError(
            "Tệp Excel bị hỏng hoặc không phải tệp Excel, không đọc được.", field="file", code="broken_file"
        ) from None
    frame = frame.select(
        pl.col(name).cast(pl.String).alias(f"column_{i + offset}") for i, name in enumerate(frame.columns)
    )
    if offset:  # keep column letters true to the sheet
        frame = frame.select(*(pl.lit(None, pl.String).alias(f"column_{i}") for i in range(offset)), *frame.columns)
    return frame


def read_grid_frame(
    content: bytes, file_name: str = "", *, max_rows: int = MAX_IMPORT_ROWS, max_bytes: int = MAX_IMPORT_BYTES
) -> pl.DataFrame:
    """The first sheet (or the CSV) as a frame of text columns, one row per sheet row, after the
    size, row-count and zip-bomb guards: the one reader of every spreadsheet upload."""
    if len(content) > max_bytes:
        raise FileTooLarge(
            f"Tệp quá lớn ({len(content) / 1024 / 1024:.1f} MB); tối đa {max_bytes // 1024 // 1024} MB. Hãy chia thành nhiều tệp."
        )
    if not content.strip():
        raise DomainError("Tệp rỗng.", field="file", code="empty_file")
    check_file_name(file_name)
    is_excel = _is_xlsx(content) or file_name.lower().endswith((".xlsx", ".xls", ".xlsm"))
    if is_excel:
        try:  # what the workbook declares and its rows, streamed, before any cell is read
            check_xlsx(content, max_rows, header_rows=_HEADER_SEARCH_ROWS)
        except SheetRefused as refused:
            if refused.code == "broken_file":
                raise DomainError(refused.message, field="file", code="broken_file") from None
            raise FileTooLarge(refused.message) from None
    frame = _grid_frame_from_xlsx(content) if is_excel else _grid_frame_from_csv(content)
    return frame.rename({name: f"column_{i}" for i, name in enumerate(frame.columns)})


def read_grid(content: bytes, file_name: str = "") -> list[list[str | None]]:
    """:func:`read_grid_frame` as lists of cells, within the register import's limits."""
    return [list(row) for row in read_grid_frame(content, file_name).iter_rows()]


def read_sheet(content: bytes, file_name: str = "") -> Sheet:
    return _sheet_from_grid(read_grid(content, file_name))


def check_file_name(file_name: str) -> None:
    """A file name goes into the history note: no NUL, no control character, no broken Unicode."""
    try:
        file_name.encode("utf-8")
    except UnicodeEncodeError:
        bad = True
    else:
        bad = any(ord(c) < 32 or ord(c) == 127 for c in file_name)
    if bad or len(file_name) > 255:
        raise DomainError(
            "Tên tệp có ký tự không hợp lệ hoặc quá dài; hãy đổi tên tệp rồi gửi lại.",
            field="file",
            code="invalid_file_name",
        )


async def read_sheet_off_loop(content: bytes, file_name: str = "") -> Sheet:
    """:func:`read_sheet` in a worker thread (at most two at once), so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(read_sheet, content, file_name, limiter=_READERS)


async def read_grid_off_loop(content: bytes, file_name: str = "") -> list[list[str | None]]:
    """:func:`read_grid` in a worker thread, sharing the import's limit of two reads at once."""
    return await anyio.to_thread.run_sync(read_grid, content, file_name, limiter=_READERS)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _sheet_from_grid(grid: list[list[str | None]]) -> Sheet:
    header_index = None
    for index, row in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        known = {_HEADER_KEYS.get(_key(c)) for c in row if _clean(c)} - {None}
        if len(known) >= 2:
            header_index = index
            break
    if header_index is None:
        raise DomainError(
            "Không tìm thấy dòng tiêu đề. Dòng tiêu đề cần có các cột như: "
            + ", ".join(c.header for c in TEMPLATE[:6])
            + "… Hãy dùng tệp mẫu.",
            field="file",
            code="no_header",
        )
    columns: dict[str, tuple[int, str]] = {}
    warnings: list[ImportIssue] = []
    for position, cell in enumerate(grid[header_index]):
        header = _clean(cell)
        if not header:
            continue
        field_name = _HEADER_KEYS.get(_key(header))
        if field_name is None:
            warnings.append(
                ImportIssue(
                    column=header,
                    cell=f"{_letter(position)}{header_index + 1}",
                    message="Cột không có trong mẫu, bị bỏ qua.",
                )
            )
        elif field_name in columns:
            raise DomainError(
                f"Cột '{header}' trùng với cột '{columns[field_name][1]}'. Mỗi cột chỉ được có một lần.",
                field="file",
                code="duplicate_column",
            )
        else:
            columns[field_name] = (position, header)
    rows = [
        (number, row)
        for number, row in enumerate(grid[header_index + 1 :], start=header_index + 2)
        if any(_clean(c) for c in row)
    ]
    if len(rows) > MAX_IMPORT_ROWS:
        raise FileTooLarge(
            f"Tệp có {len(rows):,} dòng; mỗi lần nhập tối đa {MAX_IMPORT_ROWS:,} dòng. Hãy chia thành nhiều tệp.".replace(
                ",", "."
            )
        )
    return Sheet(columns=columns, rows=rows, warnings=warnings)


# --- reading one cell --------------------------------------------------------


class CellError(ValueError):
    pass


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_acquired(text: str) -> tuple[dt.date | None, int | None]:
    """An Excel date, dd/mm/yyyy, ISO, a year alone, or an Excel day number."""
    text = text.strip()
    try:
        if match := _ISO.match(text):
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day), None
        if match := _DMY.match(text):
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day), None
    except ValueError:
        raise CellError(f"Ngày không có thật: '{text}'.") from None
    number = re.fullmatch(r"(\d+)(?:\.0+)?", text)
    if number:
        value = int(number.group(1))
        if 1900 <= value <= 2200:
            return None, value
        if 20_000 <= value <= 80_000:  # an Excel day number in a cell formatted as text
            return _EXCEL_EPOCH + dt.timedelta(days=value), None
    raise CellError(f"Không đọc được ngày '{text}': ghi dd/mm/yyyy (vd 15/03/2019) hoặc chỉ năm (vd 2015).")


def parse_day(text: str) -> dt.date:
    """A whole date as people write it (dd/mm/yyyy, also with . or -) or ISO; no year alone."""
    text = text.strip()
    day = parse_acquired(text)[0] if _ISO.match(text) or _DMY.match(text) else None
    if day is not None:
        return day
    raise CellError(f"Không đọc được ngày '{text}': ghi dd/mm/yyyy (vd 15/03/2026).")


def parse_bool(text: str) -> bool:
    key = _key(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(f"Ghi Có hoặc Không (nhận được '{text}').")


_CHOICES = {
    name: {
        **_ENUM_ALIASES.get(name, {}),
        **{_key(code): code for code in labels},
        **{_key(label): code for code, label in labels.items()},
    }
    for name, labels in _ENUM_VI.items()
}


def parse_choice(field_name: str, text: str) -> str:
    labels = _ENUM_VI[field_name]
    code = _CHOICES[field_name].get(_key(text))
    if code is not None:
        return code
    raise CellError(f"Giá trị '{text}' không hợp lệ; dùng một trong: {', '.join(labels.values())}.")


# --- checking rows ------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]  # fields present and filled in the sheet, as domain values
    commune_id: int
    tag: str | None


@dataclass
class Context:
    actor: Actor
    categories: dict[str, str]  # key (code or name) -> code
    category_names: dict[str, str]  # code -> name
    communes: dict[str, int]  # code -> id
    sheet: Sheet
    errors: list[ImportIssue] = field(default_factory=list)

    def error(self, number: int | None, field_name: str | None, message: str, value: str | None = None) -> None:
        column = self.sheet.columns.get(field_name) if field_name else None
        cell = f"{_letter(column[0])}{number}" if column and number else None
        header = column[1] if column else (_BY_FIELD[field_name].header if field_name in _BY_FIELD else None)
        self.errors.append(ImportIssue(row=number, column=header, cell=cell, value=value, message=message))


_PYDANTIC_FIELD = {"acquired_on": "acquired", "acquired_year": "acquired"}


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_long":
        return f"Quá dài: tối đa {ctx.get('max_length')} ký tự."
    if kind in ("less_than_equal", "less_than"):
        return f"Giá trị quá lớn (tối đa {ctx.get('le', ctx.get('lt'))})."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Giá trị quá nhỏ (tối thiểu {ctx.get('ge', ctx.get('gt'))})."
    message = error["msg"].removeprefix("Value error, ")
    return re.sub(r"^acquired_year: ", "", message)


def _parse_row(ctx: Context, number: int, cells: list[str | None]) -> ParsedRow | None:
    raw: dict[str, str] = {}
    for field_name, (position, _) in ctx.sheet.columns.items():
        value = _clean(cells[position]) if position < len(cells) else None
        if value is not None:
            raw[field_name] = value
    errors_before = len(ctx.errors)
    values: dict[str, Any] = {}

    tag = None
    if "tag" in raw:
        try:
            tag = parse_tag(raw["tag"])
            values["tag"] = tag
        except TagError as error:
            ctx.error(number, "tag", error.message, raw["tag"])

    if "category" in raw:
        code = ctx.categories.get(_key(raw["category"]))
        if code is None:
            ctx.error(
                number,
                "category",
                f"Không có loại thiết bị '{raw['category']}'. Dùng: {', '.join(ctx.category_names.values())}.",
                raw["category"],
            )
        else:
            values["category"] = code
    elif "category" in ctx.sheet.columns:
        ctx.error(number, "category", "Thiếu loại thiết bị.")

    commune_code = raw.get("commune_code")
    if commune_code and re.fullmatch(r"\d{1,5}(\.0+)?", commune_code):
        commune_code = commune_code.split(".")[0].zfill(5)  # Excel drops leading zeros of codes typed as numbers
    if commune_code is None and ctx.actor.is_staff:
        commune_code = ctx.actor.commune_code
    commune_id = None
    if commune_code is None:
        ctx.error(number, "commune_code", "Thiếu mã xã.")
    elif commune_code not in ctx.communes:
        ctx.error(number, "commune_code", f"Không có xã/phường mã {commune_code}.", raw.get("commune_code"))
    elif ctx.actor.is_staff and commune_code != ctx.actor.commune_code:
        ctx.error(
            number,
            "commune_code",
            f"Cán bộ xã chỉ nhập thiết bị của xã mình (mã {ctx.actor.commune_code}).",
            commune_code,
        )
    elif not ctx.actor.sees_commune(ctx.communes[commune_code]):
        ctx.error(
            number,
            "commune_code",
            f"Xã/phường mã {commune_code} không thuộc tỉnh/thành của bạn ({ctx.actor.province_code}).",
            commune_code,
        )
    else:
        commune_id = ctx.communes[commune_code]
        values["commune_code"] = commune_code

    for name in _TEXT_FIELDS:
        if name in raw:
            values[name] = raw[name]
    for name in _ENUM_VI:
        if name in raw:
            try:
                values[name] = parse_choice(name, raw[name])
            except CellError as error:
                ctx.error(number, name, str(error), raw[name])
    for name in _BOOL_FIELDS:
        if name in raw:
            try:
                values[name] = parse_bool(raw[name])
            except CellError as error:
                ctx.error(number, name, str(error), raw[name])
    if "acquired" in raw:
        try:
            values["acquired_on"], values["acquired_year"] = parse_acquired(raw["acquired"])
        except CellError as error:
            ctx.error(number, "acquired", str(error), raw["acquired"])
    if "cost_vnd" in raw:
        try:
            values["cost_vnd"] = parse_vnd(raw["cost_vnd"])
        except MoneyError as error:
            ctx.error(number, "cost_vnd", str(error), raw["cost_vnd"])

    # The register's own rules (lengths, dates not in the future ...), also on a row
    # that already failed, so that one pass reports all its problems.
    # Status is checked against the stored device later: a disposed device may be re-imported unchanged.
    failed = {i.column for i in ctx.errors[errors_before:]}
    checked = {"category": "desktop", "commune_code": "00000"} | {k: v for k, v in values.items() if k != "status"}
    try:
        AssetCreate.model_validate(checked)
    except ValidationError as error:
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "acquired"
            name = _PYDANTIC_FIELD.get(name, name)
            header = ctx.sheet.columns.get(name, (0, None))[1]
            if header not in failed:
                ctx.error(number, name, _pydantic_message(item), raw.get(name))
    if len(ctx.errors) > errors_before or commune_id is None:
        return None
    for name in ("make", "model", "serial", "location_detail", "assigned_to", "os_name", "notes"):
        if name in values:
            values[name] = nfc(values[name])
    return ParsedRow(number=number, values=values, commune_id=commune_id, tag=tag)


# --- planning against the register ---------------------------------------------


_STORED = (
    Asset.id,
    Asset.tag,
    Asset.category.code.as_alias("category"),
    Asset.commune.id.as_alias("commune_id"),
    Asset.commune.code.as_alias("commune_code"),
    Asset.make,
    Asset.model,
    Asset.serial,
    Asset.location,
    Asset.location_detail,
    Asset.assigned_to,
    Asset.acquired_on,
    Asset.acquired_year,
    Asset.cost_vnd,
    Asset.acquisition,
    Asset.status,
    Asset.condition,
    Asset.antimalware_installed,
    Asset.os_name,
    Asset.os_supported,
    Asset.notes,
)
_FIELD_VI = {c.field: c.header for c in TEMPLATE} | {"acquired_on": "Ngày mua", "acquired_year": "Năm mua"}
_DEFAULTS = {"location": "office", "acquisition": "purchased", "status": "in_use", "condition": "good"}


async def _stored_where(column, keys: Iterable[str]) -> list[dict[str, Any]]:
    keys = list(keys)
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), _BATCH):
        found += await Asset.select(*_STORED).where(column.is_in(keys[start : start + _BATCH]))
    return found


@dataclass
class Plan:
    creates: list[ParsedRow] = field(default_factory=list)
    updates: list[tuple[ParsedRow, dict[str, Any], dict[str, dict]]] = field(default_factory=list)  # row, stored, diff
    unchanged: int = 0


def _diff(row: ParsedRow, stored: dict[str, Any]) -> dict[str, dict]:
    new = dict(row.values)
    new.pop("tag", None)
    if "acquired_on" in new:
        on, year = new.pop("acquired_on"), new.pop("acquired_year")
        if on is not None:
            new["acquired_on"] = on
            if stored["acquired_year"] not in (None, on.year):
                new["acquired_year"] = None
        elif not (stored["acquired_on"] and stored["acquired_on"].year == year):
            # A year alone is less precise than a stored date of that year: keep the date.
            new["acquired_year"] = year
            new["acquired_on"] = None
    return {
        name: {"before": stored.get(name), "after": value} for name, value in new.items() if stored.get(name) != value
    }


async def _plan(ctx: Context, parsed: list[ParsedRow]) -> Plan:
    plan = Plan()
    by_tag = {r["tag"]: r for r in await _stored_where(Asset.tag, {p.tag for p in parsed if p.tag})}
    serials = {p.values["serial"] for p in parsed if p.values.get("serial")}
    by_serial: dict[tuple[int, str], list[dict]] = {}
    for found in await _stored_where(Asset.serial, serials):
        by_serial.setdefault((found["commune_id"], found["serial"]), []).append(found)

    seen_tags: dict[str, int] = {}
    seen_serials: dict[tuple[int, str], int] = {}
    for row in parsed:
        serial = row.values.get("serial")
        serial_key = (row.commune_id, serial) if serial else None
        if row.tag:
            if row.tag in seen_tags:
                ctx.error(row.number, "tag", f"Mã tài sản trùng với dòng {seen_tags[row.tag]}.", display_tag(row.tag))
                continue
            seen_tags[row.tag] = row.number
        if serial_key:
            if serial_key in seen_serials:
                ctx.error(
                    row.number, "serial", f"Số serial trùng với dòng {seen_serials[serial_key]} (cùng xã).", serial
                )
                continue
            seen_serials[serial_key] = row.number

        stored: dict[str, Any] | None = None
        same_serial = by_serial.get(serial_key, []) if serial_key else []
        if row.tag:
            stored = by_tag.get(row.tag)
            if stored is not None and not ctx.actor.sees_commune(stored["commune_id"]):
                # Another commune's device: said like any used tag, without showing it.
                ctx.error(row.number, "tag", "Mã tài sản đã được dùng cho thiết bị khác.", display_tag(row.tag))
                continue
            clash = [s for s in same_serial if s["tag"] != row.tag]
            if clash:
                ctx.error(
                    row.number, "serial", f"Số serial đã thuộc thiết bị {display_tag(clash[0]['tag'])} của xã.", serial
                )
                continue
        elif same_serial:
            if len(same_serial) > 1:
                ctx.error(
                    row.number,
                    "serial",
                    "Nhiều thiết bị của xã cùng số serial này; ghi Mã tài sản để chỉ rõ máy nào.",
                    serial,
                )
                continue
            stored = same_serial[0]
            if stored["tag"] in seen_tags:
                ctx.error(
                    row.number, "serial", f"Thiết bị có số serial này đã có ở dòng {seen_tags[stored['tag']]}.", serial
                )
                continue
            seen_tags[stored["tag"]] = row.number

        status = row.values.get("status")
        if stored is None:
            if "category" not in row.values:
                ctx.error(row.number, "category", "Thiếu loại thiết bị.")
                continue
            if status in _DISPOSAL:
                ctx.error(row.number, "status", "Thiết bị mới không thể ở trạng thái thanh lý.", STATUS_VI[status])
                continue
            if status == Status.in_transit:
                ctx.error(row.number, "status", _IN_TRANSIT_MESSAGE, STATUS_VI[status])
                continue
            plan.creates.append(row)
            continue
        diff = _diff(row, stored)
        if "commune_code" in diff and ctx.actor.is_staff:
            ctx.error(
                row.number, "commune_code", "Cán bộ xã không chuyển thiết bị sang xã khác.", row.values["commune_code"]
            )
            continue
        if not diff:
            plan.unchanged += 1
            continue
        if stored["status"] == Status.disposed:
            ctx.error(row.number, None, "Thiết bị đã thanh lý, không thể thay đổi.")
            continue
        if stored["status"] == Status.in_transit or ("status" in diff and status == Status.in_transit):
            ctx.error(row.number, "status", _IN_TRANSIT_MESSAGE, STATUS_VI.get(str(status or stored["status"]), ""))
            continue
        if "status" in diff and (status in _DISPOSAL or stored["status"] in _DISPOSAL):
            ctx.error(
                row.number,
                "status",
                "Thanh lý chỉ qua hồ sơ thanh lý của thiết bị (căn cứ, quyết định của tỉnh), không qua nhập tệp.",
                STATUS_VI.get(str(status), str(status)),
            )
            continue
        plan.updates.append((row, stored, diff))
    return plan


async def _context(actor: Actor, sheet: Sheet) -> Context:
    categories = await Category.select(Category.code, Category.name)
    category_keys: dict[str, str] = {}
    for c in categories:
        category_keys[_key(c["code"])] = c["code"]
        category_keys[_key(c["name"])] = c["code"]
    codes: set[str] = set()
    if "commune_code" in sheet.columns:
        position = sheet.columns["commune_code"][0]
        for _, cells in sheet.rows:
            value = _clean(cells[position]) if position < len(cells) else None
            if value and re.fullmatch(r"\d{1,5}(\.0+)?", value):
                codes.add(value.split(".")[0].zfill(5))
    if actor.commune_code:
        codes.add(actor.commune_code)
    communes: dict[str, int] = {}
    code_list = sorted(codes)
    for start in range(0, len(code_list), _BATCH):
        for r in await Commune.select(Commune.code, Commune.id).where(
            Commune.code.is_in(code_list[start : start + _BATCH])
        ):
            communes[r["code"]] = r["id"]
    return Context(
        actor=actor,
        categories=category_keys,
        category_names={c["code"]: c["name"] for c in categories},
        communes=communes,
        sheet=sheet,
    )


def _parse_rows(ctx: Context, sheet: Sheet, progress: Progress | None) -> list[ParsedRow]:
    parsed: list[ParsedRow] = []
    total = len(sheet.rows)
    for index, (number, cells) in enumerate(sheet.rows, start=1):
        row = _parse_row(ctx, number, cells)
        if row is not None:
            parsed.append(row)
        if progress and (index % 1000 == 0 or index == total):
            progress("check", index, total)
    return parsed


async def _analyse(
    actor: Actor, sheet: Sheet, file_name: str, progress: Progress | None
) -> tuple[ImportReport, Plan, Context]:
    ctx = await _context(actor, sheet)
    if "category" not in sheet.columns:
        ctx.error(None, None, "Thiếu cột bắt buộc 'Loại thiết bị'.")
    if "commune_code" not in sheet.columns and not actor.is_staff:
        ctx.error(None, None, "Thiếu cột bắt buộc 'Mã xã'.")
    parsed: list[ParsedRow] = []
    if not ctx.errors:
        # Checking every row is seconds of Python for a large sheet: off the event loop.
        parsed = await run_heavy(_parse_rows, ctx, sheet, progress)
    plan = await _plan(ctx, parsed) if not ctx.errors or parsed else Plan()
    warnings = list(sheet.warnings)
    anonymous = [p.number for p in plan.creates if not p.tag and not p.values.get("serial")]
    if anonymous:
        shown = ", ".join(str(n) for n in anonymous[:20]) + ("…" if len(anonymous) > 20 else "")
        warnings.append(
            ImportIssue(
                message=(
                    f"{len(anonymous)} dòng không có Mã tài sản lẫn Số serial (dòng {shown}): "
                    "nhập lại tệp này sẽ tạo thêm thiết bị. Nên ghi số serial, hoặc xuất lại danh sách sau khi nhập để có mã."
                )
            )
        )
    errors = sorted(ctx.errors, key=lambda i: (i.row or 0, len(i.cell or ""), i.cell or ""))
    preview = [_preview(row, "create", {}) for row in plan.creates[:PREVIEW_ROWS]]
    preview += [_preview(row, "update", diff, stored) for row, stored, diff in plan.updates[:PREVIEW_ROWS]]
    report = ImportReport(
        file_name=file_name,
        rows=len(sheet.rows),
        create=len(plan.creates),
        update=len(plan.updates),
        unchanged=plan.unchanged,
        error_count=len(errors),
        errors=errors[:MAX_REPORTED_ISSUES],
        warnings=warnings,
        preview=preview,
    )
    return report, plan, ctx


def _preview(row: ParsedRow, action: str, diff: dict, stored: dict | None = None) -> PlannedRow:
    values = {**(stored or {}), **row.values}
    return PlannedRow(
        row=row.number,
        action=action,
        tag=display_tag(values["tag"]) if values.get("tag") else None,
        category=values.get("category", ""),
        commune_code=values.get("commune_code", ""),
        make=values.get("make", ""),
        model=values.get("model", ""),
        serial=values.get("serial"),
        changes=sorted({_FIELD_VI.get(k, k) for k in diff}),
    )


def _require_importer(actor: Actor) -> None:
    actor.require(*REGISTER_WRITERS)


async def dry_run(actor: Actor, content: bytes, file_name: str = "", progress: Progress | None = None) -> ImportReport:
    """What the file would do: every wrong row with its column and reason, and the counts."""
    _require_importer(actor)
    sheet = await read_sheet_off_loop(content, file_name)
    report, _, _ = await _analyse(actor, sheet, file_name, progress)
    return report


async def commit(actor: Actor, content: bytes, file_name: str = "", progress: Progress | None = None) -> ImportReport:
    """All or nothing: checks again inside one write transaction, then writes rows and history."""
    _require_importer(actor)
    sheet = await read_sheet_off_loop(content, file_name)
    async with write_transaction():
        if not is_sqlite():
            # Two importers of the same sheet queue here; the second then sees the first's rows.
            await Asset.raw("SELECT pg_advisory_xact_lock({})", _IMPORT_LOCK_KEY)
        report, plan, ctx = await _analyse(actor, sheet, file_name, progress)
        if not report.ok:
            raise ImportRejected(report)
        await _write(ctx, plan, file_name, progress)
    if len(plan.creates) >= 1000:
        await refresh_statistics("asset")
    report.committed = True
    return report


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


_ASSET_INSERT = [
    "tag",
    "category",
    "commune",
    "make",
    "model",
    "serial",
    "location",
    "location_detail",
    "assigned_to",
    "acquired_on",
    "acquired_year",
    "acquired_effective",
    "cost_vnd",
    "acquisition",
    "status",
    "condition",
    "last_audited_at",
    "antimalware_installed",
    "os_name",
    "os_supported",
    "notes",
    "search_text",
    "created_at",
    "updated_at",
]
_EVENT_INSERT = ["asset", "kind", "actor", "at", "changes", "note"]


async def _write(ctx: Context, plan: Plan, file_name: str, progress: Progress | None) -> None:
    at = now()
    note = f"Nhập từ tệp {file_name}".strip() if file_name else "Nhập từ tệp"
    category_ids = {r["code"]: r["id"] for r in await Category.select(Category.code, Category.id)}
    total = len(plan.creates) + len(plan.updates)
    done = 0

    # Tags for the rows without one, drawn against the stored devices and the sheet's own tags.
    sheet_tags = [{**_DEFAULTS, **row.values}.get("tag") for row in plan.creates]
    fresh_tags = iter(
        await draw_free_tags(sheet_tags.count(None) + sheet_tags.count(""), reserved=[t for t in sheet_tags if t])
    )
    for start in range(0, len(plan.creates), _WRITE_BATCH):
        chunk = plan.creates[start : start + _WRITE_BATCH]
        assets, changes = [], []
        for row in chunk:
            values = {**_DEFAULTS, **row.values}
            values["tag"] = values.get("tag") or next(fresh_tags)
            new_row = device_row(
                {
                    "tag": values["tag"],
                    "category": category_ids[values["category"]],
                    "commune": row.commune_id,
                    "make": values.get("make", ""),
                    "model": values.get("model", ""),
                    "serial": values.get("serial"),
                    "location": values["location"],
                    "location_detail": values.get("location_detail", ""),
                    "assigned_to": values.get("assigned_to", ""),
                    "acquired_on": values.get("acquired_on"),
                    "acquired_year": values.get("acquired_year"),
                    "cost_vnd": values.get("cost_vnd"),
                    "acquisition": values["acquisition"],
                    "status": values["status"],
                    "condition": values["condition"],
                    "last_audited_at": None,
                    "antimalware_installed": values.get("antimalware_installed"),
                    "os_name": values.get("os_name", ""),
                    "os_supported": values.get("os_supported"),
                    "notes": values.get("notes", ""),
                },
                at,
            )
            assets.append(tuple(new_row[name] for name in _ASSET_INSERT))
            changes.append(_json(creation_changes(values)))
        ids = await reserve_ids("asset", len(assets))
        await insert_many("asset", ["id", *_ASSET_INSERT], [(i, *a) for i, a in zip(ids, assets, strict=False)])
        await insert_many(
            "asset_event",
            _EVENT_INSERT,
            [
                (asset_id, "imported", ctx.actor.user_id, at, change, f"{note}, dòng {row.number}")
                for asset_id, change, row in zip(ids, changes, chunk, strict=False)
            ],
        )
        done += len(chunk)
        if progress:
            progress("write", done, total)

    events = []
    for row, stored, diff in plan.updates:
        merged = {**stored, **{k: v["after"] for k, v in diff.items()}}
        columns: dict[Any, Any] = {}
        for name, change in diff.items():
            if name == "category":
                columns[Asset.category] = category_ids[change["after"]]
            elif name == "commune_code":
                columns[Asset.commune] = row.commune_id
            else:
                columns[getattr(Asset, name)] = change["after"]
        if "acquired_on" in diff or "acquired_year" in diff:
            columns[Asset.acquired_effective] = effective_acquired(merged["acquired_on"], merged["acquired_year"])
        columns[Asset.search_text] = search_text(merged)
        columns[Asset.updated_at] = at
        await Asset.update(columns).where(Asset.id == stored["id"])
        events.append(
            AssetEvent(
                asset=stored["id"],
                kind="imported",
                actor=ctx.actor.user_id,
                at=at,
                changes=_json(diff),
                note=f"{note}, dòng {row.number}",
            )
        )
        done += 1
        if progress and done % 500 == 0:
            progress("write", done, total)
    for start in range(0, len(events), _BATCH):
        await AssetEvent.insert(*events[start : start + _BATCH])
    if progress:
        progress("write", total, total)


# --- export and template ----------------------------------------------------------


_EXPORT_COLUMNS = (
    Asset.id,
    Asset.tag,
    Asset.category.name.as_alias("category"),
    Asset.commune.code.as_alias("commune_code"),
    Asset.commune.name.as_alias("commune_name"),
    *_STORED[5:],
)


async def export_rows(actor: Actor, filters: AssetFilter | None = None) -> pl.DataFrame:
    """The register (as the actor sees it) in the template's columns, Vietnamese values,
    ordered by commune code then id.

    Read straight into polars (no Python object per row or value): on SQLite the rows come
    as NDJSON built by SQLite itself, in id ranges on parallel connections
    (:func:`procurement.core.columns.sqlite_ranges`); on PostgreSQL by ``COPY … TO STDOUT``.
    The WHERE clause is the device list's own (:func:`filter_conditions`).
    """
    where = filter_conditions(actor, filters or AssetFilter())
    query = Asset.select(*_EXPORT_COLUMNS)
    if where:
        query = query.where(*where)
    schema = {"id": pl.Int64, **_RAW_SCHEMA}
    if not is_sqlite():
        raw = await read_frame(query.order_by(Asset.commune.code).order_by(Asset.id), schema)
        return await run_heavy(lambda: _named(raw.drop("id")))
    sql, args = query.querystrings[0].compile_string(engine_type="sqlite")
    ranged = ColumnQuery(
        [f'x."{name}"' for name in schema],
        f"({sql}) AS x",
        list(args),
        {name: pl.String if dtype == pl.Date else dtype for name, dtype in schema.items()},
        id_column='x."id"',
    )
    return await run_heavy(_sqlite_export_rows, engine().path, ranged)


def _sqlite_export_rows(path: str, query: ColumnQuery) -> pl.DataFrame:
    # 25,000 ids a range: the NDJSON texts held at once stay a few MB. Sorted as SQLite's
    # ORDER BY commune code, id would (a NULL first).
    raw = sqlite_ranges(path, query, ids_per_part=25_000)
    raw = raw.with_columns(pl.col("acquired_on").str.to_date("%Y-%m-%d")).sort("commune_code", "id", nulls_last=False)
    return _named(raw.drop("id"))


_RAW_SCHEMA = {
    "tag": pl.String,
    "category": pl.String,
    "commune_code": pl.String,
    "commune_name": pl.String,
    "make": pl.String,
    "model": pl.String,
    "serial": pl.String,
    "location": pl.String,
    "location_detail": pl.String,
    "assigned_to": pl.String,
    "acquired_on": pl.Date,
    "acquired_year": pl.Int64,
    "cost_vnd": pl.Int64,
    "acquisition": pl.String,
    "status": pl.String,
    "condition": pl.String,
    "antimalware_installed": pl.Boolean,
    "os_name": pl.String,
    "os_supported": pl.Boolean,
    "notes": pl.String,
}


def _yes_no(column: str) -> pl.Expr:
    c = pl.col(column)
    return pl.when(c).then(pl.lit("Có")).when(~c).then(pl.lit("Không"))


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Stored rows -> the template's columns with Vietnamese values, column-wise in polars.

    ``acquired_on`` is the date when known, ``acquired_year`` the year alone (a
    reused machine): the sheet shows whichever is known in the one "Ngày mua" column.
    """
    raw = pl.DataFrame(rows, schema=_RAW_SCHEMA) if rows else pl.DataFrame(schema=_RAW_SCHEMA)
    return _named(raw)


def _named(raw: pl.DataFrame) -> pl.DataFrame:
    """Stored codes -> Vietnamese names, tags in their display form, Có/Không."""

    def named(column: str, names: dict[str, str]) -> pl.Expr:
        return pl.col(column).replace_strict(names, default=pl.col(column), return_dtype=pl.String)

    return raw.with_columns(
        display_tag_expr(pl.col("tag")).alias("tag"),
        named("location", LOCATION_VI),
        named("acquisition", ACQUISITION_VI),
        named("status", STATUS_VI),
        named("condition", CONDITION_VI),
        _yes_no("antimalware_installed").alias("antimalware_installed"),
        _yes_no("os_supported").alias("os_supported"),
        pl.when(pl.col("acquired_on").is_null()).then(pl.col("acquired_year")).alias("acquired_year"),
    )


def _sheet_columns() -> list[XlsxColumn]:
    """The template's columns for the fast writer: text, except the date and the money."""
    columns = []
    for c in TEMPLATE:
        if c.field == "acquired":
            columns.append(XlsxColumn("acquired_on", c.header, "date", c.width, year_source="acquired_year"))
        elif c.field == "cost_vnd":
            columns.append(XlsxColumn("cost_vnd", c.header, "money", c.width))
        else:
            columns.append(XlsxColumn(c.field, c.header, "text", c.width))
    return columns


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV with BOM (Excel opens it in Vietnamese), dates dd/mm/yyyy, formulas neutralised."""
    out = io.BytesIO()
    write_register_csv(out, frame)
    return out.getvalue()


def write_register_csv(out: IO[bytes], frame: pl.DataFrame) -> None:
    """:func:`csv_bytes` written to the binary stream ``out``."""
    write_table_csv_to(out, _legacy(frame), _sheet_columns(), date_format="%d/%m/%Y")


def _legacy(frame: pl.DataFrame) -> pl.DataFrame:
    """Accept the older frame shape with one ``acquired`` column (a date or a year)."""
    if "acquired" not in frame.columns:
        return frame
    values = frame.get_column("acquired").to_list()
    return frame.drop("acquired").with_columns(
        pl.Series("acquired_on", [v if isinstance(v, dt.date) else None for v in values], pl.Date),
        pl.Series("acquired_year", [v if isinstance(v, int) else None for v in values], pl.Int64),
    )


def register_xlsx(
    frame: pl.DataFrame, category_names: list[str], *, title: str = "Sổ thiết bị CNTT", scope: str | None = None
) -> bytes:
    """The bytes of :func:`write_register_xlsx`'s workbook."""
    out = io.BytesIO()
    write_register_xlsx(out, frame, category_names, title=title, scope=scope)
    return out.getvalue()


def write_register_xlsx(
    out: IO[bytes],
    frame: pl.DataFrame,
    category_names: list[str],
    *,
    title: str = "Sổ thiết bị CNTT",
    scope: str | None = None,
) -> None:
    """The template workbook through the fast writer, written to the binary stream ``out``:
    a title row, the data sheet (frozen header, drop-down lists) and a guide sheet. The
    import reads it back (the header row is found below the title)."""
    lists = {
        "category": category_names,
        "location": list(LOCATION_VI.values()),
        "acquisition": list(ACQUISITION_VI.values()),
        "status": list(STATUS_VI.values()),
        "condition": list(CONDITION_VI.values()),
        "antimalware_installed": ["Có", "Không"],
        "os_supported": ["Có", "Không"],
    }
    fields = [c.field for c in TEMPLATE]

    def decorate(workbook, sheet, first_row: int, last_row: int) -> None:
        bottom = max(last_row, first_row + 1000) + 1000
        for name, allowed in lists.items():
            col = fields.index(name)
            sheet.data_validation(
                first_row,
                col,
                bottom,
                col,
                {
                    "validate": "list",
                    "source": allowed,
                    "error_type": "warning",
                    "error_message": "Giá trị không có trong danh sách của mẫu.",
                },
            )
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        _write_guide(workbook.add_worksheet("Hướng dẫn"), header, lists)

    write_table_xlsx_to(out, _legacy(frame), _sheet_columns(), "Thiết bị", title=title, scope=scope, decorate=decorate)


def write_xlsx(target: str | IO[bytes], frame: pl.DataFrame, category_names: list[str]) -> None:
    """:func:`register_xlsx` written to a path or a binary stream."""
    if isinstance(target, str):
        with open(target, "wb") as out:
            write_register_xlsx(out, frame, category_names)
    else:
        write_register_xlsx(target, frame, category_names)


def _write_guide(guide, header, lists: dict[str, list[str]]) -> None:
    guide.set_column(0, 0, 26)
    guide.set_column(1, 1, 70)
    guide.write_row(0, 0, ["Cột", "Cách ghi"], header)
    for r, column in enumerate(TEMPLATE, start=1):
        guide.write_string(r, 0, column.header)
        guide.write_string(r, 1, column.note)
    r = len(TEMPLATE) + 2
    guide.write_string(r, 0, "Dòng ví dụ (ghi vào trang Thiết bị):", header)
    example = [
        "",
        "Máy tính để bàn",
        "26296",
        "Xã An Viễn",
        "Dell",
        "OptiPlex 3080",
        "CN0ABC123",
        "Văn phòng",
        "Phòng Văn hóa - Xã hội",
        "Nguyễn Văn An",
        "15/03/2019",
        "15.000.000",
        "Mua sắm",
        "Đang sử dụng",
        "Tốt",
        "Có",
        "Windows 10",
        "Có",
        "",
    ]
    for c, column in enumerate(TEMPLATE):
        guide.write_string(r + 1 + c, 0, column.header)
        guide.write_string(r + 1 + c, 1, example[c])
    r = r + 2 + len(TEMPLATE)
    guide.write_string(r, 0, "Giá trị được dùng", header)
    names = {
        "category": "Loại thiết bị",
        "location": "Nơi đặt",
        "acquisition": "Nguồn gốc",
        "status": "Trạng thái",
        "condition": "Tình trạng",
    }
    for offset, (name, label) in enumerate(names.items(), start=1):
        guide.write_string(r + offset, 0, label)
        guide.write_string(r + offset, 1, "; ".join(lists[name]))
    r += len(names) + 2
    rules = [
        "Nhận ra thiết bị đã có: theo Mã tài sản; nếu không có mã thì theo Số serial trong cùng xã.",
        "Ô để trống không xoá giá trị đã lưu. Nhập lại cùng một tệp không tạo thêm thiết bị.",
        "Tệp có một dòng sai thì không dòng nào được nhập: sửa các dòng được báo rồi nhập lại.",
        f"Tối đa {MAX_IMPORT_ROWS:,} dòng và {MAX_IMPORT_BYTES // 1024 // 1024} MB mỗi tệp.".replace(",", "."),
    ]
    for offset, rule in enumerate(rules):
        guide.write_string(r + offset, 0, "Lưu ý" if offset == 0 else "")
        guide.write_string(r + offset, 1, rule)


async def category_names() -> list[str]:
    return [r["name"] for r in await Category.select(Category.name).order_by(Category.id)]


async def template_bytes() -> bytes:
    return register_xlsx(_frame([]), await category_names(), title="Mẫu nhập thiết bị CNTT")


def _export_scope(actor: Actor, filters: AssetFilter) -> str:
    if actor.is_staff and not filters.commune:
        return "xã của người xuất"
    if actor.province_code and not (filters.province or filters.commune):
        return f"tỉnh/thành mã {actor.province_code}"
    return scope_text(filters.province, filters.commune)


async def export_xlsx_bytes(actor: Actor, filters: AssetFilter | None = None) -> bytes:
    with await export_xlsx_file(actor, filters) as file:
        return file.read()


async def export_csv_bytes(actor: Actor, filters: AssetFilter | None = None) -> bytes:
    with await export_csv_file(actor, filters) as file:
        return file.read()


async def export_xlsx_file(actor: Actor, filters: AssetFilter | None = None) -> IO[bytes]:
    """The register export as an XLSX written by a worker to a temporary file (open,
    rewound, nameless on disk: see ``run_heavy_to_file``), for the web layer to stream;
    150,000 devices make a file of about 10 MB that is never held whole in memory."""
    filters = filters or AssetFilter()
    frame = await export_rows(actor, filters)
    names = await category_names()
    return await run_heavy_to_file(write_register_xlsx, frame, names, scope=_export_scope(actor, filters))


async def export_csv_file(actor: Actor, filters: AssetFilter | None = None) -> IO[bytes]:
    """As :func:`export_xlsx_file`, as CSV."""
    return await run_heavy_to_file(write_register_csv, await export_rows(actor, filters))
