"""Finance at national scale: ``DATABASE_URL=... python -m tests.bench.finance_national [--load]``.

``--load`` first adds the national synthetic budgets (34 provinces, 3,321 communes, 30,000
contracts, 100,000 payments; as ``python -m api synthetic --devices 0 --budgets``) to the
database named by ``DATABASE_URL``. Then it times, each stage in a process of its own (so
the peak memory, ``ru_maxrss``, is the stage's own):

* ``split``: a split of a line over its communes, preview (``dry_run``) and write, for a
  new line in every one of the 34 provinces: 3,321 communes in all (a line belongs to one
  province, so "one line over all 3,321 communes" is 34 lines); and the allocation upload of
  the largest province's line, dry run and commit. Target: under 0.5 s each.
* ``payments``: an XLSX of 100,000 payments over the 30,000 contracts (within what each
  still owes), dry run and commit through :mod:`procurement.finance.uploads`. Target:
  under 10 s and 500 MB.
* ``search``: the contract list of the finance pages filtered by a supplier name typed
  without diacritics. Target: under 0.2 s.

What a stage writes is deleted again afterwards, so the benchmark can be run again on the
same database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import models  # noqa: F401
from api import db

TARGET_SPLIT_S = 0.5
TARGET_UPLOAD_S = 10.0
TARGET_RSS_MB = 500
TARGET_SEARCH_S = 0.2
PAYMENT_ROWS = 100_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _verdict(seconds: float, target: float) -> str:
    return "OK" if seconds < target else f"SLOW (target < {target} s)"


async def _actor():
    from models.tables import AppUser
    from procurement.core.actor import Actor

    user = await AppUser.select(AppUser.id).where(AppUser.role == "admin").first()
    return Actor(user_id=user["id"] if user else 0, username="bench", role="finance")


async def _new_line(province_code: str, amount: int) -> int:
    from procurement.finance import budget
    from procurement.finance.schemas import LineCreate

    line = await budget.create_line(
        await _actor(),
        LineCreate(
            number=f"BENCH/{province_code}",
            name="Đo hiệu năng: chia cho mọi xã",
            issuing_body="UBND tỉnh",
            decision_date=dt.date(2025, 8, 22),
            fiscal_year=2025,
            amount_vnd=amount,
            province_code=province_code,
        ),
    )
    return line.id


async def _drop_lines(ids: list[int]) -> None:
    from models.procurement import Allocation, BudgetLine

    if ids:
        await Allocation.delete().where(Allocation.line.is_in(ids))
        await BudgetLine.delete().where(BudgetLine.id.is_in(ids))


async def stage_split() -> None:
    from models.tables import Commune, Province
    from procurement.finance import budget, uploads
    from procurement.finance.schemas import AllocationSplit, SplitBasis

    actor = await _actor()
    provinces = [r["code"] for r in await Province.select(Province.code).order_by(Province.code)]
    sizes = {
        r["code"]: r["n"]
        for r in await Commune.raw(
            "SELECT p.code AS code, count(*) AS n FROM commune c JOIN province p ON p.id = c.province GROUP BY p.code"
        )
    }
    lines: list[int] = []
    preview_s: list[float] = []
    write_s: list[float] = []
    communes = 0
    try:
        for code in provinces:
            line_id = await _new_line(code, 161_250_000_000)
            lines.append(line_id)
            body = {"total_vnd": 161_250_000_000, "basis": SplitBasis.equal}
            start = time.perf_counter()
            preview = await budget.split_allocation(actor, line_id, AllocationSplit(**body, dry_run=True))
            preview_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            written = await budget.split_allocation(actor, line_id, AllocationSplit(**body, dry_run=False))
            write_s.append(time.perf_counter() - start)
            assert written.written and len(written.allocations) == len(preview.allocations) == sizes[code]
            communes += len(written.allocations)
        print(
            f"split over {communes} communes, one line per province ({len(provinces)} lines): "
            f"preview {sum(preview_s):.2f} s in all, a line median {statistics.median(preview_s) * 1000:.0f} ms, "
            f"at most {max(preview_s) * 1000:.0f} ms ({_verdict(max(preview_s), TARGET_SPLIT_S)}); "
            f"write {sum(write_s):.2f} s in all, a line median {statistics.median(write_s) * 1000:.0f} ms, "
            f"at most {max(write_s) * 1000:.0f} ms ({_verdict(max(write_s), TARGET_SPLIT_S)})"
        )

        # The same split as an uploaded sheet: the largest province, every commune one row.
        largest = max(sizes, key=lambda c: sizes[c])
        line_id = await _new_line(largest, 161_250_000_000)
        lines.append(line_id)
        rows = (await uploads._communes()).filter(pl.col("province_code") == largest).sort("code")
        frame = rows.select(
            pl.col("code").alias("commune_code"),
            pl.col("name").alias("commune_name"),
            pl.lit(48_000_000, pl.Int64).alias("amount_vnd"),
            pl.lit("", pl.String).alias("note"),
        )
        content = uploads._template_xlsx("allocations", frame, "Phân bổ", None)
        start = time.perf_counter()
        report = await uploads.dry_run(actor, "allocations", content, "phan-bo.xlsx", line_id)
        dry = time.perf_counter() - start
        start = time.perf_counter()
        done = await uploads.commit(actor, "allocations", content, "phan-bo.xlsx", line_id)
        commit = time.perf_counter() - start
        assert report.ok and done.written == frame.height, report.errors[:3]
        print(
            f"allocation upload, {frame.height} communes of province {largest} (XLSX): dry run {dry * 1000:.0f} ms "
            f"({_verdict(dry, TARGET_SPLIT_S)}), commit {commit * 1000:.0f} ms ({_verdict(commit, TARGET_SPLIT_S)})"
        )
    finally:
        await _drop_lines(lines)
    print(f"peak memory of the stage {_rss_mb():.0f} MB")


async def _payment_sheet(path: Path) -> int:
    """100,000 payments over the contracts, each contract's rows within what it still owes."""
    from models.procurement import Contract, Payment
    from procurement.core.clock import today_vn
    from procurement.core.transactions import read_frame
    from procurement.finance import uploads

    contracts = await read_frame(
        Contract.select(Contract.id, Contract.number, Contract.signed_on, Contract.value_vnd),
        {"id": pl.Int64, "number": pl.String, "signed_on": pl.Date, "value_vnd": pl.Int64},
    )
    paid = await read_frame(
        Payment.select(Payment.contract, Payment.amount_vnd).where(Payment.contract.is_not_null()),
        {"id": pl.Int64, "amount_vnd": pl.Int64},
    )
    paid = paid.group_by("id").agg(pl.col("amount_vnd").sum().alias("paid"))
    owed = (
        contracts.join(paid, on="id", how="left")
        .with_columns((pl.col("value_vnd") - pl.col("paid").fill_null(0)).alias("owed"))
        .filter(pl.col("owed") >= 1000)
        .sort("id")
    )
    per = -(-PAYMENT_ROWS // owed.height)  # rows per contract, rounded up
    today = today_vn()
    frame = (
        owed.select(
            pl.col("number").alias("contract_number"),
            pl.col("signed_on"),
            (pl.col("owed") // (per + 1)).alias("amount_vnd"),
            pl.col("id"),
        )
        .join(pl.DataFrame({"k": list(range(per))}), how="cross")
        .head(PAYMENT_ROWS)
        .with_columns(
            pl.format("UP-{}-{}", pl.col("id"), pl.col("k")).alias("voucher_number"),
            pl.min_horizontal(pl.col("signed_on") + pl.duration(days=pl.col("k") + 1), pl.lit(today)).alias("paid_on"),
            pl.lit("bảng kê Kho bạc").alias("note"),
        )
    )
    content = uploads._template_xlsx("payments", frame, "Bảng kê Kho bạc", None)
    path.write_bytes(content)
    return frame.height


async def stage_payments(path: Path) -> None:
    from models.procurement import Payment
    from procurement.finance import uploads

    actor = await _actor()
    content = path.read_bytes()
    before = (await Payment.select(Payment.id).order_by(Payment.id, ascending=False).first() or {"id": 0})["id"]
    start, cpu = time.perf_counter(), time.process_time()
    report = await uploads.dry_run(actor, "payments", content, path.name)
    dry, dry_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_dry = _rss_mb()
    assert report.ok, report.errors[:3]
    start, cpu = time.perf_counter(), time.process_time()
    try:
        done = await uploads.commit(actor, "payments", content, path.name)
        commit, commit_cpu = time.perf_counter() - start, time.process_time() - cpu
        assert done.written == report.valid
    finally:
        await Payment.delete().where(Payment.id > before)
    rss = _rss_mb()
    print(
        f"payments upload, {report.valid:,} rows over {report.targets:,} contracts (XLSX {len(content) / 1e6:.1f} MB): "
        f"dry run {dry:.2f} s ({_verdict(dry, TARGET_UPLOAD_S)}; CPU of this process {dry_cpu:.2f} s), "
        f"commit {commit:.2f} s ({_verdict(commit, TARGET_UPLOAD_S)}; CPU of this process {commit_cpu:.2f} s); peak memory {rss_dry:.0f} MB after the dry run, {rss:.0f} MB "
        f"after the commit ({'OK' if rss < TARGET_RSS_MB else f'OVER (target < {TARGET_RSS_MB} MB)'})"
    )


async def stage_search(repeat: int) -> None:
    from procurement.finance import budget

    actor = await _actor()
    for q in ("nha cung cap thu nghiem tinh 75", "thu nghiem 12345", "tinh 01 hd-tn"):
        best = float("inf")
        rows: list = []
        for _ in range(repeat):
            start = time.perf_counter()
            rows = await budget.contract_summaries(actor, q=q)
            best = min(best, time.perf_counter() - start)
        print(f"contract list q={q!r}: {best * 1000:.1f} ms, {len(rows)} rows ({_verdict(best, TARGET_SEARCH_S)})")


async def run_stage(args) -> None:
    await db.migrate()
    await db.open_pool()
    try:
        if args.stage == "load":
            from models.procurement import Contract
            from procurement.seed.synthetic_budget import load_national_budget

            if await Contract.count() < 30_000:
                print("loaded", await load_national_budget())
            else:
                print(f"national budgets already there ({await Contract.count()} contracts)")
        elif args.stage == "split":
            await stage_split()
        elif args.stage == "sheet":
            print(f"payment sheet of {await _payment_sheet(Path(args.file)):,} rows written")
        elif args.stage == "payments":
            await stage_payments(Path(args.file))
        elif args.stage == "search":
            await stage_search(args.repeat)
    finally:
        await db.close_pool()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true", help="add the national budgets first (if not there)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stage", choices=["load", "split", "sheet", "payments", "search"])
    parser.add_argument("--file")
    args = parser.parse_args(argv)
    if args.stage:
        asyncio.run(run_stage(args))
        return
    print(f"database {os.environ.get('DATABASE_URL') or 'default'}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        sheet = str(Path(folder) / "bang-ke-kho-bac.xlsx")
        stages = (["load"] if args.load else []) + ["split", "sheet", "payments", "search"]
        for stage in stages:
            command = [sys.executable, "-m", "tests.bench.finance_national", "--stage", stage, "--file", sheet]
            subprocess.run([*command, "--repeat", str(args.repeat)], check=True)


if __name__ == "__main__":
    main()
