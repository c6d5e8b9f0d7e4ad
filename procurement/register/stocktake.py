"""Stocktakes (kiểm kê): a commune's staff check every device on the spot.

A phone starts a stocktake while online and keeps the commune's device list;
it then records actions with no signal and sends them in batches. Every action
carries the phone's own event id: a resent batch is answered from what was
stored and adds nothing. Actions on registered devices go through the
register's use cases (with the same event id), so the asset's history shows them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, model_validator

from labels.tags import TagError, display_tag, parse_tag
from models.scan import Stocktake, StocktakeResult
from models.tables import Asset, Commune
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now
from procurement.core.columns import ColumnQuery, is_postgres, placeholder, read_columns, time_format
from procurement.core.errors import Conflict, DomainError, NotFound, broken_rule
from procurement.core.heavy import run_heavy
from procurement.core.idempotency import StoredEvent, StoredMeanwhile, run_once
from procurement.core.transactions import is_sqlite, write_transaction
from procurement.register import devices as register_devices
from procurement.register.schemas import (
    AssetMove,
    ClientEventId,
    Condition,
    Location,
    LongText,
    Note,
    NotFoundReport,
    Status,
    StocktakeConfirm,
    _Input,
)
from procurement.register.stocktake_report import FOUND_KINDS, coverage_from_counts

MAX_BATCH = 500


class ActionKind(StrEnum):
    confirm = "confirm"  # still here (optionally with its condition)
    not_found = "not_found"  # not where the register says
    moved = "moved"  # found, now somewhere else in the commune
    found = "found"  # a device not on the list: another commune's tag, or unregistered


class StocktakeStart(_Input):
    commune_code: str | None = Field(default=None, min_length=1, max_length=5, description="Staff: their own commune")


class StocktakeAction(_Input):
    client_event_id: ClientEventId
    kind: ActionKind
    tag: str | None = Field(default=None, max_length=20, description="As typed or scanned")
    condition: Condition | None = None
    location: Location | None = None
    location_detail: LongText | None = None
    description: Note = Field(default="", description="A device with no readable label")
    note: Note = ""
    at: dt.datetime | None = Field(default=None, description="When the phone recorded it")

    @model_validator(mode="after")
    def _needs_what(self):
        if self.kind != ActionKind.found and not self.tag:
            raise broken_rule("tag: Cần mã thiết bị.")
        if self.kind == ActionKind.found and not (self.tag or self.description):
            raise broken_rule("description: Cần mã hoặc mô tả thiết bị.")
        if self.kind == ActionKind.moved and not (self.location or self.location_detail):
            raise broken_rule("location_detail: Cần nơi thiết bị được chuyển đến.")
        return self


class SyncBatch(_Input):
    actions: list[StocktakeAction] = Field(max_length=MAX_BATCH)


class Outcome(StrEnum):
    recorded = "recorded"
    duplicate = "duplicate"  # this event id was stored before: nothing added
    already_confirmed = "already_confirmed"  # the device was already found in this stocktake
    rejected = "rejected"  # breaks a rule; resending will not help
    conflict = "conflict"  # the event id was used for another action (as a 409): named in the message


class ActionOutcome(BaseModel):
    client_event_id: str
    outcome: Outcome
    kind: str | None = Field(
        default=None, description="What was stored: confirmed, not_found, moved, elsewhere, unregistered"
    )
    tag: str | None = None
    message: str


class StocktakeOut(BaseModel):
    id: int
    commune_code: str
    commune_name: str
    started_by: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str


class DeviceOnList(BaseModel):
    tag: str
    tag_display: str
    category_name: str
    make: str
    model: str
    location: str
    location_detail: str
    assigned_to: str
    condition: str
    result: str | None = Field(description="Latest result in this stocktake, if any")
    asset_id: int | None = Field(None, description="The device's id (a photo taken during the round is sent to it)")


class FoundElsewhere(BaseModel):
    tag: str
    tag_display: str
    note: str


class Unregistered(BaseModel):
    tag: str | None
    description: str
    note: str


class StocktakeReport(StocktakeOut):
    expected: int
    confirmed: list[str]
    not_found: list[str]
    unchecked: list[str]
    elsewhere: list[FoundElsewhere]
    unregistered: list[Unregistered]
    received_late: int = Field(description="Results a phone sent after the stocktake was finished (counted above)")


# A phone that had no signal when its stocktake was finished still delivers what it
# recorded: a finished stocktake takes late results for this long, then refuses them
# (the phone then offers to send them to a new stocktake).
LATE_RESULTS_FOR = dt.timedelta(days=7)


_STOCKTAKE_COLUMNS = (
    Stocktake.id,
    Stocktake.commune.id.as_alias("commune_id"),
    Stocktake.commune.code.as_alias("commune_code"),
    Stocktake.commune.name.as_alias("commune_name"),
    Stocktake.started_by.username.as_alias("started_by"),
    Stocktake.started_at,
    Stocktake.finished_at,
    Stocktake.status,
)


def _out(row: dict[str, Any]) -> StocktakeOut:
    return StocktakeOut(**{k: v for k, v in row.items() if k in StocktakeOut.model_fields})


async def _load(actor: Actor, stocktake_id: int) -> dict[str, Any]:
    row = await Stocktake.select(*_STOCKTAKE_COLUMNS).where(Stocktake.id == stocktake_id).first()
    if row is None or not actor.sees_commune(row["commune_id"]):
        raise NotFound("Không tìm thấy đợt kiểm kê.")
    return row


async def start(actor: Actor, data: StocktakeStart) -> StocktakeOut:
    actor.require(*REGISTER_WRITERS)
    code = data.commune_code or actor.commune_code
    if not code:
        raise DomainError("Chọn xã/phường cần kiểm kê.", field="commune_code")
    commune = await Commune.select(Commune.id).where(Commune.code == code).first()
    if commune is None or not actor.sees_commune(commune["id"]):
        raise DomainError(f"Không có xã/phường mã {code} trong phạm vi của bạn.", field="commune_code")
    async with write_transaction():
        # Serialise starts per commune on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
        if not is_sqlite():
            await Commune.select(Commune.id).where(Commune.id == commune["id"]).lock_rows()
        existing = (
            await Stocktake.select(Stocktake.id)
            .where(Stocktake.commune == commune["id"], Stocktake.status == "open")
            .first()
        )
        if existing:
            raise Conflict(
                f"Xã đang có đợt kiểm kê số {existing['id']} chưa kết thúc.",
                field="commune_code",
                code="stocktake_open",
            )
        stocktake = Stocktake(commune=commune["id"], started_by=actor.user_id, started_at=now(), status="open")
        await stocktake.save()
    return _out(await _load(actor, stocktake.id))


async def list_stocktakes(actor: Actor, status: str | None = None, limit: int = 50) -> list[StocktakeOut]:
    query = Stocktake.select(*_STOCKTAKE_COLUMNS).order_by(Stocktake.id, ascending=False).limit(limit)
    where = []
    if (scoped := actor.scope.where(Stocktake.commune)) is not None:
        where.append(scoped)
    if status:
        where.append(Stocktake.status == status)
    if where:
        query = query.where(*where)
    return [_out(row) for row in await query]


async def get(actor: Actor, stocktake_id: int) -> StocktakeOut:
    return _out(await _load(actor, stocktake_id))


async def finish(actor: Actor, stocktake_id: int) -> StocktakeOut:
    actor.require(*REGISTER_WRITERS)
    row = await _load(actor, stocktake_id)
    if row["status"] != "open":
        raise Conflict("Đợt kiểm kê đã kết thúc.", field="status", code="finished")
    async with write_transaction():
        await Stocktake.update({Stocktake.status: "finished", Stocktake.finished_at: now()}).where(
            Stocktake.id == stocktake_id, Stocktake.status == "open"
        )
    return _out(await _load(actor, stocktake_id))


async def _expected_devices(commune_id: int) -> list[dict[str, Any]]:
    return await (
        Asset.select(
            Asset.id,
            Asset.tag,
            Asset.category.name.as_alias("category_name"),
            Asset.make,
            Asset.model,
            Asset.location,
            Asset.location_detail,
            Asset.assigned_to,
            Asset.condition,
        )
        .where(Asset.commune.id == commune_id, Asset.status != Status.disposed.value)
        .order_by(Asset.tag)
    )


async def _latest_results(stocktake_id: int) -> dict[int, str]:
    """Per asset, the kind of its latest result in this stocktake."""
    rows = (
        await StocktakeResult.select(StocktakeResult.asset, StocktakeResult.kind)
        .where(StocktakeResult.stocktake == stocktake_id, StocktakeResult.asset.is_not_null())
        .order_by(StocktakeResult.id)
    )
    return {row["asset"]: row["kind"] for row in rows}


async def devices(actor: Actor, stocktake_id: int) -> list[DeviceOnList]:
    row = await _load(actor, stocktake_id)
    latest = await _latest_results(stocktake_id)
    return [
        DeviceOnList(
            **{k: v for k, v in d.items() if k != "id"},
            tag_display=display_tag(d["tag"]),
            result=latest.get(d["id"]),
            asset_id=d["id"],
        )
        for d in await _expected_devices(row["commune_id"])
    ]


async def report(actor: Actor, stocktake_id: int) -> StocktakeReport:
    row = await _load(actor, stocktake_id)
    expected = await _expected_devices(row["commune_id"])
    latest = await _latest_results(stocktake_id)
    by_kind: dict[str, list[str]] = {"confirmed": [], "not_found": [], "unchecked": []}
    for device in expected:
        kind = latest.get(device["id"])
        key = "confirmed" if kind in FOUND_KINDS else "not_found" if kind == "not_found" else "unchecked"
        by_kind[key].append(display_tag(device["tag"]))
    extra = (
        await StocktakeResult.select(
            StocktakeResult.kind, StocktakeResult.tag, StocktakeResult.description, StocktakeResult.note
        )
        .where(StocktakeResult.stocktake == stocktake_id, StocktakeResult.kind.is_in(["elsewhere", "unregistered"]))
        .order_by(StocktakeResult.id)
    )
    elsewhere = {
        r["tag"]: FoundElsewhere(tag=r["tag"], tag_display=display_tag(r["tag"]), note=r["note"])
        for r in extra
        if r["kind"] == "elsewhere"
    }
    unregistered = [
        Unregistered(tag=r["tag"], description=r["description"], note=r["note"])
        for r in extra
        if r["kind"] == "unregistered"
    ]
    late = 0
    if row["finished_at"] is not None:
        late = await StocktakeResult.count().where(
            StocktakeResult.stocktake == stocktake_id, StocktakeResult.received_at > row["finished_at"]
        )
    return StocktakeReport(
        **_out(row).model_dump(),
        expected=len(expected),
        **by_kind,
        elsewhere=list(elsewhere.values()),
        unregistered=unregistered,
        received_late=late,
    )


# --- sync ---------------------------------------------------------------------


def _answer(action: StocktakeAction, outcome: Outcome, message: str, kind=None, tag=None) -> ActionOutcome:
    return ActionOutcome(client_event_id=action.client_event_id, outcome=outcome, kind=kind, tag=tag, message=message)


_MESSAGES = {
    "confirmed": "Đã xác nhận thiết bị.",
    "not_found": "Đã ghi nhận: không thấy thiết bị.",
    "moved": "Đã ghi nhận nơi đặt mới.",
    "elsewhere": "Thiết bị này đăng ký ở đơn vị khác: đã ghi nhận.",
    "unregistered": "Thiết bị chưa đăng ký: đã ghi nhận.",
}


# The stocktake action each stored result answers (a "found" may be any of three).
_STORED_FOR = {
    ActionKind.confirm: {"confirmed"},
    ActionKind.not_found: {"not_found"},
    ActionKind.moved: {"moved"},
    ActionKind.found: {"confirmed", "elsewhere", "unregistered"},
}


async def _apply(actor: Actor, stocktake: dict[str, Any], action: StocktakeAction) -> ActionOutcome:
    """One queued action, once per event id (``procurement.core.idempotency``)."""
    try:
        typed_tag: str | None = parse_tag(action.tag) if action.tag else None
    except TagError:
        typed_tag = None

    def same(stored: StoredEvent) -> bool:
        # A phone that moved its queue to a new round after a lost answer resends
        # what the old round already holds: the same commune's round, stored once.
        return (
            stored.route == "stocktake"
            and stored.commune_id == stocktake["commune_id"]
            and stored.action in _STORED_FOR[action.kind]
            and stored.details.get("tag") == typed_tag
        )

    def replay(stored: StoredEvent) -> ActionOutcome:
        message = "Đã nhận trước đó."
        if stored.object_id != stocktake["id"]:
            message = f"Đã nhận trước đó, trong đợt kiểm kê số {stored.object_id}."
        return _answer(action, Outcome.duplicate, message, stored.action, stored.details.get("tag"))

    try:
        return await run_once(
            action.client_event_id,
            find=register_devices.stored_event,
            same=same,
            replay=replay,
            change=lambda: _apply_once(actor, stocktake, action),
            describe=lambda stored: register_devices.describe_stored(actor, stored),
        )
    except Conflict as error:
        if error.code != "event_id_reused":
            raise
        return _answer(action, Outcome.conflict, error.message)


async def _apply_once(actor: Actor, stocktake: dict[str, Any], action: StocktakeAction) -> ActionOutcome:
    tag = None
    if action.tag:
        try:
            tag = parse_tag(action.tag)
        except TagError as error:
            if action.kind != ActionKind.found:
                return _answer(action, Outcome.rejected, error.message)
    asset = (
        await Asset.select(Asset.id, Asset.commune.id.as_alias("commune_id"), Asset.status)
        .where(Asset.tag == tag)
        .first()
        if tag
        else None
    )

    values: dict[str, Any] = dict(
        stocktake=stocktake["id"],
        tag=tag,
        description=action.description,
        note=action.note,
        condition=action.condition.value if action.condition else None,
        actor=actor.user_id,
        at=action.at or now(),
        received_at=now(),
        client_event_id=action.client_event_id,
    )
    if asset is None:
        description = action.description or (f"Mã đã nhập: {action.tag}" if action.tag and not tag else "")
        values.update(kind="unregistered", tag=tag, description=description)
        change = None
    elif asset["commune_id"] != stocktake["commune_id"]:
        values.update(kind="elsewhere", asset=asset["id"])
        change = None
    elif asset["status"] == Status.disposed:
        return _answer(action, Outcome.rejected, "Thiết bị đã thanh lý.", tag=tag)
    else:
        values["asset"] = asset["id"]
        if action.kind in (ActionKind.confirm, ActionKind.found):
            values["kind"] = "confirmed"
            change = lambda: register_devices.confirm_stocktake(  # noqa: E731
                actor,
                asset["id"],
                StocktakeConfirm(condition=action.condition, note=action.note, client_event_id=action.client_event_id),
                in_round=False,
            )
        elif action.kind == ActionKind.not_found:
            values["kind"] = "not_found"
            change = lambda: register_devices.report_not_found(  # noqa: E731
                actor,
                asset["id"],
                NotFoundReport(note=action.note, client_event_id=action.client_event_id),
                in_round=False,
            )
        else:
            values["kind"] = "moved"
            change = lambda: register_devices.move_asset(  # noqa: E731
                actor,
                asset["id"],
                AssetMove(
                    location=action.location,
                    location_detail=action.location_detail,
                    note=action.note,
                    client_event_id=action.client_event_id,
                ),
            )

    async with write_transaction():
        seen = values["kind"] in ("confirmed", "moved") and await StocktakeResult.exists().where(
            StocktakeResult.stocktake == stocktake["id"],
            StocktakeResult.asset == values["asset"],
            StocktakeResult.kind.is_in(list(FOUND_KINDS)),
        )
        # A racing resend stored it after our first look: drop this and answer as it did.
        # Read after ``seen``: if that resend is what made the device seen, this sees it too.
        if await StocktakeResult.exists().where(StocktakeResult.client_event_id == action.client_event_id):
            raise StoredMeanwhile
        if seen and values["kind"] == "confirmed":
            return _answer(
                action,
                Outcome.already_confirmed,
                f"Thiết bị {display_tag(tag or '')} đã được xác nhận trong đợt kiểm kê này.",
                "confirmed",
                tag,
            )
        if change is not None:
            await change()
        await StocktakeResult.insert(StocktakeResult(**values))
    return _answer(action, Outcome.recorded, _MESSAGES[values["kind"]], values["kind"], tag)


async def sync(actor: Actor, stocktake_id: int, batch: SyncBatch) -> list[ActionOutcome]:
    """Apply a batch of queued actions, each once; answers one outcome per action, in order.

    A finished stocktake still takes a batch for ``LATE_RESULTS_FOR`` after it was
    finished: what a phone recorded with no signal is not lost because a colleague
    closed the round first. The report counts those results as ``received_late``."""
    actor.require(*REGISTER_WRITERS)
    stocktake = await _load(actor, stocktake_id)
    finished_at = stocktake["finished_at"]
    if stocktake["status"] != "open" and (finished_at is None or now() - finished_at > LATE_RESULTS_FOR):
        raise Conflict(
            f"Đợt kiểm kê đã kết thúc hơn {LATE_RESULTS_FOR.days} ngày, không nhận thêm kết quả: "
            "hãy gửi vào đợt kiểm kê mới.",
            field="status",
            code="finished",
        )
    outcomes = []
    for action in batch.actions:
        try:
            outcomes.append(await _apply(actor, stocktake, action))
        except DomainError as error:
            outcomes.append(_answer(action, Outcome.rejected, error.message))
    return outcomes


# --- coverage report -----------------------------------------------------------


async def coverage(actor: Actor, province: str | None = None, since: dt.datetime | None = None) -> pl.DataFrame:
    """Stocktake coverage per commune (staff: their own commune only).

    The database counts the register (devices, and those confirmed since the date,
    per commune: one GROUP BY); the stocktakes, their results and the devices they
    name are read column-wise (no Python object per row; 150,000 row dicts took
    84% of the time before), and the report runs off the event loop.
    """
    postgres = is_postgres()
    t = "::text" if postgres else ""  # times as ISO text on both engines

    class Args(list):
        def __call__(self, value: Any) -> str:
            self.append(value)
            return placeholder(postgres, self)

    def scope(args: Args) -> str:
        """SQL condition on ``c`` (a commune) for the communes the report covers."""
        conditions = ["1 = 1"]
        if (scoped := actor.scope.sql("c", args)) is not None:
            conditions.append(scoped)
        if province:
            conditions.append(f"c.province IN (SELECT id FROM province WHERE code = {args(province)})")
        return " AND ".join(conditions)

    def in_scope(args: Args, column: str) -> str:
        if actor.scope.everything and not province:
            return ""
        return f" AND {column} IN (SELECT c.id FROM commune c WHERE {scope(args)})"

    def stocktakes_in(args: Args) -> str:
        return f"SELECT s.id FROM stocktake s WHERE 1 = 1{in_scope(args, 's.commune')}"

    # Times compared as text on SQLite: Piccolo stores them as UTC str(datetime), as here.
    def moment(args: Args) -> str:
        assert since is not None
        return f"{args(since)}::timestamptz" if postgres else args(str(since.astimezone(dt.UTC)))

    counts_args = Args()
    found = ", ".join(f"'{kind}'" for kind in FOUND_KINDS)
    confirmed = (
        f", sum(CASE WHEN a.last_audited_at >= {moment(counts_args)} OR a.id IN (SELECT r.asset FROM"
        f" stocktake_result r WHERE r.kind IN ({found}) AND r.at >= {moment(counts_args)}"
        f" AND r.stocktake IN ({stocktakes_in(counts_args)})) THEN 1 ELSE 0 END)"
        if since is not None
        else ", 0"
    )
    counts_where = f"a.status <> 'disposed'{in_scope(counts_args, 'a.commune')}"
    args = [Args() for _ in range(4)]
    queries = (
        ColumnQuery(
            ["commune", "devices", "confirmed_since"],
            f"(SELECT a.commune AS commune, count(*) AS devices{confirmed} AS confirmed_since"
            f" FROM asset a WHERE {counts_where} GROUP BY a.commune) AS counted",
            counts_args,
            {"commune_id": pl.Int64, "devices": pl.Int64, "confirmed_since": pl.Int64},
        ),
        ColumnQuery(
            ["c.id", "c.code", "c.name"],
            f"commune c WHERE {scope(args[0])}",
            args[0],
            {"commune_id": pl.Int64, "commune_code": pl.String, "commune_name": pl.String},
        ),
        ColumnQuery(
            ["a.id", "a.commune"],
            f"asset a WHERE a.status <> 'disposed' AND a.id IN (SELECT r.asset FROM stocktake_result r"
            f" WHERE r.stocktake IN ({stocktakes_in(args[1])}))",
            args[1],
            {"asset_id": pl.Int64, "commune_id": pl.Int64},
        ),
        ColumnQuery(
            ["s.id", "s.commune", f"s.started_at{t}", "s.status"],
            f"stocktake s WHERE s.id IN ({stocktakes_in(args[2])})",
            args[2],
            {"stocktake_id": pl.Int64, "commune_id": pl.Int64, "started_at": pl.String, "status": pl.String},
        ),
        ColumnQuery(
            ["r.stocktake", "r.asset", "r.kind", f"r.at{t}"],
            f"stocktake_result r WHERE r.asset IS NOT NULL AND r.stocktake IN ({stocktakes_in(args[3])}) ORDER BY r.id",
            args[3],
            {"stocktake_id": pl.Int64, "asset_id": pl.Int64, "kind": pl.String, "at": pl.String},
        ),
    )
    counts, communes, active, stocktakes, results = await read_columns(queries)
    times = time_format()

    def report() -> pl.DataFrame:
        def utc(frame: pl.DataFrame, column: str) -> pl.LazyFrame:
            return frame.lazy().with_columns(pl.col(column).str.to_datetime(times, time_unit="us", time_zone="UTC"))

        return coverage_from_counts(
            communes.lazy(),
            counts.lazy().select("commune_id", "devices"),
            active.lazy(),
            utc(stocktakes, "started_at"),
            utc(results, "at"),
            counts.lazy().select("commune_id", "confirmed_since") if since is not None else None,
        ).collect()

    return await run_heavy(report)
