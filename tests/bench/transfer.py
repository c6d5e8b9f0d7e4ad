"""Benchmark: a transfer of 500 devices between two communes, and receiving them all.

    python -m tests.bench.transfer                       # SQLite (a temporary file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m tests.bench.transfer

Target (issue 14): the transfer of 500 devices under 2 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time

from tests.bench.importing import _database_url, _drop

DEVICES = int(os.environ.get("BENCH_DEVICES", "500"))


async def _run() -> None:
    from api import db
    from models.tables import Asset, Commune
    from procurement.core.actor import Actor
    from procurement.core.clock import today_vn
    from procurement.lifecycle.schemas import ReceiveIn, TransferIn
    from procurement.lifecycle.transfers import create_transfer, receive
    from procurement.register.new_device import device_row, draw_free_tags
    from procurement.seed.demo import ensure_reference_data

    await db.migrate()
    await ensure_reference_data()
    await db.open_pool()
    try:
        sender, receiver = await Commune.select(Commune.id, Commune.code).where(Commune.code.is_in(["26296", "26299"]))
        category = 1
        at = dt.datetime.now(dt.UTC)
        tags = await draw_free_tags(DEVICES)
        await Asset.insert(
            *[
                Asset(**device_row({"tag": t, "category": category, "commune": sender["id"], "make": "Dell"}, at))
                for t in tags
            ]
        )
        ids = [r["id"] for r in await Asset.select(Asset.id).where(Asset.commune == sender["id"])]
        admin = Actor(user_id=None, username="bench", role="admin")
        data = TransferIn(
            decision_number="1/QĐ",
            decision_date=today_vn(),
            from_commune=sender["code"],
            to_commune=receiver["code"],
            asset_ids=ids,
        )
        started = time.perf_counter()
        transfer = await create_transfer(admin, data)
        sent = time.perf_counter() - started
        started = time.perf_counter()
        for tag in tags:
            await receive(admin, transfer.id, ReceiveIn(tag=tag))
        received = time.perf_counter() - started
        print(
            f"transfer of {DEVICES} devices: {sent:.2f} s (target < 2 s); receiving each by its tag: "
            f"{received:.2f} s in all, {received / DEVICES * 1000:.0f} ms a scan"
        )
    finally:
        await db.close_pool()


def main() -> None:
    url, created = _database_url()
    source = os.environ.get("DATABASE_URL", "")
    os.environ["DATABASE_URL"] = url
    try:
        asyncio.run(_run())
    finally:
        if created:
            _drop(source, created)


if __name__ == "__main__":
    main()
