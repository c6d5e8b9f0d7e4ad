"""Benchmark the national-scale reports: ``python -m tests.bench.priority``.

Builds a synthetic fleet (default 150,000 assets in 3,321 communes), then
times, each collected at the edge as the API would:

* the ranked replacement list (:func:`replacement_priority`),
* the commune shortage (:func:`commune_shortage`),
* the plan under a budget (:func:`replacement_plan`), plain and with
  per-commune budgets and a minimum share,
* the fleet overview reports,
* XLSX exports: the whole asset register (150,000 rows), the ranked list
  and the plan; the CSV of the ranked list,

and reports peak resident memory (``resource.getrusage``). Targets: ranked
list < 1 s, plan < 1 s, XLSX of 150k rows < 3 s, memory < 1 GB.
Each step is run ``--repeat`` times; the best and the median are shown.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import date, datetime

import polars as pl

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

REGISTER_COLUMNS = [
    Column("asset_id", "Số hiệu", "int"),
    Column("tag", "Mã tài sản"),
    Column("commune_code", "Mã xã"),
    Column("category_code", "Loại"),
    Column("make", "Hãng"),
    Column("model", "Model"),
    Column("status", "Trạng thái"),
    Column("condition", "Tình trạng"),
    Column("acquired_on", "Ngày mua", "date"),
    Column("acquired_year", "Năm mua", "int"),
    Column("location", "Vị trí"),
    Column("antimalware_installed", "Diệt virus"),
    Column("cost_vnd", "Nguyên giá", "money"),
    Column("last_audited_at", "Kiểm kê lần cuối", "datetime"),
]
"""Asset register export, to time an XLSX of the whole 150,000-row fleet with every cell kind."""


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _time(label: str, fn, repeat: int, target: float | None = None):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    best, median = min(times), statistics.median(times)
    verdict = ""
    if target is not None:
        verdict = "  OK" if median < target else f"  SLOW (target < {target:g} s)"
    print(f"{label:<44} best {best:7.3f} s   median {median:7.3f} s   peak RSS {_peak_rss_mb():5.0f} MB{verdict}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=150_000)
    parser.add_argument("--communes", type=int, default=3_321)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=int, default=200_000_000_000, help="total budget, VND")
    args = parser.parse_args(argv)
    today = date(2026, 6, 1)

    print(f"polars {pl.__version__}, {pl.thread_pool_size()} threads")
    t0 = time.perf_counter()
    assets, categories, communes = synthetic_fleet(args.communes, args.assets, args.seed)
    # Materialise once so the timings below measure the reports, not the generator.
    assets, categories, communes = (f.collect().lazy() for f in (assets, categories, communes))
    print(
        f"synthetic fleet: {args.assets:,} assets, {args.communes:,} communes in {time.perf_counter() - t0:.2f} s"
        f" (peak RSS so far {_peak_rss_mb():.0f} MB)"
    )

    ranked = _time(
        "ranked list (replacement_priority)",
        lambda: replacement_priority(assets, categories, communes, today=today).collect(),
        args.repeat,
        1.0,
    )
    shortage = _time(
        "commune shortage",
        lambda: commune_shortage(assets, categories, communes).collect(),
        args.repeat,
    )
    plan = _time(
        "plan (replacement_plan)",
        lambda: replacement_plan(ranked.lazy(), shortage.lazy(), budget_vnd=args.budget).collect(),
        args.repeat,
        1.0,
    )
    per_commune = (
        shortage.select("commune_code")
        .unique()
        .with_columns(pl.lit(args.budget // args.communes, dtype=pl.Int64).alias("budget_vnd"))
    )
    _time(
        "plan, per-commune budgets + min share",
        lambda: replacement_plan(
            ranked.lazy(),
            shortage.lazy(),
            budget_vnd=args.budget,
            per_commune_budget=per_commune.lazy(),
            min_share_per_commune=0.5 / args.communes,
        ).collect(),
        args.repeat,
        1.0,
    )
    _time(
        "end to end: rank + shortage + plan",
        lambda: replacement_plan(
            replacement_priority(assets, categories, communes, today=today),
            commune_shortage(assets, categories, communes),
            budget_vnd=args.budget,
        ).collect(),
        args.repeat,
    )
    _time(
        "fleet overview (3 reports)",
        lambda: (
            fleet_by_commune(assets, categories, communes).collect(),
            age_profile(assets, categories, today).collect(),
            stocktake_coverage(assets, communes, datetime(2025, 6, 1)).collect(),
        ),
        args.repeat,
    )
    xlsx = _time(
        f"XLSX of ranked list ({ranked.height:,} rows)",
        lambda: write_xlsx(ranked, PRIORITY_COLUMNS, "Danh sách ưu tiên"),
        args.repeat,
        3.0,
    )
    register = assets.collect()
    _time(
        f"XLSX of asset register ({register.height:,} rows)",
        lambda: write_xlsx(register, REGISTER_COLUMNS, "Sổ tài sản"),
        args.repeat,
        3.0,
    )
    plan_xlsx = _time(
        f"XLSX of plan ({plan.height:,} rows)",
        lambda: write_xlsx(plan, PLAN_COLUMNS, "Kế hoạch"),
        args.repeat,
        3.0 * plan.height / 150_000,
    )
    csv = _time(
        f"CSV of ranked list ({ranked.height:,} rows)",
        lambda: write_csv(ranked, PRIORITY_COLUMNS),
        args.repeat,
    )

    included = plan.filter("included")
    print(
        f"plan: {plan.height:,} candidates, {included.height:,} included, "
        f"{included['unit_price_vnd'].sum():,} of {args.budget:,} VND"
    )
    print(f"XLSX {len(xlsx) / 1e6:.1f} MB (plan {len(plan_xlsx) / 1e6:.1f} MB), CSV {len(csv) / 1e6:.1f} MB")
    peak = _peak_rss_mb()
    print(f"peak memory (max RSS) {peak:,.0f} MB{'  OK' if peak < 1024 else '  OVER 1 GB'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
