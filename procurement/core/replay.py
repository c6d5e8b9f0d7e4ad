"""Client event ids: a write resent with the same id is answered again and stored once.

Phones on a weak signal and people pressing "Ghi" twice resend what they already
sent. Each write may carry the client's own id for the action (a UUID); the first
answer is kept beside that id and given again to every resend, also when resends
race. An id reused for another action, another object or another body answers 409.

Finance writes go through :func:`once`, which keeps the answer in ``client_event``.
Device and stocktake actions keep theirs on their own rows (the event, the round's
result) through :func:`procurement.core.idempotency.run_once`, which also checks that
the caller may see the stored answer. Both accept the same UUID event ids
(:data:`procurement.core.idempotency.ClientEventId`); folding the two stores into one
is left to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from models.tables import ClientEvent
from procurement.core.actor import Actor
from procurement.core.errors import Conflict
from procurement.core.transactions import write_transaction

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


async def replay_or_run(lookup: Callable[[], Awaitable[T | None]], run: Callable[[], Awaitable[T]]) -> T:
    """The stored answer if ``lookup`` finds one, else ``run()``. If ``run`` fails
    (a unique violation of the event id, or a ceiling a racing resend already took)
    and the id has meanwhile been stored by a twin request, that answer wins."""
    replay = await lookup()
    if replay is not None:
        return replay
    try:
        return await run()
    except Exception:
        replay = await lookup()
        if replay is not None:
            return replay
        raise


def fingerprint(body: BaseModel | list | None) -> str:
    """sha256 of a request body without its event id: a resend must be the same request."""
    if isinstance(body, BaseModel):
        data: Any = body.model_dump(mode="json", exclude={"client_event_id"})
    elif isinstance(body, list):
        data = [b.model_dump(mode="json") if isinstance(b, BaseModel) else b for b in body]
    else:
        data = body
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def once(
    client_event_id: str | None,
    *,
    action: str,
    target: str = "",
    body: BaseModel | list | None,
    out: type[M],
    actor: Actor,
    run: Callable[[], Awaitable[M]],
) -> M:
    """Run the write ``run`` once per ``client_event_id`` (none: just run it).

    The id is claimed first, inside the write's own transaction (``run``'s
    ``write_transaction`` nests into it): a racing twin waits on the unique index
    (PostgreSQL) or the write lock (SQLite), then fails and is answered from the
    store. A failed write stores nothing, so its resend is tried again.
    """
    if not client_event_id:
        return await run()
    print_ = fingerprint(body)

    async def lookup() -> M | None:
        row = (
            await ClientEvent.select(
                ClientEvent.action,
                ClientEvent.target,
                ClientEvent.fingerprint,
                ClientEvent.response,
                ClientEvent.actor._.province.as_alias("province_id"),
            )
            .where(ClientEvent.client_event_id == client_event_id)
            .first()
        )
        if row is None:
            return None
        # Another province's answer is never replayed (a national caller may see every one).
        other_province = not actor.is_national and row["province_id"] != actor.province_id
        if (row["action"], row["target"], row["fingerprint"]) != (action, target, print_) or other_province:
            raise Conflict(
                "Mã sự kiện (client_event_id) này đã dùng cho một thao tác khác; mỗi thao tác mới cần một mã mới.",
                field="client_event_id",
                code="event_id_reused",
            )
        response = row["response"]
        return out.model_validate(json.loads(response) if isinstance(response, str) else response)

    async def run_and_store() -> M:
        async with write_transaction():
            event = ClientEvent(
                client_event_id=client_event_id,
                action=action,
                target=target,
                fingerprint=print_,
                actor=actor.user_id or None,
                at=dt.datetime.now(dt.UTC),
            )
            await event.save()
            result = await run()
            await ClientEvent.update({ClientEvent.response: result.model_dump_json()}).where(ClientEvent.id == event.id)
        return result

    return await replay_or_run(lookup, run_and_store)
