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


async def _against_plain_sql(repeat: int, today: date) -> None:
    """Disbursement by month (signings and amendments, each in its month) and stocktake coverage
    beside a plain SQL GROUP BY of the same sums."""
    import datetime as dt

    from models.tables import Asset
    from procurement.core.actor import Actor
    from procurement.core.transactions import is_sqlite
    from procurement.register import stocktake

    month = (lambda c: f"substr({c}, 1, 7)") if is_sqlite() else (lambda c: f"to_char({c}, 'YYYY-MM')")

    async def plain_by_month():
        paid = await Asset.raw(f"SELECT line, {month('paid_on')} AS m, sum(amount_vnd) FROM payment GROUP BY 1, 2")
        signed = await Asset.raw(f"SELECT line, {month('signed_on')} AS m, sum(value_vnd) FROM contract GROUP BY 1, 2")
        # contract.value_vnd is the current value: each amendment's change goes to its own month
        # and comes off the signing month (nothing to read where no contract was amended).
        amended = await Asset.raw(
            f"SELECT k.line, {month('m.signed_on')}, {month('k.signed_on')}, sum(m.value_change_vnd)"
            " FROM contract_amendment m JOIN contract k ON k.id = m.contract GROUP BY 1, 2, 3"
        )
        return paid, signed, amended

    since = dt.datetime.combine(today - dt.timedelta(days=365), dt.time(), tzinfo=dt.UTC)

    async def plain_coverage():
        return await Asset.raw(
            "SELECT commune, count(*), sum(CASE WHEN last_audited_at >= {} THEN 1 ELSE 0 END)"
            " FROM asset WHERE status <> 'disposed' GROUP BY commune",
            since,
        )

    admin = Actor(user_id=0, username="bench", role="admin")
    pairs = [
        (
            "disbursement by month",
            lambda: reports.run_report(Report.by_month, actor=admin, today=today),
            plain_by_month,
        ),
        ("stocktake coverage", lambda: stocktake.coverage(admin, since=since), plain_coverage),
    ]
    for label, ours, plain in pairs:
        ours_s, _ = await _best(repeat, ours)
        plain_s, _ = await _best(repeat, plain)
        ratio = ours_s / plain_s
        verdict = "OK" if ratio <= 1.5 else "SLOW (target <= 1.5x)"
        print(
            f"{label:<22} ours {ours_s * 1000:8.1f} ms  plain SQL GROUP BY {plain_s * 1000:8.1f} ms"
            f"  ratio {ratio:4.2f}  {verdict}"
        )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    from procurement.core.actor import Actor

    admin = Actor(user_id=0, username="bench", role="admin")  # the national admin: every province
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
                    frame = await reports.run_report(report, actor=admin, today=args.today)
                    return frame, reports.encode(frame, fmt, reports.REPORTS[report][1])

                seconds, (frame, body) = await _best(args.repeat, end_to_end)
                print(
                    f"{report.value:<11} {fmt.value:<5} {seconds * 1000:8.1f} ms  {frame.height:>5} rows  {len(body) / 1e6:6.2f} MB"
                )
        await _against_plain_sql(args.repeat, args.today)
        summary = await reports.run_report(Report.provinces, actor=admin, today=args.today)
        print(
            f"national: plans {format_vnd(int(summary['amount_vnd'].sum()))}, paid {format_vnd(int(summary['paid_vnd'].sum()))}, "
            f"communes behind {int(summary['communes_behind'].sum())} of {int(summary['communes'].sum())}"
        )
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
