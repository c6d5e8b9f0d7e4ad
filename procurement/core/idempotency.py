"""Client event ids: one action stored once, whoever resends it and however often.

A phone gives each action its own id (a UUID) and resends it until it gets an
answer. The first time the action is done and what it stored keeps the id; a
resend gets the first answer and changes nothing, also when resends race, on
either engine. The stored answer goes back only to a caller allowed to see it
and only for the same action on the same object; anything else is a conflict
(409) naming what the id was used for.

The register, the stocktake (and finance) each say how to find what an id
stored and whether a new request is the same action; ``run_once`` does the rest.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, WithJsonSchema

from procurement.core.errors import Conflict
from procurement.core.transactions import engine, is_unique_violation

# A UUID: 32 hex digits, with or without the hyphens (8-4-4-4-12); any version.
# Pages and phones make them with crypto.randomUUID() or uuid.uuid4().
EVENT_ID_RE = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
EVENT_ID_MESSAGE = "client_event_id phải là một UUID (32 chữ số hex, có hoặc không có gạch nối), ví dụ 3f2b8c1e-…"


def parse_event_id(value: str) -> str:
    """The id as stored (lower case), or ValueError with a Vietnamese message."""
    lowered = value.strip().lower()
    if not EVENT_ID_RE.fullmatch(lowered):
        raise ValueError(EVENT_ID_MESSAGE)
    return lowered


ClientEventId = Annotated[
    str,
    AfterValidator(parse_event_id),
    # Said in the schema (for clients and the fuzzer); checked by parse_event_id, whose
    # message names the format.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": EVENT_ID_RE.pattern.replace("0-9a-f", "0-9a-fA-F"),
            "description": "The client's own id for this action: a UUID (e.g. crypto.randomUUID()); "
            "a resend with it is stored once and answered as the first",
            "examples": ["3f2b8c1e-5a7d-4e21-9c3b-0d6f1a2b3c4d"],
        }
    ),
]


@dataclass
class StoredEvent:
    """What an event id was used for."""

    route: str  # which use case stored it, e.g. "asset.condition", "stocktake.sync"
    action: str  # what it stored, e.g. "condition_reported", "confirmed"
    object_id: int | None  # the asset, or the stocktake round
    commune_id: int | None  # whose data the stored answer shows
    answer: Any = None  # the stored answer, when the use case keeps one
    details: dict[str, Any] = field(default_factory=dict)


class StoredMeanwhile(Exception):  # noqa: N818 (a signal, not an error)
    """Raised inside a use case's transaction when it finds its event id stored by a
    racing request: the transaction is dropped and the stored answer given."""


# The event id whose use case is running: a use case called by another with the
# same id (the stocktake confirming through the register) does not check it again.
_running: contextvars.ContextVar[str | None] = contextvars.ContextVar("running_event_id", default=None)

T = TypeVar("T")


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


async def run_once(
    client_event_id: str | None,
    *,
    find: Callable[[str], Awaitable[StoredEvent | None]],
    same: Callable[[StoredEvent], bool],
    replay: Callable[[StoredEvent], T],
    change: Callable[[], Awaitable[T]],
    describe: Callable[[StoredEvent], str],
) -> T:
    """Run ``change`` once per client event id.

    ``find`` reads what an id stored; ``same`` says whether it is this very action,
    on this object, for a caller allowed to see it; ``replay`` turns it into the
    answer; ``describe`` names it in the 409 for anything else. A racing request
    that loses on the unique event id finds the winner's record once its own
    transaction is rolled back (on PostgreSQL nothing can be read inside an
    aborted one), so it answers as the winner did, never a 500.
    """
    if not client_event_id or _running.get() == client_event_id:
        return await change()

    def answer(stored: StoredEvent) -> T:
        if not same(stored):
            raise Conflict(
                f"Mã sự kiện (client_event_id) này đã được dùng cho {describe(stored)}.",
                field="client_event_id",
                code="event_id_reused",
            )
        return replay(stored)

    stored = await find(client_event_id)
    if stored is not None:
        return answer(stored)
    token = _running.set(client_event_id)
    try:
        return await change()
    except Exception as error:
        if not (isinstance(error, StoredMeanwhile) or is_unique_violation(error)):
            raise
        if in_transaction():
            raise  # a caller's transaction is aborted: its own run_once answers after the rollback
        stored = await find(client_event_id)
        if stored is None:
            raise
        return answer(stored)
    finally:
        _running.reset(token)
