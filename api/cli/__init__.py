"""The one command-line entry point: ``python -m api COMMAND`` (or ``commune-assets``).

One module per capability: ``setup`` (migrate, demo and synthetic data, serve),
``accounts`` (users, tokens), ``register`` (import, export, labels, stocktake coverage),
``reports`` (``report …``). Each adds its commands to :data:`main`.
"""

from __future__ import annotations

import asyncio

import click

import models  # noqa: F401  (sets PICCOLO_CONF before any table is used)
from api import db


def run(coroutine):
    """Run one use case with the database pool open, as the command's only event loop."""

    async def wrapped():
        await db.open_pool()
        try:
            return await coroutine
        finally:
            await db.close_pool()

    return asyncio.run(wrapped())


@click.group()
def main() -> None:
    """Commune IT assets and procurement tracker."""


async def actor_named(username: str | None):
    """The user a command acts as (their commune or province scoping applies); the national
    admin when no name is given."""
    from procurement.accounts.users import actor_named as find
    from procurement.core.actor import Actor

    if not username:
        return Actor(user_id=None, username="cli", role="admin")
    actor = await find(username)
    if actor is None:
        raise click.ClickException(f"no user {username}")
    return actor


# The capability modules register their commands on ``main`` when imported.
from api.cli import accounts, lifecycle, public_property, register, reports, setup  # noqa: E402,F401

if __name__ == "__main__":
    main()
