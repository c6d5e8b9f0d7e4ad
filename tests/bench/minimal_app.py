"""The minimal look-up app: the floor the look-up benchmark compares the project with.

A Litestar app with nothing of the project in it: it checks a Bearer token against an
in-memory set, runs the same SELECT by tag as the project's look-up on the raw driver
(``sqlite3``; an ``asyncpg`` pool) and returns the row as JSON. No session, no scoping, no
guard, no typed answer: whatever the project spends beyond this is what the ratio shows.

Served by ``tests.bench.lookup`` with uvicorn, the same options and number of processes as
the project (``uvicorn tests.bench.minimal_app:app``); configured by environment:
``DATABASE_URL`` (``sqlite:///path`` or ``postgresql://...``) and ``MINIMAL_TOKENS``
(comma-separated tokens that are let in).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import asyncpg
from litestar import Litestar, Request, get
from litestar.exceptions import NotAuthorizedException, NotFoundException

from tests.bench.routes import LOOKUP_SQL

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///data/app.sqlite")
TOKENS = frozenset(filter(None, os.environ.get("MINIMAL_TOKENS", "").split(",")))
IS_POSTGRES = DATABASE_URL.startswith("postgres")

_state: dict[str, Any] = {}


async def _open() -> None:
    if IS_POSTGRES:
        _state["pool"] = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=10)
    else:
        connection = sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"), check_same_thread=False)
        connection.row_factory = sqlite3.Row
        _state["sqlite"] = connection


async def _close() -> None:
    if IS_POSTGRES:
        await _state["pool"].close()
    else:
        _state["sqlite"].close()


@get("/minimal/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/minimal/by-tag/{tag:str}")
async def by_tag(request: Request, tag: str) -> dict[str, Any]:
    authorization = request.headers.get("authorization", "")
    if not authorization.startswith("Bearer ") or authorization[7:] not in TOKENS:
        raise NotAuthorizedException()
    if IS_POSTGRES:
        async with _state["pool"].acquire() as connection:
            row = await connection.fetchrow(LOOKUP_SQL.format(placeholder="$1"), tag)
    else:
        row = _state["sqlite"].execute(LOOKUP_SQL.format(placeholder="?"), (tag,)).fetchone()
    if row is None:
        raise NotFoundException()
    return dict(row)


app = Litestar([health, by_tag], on_startup=[_open], on_shutdown=[_close])
