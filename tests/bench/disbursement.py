"""National disbursement benchmark: ``python -m tests.bench.disbursement``.

34 provinces, 3,321 communes, 30,000 contracts, 100,000 payments (synthetic,
deterministic).  Times the generator, each report's ``collect()`` and the
XLSX export (xlsxwriter, constant_memory), best of ``--repeat`` runs, and
prints row counts and a few totals.  The workbook goes to a temporary
directory unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import polars as pl

from procurement.core.money import format_vnd
from procurement.finance.disbursement import (
    lagging_communes,
    progress_by_commune,
    progress_by_line,
    progress_by_month,
    province_summary,
)
from procurement.finance.reports import Format, encode
from procurement.seed.synthetic_money import synthetic_disbursement

T = TypeVar("T")


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=3321)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--contracts", type=int, default=30_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", help="XLSX path (default: a temporary file, deleted afterwards)")
    args = parser.parse_args(argv)

    print(f"polars {pl.__version__}, threads {pl.thread_pool_size()}")
    gen_s, frames = best_of(
        1,
        lambda: synthetic_disbursement(
            args.communes, args.contracts, args.payments, seed=args.seed, today=args.today, n_provinces=args.provinces
        ),
    )
    print(
        f"synthetic data: {frames.lines.height} lines, {frames.allocations.height} allocations, "
        f"{frames.contracts.height} contracts, {frames.payments.height} payments "
        f"({frames.payments.filter(pl.col('amount_vnd') < 0).height} reversals) in {gen_s:.2f} s"
    )
    inputs = frames.lazy()
    collected: dict[str, pl.DataFrame] = {}
    for report in (progress_by_commune, progress_by_month, progress_by_line, lagging_communes, province_summary):
        seconds, out = best_of(args.repeat, lambda report=report: report(*inputs, today=args.today).collect())
        collected[report.__name__] = out
        print(f"{report.__name__:<22} collect {seconds * 1000:8.1f} ms  {out.height:>6} rows")

    sheets = {
        "Theo xã": collected["progress_by_commune"],
        "Theo tháng": collected["progress_by_month"],
        "Theo dòng NS": collected["progress_by_line"],
        "Xã chậm": collected["lagging_communes"],
        "Theo tỉnh": collected["province_summary"],
    }
    for sheet, frame in sheets.items():
        seconds, data = best_of(args.repeat, lambda frame=frame, sheet=sheet: encode(frame, Format.xlsx, sheet))
        print(f"xlsx {sheet:<14} {frame.height:>6} rows {seconds * 1000:8.1f} ms, {len(data) / 1e6:.2f} MB")
    if args.out:
        with open(args.out, "wb") as out:
            out.write(encode(sheets["Theo xã"], Format.xlsx, "Theo xã"))

    summary = collected["province_summary"]
    print(
        f"national: plan {format_vnd(summary['amount_vnd'].sum())}, paid {format_vnd(summary['paid_vnd'].sum())}, "
        f"communes behind {summary['communes_behind'].sum()} of {summary['communes'].sum()}"
    )


if __name__ == "__main__":
    main()
