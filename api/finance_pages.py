"""Finance pages: the disbursement dashboard (finance, admin; planners read it too)."""

from __future__ import annotations

import asyncio

import polars as pl
from litestar import Request, get
from litestar.response import Template

from api.pages import page, render
from procurement.clock import today_vn
from procurement import finance_reports
from procurement.finance_chart import progress_svg
from procurement.finance_reports import Report

FINANCE_PAGE = page("admin", "finance", "planner")


@get("/finance", opt=FINANCE_PAGE, include_in_schema=False)
async def finance_dashboard(request: Request) -> Template:
    today = today_vn()
    frames = await finance_reports.load_frames()
    lines = finance_reports.REPORTS[Report.by_line][0](*frames, today=today).collect()
    months = finance_reports.REPORTS[Report.by_month][0](*frames, today=today).collect()
    lagging = finance_reports.REPORTS[Report.lagging][0](*frames, today=today).collect()
    charts = []
    # One chart per line with a schedule of its own (the plans people follow).
    scheduled_lines = frames[1].select("line_id").unique().collect()["line_id"].to_list()
    for line in lines.filter(pl.col("line_id").is_in(scheduled_lines)).iter_rows(named=True):
        rows = months.filter(pl.col("line_id") == line["line_id"])
        # vl-convert is CPU work: keep the event loop free while it draws.
        svg = await asyncio.to_thread(progress_svg, rows, line["allocated_vnd"], f"{line['number']}")
        charts.append({"line": line, "svg": svg})
    return render(
        request, "finance.html", today=today, lines=lines.to_dicts(), charts=charts,
        lagging=lagging.head(20).to_dicts(), lagging_count=lagging.height,
        lagging_total=int(lagging["behind_vnd"].sum()) if lagging.height else 0,
    )


FINANCE_PAGES = [finance_dashboard]
