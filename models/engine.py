"""Database engines, chosen by one setting (``DATABASE_URL``).

Piccolo's stock SQLite engine opens a new connection for every query, which
caps a tag look-up at about 1k requests/s. ``KeptConnectionSQLiteEngine`` keeps
one connection for the compiled look-ups (SQL that starts with :data:`KEPT_READ`:
the device by id or tag, run synchronously: an indexed SQLite read takes
microseconds, far less than a hop to a thread). Every other read runs in a
worker thread on that thread's own kept connection, so a long read (a list, a
report's rows) never holds the event loop. Writes and transactions still go
through aiosqlite on their own connection, so a writer that waits for the lock
never blocks the event loop. WAL lets those reads go on while a transaction
writes; ``busy_timeout`` makes a connection wait for a lock instead of failing.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import anyio
import anyio.to_thread
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

_PRAGMAS = ("PRAGMA foreign_keys = 1", "PRAGMA busy_timeout = 10000")

# Marks a SELECT that may run on the event loop's kept connection: a compiled,
# indexed look-up of one row. Nothing else may carry it.
KEPT_READ = "/* kept */ "

# Reads that are not look-ups: at most this many worker threads at a time.
_READ_THREADS = 8


class KeptConnectionSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **kwargs: Any):
        super().__init__(path=path, timeout=10, **kwargs)
        self._read_connection: sqlite3.Connection | None = None
        self._thread_readers = threading.local()
        self._all_thread_readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._read_limiter: anyio.CapacityLimiter | None = None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path,
            detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.row_factory = dict_factory
        for pragma in _PRAGMAS:
            connection.execute(pragma)
        return connection

    def _reader(self) -> sqlite3.Connection:
        if self._read_connection is None:
            self._read_connection = self._connect()
        return self._read_connection

    def _thread_read(self, query: str, args: list) -> list:
        connection = getattr(self._thread_readers, "connection", None)
        if connection is None:
            connection = self._thread_readers.connection = self._connect()
            with self._lock:
                self._all_thread_readers.append(connection)
        return connection.execute(query, args).fetchall()

    def close_kept_connection(self) -> None:
        if self._read_connection is not None:
            self._read_connection.close()
            self._read_connection = None
        with self._lock:
            readers, self._all_thread_readers = self._all_thread_readers, []
        for connection in readers:
            connection.close()
        self._thread_readers = threading.local()

    async def get_connection(self):
        connection = await super().get_connection()
        await connection.execute("PRAGMA busy_timeout = 10000")
        return connection

    async def _run_in_new_connection(self, query, args=None, query_type="generic", table=None):
        # Piccolo tags only inserts with a query type, so reads are told by their SQL.
        if query_type == "generic" and query.startswith(KEPT_READ):
            return self._reader().execute(query, args or []).fetchall()
        if query_type == "generic" and query.lstrip()[:6].upper() == "SELECT":
            if self._read_limiter is None:
                self._read_limiter = anyio.CapacityLimiter(_READ_THREADS)
            return await anyio.to_thread.run_sync(self._thread_read, query, args or [], limiter=self._read_limiter)
        return await super()._run_in_new_connection(query, args, query_type=query_type, table=table)

    def enable_wal(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.path) as connection:
            connection.execute("PRAGMA journal_mode = WAL")


def engine_from_url(url: str):
    """``sqlite:///path/file.sqlite`` or ``postgresql://user@host:port/db``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        # sqlite:///relative.sqlite → "/relative.sqlite"; sqlite:////abs → "//abs"
        path = path[1:] if path.startswith("/") else path
        # WAL is switched on by the migrate step (api.db.migrate), not here: importing
        # the configuration must not create a database file.
        return KeptConnectionSQLiteEngine(path=path or "data/assets.sqlite")
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresEngine(
            config={
                "host": parsed.hostname or "127.0.0.1",
                "port": parsed.port or 5432,
                "user": unquote(parsed.username or "postgres"),
                "password": unquote(parsed.password or "") or None,
                "database": parsed.path.lstrip("/") or "postgres",
            }
        )
    raise ValueError(f"DATABASE_URL must start with sqlite:// or postgresql:// (got {url!r})")
