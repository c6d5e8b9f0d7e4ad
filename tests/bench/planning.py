"""Benchmark the planning reports FROM THE DATABASE: ``python -m tests.bench.planning``.

Reads the database that ``DATABASE_URL`` names (SQLite file or PostgreSQL),
as the API does, and times each step end to end (read the register through
:mod:`procurement.planning.frames`, run the report, collect):

* reading the register (150,000 devices nationally),
* the ranked replacement list, and its first JSON page as the API shapes it,
* the plan under a budget (with its own read of the register),
* the XLSX of the whole ranked list and of the whole register (every device),
* the fleet overview;

then prints the peak resident memory. Targets: ranked list < 1 s, plan < 1 s,
XLSX of 150,000 rows < 3 s, memory < 1 GB. Load the national data set first::

    DATABASE_URL=sqlite:///national.sqlite python -m api synthetic --seed 1 --devices 150000
    DATABASE_URL=sqlite:///national.sqlite python -m tests.bench.planning

Each step runs ``--repeat`` times; the best and the median are shown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import polars as pl
from piccolo.engine.sqlite import SQLiteEngine

import models  # noqa: F401  (sets PICCOLO_CONF)
from api import db
from procurement.core.actor import Actor
from procurement.core.xlsx import PRIORITY_COLUMNS, write_xlsx
from procurement.planning import kept_ranking, plans
from procurement.planning.frames import RegisterFilter, kept_frames, load_register
from tests.bench.priority import REGISTER_COLUMNS, _peak_rss_mb

COUNTRY = Actor(user_id=0, username="bench", role="national")  # reads every province


async def _time(label: str, make, repeat: int, target: float | None = None, warm: bool = False):
    """Time ``make``; cold (the default) drops SQLite's kept frames first, so
    every run reads the register from the database."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        if not warm:
            kept_frames.clear()
            kept_ranking.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = make()
        if asyncio.iscoroutine(result):
            result = await result
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    best, median = min(times), statistics.median(times)
    verdict = "" if target is None else ("  OK" if median < target else f"  SLOW (target < {target:g} s)")
    # CPU time (all threads) tells whether a slow wall time was the machine being busy.
    print(
        f"{label:<46} best {best:6.3f} s  median {median:6.3f} s  cpu {statistics.median(cpu):6.3f} s"
        f"  peak RSS {_peak_rss_mb():5.0f} MB{verdict}"
    )
    return result


async def _after_one_write(label: str, compute, repeat: int, target: float = 0.5) -> None:
    """Time ``compute`` right after one device was changed (the write itself is not timed).

    The kept frames are read once first, as a planner's earlier request would have.
    """
    from models.tables import Asset
    from procurement.register.devices import now

    await compute()
    device = await Asset.select(Asset.id, Asset.condition).where(Asset.status != "disposed").first()
    times, cpu = [], []
    for n in range(repeat):
        condition = ("fair", "poor")[n % 2]
        await Asset.update({Asset.condition: condition, Asset.updated_at: now()}).where(Asset.id == device["id"])
        started, started_cpu = time.perf_counter(), time.process_time()
        await compute()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    await Asset.update({Asset.condition: device["condition"], Asset.updated_at: now()}).where(Asset.id == device["id"])
    median = statistics.median(times)
    verdict = "  OK" if median < target else f"  SLOW (target < {target:g} s)"
    print(
        f"{label:<46} best {min(times):6.3f} s  median {median:6.3f} s  cpu {statistics.median(cpu):6.3f} s"
        f"  peak RSS {_peak_rss_mb():5.0f} MB{verdict}"
    )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200_000_000_000, help="plan budget, VND")
    args = parser.parse_args(argv)
    await db.open_pool()
    try:
        engine = type(db.engine()).__name__
        url = os.environ.get("DATABASE_URL", "(default SQLite file)").split("@")[-1]
        print(
            f"load average {os.getloadavg()[0]:.1f}; {engine} {url}; polars {pl.__version__}, {pl.thread_pool_size()} threads, {os.cpu_count()} CPUs"
        )
        frames = await _time(
            "read register (all devices)", lambda: load_register(RegisterFilter(include_disposed=True)), args.repeat
        )
        register = frames.assets.collect()
        print(f"  {register.height:,} devices in {frames.communes.collect().height:,} communes")
        ranked = await _time("ranked list from the database", lambda: plans.ranked_list(plans.Area()), args.repeat, 1.0)

        async def first_page():
            from api.controllers.planning import PriorityRow

            rows = await plans.ranked_list(plans.Area())
            return [PriorityRow(**r) for r in rows.slice(0, 50).to_dicts()]

        await _time("ranked list + first JSON page (API)", first_page, args.repeat, 1.0)
        if isinstance(db.engine(), SQLiteEngine):
            await _time(
                "ranked list, register unchanged (kept frames)",
                lambda: plans.ranked_list(plans.Area()),
                args.repeat,
                1.0,
                warm=True,
            )
        await _time(
            "ranked list of one province from the db", lambda: plans.ranked_list(plans.Area("01")), args.repeat, 1.0
        )
        request = plans.PlanRequest(budget_vnd=args.budget)
        plan = await _time(
            "plan under a budget from the database", lambda: plans.plan(request, actor=COUNTRY), args.repeat, 1.0
        )
        if isinstance(db.engine(), SQLiteEngine):
            await _time(
                "plan, register unchanged (kept frames)",
                lambda: plans.plan(request, actor=COUNTRY),
                args.repeat,
                1.0,
                warm=True,
            )
        await _after_one_write(
            "ranked list after one write (kept frames)", lambda: plans.ranked_list(plans.Area()), args.repeat
        )
        await _after_one_write(
            "plan under a budget after one write", lambda: plans.plan(request, actor=COUNTRY), args.repeat
        )
        await _time(
            f"XLSX of the ranked list ({ranked.height:,} rows)",
            lambda: write_xlsx(ranked, PRIORITY_COLUMNS, "Ưu tiên"),
            args.repeat,
            3.0,
        )
        xlsx = await _time(
            f"XLSX of the whole register ({register.height:,} rows)",
            lambda: write_xlsx(register, REGISTER_COLUMNS, "Sổ tài sản"),
            args.repeat,
            3.0,
        )
        await _time("fleet overview from the database", lambda: plans.fleet(plans.Area()), args.repeat)
        summary = plans.plan_summary(plan, args.budget)
        print(
            f"plan: {summary['candidates']:,} candidates, {summary['included']:,} chosen, "
            f"{summary['spent_vnd']:,} of {args.budget:,} VND; register XLSX {len(xlsx) / 1e6:.1f} MB"
        )
        peak = _peak_rss_mb()
        print(f"peak memory (max RSS) {peak:,.0f} MB{'  OK' if peak < 1024 else '  OVER 1 GB'}")
    finally:
        await db.close_pool()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
