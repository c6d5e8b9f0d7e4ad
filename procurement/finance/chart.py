"""A budget line's progress drawn as an SVG on the server (Altair → vl-convert,
which renders offline: no browser script, nothing from a CDN).

Allocated (flat), committed and paid (cumulative by month) against the
schedule (a step: the target share reached at each milestone). Money is shown
in billions of dong (tỷ đồng) on the axis; figures stay whole dong elsewhere.
"""

from __future__ import annotations

import functools

import altair as alt
import polars as pl
import vl_convert

_SERIES = {
    "allocated": "Đã phân bổ",
    "committed": "Đã ký hợp đồng (lũy kế)",
    "paid": "Đã giải ngân (lũy kế)",
    "scheduled": "Kế hoạch giải ngân",
}
_COLOURS = ["#8aa4b5", "#0b5c8c", "#1e7a3c", "#b3261e"]


def progress_svg(months: pl.DataFrame, allocated_vnd: int, title: str) -> str:
    """``months``: rows of :func:`procurement.finance.disbursement.progress_by_month` for one line."""
    billions = 1_000_000_000
    wide = months.select(
        pl.col("month"),
        pl.lit(allocated_vnd / billions).alias(_SERIES["allocated"]),
        (pl.col("cumulative_committed_vnd") / billions).alias(_SERIES["committed"]),
        (pl.col("cumulative_paid_vnd") / billions).alias(_SERIES["paid"]),
        (pl.col("scheduled_cumulative_vnd") / billions).alias(_SERIES["scheduled"]),
    )
    long = wide.unpivot(index="month", variable_name="series", value_name="ty_dong").with_columns(
        pl.col("month").dt.strftime("%Y-%m-%d")
    )
    colour = alt.Color(
        "series:N",
        title=None,
        sort=list(_SERIES.values()),
        scale=alt.Scale(domain=list(_SERIES.values()), range=_COLOURS),
        legend=alt.Legend(orient="bottom", columns=2),
    )
    base = alt.Chart(alt.Data(values=long.to_dicts())).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%m/%Y", labelAngle=-40)),
        y=alt.Y("ty_dong:Q", title="tỷ đồng"),
        color=colour,
    )
    lines = base.transform_filter(alt.datum.series != _SERIES["scheduled"]).mark_line(point=True, strokeWidth=2)
    schedule = base.transform_filter(alt.datum.series == _SERIES["scheduled"]).mark_line(
        interpolate="step-after", strokeDash=[6, 4], strokeWidth=2
    )
    chart = (lines + schedule).properties(width=520, height=240, title=title).configure_view(stroke=None)
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    # Scales with the page (the phone's width) by app.css (.chart svg): no style attribute, which the
    # pages' content security policy would refuse.
    return svg.replace(
        "<svg ",
        '<svg role="img" aria-label="Biểu đồ tiến độ giải ngân" preserveAspectRatio="xMinYMin meet" ',
        1,
    )


def kept_progress_svg(months: pl.DataFrame, allocated_vnd: int, title: str) -> str:
    """:func:`progress_svg`, drawn once per distinct input: a chart costs about half a second of
    vl-convert, and a line's figures change only when something is signed or paid."""
    return _drawn(tuple(months.rows()), tuple(months.schema.items()), allocated_vnd, title)


@functools.lru_cache(maxsize=256)
def _drawn(rows: tuple, schema: tuple, allocated_vnd: int, title: str) -> str:
    return progress_svg(pl.DataFrame(list(rows), schema=dict(schema), orient="row"), allocated_vnd, title)
