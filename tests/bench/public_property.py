"""Benchmark public property on the national synthetic set: ``python -m tests.bench.public_property``.

Needs the national set (``DATABASE_URL`` defaults to sqlite:////tmp/pp-national.sqlite):

    DATABASE_URL=sqlite:////tmp/pp-national.sqlite python -m api migrate
    DATABASE_URL=sqlite:////tmp/pp-national.sqlite python -m api synthetic --seed 1 --devices 150000

Measures, each once, from the database to the bytes:

* closing a year for every commune (about 150,000 devices): target under 10 s. The year
  is re-opened first (its rows deleted) so that the run can be repeated: bench only;
* one commune's fixed-asset book as PDF (the commune with the most devices): under 1 s;
* the minutes of a finished 500-device stocktake round (PDF): under 1 s. The bench tops the
  commune up to 500 devices and runs one round on it the first time;
* a province's yearly summary per commune and category as XLSX (the largest province): under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/pp-national.sqlite")

ROUND_COMMUNE = "26296"  # Xã An Viễn
ROUND_DEVICES = 500


async def _round(actor) -> int:
    """A finished stocktake round over ROUND_DEVICES devices of ROUND_COMMUNE (made once)."""
    from models.scan import Stocktake
    from models.tables import Asset, Commune
    from procurement.register import stocktake
    from procurement.register.devices import register_asset
    from procurement.register.schemas import AssetCreate

    commune = await Commune.select(Commune.id).where(Commune.code == ROUND_COMMUNE).first()
    assert commune is not None, "load the national set first"
    done = (
        await Stocktake.select(Stocktake.id)
        .where(Stocktake.commune == commune["id"], Stocktake.status == "finished")
        .order_by(Stocktake.id, ascending=False)
        .first()
    )
    have = await Asset.count().where(Asset.commune == commune["id"], Asset.status != "disposed")
    if done and have >= ROUND_DEVICES:
        return done["id"]
    for i in range(have, ROUND_DEVICES):
        await register_asset(
            actor,
            AssetCreate(
                category="desktop" if i % 3 else "printer",
                commune_code=ROUND_COMMUNE,
                make="Dell",
                model="OptiPlex 3080",
                serial=f"BENCH-{uuid.uuid4().hex[:10]}",
                acquired_on="2023-03-15",
                cost_vnd=15_000_000 if i % 3 else 4_500_000,
            ),
        )
    for open_round in await Stocktake.select(Stocktake.id).where(
        Stocktake.commune == commune["id"], Stocktake.status == "open"
    ):
        await stocktake.finish(actor, open_round["id"])
    started = await stocktake.start(actor, stocktake.StocktakeStart(commune_code=ROUND_COMMUNE))
    tags = [r["tag"] for r in await Asset.select(Asset.tag).where(Asset.commune == commune["id"])]
    actions = [
        stocktake.StocktakeAction(
            client_event_id=uuid.uuid4().hex, kind="not_found" if i % 25 == 0 else "confirm", tag=tag
        )
        for i, tag in enumerate(tags)
    ]
    for start in range(0, len(actions), stocktake.MAX_BATCH):
        await stocktake.sync(
            actor, started.id, stocktake.SyncBatch(actions=actions[start : start + stocktake.MAX_BATCH])
        )
    await stocktake.finish(actor, started.id)
    return started.id


async def main(year: int) -> None:
    from api import db
    from models.public_property import WearClosing, WearRecord
    from models.tables import Asset
    from procurement.core.actor import Actor
    from procurement.core.transactions import write_transaction
    from procurement.public_property import papers, service
    from procurement.public_property.papers import Member

    await db.open_pool()
    actor = Actor(user_id=None, username="bench", role="admin")  # type: ignore[arg-type]
    devices = await Asset.count()
    print(f"database: {os.environ['DATABASE_URL']}  devices: {devices:,}")

    async with write_transaction():  # bench only: re-open the year so the run can be repeated
        await WearRecord.delete().where(WearRecord.year >= year)
        await WearClosing.delete().where(WearClosing.year >= year)
    t = time.perf_counter()
    result = await service.close_year(actor, year)
    closing = time.perf_counter() - t
    print(
        f"close {year}, all communes: {closing:.2f} s  ({len(result.closed)} communes, "
        f"{result.devices:,} fixed assets written)  target < 10 s"
    )

    biggest = (
        await Asset.raw(
            "SELECT m.code, COUNT(*) AS n FROM asset a JOIN commune m ON m.id = a.commune "
            "GROUP BY m.code ORDER BY n DESC LIMIT 1"
        )
    )[0]
    t = time.perf_counter()
    book = await service.book(actor, year, commune=biggest["code"])
    pdf = papers.book_pdf(book)
    elapsed = time.perf_counter() - t
    print(
        f"book PDF of commune {biggest['code']} ({biggest['n']} devices, {book.frame.height} on the book): "
        f"{elapsed:.3f} s, {len(pdf):,} bytes  target < 1 s"
    )

    round_id = await _round(actor)
    members = [Member("Nguyễn Văn A", "Phó Chủ tịch UBND xã", "Trưởng ban"), Member("Trần Thị B", "Kế toán")]
    t = time.perf_counter()
    minutes = await service.stocktake_minutes(actor, round_id, members)
    pdf = papers.minutes_pdf(minutes)
    elapsed = time.perf_counter() - t
    print(f"stocktake minutes PDF, {minutes.frame.height} devices: {elapsed:.3f} s, {len(pdf):,} bytes  target < 1 s")

    province = (
        await Asset.raw(
            "SELECT p.code, COUNT(*) AS n FROM asset a JOIN commune m ON m.id = a.commune "
            "JOIN province p ON p.id = m.province GROUP BY p.code ORDER BY n DESC LIMIT 1"
        )
    )[0]
    t = time.perf_counter()
    summary = await service.summary(actor, year, province=province["code"], by_commune=True)
    xlsx = papers.summary_xlsx(summary, year)
    elapsed = time.perf_counter() - t
    print(
        f"yearly summary XLSX of province {province['code']} ({province['n']:,} devices, {summary.height} rows): "
        f"{elapsed:.3f} s, {len(xlsx):,} bytes  target < 2 s"
    )
    await db.close_pool()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    asyncio.run(main(parser.parse_args().year))
