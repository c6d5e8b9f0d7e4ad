"""The one rule for a device in transit: transferred to another commune under a decision
(``procurement.lifecycle.transfers``) and not yet confirmed by the receiving commune. Until
that confirmation neither commune answers for it, so nothing that changes where it is, who
holds it, what state it is in or its fate is written; the receiving commune confirms its
arrival first (or, for the sender, the transfer was the wrong one: the province decides
again).

Refused while in transit (each use case calls :func:`refuse_in_transit`): editing the device,
moving it (place or commune), reporting its condition, a stocktake's confirmation or "not
found", handing it to an official, recording a repair (a repair changes its condition and its
cost is booked to the commune that holds it: the receiver records it after the arrival),
a disposal request, carrying out a disposal, another transfer; and a spreadsheet import that
would change it (``importing``, its own row message).

Still taken while in transit, because they move nothing and decide nothing about the device:
a photo (evidence of its condition on the way or on arrival), its warranty entry and its
public-property classification or valuation (paper facts of its contract and its books),
handing it back from an official (closes a holding before the device leaves), and the
province's approval of a disposal file opened before the transfer (carrying it out waits)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labels.tags import display_tag
from models.lifecycle import TransferItem
from procurement.core.errors import Conflict
from procurement.register.schemas import Status


async def open_transfer(asset_id: int) -> dict[str, Any] | None:
    """The transfer the device is on its way under (not yet received), with its decision."""
    return (
        await TransferItem.select(
            TransferItem.transfer._.id.as_alias("id"),
            TransferItem.transfer._.decision_number.as_alias("decision_number"),
            TransferItem.transfer._.decision_date.as_alias("decision_date"),
            TransferItem.transfer._.from_commune._.name.as_alias("from_name"),
            TransferItem.transfer._.to_commune._.name.as_alias("to_name"),
        )
        .where(TransferItem.asset == asset_id, TransferItem.received_at.is_null())
        .order_by(TransferItem.id, ascending=False)
        .first()
    )


async def refuse_in_transit(device: Mapping[str, Any], doing: str) -> None:
    """Raise a 409 (``in_transit``) naming the transfer when ``device`` (its ``id``, ``status``
    and, if known, ``tag``) is in transit; ``doing``: what was asked, in Vietnamese
    ("chuyển vị trí"). Return quietly otherwise."""
    if device["status"] != Status.in_transit:
        return
    transfer = await open_transfer(device["id"])
    name = f"Thiết bị {display_tag(device['tag'])}" if device.get("tag") else "Thiết bị"
    if transfer is None:  # the status says so, the transfer is not found: still refused
        where = "đang điều chuyển"
    else:
        where = (
            f"đang điều chuyển theo quyết định số {transfer['decision_number']} ngày "
            f"{transfer['decision_date']:%d/%m/%Y} từ {transfer['from_name']} sang {transfer['to_name']} "
            f"(điều chuyển số {transfer['id']}, /transfers/{transfer['id']})"
        )
    raise Conflict(
        f"{name} {where}, xã nhận chưa xác nhận đã đến: chưa thể {doing}. "
        "Xã nhận quét nhãn xác nhận thiết bị đến trước.",
        # No field: nothing typed is wrong, the device is; a page shows it as the form's message.
        code="in_transit",
    )
