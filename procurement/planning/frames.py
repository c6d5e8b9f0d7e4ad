"""Read the register into the polars frames the reports take.

:func:`load_register` returns ``assets``, ``categories`` and ``communes``
LazyFrames with exactly the columns documented in :mod:`procurement.planning.priority`
(plus ``commune_id`` / ``category_id`` where handy). Filters (province,
commune, category) and "leave disposed devices out" go into the SQL, so a
commune's report reads only that commune's rows.

Why not Piccolo's ``select()``: building 150,000 row dicts (and parsing their
dates one by one) costs seconds. Here one plain SQL query per table runs on
the engine's own driver and the frame is built column-wise:

* SQLite: the standard ``sqlite3`` module on the database file (short-lived
  read-only connections of our own, in worker threads so the event loop is not
  held); SQLite's own JSON functions turn the rows into one NDJSON text, which
  polars parses column-wise;
* PostgreSQL: ``COPY (SELECT …) TO STDOUT`` in CSV through asyncpg (the
  Piccolo pool when it is open), parsed by polars' multi-threaded CSV reader;
  no Python object per value at all.

Both give the same frame; ``tests/test_planning_api.py`` checks it against
Piccolo's rows. Measured on the national fleet (150,000 devices) in
:mod:`tests.bench.planning`.
"""

from __future__ import annotations

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from models.tables import Asset
from procurement.core.columns import (
    TIME_FORMAT_POSTGRES,
    TIME_FORMAT_SQLITE,
    ColumnQuery,
    postgres_csv,
    read_csv,
    sqlite_connection,
    sqlite_part,
)
from procurement.core.heavy import run_heavy
from procurement.planning.priority import ASSET_SCHEMA


@dataclass(frozen=True)
class RegisterFilter:
    """Which part of the register to read; ``None`` = no restriction."""

    province: str | None = None
    commune: str | None = None
    category: str | None = None
    include_disposed: bool = False


_SQLITE_READERS = 4  # at most this many connections read the assets side by side


@dataclass(frozen=True)
class RegisterFrames:
    assets: pl.LazyFrame
    categories: pl.LazyFrame
    communes: pl.LazyFrame


# Raw columns as the SQL returns them (before codes are joined and types fixed).
_ASSET_SQL_COLUMNS = {
    "asset_id": pl.Int64,
    "tag": pl.String,
    "commune_id": pl.Int64,
    "category_id": pl.Int64,
    "make": pl.String,
    "model": pl.String,
    "status": pl.String,
    "condition": pl.String,
    "acquired_on": pl.String,
    "acquired_year": pl.Int32,
    "location": pl.String,
    "antimalware_installed": pl.Int8,
    "os_supported": pl.Int8,
    "cost_vnd": pl.Int64,
    "last_audited_at": pl.String,
}
_COMMUNE_SQL_COLUMNS = {
    "commune_id": pl.Int64,
    "commune_code": pl.String,
    "commune_name": pl.String,
    "province_code": pl.String,
    "province_name": pl.String,
    "officials": pl.Int32,
    "remote": pl.Int8,
    "has_service_point": pl.Int8,
}
_CATEGORY_SQL_COLUMNS = {
    "category_id": pl.Int64,
    "category_code": pl.String,
    "name": pl.String,
    "useful_life_years": pl.Int32,
    "is_computer": pl.Int8,
}


def _queries(postgres: bool, filters: RegisterFilter) -> tuple[ColumnQuery, ColumnQuery, ColumnQuery]:
    """The (assets, communes, categories) queries for ``filters``."""
    b = "::int" if postgres else ""  # booleans as 0/1 on both engines
    t = "::text" if postgres else ""  # dates and times as ISO text on both
    where_asset, where_commune, args = [], [], []

    def arg(value: str) -> str:
        args.append(value)
        return f"${len(args)}" if postgres else "?"

    if filters.commune is not None:
        where_commune.append(f"c.code = {arg(filters.commune)}")
    if filters.province is not None:
        where_commune.append(f"c.province IN (SELECT id FROM province WHERE code = {arg(filters.province)})")
    if where_commune:
        where_asset.append(f"a.commune IN (SELECT c.id FROM commune c WHERE {' AND '.join(where_commune)})")
    commune_args = list(args)
    if filters.category is not None:
        where_asset.append(f"a.category IN (SELECT id FROM category WHERE code = {arg(filters.category)})")
    if not filters.include_disposed:
        where_asset.append("a.status <> 'disposed'")

    def where(conditions: list[str]) -> str:
        return " WHERE " + " AND ".join(conditions) if conditions else ""

    assets = ColumnQuery(
        [
            "a.id",
            "a.tag",
            "a.commune",
            "a.category",
            "a.make",
            "a.model",
            "a.status",
            "a.condition",
            f"a.acquired_on{t}",
            "a.acquired_year",
            "a.location",
            f"a.antimalware_installed{b}",
            f"a.os_supported{b}",
            "a.cost_vnd",
            f"a.last_audited_at{t}",
        ],
        "asset a" + where(where_asset),
        args,
        _ASSET_SQL_COLUMNS,
    )
    communes = ColumnQuery(
        ["c.id", "c.code", "c.name", "p.code", "p.name", "c.officials", f"c.remote{b}", f"c.has_service_point{b}"],
        "commune c JOIN province p ON p.id = c.province" + where(where_commune),
        commune_args,
        _COMMUNE_SQL_COLUMNS,
    )
    categories = ColumnQuery(
        ["id", "code", "name", "useful_life_years", f"is_computer{b}"], "category", [], _CATEGORY_SQL_COLUMNS
    )
    return assets, communes, categories


def _sqlite_frames(path: str, queries: tuple[ColumnQuery, ...]) -> list[pl.DataFrame]:
    """Run the queries; the assets query in id ranges on parallel connections.

    Python's sqlite3 lets go of the GIL while SQLite steps through rows, and
    polars while it parses, so each range is read on its own core (WAL lets
    readers run side by side).
    """
    assets, *others = queries
    connection = sqlite_connection(path)
    try:
        low, high = connection.execute("SELECT min(id), max(id) FROM asset").fetchone()
    finally:
        connection.close()
    parts = max(1, min(_SQLITE_READERS, os.cpu_count() or 1))
    if low is None or parts == 1:
        ranges: list[tuple[int, int] | None] = [None]
    else:
        step = (high - low) // parts + 1
        ranges = [(low + i * step, min(high, low + (i + 1) * step - 1)) for i in range(parts)]
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        pieces = list(pool.map(lambda r: sqlite_part(path, assets, r), ranges))
    return [pl.concat(pieces, how="vertical"), *(sqlite_part(path, q, None) for q in others)]


def _flag(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Boolean)


class _SQLiteSnapshots:
    """Frames already read from a SQLite file, kept while the file is unchanged.

    Planners reload the ranked list again and again while adjusting weights; on
    SQLite, re-reading 150,000 devices is most of that time. ``PRAGMA
    data_version`` on a connection of our own changes whenever any other
    connection commits, so a kept frame is used only when nothing has been
    written since it was read: never stale, and no guess about what changed.
    """

    KEEP = 4  # filters remembered per file (e.g. the country and a few provinces)

    def __init__(self) -> None:
        self._probes: dict[str, sqlite3.Connection] = {}
        self._frames: dict[tuple[str, RegisterFilter], tuple[int, RegisterFrames]] = {}

    def version(self, path: str) -> int:
        probe = self._probes.get(path)
        if probe is None:
            probe = self._probes[path] = sqlite_connection(path)
        return probe.execute("PRAGMA data_version").fetchone()[0]

    def get(self, path: str, filters: RegisterFilter, version: int) -> RegisterFrames | None:
        kept = self._frames.get((path, filters))
        return kept[1] if kept and kept[0] == version else None

    def put(self, path: str, filters: RegisterFilter, version: int, frames: RegisterFrames) -> None:
        self._frames.pop((path, filters), None)
        self._frames[(path, filters)] = (version, frames)
        while len(self._frames) > self.KEEP:
            self._frames.pop(next(iter(self._frames)))

    def clear(self) -> None:
        for probe in self._probes.values():
            probe.close()
        self._probes.clear()
        self._frames.clear()


sqlite_snapshots = _SQLiteSnapshots()


async def load_register(filters: RegisterFilter | None = None, engine=None) -> RegisterFrames:
    """The register (or the part ``filters`` selects) as report-ready LazyFrames.

    ``assets`` leaves disposed devices out unless ``include_disposed``;
    ``communes`` holds the communes of the selected area (all of them, also
    those with no device); ``categories`` always holds every category.
    """
    filters = filters or RegisterFilter()
    engine = engine or Asset._meta.db
    if isinstance(engine, SQLiteEngine):
        version = sqlite_snapshots.version(engine.path)
        kept = sqlite_snapshots.get(engine.path, filters, version)
        if kept is None:
            kept = await _read_register(filters, engine)
            sqlite_snapshots.put(engine.path, filters, version, kept)
        return kept
    return await _read_register(filters, engine)


async def _read_register(filters: RegisterFilter, engine) -> RegisterFrames:
    postgres = isinstance(engine, PostgresEngine)
    queries = _queries(postgres, filters)
    if postgres:
        texts = await postgres_csv(engine, queries)
        return await run_heavy(_postgres_build, texts, queries)
    if isinstance(engine, SQLiteEngine):
        return await run_heavy(_sqlite_build, engine.path, queries)
    raise TypeError(f"unsupported engine {type(engine).__name__}")  # pragma: no cover


def _postgres_build(texts: list[bytes], queries: tuple[ColumnQuery, ...]) -> RegisterFrames:
    raw = [read_csv(text, query.schema) for text, query in zip(texts, queries, strict=True)]
    return _build(*raw, tz_format=TIME_FORMAT_POSTGRES)


def _sqlite_build(path: str, queries: tuple[ColumnQuery, ...]) -> RegisterFrames:
    return _build(*_sqlite_frames(path, queries), tz_format=TIME_FORMAT_SQLITE)


def _build(
    raw_assets: pl.DataFrame, raw_communes: pl.DataFrame, raw_categories: pl.DataFrame, *, tz_format: str
) -> RegisterFrames:
    """The report-ready frames from the raw query results (CPU only: run off the loop)."""
    categories = raw_categories.with_columns(_flag("is_computer"))
    communes = raw_communes.with_columns(_flag("remote"), _flag("has_service_point"))
    assets = (
        raw_assets.lazy()
        .join(
            communes.lazy().select("commune_id", "commune_code"),
            on="commune_id",
            how="left",
            maintain_order="left",
        )
        .join(
            categories.lazy().select("category_id", "category_code"),
            on="category_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.col("acquired_on").str.to_date("%Y-%m-%d"),
            _flag("antimalware_installed"),
            _flag("os_supported"),
            pl.col("last_audited_at").str.to_datetime(tz_format, time_unit="us", time_zone="UTC"),
        )
        .select(*ASSET_SCHEMA, "commune_id")
        # Materialised once: every report of a request reads the same rows.
        .collect()
    )
    return RegisterFrames(assets=assets.lazy(), categories=categories.lazy(), communes=communes.lazy())
