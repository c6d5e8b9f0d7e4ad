"""Use cases of a device's life: warranty, repairs, hand-over to officials, disposal
files and the reminders page. Each checks the caller's role and commune, writes its
change and the device's history event in one transaction."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import polars as pl
from piccolo.query.functions.aggregate import Count
from pydantic import TypeAdapter

from models.lifecycle import DisposalFile, Handover, Repair, Transfer, TransferItem, Warranty
from models.tables import Asset, AssetEvent, Commune
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now, today_vn
from procurement.core.errors import Conflict, DomainError, NotFound
from procurement.core.heavy import run_heavy
from procurement.core.lookups import Lookup
from procurement.core.transactions import must_find, read_frame, write_transaction
from procurement.lifecycle.rules import DeviceFacts, Ground, check_ground, under_warranty, years_in_use
from procurement.lifecycle.schemas import (
    DisposalApprovalIn,
    DisposalExecutionIn,
    DisposalOut,
    DisposalRequestIn,
    HandBackIn,
    HandoverIn,
    HandoverOut,
    Reminder,
    RepairIn,
    RepairOut,
    RepairSummary,
    WarrantyIn,
    WarrantyOut,
)
from procurement.register.schemas import AssetOut, Status
from procurement.register.transit import refuse_in_transit

DEFAULT_WARRANTY_MONTHS = int(os.environ.get("DEFAULT_WARRANTY_MONTHS", "12"))
"""Warranty of a delivered device when none was entered: the usual term of the province's
IT supply contracts (a setting: contracts do not record their warranty yet)."""

DECIDERS = ("admin", "finance")  # the province approves disposals

_ASSET_COLUMNS = (
    Asset.id,
    Asset.tag,
    Asset.status,
    Asset.condition,
    Asset.cost_vnd,
    Asset.acquired_on,
    Asset.acquired_effective,
    Asset.commune._.id.as_alias("commune_id"),
    Asset.commune._.code.as_alias("commune_code"),
    Asset.category._.useful_life_years.as_alias("useful_life_years"),
    Asset.contract._.supplier._.name.as_alias("contract_supplier"),
)


async def _device(actor: Actor, asset_id: int) -> dict[str, Any]:
    row = await Asset.select(*_ASSET_COLUMNS).where(Asset.id == asset_id).first()
    if row is None or not actor.sees_commune(row["commune_id"]):
        raise NotFound("Không tìm thấy thiết bị.")  # another commune's device: like a missing one
    return row


async def _event(asset_id: int, kind: str, actor: Actor, changes: dict, note: str = "") -> None:
    await AssetEvent.insert(
        AssetEvent(
            asset=asset_id,
            kind=kind,
            actor=actor.user_id,
            at=now(),
            changes=json.dumps(changes, ensure_ascii=False, default=str),
            note=note,
        )
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


# --- warranty ---------------------------------------------------------------------------------


def _warranty_terms(device: dict[str, Any], entered: dict[str, Any] | None) -> tuple[dt.date | None, str, str]:
    """(ends on, supplier, source): the entered warranty, else the default term from the delivery."""
    if entered is not None:
        return entered["ends_on"], entered["supplier"], "entered"
    if device["contract_supplier"] and device["acquired_on"]:
        return _add_months(device["acquired_on"], DEFAULT_WARRANTY_MONTHS), device["contract_supplier"], "delivery"
    return None, "", "none"


def _warranty_of(device: dict[str, Any], entered: dict[str, Any] | None, today: dt.date) -> WarrantyOut:
    ends_on, supplier, source = _warranty_terms(device, entered)
    return WarrantyOut(
        asset_id=device["id"],
        ends_on=ends_on,
        supplier=supplier,
        source=source,
        under_warranty=under_warranty(ends_on, today),
    )


async def warranty(actor: Actor, asset_id: int) -> WarrantyOut:
    device = await _device(actor, asset_id)
    entered = await Warranty.select().where(Warranty.asset == asset_id).first()
    return _warranty_of(device, entered, today_vn())


_WARRANTY_TERMS = Lookup(
    lambda: Asset.select(
        Asset.id, Asset.acquired_on, Asset.contract._.supplier._.name.as_alias("contract_supplier")
    ).where(Asset.id == 0)
)
_ENTERED_WARRANTY = Lookup(lambda: Warranty.select().where(Warranty.asset == 0))


async def warranty_of_seen(asset: AssetOut) -> WarrantyOut:
    """The warranty of a device the caller has just been shown (its scope already checked),
    by compiled look-ups: the scan page's path, which runs on every scan."""
    device = (await _WARRANTY_TERMS.rows(asset.id))[0]
    entered = await _ENTERED_WARRANTY.rows(asset.id)
    return _warranty_of(device, entered[0] if entered else None, today_vn())


async def set_warranty(actor: Actor, asset_id: int, data: WarrantyIn) -> WarrantyOut:
    actor.require(*REGISTER_WRITERS, "finance")
    async with write_transaction():
        device = await _device(actor, asset_id)
        before = await Warranty.select().where(Warranty.asset == asset_id).first()
        await Warranty.delete().where(Warranty.asset == asset_id)
        await Warranty.insert(
            Warranty(
                asset=asset_id,
                ends_on=data.ends_on,
                supplier=data.supplier,
                source="entered",
                recorded_by=actor.user_id,
                recorded_at=now(),
            )
        )
        await _event(
            asset_id,
            "warranty",
            actor,
            {"warranty_until": {"before": before["ends_on"] if before else None, "after": data.ends_on}},
            data.supplier,
        )
        entered = await Warranty.select().where(Warranty.asset == asset_id).first()
        return _warranty_of(device, entered, today_vn())


# --- repairs ----------------------------------------------------------------------------------


def _repair_out(row: dict[str, Any], warranty_supplier: str | None = None) -> RepairOut:
    return RepairOut(
        id=row["id"],
        asset_id=row["asset"],
        started_on=row["started_on"],
        finished_on=row["finished_on"],
        supplier=row["supplier"],
        cost_vnd=row["cost_vnd"],
        work_done=row["work_done"],
        condition_after=row["condition_after"],
        under_warranty=row["under_warranty"],
        warranty_supplier=warranty_supplier,
    )


async def record_repair(actor: Actor, asset_id: int, data: RepairIn) -> RepairOut:
    """Record a repair; when the device was under warranty on the day the repair started,
    the answer says so and names the supplier to ask."""
    actor.require(*REGISTER_WRITERS)
    if data.started_on > today_vn():
        raise DomainError("Ngày bắt đầu sửa không được ở tương lai.", field="started_on")
    async with write_transaction():
        device = await _device(actor, asset_id)
        if device["status"] == Status.disposed:
            raise Conflict("Thiết bị đã thanh lý.", field="asset_id", code="disposed")
        await refuse_in_transit(device, "ghi sửa chữa")
        entered = await Warranty.select().where(Warranty.asset == asset_id).first()
        cover = _warranty_of(device, entered, data.started_on)
        repair = Repair(
            asset=asset_id,
            started_on=data.started_on,
            finished_on=data.finished_on,
            supplier=data.supplier,
            cost_vnd=data.cost_vnd,
            work_done=data.work_done,
            condition_after=data.condition_after.value if data.condition_after else None,
            under_warranty=cover.under_warranty,
            recorded_by=actor.user_id,
            recorded_at=now(),
        )
        await repair.save()
        changes: dict[str, Any] = {"repair_cost_vnd": {"before": None, "after": data.cost_vnd}}
        # updated_at always moves: the repair total is part of the replacement priority, whose
        # kept frames re-read the devices changed since (procurement.planning.frames).
        touched: dict[Any, Any] = {Asset.updated_at: now()}
        if data.condition_after and data.condition_after != device["condition"]:
            touched[Asset.condition] = data.condition_after.value
            changes["condition"] = {"before": device["condition"], "after": data.condition_after.value}
        await Asset.update(touched).where(Asset.id == asset_id)
        await _event(asset_id, "repair", actor, changes, data.work_done)
        row = await must_find(Repair.select().where(Repair.id == repair.id))
        return _repair_out(row, cover.supplier if cover.under_warranty else None)


async def repairs(actor: Actor, asset_id: int) -> RepairSummary:
    device = await _device(actor, asset_id)
    rows = await Repair.select().where(Repair.asset == asset_id).order_by(Repair.started_on)
    total = sum(r["cost_vnd"] for r in rows)
    cost = device["cost_vnd"]
    return RepairSummary(
        asset_id=asset_id,
        repairs=[_repair_out(r) for r in rows],
        total_cost_vnd=total,
        original_cost_vnd=cost,
        share_of_original_cost=round(total / cost, 4) if cost else None,
    )


# --- hand-over to officials -------------------------------------------------------------------

_HANDOVER_COLUMNS = (
    *Handover.all_columns(),
    Handover.asset._.tag.as_alias("tag"),
    Handover.asset._.commune._.code.as_alias("commune_code"),
)


def _handover_out(row: dict[str, Any]) -> HandoverOut:
    return HandoverOut(
        id=row["id"],
        asset_id=row["asset"],
        tag=row["tag"],
        commune_code=row["commune_code"],
        holder_name=row["holder_name"],
        holder_position=row["holder_position"],
        handed_on=row["handed_on"],
        acknowledged=row["acknowledged"],
        returned_on=row["returned_on"],
    )


async def hand_over(actor: Actor, asset_id: int, data: HandoverIn) -> HandoverOut:
    actor.require(*REGISTER_WRITERS)
    if data.handed_on > today_vn():
        raise DomainError("Ngày bàn giao không được ở tương lai.", field="handed_on")
    async with write_transaction():
        device = await _device(actor, asset_id)
        if device["status"] == Status.disposed:
            raise Conflict("Thiết bị đã thanh lý.", field="asset_id", code="disposed")
        await refuse_in_transit(device, "bàn giao cho người sử dụng")
        held = await Handover.select(Handover.holder_name).where(
            Handover.asset == asset_id, Handover.returned_on.is_null()
        )
        if held:
            raise Conflict(
                f"Thiết bị đang giao cho {held[0]['holder_name']}: nhận lại trước khi giao người khác.",
                field="holder_name",
                code="held",
            )
        handover = Handover(
            asset=asset_id,
            holder_name=data.holder_name,
            holder_position=data.holder_position,
            handed_on=data.handed_on,
            acknowledged=data.acknowledged,
            recorded_by=actor.user_id,
            recorded_at=now(),
        )
        await handover.save()
        await Asset.update({Asset.assigned_to: data.holder_name, Asset.updated_at: now()}).where(Asset.id == asset_id)
        await _event(
            asset_id,
            "handed_over",
            actor,
            {"assigned_to": {"before": None, "after": data.holder_name}},
            data.holder_position,
        )
        return _handover_out(await must_find(Handover.select(*_HANDOVER_COLUMNS).where(Handover.id == handover.id)))


async def hand_back(actor: Actor, asset_id: int, data: HandBackIn) -> HandoverOut:
    actor.require(*REGISTER_WRITERS)
    async with write_transaction():
        await _device(actor, asset_id)
        held = (
            await Handover.select(*_HANDOVER_COLUMNS)
            .where(Handover.asset == asset_id, Handover.returned_on.is_null())
            .first()
        )
        if held is None:
            raise Conflict("Thiết bị không giao cho ai.", field="asset_id", code="not_held")
        if data.returned_on < held["handed_on"] or data.returned_on > today_vn():
            raise DomainError("Ngày nhận lại phải từ ngày bàn giao đến hôm nay.", field="returned_on")
        await Handover.update({Handover.returned_on: data.returned_on}).where(Handover.id == held["id"])
        await Asset.update({Asset.assigned_to: "", Asset.updated_at: now()}).where(Asset.id == asset_id)
        await _event(asset_id, "handed_back", actor, {"assigned_to": {"before": held["holder_name"], "after": ""}})
        held["returned_on"] = data.returned_on
        return _handover_out(held)


async def current_handover(actor: Actor, asset_id: int) -> HandoverOut | None:
    """Who holds the device now (None: nobody)."""
    await _device(actor, asset_id)
    row = (
        await Handover.select(*_HANDOVER_COLUMNS)
        .where(Handover.asset == asset_id, Handover.returned_on.is_null())
        .first()
    )
    return _handover_out(row) if row else None


async def holdings(actor: Actor, commune_code: str | None = None, holder: str | None = None) -> list[HandoverOut]:
    """Who holds what now, in the caller's view (staff: their commune)."""
    query = Handover.select(*_HANDOVER_COLUMNS).where(Handover.returned_on.is_null())
    if (scoped := actor.scope.where(Handover.asset._.commune)) is not None:
        query = query.where(scoped)
    if commune_code and not actor.is_staff:
        query = query.where(Handover.asset._.commune._.code == commune_code)
    rows = await query.order_by(Handover.holder_name)
    if holder:
        key = holder.casefold()
        rows = [r for r in rows if key in r["holder_name"].casefold()]
    return [_handover_out(r) for r in rows]


# --- disposal files ---------------------------------------------------------------------------


async def _disposal_out(file_id: int) -> DisposalOut:
    row = (
        await DisposalFile.select(*DisposalFile.all_columns(), DisposalFile.asset._.tag.as_alias("tag"))
        .where(DisposalFile.id == file_id)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy hồ sơ thanh lý.")
    return DisposalOut(asset_id=row["asset"], **{k: v for k, v in row.items() if k in DisposalOut.model_fields})


async def request_disposal(actor: Actor, asset_id: int, data: DisposalRequestIn) -> DisposalOut:
    """Open a disposal file on a stated ground; a ground the figures do not support is refused,
    naming what is missing. The device then awaits disposal."""
    actor.require(*REGISTER_WRITERS)
    today = today_vn()
    async with write_transaction():
        device = await _device(actor, asset_id)
        if device["status"] in (Status.disposed, Status.awaiting_disposal):
            raise Conflict("Thiết bị đã thanh lý hoặc đang chờ thanh lý.", field="asset_id", code="already")
        await refuse_in_transit(device, "đề nghị thanh lý")
        facts = DeviceFacts(device["acquired_effective"], device["useful_life_years"], device["cost_vnd"])
        check_ground(data.ground, facts, today, data.repair_estimate_vnd)
        age = f"{years_in_use(facts.acquired, today):.1f}" if facts.acquired else ""
        disposal = DisposalFile(
            asset=asset_id,
            status="requested",
            ground=data.ground.value,
            age_years=age,
            useful_life_years=facts.useful_life_years,
            original_cost_vnd=facts.original_cost_vnd,
            repair_estimate_vnd=data.repair_estimate_vnd if data.ground == Ground.repair_not_worth else None,
            reason=data.reason,
            requested_by=actor.user_id,
            requested_at=now(),
        )
        await disposal.save()
        await Asset.update({Asset.status: Status.awaiting_disposal.value, Asset.updated_at: now()}).where(
            Asset.id == asset_id
        )
        await _event(
            asset_id,
            "disposal_requested",
            actor,
            {"status": {"before": device["status"], "after": Status.awaiting_disposal.value}},
            data.reason,
        )
        return await _disposal_out(disposal.id)


async def _file_for(actor: Actor, file_id: int) -> dict[str, Any]:
    row = (
        await DisposalFile.select(*DisposalFile.all_columns(), DisposalFile.asset._.commune._.id.as_alias("commune_id"))
        .where(DisposalFile.id == file_id)
        .first()
    )
    if row is None or not actor.sees_commune(row["commune_id"]):
        raise NotFound("Không tìm thấy hồ sơ thanh lý.")
    return row


async def approve_disposal(actor: Actor, file_id: int, data: DisposalApprovalIn) -> DisposalOut:
    actor.require(*DECIDERS)
    if data.decision_date > today_vn():
        raise DomainError("Ngày quyết định không được ở tương lai.", field="decision_date")
    async with write_transaction():
        row = await _file_for(actor, file_id)
        if row["status"] != "requested":
            raise Conflict("Hồ sơ không còn chờ phê duyệt.", field="status", code="not_requested")
        await DisposalFile.update(
            {
                DisposalFile.status: "approved",
                DisposalFile.decision_number: data.decision_number,
                DisposalFile.decision_date: data.decision_date,
                DisposalFile.approved_by: actor.user_id,
            }
        ).where(DisposalFile.id == file_id)
        await _event(row["asset"], "disposal_approved", actor, {}, f"Quyết định {data.decision_number}")
        return await _disposal_out(file_id)


async def carry_out_disposal(actor: Actor, file_id: int, data: DisposalExecutionIn) -> DisposalOut:
    actor.require("admin")
    async with write_transaction():
        row = await _file_for(actor, file_id)
        if row["status"] != "approved":
            raise Conflict(
                "Chỉ thực hiện thanh lý sau khi có quyết định phê duyệt.", field="status", code="not_approved"
            )
        device = await must_find(Asset.select(Asset.id, Asset.tag, Asset.status).where(Asset.id == row["asset"]))
        await refuse_in_transit(device, "thực hiện thanh lý")
        if data.carried_out_on < row["decision_date"] or data.carried_out_on > today_vn():
            raise DomainError("Ngày thanh lý phải từ ngày quyết định đến hôm nay.", field="carried_out_on")
        await DisposalFile.update(
            {
                DisposalFile.status: "done",
                DisposalFile.method: data.method.value,
                DisposalFile.proceeds_vnd: data.proceeds_vnd,
                DisposalFile.carried_out_on: data.carried_out_on,
                DisposalFile.carried_out_by: actor.user_id,
            }
        ).where(DisposalFile.id == file_id)
        await Asset.update({Asset.status: Status.disposed.value, Asset.updated_at: now()}).where(
            Asset.id == row["asset"]
        )
        await _event(
            row["asset"],
            "disposed",
            actor,
            {"status": {"before": Status.awaiting_disposal.value, "after": Status.disposed.value}},
            f"{data.method.value}, thu {data.proceeds_vnd} đ",
        )
        return await _disposal_out(file_id)


async def disposal(actor: Actor, file_id: int) -> DisposalOut:
    await _file_for(actor, file_id)
    return await _disposal_out(file_id)


async def disposal_files(actor: Actor, asset_id: int) -> list[DisposalOut]:
    """A device's disposal files, oldest first (the device page shows them)."""
    await _device(actor, asset_id)
    rows = (
        await DisposalFile.select(*DisposalFile.all_columns(), DisposalFile.asset._.tag.as_alias("tag"))
        .where(DisposalFile.asset == asset_id)
        .order_by(DisposalFile.id)
    )
    return [
        DisposalOut(asset_id=r["asset"], **{k: v for k, v in r.items() if k in DisposalOut.model_fields}) for r in rows
    ]


# --- reminders --------------------------------------------------------------------------------

REMINDER_NAMES = {
    "warranty_ending": "Sắp hết bảo hành",
    "past_useful_life": "Quá thời gian sử dụng, vẫn đang dùng",
    "os_unsupported": "Hệ điều hành hết hỗ trợ",
    "no_antimalware": "Chưa cài phần mềm phòng chống mã độc",
    "disposal_waiting": "Hồ sơ thanh lý chờ quyết định",
    "transfer_waiting": "Điều chuyển chờ xã nhận xác nhận",
    "stocktake_due": "Chưa kiểm kê trong năm",
}


_REMINDER_DEVICES = {
    "id": pl.Int64,
    "tag": pl.String,
    "status": pl.String,
    "acquired_on": pl.Date,
    "acquired_effective": pl.Date,
    "os_supported": pl.Boolean,
    "antimalware_installed": pl.Boolean,
    "category": pl.String,
    "useful_life_years": pl.Int64,
    "commune_code": pl.String,
    "commune_name": pl.String,
    "contract_supplier": pl.String,
}
_REMINDER_WARRANTIES = {"asset": pl.Int64, "w_ends_on": pl.Date, "w_supplier": pl.String}


_REMINDERS = TypeAdapter(list[Reminder])
_REMINDER_COLUMNS = ("kind", "kind_vi", "commune_code", "commune_name", "asset_id", "tag", "detail", "due_on")


def _device_reminders(
    devices: pl.DataFrame,
    warranties: pl.DataFrame,
    counted: set[str],
    today: dt.date,
    within_days: int,
) -> list[Reminder]:
    """The reminders of each device (in the frame's order, its kinds in the order of
    ``REMINDER_NAMES``), then the communes with no device counted this year.

    Column-wise (a province is thousands of devices): the same rules as :func:`_warranty_terms`
    (the entered warranty, else the default term from the delivery; ``offset_by`` keeps the
    month's last day as ``_add_months`` does) and :func:`years_in_use`. CPU only: run it off
    the event loop."""
    until = today + dt.timedelta(days=within_days)
    entered = pl.col("w_ends_on").is_not_null()
    delivered = (pl.col("contract_supplier").fill_null("") != "") & pl.col("acquired_on").is_not_null()
    used = (pl.lit(today) - pl.col("acquired_effective")).dt.total_days().clip(lower_bound=0) / 365.25
    frame = (
        devices.with_row_index("_row")
        .join(warranties, left_on="id", right_on="asset", how="left", maintain_order="left")
        .with_columns(
            pl.when(entered)
            .then(pl.col("w_ends_on"))
            .when(delivered)
            .then(pl.col("acquired_on").dt.offset_by(f"{DEFAULT_WARRANTY_MONTHS}mo"))
            .alias("_ends_on"),
            pl.when(entered).then(pl.col("w_supplier")).when(delivered).then(pl.col("contract_supplier")).alias("_by"),
            used.alias("_used"),
            pl.col("category").is_in(["desktop", "laptop"]).alias("_computer"),
        )
    )
    no_date = pl.lit(None, dtype=pl.Date)
    kinds = [
        (
            "warranty_ending",
            pl.col("_ends_on").is_between(pl.lit(today), pl.lit(until)),
            pl.format("Bảo hành đến {} ({})", pl.col("_ends_on").dt.strftime("%d/%m/%Y"), pl.col("_by").fill_null("")),
            pl.col("_ends_on"),
        ),
        (
            "past_useful_life",
            pl.col("acquired_effective").is_not_null()
            & (pl.col("status") == Status.in_use.value)
            & (pl.col("_used") >= pl.col("useful_life_years")),
            pl.format("Đã dùng {} năm / {} năm", pl.col("_used").round(1), pl.col("useful_life_years")),
            no_date,
        ),
        (
            "os_unsupported",
            pl.col("_computer") & (pl.col("os_supported") == False),  # noqa: E712 (null is not False)
            pl.lit("Hệ điều hành không còn được hỗ trợ"),
            no_date,
        ),
        (
            "no_antimalware",
            pl.col("_computer") & (pl.col("antimalware_installed") == False),  # noqa: E712
            pl.lit("Chưa cài phần mềm phòng chống mã độc tập trung"),
            no_date,
        ),
    ]
    parts = [
        frame.filter(when.fill_null(False)).select(
            "_row",
            pl.lit(order, dtype=pl.Int8).alias("_order"),
            pl.lit(kind).alias("kind"),
            pl.lit(REMINDER_NAMES[kind]).alias("kind_vi"),
            "commune_code",
            "commune_name",
            pl.col("id").alias("asset_id"),
            "tag",
            detail.alias("detail"),
            due.alias("due_on"),
        )
        for order, (kind, when, detail, due) in enumerate(kinds)
    ]
    rows = pl.concat(parts).sort("_row", "_order").select(_REMINDER_COLUMNS).to_dicts()
    names = dict(devices.select("commune_code", "commune_name").unique("commune_code").iter_rows())
    rows += [
        {
            "kind": "stocktake_due",
            "kind_vi": REMINDER_NAMES["stocktake_due"],
            "commune_code": code,
            "commune_name": names[code],
            "detail": f"Chưa có thiết bị nào được kiểm kê năm {today.year}",
            "due_on": dt.date(today.year, 12, 31),
        }
        for code in sorted(names)
        if code not in counted
    ]
    return _REMINDERS.validate_python(rows)


async def reminders(
    actor: Actor, within_days: int = 30, province: str | None = None, today: dt.date | None = None
) -> list[Reminder]:
    """What needs attention in the caller's view: warranties ending soon, devices past their
    useful life still in use, computers without a supported OS or the anti-malware,
    disposal files awaiting a decision, communes not counted this year, transfers awaiting
    the receiving commune's confirmation."""
    today = today or today_vn()
    # The scope by the device's commune column (its index), not through joins: a province is
    # its communes' ids.
    where = [Asset.status != Status.disposed.value]
    if (scoped := actor.scope.where(Asset.commune)) is not None:
        where.append(scoped)
    if province and not actor.is_staff:
        ids = [r["id"] for r in await Commune.select(Commune.id).where(Commune.province._.code == province)]
        if not ids:
            return []
        where.append(Asset.commune.is_in(ids))
    # Read straight into a frame (no dict per device): a province is thousands of devices.
    devices = await read_frame(
        Asset.select(
            Asset.id,
            Asset.tag,
            Asset.status,
            Asset.acquired_on,
            Asset.acquired_effective,
            Asset.os_supported,
            Asset.antimalware_installed,
            Asset.category._.code.as_alias("category"),
            Asset.category._.useful_life_years.as_alias("useful_life_years"),
            Asset.commune._.code.as_alias("commune_code"),
            Asset.commune._.name.as_alias("commune_name"),
            Asset.contract._.supplier._.name.as_alias("contract_supplier"),
        )
        .where(*where)
        .order_by(Asset.id),
        _REMINDER_DEVICES,
    )
    # Communes with a device counted this year (through Piccolo: it compares the moments it stored).
    counted = {
        r["code"]
        for r in await Asset.select(Asset.commune._.code.as_alias("code"))
        .where(*where, Asset.last_audited_at >= dt.datetime(today.year, 1, 1, tzinfo=dt.UTC))
        .distinct()
    }
    # Warranties and disposal files of the same devices only (the caller's commune or the province).
    warranties = Warranty.select(Warranty.asset, Warranty.ends_on, Warranty.supplier)
    if actor.is_staff:
        warranties = warranties.where(Warranty.asset._.commune == actor.commune_id)
    elif province:
        warranties = warranties.where(Warranty.asset._.commune.is_in(ids))
    elif (scoped_warranties := actor.scope.where(Warranty.asset._.commune)) is not None:
        warranties = warranties.where(scoped_warranties)
    entered = await read_frame(warranties, _REMINDER_WARRANTIES)
    found = await run_heavy(_device_reminders, devices, entered, counted, today, within_days)
    waiting = DisposalFile.select(
        DisposalFile.id,
        DisposalFile.status,
        DisposalFile.asset._.id.as_alias("asset_id"),
        DisposalFile.asset._.tag.as_alias("tag"),
        DisposalFile.asset._.commune._.id.as_alias("commune_id"),
        DisposalFile.asset._.commune._.code.as_alias("commune_code"),
        DisposalFile.asset._.commune._.name.as_alias("commune_name"),
    ).where(DisposalFile.status.is_in(["requested", "approved"]))
    if actor.is_staff:
        waiting = waiting.where(DisposalFile.asset._.commune._.id == actor.commune_id)
    elif province:
        waiting = waiting.where(DisposalFile.asset._.commune._.province._.code == province)
    for f in await waiting:
        if not actor.sees_commune(f["commune_id"]):
            continue
        found.append(
            Reminder(
                kind="disposal_waiting",
                kind_vi=REMINDER_NAMES["disposal_waiting"],
                commune_code=f["commune_code"],
                commune_name=f["commune_name"],
                asset_id=f["asset_id"],
                tag=f["tag"],
                detail="Chờ quyết định phê duyệt" if f["status"] == "requested" else "Đã duyệt, chờ thực hiện",
            )
        )
    found += await _transfers_waiting(actor, province)
    return found


async def _transfers_waiting(actor: Actor, province: str | None) -> list[Reminder]:
    """Transfers whose devices the receiving commune has not all confirmed, in the caller's
    view (staff: their commune sends or receives), under the receiving commune."""
    query = Transfer.select(
        Transfer.id,
        Transfer.decision_number,
        Transfer.decision_date,
        Transfer.from_commune,
        Transfer.to_commune,
        Transfer.from_commune._.name.as_alias("from_name"),
        Transfer.to_commune._.code.as_alias("to_code"),
        Transfer.to_commune._.name.as_alias("to_name"),
    ).where(Transfer.status == "in_transit")
    sent, received = actor.scope.where(Transfer.from_commune), actor.scope.where(Transfer.to_commune)
    if sent is not None and received is not None:
        query = query.where(sent | received)
    if province and not actor.is_staff:
        query = query.where(
            (Transfer.from_commune._.province._.code == province) | (Transfer.to_commune._.province._.code == province)
        )
    rows = [
        r
        for r in await query.order_by(Transfer.id)
        if actor.sees_commune(r["from_commune"]) or actor.sees_commune(r["to_commune"])
    ]
    if not rows:
        return []
    counts = {
        c["transfer"]: c
        for c in await TransferItem.select(
            TransferItem.transfer,
            Count(TransferItem.id, alias="devices"),
            Count(TransferItem.received_at, alias="received"),
        )
        .where(TransferItem.transfer.is_in([r["id"] for r in rows]))
        .group_by(TransferItem.transfer)
    }
    return [
        Reminder(
            kind="transfer_waiting",
            kind_vi=REMINDER_NAMES["transfer_waiting"],
            commune_code=r["to_code"],
            commune_name=r["to_name"],
            transfer_id=r["id"],
            detail=(
                f"Quyết định {r['decision_number']} ngày {r['decision_date']:%d/%m/%Y} từ {r['from_name']}: "
                f"đã nhận {counts[r['id']]['received']}/{counts[r['id']]['devices']} thiết bị"
            ),
        )
        for r in rows
        if r["id"] in counts
    ]
