"""Opening, migrating and closing the database chosen by DATABASE_URL."""

from __future__ import annotations

import contextlib
import io

from piccolo.engine.postgres import PostgresEngine

import models  # noqa: F401  (sets PICCOLO_CONF)
from models.tables import Asset


def engine():
    return Asset._meta.db


async def migrate(quiet: bool = True) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    db = engine()
    if hasattr(db, "enable_wal"):
        db.enable_wal()  # creates the file's folder too; WAL stays set in the file
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{output.getvalue()}")


async def open_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=2, max_size=20)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
    elif hasattr(db, "close_kept_connection"):
        db.close_kept_connection()
