"""Benchmark: dry run and commit of a 20,000-row XLSX in the import template.

    python -m tests.bench.importing                      # SQLite (a temporary file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m tests.bench.importing

On PostgreSQL a throwaway database is created next to the one in the URL and
dropped afterwards. Targets: dry run < 5 s, commit < 5 s, peak memory < 500 MB.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import random
import resource
import secrets
import sys
import tempfile
import time
from urllib.parse import urlparse, urlunparse

ROWS = int(os.environ.get("BENCH_ROWS", "20000"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _database_url() -> tuple[str, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tempfile.mkdtemp(prefix='bench-import-')}/bench.sqlite", None
    import asyncpg

    name = f"bench_import_{os.getpid()}_{secrets.token_hex(3)}"

    async def create():
        connection = await asyncpg.connect(url)
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()

    asyncio.run(create())
    return urlunparse(urlparse(url)._replace(path=f"/{name}")), name


def _drop(url: str, name: str) -> None:
    import asyncpg

    async def drop():
        connection = await asyncpg.connect(url)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    asyncio.run(drop())


async def _sheet(rows: int) -> bytes:
    """A sheet of the province's communes as a commune's staff would fill the template."""
    import polars as pl

    from models.tables import Commune
    from procurement.geography.places import DEFAULT_CATEGORIES
    from procurement.register import importing
    from procurement.register.schemas import ACQUISITION_VI, CONDITION_VI, LOCATION_VI, STATUS_VI
    from procurement.seed.demo import DEMO_PROVINCE, commune_profile, fleet_for_commune

    names = {code: name for code, name, _, _ in DEFAULT_CATEGORIES}
    rng = random.Random(7)
    communes = await Commune.select(Commune.code, Commune.name).where(Commune.province.code == DEMO_PROVINCE)
    today = dt.date.today()
    out: list[dict] = []
    while len(out) < rows:
        commune = rng.choice(communes)
        fleet = fleet_for_commune(rng, {**commune, **commune_profile(rng, commune["name"])}, today)
        for device in fleet:
            out.append(
                {
                    "tag": None,
                    "category": names[device["category"]],
                    "commune_code": commune["code"],
                    "commune_name": commune["name"],
                    "make": device["make"],
                    "model": device["model"],
                    "serial": f"{device['serial']}{len(out):05d}",
                    "location": LOCATION_VI[device["location"]],
                    "location_detail": "",
                    "assigned_to": "",
                    "acquired": device["acquired_on"] or device["acquired_year"],
                    "cost_vnd": device["cost_vnd"],
                    "acquisition": ACQUISITION_VI[device["acquisition"]],
                    "status": STATUS_VI[device["status"]],
                    "condition": CONDITION_VI[device["condition"]],
                    "antimalware_installed": None
                    if device["antimalware_installed"] is None
                    else ("Có" if device["antimalware_installed"] else "Không"),
                    "os_name": device["os_name"],
                    "os_supported": None
                    if device["os_supported"] is None
                    else ("Có" if device["os_supported"] else "Không"),
                    "notes": "",
                }
            )
    frame = pl.DataFrame(
        out[:rows],
        schema={k: (pl.Int64 if k == "cost_vnd" else pl.Object if k == "acquired" else pl.String) for k in out[0]},
    )
    buffer = io.BytesIO()
    importing.write_xlsx(buffer, frame, list(names.values()))
    return buffer.getvalue()


async def _run() -> list[tuple[str, float, str]]:
    from api import db
    from models.tables import Asset, AssetEvent
    from procurement.accounts import users
    from procurement.core.actor import Actor
    from procurement.register import importing
    from procurement.seed.demo import ensure_reference_data

    await db.migrate()
    await ensure_reference_data()
    await db.open_pool()
    try:
        user = await users.create_user(
            users.UserCreate(username="bench-admin", password="bench-importer-admin", role="admin")
        )
        actor = Actor(user_id=user.id, username=user.username, role="admin")
        content = await _sheet(ROWS)
        results = [("sheet (generated, untimed)", 0.0, f"{len(content) / 1024 / 1024:.1f} MB, {ROWS} rows")]
        started = time.perf_counter()
        report = await importing.dry_run(actor, content, "bench.xlsx")
        results.append(
            ("dry run", time.perf_counter() - started, f"create {report.create}, errors {report.error_count}")
        )
        assert report.ok and report.create == ROWS, report.errors[:5]
        started = time.perf_counter()
        report = await importing.commit(actor, content, "bench.xlsx")
        results.append(("commit", time.perf_counter() - started, f"created {report.create}"))
        assets, events = await Asset.count(), await AssetEvent.count()
        assert assets == ROWS and events == ROWS, (assets, events)
        started = time.perf_counter()
        report = await importing.commit(actor, content, "bench.xlsx")
        results.append(("re-import (nothing new)", time.perf_counter() - started, f"unchanged {report.unchanged}"))
        assert report.create == 0 and await Asset.count() == ROWS
        return results
    finally:
        await db.close_pool()


def main() -> None:
    source = os.environ.get("DATABASE_URL", "")
    url, created = _database_url()
    os.environ["DATABASE_URL"] = url
    try:
        import models  # noqa: F401  (reads DATABASE_URL)
        from api import db

        engine = type(db.engine()).__name__
        results = asyncio.run(_run())
    finally:
        if created:
            _drop(source, created)
    print(f"import benchmark on {engine}, {ROWS} rows")
    for step, seconds, note in results:
        print(f"  {step:<26} {seconds:6.2f} s   {note}")
    peak = _peak_mb()
    print(f"  peak memory (max RSS)      {peak:6.0f} MB")
    slow = [s for s, seconds, _ in results if s in ("dry run", "commit") and seconds >= 5]
    if slow or peak >= 500:
        print("  TARGET MISSED (< 5 s each, < 500 MB)")
        sys.exit(1)


if __name__ == "__main__":
    main()
