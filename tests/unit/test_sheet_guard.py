"""The XLSX guard refuses huge sheets and zip bombs from what the file declares, streaming."""

from __future__ import annotations

import io
import tracemalloc

import pytest
import xlsxwriter

from procurement.register.sheet_guard import SheetRefused, check_xlsx
from tests.support.sheet_bomb import sheet_xlsx


def test_a_sheet_is_refused_by_its_declared_dimension():
    content = sheet_xlsx(120_000)
    assert len(content) < 2 * 1024 * 1024
    with pytest.raises(SheetRefused) as refused:
        check_xlsx(content, 50_000)
    assert refused.value.code == "too_many_rows" and refused.value.rows == 120_001
    assert "tối đa 50.000 dòng" in refused.value.message


def test_a_million_identical_rows_in_a_small_file_are_refused_before_reading():
    content = sheet_xlsx(1_000_000, numbered=False)
    assert len(content) < 1024 * 1024
    with pytest.raises(SheetRefused) as refused:
        check_xlsx(content, 50_000)
    assert refused.value.code == "too_large"  # about 1000:1, refused by ratio before the sheet is opened
    with pytest.raises(SheetRefused) as refused:
        check_xlsx(content, 50_000, max_ratio=10_000)
    assert refused.value.code == "too_many_rows"


def test_without_a_dimension_the_rows_are_counted_streaming_and_the_count_stops_early():
    content = sheet_xlsx(300_000, dimension=False, numbered=False)
    tracemalloc.start()
    try:
        with pytest.raises(SheetRefused) as refused:
            check_xlsx(content, 50_000, max_ratio=10_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "too_many_rows"
    assert 50_020 < refused.value.rows < 60_000  # stopped soon after the limit, not at 300,000
    assert peak < 8 * 1024 * 1024  # a few chunks, not the sheet


def test_a_zip_bomb_is_refused_by_ratio():
    content = sheet_xlsx(10, padding=64 * 1024 * 1024)
    assert len(content) < 1024 * 1024
    with pytest.raises(SheetRefused) as refused:
        check_xlsx(content, 50_000)
    assert refused.value.code == "too_large" and "nén" in refused.value.message


def test_the_total_unpacked_size_is_bounded():
    with pytest.raises(SheetRefused) as refused:
        check_xlsx(sheet_xlsx(2_000), 50_000, max_bytes=100_000)
    assert refused.value.code == "too_large" and "giải nén" in refused.value.message


def test_sheets_within_the_limit_pass_also_written_by_excel_like_writers():
    check_xlsx(sheet_xlsx(50_000), 50_000)
    check_xlsx(sheet_xlsx(50_000, dimension=False), 50_000)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    first = workbook.add_worksheet("Thiết bị")
    for r in range(200):
        first.write_row(r, 0, ["Máy in", "26296", r])
    workbook.add_worksheet("Hướng dẫn").write(100_000, 0, "far below, on the second sheet")
    workbook.close()
    check_xlsx(buffer.getvalue(), 199)  # 200 rows <= 199 + 20: the first sheet is the one counted
    with pytest.raises(SheetRefused):
        check_xlsx(buffer.getvalue(), 150)


def test_empty_formatted_rows_do_not_count_and_non_zips_are_left_to_the_reader():
    check_xlsx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls", 10)
    with pytest.raises(SheetRefused) as refused:
        check_xlsx(b"PK\x03\x04 garbage", 10)
    assert refused.value.code == "broken_file"
