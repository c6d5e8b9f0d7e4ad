"""Finance data in from Excel: allocations of one budget line to many communes, and
payments from a treasury statement, as XLSX or CSV.

Both go as the register import does (:mod:`procurement.register.importing`): the same
reader and guards (size, rows, zip bombs; headers matched without diacritics, below a
title), the same report of every wrong row with its row, column and reason in
Vietnamese, and a dry run before an all-or-nothing commit in one write transaction.

Every single-entry rule applies to the whole batch, counted together:

* allocations: the commune exists and belongs to the line's province, once per file,
  a positive whole amount; the file's total fits in what every earlier charge has
  left of the line (:class:`procurement.finance.rules.LineCharges`), else 409 naming
  the limit and the excess, and nothing is written;
* payments: the contract exists (and is one the caller may see), the voucher number
  is not already on the contract nor twice in the file for it, the date is not after
  Vietnam's today nor before the signing, the amount is positive, and each contract's
  rows together stay within what it still owes.

Reading the sheet and checking its rows run off the event loop (``run_heavy``), column
by column in polars: money through :func:`procurement.core.money.parse_vnd` and dates
through the importer's :func:`procurement.register.importing.parse_day`, each distinct
text parsed once. The commit locks what it charges (the line; the contracts) before it
reads the totals again, so two uploads, or an upload and a single entry, queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel

from models.procurement import BudgetLine, Contract, Payment
from models.tables import Commune
from procurement.core.actor import Actor
from procurement.core.clock import now, today_vn
from procurement.core.errors import DomainError, Forbidden, NotFound
from procurement.core.heavy import run_heavy
from procurement.core.idempotency import parse_event_id
from procurement.core.money import MoneyError, format_vnd, parse_vnd
from procurement.core.replay import once
from procurement.core.transactions import (
    insert_many,
    is_sqlite,
    read_frame,
    refresh_statistics,
    write_transaction,
)
from procurement.core.xlsx import NUM_FORMATS, write_xlsx
from procurement.core.xlsx import Column as XlsxColumn
from procurement.finance import budget, rules
from procurement.finance.schemas import LineOut
from procurement.register.importing import (
    MAX_REPORTED_ISSUES,
    CellError,
    ImportIssue,
    column_letter,
    header_key,
    parse_day,
    read_grid_frame,
)
from procurement.register.schemas import MAX_VND

Kind = Literal["allocations", "payments"]

MAX_UPLOAD_ROWS = 100_000  # a province's treasury statement for a year fits in one file
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 200
MAX_NOTE = 2000
MAX_VOUCHER = 60  # payment.voucher_number
_HEADER_SEARCH_ROWS = 20
_UPLOAD_LOCK_KEY = 7_204_118  # PostgreSQL advisory lock id shared by finance uploads


# --- the columns ------------------------------------------------------------------


@dataclass(frozen=True)
class UploadColumn:
    field: str
    header: str
    note: str
    aliases: tuple[str, ...] = ()
    kind: Literal["text", "money", "date"] = "text"
    width: int = 16


ALLOCATION_COLUMNS: tuple[UploadColumn, ...] = (
    UploadColumn(
        "commune_code",
        "Mã xã",
        "Bắt buộc. Mã xã/phường 5 chữ số (vd 26296), thuộc tỉnh của dòng ngân sách; mỗi xã một dòng.",
        ("ma xa phuong", "ma don vi", "commune code", "commune_code"),
        width=9,
    ),
    UploadColumn(
        "commune_name", "Tên xã", "Chỉ để đọc; khi tải lên, hệ thống dùng Mã xã.", ("ten xa phuong",), width=24
    ),
    UploadColumn(
        "amount_vnd",
        "Số tiền (đồng)",
        "Số nguyên đồng (vd 150.000.000). Để trống cả Số tiền và Ghi chú: xã không được phân bổ, dòng bị bỏ qua.",
        ("so tien", "so tien phan bo", "kinh phi", "du toan", "amount", "amount vnd", "amount_vnd"),
        kind="money",
    ),
    UploadColumn("note", "Ghi chú", "", ("note", "notes", "ghi chu"), width=30),
)

PAYMENT_COLUMNS: tuple[UploadColumn, ...] = (
    UploadColumn(
        "contract_number",
        "Số hợp đồng",
        "Bắt buộc. Số hợp đồng đúng như đã ghi (vd 12/2025/HĐ-MS).",
        ("so hd", "hop dong", "contract", "contract number", "contract_number"),
        width=20,
    ),
    UploadColumn(
        "voucher_number",
        "Số chứng từ",
        "Bắt buộc. Số chứng từ Kho bạc; mỗi số chỉ một lần cho một hợp đồng.",
        ("so chung tu kho bac", "chung tu", "so ct", "voucher", "voucher number", "voucher_number"),
        width=16,
    ),
    UploadColumn(
        "paid_on",
        "Ngày thanh toán",
        "Bắt buộc. dd/mm/yyyy; không sau hôm nay, không trước ngày ký hợp đồng.",
        ("ngay chi", "ngay thanh toan", "ngay", "paid on", "paid_on"),
        kind="date",
        width=12,
    ),
    UploadColumn(
        "amount_vnd",
        "Số tiền (đồng)",
        "Bắt buộc. Số nguyên đồng (vd 40.000.000); các dòng của một hợp đồng cộng lại không quá số còn phải trả.",
        ("so tien", "so tien thanh toan", "amount", "amount vnd", "amount_vnd"),
        kind="money",
    ),
    UploadColumn("note", "Ghi chú", "", ("note", "notes", "ghi chu"), width=30),
)

COLUMNS: dict[str, tuple[UploadColumn, ...]] = {"allocations": ALLOCATION_COLUMNS, "payments": PAYMENT_COLUMNS}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "allocations": ("commune_code", "amount_vnd"),
    "payments": ("contract_number", "voucher_number", "paid_on", "amount_vnd"),
}
_KIND_VI = {"allocations": "phân bổ", "payments": "thanh toán"}


def _header_keys(columns: tuple[UploadColumn, ...]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for column in columns:
        for alias in (column.header, column.field, *column.aliases):
            keys.setdefault(header_key(alias), column.field)
    return keys


_KEYS = {kind: _header_keys(columns) for kind, columns in COLUMNS.items()}


# --- the report --------------------------------------------------------------------


class UploadLimit(BaseModel):
    """The batch over a ceiling: which one, what is left, what the file asks, by how much."""

    limit: str
    limit_vnd: int
    requested_vnd: int
    over_by_vnd: int
    message: str


class UploadRow(BaseModel):
    """A row that will be (or was) written."""

    row: int
    target: str  # "26296 Xã An Viễn" or the contract's number
    amount_vnd: int
    paid_on: dt.date | None = None
    voucher_number: str | None = None
    note: str = ""


class UploadReport(BaseModel):
    kind: Kind
    file_name: str
    line_id: int | None = None
    rows: int = 0
    valid: int = 0
    skipped: int = 0
    total_vnd: int = 0
    targets: int = 0  # communes or contracts the file touches
    error_count: int = 0
    errors: list[ImportIssue] = []
    warnings: list[ImportIssue] = []
    limit: UploadLimit | None = None
    preview: list[UploadRow] = []
    committed: bool = False
    written: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.limit is None and self.valid > 0


class UploadRejected(DomainError):
    """The commit found wrong rows: nothing was written; ``report`` says where."""

    def __init__(self, report: UploadReport):
        super().__init__(
            f"Tệp có {report.error_count} lỗi; chưa ghi dòng nào. Sửa các dòng được liệt kê rồi tải lên lại."
            if report.error_count
            else "Tệp không có dòng nào để ghi.",
            field="file",
            code="rows_invalid" if report.error_count else "no_rows",
        )
        self.report = report

    @property
    def items(self) -> list[dict[str, Any]]:
        if not self.report.errors:
            return [{"key": "file", "message": self.message, "code": self.code}]
        return [
            {
                "key": f"row {i.row}: {i.column}" if i.row else (i.column or "file"),
                "message": i.describe(),
                "code": "invalid_row",
            }
            for i in self.report.errors
        ]


class _Fingerprint(BaseModel):
    """What makes two commits the same request: the kind, the line and the file's bytes."""

    kind: str
    line_id: int | None
    sha256: str
    file_name: str


# --- reading the sheet (pure, in a worker thread) -------------------------------------------


@dataclass
class Table:
    """The sheet's known columns as text (stripped, empty = null), with each row's number in the file."""

    kind: Kind
    frame: pl.DataFrame  # "row" plus one String column per field of the kind
    columns: dict[str, tuple[int, str]]  # field -> (position, header as written)
    warnings: list[ImportIssue] = field(default_factory=list)


def read_table(kind: Kind, content: bytes, file_name: str = "") -> Table:
    """The file's rows under its header row (found in the first 20 rows, without diacritics or case)."""
    grid = read_grid_frame(content, file_name, max_rows=MAX_UPLOAD_ROWS, max_bytes=MAX_UPLOAD_BYTES)
    grid = grid.rename({name: f"c{i}" for i, name in enumerate(grid.columns)})
    keys = _KEYS[kind]
    header_index = None
    for index, row in enumerate(grid.head(_HEADER_SEARCH_ROWS).iter_rows()):
        if len({keys.get(header_key(c)) for c in row if c and c.strip()} - {None}) >= 2:
            header_index = index
            break
    if header_index is None:
        raise DomainError(
            "Không tìm thấy dòng tiêu đề. Dòng tiêu đề cần có các cột: "
            + ", ".join(c.header for c in COLUMNS[kind] if c.field != "commune_name")
            + ". Hãy dùng tệp mẫu.",
            field="file",
            code="no_header",
        )
    columns: dict[str, tuple[int, str]] = {}
    warnings: list[ImportIssue] = []
    for position, cell in enumerate(grid.row(header_index)):
        header = (cell or "").strip()
        if not header:
            continue
        name = keys.get(header_key(header))
        if name is None:
            warnings.append(
                ImportIssue(
                    column=header,
                    cell=f"{column_letter(position)}{header_index + 1}",
                    message="Cột không có trong mẫu, bị bỏ qua.",
                )
            )
        elif name in columns:
            raise DomainError(
                f"Cột '{header}' trùng với cột '{columns[name][1]}'. Mỗi cột chỉ được có một lần.",
                field="file",
                code="duplicate_column",
            )
        else:
            columns[name] = (position, header)
    missing = [c.header for c in COLUMNS[kind] if c.field in _REQUIRED[kind] and c.field not in columns]
    if missing:
        raise DomainError(f"Thiếu cột bắt buộc: {', '.join(missing)}.", field="file", code="missing_column")
    body = grid.slice(header_index + 1).with_row_index("row", offset=header_index + 2)

    def text(position: int, normalize: bool = False) -> pl.Expr:
        cell = pl.col(f"c{position}")
        if normalize:  # Vietnamese in NFC, as every stored text (procurement.core.text.nfc), column-wise
            cell = cell.str.normalize("NFC")
        cell = cell.str.strip_chars()
        return pl.when(cell.str.len_chars() > 0).then(cell)

    body = body.filter(pl.any_horizontal(text(i).is_not_null() for i in range(grid.width)))
    if body.height > MAX_UPLOAD_ROWS:
        raise DomainError(
            f"Tệp có {body.height:,} dòng; mỗi lần tải lên tối đa {MAX_UPLOAD_ROWS:,} dòng. "
            "Hãy chia thành nhiều tệp.".replace(",", "."),
            field="file",
            code="too_large",
        )
    frame = body.select(
        pl.col("row").cast(pl.Int64),
        *(
            (text(columns[c.field][0], c.kind == "text") if c.field in columns else pl.lit(None, pl.String)).alias(
                c.field
            )
            for c in COLUMNS[kind]
        ),
    )
    return Table(kind=kind, frame=frame, columns=columns, warnings=warnings)


# --- checking cells and rows (pure, column-wise) ---------------------------------------------


_ERROR_SCHEMA = {"row": pl.Int64, "field": pl.String, "value": pl.String, "message": pl.String}


class _Errors:
    """Row errors gathered as frames (row, field, value, message), one per check."""

    def __init__(self) -> None:
        self.parts: list[pl.DataFrame] = []

    def add(self, frame: pl.DataFrame, where: pl.Expr, field_name: str, message: pl.Expr | str) -> None:
        found = frame.filter(where).select(
            pl.col("row"),
            pl.lit(field_name).alias("field"),
            pl.col(field_name).cast(pl.String).alias("value")
            if field_name in frame.columns
            else pl.lit(None, pl.String),
            (pl.lit(message) if isinstance(message, str) else message).cast(pl.String).alias("message"),
        )
        if found.height:
            self.parts.append(found.select(pl.col(k).cast(v) for k, v in _ERROR_SCHEMA.items()))

    def add_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.parts.append(pl.DataFrame(rows, schema=_ERROR_SCHEMA, orient="row"))

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=_ERROR_SCHEMA)
        return pl.concat(self.parts).sort("row", "field")

    def rows_with_errors(self) -> pl.Series:
        return self.frame().get_column("row").unique()


def _parsed(
    series: pl.Series, parse: Callable[[str], Any], error: type[Exception], dtype, known: pl.Series | None = None
) -> pl.DataFrame:
    """Each distinct text parsed once: (value, error message) columns beside the series.
    ``known``: values already read column-wise (null where ``parse`` must read the text)."""
    ok: dict[str, Any] = {}
    bad: dict[str, str] = {}
    left = series if known is None else series.filter(known.is_null())
    for text in left.drop_nulls().unique().to_list():
        try:
            ok[text] = parse(text)
        except error as problem:
            bad[text] = str(problem)
    value = (
        series.replace_strict(ok, default=None, return_dtype=dtype)
        if ok
        else pl.Series([None] * len(series), dtype=dtype)
    )
    return pl.DataFrame(
        {
            "value": value if known is None else known.fill_null(value),
            "error": series.replace_strict(bad, default=None, return_dtype=pl.String)
            if bad
            else pl.Series([None] * len(series), dtype=pl.String),
        }
    )


def _vnd(text: str) -> int:
    amount = parse_vnd(text)
    if amount > MAX_VND:
        raise MoneyError(f"Số tiền quá lớn: tối đa {format_vnd(MAX_VND)}.")
    return amount


def _money(frame: pl.DataFrame, errors: _Errors, required: bool) -> pl.DataFrame:
    # A cell of digits alone (what a number cell of Excel gives) is that whole number of dong, as
    # parse_vnd reads it; read column-wise. Every other text goes through parse_vnd itself.
    digits = frame["amount_vnd"].str.extract(r"^(\d{1,18})$").str.to_integer(strict=False)
    parsed = _parsed(frame["amount_vnd"], _vnd, MoneyError, pl.Int64, known=digits)
    frame = frame.with_columns(parsed["value"].alias("amount"), parsed["error"].alias("_money_error"))
    if required:
        errors.add(frame, pl.col("amount_vnd").is_null(), "amount_vnd", "Thiếu số tiền.")
    errors.add(frame, pl.col("_money_error").is_not_null(), "amount_vnd", pl.col("_money_error"))
    errors.add(frame, pl.col("amount") == 0, "amount_vnd", "Số tiền phải lớn hơn 0.")
    errors.add(
        frame,
        pl.col("amount") > MAX_VND,
        "amount_vnd",
        f"Số tiền quá lớn: tối đa {format_vnd(MAX_VND)}.",
    )
    errors.add(
        frame,
        pl.col("note").str.len_chars() > MAX_NOTE,
        "note",
        f"Ghi chú quá dài: tối đa {MAX_NOTE:,} ký tự.".replace(",", "."),
    )
    return frame.drop("_money_error")


def _first_row(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The row where each key first appears in the file."""
    return frame.with_columns(pl.col("row").min().over(keys).alias("first_row"))


@dataclass
class Checked:
    """What the checks found: ``rows`` ready to write (rows without error), the row errors."""

    rows: pl.DataFrame
    errors: pl.DataFrame
    skipped: int = 0


def check_allocations(table: Table, communes: pl.DataFrame, province_code: str) -> Checked:
    """Allocation rows against the communes (code, commune_id, name, province_code)."""
    errors = _Errors()
    frame = table.frame
    # The template lists every commune: a row with neither amount nor note is a commune left out.
    blank = pl.col("amount_vnd").is_null() & pl.col("note").is_null()
    skipped = frame.filter(blank & pl.col("commune_code").is_not_null()).height
    frame = frame.filter(~blank | pl.col("commune_code").is_null())
    code = pl.col("commune_code")
    frame = frame.with_columns(
        pl.when(code.str.contains(r"^\d{1,5}(\.0+)?$"))
        .then(code.str.split(".").list.first().str.zfill(5))
        .otherwise(code)
        .alias("code")
    )
    frame = frame.join(communes, on="code", how="left")
    errors.add(frame, code.is_null(), "commune_code", "Thiếu mã xã.")
    errors.add(
        frame,
        code.is_not_null() & pl.col("commune_id").is_null(),
        "commune_code",
        pl.format("Không có xã/phường mã {}.", pl.col("code")),
    )
    errors.add(
        frame,
        pl.col("commune_id").is_not_null() & (pl.col("province_code") != province_code),
        "commune_code",
        pl.format("Xã/phường {} ({}) không thuộc tỉnh của dòng ngân sách.", pl.col("code"), pl.col("name")),
    )
    frame = _first_row(frame, ["code"])
    errors.add(
        frame,
        pl.col("code").is_not_null() & (pl.col("row") != pl.col("first_row")),
        "commune_code",
        pl.format("Mã xã {} trùng với dòng {}: mỗi xã một dòng.", pl.col("code"), pl.col("first_row")),
    )
    frame = _money(frame, errors, required=True)
    found = errors.frame()
    good = frame.filter(~pl.col("row").is_in(found.get_column("row").unique().implode()))
    rows = good.select(
        "row",
        "commune_id",
        pl.format("{} {}", pl.col("code"), pl.col("name")).alias("target"),
        "amount",
        pl.col("note").fill_null(""),
    )
    return Checked(rows=rows, errors=found, skipped=skipped)


def check_payments(
    table: Table,
    contracts: pl.DataFrame,
    paid: pl.DataFrame,
    vouchers: pl.DataFrame,
    today: dt.date,
    on_line: bool,
) -> Checked:
    """Payment rows against the contracts the caller may see (contract_id, number, line_id,
    allocation_id, signed_on, value_vnd), what each has paid (contract_id, paid_vnd) and
    the vouchers already recorded (contract_id, voucher_number, payment_id, payment_on, payment_vnd)."""
    errors = _Errors()
    frame = table.frame
    matches = contracts.group_by("number").agg(pl.len().alias("matches"))
    frame = frame.join(matches, left_on="contract_number", right_on="number", how="left")
    where = " trên dòng ngân sách đã chọn" if on_line else ""
    errors.add(frame, pl.col("contract_number").is_null(), "contract_number", "Thiếu số hợp đồng.")
    errors.add(
        frame,
        pl.col("contract_number").is_not_null() & pl.col("matches").is_null(),
        "contract_number",
        pl.format("Không có hợp đồng số {}" + where + ".", pl.col("contract_number")),
    )
    errors.add(
        frame,
        pl.col("matches") > 1,
        "contract_number",
        pl.format(
            "Số hợp đồng {} có ở {} hợp đồng: hãy chọn dòng ngân sách khi tải lên.",
            pl.col("contract_number"),
            pl.col("matches"),
        ),
    )
    single = contracts.join(matches.filter(pl.col("matches") == 1), on="number", how="semi")
    frame = frame.join(single, left_on="contract_number", right_on="number", how="left")

    errors.add(frame, pl.col("voucher_number").is_null(), "voucher_number", "Thiếu số chứng từ.")
    errors.add(
        frame,
        pl.col("voucher_number").str.len_chars() > MAX_VOUCHER,
        "voucher_number",
        f"Số chứng từ quá dài: tối đa {MAX_VOUCHER} ký tự.",
    )
    frame = _first_row(frame, ["contract_id", "voucher_number"])
    errors.add(
        frame,
        pl.col("contract_id").is_not_null()
        & pl.col("voucher_number").is_not_null()
        & (pl.col("row") != pl.col("first_row")),
        "voucher_number",
        pl.format("Số chứng từ {} trùng với dòng {} (cùng hợp đồng).", pl.col("voucher_number"), pl.col("first_row")),
    )
    earlier = vouchers.sort("payment_id").unique(["contract_id", "voucher_number"], keep="first")
    frame = frame.join(earlier, on=["contract_id", "voucher_number"], how="left")
    recorded = frame.filter(pl.col("payment_id").is_not_null())
    errors.add_rows(
        [
            (
                r["row"],
                "voucher_number",
                r["voucher_number"],
                f"Số chứng từ {r['voucher_number']} đã ghi cho hợp đồng này: thanh toán số {r['payment_id']} "
                f"ngày {r['payment_on']:%d/%m/%Y}, {format_vnd(r['payment_vnd'])}.",
            )
            for r in recorded.iter_rows(named=True)
        ]
    )

    days = _parsed(frame["paid_on"], parse_day, CellError, pl.Date)
    frame = frame.with_columns(days["value"].alias("day"), days["error"].alias("_day_error"))
    errors.add(frame, pl.col("paid_on").is_null(), "paid_on", "Thiếu ngày thanh toán.")
    errors.add(frame, pl.col("_day_error").is_not_null(), "paid_on", pl.col("_day_error"))
    wrong_day = frame.filter((pl.col("day") > today) | (pl.col("day") < pl.col("signed_on")))
    found_days = []
    for r in wrong_day.iter_rows(named=True):  # the single entry's own rules say why
        try:
            rules.check_payment_date(r["day"], today)
            rules.check_payment_after_signing(r["day"], r["signed_on"])
        except rules.RuleViolation as violation:
            found_days.append(
                (r["row"], "paid_on", r["paid_on"], violation.message[:1].upper() + violation.message[1:] + ".")
            )
    errors.add_rows(found_days)
    frame = _money(frame, errors, required=True)

    # Each contract's rows together stay within what it still owes (rows already wrong left out).
    wrong = errors.frame().get_column("row").unique().implode()
    candidates = (
        frame.filter(~pl.col("row").is_in(wrong) & pl.col("contract_id").is_not_null())
        .join(paid, on="contract_id", how="left")
        .with_columns(pl.col("paid_vnd").fill_null(0))
        .sort("row")
        .with_columns(
            pl.col("amount").cum_sum().over("contract_id").alias("running"),
            pl.col("amount").sum().over("contract_id").alias("file_total"),
            pl.len().over("contract_id").alias("file_rows"),
        )
    )
    over = (
        candidates.filter(pl.col("running") > pl.col("value_vnd") - pl.col("paid_vnd"))
        .sort("row")
        .unique("contract_id", keep="first")
    )
    found_over = []
    for r in over.iter_rows(named=True):
        try:
            rules.check_within("contract_unpaid", r["value_vnd"], r["paid_vnd"], r["file_total"])
        except rules.LimitExceeded as exceeded:
            found_over.append(
                (
                    r["row"],
                    "amount_vnd",
                    format_vnd(r["amount"]),
                    f"Hợp đồng {r['contract_number']}: {r['file_rows']} dòng của tệp cộng {format_vnd(r['file_total'])}. "
                    + exceeded.message_vi,
                )
            )
    errors.add_rows(found_over)
    found = errors.frame()
    good = frame.filter(~pl.col("row").is_in(found.get_column("row").unique().implode()))
    rows = good.select(
        "row",
        "contract_id",
        "line_id",
        "allocation_id",
        pl.col("contract_number").alias("target"),
        "amount",
        "day",
        "voucher_number",
        pl.col("note").fill_null(""),
    )
    return Checked(rows=rows, errors=found)


def _issues(table: Table, errors: pl.DataFrame) -> list[ImportIssue]:
    headers = {c.field: c.header for c in COLUMNS[table.kind]}
    issues = []
    for r in errors.head(MAX_REPORTED_ISSUES).iter_rows(named=True):
        position = table.columns.get(r["field"])
        issues.append(
            ImportIssue(
                row=r["row"],
                column=position[1] if position else headers.get(r["field"], r["field"]),
                cell=f"{column_letter(position[0])}{r['row']}" if position else None,
                value=r["value"],
                message=r["message"],
            )
        )
    return issues


def _report(table: Table, checked: Checked, file_name: str, line_id: int | None) -> UploadReport:
    rows = checked.rows
    preview = [
        UploadRow(
            row=r["row"],
            target=r["target"],
            amount_vnd=r["amount"],
            paid_on=r.get("day"),
            voucher_number=r.get("voucher_number"),
            note=r["note"],
        )
        for r in rows.head(PREVIEW_ROWS).iter_rows(named=True)
    ]
    target = "commune_id" if table.kind == "allocations" else "contract_id"
    warnings = list(table.warnings)
    if checked.skipped:
        warnings.append(
            ImportIssue(message=f"{checked.skipped} xã không ghi số tiền lẫn ghi chú: không phân bổ, bỏ qua.")
        )
    return UploadReport(
        kind=table.kind,
        file_name=file_name,
        line_id=line_id,
        rows=table.frame.height,
        valid=rows.height,
        skipped=checked.skipped,
        total_vnd=int(rows["amount"].sum() or 0),
        targets=rows[target].n_unique(),
        error_count=checked.errors.height,
        errors=_issues(table, checked.errors),
        warnings=warnings,
        preview=preview,
    )


# --- reading the database ---------------------------------------------------------------


def _require(actor: Actor) -> None:
    actor.require(*budget.FINANCE_WRITERS)


async def _communes() -> pl.DataFrame:
    query = Commune.select(
        Commune.code, Commune.id.as_alias("commune_id"), Commune.name, Commune.province.code.as_alias("province_code")
    )
    return await read_frame(
        query, {"code": pl.String, "commune_id": pl.Int64, "name": pl.String, "province_code": pl.String}
    )


_CONTRACT_SCHEMA = {
    "contract_id": pl.Int64,
    "number": pl.String,
    "line_id": pl.Int64,
    "allocation_id": pl.Int64,
    "signed_on": pl.Date,
    "value_vnd": pl.Int64,
}


async def _contracts(actor: Actor, numbers: pl.Series, line_id: int | None) -> pl.DataFrame:
    """The contracts named in the file that the caller may see (each line read through
    :func:`procurement.finance.budget.get_line`, the finance access path)."""
    query = Contract.select(
        Contract.id.as_alias("contract_id"),
        Contract.number,
        Contract.line.as_alias("line_id"),
        Contract.allocation.as_alias("allocation_id"),
        Contract.signed_on,
        Contract.value_vnd,
    )
    if line_id is not None:
        query = query.where(Contract.line == line_id)
    frame = await read_frame(query, _CONTRACT_SCHEMA)
    frame = frame.filter(pl.col("number").is_in(numbers.drop_nulls().unique().implode()))
    visible = []
    for line in frame.get_column("line_id").unique().to_list():
        try:
            await budget.get_line(actor, line)
            visible.append(line)
        except (NotFound, Forbidden):  # another province's line: its contracts are not found
            pass
    return frame.filter(pl.col("line_id").is_in(visible))


async def _paid_and_vouchers(line_id: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Net paid per contract (every row: the ceilings count them all) and the vouchers on record."""
    where = [Payment.contract.is_not_null()]
    if line_id is not None:
        where.append(Payment.line == line_id)
    rows = await read_frame(
        Payment.select(
            Payment.contract.as_alias("contract_id"),
            Payment.voucher_number,
            Payment.id.as_alias("payment_id"),
            Payment.paid_on.as_alias("payment_on"),
            Payment.amount_vnd.as_alias("payment_vnd"),
        ).where(*where),
        {
            "contract_id": pl.Int64,
            "voucher_number": pl.String,
            "payment_id": pl.Int64,
            "payment_on": pl.Date,
            "payment_vnd": pl.Int64,
        },
    )
    paid = rows.group_by("contract_id").agg(pl.col("payment_vnd").sum().alias("paid_vnd"))
    return paid, rows


async def _lock_contracts(ids: list[int]) -> None:
    """PostgreSQL: the contracts' rows locked (in id order, so two uploads never deadlock), as a
    single payment locks its contract. SQLite's BEGIN IMMEDIATE already made this the only writer."""
    if ids and not is_sqlite():
        await Contract.raw("SELECT id FROM contract WHERE id = ANY({}) ORDER BY id FOR UPDATE", sorted(ids))


# --- use cases ----------------------------------------------------------------------------


async def _line_province(actor: Actor, line_id: int) -> tuple[LineOut, str]:
    """The line through the finance access path, and its province's code."""
    line = await budget.get_line(actor, line_id)
    return line, str(line.province_code)


def _limit(error: rules.LimitExceeded) -> UploadLimit:
    return UploadLimit(
        limit=error.limit,
        limit_vnd=error.limit_vnd,
        requested_vnd=error.requested_vnd,
        over_by_vnd=error.over_by_vnd,
        message=error.message_vi,
    )


async def _analyse_allocations(
    actor: Actor, line_id: int, table: Table, file_name: str
) -> tuple[UploadReport, Checked]:
    line, province_code = await _line_province(actor, line_id)
    communes = await _communes()
    checked = await run_heavy(check_allocations, table, communes, province_code)
    report = await run_heavy(_report, table, checked, file_name, line_id)
    if report.total_vnd > 0:
        try:  # the whole file against what every earlier charge has left of the line
            rules.check_line_charge(line.amount_vnd, await budget._line_charges(line_id), report.total_vnd)
        except rules.LimitExceeded as exceeded:
            report.limit = _limit(exceeded)
    return report, checked


async def _analyse_payments(
    actor: Actor, line_id: int | None, table: Table, file_name: str, lock: bool = False
) -> tuple[UploadReport, Checked]:
    if line_id is not None:
        await budget.get_line(actor, line_id)
    contracts = await _contracts(actor, table.frame["contract_number"], line_id)
    if lock:
        await _lock_contracts(contracts["contract_id"].to_list())
    paid, vouchers = await _paid_and_vouchers(line_id)
    checked = await run_heavy(check_payments, table, contracts, paid, vouchers, today_vn(), line_id is not None)
    return await run_heavy(_report, table, checked, file_name, line_id), checked


async def dry_run(
    actor: Actor, kind: Kind, content: bytes, file_name: str = "", line_id: int | None = None
) -> UploadReport:
    """What the file would write: every wrong row (row, column, reason), the batch against its
    ceilings, and the rows that would be written. Nothing is written."""
    _require(actor)
    if kind == "allocations" and line_id is None:
        raise DomainError("Chọn dòng ngân sách để phân bổ.", field="line_id", code="required")
    table = await run_heavy(read_table, kind, content, file_name)
    if kind == "allocations":
        report, _ = await _analyse_allocations(actor, line_id or 0, table, file_name)
    else:
        report, _ = await _analyse_payments(actor, line_id, table, file_name)
    return report


async def commit(
    actor: Actor,
    kind: Kind,
    content: bytes,
    file_name: str = "",
    line_id: int | None = None,
    client_event_id: str | None = None,
) -> UploadReport:
    """Every row in one transaction, or none: wrong rows answer 422 with each of them, a batch
    over a ceiling 409 naming the limit and the excess. With a client event id, a resend of
    the same file is answered as the first time and writes nothing."""
    _require(actor)
    if kind == "allocations" and line_id is None:
        raise DomainError("Chọn dòng ngân sách để phân bổ.", field="line_id", code="required")
    if client_event_id:
        try:
            client_event_id = parse_event_id(client_event_id)
        except ValueError as error:
            raise DomainError(str(error), field="client_event_id", code="invalid") from None
    table = await run_heavy(read_table, kind, content, file_name)
    body = _Fingerprint(kind=kind, line_id=line_id, sha256=hashlib.sha256(content).hexdigest(), file_name=file_name)
    write = _commit_allocations if kind == "allocations" else _commit_payments
    return await once(
        client_event_id,
        action=f"finance.upload.{kind}",
        target=f"line:{line_id}" if line_id else "",
        body=body,
        out=UploadReport,
        actor=actor,
        run=lambda: write(actor, line_id, table, file_name),
    )


def _note(file_name: str) -> pl.Expr:
    """Each written row's note ends with where it came from: the file and its row."""
    source = (
        pl.format("Tải lên từ tệp {}, dòng {}", pl.lit(file_name), pl.col("row"))
        if file_name
        else pl.format("Tải lên từ tệp, dòng {}", pl.col("row"))
    )
    return pl.when(pl.col("note") != "").then(pl.format("{} ({})", pl.col("note"), source)).otherwise(source)


def _records(frame: pl.DataFrame, sqlite: bool) -> list[tuple]:
    """Rows to insert, built column-wise; SQLite gets dates as the ISO text Piccolo stores."""
    if sqlite:
        frame = frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date)
    return frame.rows()


async def _write(table: str, frame: pl.DataFrame, created_at: dt.datetime) -> None:
    """``frame`` (columns named as the table's) inserted in bulk; the ids come from the table's
    own sequence (nothing reads them back)."""
    frame = frame.with_columns(pl.lit(created_at).alias("created_at"))
    await insert_many(table, frame.columns, await run_heavy(_records, frame, is_sqlite()))


async def _commit_allocations(actor: Actor, line_id: int | None, table: Table, file_name: str) -> UploadReport:
    assert line_id is not None
    async with write_transaction():
        locked = await budget._locked(BudgetLine, line_id, "dòng ngân sách", "line_id", actor=actor)
        report, checked = await _analyse_allocations(actor, line_id, table, file_name)
        if report.error_count or not report.valid:
            raise UploadRejected(report)
        rules.check_line_charge(locked["amount_vnd"], await budget._line_charges(line_id), report.total_vnd)
        rows = checked.rows.select(
            pl.lit(line_id, pl.Int64).alias("line"),
            pl.col("commune_id").alias("commune"),
            pl.col("amount").alias("amount_vnd"),
            _note(file_name).alias("note"),
            pl.lit(actor.user_id or None, pl.Int64).alias("created_by"),
        )
        await _write("allocation", rows, now())
    if rows.height >= 1000:
        await refresh_statistics("allocation")
    report.committed = True
    report.written = rows.height
    return report


async def _commit_payments(actor: Actor, line_id: int | None, table: Table, file_name: str) -> UploadReport:
    async with write_transaction():
        if not is_sqlite():  # uploads queue among themselves; single payments lock their contract
            await Payment.raw("SELECT pg_advisory_xact_lock({})", _UPLOAD_LOCK_KEY)
        report, checked = await _analyse_payments(actor, line_id, table, file_name, lock=True)
        if report.error_count or not report.valid:
            raise UploadRejected(report)
        rows = checked.rows.select(
            pl.col("line_id").alias("line"),
            pl.col("allocation_id").alias("allocation"),
            pl.col("contract_id").alias("contract"),
            pl.col("amount").alias("amount_vnd"),
            pl.col("day").alias("paid_on"),
            "voucher_number",
            pl.lit(None, pl.Int64).alias("reverses_payment"),
            _note(file_name).alias("note"),
            pl.lit(actor.user_id or None, pl.Int64).alias("actor"),
        )
        await _write("payment", rows, now())
    if rows.height >= 1000:
        await refresh_statistics("payment")
    report.committed = True
    report.written = rows.height
    return report


# --- templates -------------------------------------------------------------------------------


def _template_columns(kind: Kind) -> list[XlsxColumn]:
    return [XlsxColumn(c.field, c.header, c.kind, c.width) for c in COLUMNS[kind]]


def _guide(kind: Kind) -> Callable:
    def decorate(workbook, sheet, first_row: int, last_row: int) -> None:
        # Cells still to fill in carry their column's format (money, date).
        for position, column in enumerate(COLUMNS[kind]):
            if NUM_FORMATS[column.kind]:
                sheet.set_column(
                    position, position, column.width, workbook.add_format({"num_format": NUM_FORMATS[column.kind]})
                )
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        guide = workbook.add_worksheet("Hướng dẫn")
        guide.set_column(0, 0, 22)
        guide.set_column(1, 1, 90)
        guide.write_row(0, 0, ["Cột", "Cách ghi"], header)
        for r, column in enumerate(COLUMNS[kind], start=1):
            guide.write_string(r, 0, column.header)
            guide.write_string(r, 1, column.note)
        notes = [
            "Tải lên trên trang Tải lên dữ liệu tài chính: hệ thống kiểm tra trước, chưa ghi gì.",
            "Tệp có một dòng sai thì không dòng nào được ghi: sửa các dòng được báo rồi tải lên lại.",
            f"Tối đa {MAX_UPLOAD_ROWS:,} dòng và {MAX_UPLOAD_BYTES // 1024 // 1024} MB mỗi tệp.".replace(",", "."),
        ]
        for offset, note in enumerate(notes, start=len(COLUMNS[kind]) + 2):
            guide.write_string(offset, 0, "Lưu ý" if offset == len(COLUMNS[kind]) + 2 else "")
            guide.write_string(offset, 1, note)

    return decorate


def _template_xlsx(kind: Kind, frame: pl.DataFrame, title: str, scope: str | None) -> bytes:
    return write_xlsx(frame, _template_columns(kind), "Dữ liệu", title=title, scope=scope, decorate=_guide(kind))


async def allocation_template(actor: Actor, line_id: int) -> bytes:
    """The allocation sheet of a line: one row per commune of its province, amounts to fill in."""
    _require(actor)
    line, province_code = await _line_province(actor, line_id)
    communes = (await _communes()).filter(pl.col("province_code") == province_code).sort("code")
    frame = communes.select(
        pl.col("code").alias("commune_code"),
        pl.col("name").alias("commune_name"),
        pl.lit(None, pl.Int64).alias("amount_vnd"),
        pl.lit(None, pl.String).alias("note"),
    )
    return await run_heavy(
        _template_xlsx, "allocations", frame, "Mẫu phân bổ dự toán cho xã/phường", f"dòng {line.number}"
    )


async def payment_template(actor: Actor) -> bytes:
    """The payment sheet: the treasury statement's columns, no rows."""
    _require(actor)
    frame = pl.DataFrame(
        schema={
            "contract_number": pl.String,
            "voucher_number": pl.String,
            "paid_on": pl.Date,
            "amount_vnd": pl.Int64,
            "note": pl.String,
        }
    )
    return await run_heavy(_template_xlsx, "payments", frame, "Mẫu tải lên thanh toán (bảng kê Kho bạc)", None)
