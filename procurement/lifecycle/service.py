"""Use cases of a device's life: warranty, repairs, hand-over to officials, disposal
files and the reminders page. Each checks the caller's role and commune, writes its
change and the device's history event in one transaction."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from models.lifecycle import DisposalFile, Handover, Repair, Warranty
from models.tables import Asset, AssetEvent
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now, today_vn
from procurement.core.errors import Conflict, DomainError, NotFound
from procurement.core.transactions import must_find, write_transaction
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
from procurement.register.schemas import Status

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


def _warranty_of(device: dict[str, Any], entered: dict[str, Any] | None, today: dt.date) -> WarrantyOut:
    if entered is not None:
        ends_on, supplier, source = entered["ends_on"], entered["supplier"], "entered"
    elif device["contract_supplier"] and device["acquired_on"]:
        ends_on = _add_months(device["acquired_on"], DEFAULT_WARRANTY_MONTHS)
        supplier, source = device["contract_supplier"], "delivery"
    else:
        ends_on, supplier, source = None, "", "none"
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
        if data.condition_after and data.condition_after != device["condition"]:
            await Asset.update({Asset.condition: data.condition_after.value, Asset.updated_at: now()}).where(
                Asset.id == asset_id
            )
            changes["condition"] = {"before": device["condition"], "after": data.condition_after.value}
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


# --- reminders --------------------------------------------------------------------------------

REMINDER_NAMES = {
    "warranty_ending": "Sắp hết bảo hành",
    "past_useful_life": "Quá thời gian sử dụng, vẫn đang dùng",
    "os_unsupported": "Hệ điều hành hết hỗ trợ",
    "no_antimalware": "Chưa cài phần mềm phòng chống mã độc",
    "disposal_waiting": "Hồ sơ thanh lý chờ quyết định",
    "stocktake_due": "Chưa kiểm kê trong năm",
}


async def reminders(
    actor: Actor, within_days: int = 30, province: str | None = None, today: dt.date | None = None
) -> list[Reminder]:
    """What needs attention in the caller's view: warranties ending soon, devices past their
    useful life still in use, computers without a supported OS or the anti-malware,
    disposal files awaiting a decision, communes not counted this year."""
    today = today or today_vn()
    where = [Asset.status != Status.disposed.value]
    if (scoped := actor.scope.where(Asset.commune)) is not None:
        where.append(scoped)
    if province and not actor.is_staff:
        where.append(Asset.commune._.province._.code == province)
    devices = await Asset.select(
        Asset.id,
        Asset.tag,
        Asset.status,
        Asset.acquired_on,
        Asset.acquired_effective,
        Asset.os_supported,
        Asset.antimalware_installed,
        Asset.last_audited_at,
        Asset.category._.code.as_alias("category"),
        Asset.category._.useful_life_years.as_alias("useful_life_years"),
        Asset.commune._.code.as_alias("commune_code"),
        Asset.commune._.name.as_alias("commune_name"),
        Asset.contract._.supplier._.name.as_alias("contract_supplier"),
    ).where(*where)
    entered = {r["asset"]: r for r in await Warranty.select()}
    found: list[Reminder] = []

    def add(kind: str, d: dict[str, Any], detail: str, due: dt.date | None = None) -> None:
        found.append(
            Reminder(
                kind=kind,
                kind_vi=REMINDER_NAMES[kind],
                commune_code=d["commune_code"],
                commune_name=d["commune_name"],
                asset_id=d["id"],
                tag=d["tag"],
                detail=detail,
                due_on=due,
            )
        )

    counted_this_year: dict[str, bool] = {}
    for d in devices:
        cover = _warranty_of({**d, "cost_vnd": None}, entered.get(d["id"]), today)
        if cover.ends_on and today <= cover.ends_on <= today + dt.timedelta(days=within_days):
            add("warranty_ending", d, f"Bảo hành đến {cover.ends_on:%d/%m/%Y} ({cover.supplier})", cover.ends_on)
        if d["acquired_effective"] and d["status"] == Status.in_use.value:
            used = years_in_use(d["acquired_effective"], today)
            if used >= d["useful_life_years"]:
                add("past_useful_life", d, f"Đã dùng {used:.1f} năm / {d['useful_life_years']} năm")
        if d["category"] in ("desktop", "laptop"):
            if d["os_supported"] is False:
                add("os_unsupported", d, "Hệ điều hành không còn được hỗ trợ")
            if d["antimalware_installed"] is False:
                add("no_antimalware", d, "Chưa cài phần mềm phòng chống mã độc tập trung")
        audited = d["last_audited_at"]
        counted = audited is not None and audited.year == today.year
        counted_this_year[d["commune_code"]] = counted_this_year.get(d["commune_code"], False) or counted
    names = {d["commune_code"]: d["commune_name"] for d in devices}
    for code, counted in sorted(counted_this_year.items()):
        if not counted:
            found.append(
                Reminder(
                    kind="stocktake_due",
                    kind_vi=REMINDER_NAMES["stocktake_due"],
                    commune_code=code,
                    commune_name=names[code],
                    detail=f"Chưa có thiết bị nào được kiểm kê năm {today.year}",
                    due_on=dt.date(today.year, 12, 31),
                )
            )
    waiting = DisposalFile.select(
        DisposalFile.id,
        DisposalFile.status,
        DisposalFile.asset._.id.as_alias("asset_id"),
        DisposalFile.asset._.tag.as_alias("tag"),
        DisposalFile.asset._.commune._.id.as_alias("commune_id"),
        DisposalFile.asset._.commune._.code.as_alias("commune_code"),
        DisposalFile.asset._.commune._.name.as_alias("commune_name"),
    ).where(DisposalFile.status.is_in(["requested", "approved"]))
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
    return found
