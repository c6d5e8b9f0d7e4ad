"""Read the spreadsheets the app writes the strict way (openpyxl, every cell) and
check what finance hands on: a title, Vietnamese headers, a number format on
every number, dates as dates, print setup, names instead of codes, and CSV
cells that a spreadsheet would not run as formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl

from procurement.core.vocabulary import VOCABULARY

# Every code of the vocabulary that is a word (a person must never see it under a Vietnamese header).
CODES = {code for group, names in VOCABULARY.items() if group != "age_band" for code in names} - {"true", "false"}
_SNAKE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_xlsx(content: bytes):
    """The workbook, read by openpyxl (a strict reader): formulas as written, not computed."""
    return openpyxl.load_workbook(io.BytesIO(content))


def check_xlsx(content: bytes, *, as_of: dt.date | None = None, min_rows: int = 1) -> list[list]:
    """Check one XLSX the app wrote; return its data rows (values, below the header).

    * row 1: the title, with "số liệu đến ngày dd/mm/yyyy" (``as_of`` if given);
    * row 2: Vietnamese headers (none a snake_case column name);
    * every number and date cell carries a number format (never General), dates a
      day-month-year one, shares a percent, money the dong;
    * no text cell is a vocabulary code, none is a formula;
    * A4 landscape, fit to one page wide, rows 1–2 repeated on every page, header frozen.
    """
    book = read_xlsx(content)
    sheet = book.worksheets[0]
    title = sheet.cell(1, 1).value
    assert isinstance(title, str) and "số liệu đến ngày" in title, title
    if as_of is not None:
        assert f"{as_of:%d/%m/%Y}" in title, title
    headers = [c.value for c in sheet[2]]
    assert headers and all(isinstance(h, str) and h for h in headers), headers
    assert not [h for h in headers if _SNAKE.fullmatch(h)], f"English column names: {headers}"

    setup = sheet.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(setup.fitToWidth or 1) == 1 and int(setup.fitToHeight) == 0
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.freeze_panes == "A3"

    rows = []
    for row in sheet.iter_rows(min_row=3):
        values = []
        for cell, header in zip(row, headers, strict=False):
            value = cell.value
            values.append(value)
            if value is None:
                continue
            where = f"{cell.coordinate} ({header}) = {value!r}"
            assert cell.data_type != "f", f"formula in {where}"
            if isinstance(value, bool):
                raise AssertionError(f"boolean cell {where}: should read có/không")
            if isinstance(value, dt.datetime | dt.date):
                assert "dd" in cell.number_format and "yyyy" in cell.number_format, f"{where}: {cell.number_format}"
            elif isinstance(value, int | float):
                assert cell.number_format != "General", f"{where} has no number format"
                if header.startswith("Tỷ lệ"):
                    assert "%" in cell.number_format, f"{where}: {cell.number_format}"
            elif isinstance(value, str):
                assert value not in CODES, f"code instead of its Vietnamese name: {where}"
        rows.append(values)
    assert len(rows) >= min_rows, f"{len(rows)} data rows"
    return rows


def check_csv(content: bytes, content_type: str | None = None, *, min_rows: int = 1) -> list[dict[str, str]]:
    """Check one CSV the app wrote; return its rows as dicts.

    UTF-8 with a BOM, one ``charset`` (utf-8) in the Content-Type, Vietnamese headers,
    no cell a spreadsheet would run as a formula (a negative number stays a number),
    no vocabulary code.
    """
    if content_type is not None:
        assert content_type.startswith("text/csv"), content_type
        assert content_type.lower().count("charset") == 1 and "charset=utf-8" in content_type.lower(), content_type
    assert content.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    headers = next(reader)
    assert not [h for h in headers if _SNAKE.fullmatch(h)], f"English column names: {headers}"
    rows = []
    for line in reader:
        for header, value in zip(headers, line, strict=True):
            where = f"{header} = {value!r}"
            if value.startswith(_FORMULA_START):
                assert _NUMBER.fullmatch(value), f"cell would run as a formula: {where}"
            assert value not in CODES, f"code instead of its Vietnamese name: {where}"
        rows.append(dict(zip(headers, line, strict=True)))
    assert len(rows) >= min_rows, f"{len(rows)} rows"
    return rows
