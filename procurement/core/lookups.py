"""Compiled look-ups: small indexed selects (one device, its warranty, its photos) whose SQL
Piccolo builds once per engine and that run on the SQLite engine's kept connection
(``models/engine.py``).

Building a joined select costs Piccolo about 1 ms of Python each time, more than the
database needs to answer it, and an ordinary read hops to a worker thread. The scan page
and the look-up by tag are every phone's hot path, so their reads are compiled once and
marked :data:`models.engine.KEPT_READ`. Only selects by an indexed key that return a
handful of rows belong here: the kept connection runs them on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from piccolo.query.methods.select import Select

from models.engine import KEPT_READ


def compile_lookup(query: Select, engine_type: str) -> str:
    """The SQL of ``query`` with ``{}`` placeholders (as ``Table.raw`` takes them), marked kept."""
    sql, _ = query.querystrings[0].compile_string(engine_type=engine_type)
    return KEPT_READ + re.sub(r"\?|\$\d+", "{}", sql)


class Lookup:
    """A select built by ``build`` (its compared values are placeholders, given again at each
    call in the same order), compiled on first use for the engine in use."""

    def __init__(self, build: Callable[[], Select]):
        self._build = build
        self._compiled: tuple[str, Any, str] | None = None  # engine type, table, SQL

    async def rows(self, *values: Any) -> list[dict[str, Any]]:
        compiled = self._compiled
        if compiled is None or compiled[1]._meta.db.engine_type != compiled[0]:
            query = self._build()
            engine_type = query.table._meta.db.engine_type
            compiled = self._compiled = (engine_type, query.table, compile_lookup(query, engine_type))
        _, table, sql = compiled
        return await table.raw(sql, *values)
