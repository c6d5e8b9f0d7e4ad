"""Baseline route for the look-up benchmark only (mounted when BENCH_RAW_ROUTES=1).

The same look-up by tag as ``/api/assets/by-tag/{tag}``, with the same answer,
behind the same middleware and guard, but with a bare driver (sqlite3 without
Piccolo's type converters, resp. asyncpg) and a hand-written query instead of
Piccolo. So the benchmark ratio measures what Piccolo's engine costs, and
nothing else: both routes check the tag, hide other communes' devices and
build the same ``AssetOut``. ``tests/test_bench_routes.py`` checks that the two
answers are identical, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from litestar import Request, Response, get
from litestar.params import FromPath
from piccolo.engine.postgres import PostgresEngine

from api.controllers.register import json_of
from api.db import engine
from api.security import ALL_ROLES, roles
from labels.tags import TagError, parse_tag
from procurement.core.errors import NotFound
from procurement.register.devices import asset_out_of_row
from procurement.register.schemas import AssetOut

LOOKUP_SQL = """
SELECT a.id, a.tag, c.code AS category, c.name AS category_name, c.useful_life_years,
       m.id AS commune_id, m.code AS commune_code, m.name AS commune_name, p.code AS province_code,
       a.make, a.model, a.serial, a.location, a.location_detail, a.assigned_to,
       a.acquired_on, a.acquired_year, a.cost_vnd, a.acquisition, a.status, a.condition,
       a.last_audited_at, a.antimalware_installed, a.os_name, a.os_supported, a.notes,
       a.created_at, a.updated_at
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


def _timestamp(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _typed_sqlite_row(row: sqlite3.Row) -> dict:
    """SQLite hands back text and 0/1; give the values the types the answer needs."""
    values = dict(row)
    if values["acquired_on"] is not None:
        values["acquired_on"] = dt.date.fromisoformat(values["acquired_on"])
    for name in ("last_audited_at", "created_at", "updated_at"):
        values[name] = _timestamp(values[name])
    for name in ("antimalware_installed", "os_supported"):
        values[name] = _flag(values[name])
    return values


@get("/bench/raw-lookup/{tag:str}", opt=roles(*ALL_ROLES), include_in_schema=False)
async def raw_lookup(request: Request, tag: FromPath[str]) -> Response[AssetOut]:
    try:
        canonical = parse_tag(tag)
    except TagError as error:
        raise NotFound(error.message, field="tag") from None
    db = engine()
    if isinstance(db, PostgresEngine):
        async with db.pool.acquire() as connection:
            row = await connection.fetchrow(LOOKUP_SQL.format(placeholder="$1"), canonical)
        values = None if row is None else dict(row)
    else:
        row = _sqlite().execute(LOOKUP_SQL.format(placeholder="?"), (canonical,)).fetchone()
        values = None if row is None else _typed_sqlite_row(row)
    if values is None or not request.user.sees_commune(values["commune_id"]):
        raise NotFound("Không tìm thấy thiết bị.")
    return json_of(asset_out_of_row(values))
