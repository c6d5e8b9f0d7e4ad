"""One place that knows how to open a write transaction on either engine."""

from __future__ import annotations

import sqlite3

import asyncpg
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from models.tables import Asset


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
