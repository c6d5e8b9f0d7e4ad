"""Shapes of what comes in and goes out of budgets, packages, contracts and payments.

Money is ``VND`` (whole dong, refused as a float or a string); amounts that must
be positive say so with ``PositiveVND``. Dates are plain ``date``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from procurement.core.errors import broken_rule
from procurement.finance.packages import PackageStatus, ProcurementMethod
from procurement.register.schemas import MAX_VND, VND, ClientEventId, LongText, Note, ShortText, _whole_dong

PositiveVND = Annotated[VND, Field(gt=0)]
SignedVND = Annotated[
    int, BeforeValidator(_whole_dong), Field(ge=-MAX_VND, le=MAX_VND, description="Whole dong, + up or - down")
]
Quantity = Annotated[int, Field(ge=1, le=100_000)]
Share = Annotated[float, Field(gt=0, le=1, description="Cumulative share of the line paid by due_on")]
CommuneCode = Annotated[str, Field(min_length=5, max_length=5, pattern=r"^\d{5}$")]
ProvinceCode = Annotated[str, Field(min_length=2, max_length=2, pattern=r"^\d{2}$")]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a finance list: the rows from ``offset``, at most ``limit`` of them,
    and ``total``, how many match in all. The next page starts at ``offset + limit``
    while that is below ``total``."""

    items: list[T]
    total: int = Field(description="Rows matching the filters, over every page")
    limit: int
    offset: int


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MilestoneIn(_Input):
    due_on: dt.date
    target_share: Share


class LineCreate(_Input):
    number: Annotated[ShortText, Field(min_length=1)] = Field(description="Plan or decision number, e.g. 65/KH-UBND")
    name: Annotated[LongText, Field(min_length=1)]
    issuing_body: LongText = ""
    decision_date: dt.date
    fiscal_year: Annotated[int, Field(ge=2000, le=2100)]
    amount_vnd: PositiveVND
    funding_source: LongText = ""
    deadline: dt.date | None = None
    parent_id: Id | None = Field(default=None, description="The line this one is carved out of")
    province_code: ProvinceCode | None = Field(default=None, description="Required for a top-level line")
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=24)
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class MilestoneOut(BaseModel):
    due_on: dt.date
    target_share: float


class LineOut(BaseModel):
    id: int
    parent_id: int | None
    province_code: str
    number: str
    name: str
    issuing_body: str
    decision_date: dt.date
    fiscal_year: int
    amount_vnd: int
    funding_source: str
    deadline: dt.date | None
    sub_lines_vnd: int
    allocated_vnd: int
    contracted_direct_vnd: int = Field(0, description="Contracts signed straight on the line (central purchasing)")
    paid_direct_vnd: int = Field(0, description="Payments straight on the line, without contract or allocation")
    remaining_vnd: int = Field(
        description="Amount minus everything charged to the line: sub-lines, allocations, contracts and "
        "payments straight on it"
    )
    milestones: list[MilestoneOut]


class AllocationCreate(_Input):
    commune_code: CommuneCode | None = Field(default=None, description="Null: the province's central purchasing")
    amount_vnd: PositiveVND
    note: Note = ""
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class SplitBasis(StrEnum):
    officials = "officials"
    devices_short = "devices_short"
    equal = "equal"
    weights = "weights"


# A commune's weight in a split by given weights (e.g. read from a sheet): any number >= 0.
Weight = Annotated[float, Field(ge=0, le=1_000_000_000, allow_inf_nan=False)]


class AllocationSplit(_Input):
    total_vnd: PositiveVND
    basis: SplitBasis = SplitBasis.officials
    commune_codes: list[CommuneCode] | None = Field(
        default=None, max_length=4000, description="Default: every commune of the line's province"
    )
    weights: dict[CommuneCode, Weight] | None = Field(
        default=None,
        validate_default=True,
        max_length=4000,
        description="With basis=weights (only then): commune code -> weight; the communes listed are those split over",
    )
    dry_run: bool = Field(default=False, description="Only compute the split, write nothing")
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )

    @field_validator("weights")
    @classmethod
    def _weights_with_their_basis(cls, weights: dict[str, float] | None, info: ValidationInfo) -> dict | None:
        basis = info.data.get("basis")
        if basis == SplitBasis.weights and not weights:
            raise broken_rule("Chia theo trọng số cần danh sách trọng số của từng xã.")
        if basis != SplitBasis.weights and weights is not None:
            raise broken_rule("Chỉ ghi trọng số khi chia theo trọng số (basis = weights).")
        return weights


class AllocationOut(BaseModel):
    id: int
    line_id: int
    commune_code: str | None
    commune_name: str | None
    amount_vnd: int
    contracted_vnd: int = 0
    paid_vnd: int = 0


class SplitOut(BaseModel):
    total_vnd: int
    basis: SplitBasis
    written: bool
    allocations: list[AllocationOut]


class ItemIn(_Input):
    category: Annotated[str, Field(min_length=1, max_length=20, description="Category code, e.g. desktop")]
    quantity: Quantity


class PackageCreate(_Input):
    line_id: Id
    allocation_id: Id | None = None
    name: Annotated[LongText, Field(min_length=1)]
    method: ProcurementMethod
    estimate_vnd: PositiveVND
    items: list[ItemIn] = Field(default_factory=list, max_length=50)
    note: Note = ""
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class PackageMove(_Input):
    status: PackageStatus
    note: Note = ""
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class StatusChangeOut(BaseModel):
    from_status: str | None
    to_status: str
    actor: str | None
    at: dt.datetime
    note: str


class ItemOut(BaseModel):
    category: str
    quantity: int


class PackageOut(BaseModel):
    id: int
    line_id: int
    allocation_id: int | None
    name: str
    method: ProcurementMethod
    method_vi: str
    estimate_vnd: int
    status: PackageStatus
    status_vi: str
    next_statuses: list[PackageStatus]
    items: list[ItemOut]
    history: list[StatusChangeOut]


class PackageSummary(BaseModel):
    """One row of the package list."""

    id: int
    line_id: int
    line_number: str
    name: str
    commune_name: str | None = Field(description="The allocation's commune; none for central purchasing")
    method_vi: str
    estimate_vnd: int
    status: PackageStatus
    status_vi: str


class SupplierIn(_Input):
    name: Annotated[LongText, Field(min_length=1)]
    tax_code: Annotated[str, Field(pattern=r"^\d{10}(-\d{3})?$", description="Mã số thuế: 10 digits, or 10-3")]


class ContractItemIn(ItemIn):
    unit_price_vnd: PositiveVND


class ContractCreate(_Input):
    allocation_id: Id | None = Field(default=None, description="The allocation paying for it")
    line_id: Id | None = Field(default=None, description="Central purchasing straight on a line (no allocation)")
    package_id: Id | None = None
    supplier: SupplierIn
    number: Annotated[ShortText, Field(min_length=1)]
    signed_on: dt.date
    items: list[ContractItemIn] = Field(min_length=1, max_length=50)
    value_vnd: PositiveVND | None = Field(default=None, description="If given, must equal the sum of the items")
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class ContractItemOut(BaseModel):
    category: str
    quantity: int = Field(description="Bought now: the signed quantity plus the amendments' changes")
    unit_price_vnd: int
    delivered: int


class SupplierOut(BaseModel):
    id: int
    name: str
    tax_code: str


class AmendmentItemIn(_Input):
    category: Annotated[str, Field(min_length=1, max_length=20, description="Category code, e.g. desktop")]
    quantity_change: Annotated[int, Field(ge=-100_000, le=100_000, description="Devices added (+) or dropped (-)")]
    unit_price_vnd: PositiveVND = Field(description="Unit price of the devices added or dropped")


class AmendmentCreate(_Input):
    """A contract amendment (phụ lục hợp đồng). The value changes by ``value_change_vnd``,
    or to ``new_value_vnd``, or (neither given) by the items' changes; when the value and
    the items are both given they must agree."""

    signed_on: dt.date
    reason: Annotated[LongText, Field(min_length=1)]
    new_value_vnd: PositiveVND | None = Field(default=None, description="The contract's value after the amendment")
    value_change_vnd: SignedVND | None = Field(default=None, description="Change of the value, + or -")
    items: list[AmendmentItemIn] = Field(default_factory=list, max_length=50)
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class AmendmentItemOut(BaseModel):
    category: str
    quantity_change: int
    unit_price_vnd: int


class AmendmentOut(BaseModel):
    id: int
    contract_id: int
    number: int = Field(description="1, 2, 3… per contract, in the order they were recorded")
    signed_on: dt.date
    reason: str
    value_before_vnd: int
    value_change_vnd: int
    value_after_vnd: int
    items: list[AmendmentItemOut]
    created_by: str | None
    created_at: dt.datetime


class ContractOut(BaseModel):
    id: int
    line_id: int
    allocation_id: int | None
    package_id: int | None
    commune_code: str | None
    supplier_name: str
    supplier_tax_code: str
    number: str
    signed_on: dt.date
    value_vnd: int = Field(description="Current value: the signed value plus every amendment")
    original_value_vnd: int = Field(description="Value as signed, before any amendment")
    paid_vnd: int
    items: list[ContractItemOut]
    amendments: list[AmendmentOut] = Field(default_factory=list)


class ContractSummary(BaseModel):
    """One row of the contract list: what finance staff look for before paying."""

    id: int
    line_id: int
    line_number: str
    number: str
    supplier_name: str
    commune_name: str | None = Field(description="The allocation's commune; none for central purchasing")
    signed_on: dt.date
    value_vnd: int
    paid_vnd: int
    unpaid_vnd: int


class DeliveredItem(ItemIn):
    serials: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=100_000)
    make: ShortText = ""
    model: ShortText = ""


class DeliveryCreate(_Input):
    delivered_on: dt.date
    accepted_on: dt.date
    commune_code: CommuneCode | None = Field(
        default=None, description="Where the devices go; default the allocation's commune"
    )
    items: list[DeliveredItem] = Field(min_length=1, max_length=50)
    note: Note = ""
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class DeliveryOut(BaseModel):
    id: int
    contract_id: int
    commune_code: str
    devices: int
    asset_tags: list[str]


class PaymentCreate(_Input):
    contract_id: Id | None = None
    allocation_id: Id | None = Field(default=None, description="Costs without a contract, on an allocation")
    line_id: Id | None = Field(default=None, description="Costs without a contract, straight on a line")
    amount_vnd: PositiveVND
    paid_on: dt.date
    voucher_number: Annotated[ShortText, Field(min_length=1, description="Treasury voucher number")]
    note: Note = ""
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class ReversalCreate(_Input):
    amount_vnd: PositiveVND | None = Field(default=None, description="How much to reverse; default the whole payment")
    paid_on: dt.date
    voucher_number: Annotated[ShortText, Field(min_length=1)]
    note: Note = ""
    client_event_id: ClientEventId | None = Field(
        default=None, description="The client's own id for this write (a UUID): a resend is answered again, stored once"
    )


class PaymentOut(BaseModel):
    id: int
    line_id: int
    allocation_id: int | None
    contract_id: int | None
    amount_vnd: int
    paid_on: dt.date
    voucher_number: str
    reverses_payment_id: int | None
    note: str
