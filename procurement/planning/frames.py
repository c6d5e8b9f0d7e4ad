"""Read the register into the polars frames the reports take.

:func:`load_register` returns ``assets``, ``categories`` and ``communes``
LazyFrames with exactly the columns documented in :mod:`procurement.planning.priority`
(plus ``commune_id`` / ``category_id`` where handy). Filters (province,
commune, category) and "leave disposed devices out" go into the SQL, so a
commune's report reads only that commune's rows.

Why not Piccolo's ``select()``: building 150,000 row dicts (and parsing their
dates one by one) costs seconds. Here one plain SQL query per table runs on
the engine's own driver and the frame is built column-wise
(:mod:`procurement.core.columns`; the assets in id ranges on parallel SQLite
connections):

* SQLite: the standard ``sqlite3`` module on the database file (short-lived
  read-only connections of our own, in worker threads so the event loop is not
  held); SQLite's own JSON functions turn the rows into one NDJSON text, which
  polars parses column-wise;
* PostgreSQL: ``COPY (SELECT …) TO STDOUT`` in CSV through asyncpg (the
  Piccolo pool when it is open), parsed by polars' multi-threaded CSV reader;
  no Python object per value at all.

Both give the same frame; ``tests/app/api/test_planning_api.py`` checks it against
Piccolo's rows. Frames read are kept and brought up to date by reading only
the devices that changed (:class:`_KeptFrames`). Measured on the national fleet (150,000 devices) in
:mod:`tests.bench.planning`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

import polars as pl
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from models.tables import Asset
from procurement.core.columns import (
    SQLITE_READERS,
    TIME_FORMAT_POSTGRES,
    TIME_FORMAT_SQLITE,
    ColumnQuery,
    postgres_csv,
    read_columns,
    read_csv,
    sqlite_connection,
    sqlite_part,
    sqlite_ranges,
)
from procurement.core.heavy import run_heavy
from procurement.planning.priority import ASSET_SCHEMA
from procurement.planning.slices import replaced_rows


@dataclass(frozen=True)
class RegisterFilter:
    """Which part of the register to read; ``None`` = no restriction."""

    province: str | None = None
    commune: str | None = None
    category: str | None = None
    include_disposed: bool = False


_SQLITE_READERS = SQLITE_READERS  # at most this many connections read the assets side by side


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
    "repair_total_vnd": pl.Int64,
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
            # The device's repairs in all (a repair moves the device's updated_at, so kept frames see it).
            "(SELECT COALESCE(SUM(r.cost_vnd), 0) FROM repair r WHERE r.asset = a.id)",
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
    """Run the queries; the assets query in id ranges on parallel connections (:func:`sqlite_ranges`)."""
    assets, *others = queries
    return [sqlite_ranges(path, assets, readers=_SQLITE_READERS), *(sqlite_part(path, q, None) for q in others)]


def _flag(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Boolean)


# A write is caught by the next read when its row's ``updated_at`` (the writer's
# clock when it changed the row) is at most this long before that read began: far
# longer than any write transaction (SQLite's busy_timeout is 10 s; a 20,000-row
# import commits in seconds) or than clocks of the workers differ by.
CHANGE_WINDOW = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class _Kept:
    frames: RegisterFrames
    assets: pl.DataFrame
    version: int | None  # SQLite: PRAGMA data_version when read
    read_at: dt.datetime


class _KeptFrames:
    """Register frames kept between reads, brought up to date by reading only what changed.

    Planners reload the ranked list again and again while adjusting weights, and
    a device changes now and then; re-reading 150,000 devices each time is most
    of the time of a report. So the frames read are kept (per database and
    filter) and a later read fetches only:

    * the devices whose ``updated_at`` falls after the last read (less
      :data:`CHANGE_WINDOW`), upserted by id (those that left the filter, e.g.
      disposed or moved to another area, are dropped);
    * the communes and categories (a few thousand rows: their counts of
      officials, remoteness, useful lives);
    * the number of devices the filter selects: when the kept frame, brought up
      to date, does not hold exactly that many (a device deleted), it is read
      again in full.

    Every write of a device goes through the register's use cases, which set
    ``updated_at``. On SQLite, ``PRAGMA data_version`` on a connection of our
    own changes whenever another connection (of any process) commits, so while
    nothing is written a kept frame is used with no query at all.
    """

    KEEP = 4  # filters remembered per database (e.g. the country and a few provinces)

    def __init__(self) -> None:
        self._probes: dict[str, sqlite3.Connection] = {}
        self._frames: dict[tuple[str, RegisterFilter], _Kept] = {}

    def version(self, path: str) -> int:
        probe = self._probes.get(path)
        if probe is None:
            probe = self._probes[path] = sqlite_connection(path)
        return probe.execute("PRAGMA data_version").fetchone()[0]

    def get(self, key: tuple[str, RegisterFilter]) -> _Kept | None:
        return self._frames.get(key)

    def put(self, key: tuple[str, RegisterFilter], kept: _Kept) -> None:
        self._frames.pop(key, None)
        self._frames[key] = kept
        while len(self._frames) > self.KEEP:
            self._frames.pop(next(iter(self._frames)))

    def clear(self) -> None:
        for probe in self._probes.values():
            probe.close()
        self._probes.clear()
        self._frames.clear()


kept_frames = _KeptFrames()


def _database_key(engine) -> str:
    if isinstance(engine, SQLiteEngine):
        return engine.path
    return repr(sorted((k, str(v)) for k, v in engine.config.items() if k != "password"))


async def load_register(filters: RegisterFilter | None = None, engine=None) -> RegisterFrames:
    """The register (or the part ``filters`` selects) as report-ready LazyFrames.

    ``assets`` leaves disposed devices out unless ``include_disposed``;
    ``communes`` holds the communes of the selected area (all of them, also
    those with no device); ``categories`` always holds every category.
    """
    filters = filters or RegisterFilter()
    engine = engine or Asset._meta.db
    key = (_database_key(engine), filters)
    version = kept_frames.version(engine.path) if isinstance(engine, SQLiteEngine) else None
    kept = kept_frames.get(key)
    if kept is not None and version is not None and kept.version == version:
        return kept.frames
    read_at = dt.datetime.now(dt.UTC)  # before reading: a write during the read is caught next time
    frames = None
    if kept is not None:
        frames = await _read_changes(filters, engine, kept)
    if frames is None:
        frames = await _read_register(filters, engine)
    assets = frames.assets.collect()  # already in memory: no work
    kept_frames.put(key, _Kept(frames, assets, version, read_at))
    return frames


async def _read_changes(filters: RegisterFilter, engine, kept: _Kept) -> RegisterFrames | None:
    """The kept frames with the devices changed since they were read; None when a full read is needed."""
    postgres = isinstance(engine, PostgresEngine)
    assets, communes, categories = _queries(postgres, filters)
    since = kept.read_at - CHANGE_WINDOW
    since_args: list = [since] if postgres else _sqlite_since(since)
    args = [*assets.args, *since_args]

    def changed_since(first: int) -> str:
        if postgres:
            return f"a.updated_at >= ${first}::timestamptz"
        # The text range first (the index on updated_at), then julianday(), which reads the offset of
        # SQLite's ISO text whatever zone it was written in, on the few rows in that range.
        return "a.updated_at >= ? AND julianday(a.updated_at) >= julianday(?)"

    glue = " AND " if " WHERE " in assets.source else " WHERE "
    queries = (
        ColumnQuery(assets.columns, assets.source + glue + changed_since(len(assets.args) + 1), args, assets.schema),
        ColumnQuery(["a.id"], f"asset a WHERE {changed_since(1)}", since_args, {"asset_id": pl.Int64}),
        ColumnQuery(
            ["n"], f"(SELECT count(*) AS n FROM {assets.source}) AS counted", assets.args, {"devices": pl.Int64}
        ),
        communes,
        categories,
    )
    raw_changed, changed_ids, count, raw_communes, raw_categories = await read_columns(queries, engine)
    tz_format = TIME_FORMAT_POSTGRES if postgres else TIME_FORMAT_SQLITE
    return await run_heavy(
        _upsert, kept, raw_changed, changed_ids, int(count["devices"][0]), raw_communes, raw_categories, tz_format
    )


def _sqlite_since(since: dt.datetime) -> list[str]:
    """The bounds of "changed at or after ``since``" on SQLite's ISO text: a text bound 14 hours (the
    widest UTC offset) earlier, written without an offset, which every row changed since then passes
    whatever its zone (and which the index on ``updated_at`` serves), and ``since`` itself for julianday()."""
    early = since.astimezone(dt.UTC) - dt.timedelta(hours=14)
    return [early.strftime("%Y-%m-%d %H:%M:%S"), since.isoformat(sep=" ")]


def _upsert(
    kept: _Kept,
    raw_changed: pl.DataFrame,
    changed_ids: pl.DataFrame,
    count: int,
    raw_communes: pl.DataFrame,
    raw_categories: pl.DataFrame,
    tz_format: str,
) -> RegisterFrames | None:
    fresh = _build(raw_changed, raw_communes, raw_categories, tz_format=tz_format)

    def codes(frames: RegisterFrames, table: str) -> pl.DataFrame:
        frame = getattr(frames, table).collect()
        return frame.select(frame.columns[:2]).sort(frame.columns[0])

    if any(not codes(fresh, t).equals(codes(kept.frames, t)) for t in ("communes", "categories")):
        return None  # a code changed under the devices already joined to it
    assets = replaced_rows(kept.assets, changed_ids.get_column("asset_id"), fresh.assets.collect())
    if assets.height != count:
        return None  # a device was deleted
    return RegisterFrames(assets=assets.lazy(), categories=fresh.categories, communes=fresh.communes)


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
        .select(*ASSET_SCHEMA, "repair_total_vnd", "commune_id")
        .sort("asset_id")  # one order, whether read in full or brought up to date
        # Materialised once: every report of a request reads the same rows.
        .collect()
    )
    return RegisterFrames(assets=assets.lazy(), categories=categories.lazy(), communes=communes.lazy())
