"""Excel and CSV export of report frames with Vietnamese headers.

``write_xlsx(frame, columns, sheet_name)`` -> bytes of an .xlsx workbook:
bold header row, panes frozen under the header, autofilter over all rows,
column widths set, and typed cells per :class:`Column` kind:

* ``text``    — string (Booleans become "có" / "không");
* ``int``     — integer, format ``0``;
* ``money``   — integer VND, format ``#,##0 "đ"`` (Excel shows the thousands
  separator of the reader's locale, dots in Vietnamese; the cell stays an integer);
* ``share``   — fraction 0..1, format ``0.0%``;
* ``number``  — decimal, format ``0.00`` (e.g. scores);
* ``date``    — date, format ``dd/mm/yyyy``;
* ``datetime``— date and time, format ``dd/mm/yyyy hh:mm``.

``write_csv(frame, columns)`` -> UTF-8 bytes with a BOM (Excel on Windows
needs it to read Vietnamese), Vietnamese headers, ISO dates, plain integers.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Literal

import polars as pl
import xlsxwriter

from procurement.core.reporting import require_columns

Kind = Literal["text", "int", "money", "share", "number", "date", "datetime"]

NUM_FORMATS: dict[str, str | None] = {
    "text": None,
    "int": "0",
    "money": '#,##0 "đ"',
    "share": "0.0%",
    "number": "0.00",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
_EXCEL_EPOCH_DAYS = 25569  # days from 1899-12-30 (Excel's day 0) to 1970-01-01
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One exported column: ``source`` column name, Vietnamese ``header``, ``kind``, optional ``width``."""

    source: str
    header: str
    kind: Kind = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in NUM_FORMATS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.source!r}")


def _cell_values(frame: pl.DataFrame, columns: list[Column]) -> pl.DataFrame:
    """Convert each column to what the cell holds: str, int or float (dates as Excel serials)."""
    exprs = []
    for i, col in enumerate(columns):
        c = pl.col(col.source)
        dtype = frame.schema[col.source]
        if col.kind == "text":
            if dtype == pl.Boolean:
                e = pl.when(c).then(pl.lit("có")).when(~c).then(pl.lit("không"))
            else:
                e = c.cast(pl.String)
        elif col.kind in ("int", "money"):
            e = c.cast(pl.Int64)
        elif col.kind in ("share", "number"):
            e = c.cast(pl.Float64)
        elif col.kind == "date":
            e = c.cast(pl.Date).cast(pl.Int32).cast(pl.Int64) + _EXCEL_EPOCH_DAYS
        else:  # datetime: naive wall-clock time
            e = (
                c.cast(pl.Datetime("ms")).dt.replace_time_zone(None).cast(pl.Int64).cast(pl.Float64) / 86_400_000.0
                + _EXCEL_EPOCH_DAYS
            )
        exprs.append(e.alias(f"c{i}"))
    return frame.select(exprs)


def _widths(frame: pl.DataFrame, columns: list[Column]) -> list[float]:
    """Width per column: given, else from the header and the longest text (capped)."""
    fixed = {
        "text": 8,
        "int": 10,
        "money": 16,
        "share": 9,
        "number": 9,
        "date": 11,
        "datetime": 16,
    }
    widths = []
    for col in columns:
        if col.width is not None:
            widths.append(col.width)
            continue
        w = len(col.header) + 2
        if col.kind == "text" and frame.height:
            longest = frame.select(pl.col(col.source).cast(pl.String).str.len_chars().max()).item()
            w = max(w, (longest or 0) + 2)
        else:
            w = max(w, fixed[col.kind])
        widths.append(min(w, MAX_WIDTH))
    return widths


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_XML_INVALID = r"[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]"


def _xml_text(expr: pl.Expr) -> pl.Expr:
    """``>`` + escaped text, with ``xml:space="preserve"`` only when edge spaces matter."""
    escaped = (
        expr.str.replace_all(_XML_INVALID, "")
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
    edge_space = expr.str.contains(r"^\s|\s$")
    return pl.concat_str(
        [
            pl.when(edge_space).then(pl.lit(' xml:space="preserve">')).otherwise(pl.lit(">")),
            escaped,
        ]
    )


_ROWS_PER_CHUNK = 25_000


def _write_rows_xml(values: pl.DataFrame, columns: list[Column], styles: list[int | None], out) -> None:
    """Write ``<row>`` elements for all data rows (row 2 on) to the binary stream ``out``.

    The XML is built column-wise by polars string expressions, a chunk of
    rows at a time (bounded memory). Text goes in inline strings (no
    shared-string table to build); numbers carry their column's style id.
    Null cells are left out.
    """
    row_no = pl.int_range(2, pl.len() + 2, dtype=pl.Int64).cast(pl.String)
    cells = []
    for i, col in enumerate(columns):
        ref = pl.concat_str([pl.lit(f'<c r="{_column_letter(i)}'), pl.col("_row")])
        v = pl.col(f"c{i}")
        if col.kind == "text":
            cell = pl.concat_str(
                [
                    ref,
                    pl.lit('" t="inlineStr"><is><t'),
                    _xml_text(v),
                    pl.lit("</t></is></c>"),
                ]
            )
        else:
            style = f' s="{styles[i]}"' if styles[i] is not None else ""
            cell = pl.concat_str([ref, pl.lit(f'"{style}><v>'), v.cast(pl.String), pl.lit("</v></c>")])
        cells.append(cell)
    rows = pl.concat_str(
        [
            pl.concat_str([pl.lit('<row r="'), pl.col("_row"), pl.lit('">')]),
            *cells,
            pl.lit("</row>"),
        ],
        ignore_nulls=True,
    ).alias("x")
    numbered = values.with_columns(row_no.alias("_row"))
    for chunk in numbered.iter_slices(_ROWS_PER_CHUNK):
        # One row per line; "never" quoting writes the XML as it is.
        chunk.select(rows).write_csv(out, include_header=False, quote_style="never")


def write_xlsx(frame: pl.DataFrame, columns: list[Column], sheet_name: str = "Báo cáo") -> bytes:
    """Write ``frame`` (only ``columns``, in that order) to an .xlsx workbook and return its bytes.

    How (measured, 150,000 rows × 13 columns on the 2-core dev machine):
    xlsxwriter per-cell writes, even typed and in ``constant_memory`` mode,
    take ~11 s, like polars' ``write_excel``. So xlsxwriter builds the
    workbook itself (styles, header row, widths, frozen panes, autofilter),
    and the data rows' sheet XML is built column-wise by polars string
    expressions and streamed, 25,000 rows at a time, into the sheet before
    ``</sheetData>``; that takes about a second and bounded memory. The
    result is an ordinary workbook (inline strings).
    """
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    require_columns(frame, "frame", [c.source for c in columns])
    if not columns:
        raise ValueError("no columns to write")
    n = frame.height
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    ws = wb.add_worksheet(sheet_name[:31])
    header_fmt = wb.add_format(
        {
            "bold": True,
            "text_wrap": True,
            "valign": "top",
            "bg_color": "#DDEBF7",
            "border": 1,
        }
    )
    formats = [(wb.add_format({"num_format": NUM_FORMATS[c.kind]}) if NUM_FORMATS[c.kind] else None) for c in columns]
    for i, (width, fmt) in enumerate(zip(_widths(frame, columns), formats, strict=False)):
        ws.set_column(i, i, width, fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(columns) - 1)
    ws.write_row(0, 0, [c.header for c in columns], header_fmt)
    wb.close()
    styles = [f.xf_index if f is not None else None for f in formats]

    values = _cell_values(frame, columns)
    last = _column_letter(len(columns) - 1)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
                continue
            head, sep, tail = data.partition(b"</sheetData>")
            if not sep:
                raise RuntimeError("unexpected sheet XML from xlsxwriter: no </sheetData>")
            head = head.replace(
                f'<dimension ref="A1:{last}1"/>'.encode(),
                f'<dimension ref="A1:{last}{n + 1}"/>'.encode(),
                1,
            )
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            # Fast deflate for the big sheet (the attribute is private before Python 3.13).
            try:
                entry.compress_level = 1  # Python >= 3.13
            except AttributeError:
                entry._compresslevel = 1
            with dst.open(entry, "w") as sheet:
                sheet.write(head)
                _write_rows_xml(values, columns, styles, sheet)
                sheet.write(sep + tail)
    return out.getvalue()


def write_csv(frame: pl.DataFrame, columns: list[Column]) -> bytes:
    """CSV bytes (UTF-8 with BOM) of ``columns`` under their Vietnamese headers.

    Booleans become "có" / "không"; dates are ISO (yyyy-mm-dd); money stays a
    plain integer.
    """
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    require_columns(frame, "frame", [c.source for c in columns])
    exprs = []
    for col in columns:
        c = pl.col(col.source)
        if frame.schema[col.source] == pl.Boolean:
            c = pl.when(c).then(pl.lit("có")).when(~c).then(pl.lit("không"))
        exprs.append(c.alias(col.header))
    headers = [c.header for c in columns]
    if len(set(headers)) != len(headers):
        raise ValueError("column headers must be unique")
    buf = io.BytesIO()
    frame.select(exprs).write_csv(
        buf,
        include_bom=True,
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%d %H:%M:%S",
    )
    return buf.getvalue()


PRIORITY_COLUMNS = [
    Column("rank", "Thứ tự", "int"),
    Column("tag", "Mã tài sản"),
    Column("province_code", "Mã tỉnh"),
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("category_name", "Loại thiết bị"),
    Column("make", "Hãng"),
    Column("model", "Model"),
    Column("age_years", "Tuổi (năm)", "number"),
    Column("years_over_life", "Quá hạn (năm)", "number"),
    Column("condition", "Tình trạng"),
    Column("score", "Điểm ưu tiên", "number"),
    Column("reason", "Lý do", width=60),
]
"""Columns of the ranked replacement list export."""

PLAN_COLUMNS = [
    Column("rank", "Thứ tự", "int"),
    Column("item_kind", "Loại đề xuất"),
    Column("tag", "Mã tài sản"),
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("category_code", "Loại thiết bị"),
    Column("unit_price_vnd", "Đơn giá", "money"),
    Column("score", "Điểm ưu tiên", "number"),
    Column("included", "Được chọn"),
    Column("running_total_vnd", "Lũy kế", "money"),
    Column("reason", "Lý do", width=60),
    Column("excluded_reason", "Lý do không chọn", width=40),
]
"""Columns of the replacement plan export."""
