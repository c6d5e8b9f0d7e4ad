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
