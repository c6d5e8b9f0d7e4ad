"""The papers: the commune's fixed-asset book (sổ tài sản cố định) with the year's wear,
the asset card (thẻ tài sản cố định), the stocktake minutes (biên bản kiểm kê) and the
yearly summary per category for the national count; as PDF, and as XLSX through the
project's fast writer. Form numbers come from ``forms.FormCodes`` (settings)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from procurement.core.clock import to_vn, today_vn
from procurement.core.money import format_vnd
from procurement.core.xlsx import Column, write_xlsx
from procurement.geography.places import DEFAULT_CATEGORIES
from procurement.public_property.forms import DEFAULT_FORMS, FormCodes
from procurement.public_property.pdf import Col, Paper, render
from procurement.register.schemas import EVENT_KIND_VI, FIELD_VI

CATEGORY_VI = {code: name for code, name, _, _ in DEFAULT_CATEGORIES}


def money(value: int | None) -> str:
    return "" if value is None else format_vnd(int(value)).removesuffix(" đ")


def _shown(value: Any) -> str:
    """A value of a history event as people read it: money with dots, a class by its name."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return money(value) if value >= 10_000 else str(value)
    return {"fixed_asset": "Tài sản cố định", "tool": "Công cụ, dụng cụ", "unvalued": "Chưa xác định"}.get(
        str(value), str(value)
    )


def year_end(year: int) -> dt.date:
    """The day a year's papers count to: 31/12, or Vietnam's today while the year runs."""
    return min(dt.date(year, 12, 31), today_vn())


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _form_lines(code: str, forms: FormCodes) -> list[str]:
    if not code:
        return [f"Theo {forms.count_basis}"]
    return [f"Mẫu số: {code}", f"(Ban hành theo {forms.regime})"]


def _unit_lines(commune_name: str, province_name: str = "") -> list[str]:
    lines = [f"Đơn vị: UBND {commune_name}"]
    if province_name:
        lines.append(province_name)
    lines.append("Mã QHNS: ..................")
    return lines


# --- the fixed-asset book -----------------------------------------------------------------

BOOK_XLSX_COLUMNS = [
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("tag", "Số hiệu TSCĐ"),
    Column("category_name", "Loại"),
    Column("description", "Tên, đặc điểm, ký hiệu TSCĐ"),
    Column("in_use_on", "Ngày đưa vào sử dụng", "date"),
    Column("original_cost_vnd", "Nguyên giá", "money"),
    Column("rate_share", "Tỷ lệ hao mòn (%/năm)", "share"),
    Column("wear_vnd", "Hao mòn trong năm", "money"),
    Column("accumulated_vnd", "Hao mòn lũy kế", "money"),
    Column("remaining_vnd", "Giá trị còn lại", "money"),
    Column("source", "Căn cứ"),
]


def book_export_frame(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("category").replace_strict(CATEGORY_VI, default=pl.col("category")).alias("category_name"),
        pl.concat_str([pl.col("make").fill_null(""), pl.col("model").fill_null("")], separator=" ")
        .str.strip_chars()
        .alias("description"),
        (pl.col("rate_bp") / 100).alias("rate"),
        (pl.col("rate_bp") / 10_000).alias("rate_share"),
    )


def book_xlsx(book: Any, forms: FormCodes = DEFAULT_FORMS) -> bytes:
    sheet = f"{forms.book} Sổ TSCĐ {book.year}".strip()[:31]
    return write_xlsx(
        book_export_frame(book.frame),
        BOOK_XLSX_COLUMNS,
        sheet,
        title=f"SỔ TÀI SẢN CỐ ĐỊNH năm {book.year}",
        scope=book.commune.name if book.commune else None,
        as_of=year_end(book.year),
    )


def book_pdf(book: Any, forms: FormCodes = DEFAULT_FORMS) -> bytes:
    frame = book_export_frame(book.frame)
    commune = book.commune
    totals = book.totals()
    columns = [
        Col("STT", 9, "center"),
        Col("Số hiệu TSCĐ", 18),
        Col("Tên, đặc điểm, ký hiệu TSCĐ", 60),
        Col("Ngày đưa vào sử dụng", 20, "center"),
        Col("Nguyên giá", 26, "right"),
        Col("Tỷ lệ hao mòn (%/năm)", 16, "right"),
        Col("Hao mòn trong năm", 24, "right"),
        Col("Hao mòn lũy kế", 24, "right"),
        Col("Giá trị còn lại", 24, "right"),
        Col("Căn cứ", 56),
    ]
    rows = []
    for i, r in enumerate(frame.iter_rows(named=True), start=1):
        rows.append(
            [
                str(i),
                r["tag"] or "",
                f"{r['category_name']} {r['description']}".strip(),
                _date(r["in_use_on"]),
                money(r["original_cost_vnd"]),
                f"{r['rate']:g}",
                money(r["wear_vnd"]),
                money(r["accumulated_vnd"]),
                money(r["remaining_vnd"]),
                r["source"] or "",
            ]
        )
    rows.append(
        [
            "",
            "",
            f"Cộng ({totals['devices']} tài sản)",
            "",
            money(totals["original_cost_vnd"]),
            "",
            money(totals["wear_vnd"]),
            money(totals["accumulated_vnd"]),
            money(totals["remaining_vnd"]),
            "",
        ]
    )
    status = (
        f"Đã khóa sổ ngày {_date(to_vn(book.closed_at).date())}"
        if book.closed and book.closed_at
        else ("Đã khóa sổ" if book.closed else "Số liệu tạm tính: năm chưa khóa sổ")
    )
    left = book.left_out or {}
    after = []
    if left.get("tool") or left.get("unvalued"):
        after.append(
            f"Không ghi sổ TSCĐ: {left.get('tool', 0)} công cụ, dụng cụ (dưới ngưỡng nguyên giá); "
            f"{left.get('unvalued', 0)} thiết bị chưa xác định nguyên giá."
        )
    after.append("Hao mòn tính mỗi năm một lần vào tháng 12 = nguyên giá × tỷ lệ hao mòn (Thông tư 23/2023/TT-BTC).")
    paper = Paper(
        unit_lines=_unit_lines(commune.name if commune else "", commune.province_name if commune else ""),
        form_lines=_form_lines(forms.book, forms),
        title="SỔ TÀI SẢN CỐ ĐỊNH",
        subtitle_lines=[f"Năm {book.year}", status],
        columns=columns,
        rows=rows,
        bold_rows={len(rows) - 1},
        after_table=after,
        signatures=[
            ("NGƯỜI GHI SỔ", "(Ký, họ tên)"),
            ("KẾ TOÁN TRƯỞNG", "(Ký, họ tên)"),
            ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký, họ tên, đóng dấu)"),
        ],
    )
    return render(paper)


# --- the asset card -------------------------------------------------------------------------


def card_pdf(card: Any, forms: FormCodes = DEFAULT_FORMS) -> bytes:
    a = card.asset
    columns = [
        Col("Năm", 14, "center"),
        Col("Nguyên giá", 30, "right"),
        Col("Tỷ lệ (%/năm)", 18, "right"),
        Col("Giá trị hao mòn", 30, "right"),
        Col("Cộng dồn", 30, "right"),
        Col("Giá trị còn lại", 30, "right"),
        Col("Tình trạng số liệu", 30, "center"),
        Col("Căn cứ", 70),
    ]
    rows = [
        [
            str(y["year"]),
            money(y["original_cost_vnd"]),
            f"{y['rate_bp'] / 100:g}",
            money(y["wear_vnd"]),
            money(y["accumulated_vnd"]),
            money(y["remaining_vnd"]),
            "Đã khóa sổ" if y["closed"] else "Tạm tính",
            y["source"],
        ]
        for y in card.years
    ]
    before = [
        f"Tên, ký mã hiệu, quy cách TSCĐ: {CATEGORY_VI.get(a['category'], a['category'])} {a['make']} {a['model']}".strip(),
        f"Số hiệu TSCĐ: {a['tag']}    Số sê-ri: {a['serial'] or ''}    Bộ phận sử dụng: {a['assigned_to'] or a['location']}",
        f"Ngày đưa vào sử dụng: {_date(card.in_use_on)}    Nguyên giá: {money(card.original_cost_vnd)} đ    "
        f"Phân loại: {card.kind_name} ({card.reason})",
    ]
    if card.valuation:
        v = card.valuation
        before.append(f"Giá trị đánh giá: {money(v.value_vnd)} đ ngày {_date(v.assessed_on)}; căn cứ: {v.basis}")
    after = []
    for e in card.events:
        when = _date(to_vn(e["at"]).date()) if isinstance(e["at"], dt.datetime) else str(e["at"])[:10]
        change = "; ".join(
            f"{FIELD_VI.get(k, k)}: {_shown(v.get('before'))} thành {_shown(v.get('after'))}"
            if isinstance(v, dict)
            else f"{FIELD_VI.get(k, k)}: {_shown(v)}"
            for k, v in e["changes"].items()
            if k in ("cost_vnd", "assessed_value_vnd", "classification", "acquired_on", "acquired_year")
        )
        after.append(f"{when} — {EVENT_KIND_VI.get(e['kind'], e['kind'])}: {change} {e['note'] or ''}".strip())
    paper = Paper(
        unit_lines=_unit_lines(a["commune_name"]),
        form_lines=_form_lines(forms.card, forms),
        title="THẺ TÀI SẢN CỐ ĐỊNH",
        subtitle_lines=[f"Số: {a['tag']}"],
        columns=columns,
        rows=rows,
        before_table=before,
        after_table=["Lịch sử giá trị:", *after] if after else [],
        signatures=[("NGƯỜI LẬP", "(Ký, họ tên)"), ("KẾ TOÁN TRƯỞNG", "(Ký, họ tên)")],
    )
    return render(paper)


# --- stocktake minutes ----------------------------------------------------------------------


@dataclass
class Member:
    name: str
    position: str
    role: str = ""  # e.g. Trưởng ban, Ủy viên


@dataclass
class Minutes:
    stocktake_id: int
    commune_name: str
    province_name: str
    counted_at: dt.date
    members: list[Member]
    frame: pl.DataFrame  # one row per device (see MINUTES_COLUMNS)
    notes: list[str] = field(default_factory=list)


MINUTES_XLSX_COLUMNS = [
    Column("tag", "Mã số"),
    Column("category_name", "Loại"),
    Column("description", "Tên tài sản"),
    Column("place", "Nơi sử dụng"),
    Column("book_qty", "Sổ sách: số lượng", "int"),
    Column("book_cost_vnd", "Sổ sách: nguyên giá", "money"),
    Column("book_remaining_vnd", "Sổ sách: giá trị còn lại", "money"),
    Column("count_qty", "Kiểm kê: số lượng", "int"),
    Column("count_cost_vnd", "Kiểm kê: nguyên giá", "money"),
    Column("count_remaining_vnd", "Kiểm kê: giá trị còn lại", "money"),
    Column("diff_qty", "Chênh lệch: số lượng", "int"),
    Column("diff_cost_vnd", "Chênh lệch: nguyên giá", "money"),
    Column("condition", "Tình trạng"),
    Column("proposal", "Đề xuất xử lý"),
]

_SUMS = (
    "book_qty",
    "book_cost_vnd",
    "book_remaining_vnd",
    "count_qty",
    "count_cost_vnd",
    "count_remaining_vnd",
    "diff_qty",
    "diff_cost_vnd",
)


def minutes_by_category(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by("category_name").agg(pl.col(c).sum() for c in _SUMS).sort("category_name")


def minutes_xlsx(minutes: Minutes, forms: FormCodes = DEFAULT_FORMS) -> bytes:
    return write_xlsx(
        minutes.frame,
        MINUTES_XLSX_COLUMNS,
        f"{forms.stocktake} Kiểm kê".strip()[:31],
        title=f"BIÊN BẢN KIỂM KÊ TÀI SẢN CỐ ĐỊNH (đợt kiểm kê số {minutes.stocktake_id})",
        scope=", ".join(part for part in (minutes.commune_name, minutes.province_name) if part),
        as_of=minutes.counted_at,
    )


def minutes_pdf(minutes: Minutes, forms: FormCodes = DEFAULT_FORMS) -> bytes:
    columns = [
        Col("STT", 8, "center"),
        Col("Mã số", 15),
        Col("Tên tài sản", 44),
        Col("Nơi sử dụng", 22),
        Col("Sổ sách: SL", 10, "right"),
        Col("Sổ sách: nguyên giá", 21, "right"),
        Col("Sổ sách: giá trị còn lại", 21, "right"),
        Col("Kiểm kê: SL", 10, "right"),
        Col("Kiểm kê: nguyên giá", 21, "right"),
        Col("Kiểm kê: giá trị còn lại", 21, "right"),
        Col("Thừa (+) / thiếu (-): SL", 12, "right"),
        Col("Thừa / thiếu: nguyên giá", 21, "right"),
        Col("Tình trạng", 16),
        Col("Đề xuất xử lý", 30),
    ]

    def line(r: dict[str, Any], first: str, name: str, place: str, tag: str) -> list[str]:
        return [
            first,
            tag,
            name,
            place,
            str(r["book_qty"]),
            money(r["book_cost_vnd"]),
            money(r["book_remaining_vnd"]),
            str(r["count_qty"]),
            money(r["count_cost_vnd"]),
            money(r["count_remaining_vnd"]),
            f"{r['diff_qty']:+d}" if r["diff_qty"] else "0",
            money(r["diff_cost_vnd"]),
            r.get("condition") or "",
            r.get("proposal") or "",
        ]

    rows: list[list[str]] = []
    bold: set[int] = set()
    frame = minutes.frame.sort(["category_name", "tag"])
    for category in minutes_by_category(frame).iter_rows(named=True):
        bold.add(len(rows))
        rows.append(line(category, "", category["category_name"], "", "Cộng loại"))
        part = frame.filter(pl.col("category_name") == category["category_name"])
        for i, r in enumerate(part.iter_rows(named=True), start=1):
            rows.append(line(r, str(i), r["description"], r["place"], r["tag"]))
    total = {c: int(frame[c].sum()) for c in _SUMS}
    bold.add(len(rows))
    rows.append(line(total, "", "TỔNG CỘNG", "", ""))
    members = [
        f"{i}. Ông/Bà {m.name}, chức vụ {m.position}{', ' + m.role if m.role else ''}"
        for i, m in enumerate(minutes.members, 1)
    ]
    paper = Paper(
        unit_lines=_unit_lines(minutes.commune_name, minutes.province_name),
        form_lines=_form_lines(forms.stocktake, forms),
        title="BIÊN BẢN KIỂM KÊ TÀI SẢN CỐ ĐỊNH",
        subtitle_lines=[f"Thời điểm kiểm kê: ngày {_date(minutes.counted_at)} (đợt kiểm kê số {minutes.stocktake_id})"],
        columns=columns,
        rows=rows,
        bold_rows=bold,
        before_table=["Ban kiểm kê gồm:", *members, "Đã kiểm kê tài sản, kết quả như sau:"],
        after_table=minutes.notes,
        signatures=[
            ("THỦ TRƯỞNG ĐƠN VỊ", "(Ý kiến giải quyết số chênh lệch; ký, họ tên, đóng dấu)"),
            ("KẾ TOÁN TRƯỞNG", "(Ký, họ tên)"),
            ("TRƯỞNG BAN KIỂM KÊ", "(Ký, họ tên)"),
        ],
    )
    return render(paper)


# --- the yearly summary for the national count ----------------------------------------------

SUMMARY_XLSX_COLUMNS = [
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("category_name", "Loại tài sản"),
    Column("quantity", "Số lượng", "int"),
    Column("original_cost_vnd", "Nguyên giá", "money"),
    Column("wear_vnd", "Hao mòn trong năm", "money"),
    Column("accumulated_vnd", "Hao mòn lũy kế", "money"),
    Column("remaining_vnd", "Giá trị còn lại", "money"),
]


def summary_export_frame(summary: pl.DataFrame) -> pl.DataFrame:
    frame = summary.with_columns(
        pl.col("category").replace_strict(CATEGORY_VI, default=pl.col("category")).alias("category_name")
    )
    for name in ("commune_code", "commune_name"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(name))
    return frame


def summary_xlsx(
    summary: pl.DataFrame, year: int, forms: FormCodes = DEFAULT_FORMS, *, scope: str | None = None
) -> bytes:
    return write_xlsx(
        summary_export_frame(summary),
        SUMMARY_XLSX_COLUMNS,
        f"Tổng hợp TSCĐ {year}",
        title=f"BÁO CÁO TỔNG HỢP TÀI SẢN CỐ ĐỊNH THEO LOẠI năm {year}",
        scope=scope,
        as_of=year_end(year),
    )


def summary_pdf(summary: pl.DataFrame, year: int, unit: str, forms: FormCodes = DEFAULT_FORMS) -> bytes:
    frame = summary_export_frame(summary)
    columns = [
        Col("STT", 8, "center"),
        Col("Xã", 50),
        Col("Loại tài sản", 45),
        Col("Số lượng", 16, "right"),
        Col("Nguyên giá", 32, "right"),
        Col("Hao mòn trong năm", 32, "right"),
        Col("Hao mòn lũy kế", 32, "right"),
        Col("Giá trị còn lại", 32, "right"),
    ]
    rows = [
        [
            str(i),
            r["commune_name"],
            r["category_name"],
            str(r["quantity"]),
            money(r["original_cost_vnd"]),
            money(r["wear_vnd"]),
            money(r["accumulated_vnd"]),
            money(r["remaining_vnd"]),
        ]
        for i, r in enumerate(frame.iter_rows(named=True), start=1)
    ]
    sums = {
        c: int(frame[c].sum())
        for c in ("quantity", "original_cost_vnd", "wear_vnd", "accumulated_vnd", "remaining_vnd")
    }
    rows.append(
        [
            "",
            "TỔNG CỘNG",
            "",
            str(sums["quantity"]),
            money(sums["original_cost_vnd"]),
            money(sums["wear_vnd"]),
            money(sums["accumulated_vnd"]),
            money(sums["remaining_vnd"]),
        ]
    )
    paper = Paper(
        unit_lines=[f"Đơn vị: {unit}"],
        form_lines=_form_lines(forms.summary, forms),
        title="BÁO CÁO TỔNG HỢP TÀI SẢN CỐ ĐỊNH THEO LOẠI",
        subtitle_lines=[f"Năm {year} (số liệu tại ngày 31/12/{year})"],
        columns=columns,
        rows=rows,
        bold_rows={len(rows) - 1},
        signatures=[("NGƯỜI LẬP", "(Ký, họ tên)"), ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký, họ tên, đóng dấu)")],
    )
    return render(paper)
