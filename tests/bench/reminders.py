"""Benchmark: the reminders of a whole province of the national data set, from the database to
the list (the same call as ``GET /api/reminders?province=…`` and the reminders page).

    DATABASE_URL=sqlite:///data/reminders-national.sqlite python -m tests.bench.reminders
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/national python -m tests.bench.reminders

The national set (150,000 devices over the 3,321 communes) is loaded first when the database
has no device (``python -m api synthetic --seed 1 --devices 150000``, a few minutes), and a few
warranties, disposal files and transfers awaiting confirmation are added once so that every kind
of reminder is computed.
Measures the largest province (by devices) as an admin sees it, and its largest commune as its
staff see it: best and median of ``--runs`` runs.

Target (issue 14): a whole province under 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import time

os.environ.setdefault("DATABASE_URL", "sqlite:///data/reminders-national.sqlite")

TARGET_SECONDS = 0.5


async def _prepare() -> None:
    """The national set, and warranties and disposal files once (bench data only)."""
    from api import db
    from models.lifecycle import DisposalFile, Transfer, Warranty
    from models.tables import Asset, Commune
    from procurement.core.clock import now, today_vn
    from procurement.seed.demo import load_national

    await db.migrate()
    if await Asset.count() == 0:
        print("loading the national set (150,000 devices)…")
        await load_national(1, 150_000, None)
    if await Warranty.count() == 0:
        today = today_vn()
        ids = [r["id"] for r in await Asset.select(Asset.id).order_by(Asset.id)]
        rows = [
            Warranty(
                asset=i,
                ends_on=today + dt.timedelta(days=n % 90),
                supplier="Công ty TNHH Thử Nghiệm",
                recorded_at=now(),
            )
            for n, i in enumerate(ids[::20])
        ]
        for start in range(0, len(rows), 1000):
            await Warranty.insert(*rows[start : start + 1000])
        files = [
            DisposalFile(asset=i, status="requested", ground="past_useful_life", requested_at=now())
            for i in ids[7::500]
        ]
        await DisposalFile.insert(*files)
    if await Transfer.count() == 0:
        # Transfers awaiting confirmation in the largest province: 5 communes send 20 devices each.
        from procurement.core.actor import Actor
        from procurement.lifecycle.schemas import TransferIn
        from procurement.lifecycle.transfers import create_transfer

        largest = (
            await Asset.raw(
                "SELECT m.province AS province FROM asset a JOIN commune m ON m.id = a.commune "
                "GROUP BY m.province ORDER BY COUNT(*) DESC LIMIT 1"
            )
        )[0]["province"]
        communes = (
            await Commune.select(Commune.id, Commune.code).where(Commune.province == largest).order_by(Commune.id)
        )
        admin = Actor(user_id=None, username="bench", role="admin")  # type: ignore[arg-type]
        for sender, receiver in zip(communes[:5], communes[5:10], strict=True):
            sent = [r["id"] for r in await Asset.select(Asset.id).where(Asset.commune == sender["id"]).limit(20)]
            if sent:
                decision = TransferIn(
                    decision_number=f"{sender['id']}/QĐ-UBND",
                    decision_date=today_vn(),
                    from_commune=sender["code"],
                    to_commune=receiver["code"],
                    asset_ids=sent,
                )
                await create_transfer(admin, decision)


async def _time(call, runs: int) -> tuple[float, float, int]:
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        count = len(await call())
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), count


async def main(runs: int) -> None:
    from api import db
    from models.tables import Asset, Commune
    from procurement.core.actor import Actor
    from procurement.lifecycle import service

    await _prepare()
    await db.open_pool()
    try:
        province = (
            await Asset.raw(
                "SELECT p.code, COUNT(*) AS n FROM asset a JOIN commune m ON m.id = a.commune "
                "JOIN province p ON p.id = m.province GROUP BY p.code ORDER BY n DESC LIMIT 1"
            )
        )[0]
        commune = (
            await Asset.raw(
                "SELECT m.id, m.code, COUNT(*) AS n FROM asset a JOIN commune m ON m.id = a.commune "
                "GROUP BY m.id, m.code ORDER BY n DESC LIMIT 1"
            )
        )[0]
        print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}  devices: {await Asset.count():,}")
        admin = Actor(user_id=None, username="bench", role="admin")  # type: ignore[arg-type]
        best, median, count = await _time(lambda: service.reminders(admin, 30, province["code"]), runs)
        verdict = "ok" if best < TARGET_SECONDS else "OVER TARGET"
        print(
            f"province {province['code']} ({province['n']:,} devices), admin: best {best:.3f} s, "
            f"median {median:.3f} s, {count:,} reminders  target < {TARGET_SECONDS} s: {verdict}"
        )
        name = (await Commune.select(Commune.name).where(Commune.id == commune["id"]).first())["name"]
        staff = Actor(
            user_id=None, username="bench", role="staff", commune_id=commune["id"], commune_code=commune["code"]
        )  # type: ignore[arg-type]
        best, median, count = await _time(lambda: service.reminders(staff, 30), runs)
        print(
            f"commune {commune['code']} {name} ({commune['n']:,} devices), staff: best {best:.3f} s, median {median:.3f} s, {count:,} reminders"
        )
    finally:
        await db.close_pool()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
