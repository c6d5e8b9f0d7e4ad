"""What the lifecycle API takes and answers."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
            raise ValueError("finished_on: Ngày sửa xong không được trước ngày bắt đầu.")
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
    detail: str
    due_on: dt.date | None = None
