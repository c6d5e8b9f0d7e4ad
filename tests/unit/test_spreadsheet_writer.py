"""The XLSX and CSV writers cell by cell (openpyxl, csv): every typed column keeps its
number format (also the second column of a kind), title and print setup, text kept
as typed, codes shown by their Vietnamese names, CSV formulas neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import polars as pl
import pytest

from procurement.core.vocabulary import VOCABULARY, lower, name, names, script
from procurement.core.xlsx import Column, write_csv, write_xlsx

FRAME = pl.DataFrame(
    {
        "text": ["_x0041_", "=1+1", "-5 máy", "@SUM(A1)", "\tx", "a & <b>", None],
        "condition": ["broken", "good", "fair", "poor", None, "broken", "unknown-code"],
        "price": [1_500_000, -250_000, 0, None, 7, 8, 9],
        "paid": [10, 20, 30, 40, 50, 60, -70],
        "share": [0.5, 0.25, None, 1.0, 0.0, 0.1, 0.2],
        "target": [0.6, 0.7, 0.8, 0.9, 1.0, 0.1, 0.2],
        "deadline": [dt.date(2026, 12, 31), None, dt.date(2027, 1, 1), None, None, None, dt.date(2000, 1, 1)],
        "year": [None, 2015, None, None, 2019, None, None],
        "due": [dt.date(2026, 6, 30)] * 7,
        "count": [1, 2, 3, 4, 5, 6, 7],
        "score": [1.5, 2.25, 3.0, 4.0, 5.0, 6.0, 7.0],
        "ok": [True, False, None, True, True, True, True],
    }
)
COLUMNS = [
    Column("text", "Ghi chú"),
    Column("condition", "Tình trạng", vocabulary="condition"),
    Column("price", "Đơn giá", "money"),
    Column("paid", "Đã trả", "money"),
    Column("share", "Tỷ lệ", "share"),
    Column("target", "Tỷ lệ kế hoạch", "share"),
    Column("deadline", "Hạn", "date", year_source="year"),
    Column("due", "Đến hạn", "date"),
    Column("count", "Số", "int"),
    Column("score", "Điểm", "number"),
    Column("ok", "Đạt"),
]


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def test_every_typed_cell_keeps_its_columns_format_even_the_second_of_a_kind():
    sheet = _sheet(write_xlsx(FRAME, COLUMNS, "Thử", title="Báo cáo thử", scope="tỉnh 75", as_of=dt.date(2026, 3, 5)))
    assert sheet.cell(1, 1).value == "Báo cáo thử — tỉnh 75 — số liệu đến ngày 05/03/2026"
    assert [c.value for c in sheet[2]] == [c.header for c in COLUMNS]
    expected = {
        "C": '#,##0 "đ"',
        "D": '#,##0 "đ"',
        "E": "0.0%",
        "F": "0.0%",
        "G": "dd/mm/yyyy",
        "H": "dd/mm/yyyy",
        "I": "0",
        "J": "0.00",
    }
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            if cell.value is None or cell.column_letter not in expected:
                continue
            if cell.column_letter == "G" and isinstance(cell.value, int):
                assert cell.number_format == "0"  # the year alone
            else:
                assert cell.number_format == expected[cell.column_letter], cell.coordinate
    assert [sheet.cell(r, 7).value for r in (3, 4)] == [dt.datetime(2026, 12, 31), 2015]
    assert sheet.cell(4, 3).value == -250_000 and isinstance(sheet.cell(3, 3).value, int)


def test_text_is_kept_as_typed_and_codes_read_as_names():
    sheet = _sheet(write_xlsx(FRAME, COLUMNS, "Thử"))
    texts = [sheet.cell(r, 1).value for r in range(3, 10)]
    assert texts == ["_x0041_", "=1+1", "-5 máy", "@SUM(A1)", "\tx", "a & <b>", None]
    assert all(sheet.cell(r, 1).data_type == "s" for r in range(3, 9))  # text, never a formula
    assert [sheet.cell(r, 2).value for r in range(3, 10)] == [
        "Hỏng",
        "Tốt",
        "Trung bình",
        "Kém",
        None,
        "Hỏng",
        "unknown-code",
    ]
    assert [sheet.cell(r, 11).value for r in range(3, 6)] == ["có", "không", None]


def test_print_setup_a4_landscape_fit_to_width_title_and_header_repeated():
    sheet = _sheet(write_xlsx(FRAME, COLUMNS, "Thử"))
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and int(sheet.page_setup.fitToHeight) == 0
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:K9"


def test_empty_frame_has_title_and_header_only():
    sheet = _sheet(write_xlsx(FRAME.head(0), COLUMNS, "Trống"))
    assert sheet.max_row == 2 and sheet.cell(2, 1).value == "Ghi chú"


def test_csv_quotes_text_that_would_run_as_a_formula_and_keeps_numbers_numeric():
    rows = list(csv.reader(io.StringIO(write_csv(FRAME, COLUMNS).decode("utf-8-sig"), newline="")))
    assert rows[0] == [c.header for c in COLUMNS]
    assert [r[0] for r in rows[1:]] == ["_x0041_", "'=1+1", "'-5 máy", "'@SUM(A1)", "'\tx", "a & <b>", ""]
    assert [r[2] for r in rows[1:]] == ["1500000", "-250000", "0", "", "7", "8", "9"]  # money: plain numbers
    assert rows[7][3] == "-70"
    assert [r[1] for r in rows[1:3]] == ["Hỏng", "Tốt"]
    assert [r[6] for r in rows[1:3]] == ["2026-12-31", "2015"]
    carriage = write_csv(pl.DataFrame({"t": ["\rx"]}), [Column("t", "Chữ")]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(carriage, newline="")))[1] == ["'\rx"]


def test_vocabulary_is_one_table_with_names_for_every_code():
    assert name("condition", "broken") == "Hỏng" and name("status", None) == "" and name("status", "x") == "x"
    assert lower("category")["ups"] == "bộ lưu điện (UPS)"
    assert names("category", "category_group")["computer"] == "Máy tính"
    assert all(n and n != c for g in VOCABULARY.values() for c, n in g.items())
    assert script().startswith("window.VOCAB = Object.freeze(") and '"broken": "Hỏng"' in script()
    with pytest.raises(TypeError):
        VOCABULARY["condition"]["good"] = "x"  # type: ignore[index]
    with pytest.raises(ValueError):
        Column("x", "X", "money", vocabulary="condition")
