"""Plain SQL queries read into polars frames column-wise, on either engine.

Building a Python object per row (Piccolo's row dicts, or driver tuples) costs
seconds on the national register; here one plain SQL query per frame runs on
the engine's own driver and the frame is built column-wise:

* SQLite: the standard ``sqlite3`` module on the database file (short-lived
  read-only connections of our own, in worker threads); SQLite's own JSON
  functions turn the rows into one NDJSON text, which polars parses;
* PostgreSQL: ``COPY (SELECT …) TO STDOUT`` in CSV through asyncpg (the Piccolo
  pool when it is open), parsed by polars' multi-threaded CSV reader.

Columns are given as SQL expressions: booleans as 0/1 and dates and times as ISO
text on both engines (``::int`` / ``::text`` on PostgreSQL).
"""

from __future__ import annotations

import io
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl
from piccolo.engine.postgres import PostgresEngine

from models.tables import Asset
from procurement.core.heavy import run_heavy

# Times as SQLite and PostgreSQL write them as text (``::text`` on PostgreSQL).
TIME_FORMAT_SQLITE = "%Y-%m-%d %H:%M:%S%.f%:z"
TIME_FORMAT_POSTGRES = "%Y-%m-%d %H:%M:%S%.f%#z"


@dataclass(frozen=True)
class ColumnQuery:
    """``SELECT columns FROM source`` with ``args``; ``schema`` names and types the columns."""

    columns: list[str]  # one SQL expression per column of ``schema``
    source: str  # FROM … WHERE … ORDER BY …
    args: list[Any]
    schema: dict
    id_column: str = "a.id"  # the integer key that :func:`sqlite_ranges` splits the rows by

    def sql(self) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.source}"

    def sqlite_ndjson(self) -> str:
        """The query made to return its whole result as ONE NDJSON text (SQLite).

        Each row becomes a JSON object on its own line, built in C by SQLite's
        JSON functions: any text is escaped correctly and NULL stays null.
        polars then parses the text in parallel, with no Python object per row
        or value (fetching tuples costs several times more). Keys are short
        (``c0``, ``c1``…) to keep the text small; :meth:`json_schema` maps them.
        Measured on 150,000 devices: about 4× faster than building CSV text
        with ``quote()`` in SQL, which also made parallel readers contend.
        """
        pairs = ", ".join(f"'c{i}', {column}" for i, column in enumerate(self.columns))
        return f"SELECT group_concat(json_object({pairs}), char(10)) FROM {self.source}"

    def json_schema(self) -> dict:
        # The JSON reader takes whole integers as Int64; narrower types come after.
        return {f"c{i}": pl.String if dtype == pl.String else pl.Int64 for i, dtype in enumerate(self.schema.values())}


def sqlite_connection(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 10000")
    return connection


def sqlite_part(path: str, query: ColumnQuery, id_range: tuple[int, int] | None) -> pl.DataFrame:
    connection = sqlite_connection(path)
    connection.text_factory = bytes  # the text goes to polars as it is: no decode + encode
    try:
        sql, args = query.sqlite_ndjson(), list[object](query.args)
        if id_range is not None:
            # The query's own WHERE, not one inside a column's subquery (a device's repairs in all).
            sql += (" AND " if _has_top_level_where(query.source) else " WHERE ") + f"{query.id_column} BETWEEN ? AND ?"
            args += list(id_range)
        (text,) = connection.execute(sql, args).fetchone()
    finally:
        connection.close()
    if not text:
        return pl.DataFrame(schema=query.schema)
    frame = pl.read_ndjson(text, schema=query.json_schema())
    return frame.rename(dict(zip(frame.columns, query.schema, strict=False))).cast(query.schema)


def _has_top_level_where(source: str) -> bool:
    """Whether ``source`` has a WHERE of its own, outside any parenthesised subquery (the
    SQL is ours or Piccolo's: values are bound parameters, never literals with parentheses)."""
    depth = 0
    upper = source.upper()
    for i, char in enumerate(upper):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char == "W" and upper.startswith("WHERE", i) and i and upper[i - 1].isspace():
            return True
    return False


SQLITE_READERS = 4  # at most this many connections read one table's rows side by side


def sqlite_ranges(
    path: str, query: ColumnQuery, table: str = "asset", readers: int | None = None, ids_per_part: int | None = None
) -> pl.DataFrame:
    """``query``'s rows read in ranges of ``query.id_column`` (the key of ``table``) on parallel
    connections, concatenated in range order (call it in a worker thread).

    Python's sqlite3 lets go of the GIL while SQLite steps through rows, and polars
    while it parses, so each range is read on its own core (WAL lets readers run side
    by side). ``ids_per_part`` cuts the ids into more ranges than readers, so that only
    a few ranges' NDJSON text is held at once (bounded memory for a large table).
    """
    connection = sqlite_connection(path)
    try:
        low, high = connection.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()
    finally:
        connection.close()
    workers = max(1, min(readers or SQLITE_READERS, os.cpu_count() or 1))
    if low is None:
        return sqlite_part(path, query, None)
    parts = max(workers, -(-(high - low + 1) // ids_per_part) if ids_per_part else 1)
    if parts == 1:
        return sqlite_part(path, query, None)
    step = (high - low) // parts + 1
    ranges = [(low + i * step, min(high, low + (i + 1) * step - 1)) for i in range(parts)]
    with ThreadPoolExecutor(max_workers=min(workers, len(ranges))) as pool:
        pieces = list(pool.map(lambda r: sqlite_part(path, query, r), ranges))
    return pl.concat(pieces, how="vertical")


def read_csv(data: bytes, schema: dict) -> pl.DataFrame:
    if not data:
        return pl.DataFrame(schema=schema)
    return pl.read_csv(data, has_header=False, new_columns=list(schema), schema=schema)


async def postgres_csv(engine: PostgresEngine, queries: tuple[ColumnQuery, ...]) -> list[bytes]:
    """Each query's rows as CSV text (parsed later, off the event loop)."""

    async def run(connection) -> list[bytes]:
        texts = []
        for query in queries:
            buffer = io.BytesIO()
            await connection.copy_from_query(query.sql(), *query.args, output=buffer, format="csv")
            texts.append(buffer.getvalue())
        return texts

    if engine.pool is not None:
        async with engine.pool.acquire() as connection:
            return await run(connection)
    connection = await engine.get_new_connection()
    try:
        return await run(connection)
    finally:
        await connection.close()


def placeholder(postgres: bool, args: list) -> str:
    return f"${len(args)}" if postgres else "?"


def time_format(engine=None) -> str:
    return TIME_FORMAT_POSTGRES if is_postgres(engine) else TIME_FORMAT_SQLITE


async def read_columns(queries: tuple[ColumnQuery, ...], engine=None) -> list[pl.DataFrame]:
    """Each query's rows as a polars frame, with no Python object per row.

    SQLite: one NDJSON text built by SQLite itself, parsed by polars; PostgreSQL:
    ``COPY … TO STDOUT`` as CSV. Reading and parsing run off the event loop.
    """
    engine = engine or Asset._meta.db
    if isinstance(engine, PostgresEngine):
        texts = await postgres_csv(engine, queries)
        return await run_heavy(lambda: [read_csv(t, q.schema) for t, q in zip(texts, queries, strict=True)])
    return await run_heavy(lambda: [sqlite_part(engine.path, q, None) for q in queries])


def is_postgres(engine=None) -> bool:
    return isinstance(engine or Asset._meta.db, PostgresEngine)
