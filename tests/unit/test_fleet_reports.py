"""Fleet overview reports, XLSX / CSV export and SVG charts."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime

import fastexcel
import polars as pl
import pytest

from procurement.core.charts import age_profile_svg, fleet_condition_svg, shortage_bar_svg
from procurement.core.xlsx import (
    PLAN_COLUMNS,
    PRIORITY_COLUMNS,
    Column,
    write_csv,
    write_xlsx,
)
from procurement.planning.fleet import age_profile, fleet_by_commune, stocktake_coverage
from procurement.planning.priority import (
    commune_shortage,
    replacement_plan,
    replacement_priority,
)
from procurement.seed.synthetic import synthetic_fleet
from tests.support.fleet_helpers import TODAY, asset, commune, frames, years_ago

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


# --- fleet overview ----------------------------------------------------------


def test_fleet_by_commune_counts_condition_per_category_without_disposed():
    a, c, m = frames(
        [
            asset(1),
            asset(2),
            asset(3, condition="broken"),
            asset(4, category_code="printer", condition="fair"),
            asset(5, status="disposed"),
            asset(6, commune_code="C2"),
        ],
        [commune("C1"), commune("C2")],
    )
    df = fleet_by_commune(a, c, m).collect()
    got = {(r["commune_code"], r["category_code"], r["condition"]): r["devices"] for r in df.to_dicts()}
    assert got == {
        ("C1", "desktop", "good"): 2,
        ("C1", "desktop", "broken"): 1,
        ("C1", "printer", "fair"): 1,
        ("C2", "desktop", "good"): 1,
    }
    assert df.filter(pl.col("condition") == "broken")["condition_name"].item() == "hỏng"
    assert df["category_name"][0] == "Máy tính để bàn"


def test_age_profile_bands():
    a, c, _ = frames(
        [
            asset(1, acquired_on=years_ago(2.9)),
            asset(2, acquired_on=years_ago(3.0)),
            asset(3, acquired_on=years_ago(4.99)),
            asset(4, acquired_on=years_ago(7.5)),
            asset(5, acquired_on=years_ago(8.0)),
            asset(6, age=None),
            asset(7, acquired_on=None, acquired_year=2025),  # 1 July 2025: under a year
            asset(8, age=20, status="disposed"),
        ]
    )
    df = age_profile(a, c, TODAY).collect()
    desk = dict(df.filter(pl.col("category_code") == "desktop").select("age_band", "devices").iter_rows())
    assert desk == {"0-2": 2, "3-4": 2, "5-7": 1, "8+": 1, "unknown": 1}
    # Every category has all five bands, zeros included.
    assert df.height == 7 * 5
    assert df.filter(pl.col("category_code") == "ups")["devices"].sum() == 0


def test_stocktake_coverage_share_and_empty_commune():
    a, _, m = frames(
        [
            asset(1, last_audited_at=datetime(2026, 3, 1)),
            asset(2, last_audited_at=datetime(2025, 1, 1)),
            asset(3, last_audited_at=None),
            asset(4, last_audited_at=datetime(2026, 3, 1), status="disposed"),
        ],
        [commune("C1"), commune("C2")],
    )
    df = stocktake_coverage(a, m, since=datetime(2026, 1, 1)).collect()
    c1 = df.filter(pl.col("commune_code") == "C1").row(0, named=True)
    assert (c1["devices"], c1["audited"], c1["share"]) == (3, 1, pytest.approx(0.3333))
    c2 = df.filter(pl.col("commune_code") == "C2").row(0, named=True)
    assert (c2["devices"], c2["audited"], c2["share"]) == (0, 0, None)


def test_stocktake_coverage_with_zoned_timestamps():
    a, _, m = frames([asset(1, last_audited_at=datetime(2026, 1, 1, 3))])
    zoned = a.with_columns(pl.col("last_audited_at").dt.replace_time_zone("UTC"))
    df = stocktake_coverage(zoned, m, since=datetime(2026, 1, 1)).collect()
    assert df["audited"].item() == 1


# --- XLSX / CSV --------------------------------------------------------------


@pytest.fixture(scope="module")
def ranked() -> pl.DataFrame:
    a, c, m = synthetic_fleet(20, 600, seed=3)
    return replacement_priority(a, c, m, today=TODAY).collect()


def _sheet(data: bytes) -> tuple[ET.Element, ET.Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return ET.fromstring(z.read("xl/worksheets/sheet1.xml")), ET.fromstring(z.read("xl/styles.xml"))


def test_xlsx_reads_back_with_headers_rows_and_values(ranked):
    data = write_xlsx(ranked, PRIORITY_COLUMNS, "Danh sách ưu tiên")
    reader = fastexcel.read_excel(data)
    assert reader.sheet_names == ["Danh sách ưu tiên"]
    back = reader.load_sheet(0, header_row=1).to_polars()  # row 1: the title
    assert back.columns == [c.header for c in PRIORITY_COLUMNS]
    assert back.height == ranked.height
    assert back["Thứ tự"].cast(pl.Int64).to_list() == ranked["rank"].to_list()
    assert back["Lý do"].fill_null("").to_list() == ranked["reason"].to_list()
    assert back["Điểm ưu tiên"].to_list() == ranked["score"].to_list()


def test_xlsx_money_is_integer_with_dong_format_and_sheet_has_filter_and_frozen_header():
    df = pl.DataFrame(
        {
            "name": ["Xã A & B <1>", "  Xã C", None],
            "money": [1_500_000, 250_000_000_000, None],
            "share": [0.5, None, 1.0],
            "day": [date(2025, 1, 31), None, date(2000, 1, 1)],
            "ok": [True, False, None],
        }
    )
    cols = [
        Column("name", "Tên xã"),
        Column("money", "Số tiền", "money"),
        Column("share", "Tỷ lệ", "share"),
        Column("day", "Ngày", "date"),
        Column("ok", "Đạt"),
    ]
    data = write_xlsx(df, cols, "Thử")
    back = fastexcel.read_excel(data).load_sheet(0, header_row=1).to_polars()
    assert back["Tên xã"].to_list() == ["Xã A & B <1>", "  Xã C", None]
    assert back["Số tiền"].to_list()[:2] == [1_500_000, 250_000_000_000]
    assert back["Đạt"].to_list() == ["có", "không", None]
    assert back["Ngày"].to_list()[0].date() == date(2025, 1, 31)

    sheet, styles = _sheet(data)
    # Cell B3: the data rows' cells carry no reference (optional in the format), each row's
    # cells are all there in column order, so B is the second cell of row 3.
    row3 = next(r for r in sheet.findall(".//m:sheetData/m:row", NS) if r.get("r") == "3")
    b2 = row3.findall("m:c", NS)[1]
    assert b2.find("m:v", NS).text == "1500000"  # an integer, not text, not 1500000.0
    numfmts = {n.get("numFmtId"): n.get("formatCode") for n in styles.findall(".//m:numFmts/m:numFmt", NS)}
    xfs = styles.findall("./m:cellXfs/m:xf", NS)
    assert numfmts[xfs[int(b2.get("s"))].get("numFmtId")] == '#,##0 "đ"'
    assert sheet.find(".//m:autoFilter", NS).get("ref") == "A2:E5"
    pane = sheet.find(".//m:pane", NS)
    assert (pane.get("ySplit"), pane.get("state")) == ("2", "frozen")
    assert sheet.find(".//m:dimension", NS).get("ref") == "A1:E5"
    header = sheet.findall(".//m:sheetData/m:row", NS)[1]
    assert header.get("r") == "2"
    bold_xf = xfs[int(header.find("m:c", NS).get("s"))]
    font = styles.findall(".//m:fonts/m:font", NS)[int(bold_xf.get("fontId"))]
    assert font.find("m:b", NS) is not None
    widths = [float(c.get("width")) for c in sheet.findall(".//m:cols/m:col", NS)]
    assert len(widths) == 5 and all(w > 5 for w in widths)


def test_xlsx_of_plan_and_empty_frame(ranked):
    a, c, m = synthetic_fleet(5, 100, seed=1)
    plan = replacement_plan(
        replacement_priority(a, c, m, today=TODAY),
        commune_shortage(a, c, m),
        budget_vnd=200_000_000,
    ).collect()
    back = fastexcel.read_excel(write_xlsx(plan, PLAN_COLUMNS, "Kế hoạch")).load_sheet(0, header_row=1).to_polars()
    assert back.height == plan.height
    assert back["Lũy kế"].to_list() == plan["running_total_vnd"].to_list()
    empty = write_xlsx(ranked.head(0), PRIORITY_COLUMNS, "Trống")
    sheet, _ = _sheet(empty)
    assert len(sheet.findall(".//m:sheetData/m:row", NS)) == 2  # title and header


def test_csv_has_bom_and_vietnamese_headers(ranked):
    data = write_csv(ranked, PRIORITY_COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(c.header for c in PRIORITY_COLUMNS)
    back = pl.read_csv(io.BytesIO(data), infer_schema=False)
    assert back.height == ranked.height
    assert back["Thứ tự"].cast(pl.Int64).to_list() == ranked["rank"].to_list()


def test_csv_money_stays_plain_integer_and_booleans_are_vietnamese():
    df = pl.DataFrame({"m": [15_000_000], "ok": [True]})
    text = write_csv(df, [Column("m", "Đơn giá", "money"), Column("ok", "Được chọn")]).decode("utf-8-sig")
    assert text.splitlines() == ["Đơn giá,Được chọn", "15000000,có"]


# --- charts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_fleet():
    return synthetic_fleet(30, 900, seed=5)


def _assert_inline_svg(svg: str, *texts: str) -> None:
    assert svg.lstrip().startswith("<svg")
    ET.fromstring(svg)  # well-formed XML
    for t in texts:
        assert t in svg, t
    # No external resources (scripts, fonts, images) — only XML namespace URIs.
    assert not re.search(r"(href|src)=\"https?://", svg)


def test_shortage_chart(small_fleet):
    svg = shortage_bar_svg(commune_shortage(*small_fleet))
    _assert_inline_svg(svg, "Các xã thiếu nhiều thiết bị nhất", "máy tính", "Xã Thử Nghiệm")


def test_condition_and_age_charts(small_fleet):
    a, c, m = small_fleet
    _assert_inline_svg(fleet_condition_svg(fleet_by_commune(a, c, m)), "tốt", "hỏng", "Máy tính để bàn")
    _assert_inline_svg(age_profile_svg(age_profile(a, c, TODAY)), "không rõ", "0–2 năm")


def test_shortage_chart_when_nothing_lacks():
    empty = pl.DataFrame(
        {
            "commune_code": ["C1"],
            "commune_name": ["Xã C1"],
            "category_code": ["computer"],
            "lacking": [0],
        }
    )
    _assert_inline_svg(shortage_bar_svg(empty), "Không xã nào thiếu thiết bị.")
