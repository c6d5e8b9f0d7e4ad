"""The asset register's use cases: each runs its rules and writes its history
event in one transaction, so a change and its record never part.

A change may carry the client's own event id. The first time, the change is
made and its answer stored on the event; a resend (an offline phone that lost
the reply) gets the stored answer and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from labels.tags import display_tag
from models.scan import Stocktake, StocktakeResult
from models.tables import Asset, AssetEvent, Category, Commune
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now, today_vn, years_before
from procurement.core.errors import Conflict, DomainError, Forbidden, NotFound
from procurement.core.idempotency import StoredEvent, run_once
from procurement.core.lookups import Lookup
from procurement.core.text import like_pattern
from procurement.core.transactions import write_transaction
from procurement.public_property.classification import Kind, classify
from procurement.public_property.wear import remaining_value
from procurement.register.new_device import device_row, draw_free_tags, effective_acquired, search_text
from procurement.register.schemas import (
    EVENT_KIND_VI,
    STOCKTAKE_RESULT_VI,
    Acquisition,
    AssetCreate,
    AssetFilter,
    AssetMove,
    AssetOut,
    AssetUpdate,
    Condition,
    ConditionReport,
    FieldDevice,
    Location,
    NotFoundReport,
    Status,
    StocktakeConfirm,
)
from procurement.register.transit import refuse_in_transit

MAX_ROW_ID = 2**31 - 1  # ids are Serial: a 32-bit integer on PostgreSQL


_COLUMNS = (
    Asset.id,
    Asset.tag,
    Asset.category.code.as_alias("category"),
    Asset.category.name.as_alias("category_name"),
    Asset.category.useful_life_years.as_alias("useful_life_years"),
    Asset.commune.id.as_alias("commune_id"),
    Asset.commune.code.as_alias("commune_code"),
    Asset.commune.name.as_alias("commune_name"),
    Asset.commune._.province._.code.as_alias("province_code"),
    Asset.make,
    Asset.model,
    Asset.serial,
    Asset.location,
    Asset.location_detail,
    Asset.assigned_to,
    Asset.acquired_on,
    Asset.acquired_year,
    Asset.cost_vnd,
    Asset.acquisition,
    Asset.status,
    Asset.condition,
    Asset.last_audited_at,
    Asset.antimalware_installed,
    Asset.os_name,
    Asset.os_supported,
    Asset.notes,
    Asset.created_at,
    Asset.updated_at,
)


_NULLABLE_FIELDS = {
    "serial",
    "acquired_on",
    "acquired_year",
    "cost_vnd",
    "antimalware_installed",
    "os_supported",
}
# Fields shown by code whose column holds the referenced row's id.
_FOREIGN_KEYS = {
    "category": (Asset.category, lambda code: _category_by_code(code)),
    "commune_code": (Asset.commune, lambda code: _commune_by_code(code)),
}


def age_years(acquired: dt.date | None, today: dt.date | None = None) -> float | None:
    if acquired is None:
        return None
    today = today or today_vn()
    return round(max((today - acquired).days, 0) / 365.25, 1)


def book_value(
    category: str, cost_vnd: int | None, acquired: dt.date | None, today: dt.date | None = None
) -> int | None:
    """Remaining value (giá trị còn lại) of a fixed asset on ``today``: cost less the yearly
    wear of the public-property rules (procurement.public_property). A tool, or a device
    with no known cost or date, has no value on the fixed-asset book: None."""
    rating = classify(category, cost_vnd, acquired)
    if rating.kind is not Kind.fixed_asset or rating.original_cost_vnd is None or rating.in_use_on is None:
        return None
    return remaining_value(category, rating.original_cost_vnd, rating.in_use_on, today or today_vn())


_ENUM_FIELDS = {"location": Location, "acquisition": Acquisition, "status": Status, "condition": Condition}
_PLAIN_FIELDS = frozenset(AssetOut.model_fields) - set(_ENUM_FIELDS)


def asset_out_of_row(row: dict[str, Any]) -> AssetOut:
    acquired = effective_acquired(row["acquired_on"], row["acquired_year"])
    # Rows come from our own tables, already typed: construct without re-validating
    # (validation cost more than the query on the look-up by tag).
    fields: dict[str, Any] = {k: v for k, v in row.items() if k in _PLAIN_FIELDS}
    fields.update({k: enum(row[k]) for k, enum in _ENUM_FIELDS.items()})
    return AssetOut.model_construct(
        **fields,
        tag_display=display_tag(row["tag"]),
        age_years=age_years(acquired),
        book_value_vnd=book_value(row["category"], row["cost_vnd"], acquired),
    )


# The hot path of every scan: compiled once (procurement.core.lookups).
_ONE_DEVICE = {
    "id": Lookup(lambda: Asset.select(*_COLUMNS).where(Asset.id == 0).limit(1)),
    "tag": Lookup(lambda: Asset.select(*_COLUMNS).where(Asset.tag == "").limit(1)),
}


async def _load_row(actor: Actor, column: str, value: Any) -> dict[str, Any]:
    rows = await _ONE_DEVICE[column].rows(value)
    row = rows[0] if rows else None
    if row is None or not actor.sees_commune(row["commune_id"]):
        # Another commune's device answers exactly like a missing one.
        raise NotFound("Không tìm thấy thiết bị.")
    return row


async def get_asset(actor: Actor, asset_id: int) -> AssetOut:
    return asset_out_of_row(await _load_row(actor, "id", asset_id))


async def get_asset_by_tag(actor: Actor, tag: str) -> AssetOut:
    return asset_out_of_row(await _load_row(actor, "tag", tag))


async def field_list(actor: Actor, commune_code: str | None = None) -> list[FieldDevice]:
    """The commune's devices (not disposed) for a phone to keep, so a scanned label
    opens with no signal: staff get their own commune; an admin names one."""
    actor.require(*REGISTER_WRITERS)
    if actor.is_staff:
        commune_id = actor.commune_id
    elif commune_code:
        commune_id = (await _commune_by_code(commune_code, field="commune"))["id"]
        if not actor.sees_commune(commune_id):
            raise DomainError(f"Không có xã/phường mã {commune_code} trong phạm vi của bạn.", field="commune")
    else:
        raise DomainError("Chọn xã/phường (commune).", field="commune")
    rows = (
        await Asset.select(
            Asset.id,
            Asset.tag,
            Asset.category.name.as_alias("category_name"),
            Asset.make,
            Asset.model,
            Asset.location,
            Asset.location_detail,
            Asset.assigned_to,
            Asset.condition,
            Asset.status,
            Asset.last_audited_at,
        )
        .where(Asset.commune == commune_id, Asset.status != Status.disposed.value)
        .order_by(Asset.tag)
    )
    return [FieldDevice(**row, tag_display=display_tag(row["tag"])) for row in rows]


def filter_conditions(actor: Actor, filters: AssetFilter) -> list:
    """The WHERE conditions of a device list: what the actor may see, narrowed by the
    filters. One definition for the list, the page and the export, so they agree."""
    where = []
    if (scoped := actor.scope.where(Asset.commune)) is not None:
        where.append(scoped)
    if filters.province:
        where.append(Asset.commune._.province._.code == filters.province)
    if filters.commune:
        where.append(Asset.commune.code == filters.commune)
    if filters.category:
        where.append(Asset.category.code == filters.category)
    if filters.status:
        where.append(Asset.status == filters.status.value)
    if filters.condition:
        where.append(Asset.condition == filters.condition.value)
    today = today_vn()
    if filters.min_age_years is not None:
        where.append(Asset.acquired_effective <= years_before(today, filters.min_age_years))
    if filters.max_age_years is not None:
        where.append(Asset.acquired_effective > years_before(today, filters.max_age_years + 1))
    if filters.q:
        where.append(Asset.search_text.like(like_pattern(filters.q)))
    return where


async def list_assets(
    actor: Actor, filters: AssetFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[AssetOut], int, str | None]:
    """Keyset pagination on id: pages stay stable while devices are added."""
    where = filter_conditions(actor, filters)

    count_query = Asset.count()
    if where:
        count_query = count_query.where(*where)
    total = await count_query

    page_where = list(where)
    if cursor:
        # ASCII digits only ("²".isdigit() is true, int("²") fails) and within the id column's range.
        if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > MAX_ROW_ID:
            raise DomainError("Con trỏ trang không hợp lệ.", field="cursor")
        page_where.append(Asset.id > int(cursor))
    query = Asset.select(*_COLUMNS).order_by(Asset.id).limit(limit + 1)
    if page_where:
        query = query.where(*page_where)
    rows = await query
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = str(rows[-1]["id"]) if more and rows else None
    return [asset_out_of_row(r) for r in rows], total, next_cursor


async def _commune_by_code(code: str, field: str = "commune_code") -> dict[str, Any]:
    commune = await Commune.select(Commune.id, Commune.code).where(Commune.code == code).first()
    if commune is None:
        raise DomainError(f"Không có xã/phường mã {code}.", field=field, code="unknown_commune")
    return commune


async def _category_by_code(code: str) -> dict[str, Any]:
    category = await Category.select(Category.id).where(Category.code == code).first()
    if category is None:
        raise DomainError(f"Không có loại thiết bị '{code}'.", field="category", code="unknown_category")
    return category


# --- client event ids: one mechanism (procurement.core.idempotency) ------------


async def _stored_result(client_event_id: str) -> StoredEvent | None:
    result = (
        await StocktakeResult.select(
            StocktakeResult.kind,
            StocktakeResult.tag,
            StocktakeResult.stocktake,
            StocktakeResult.stocktake._.commune._.id.as_alias("commune_id"),
        )
        .where(StocktakeResult.client_event_id == client_event_id)
        .first()
    )
    if result is None:
        return None
    return StoredEvent(
        route="stocktake",
        action=result["kind"],
        object_id=result["stocktake"],
        commune_id=result["commune_id"],
        details={"tag": result["tag"]},
    )


async def stored_event(client_event_id: str) -> StoredEvent | None:
    """What an event id stored: a stocktake round's result (the round's own action), or
    a device's event (a register action). One look-up for both, so an id serves once.

    A round's confirm writes its result and the device's event under the same id, in one
    transaction. The two reads are separate statements, so a racing twin can commit
    between them: when the event is found, the result is read again (it is visible now
    if it exists), and the round's own record wins."""
    result = await _stored_result(client_event_id)
    if result is not None:
        return result
    event = (
        await AssetEvent.select(
            AssetEvent.asset,
            AssetEvent.kind,
            AssetEvent.response,
            AssetEvent.asset._.tag.as_alias("tag"),
            AssetEvent.asset._.commune._.id.as_alias("commune_id"),
        )
        .where(AssetEvent.client_event_id == client_event_id)
        .first()
    )
    if event is None:
        return None
    result = await _stored_result(client_event_id)
    if result is not None:
        return result
    response = event["response"]
    return StoredEvent(
        route="asset",
        action=event["kind"],
        object_id=event["asset"],
        commune_id=event["commune_id"],
        answer=json.loads(response) if isinstance(response, str) else response,
        details={"tag": event["tag"]},
    )


def _may_see(actor: Actor, stored: StoredEvent) -> bool:
    return stored.commune_id is not None and actor.sees_commune(stored.commune_id)


def describe_stored(actor: Actor, stored: StoredEvent) -> str:
    """The stored action in words; the device and round only for a caller who may see them."""
    if stored.route == "stocktake":
        words = STOCKTAKE_RESULT_VI.get(stored.action, stored.action)
        if _may_see(actor, stored):
            words += f" số {stored.object_id}"
    else:
        words = EVENT_KIND_VI.get(stored.action, stored.action).lower()
    tag = stored.details.get("tag")
    if tag and _may_see(actor, stored):
        words += f" (thiết bị {display_tag(tag)})"
    return f"việc khác: {words}"


async def _with_replay(
    client_event_id: str | None,
    asset_id: int | None,
    change: Callable,
    *,
    actor: Actor,
    kinds: tuple[str, ...],
):
    """Run ``change`` once per client event id, also when resends race. A resend gets the
    stored answer only for the same action (``kinds``) on the same device (any new device
    for a registration), from a caller who may see that device; otherwise 409."""

    def same(stored: StoredEvent) -> bool:
        return (
            stored.route == "asset"
            and stored.action in kinds
            and (asset_id is None or stored.object_id == asset_id)
            and _may_see(actor, stored)
        )

    return await run_once(
        client_event_id,
        find=stored_event,
        same=same,
        replay=lambda stored: AssetOut.model_validate(stored.answer),
        change=change,
        describe=lambda stored: describe_stored(actor, stored),
    )


async def _write_event(
    asset_id: int,
    kind: str,
    actor: Actor,
    changes: dict,
    note: str,
    client_event_id: str | None,
    out: AssetOut,
    at: dt.datetime,
) -> None:
    await AssetEvent.insert(
        AssetEvent(
            asset=asset_id,
            kind=kind,
            actor=actor.user_id,
            at=at,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
            note=note,
            client_event_id=client_event_id,
            response=out.model_dump_json(),
        )
    )


async def register_asset(actor: Actor, data: AssetCreate) -> AssetOut:
    actor.require(*REGISTER_WRITERS, "finance")
    commune = await _commune_by_code(data.commune_code)
    if not actor.sees_commune(commune["id"]):
        raise Forbidden(
            "Xã/phường này ngoài phạm vi của bạn (cán bộ xã: xã mình; tỉnh: tỉnh mình).", field="commune_code"
        )
    category = await _category_by_code(data.category)

    async def change() -> AssetOut:
        async with write_transaction():
            tag = data.tag
            if tag:
                if await Asset.exists().where(Asset.tag == tag):
                    raise Conflict(f"Mã {display_tag(tag)} đã được dùng.", field="tag", code="tag_taken")
            else:
                (tag,) = await draw_free_tags(1)
            at = now()
            values = data.model_dump(exclude={"tag", "category", "commune_code", "client_event_id"})
            values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
            values.update(tag=tag)
            asset = Asset(**device_row({**values, "category": category["id"], "commune": commune["id"]}, at))
            await asset.save()
            out = asset_out_of_row(await _load_row(actor, "id", asset.id))
            changes = {
                k: {"before": None, "after": v}
                for k, v in out.model_dump(mode="json").items()
                if k not in ("id", "created_at", "updated_at", "tag_display", "age_years", "book_value_vnd")
                and v not in (None, "")
            }
            await _write_event(asset.id, "registered", actor, changes, "", data.client_event_id, out, at)
            return out

    return await _with_replay(data.client_event_id, None, change, actor=actor, kinds=("registered",))


_DOING = {
    "updated": "sửa thông tin thiết bị",
    "moved": "chuyển vị trí thiết bị",
    "condition_reported": "báo tình trạng",
    "stocktake_confirmed": "xác nhận kiểm kê",
    "not_found": "báo không tìm thấy",
}
"""What each change is, in the refusal of a device in transit."""


async def _change_asset(
    actor: Actor,
    asset_id: int,
    kind: str,
    client_event_id: str | None,
    compute: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    note: str = "",
    roles: tuple[str, ...] = REGISTER_WRITERS,
    allow_disposed: bool = False,
    kinds: tuple[str, ...] | None = None,
    round_result: str | None = None,
) -> AssetOut:
    """Load (scoped), compute the new values, write them and the event together.

    ``round_result``: while a stocktake round is open for the device's commune, this
    action is also that round's result for the device (confirmed, not_found)."""
    actor.require(*roles)

    async def change() -> AssetOut:
        async with write_transaction():
            row = await _load_row(actor, "id", asset_id)
            if row["status"] == Status.disposed and not allow_disposed:
                raise Conflict("Thiết bị đã thanh lý, không thể thay đổi.", field="status", code="disposed")
            await refuse_in_transit(row, _DOING.get(kind, "thay đổi thiết bị"))
            at = now()
            new_values = await compute(row)
            diff = {
                field: {"before": row.get(field), "after": after}
                for field, after in new_values.items()
                if row.get(field) != after
            }
            column_values: dict[Any, Any] = {}
            for field, change in diff.items():
                if field in _FOREIGN_KEYS:
                    column, resolve = _FOREIGN_KEYS[field]
                    column_values[column] = (await resolve(change["after"]))["id"]
                else:
                    column_values[getattr(Asset, field)] = change["after"]
            if "acquired_on" in diff or "acquired_year" in diff:
                column_values[Asset.acquired_effective] = effective_acquired(
                    new_values.get("acquired_on", row["acquired_on"]),
                    new_values.get("acquired_year", row["acquired_year"]),
                )
            merged = {**row, **new_values}
            column_values[Asset.search_text] = search_text(merged)
            column_values[Asset.updated_at] = at
            await Asset.update(column_values).where(Asset.id == asset_id)
            out = asset_out_of_row(await _load_row(actor, "id", asset_id))
            await _write_event(asset_id, kind, actor, diff, note, client_event_id, out, at)
            if round_result:
                await _record_in_open_round(actor, row, round_result, new_values.get("condition"), note, at)
            return out

    return await _with_replay(client_event_id, asset_id, change, actor=actor, kinds=kinds or (kind,))


ROUND_RESULT_ID_PREFIX = "device-route:"


async def _record_in_open_round(
    actor: Actor, row: dict[str, Any], kind: str, condition: str | None, note: str, at: dt.datetime
) -> None:
    """The commune's open stocktake round, if any, counts this action as its result for
    the device (the round's own sync records its results itself)."""
    round_row = (
        await Stocktake.select(Stocktake.id)
        .where(Stocktake.commune == row["commune_id"], Stocktake.status == "open")
        .first()
    )
    if round_row is None:
        return
    await StocktakeResult.insert(
        StocktakeResult(
            stocktake=round_row["id"],
            kind=kind,
            asset=row["id"],
            tag=row["tag"],
            condition=condition,
            note=note,
            actor=actor.user_id,
            at=at,
            received_at=at,
            # Not a client's id (those are UUIDs): the client's id is on the device's event,
            # where a resend finds it; this one only keeps the column unique.
            client_event_id=f"{ROUND_RESULT_ID_PREFIX}{uuid.uuid4().hex}",
        )
    )


async def update_asset(actor: Actor, asset_id: int, data: AssetUpdate) -> AssetOut:
    async def compute(row):
        values = {
            k: (v.value if hasattr(v, "value") else v)
            for k, v in data.model_dump(exclude_unset=True, exclude={"client_event_id"}).items()
        }
        # null clears a nullable field; on the others it means "leave as is".
        return {k: v for k, v in values.items() if v is not None or k in _NULLABLE_FIELDS}

    return await _change_asset(actor, asset_id, "updated", data.client_event_id, compute)


async def move_asset(actor: Actor, asset_id: int, data: AssetMove) -> AssetOut:
    async def compute(row):
        values = {
            k: (v.value if hasattr(v, "value") else v)
            for k, v in data.model_dump(exclude_unset=True, exclude={"client_event_id", "note"}).items()
            if v is not None
        }
        if "commune_code" in values and values["commune_code"] != row["commune_code"]:
            if actor.is_staff:
                raise Forbidden("Cán bộ xã chỉ chuyển thiết bị trong xã mình.", field="commune_code")
            target = await _commune_by_code(values["commune_code"])
            if not actor.sees_commune(target["id"]):
                # Between provinces only by a transfer of the national admin.
                raise Forbidden("Chỉ chuyển thiết bị trong tỉnh/thành của bạn.", field="commune_code")
        return values

    return await _change_asset(actor, asset_id, "moved", data.client_event_id, compute, data.note)


async def report_condition(actor: Actor, asset_id: int, data: ConditionReport, *, in_round: bool = True) -> AssetOut:
    """``in_round``: also the open stocktake round's result (the device was seen)."""

    async def compute(row):
        return {"condition": data.condition.value}

    return await _change_asset(
        actor,
        asset_id,
        "condition_reported",
        data.client_event_id,
        compute,
        data.note,
        round_result="confirmed" if in_round else None,
    )


async def confirm_stocktake(actor: Actor, asset_id: int, data: StocktakeConfirm, *, in_round: bool = True) -> AssetOut:
    """``in_round``: also the open stocktake round's result; the round's own sync says False."""

    async def compute(row):
        values: dict[str, Any] = {"last_audited_at": now()}
        if data.condition is not None:
            values["condition"] = data.condition.value
        return values

    return await _change_asset(
        actor,
        asset_id,
        "stocktake_confirmed",
        data.client_event_id,
        compute,
        data.note,
        round_result="confirmed" if in_round else None,
    )


async def asset_history(actor: Actor, asset_id: int) -> list[dict[str, Any]]:
    await _load_row(actor, "id", asset_id)
    rows = (
        await AssetEvent.select(
            AssetEvent.id,
            AssetEvent.asset.as_alias("asset_id"),
            AssetEvent.kind,
            AssetEvent.actor.username.as_alias("actor"),
            AssetEvent.at,
            AssetEvent.changes,
            AssetEvent.note,
            AssetEvent.client_event_id,
        )
        .where(AssetEvent.asset == asset_id)
        .order_by(AssetEvent.id)
    )
    for row in rows:
        if isinstance(row["changes"], str):
            row["changes"] = json.loads(row["changes"])
    return rows


async def report_not_found(actor: Actor, asset_id: int, data: NotFoundReport, *, in_round: bool = True) -> AssetOut:
    """The device is not where the register says: an event, no field changes; also the
    open stocktake round's result (``in_round``)."""

    async def compute(row):
        return {}

    return await _change_asset(
        actor,
        asset_id,
        "not_found",
        data.client_event_id,
        compute,
        data.note,
        round_result="not_found" if in_round else None,
    )
