"""What the lifecycle API takes and answers."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from procurement.core.errors import broken_rule
from procurement.lifecycle.rules import Ground, Method
from procurement.register.schemas import VND, Condition, LongText, Note, ShortText


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarrantyIn(_In):
    ends_on: dt.date
    supplier: LongText = ""


class WarrantyOut(BaseModel):
    asset_id: int
    ends_on: dt.date | None
    supplier: str
    source: str
    under_warranty: bool


class RepairIn(_In):
    started_on: dt.date
    finished_on: dt.date | None = None
    supplier: LongText = ""
    cost_vnd: VND = 0
    work_done: Note = ""
    condition_after: Condition | None = None

    @model_validator(mode="after")
    def _order(self) -> RepairIn:
        if self.finished_on is not None and self.finished_on < self.started_on:
            raise broken_rule("finished_on: Ngày sửa xong không được trước ngày bắt đầu.")
        return self


class RepairOut(BaseModel):
    id: int
    asset_id: int
    started_on: dt.date
    finished_on: dt.date | None
    supplier: str
    cost_vnd: int
    work_done: str
    condition_after: str | None
    under_warranty: bool
    warranty_supplier: str | None = Field(None, description="Set when the device was under warranty: ask them first")


class RepairSummary(BaseModel):
    asset_id: int
    repairs: list[RepairOut]
    total_cost_vnd: int
    original_cost_vnd: int | None
    share_of_original_cost: float | None


class HandoverIn(_In):
    holder_name: ShortText = Field(min_length=2)
    holder_position: ShortText = ""
    handed_on: dt.date
    acknowledged: bool = False


class HandBackIn(_In):
    returned_on: dt.date


class HandoverOut(BaseModel):
    id: int
    asset_id: int
    tag: str
    commune_code: str
    holder_name: str
    holder_position: str
    handed_on: dt.date
    acknowledged: bool
    returned_on: dt.date | None


class DisposalRequestIn(_In):
    ground: Ground
    repair_estimate_vnd: VND | None = None
    reason: Note = ""


class DisposalApprovalIn(_In):
    decision_number: ShortText = Field(min_length=2)
    decision_date: dt.date


class DisposalExecutionIn(_In):
    method: Method
    carried_out_on: dt.date
    proceeds_vnd: VND = 0


class DisposalOut(BaseModel):
    id: int
    asset_id: int
    tag: str
    status: str
    ground: str
    age_years: str
    useful_life_years: int | None
    original_cost_vnd: int | None
    repair_estimate_vnd: int | None
    reason: str
    decision_number: str
    decision_date: dt.date | None
    method: str
    proceeds_vnd: int | None
    carried_out_on: dt.date | None


class Reminder(BaseModel):
    kind: str
    kind_vi: str
    commune_code: str
    commune_name: str
    asset_id: int | None = None
    tag: str | None = None
    transfer_id: int | None = Field(None, description="The transfer awaiting confirmation (transfer_waiting)")
    detail: str
    due_on: dt.date | None = None


class TransferIn(_In):
    decision_number: ShortText = Field(min_length=2)
    decision_date: dt.date
    from_commune: str = Field(min_length=5, max_length=5, description="Commune code the devices leave")
    to_commune: str = Field(min_length=5, max_length=5, description="Commune code that receives them")
    asset_ids: list[int] | None = Field(None, max_length=20_000, description="The devices; omit with all_devices")
    all_devices: bool = Field(False, description="Every device of the sending commune (a merged commune's inventory)")
    note: Note = ""

    @model_validator(mode="after")
    def _what(self) -> TransferIn:
        if self.from_commune == self.to_commune:
            raise broken_rule("to_commune: Xã nhận phải khác xã giao.")
        if not self.all_devices and not self.asset_ids:
            raise broken_rule("asset_ids: Chọn thiết bị điều chuyển, hoặc điều chuyển toàn bộ (all_devices).")
        if self.all_devices and self.asset_ids:
            raise broken_rule("asset_ids: Hoặc chọn thiết bị, hoặc điều chuyển toàn bộ, không cả hai.")
        return self


class ReceiveIn(_In):
    tag: str = Field(min_length=4, max_length=12, description="The tag scanned on the device that arrived")


class TransferItemOut(BaseModel):
    asset_id: int
    tag: str
    category: str
    make: str
    model: str
    serial: str | None
    received: bool


class TransferOut(BaseModel):
    id: int
    decision_number: str
    decision_date: dt.date
    from_commune: str
    from_commune_name: str
    to_commune: str
    to_commune_name: str
    status: str
    devices: int
    received: int
    items: list[TransferItemOut]


class ReceiveOut(BaseModel):
    """The answer to one scan on arrival: the device and the transfer's counts, not its
    whole list (a phone scans device after device; a 500-device list each time is waste)."""

    transfer_id: int
    status: str
    devices: int
    received: int
    item: TransferItemOut
    already_received: bool = Field(description="The device had been confirmed before: counted once")
