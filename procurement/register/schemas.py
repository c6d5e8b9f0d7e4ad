"""Shapes of what comes in and goes out of the register, shared by API, CLI and import.

Validation that belongs to the data itself (ranges, dates not in the future,
whole-dong money) lives here so every door into the register applies it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from labels.tags import TagError, parse_tag
from procurement.core import vocabulary
from procurement.core.clock import today_vn
from procurement.core.errors import broken_rule
from procurement.core.idempotency import ClientEventId  # noqa: F401  (one definition, used by the schemas here)
from procurement.core.text import nfc

MAX_VND = 10**15  # far above any budget line


def _whole_dong(value: Any) -> Any:
    # Checked before pydantic's lax coercion (which Litestar asks for) turns "1000" or 1.0 into 1000.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Số tiền phải là số nguyên đồng (VND), không có phần thập phân, không phải chuỗi.")
    return value


VND = Annotated[int, BeforeValidator(_whole_dong), Field(ge=0, le=MAX_VND, description="Whole Vietnamese dong")]


# Text is stored in NFC; each kind has its length limit (written out so type checkers see types).
ShortText = Annotated[str, AfterValidator(nfc), Field(max_length=100)]
LongText = Annotated[str, AfterValidator(nfc), Field(max_length=200)]
Note = Annotated[str, AfterValidator(nfc), Field(max_length=2000)]


class Status(StrEnum):
    in_use = "in_use"
    in_storage = "in_storage"
    in_repair = "in_repair"
    in_transit = "in_transit"  # transferred to another commune, not yet confirmed there
    awaiting_disposal = "awaiting_disposal"
    disposed = "disposed"


class Condition(StrEnum):
    good = "good"
    fair = "fair"
    poor = "poor"
    broken = "broken"


class Acquisition(StrEnum):
    purchased = "purchased"
    reused = "reused"
    donated = "donated"


class Location(StrEnum):
    office = "office"
    service_point = "service_point"


class Role(StrEnum):
    admin = "admin"
    finance = "finance"
    planner = "planner"
    staff = "staff"
    accountant = "accountant"  # commune accountant: one commune, reads and papers only
    national = "national"  # the ministry: every province, read only


# Roles scoped to one commune.
COMMUNE_ROLES = (Role.staff, Role.accountant)


# The Vietnamese names come from the one vocabulary (procurement.core.vocabulary).
STATUS_VI = vocabulary.names("status")
CONDITION_VI = vocabulary.names("condition")
ACQUISITION_VI = vocabulary.names("acquisition")
LOCATION_VI = vocabulary.names("location")
ROLE_VI = vocabulary.names("role")
# What a device's history says happened, and the names of the fields it shows.
# What a stocktake round stored for one action.
STOCKTAKE_RESULT_VI = {
    "confirmed": "xác nhận trong đợt kiểm kê",
    "not_found": "báo không thấy trong đợt kiểm kê",
    "moved": "ghi nơi đặt mới trong đợt kiểm kê",
    "elsewhere": "ghi nhận thiết bị của đơn vị khác trong đợt kiểm kê",
    "unregistered": "ghi nhận thiết bị chưa đăng ký trong đợt kiểm kê",
}
# The Vietnamese names of history events and of fields come from the one vocabulary too.
EVENT_KIND_VI = vocabulary.names("event_kind")
FIELD_VI = vocabulary.names("field")

ACTIVE_STATUSES = (Status.in_use, Status.in_storage, Status.in_repair)


def _tag(value: str) -> str:
    try:
        return parse_tag(value)
    except TagError as error:
        raise ValueError(error.message) from None


# "asset-tag": 7 symbols of labels.tags.ALPHABET, the last a check symbol (a weighted sum mod 31),
# case, spaces and dashes ignored. The format is named in the API document: no pattern can state
# the check symbol, so a client (and the API's fuzzer) must know what the name means.
Tag = Annotated[str, Field(max_length=20, json_schema_extra={"format": "asset-tag"}), AfterValidator(_tag)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Acquired(_Input):
    acquired_on: dt.date | None = Field(default=None, description="Exact date, when known")
    acquired_year: int | None = Field(default=None, ge=1980, le=2100, description="Year only, for reused machines")

    @field_validator("acquired_on")
    @classmethod
    def _not_in_future(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value > today_vn():
            raise broken_rule("Ngày mua không được ở tương lai.")
        if value is not None and value.year < 1980:
            raise broken_rule("Ngày mua quá xa (trước 1980).")
        return value

    @field_validator("acquired_year")
    @classmethod
    def _year_not_in_future(cls, value: int | None) -> int | None:
        if value is not None and value > today_vn().year:
            raise broken_rule("Năm mua không được ở tương lai.")
        return value

    @model_validator(mode="after")
    def _date_and_year_agree(self):
        if self.acquired_on and self.acquired_year and self.acquired_on.year != self.acquired_year:
            raise broken_rule("acquired_year: Năm mua khác với năm của ngày mua.")
        return self


class AssetCreate(_Acquired):
    tag: Tag | None = Field(default=None, description="Pre-printed tag; generated when absent")
    category: str = Field(min_length=1, max_length=20, description="Category code, e.g. desktop")
    commune_code: str = Field(min_length=1, max_length=5, description="Official commune code")
    make: ShortText = ""
    model: ShortText = ""
    serial: ShortText | None = None
    location: Location = Location.office
    location_detail: LongText = ""
    assigned_to: LongText = ""
    cost_vnd: VND | None = None
    acquisition: Acquisition = Acquisition.purchased
    status: Status = Status.in_use
    condition: Condition = Condition.good
    antimalware_installed: bool | None = None
    os_name: ShortText = ""
    os_supported: bool | None = None
    notes: Note = ""
    client_event_id: ClientEventId | None = None

    @field_validator("status")
    @classmethod
    def _not_disposed(cls, value: Status) -> Status:
        if value in (Status.disposed, Status.awaiting_disposal):
            raise broken_rule("Thiết bị mới đăng ký không thể ở trạng thái thanh lý.")
        if value == Status.in_transit:
            # Only a transfer decision puts a device in transit (and its receipt takes it out).
            raise broken_rule("Thiết bị mới đăng ký không thể ở trạng thái đang điều chuyển.")
        return value


class AssetUpdate(_Acquired):
    category: str | None = Field(default=None, min_length=1, max_length=20)
    make: ShortText | None = None
    model: ShortText | None = None
    serial: ShortText | None = None
    assigned_to: LongText | None = None
    cost_vnd: VND | None = None
    acquisition: Acquisition | None = None
    status: Status | None = None
    antimalware_installed: bool | None = None
    os_name: ShortText | None = None
    os_supported: bool | None = None
    notes: Note | None = None
    client_event_id: ClientEventId | None = None

    @field_validator("status")
    @classmethod
    def _active_only(cls, value: Status | None) -> Status | None:
        if value is not None and value not in ACTIVE_STATUSES:
            raise broken_rule("Dùng thao tác thanh lý để chuyển sang trạng thái thanh lý.")
        return value


class AssetMove(_Input):
    commune_code: str | None = Field(default=None, min_length=1, max_length=5)
    location: Location | None = None
    location_detail: LongText | None = None
    assigned_to: LongText | None = None
    note: Note = ""
    client_event_id: ClientEventId | None = None


class ConditionReport(_Input):
    condition: Condition
    note: Note = ""
    client_event_id: ClientEventId | None = None


class StocktakeConfirm(_Input):
    condition: Condition | None = None
    note: Note = ""
    client_event_id: ClientEventId | None = None


class NotFoundReport(_Input):
    note: Note = ""
    client_event_id: ClientEventId | None = None


class FieldDevice(BaseModel):
    """A device as a phone keeps it for the scan page with no signal."""

    id: int
    tag: str
    tag_display: str
    category_name: str
    make: str
    model: str
    location: str
    location_detail: str
    assigned_to: str
    condition: str
    status: str
    last_audited_at: dt.datetime | None


class AssetOut(BaseModel):
    id: int
    tag: str
    tag_display: str
    category: str
    category_name: str
    commune_code: str
    commune_name: str
    province_code: str
    make: str
    model: str
    serial: str | None
    location: Location
    location_detail: str
    assigned_to: str
    acquired_on: dt.date | None
    acquired_year: int | None
    age_years: float | None
    book_value_vnd: int | None = Field(
        description="Remaining value of a fixed asset: cost less the yearly wear of the public-property rules"
        " (None for a tool or an unvalued device)"
    )
    cost_vnd: int | None
    acquisition: Acquisition
    status: Status
    condition: Condition
    last_audited_at: dt.datetime | None
    antimalware_installed: bool | None
    os_name: str
    os_supported: bool | None
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AssetPage(BaseModel):
    items: list[AssetOut]
    total: int
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page")


class EventOut(BaseModel):
    id: int
    asset_id: int
    kind: str
    actor: str | None
    at: dt.datetime
    changes: dict
    note: str
    client_event_id: str | None


class AssetFilter(BaseModel):
    province: str | None = None
    commune: str | None = None
    category: str | None = None
    status: Status | None = None
    condition: Condition | None = None
    min_age_years: int | None = Field(default=None, ge=0, le=100)
    max_age_years: int | None = Field(default=None, ge=0, le=100)
    q: str | None = Field(default=None, max_length=100)
