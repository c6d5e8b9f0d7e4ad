"""Server-side charts as inline SVG strings (no CDN, no browser, no network).

Charts are described with Altair (Vega-Lite) and rendered to SVG in-process
by vl-convert. Text stays text in the SVG (``<text>`` elements), in
Vietnamese, so pages can embed the SVG directly and screen readers and search
still see the labels.

* :func:`shortage_bar_svg` — communes lacking the most devices (from
  :func:`procurement.planning.priority.commune_shortage`).
* :func:`fleet_condition_svg` — devices per category by condition (from
  :func:`procurement.planning.fleet.fleet_by_commune`).
* :func:`age_profile_svg` — devices per category by age band (from
  :func:`procurement.planning.fleet.age_profile`).
"""

from __future__ import annotations

import altair as alt
import polars as pl
import vl_convert as vlc

from procurement.core.reporting import require_columns
from procurement.planning.fleet import (
    AGE_BAND_NAMES_VI,
    AGE_BANDS,
    CONDITION_NAMES_VI,
    CONDITIONS,
)
from procurement.planning.priority import GROUP_NAMES_VI

FONT = "Arial, 'Noto Sans', 'DejaVu Sans', sans-serif"
CONDITION_COLORS = ["#2e7d32", "#f9a825", "#ef6c00", "#c62828"]  # tốt → hỏng
GROUP_COLORS = ["#1565c0", "#6a1b9a", "#00838f"]
VI_FORMAT_LOCALE = {
    "decimal": ",",
    "thousands": ".",
    "grouping": [3],
    "currency": ["", " đ"],
}


def _frame(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame


def _render(chart: alt.TopLevelMixin) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict()
    # Data is inline: no URL may be fetched. Numbers use Vietnamese grouping (1.500).
    return vlc.vegalite_to_svg(spec, allowed_base_urls=[], format_locale=VI_FORMAT_LOCALE)


def _empty_svg(message: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="40" role="img">'
        f'<text x="10" y="25" font-family="sans-serif" font-size="14">{message}</text></svg>'
    )


def shortage_bar_svg(
    shortage: pl.DataFrame | pl.LazyFrame,
    *,
    top: int = 15,
    title: str = "Các xã thiếu nhiều thiết bị nhất",
) -> str:
    """Horizontal stacked bars: devices lacking per commune (top ``top`` communes), by kind.

    Input columns: commune_code, commune_name, category_code (computer /
    printer / scanner), lacking.
    """
    df = _frame(shortage)
    require_columns(df, "shortage", ("commune_code", "commune_name", "category_code", "lacking"))
    totals = (
        df.group_by("commune_code")
        .agg(pl.col("lacking").sum().alias("_total"))
        .filter(pl.col("_total") > 0)
        .sort(["_total", "commune_code"], descending=[True, False])
        .head(top)
    )
    if totals.height == 0:
        return _empty_svg("Không xã nào thiếu thiết bị.")
    data = (
        df.join(totals, on="commune_code")
        .filter(pl.col("lacking") > 0)
        .with_columns(
            pl.col("category_code").replace_strict(GROUP_NAMES_VI, default=pl.col("category_code")).alias("Loại"),
            pl.concat_str(
                [
                    pl.col("commune_name"),
                    pl.lit(" ("),
                    pl.col("commune_code"),
                    pl.lit(")"),
                ]
            ).alias("Xã"),
        )
        .select("Xã", "Loại", pl.col("lacking").alias("Số thiếu"), "_total")
        .sort("_total", descending=True)
    )
    order = data.unique("Xã", maintain_order=True)["Xã"].to_list()
    chart = (
        alt.Chart(alt.Data(values=data.drop("_total").to_dicts()), title=title)
        .mark_bar()
        .encode(
            y=alt.Y("Xã:N", sort=order, title=None),
            x=alt.X("Số thiếu:Q", title="Số thiết bị còn thiếu", stack="zero"),
            color=alt.Color(
                "Loại:N",
                scale=alt.Scale(domain=list(GROUP_NAMES_VI.values()), range=GROUP_COLORS),
                legend=alt.Legend(title="Loại thiết bị", orient="bottom"),
            ),
            tooltip=["Xã:N", "Loại:N", "Số thiếu:Q"],
        )
        .properties(width=480)
    )
    return _render(chart)


def fleet_condition_svg(
    fleet: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Thiết bị theo loại và tình trạng",
) -> str:
    """Horizontal stacked bars: devices per category, split by condition (tốt → hỏng).

    Input columns: category_name (or category_code), condition, devices
    (e.g. :func:`procurement.planning.fleet.fleet_by_commune`; summed over communes).
    """
    df = _frame(fleet)
    require_columns(df, "fleet", ("condition", "devices"))
    label = "category_name" if "category_name" in df.columns else "category_code"
    require_columns(df, "fleet", (label,))
    data = (
        df.group_by(label, "condition")
        .agg(pl.col("devices").sum())
        .with_columns(
            pl.col("condition").replace_strict(CONDITION_NAMES_VI, default=pl.col("condition")).alias("Tình trạng")
        )
        .select(
            pl.col(label).alias("Loại"),
            "Tình trạng",
            pl.col("devices").alias("Số thiết bị"),
        )
        .sort("Loại")
    )
    if data.height == 0:
        return _empty_svg("Chưa có thiết bị.")
    names = [CONDITION_NAMES_VI[c] for c in CONDITIONS]
    chart = (
        alt.Chart(alt.Data(values=data.to_dicts()), title=title)
        .mark_bar()
        .encode(
            y=alt.Y("Loại:N", title=None, sort="-x"),
            x=alt.X("Số thiết bị:Q", title="Số thiết bị", stack="zero"),
            color=alt.Color(
                "Tình trạng:N",
                scale=alt.Scale(domain=names, range=CONDITION_COLORS),
                sort=names,
                legend=alt.Legend(title="Tình trạng", orient="bottom"),
            ),
            order=alt.Order("_o:Q"),
            tooltip=["Loại:N", "Tình trạng:N", "Số thiết bị:Q"],
        )
        .transform_calculate(_o=f"indexof({names!r}, datum['Tình trạng'])")
        .properties(width=480)
    )
    return _render(chart)


def age_profile_svg(profile: pl.DataFrame | pl.LazyFrame, *, title: str = "Tuổi thiết bị theo loại") -> str:
    """Grouped bars: devices per category by age band (0–2, 3–4, 5–7, từ 8 năm, không rõ).

    Input columns: category_name, age_band, devices (:func:`procurement.planning.fleet.age_profile`).
    """
    df = _frame(profile)
    require_columns(df, "age_profile", ("category_name", "age_band", "devices"))
    names = [AGE_BAND_NAMES_VI[b] for b in AGE_BANDS]
    data = df.select(
        pl.col("category_name").alias("Loại"),
        pl.col("age_band").replace_strict(AGE_BAND_NAMES_VI, default=pl.col("age_band")).alias("Tuổi"),
        pl.col("devices").alias("Số thiết bị"),
    )
    if data.height == 0:
        return _empty_svg("Chưa có thiết bị.")
    chart = (
        alt.Chart(alt.Data(values=data.to_dicts()), title=title)
        .mark_bar()
        .encode(
            x=alt.X("Loại:N", title=None, axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset("Tuổi:N", sort=names),
            y=alt.Y("Số thiết bị:Q", title="Số thiết bị"),
            color=alt.Color("Tuổi:N", sort=names, legend=alt.Legend(title="Tuổi", orient="bottom")),
            tooltip=["Loại:N", "Tuổi:N", "Số thiết bị:Q"],
        )
        .properties(width=520, height=260)
    )
    return _render(chart)
