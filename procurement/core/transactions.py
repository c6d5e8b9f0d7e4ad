"""One place that knows how to open a write transaction on either engine."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from collections.abc import Mapping
from typing import Any

import asyncpg
import polars as pl
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from models.tables import Asset
from procurement.core.heavy import run_heavy

Schema = Mapping[str, "pl.DataType | type[pl.DataType]"]
"""Column name -> polars type, in select order."""


def engine():
    return Asset._meta.db


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


def write_transaction():
    """SQLite: BEGIN IMMEDIATE takes the write lock up front, so two writers queue
    instead of deadlocking on a lock upgrade. PostgreSQL: an ordinary transaction;
    use cases lock the parent rows they check (SELECT ... FOR UPDATE)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


UNIQUE_VIOLATIONS = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


def is_unique_violation(error: BaseException) -> bool:
    if isinstance(error, asyncpg.UniqueViolationError):
        return True
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


async def insert_many(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Bulk INSERT through the open transaction's own connection (executemany / COPY), for
    large imports where building one ORM object per row costs more than the write."""
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("insert_many must run inside write_transaction()")
    if isinstance(db, SQLiteEngine):
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        await transaction.connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
    else:  # COPY: several times faster than INSERTs for thousands of rows
        await transaction.connection.copy_records_to_table(table, records=rows, columns=columns)


async def reserve_ids(table: str, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, so a bulk insert needs no read-back.
    SQLite: after the current maximum (the write transaction holds the lock).
    PostgreSQL: drawn from the column's own sequence."""
    if count <= 0:
        return []
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("reserve_ids must run inside write_transaction()")
    if isinstance(db, SQLiteEngine):
        cursor = await transaction.connection.execute(f'SELECT COALESCE(MAX(id), 0) AS highest FROM "{table}"')
        highest = int((await cursor.fetchone())["highest"])
        return list(range(highest + 1, highest + 1 + count))
    rows = await transaction.connection.fetch(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)", table, count
    )
    return [r["id"] for r in rows]


async def refresh_statistics(*tables: str) -> None:
    """PostgreSQL: after a bulk load, tell the planner the tables grew; until
    autovacuum gets there it may plan for empty tables (seconds instead of ms)."""
    if not is_sqlite():
        for table in tables:
            await Asset.raw(f'ANALYZE "{table}"')


async def read_frame(query, schema: Schema) -> pl.DataFrame:
    """Rows of a Piccolo select (or ``(sql, args)`` written for this engine) as a polars
    frame with ``schema`` (column order = select order), without a Python dict per row.

    SQLite: a plain connection in a worker thread, rows as tuples, dates as ISO text
    parsed by polars in one go. PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed by
    polars (about 3× faster than a tuple per row). The WHERE clause stays the query's
    own (one definition of the filters).
    """
    db = engine()
    sqlite = isinstance(db, SQLiteEngine)
    if isinstance(query, tuple):
        sql, args = query
    else:
        sql, args = query.querystrings[0].compile_string(engine_type="sqlite" if sqlite else "postgres")
    if sqlite:
        return await run_heavy(sqlite_frame, db.path, sql, list(args), schema)
    buffer = io.BytesIO()
    if db.pool is not None:
        async with db.pool.acquire() as connection:
            await connection.copy_from_query(sql, *args, output=buffer, format="csv")
    else:
        connection = await db.get_new_connection()
        try:
            await connection.copy_from_query(sql, *args, output=buffer, format="csv")
        finally:
            await connection.close()
    if not buffer.getbuffer().nbytes:
        return pl.DataFrame(schema=schema)
    buffer.seek(0)
    # PostgreSQL writes booleans as t/f: read them as text, then compare.
    csv_schema = {k: (pl.String if v == pl.Boolean else v) for k, v in schema.items()}
    frame = await run_heavy(pl.read_csv, buffer, has_header=False, new_columns=list(schema), schema=csv_schema)
    # ``== "t"`` keeps a NULL a NULL.
    return frame.with_columns((pl.col(k) == "t").alias(k) for k, v in schema.items() if v == pl.Boolean)


_SQLITE_CHUNK = 20_000  # rows turned into Python tuples at a time (bounded memory)


def sqlite_frame(path: str, sql: str, args: list, schema: Schema) -> pl.DataFrame:
    """SQLite rows as a frame, a chunk at a time, on a connection of its own (call it in a
    worker thread); dates come as ISO text (as Piccolo stores them) and booleans as 0/1,
    converted by polars column-wise."""
    args = [a.isoformat() if isinstance(a, dt.date) else a for a in args]
    text_schema = {k: (pl.String if v == pl.Date else pl.Int64 if v == pl.Boolean else v) for k, v in schema.items()}
    chunks = []
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA busy_timeout = 10000")
        cursor = connection.execute(sql, args)
        while rows := cursor.fetchmany(_SQLITE_CHUNK):
            chunks.append(pl.DataFrame(rows, schema=text_schema, orient="row"))
    finally:
        connection.close()
    frame = pl.concat(chunks, rechunk=True) if chunks else pl.DataFrame(schema=text_schema)
    return frame.with_columns(
        *(pl.col(k).str.to_date("%Y-%m-%d") for k, v in schema.items() if v == pl.Date),
        *(pl.col(k).cast(pl.Boolean) for k, v in schema.items() if v == pl.Boolean),
    )


async def must_find(query: Any, message: str = "Không tìm thấy.", field: str | None = None) -> dict[str, Any]:
    """The row a query must find (the caller has just written or locked it, or named it by id);
    else NotFound with ``message`` on ``field``."""
    from procurement.core.errors import NotFound

    row = await query.first()
    if row is None:
        raise NotFound(message, field=field)
    return row
