"""Transfers (điều chuyển) of devices between communes under a decision: the devices are
in transit until the receiving commune confirms each one (on the phone, by scanning its
label); then they belong to the receiver. Each device's history shows both sides.

Law 15/2017/QH14 and its decree require a transfer decision and hand-over minutes
signed by both sides (Decree 151/2017/NĐ-CP form 01/TSC-BBGN, replaced by Decree
186/2025/NĐ-CP: the form code is the setting ``TRANSFER_MINUTES_FORM``)."""

from __future__ import annotations

import json
from typing import Any

from piccolo.query.functions.aggregate import Count

from labels.tags import TagError, display_tag, parse_tag
from models.lifecycle import Transfer, TransferItem
from models.tables import Asset, AssetEvent, Commune
from procurement.core.actor import Actor
from procurement.core.clock import now, today_vn
from procurement.core.errors import Conflict, DomainError, Forbidden, NotFound
from procurement.core.transactions import write_transaction
from procurement.lifecycle.schemas import ReceiveIn, ReceiveOut, TransferIn, TransferItemOut, TransferOut
from procurement.register.schemas import Status
from procurement.register.transit import refuse_in_transit

DECIDERS = ("admin", "finance")
_BATCH = 500


async def _commune(code: str, field: str) -> dict[str, Any]:
    row = await Commune.select(Commune.id, Commune.code, Commune.name).where(Commune.code == code).first()
    if row is None:
        raise DomainError(f"Không có xã mã {code}.", field=field)
    return row


async def asset_ids_for_tags(from_commune: str, tags: list[str]) -> list[int]:
    """The devices of the sending commune named by their tags (typed or scanned, any spelling
    ``parse_tag`` reads), in the order given; a wrong tag, or one of another commune, is
    refused naming it (field ``tags``)."""
    if not tags:
        raise DomainError("Nhập mã các thiết bị điều chuyển, hoặc chọn điều chuyển toàn bộ.", field="tags")
    wanted: list[str] = []
    for typed in tags:
        try:
            wanted.append(parse_tag(typed))
        except TagError as error:
            raise DomainError(f"{typed}: {error}", field="tags") from None
    wanted = list(dict.fromkeys(wanted))
    sender = await _commune(from_commune, "from_commune")
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _BATCH):
        rows = await Asset.select(Asset.id, Asset.tag).where(
            Asset.tag.is_in(wanted[start : start + _BATCH]), Asset.commune == sender["id"]
        )
        found.update({r["tag"]: r["id"] for r in rows})
    missing = [display_tag(t) for t in wanted if t not in found]
    if missing:
        raise DomainError(f"Không có ở {sender['name']}: {', '.join(missing[:20])}.", field="tags")
    return [found[t] for t in wanted]


async def create_transfer(actor: Actor, data: TransferIn) -> TransferOut:
    """Send devices of one commune to another: all of them leave together or none does."""
    actor.require(*DECIDERS)
    if data.decision_date > today_vn():
        raise DomainError("Ngày quyết định không được ở tương lai.", field="decision_date")
    sender = await _commune(data.from_commune, "from_commune")
    receiver = await _commune(data.to_commune, "to_commune")
    if not actor.sees_commune(sender["id"]):
        raise DomainError(f"Không có xã mã {data.from_commune} trong phạm vi của bạn.", field="from_commune")
    if not actor.sees_commune(receiver["id"]):
        # Between provinces: only the national admin, who sees both.
        raise Forbidden("Điều chuyển sang tỉnh/thành khác chỉ do quản trị toàn quốc quyết định.", field="to_commune")
    at = now()
    async with write_transaction():
        query = Asset.select(Asset.id, Asset.status, Asset.commune).where(
            Asset.commune == sender["id"], Asset.status.not_in([Status.disposed.value, Status.in_transit.value])
        )
        if not data.all_devices:
            wanted = list(dict.fromkeys(data.asset_ids or []))
            rows = []
            for start in range(0, len(wanted), _BATCH):
                rows += await Asset.select(Asset.id, Asset.tag, Asset.status, Asset.commune).where(
                    Asset.id.is_in(wanted[start : start + _BATCH])
                )
            found = {r["id"]: r for r in rows}
            wrong = [i for i in wanted if i not in found or found[i]["commune"] != sender["id"]]
            if wrong:
                raise DomainError(
                    f"Thiết bị không thuộc xã giao: {', '.join(map(str, wrong[:20]))}.", field="asset_ids"
                )
            disposed = [i for i in wanted if found[i]["status"] == Status.disposed.value]
            if disposed:
                raise Conflict(
                    f"Thiết bị đã thanh lý: {', '.join(map(str, disposed[:20]))}.",
                    field="asset_ids",
                    code="not_transferable",
                )
            for i in wanted:  # the first one on its way names its transfer
                await refuse_in_transit(found[i], "đưa vào quyết định điều chuyển khác")
            devices = [found[i] for i in wanted]
        else:
            devices = await query
            if not devices:
                raise DomainError("Xã giao không có thiết bị nào để điều chuyển.", field="from_commune")
        transfer = Transfer(
            decision_number=data.decision_number,
            decision_date=data.decision_date,
            from_commune=sender["id"],
            to_commune=receiver["id"],
            status="in_transit",
            note=data.note,
            created_by=actor.user_id,
            created_at=at,
        )
        await transfer.save()
        note = f"Điều chuyển sang {receiver['name']} theo quyết định {data.decision_number}"
        for start in range(0, len(devices), _BATCH):
            chunk = devices[start : start + _BATCH]
            await TransferItem.insert(
                *[TransferItem(transfer=transfer.id, asset=d["id"], status_before=d["status"]) for d in chunk]
            )
            ids = [d["id"] for d in chunk]
            await Asset.update({Asset.status: Status.in_transit.value, Asset.updated_at: at}).where(Asset.id.is_in(ids))
            await AssetEvent.insert(
                *[
                    AssetEvent(
                        asset=d["id"],
                        kind="transfer_sent",
                        actor=actor.user_id,
                        at=at,
                        changes=json.dumps(
                            {"status": {"before": d["status"], "after": Status.in_transit.value}}, ensure_ascii=False
                        ),
                        note=note,
                    )
                    for d in chunk
                ]
            )
    return await transfer_view(actor, transfer.id)


async def _transfer_row(actor: Actor, transfer_id: int) -> dict[str, Any]:
    row = (
        await Transfer.select(
            *Transfer.all_columns(),
            Transfer.from_commune._.code.as_alias("from_code"),
            Transfer.from_commune._.name.as_alias("from_name"),
            Transfer.to_commune._.code.as_alias("to_code"),
            Transfer.to_commune._.name.as_alias("to_name"),
        )
        .where(Transfer.id == transfer_id)
        .first()
    )
    # Staff of either commune see the transfer; everyone else's answer is a missing one.
    if row is None or not (actor.sees_commune(row["from_commune"]) or actor.sees_commune(row["to_commune"])):
        raise NotFound("Không tìm thấy quyết định điều chuyển.")
    return row


async def transfer_view(actor: Actor, transfer_id: int) -> TransferOut:
    row = await _transfer_row(actor, transfer_id)
    items = (
        await TransferItem.select(
            TransferItem.received_at,
            TransferItem.asset._.id.as_alias("asset_id"),
            TransferItem.asset._.tag.as_alias("tag"),
            TransferItem.asset._.category._.code.as_alias("category"),
            TransferItem.asset._.make.as_alias("make"),
            TransferItem.asset._.model.as_alias("model"),
            TransferItem.asset._.serial.as_alias("serial"),
        )
        .where(TransferItem.transfer == transfer_id)
        .order_by(TransferItem.id)
    )
    out = [
        TransferItemOut(
            asset_id=i["asset_id"],
            tag=i["tag"],
            category=i["category"],
            make=i["make"],
            model=i["model"],
            serial=i["serial"],
            received=i["received_at"] is not None,
        )
        for i in items
    ]
    return TransferOut(
        id=row["id"],
        decision_number=row["decision_number"],
        decision_date=row["decision_date"],
        from_commune=row["from_code"],
        from_commune_name=row["from_name"],
        to_commune=row["to_code"],
        to_commune_name=row["to_name"],
        status=row["status"],
        devices=len(out),
        received=sum(1 for i in out if i.received),
        items=out,
    )


async def receive(actor: Actor, transfer_id: int, data: ReceiveIn) -> ReceiveOut:
    """The receiving commune confirms one device that arrived (scanned): it now belongs there.

    Answers the device and the transfer's counts only: a phone scans one device after
    another, and each answer must stay small and quick whatever the transfer's size
    (every query here goes by an index: the tag, the transfer's items of one device)."""
    actor.require("admin", "staff")
    await _transfer_row(actor, transfer_id)  # another's transfer: 404 before anything else
    try:
        tag = parse_tag(data.tag)
    except TagError as error:
        raise DomainError(str(error), field="tag") from None
    async with write_transaction():
        row = await _transfer_row(actor, transfer_id)
        if actor.is_staff and actor.commune_id != row["to_commune"]:
            raise DomainError("Chỉ xã nhận xác nhận thiết bị đến.", field="tag", code="not_receiver")
        device = (
            await Asset.select(
                Asset.id,
                Asset.tag,
                Asset.make,
                Asset.model,
                Asset.serial,
                Asset.category._.code.as_alias("category"),
            )
            .where(Asset.tag == tag)
            .first()
        )
        item = None
        if device is not None:
            item = (
                await TransferItem.select(TransferItem.id, TransferItem.status_before, TransferItem.received_at)
                .where(TransferItem.transfer == transfer_id, TransferItem.asset == device["id"])
                .first()
            )
        if device is None or item is None:
            raise DomainError(
                "Thiết bị này không có trong quyết định điều chuyển.", field="tag", code="not_in_transfer"
            )
        already = item["received_at"] is not None  # scanned twice: counted once
        at = now()
        if not already:
            arrived = Status.in_use.value if item["status_before"] == Status.in_transit.value else item["status_before"]
            await TransferItem.update({TransferItem.received_at: at, TransferItem.received_by: actor.user_id}).where(
                TransferItem.id == item["id"]
            )
            await Asset.update({Asset.commune: row["to_commune"], Asset.status: arrived, Asset.updated_at: at}).where(
                Asset.id == device["id"]
            )
            await AssetEvent.insert(
                AssetEvent(
                    asset=device["id"],
                    kind="transfer_received",
                    actor=actor.user_id,
                    at=at,
                    changes=json.dumps(
                        {
                            "commune_code": {"before": row["from_code"], "after": row["to_code"]},
                            "status": {"before": Status.in_transit.value, "after": arrived},
                        },
                        ensure_ascii=False,
                    ),
                    note=f"Nhận từ {row['from_name']} theo quyết định {row['decision_number']}",
                )
            )
        counts = await TransferItem.select(
            Count(TransferItem.id, alias="devices"), Count(TransferItem.received_at, alias="received")
        ).where(TransferItem.transfer == transfer_id)
        devices, received = counts[0]["devices"], counts[0]["received"]
        status = row["status"]
        if received == devices and status != "received":
            status = "received"
            await Transfer.update({Transfer.status: status, Transfer.received_at: at}).where(Transfer.id == transfer_id)
    return ReceiveOut(
        transfer_id=transfer_id,
        status=status,
        devices=devices,
        received=received,
        item=TransferItemOut(
            asset_id=device["id"],
            tag=device["tag"],
            category=device["category"],
            make=device["make"],
            model=device["model"],
            serial=device["serial"],
            received=True,
        ),
        already_received=already,
    )


async def open_transfer_of(actor: Actor, asset_id: int) -> int | None:
    """The transfer a device is on its way under (not yet received), if the caller sees it."""
    row = (
        await TransferItem.select(TransferItem.transfer)
        .where(TransferItem.asset == asset_id, TransferItem.received_at.is_null())
        .order_by(TransferItem.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    try:
        await _transfer_row(actor, row["transfer"])
    except NotFound:
        return None
    return row["transfer"]


async def incoming_transfer_for_tag(actor: Actor, tag: str) -> int | None:
    """The transfer bringing the device with this tag to the caller's commune, not yet received
    (a label scanned by the receiving commune's staff leads to the page that confirms it)."""
    if not actor.is_staff or actor.commune_id is None:
        return None
    row = (
        await TransferItem.select(TransferItem.transfer)
        .where(
            TransferItem.asset._.tag == tag,
            TransferItem.received_at.is_null(),
            TransferItem.transfer._.to_commune == actor.commune_id,
        )
        .first()
    )
    return row["transfer"] if row else None


async def transfers(actor: Actor, commune_code: str | None = None) -> list[TransferOut]:
    query = Transfer.select(Transfer.id).order_by(Transfer.id, ascending=False)
    sent, received = actor.scope.where(Transfer.from_commune), actor.scope.where(Transfer.to_commune)
    if sent is not None and received is not None:
        query = query.where(sent | received)
    if commune_code and not actor.is_staff:
        query = query.where(
            (Transfer.from_commune._.code == commune_code) | (Transfer.to_commune._.code == commune_code)
        )
    return [await transfer_view(actor, r["id"]) for r in await query.limit(200)]
