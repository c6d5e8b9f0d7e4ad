"""Disbursement reports FROM THE DATABASE, national scale:
``DATABASE_URL=... python -m tests.bench.finance_db [--load]``.

``--load`` first adds the national synthetic budgets (34 provinces, 3,321
communes, 30,000 contracts, 100,000 payments) to the database named by
``DATABASE_URL`` (same as ``python -m api synthetic --devices 0 --budgets``).
Then times, best of ``--repeat``: reading the five frames, and the report by
commune and by month end to end (read + compute + encode) as JSON and as XLSX.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

import models  # noqa: F401
from api import db
from procurement.core.money import format_vnd
from procurement.finance import reports
from procurement.finance.reports import Format, Report


async def _best(repeat: int, make):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await make()
        best = min(best, time.perf_counter() - start)
    return best, result


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    await db.migrate()
    await db.open_pool()
    try:
        if args.load:
            from procurement.seed.synthetic_budget import load_national_budget

            print("loaded", await load_national_budget(today=args.today))
        print(f"engine {type(db.engine()).__name__}")
        seconds, frames = await _best(args.repeat, reports.load_frames)
        counts = [f.select("*").collect().height for f in frames]
        print(
            f"read 5 frames (lines, milestones, allocations, contracts, payments = {counts}) {seconds * 1000:8.1f} ms"
        )
        for report in (Report.by_commune, Report.by_month):
            for fmt in (Format.json, Format.xlsx):

                async def end_to_end(report=report, fmt=fmt):
                    frame = await reports.run_report(report, today=args.today)
                    return frame, reports.encode(frame, fmt, reports.REPORTS[report][1])

                seconds, (frame, body) = await _best(args.repeat, end_to_end)
                print(
                    f"{report.value:<11} {fmt.value:<5} {seconds * 1000:8.1f} ms  {frame.height:>5} rows  {len(body) / 1e6:6.2f} MB"
                )
        summary = await reports.run_report(Report.provinces, today=args.today)
        print(
            f"national: plans {format_vnd(int(summary['amount_vnd'].sum()))}, paid {format_vnd(int(summary['paid_vnd'].sum()))}, "
            f"communes behind {int(summary['communes_behind'].sum())} of {int(summary['communes'].sum())}"
        )
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
