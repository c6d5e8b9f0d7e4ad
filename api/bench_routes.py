"""Baseline routes for the look-up benchmark only (mounted when BENCH_RAW_ROUTES=1):
the same look-up by tag as /api/assets/by-tag/{tag}, but with a bare driver query
(sqlite3 / asyncpg) and no Piccolo, behind the same middleware and guard."""

from __future__ import annotations

import sqlite3

from litestar import get
from litestar.params import FromPath
from piccolo.engine.postgres import PostgresEngine

from api.db import engine
from api.security import ALL_ROLES, roles
from procurement.errors import NotFound

_SQL = """
SELECT a.id, a.tag, c.code AS category, c.name AS category_name, m.code AS commune_code,
       m.name AS commune_name, p.code AS province_code, a.make, a.model, a.serial, a.location,
       a.status, a.condition, a.acquired_on, a.acquired_year, a.cost_vnd, a.last_audited_at
FROM asset a JOIN category c ON c.id = a.category JOIN commune m ON m.id = a.commune
JOIN province p ON p.id = m.province WHERE a.tag = {placeholder}
"""
_connection: sqlite3.Connection | None = None


def _sqlite() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(engine().path, check_same_thread=False)
        _connection.row_factory = sqlite3.Row
    return _connection


@get("/bench/raw-lookup/{tag:str}", opt=roles(*ALL_ROLES), include_in_schema=False)
async def raw_lookup(tag: FromPath[str]) -> dict:
    db = engine()
    if isinstance(db, PostgresEngine):
        async with db.pool.acquire() as connection:
            row = await connection.fetchrow(_SQL.format(placeholder="$1"), tag)
    else:
        row = _sqlite().execute(_SQL.format(placeholder="?"), (tag,)).fetchone()
    if row is None:
        raise NotFound()
    return dict(row)
