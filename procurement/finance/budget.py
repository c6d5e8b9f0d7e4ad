"""Use cases of budgets, procurement and disbursement.

Each write runs in ONE transaction: it locks the parent row whose ceiling it
checks (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` has
already made this the only writer), reads the current totals under that lock,
calls the pure rules of :mod:`procurement.finance.rules`, then writes. Two requests
racing for the last dong of a contract are therefore served one after the
other, and the second one sees the first one's payment.

The rules raise :class:`procurement.finance.rules.LimitExceeded` (the API answers 409,
with the limit and the amount over) or :class:`procurement.finance.rules.RuleViolation`
(422, naming the field).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum
from piccolo.table import Table

from models.procurement import (
    Allocation,
    BudgetLine,
    Contract,
    ContractAmendment,
    ContractItem,
    Delivery,
    Milestone,
    PackageItem,
    PackageStatusChange,
    Payment,
    ProcurementPackage,
    Supplier,
)
from models.tables import Asset, AssetEvent, Category, Commune, Province
from procurement.core.actor import Actor
from procurement.core.clock import now, today_vn
from procurement.core.errors import Conflict, DomainError, Forbidden, NotFound
from procurement.core.money import format_vnd, split_by_weights
from procurement.core.replay import once
from procurement.core.text import has_words, like_pattern, search_key
from procurement.core.transactions import insert_many, is_sqlite, must_find, reserve_ids, write_transaction
from procurement.finance import rules
from procurement.finance.packages import (
    InvalidTransition,
    PackageStatus,
    ProcurementMethod,
    check_transition,
    next_statuses,
)
from procurement.finance.schemas import (
    AllocationCreate,
    AllocationOut,
    AllocationSplit,
    AmendmentItemIn,
    AmendmentItemOut,
    AmendmentOut,
    ContractCreate,
    ContractItemOut,
    ContractOut,
    ContractSummary,
    DeliveryCreate,
    DeliveryOut,
    ItemIn,
    ItemOut,
    LineCreate,
    LineOut,
    MilestoneIn,
    MilestoneOut,
    PackageCreate,
    PackageMove,
    PackageOut,
    PackageSummary,
    PaymentCreate,
    PaymentOut,
    ReversalCreate,
    SplitBasis,
    SplitOut,
    StatusChangeOut,
)
from procurement.register.new_device import device_row, draw_free_tags

FINANCE_WRITERS = ("admin", "finance")
FINANCE_READERS = ("admin", "finance", "planner", "national")
# Categories whose working machines count when a commune's shortage is weighed.
_COMPUTERS = ("desktop", "laptop")


def _user(actor: Actor) -> int | None:
    return actor.user_id or None


# --- reading under a lock -----------------------------------------------------------


# --- province scope: every finance object belongs to its budget line's province ---------


async def check_line(actor: Actor, line_id: int, field: str = "line_id", what: str = "dòng ngân sách") -> None:
    """Another province's line (or anything on it) answers exactly like a missing one.
    Every use case reaching a line by id passes here (or through ``_locked`` with the actor)."""
    if actor.is_national:
        return
    row = await BudgetLine.select(BudgetLine.province).where(BudgetLine.id == line_id).first()
    if row is None or not actor.sees_province(row["province"]):
        raise NotFound(f"Không tìm thấy {what}.", field=field)


def in_scope(actor: Actor, line_column: Any) -> list:
    """WHERE conditions keeping the rows whose line (``line_column``, a foreign key to
    ``BudgetLine``, or ``BudgetLine.province`` itself) is in the actor's province."""
    if actor.is_national:
        return []
    if actor.is_staff:  # no province-wide object
        return [BudgetLine.id == 0] if line_column is BudgetLine.province else [line_column == 0]
    province = line_column if line_column is BudgetLine.province else line_column._.province
    return [actor.scope.where_province(province)]


async def _locked(
    table: type[Table], row_id: int | None, what: str, field: str, actor: Actor | None = None
) -> dict[str, Any]:
    """The row, locked until the transaction ends (PostgreSQL); SQLite's
    BEGIN IMMEDIATE already excludes every other writer. With ``actor``: a row of a
    line of another province answers like a missing one."""
    if row_id is None:
        raise DomainError(f"Chưa chọn {what}.", field=field, code="required")
    query = table.select().where(table._meta.primary_key == row_id)
    if not is_sqlite():
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise NotFound(f"Không tìm thấy {what} số {row_id}.", field=field)
    if actor is not None:
        await check_line(actor, row["id"] if table is BudgetLine else row["line"], field, f"{what} số {row_id}")
    return row


def paid_as_of_clause(day: dt.date):
    """*Paid as of a day*, in SQL: payment rows (reversals included) dated on or
    before ``day`` — the same filter as :func:`procurement.finance.disbursement.paid_as_of`.
    Views (contract, contract list, allocations) show what is paid as of Vietnam's
    today; the ceilings count every row."""
    return Payment.paid_on <= day


async def _sum(column, *where) -> int:
    row = await column._meta.table.select(Sum(column).as_alias("total")).where(*where).first()
    # PostgreSQL sums a bigint into numeric (Decimal): back to whole dong.
    return int(row["total"] or 0) if row else 0


async def _line_charges(line_id: int) -> rules.LineCharges:
    """Everything charged to a line: sub-lines, allocations, contracts signed
    straight on it, payments straight on it without contract or allocation."""
    return rules.LineCharges(
        sub_lines_vnd=await _sum(BudgetLine.amount_vnd, BudgetLine.parent == line_id),
        allocated_vnd=await _sum(Allocation.amount_vnd, Allocation.line == line_id),
        contracted_vnd=await _sum(Contract.value_vnd, Contract.line == line_id, Contract.allocation.is_null()),
        paid_direct_vnd=await _sum(
            Payment.amount_vnd,
            Payment.line == line_id,
            Payment.allocation.is_null(),
            Payment.contract.is_null(),
        ),
    )


async def _allocation_used(allocation_id: int) -> int:
    """Money of an allocation already committed: its contracts, plus payments made without a contract."""
    contracted = await _sum(Contract.value_vnd, Contract.allocation == allocation_id)
    direct = await _sum(Payment.amount_vnd, Payment.allocation == allocation_id, Payment.contract.is_null())
    return contracted + direct


async def uncommitted(actor: Actor, line_id: int) -> tuple[int, dict[str, int]]:
    """What is still free to spend on a line: (the line's own remainder, each
    commune's allocation remainder), whole dong. Free = not carved into
    sub-lines, not under contract, not paid without a contract."""
    line = await get_line(actor, line_id)
    sub_lines = (await _line_charges(line_id)).sub_lines_vnd
    contracted = await _sum(Contract.value_vnd, Contract.line == line_id)
    direct = await _sum(Payment.amount_vnd, Payment.line == line_id, Payment.contract.is_null())
    by_commune = {
        allocation.commune_code: max(allocation.amount_vnd - allocation.contracted_vnd - _direct, 0)
        for allocation in await list_allocations(actor, line_id)
        if allocation.commune_code
        for _direct in [await _sum(Payment.amount_vnd, Payment.allocation == allocation.id, Payment.contract.is_null())]
    }
    return max(line.amount_vnd - sub_lines - contracted - direct, 0), by_commune


def _transition(current: str, target: str) -> None:
    try:
        check_transition(current, target)
    except InvalidTransition as error:
        raise Conflict(error.message_vi, field="status", code="invalid_transition") from None


# --- budget lines -------------------------------------------------------------------


async def _milestones(line_id: int) -> list[MilestoneOut]:
    rows = (
        await Milestone.select(Milestone.due_on, Milestone.target_share)
        .where(Milestone.line == line_id)
        .order_by(Milestone.due_on)
    )
    return [MilestoneOut(**r) for r in rows]


async def get_line(actor: Actor, line_id: int) -> LineOut:
    actor.require(*FINANCE_READERS)
    row = (
        await BudgetLine.select(
            *BudgetLine.all_columns(exclude=[BudgetLine.province, BudgetLine.parent]),
            BudgetLine.parent.as_alias("parent_id"),
            BudgetLine.province.code.as_alias("province_code"),
        )
        .where(BudgetLine.id == line_id)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy dòng ngân sách.", field="line_id")
    await check_line(actor, line_id)
    charges = await _line_charges(line_id)
    return LineOut(
        **{k: v for k, v in row.items() if k in LineOut.model_fields},
        sub_lines_vnd=charges.sub_lines_vnd,
        allocated_vnd=charges.allocated_vnd,
        contracted_direct_vnd=charges.contracted_vnd,
        paid_direct_vnd=charges.paid_direct_vnd,
        remaining_vnd=row["amount_vnd"] - charges.total_vnd,
        milestones=await _milestones(line_id),
    )


def _window(query, limit: int | None, offset: int):
    """A page of ``query``: ``offset`` rows skipped, at most ``limit`` (None: all) kept."""
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return query


async def _count(table: type[Table], where: list) -> int:
    query = table.count()
    return await (query.where(*where) if where else query)


def _line_filters(actor: Actor, province_code: str | None) -> list:
    return in_scope(actor, BudgetLine.province) + ([BudgetLine.province.code == province_code] if province_code else [])


async def list_lines(
    actor: Actor, province_code: str | None = None, limit: int | None = None, offset: int = 0
) -> list[LineOut]:
    actor.require(*FINANCE_READERS)
    query = BudgetLine.select(BudgetLine.id).order_by(BudgetLine.id)
    where = _line_filters(actor, province_code)
    if where:
        query = query.where(*where)
    return [await get_line(actor, r["id"]) for r in await _window(query, limit, offset)]


async def count_lines(actor: Actor, province_code: str | None = None) -> int:
    actor.require(*FINANCE_READERS)
    return await _count(BudgetLine, _line_filters(actor, province_code))


def _check_milestones(milestones: list[MilestoneIn], decision_date: dt.date) -> None:
    rules.check_milestones([(m.due_on, m.target_share) for m in milestones], decision_date)


async def create_line(actor: Actor, data: LineCreate) -> LineOut:
    """See :func:`_create_line`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.line.create",
        target="",
        body=data,
        out=LineOut,
        actor=actor,
        run=lambda: _create_line(actor, data),
    )


async def _create_line(actor: Actor, data: LineCreate) -> LineOut:
    actor.require(*FINANCE_WRITERS)
    rules.check_amount(data.amount_vnd)
    rules.check_line_dates(data.decision_date, data.deadline)
    _check_milestones(data.milestones, data.decision_date)
    async with write_transaction():
        if data.parent_id is not None:
            parent = await _locked(BudgetLine, data.parent_id, "dòng ngân sách cấp trên", "parent_id", actor=actor)
            rules.check_line_charge(
                parent["amount_vnd"],
                await _line_charges(parent["id"]),
                data.amount_vnd,
                limit="parent_line_remaining",
            )
            if data.decision_date < parent["decision_date"]:
                raise rules.RuleViolation("decision_date", "dòng con không thể quyết định trước dòng cấp trên")
            province_id = parent["province"]
            if data.province_code:
                province = await Province.select(Province.id).where(Province.code == data.province_code).first()
                if province is None or province["id"] != province_id:
                    raise rules.RuleViolation("province_code", "dòng con phải cùng tỉnh với dòng cấp trên")
        else:
            if not data.province_code:
                raise rules.RuleViolation("province_code", "dòng ngân sách cấp cao nhất phải ghi tỉnh")
            province = await Province.select(Province.id).where(Province.code == data.province_code).first()
            if province is None:
                raise NotFound(f"Không có tỉnh mã {data.province_code}.", field="province_code")
            province_id = province["id"]
            if not actor.sees_province(province_id):
                raise Forbidden("Chỉ lập dòng ngân sách của tỉnh/thành mình.", field="province_code")
        line = BudgetLine(
            parent=data.parent_id,
            province=province_id,
            number=data.number,
            name=data.name,
            issuing_body=data.issuing_body,
            decision_date=data.decision_date,
            fiscal_year=data.fiscal_year,
            amount_vnd=data.amount_vnd,
            funding_source=data.funding_source,
            deadline=data.deadline,
            created_by=_user(actor),
            created_at=now(),
        )
        await line.save()
        if data.milestones:
            await Milestone.insert(
                *[Milestone(line=line.id, due_on=m.due_on, target_share=m.target_share) for m in data.milestones]
            )
    return await get_line(actor, line.id)


async def replace_milestones(
    actor: Actor, line_id: int, milestones: list[MilestoneIn], client_event_id: str | None = None
) -> LineOut:
    """See :func:`_replace_milestones`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        client_event_id,
        action="finance.line.milestones",
        target=f"line:{line_id}",
        body=milestones,
        out=LineOut,
        actor=actor,
        run=lambda: _replace_milestones(actor, line_id, milestones),
    )


async def _replace_milestones(actor: Actor, line_id: int, milestones: list[MilestoneIn]) -> LineOut:
    """A new schedule for a line (the schedule is a target, not money: it may be revised)."""
    actor.require(*FINANCE_WRITERS)
    async with write_transaction():
        line = await _locked(BudgetLine, line_id, "dòng ngân sách", "line_id", actor=actor)
        _check_milestones(milestones, line["decision_date"])
        await Milestone.delete().where(Milestone.line == line_id)
        if milestones:
            await Milestone.insert(
                *[Milestone(line=line_id, due_on=m.due_on, target_share=m.target_share) for m in milestones]
            )
    return await get_line(actor, line_id)


# --- allocations --------------------------------------------------------------------


_ALLOCATION_COLUMNS = (
    Allocation.id,
    Allocation.line.as_alias("line_id"),
    Allocation.commune.code.as_alias("commune_code"),
    Allocation.commune.name.as_alias("commune_name"),
    Allocation.amount_vnd,
)


async def count_allocations(actor: Actor, line_id: int) -> int:
    actor.require(*FINANCE_READERS)
    await check_line(actor, line_id)
    return await _count(Allocation, [Allocation.line == line_id])


async def list_allocations(
    actor: Actor, line_id: int, limit: int | None = None, offset: int = 0
) -> list[AllocationOut]:
    actor.require(*FINANCE_READERS)
    await check_line(actor, line_id)
    rows = await _window(
        Allocation.select(*_ALLOCATION_COLUMNS).where(Allocation.line == line_id).order_by(Allocation.id),
        limit,
        offset,
    )
    contracted = {
        r["allocation"]: int(r["total"] or 0)
        for r in await Contract.select(Contract.allocation, Sum(Contract.value_vnd).as_alias("total"))
        .where(Contract.line == line_id)
        .group_by(Contract.allocation)
    }
    paid = {
        r["allocation"]: int(r["total"] or 0)
        for r in await Payment.select(Payment.allocation, Sum(Payment.amount_vnd).as_alias("total"))
        .where(Payment.line == line_id, paid_as_of_clause(today_vn()))
        .group_by(Payment.allocation)
    }
    return [AllocationOut(**r, contracted_vnd=contracted.get(r["id"], 0), paid_vnd=paid.get(r["id"], 0)) for r in rows]


async def _commune_id(code: str, field: str = "commune_code") -> int:
    row = await Commune.select(Commune.id).where(Commune.code == code).first()
    if row is None:
        raise NotFound(f"Không có xã/phường mã {code}.", field=field)
    return row["id"]


async def create_allocation(actor: Actor, line_id: int, data: AllocationCreate) -> AllocationOut:
    """See :func:`_create_allocation`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.allocation.create",
        target=f"line:{line_id}",
        body=data,
        out=AllocationOut,
        actor=actor,
        run=lambda: _create_allocation(actor, line_id, data),
    )


async def _create_allocation(actor: Actor, line_id: int, data: AllocationCreate) -> AllocationOut:
    actor.require(*FINANCE_WRITERS)
    rules.check_amount(data.amount_vnd)
    commune_id = await _commune_id(data.commune_code) if data.commune_code else None
    async with write_transaction():
        line = await _locked(BudgetLine, line_id, "dòng ngân sách", "line_id", actor=actor)
        if commune_id is not None:
            commune = await must_find(Commune.select(Commune.province).where(Commune.id == commune_id))
            if commune["province"] != line["province"]:
                raise rules.RuleViolation("commune_code", "xã/phường không thuộc tỉnh của dòng ngân sách")
        rules.check_line_charge(line["amount_vnd"], await _line_charges(line_id), data.amount_vnd)
        allocation = Allocation(
            line=line_id,
            commune=commune_id,
            amount_vnd=data.amount_vnd,
            note=data.note,
            created_by=_user(actor),
            created_at=now(),
        )
        await allocation.save()
    row = await must_find(Allocation.select(*_ALLOCATION_COLUMNS).where(Allocation.id == allocation.id))
    return AllocationOut(**row)


async def split_weights(
    province_id: int, basis: SplitBasis, codes: list[str] | None, given: dict[str, float] | None = None
) -> dict[str, tuple[int, str, float]]:
    """commune code → (commune id, name, weight) for a split of money across communes,
    in commune code order (which breaks ties for the last dong).

    ``officials``: the commune's number of officials; ``devices_short``: officials
    minus working computers (in use, not broken), never below 0; ``equal``: 1 each;
    ``weights``: the weights ``given`` (commune code → weight, e.g. from a sheet), over
    exactly the communes listed there, which must all be of the line's province.
    """
    if basis == SplitBasis.weights:
        if not given:
            raise rules.RuleViolation("weights", "chia theo trọng số cần danh sách trọng số của từng xã")
        codes = sorted(set(given) & set(codes)) if codes is not None else sorted(given)
        if not codes:
            raise rules.RuleViolation("commune_codes", "không xã nào vừa có trọng số vừa nằm trong danh sách xã")
    query = (
        Commune.select(Commune.id, Commune.code, Commune.name, Commune.officials)
        .where(Commune.province == province_id)
        .order_by(Commune.code)
    )
    communes = await query
    if codes is not None:
        wanted = set(codes)
        unknown = wanted - {c["code"] for c in communes}
        if unknown:
            raise rules.RuleViolation(
                "weights" if basis == SplitBasis.weights else "commune_codes",
                f"không thuộc tỉnh của dòng ngân sách: {', '.join(sorted(unknown))}",
            )
        communes = [c for c in communes if c["code"] in wanted]
    if not communes:
        raise rules.RuleViolation("commune_codes", "không có xã/phường nào để chia")
    working: dict[int, int] = {}
    if basis == SplitBasis.devices_short:
        rows = (
            await Asset.select(Asset.commune, Count(Asset.id).as_alias("n"))
            .where(
                Asset.commune.province == province_id,
                Asset.category.code.is_in(list(_COMPUTERS)),
                Asset.status == "in_use",
                Asset.condition != "broken",
            )
            .group_by(Asset.commune)
        )
        working = {r["commune"]: int(r["n"]) for r in rows}
    weights: dict[str, tuple[int, str, float]] = {}
    for c in communes:
        if basis == SplitBasis.weights and given is not None:
            weight: float = given[c["code"]]
        elif basis == SplitBasis.officials:
            weight = c["officials"] or 0
        elif basis == SplitBasis.devices_short:
            weight = max((c["officials"] or 0) - working.get(c["id"], 0), 0)
        else:
            weight = 1
        weights[c["code"]] = (c["id"], c["name"], weight)
    return weights


async def split_allocation(actor: Actor, line_id: int, data: AllocationSplit, expected: str | None = None) -> SplitOut:
    """See :func:`_split_allocation`; with a client event id, a resend is answered again and stored once.

    ``expected``: the :func:`split_fingerprint` of a preview the caller showed; the split is
    written only if it is still exactly that one (else 409 ``split_changed``, nothing written)."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        None if data.dry_run else data.client_event_id,
        action="finance.allocation.split",
        target=f"line:{line_id}",
        body=data,
        out=SplitOut,
        actor=actor,
        run=lambda: _split_allocation(actor, line_id, data, expected),
    )


def split_fingerprint(total_vnd: int, basis: SplitBasis, parts: Sequence[AllocationOut]) -> str:
    """A short digest of a split, part by part: what a preview showed, to be written unchanged."""
    text = "|".join(f"{a.commune_code}:{a.amount_vnd}" for a in parts)
    return hashlib.sha256(f"{total_vnd}|{basis.value}|{text}".encode()).hexdigest()[:32]


async def _split_parts(
    line_id: int, province_id: int, data: AllocationSplit
) -> tuple[dict[str, tuple[int, str, float]], list[AllocationOut]]:
    weights = await split_weights(province_id, data.basis, data.commune_codes, data.weights)
    if not any(w for _, _, w in weights.values()):
        raise rules.RuleViolation("basis", "mọi trọng số đều bằng 0: không có gì để chia theo tiêu chí này")
    parts = split_by_weights(data.total_vnd, {code: w for code, (_, _, w) in weights.items()})
    return weights, [
        AllocationOut(id=0, line_id=line_id, commune_code=code, commune_name=weights[code][1], amount_vnd=amount)
        for code, amount in parts.items()
        if amount > 0
    ]


async def _split_allocation(actor: Actor, line_id: int, data: AllocationSplit, expected: str | None = None) -> SplitOut:
    """Split ``total_vnd`` across communes by weight (parts add up exactly) and,
    unless ``dry_run``, write one allocation per commune with a share > 0. A write
    computes the parts inside its transaction, under the line's lock, and compares
    them with ``expected`` there."""
    actor.require(*FINANCE_WRITERS)
    await check_line(actor, line_id)
    if data.dry_run:
        line = await BudgetLine.select(BudgetLine.id, BudgetLine.province).where(BudgetLine.id == line_id).first()
        if line is None:
            raise NotFound("Không tìm thấy dòng ngân sách.", field="line_id")
        _, out = await _split_parts(line_id, line["province"], data)
        return SplitOut(total_vnd=data.total_vnd, basis=data.basis, written=False, allocations=out)
    async with write_transaction():
        locked = await _locked(BudgetLine, line_id, "dòng ngân sách", "line_id", actor=actor)
        weights, out = await _split_parts(line_id, locked["province"], data)
        if expected is not None and split_fingerprint(data.total_vnd, data.basis, out) != expected:
            raise Conflict(
                "Phần chia đã khác bản xem trước (số cán bộ, thiết bị hoặc trọng số đã thay đổi): chưa ghi gì.",
                field="total_vnd",
                code="split_changed",
            )
        rules.check_line_charge(locked["amount_vnd"], await _line_charges(line_id), data.total_vnd)
        at = now()
        created = await Allocation.insert(
            *[
                Allocation(
                    line=line_id,
                    commune=weights[str(a.commune_code)][0],
                    amount_vnd=a.amount_vnd,
                    note=f"chia theo {data.basis.value}",
                    created_by=_user(actor),
                    created_at=at,
                )
                for a in out
            ]
        ).returning(Allocation.id)
    for allocation, row in zip(out, created, strict=False):
        allocation.id = row["id"]
    return SplitOut(total_vnd=data.total_vnd, basis=data.basis, written=True, allocations=out)


# --- procurement packages -----------------------------------------------------------


async def _category_ids(items: Sequence[ItemIn | AmendmentItemIn]) -> dict[str, int]:
    codes = {i.category for i in items}
    found = (
        {
            r["code"]: r["id"]
            for r in await Category.select(Category.code, Category.id).where(Category.code.is_in(list(codes)))
        }
        if codes
        else {}
    )
    for index, item in enumerate(items):
        if item.category not in found:
            raise DomainError(
                f"Không có loại thiết bị '{item.category}'.", field=f"items[{index}].category", code="unknown_category"
            )
    return found


async def get_package(actor: Actor, package_id: int) -> PackageOut:
    actor.require(*FINANCE_READERS)
    row = (
        await ProcurementPackage.select(
            ProcurementPackage.id,
            ProcurementPackage.line.as_alias("line_id"),
            ProcurementPackage.allocation.as_alias("allocation_id"),
            ProcurementPackage.name,
            ProcurementPackage.method,
            ProcurementPackage.estimate_vnd,
            ProcurementPackage.status,
        )
        .where(ProcurementPackage.id == package_id)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy gói thầu.", field="package_id")
    await check_line(actor, row["line_id"], "package_id", "gói thầu")
    items = (
        await PackageItem.select(PackageItem.category.code.as_alias("category"), PackageItem.quantity)
        .where(PackageItem.package == package_id)
        .order_by(PackageItem.id)
    )
    history = (
        await PackageStatusChange.select(
            PackageStatusChange.from_status,
            PackageStatusChange.to_status,
            PackageStatusChange.actor.username.as_alias("actor"),
            PackageStatusChange.at,
            PackageStatusChange.note,
        )
        .where(PackageStatusChange.package == package_id)
        .order_by(PackageStatusChange.id)
    )
    status = PackageStatus(row["status"])
    return PackageOut(
        **row,
        method_vi=ProcurementMethod(row["method"]).label_vi,
        status_vi=status.label_vi,
        next_statuses=list(next_statuses(status)),
        items=[ItemOut(**i) for i in items],
        history=[StatusChangeOut(**h) for h in history],
    )


def _package_filters(actor: Actor, line_id: int | None, status: PackageStatus | None) -> list:
    where = in_scope(actor, ProcurementPackage.line)
    if line_id:
        where.append(ProcurementPackage.line == line_id)
    if status:
        where.append(ProcurementPackage.status == status.value)
    return where


async def list_packages(
    actor: Actor,
    line_id: int | None = None,
    status: PackageStatus | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PackageOut]:
    actor.require(*FINANCE_READERS)
    query = ProcurementPackage.select(ProcurementPackage.id).order_by(ProcurementPackage.id)
    where = _package_filters(actor, line_id, status)
    if where:
        query = query.where(*where)
    return [await get_package(actor, r["id"]) for r in await _window(query, limit, offset)]


async def count_packages(actor: Actor, line_id: int | None = None, status: PackageStatus | None = None) -> int:
    actor.require(*FINANCE_READERS)
    return await _count(ProcurementPackage, _package_filters(actor, line_id, status))


async def package_summaries(
    actor: Actor,
    line_id: int | None = None,
    status: PackageStatus | None = None,
    q: str | None = None,
    limit: int = 200,
) -> list[PackageSummary]:
    """Packages in one query, newest first; ``q`` keeps those whose name and commune
    hold every word of it, diacritics ignored."""
    actor.require(*FINANCE_READERS)
    query = ProcurementPackage.select(
        ProcurementPackage.id,
        ProcurementPackage.line.as_alias("line_id"),
        ProcurementPackage.line.number.as_alias("line_number"),
        ProcurementPackage.name,
        ProcurementPackage.allocation._.commune._.name.as_alias("commune_name"),
        ProcurementPackage.method,
        ProcurementPackage.estimate_vnd,
        ProcurementPackage.status,
    ).order_by(ProcurementPackage.id, ascending=False)
    where = _package_filters(actor, line_id, status)
    if where:
        query = query.where(*where)
    if not q:
        query = query.limit(limit)
    rows = await query
    if q:  # names carry diacritics: matched here, on the search key
        rows = [r for r in rows if has_words(q, f"{r['name']} {r['commune_name'] or ''}")]
    return [
        PackageSummary(
            **{k: v for k, v in r.items() if k != "method"},
            method_vi=ProcurementMethod(r["method"]).label_vi,
            status_vi=PackageStatus(r["status"]).label_vi,
        )
        for r in rows[:limit]
    ]


async def create_package(actor: Actor, data: PackageCreate) -> PackageOut:
    """See :func:`_create_package`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS, "planner")
    return await once(
        data.client_event_id,
        action="finance.package.create",
        target="",
        body=data,
        out=PackageOut,
        actor=actor,
        run=lambda: _create_package(actor, data),
    )


async def _create_package(actor: Actor, data: PackageCreate) -> PackageOut:
    """A new package, status ``planned`` (logged). Planning calls this to turn a
    replacement plan into packages."""
    actor.require(*FINANCE_WRITERS, "planner")
    rules.check_amount(data.estimate_vnd, "estimate_vnd")
    categories = await _category_ids(data.items)
    async with write_transaction():
        line = await BudgetLine.select(BudgetLine.id).where(BudgetLine.id == data.line_id).first()
        if line is None:
            raise NotFound("Không tìm thấy dòng ngân sách.", field="line_id")
        await check_line(actor, data.line_id)
        if data.allocation_id is not None:
            allocation = await Allocation.select(Allocation.line).where(Allocation.id == data.allocation_id).first()
            if allocation is None:
                raise NotFound("Không tìm thấy phân bổ.", field="allocation_id")
            if allocation["line"] != data.line_id:
                raise rules.RuleViolation("allocation_id", "phân bổ không thuộc dòng ngân sách này")
        at = now()
        package = ProcurementPackage(
            line=data.line_id,
            allocation=data.allocation_id,
            name=data.name,
            method=data.method.value,
            estimate_vnd=data.estimate_vnd,
            status=PackageStatus.PLANNED.value,
            created_by=_user(actor),
            created_at=at,
        )
        await package.save()
        if data.items:
            await PackageItem.insert(
                *[
                    PackageItem(package=package.id, category=categories[i.category], quantity=i.quantity)
                    for i in data.items
                ]
            )
        await PackageStatusChange.insert(
            PackageStatusChange(
                package=package.id,
                from_status=None,
                to_status=PackageStatus.PLANNED.value,
                actor=_user(actor),
                at=at,
                note=data.note,
            )
        )
    return await get_package(actor, package.id)


# Packages not yet under contract hold their estimate on the line: a second plan saved on the same
# line must fit in what the first left free.
OPEN_PACKAGE_STATUSES = (PackageStatus.PLANNED.value, PackageStatus.TENDERING.value)
MAX_PACKAGES_PER_SAVE = 2000  # a province's communes × categories; bounds one write transaction


async def free_for_packages(line_id: int) -> tuple[int, dict[int, int]]:
    """What new packages may still take: (of the line, of each allocation id). The line's free money
    (amount less sub-lines, contracts, payments without contract) less the estimates of its open
    packages (planned, tendering); an allocation's likewise. Inside a write transaction it is exact."""
    amount = (await _locked(BudgetLine, line_id, "dòng ngân sách", "line_id"))["amount_vnd"]
    sub_lines = (await _line_charges(line_id)).sub_lines_vnd
    contracted = await _sum(Contract.value_vnd, Contract.line == line_id)
    direct = await _sum(Payment.amount_vnd, Payment.line == line_id, Payment.contract.is_null())
    is_open = ProcurementPackage.status.is_in(list(OPEN_PACKAGE_STATUSES))
    planned = await _sum(ProcurementPackage.estimate_vnd, ProcurementPackage.line == line_id, is_open)
    allocations = {}
    for row in await Allocation.select(Allocation.id, Allocation.amount_vnd).where(Allocation.line == line_id):
        held = await _sum(ProcurementPackage.estimate_vnd, ProcurementPackage.allocation == row["id"], is_open)
        allocations[row["id"]] = max(row["amount_vnd"] - await _allocation_used(row["id"]) - held, 0)
    return max(amount - sub_lines - contracted - direct - planned, 0), allocations


async def create_packages(actor: Actor, line_id: int, packages: list[PackageCreate]) -> list[int]:
    """Many new packages of one line (status ``planned``, logged) in one short transaction, or none:
    their estimates together fit in what is free on the line (:func:`free_for_packages`) and each
    allocation's within that allocation's, also when two saves race (the line is locked)."""
    actor.require(*FINANCE_WRITERS, "planner")
    if len(packages) > MAX_PACKAGES_PER_SAVE:
        raise DomainError(
            f"Quá nhiều gói thầu một lần ({len(packages)}); tối đa {MAX_PACKAGES_PER_SAVE}. Hãy lập kế hoạch cho từng xã hoặc từng tỉnh.",
            field="plan",
            code="too_many_packages",
        )
    await check_line(actor, line_id)
    items = [item for package in packages for item in package.items]
    categories = await _category_ids(items)
    async with write_transaction():
        line_free, allocation_free = await free_for_packages(line_id)
        rules.check_within("line_remaining", line_free, 0, sum(p.estimate_vnd for p in packages))
        by_allocation: dict[int, int] = {}
        for package in packages:
            if package.line_id != line_id:
                raise rules.RuleViolation("line_id", "gói thầu không thuộc dòng ngân sách này")
            if package.allocation_id is not None:
                if package.allocation_id not in allocation_free:
                    raise rules.RuleViolation("allocation_id", "phân bổ không thuộc dòng ngân sách này")
                by_allocation[package.allocation_id] = (
                    by_allocation.get(package.allocation_id, 0) + package.estimate_vnd
                )
        for allocation_id, requested in sorted(by_allocation.items()):
            rules.check_within("allocation_remaining", allocation_free[allocation_id], 0, requested)
        at, user = now(), _user(actor)
        ids = await reserve_ids("procurement_package", len(packages))
        await insert_many(
            "procurement_package",
            ["id", "line", "allocation", "name", "method", "estimate_vnd", "status", "created_by", "created_at"],
            [
                (
                    i,
                    line_id,
                    p.allocation_id,
                    p.name,
                    p.method.value,
                    p.estimate_vnd,
                    PackageStatus.PLANNED.value,
                    user,
                    at,
                )
                for i, p in zip(ids, packages, strict=True)
            ],
        )
        item_rows = [
            (i, categories[item.category], item.quantity)
            for i, p in zip(ids, packages, strict=True)
            for item in p.items
        ]
        item_ids = await reserve_ids("procurement_package_item", len(item_rows))
        await insert_many(
            "procurement_package_item",
            ["id", "package", "category", "quantity"],
            [(n, *row) for n, row in zip(item_ids, item_rows, strict=True)],
        )
        change_ids = await reserve_ids("package_status_change", len(packages))
        await insert_many(
            "package_status_change",
            ["id", "package", "from_status", "to_status", "actor", "at", "note"],
            [
                (n, i, None, PackageStatus.PLANNED.value, user, at, p.note)
                for n, i, p in zip(change_ids, ids, packages, strict=True)
            ],
        )
    return ids


async def _move(package: dict[str, Any], target: PackageStatus, actor: Actor, note: str) -> None:
    """Inside a transaction, with ``package`` locked."""
    _transition(package["status"], target)
    await ProcurementPackage.update({ProcurementPackage.status: target.value}).where(
        ProcurementPackage.id == package["id"]
    )
    await PackageStatusChange.insert(
        PackageStatusChange(
            package=package["id"],
            from_status=package["status"],
            to_status=target.value,
            actor=_user(actor),
            at=now(),
            note=note,
        )
    )
    package["status"] = target.value


async def move_package(actor: Actor, package_id: int, data: PackageMove) -> PackageOut:
    """See :func:`_move_package`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.package.move",
        target=f"package:{package_id}",
        body=data,
        out=PackageOut,
        actor=actor,
        run=lambda: _move_package(actor, package_id, data),
    )


async def _move_package(actor: Actor, package_id: int, data: PackageMove) -> PackageOut:
    actor.require(*FINANCE_WRITERS)
    async with write_transaction():
        package = await _locked(ProcurementPackage, package_id, "gói thầu", "package_id", actor=actor)
        await _move(package, data.status, actor, data.note)
    return await get_package(actor, package_id)


# --- contracts and deliveries -------------------------------------------------------


async def get_contract(actor: Actor, contract_id: int) -> ContractOut:
    actor.require(*FINANCE_READERS)
    row = (
        await Contract.select(
            Contract.id,
            Contract.line.as_alias("line_id"),
            Contract.allocation.as_alias("allocation_id"),
            Contract.package.as_alias("package_id"),
            Contract.allocation._.commune._.code.as_alias("commune_code"),
            Contract.supplier.name.as_alias("supplier_name"),
            Contract.supplier.tax_code.as_alias("supplier_tax_code"),
            Contract.number,
            Contract.signed_on,
            Contract.value_vnd,
        )
        .where(Contract.id == contract_id)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy hợp đồng.", field="contract_id")
    await check_line(actor, row["line_id"], "contract_id", "hợp đồng")
    delivered = await _delivered(contract_id)
    amendments = await contract_amendments(contract_id)
    bought = await _bought(contract_id, amendments)
    return ContractOut(
        **row,
        original_value_vnd=amendments[0].value_before_vnd if amendments else row["value_vnd"],
        paid_vnd=await _sum(Payment.amount_vnd, Payment.contract == contract_id, paid_as_of_clause(today_vn())),
        items=[
            ContractItemOut(
                category=category, quantity=quantity, unit_price_vnd=price, delivered=delivered.get(category, 0)
            )
            for category, (quantity, price) in bought.items()
        ],
        amendments=amendments,
    )


_AMENDMENT_COLUMNS = (
    ContractAmendment.id,
    ContractAmendment.contract.as_alias("contract_id"),
    ContractAmendment.number,
    ContractAmendment.signed_on,
    ContractAmendment.reason,
    ContractAmendment.value_before_vnd,
    ContractAmendment.value_change_vnd,
    ContractAmendment.value_after_vnd,
    ContractAmendment.item_changes,
    ContractAmendment.created_by._.username.as_alias("created_by"),
    ContractAmendment.created_at,
)


def _amendment_out(row: dict[str, Any]) -> AmendmentOut:
    changes = row.pop("item_changes")
    items = json.loads(changes) if isinstance(changes, str) else changes
    return AmendmentOut(**row, items=[AmendmentItemOut(**i) for i in items or []])


async def contract_amendments(contract_id: int) -> list[AmendmentOut]:
    """A contract's amendments in their order (number 1, 2, 3…)."""
    rows = (
        await ContractAmendment.select(*_AMENDMENT_COLUMNS)
        .where(ContractAmendment.contract == contract_id)
        .order_by(ContractAmendment.number)
    )
    return [_amendment_out(r) for r in rows]


async def amendment_out(amendment_id: int) -> AmendmentOut:
    return _amendment_out(
        await must_find(ContractAmendment.select(*_AMENDMENT_COLUMNS).where(ContractAmendment.id == amendment_id))
    )


async def _bought(contract_id: int, amendments: list[AmendmentOut] | None = None) -> dict[str, tuple[int, int]]:
    """category → (quantity bought now, unit price): the signed items plus every
    amendment's changes. A category the contract had keeps its signed unit price;
    one an amendment adds takes the amendment's."""
    rows = (
        await ContractItem.select(
            ContractItem.category.code.as_alias("category"), ContractItem.quantity, ContractItem.unit_price_vnd
        )
        .where(ContractItem.contract == contract_id)
        .order_by(ContractItem.id)
    )
    bought: dict[str, tuple[int, int]] = {}
    for r in rows:
        quantity, price = bought.get(r["category"], (0, r["unit_price_vnd"]))
        bought[r["category"]] = (quantity + r["quantity"], price)
    for amendment in amendments if amendments is not None else await contract_amendments(contract_id):
        for item in amendment.items:
            quantity, price = bought.get(item.category, (0, item.unit_price_vnd))
            bought[item.category] = (quantity + item.quantity_change, price)
    return bought


async def list_contracts(
    actor: Actor, line_id: int | None = None, limit: int | None = None, offset: int = 0
) -> list[ContractOut]:
    actor.require(*FINANCE_READERS)
    query = Contract.select(Contract.id).order_by(Contract.id)
    if scoped := in_scope(actor, Contract.line):
        query = query.where(*scoped)
    if line_id:
        query = query.where(Contract.line == line_id)
    return [await get_contract(actor, r["id"]) for r in await _window(query, limit, offset)]


async def count_contracts(actor: Actor, line_id: int | None = None) -> int:
    actor.require(*FINANCE_READERS)
    return await _count(Contract, in_scope(actor, Contract.line) + ([Contract.line == line_id] if line_id else []))


async def contract_summaries(
    actor: Actor, line_id: int | None = None, q: str | None = None, limit: int = 200, package_id: int | None = None
) -> list[ContractSummary]:
    """Contracts with what is paid on each, newest first, in two queries whatever
    their number; ``q`` keeps those whose number and supplier hold every word of it,
    diacritics ignored."""
    actor.require(*FINANCE_READERS)
    query = (
        Contract.select(
            Contract.id,
            Contract.line.as_alias("line_id"),
            Contract.line.number.as_alias("line_number"),
            Contract.number,
            Contract.supplier.name.as_alias("supplier_name"),
            Contract.allocation._.commune._.name.as_alias("commune_name"),
            Contract.signed_on,
            Contract.value_vnd,
        )
        .order_by(Contract.signed_on, ascending=False)
        .order_by(Contract.id, ascending=False)
    )
    if scoped := in_scope(actor, Contract.line):
        query = query.where(*scoped)
    if line_id:
        query = query.where(Contract.line == line_id)
    if package_id:
        query = query.where(Contract.package == package_id)
    # Every word of q in the stored search key of number and supplier, diacritics ignored.
    for word in search_key(q or "").split():
        query = query.where(Contract.search_text.like(like_pattern(word)))
    rows = await query.limit(limit)
    paid_query = (
        Payment.select(Payment.contract.as_alias("contract_id"), Sum(Payment.amount_vnd).as_alias("paid"))
        .where(Payment.contract.is_in([r["id"] for r in rows] or [0]), paid_as_of_clause(today_vn()))
        .group_by(Payment.contract)
    )
    paid = {p["contract_id"]: int(p["paid"] or 0) for p in await paid_query}
    return [
        ContractSummary(**r, paid_vnd=paid.get(r["id"], 0), unpaid_vnd=r["value_vnd"] - paid.get(r["id"], 0))
        for r in rows
    ]


async def _supplier(name: str, tax_code: str) -> dict[str, Any]:
    """The supplier with this tax code, created on first use. Inside the caller's
    transaction: INSERT … ON CONFLICT DO NOTHING, then read. Two contracts naming the
    same new supplier at once (on different allocations, so under different locks)
    therefore never hit the unique index: PostgreSQL makes the second insert wait for
    the first transaction and then do nothing; SQLite has one writer at a time."""
    await Supplier.insert(
        Supplier(name=name, tax_code=tax_code, search_text=search_key(f"{name} {tax_code}"))
    ).on_conflict(target=Supplier.tax_code, action="DO NOTHING")
    row = await Supplier.select(Supplier.id, Supplier.name).where(Supplier.tax_code == tax_code).first()
    assert row is not None  # inserted just above, or already there
    return row


async def create_contract(actor: Actor, data: ContractCreate) -> ContractOut:
    """See :func:`_create_contract`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.contract.create",
        target="",
        body=data,
        out=ContractOut,
        actor=actor,
        run=lambda: _create_contract(actor, data),
    )


async def _create_contract(actor: Actor, data: ContractCreate) -> ContractOut:
    """A contract's value is the sum of its items; it must fit in what is left of
    its allocation (or, for central purchasing on a line, of the line)."""
    actor.require(*FINANCE_WRITERS)
    if (data.allocation_id is None) == (data.line_id is None):
        raise rules.RuleViolation(
            "allocation_id", "ghi đúng một trong hai: phân bổ (allocation_id) hoặc dòng ngân sách (line_id)"
        )
    value = sum(i.quantity * i.unit_price_vnd for i in data.items)
    if data.value_vnd is not None and data.value_vnd != value:
        raise rules.RuleViolation(
            "value_vnd",
            f"giá trị hợp đồng {data.value_vnd} khác tổng các mặt hàng {value} (lệch {data.value_vnd - value} đ)",
        )
    rules.check_amount(value, "value_vnd")
    categories = await _category_ids(data.items)
    async with write_transaction():
        if data.allocation_id is not None:
            allocation = await _locked(Allocation, data.allocation_id, "phân bổ", "allocation_id", actor=actor)
            line_id = allocation["line"]
            line = await must_find(BudgetLine.select(BudgetLine.decision_date).where(BudgetLine.id == line_id))
            rules.check_contract_fits(allocation["amount_vnd"], await _allocation_used(allocation["id"]), value)
        else:
            line = await _locked(BudgetLine, data.line_id, "dòng ngân sách", "line_id", actor=actor)
            line_id = line["id"]
            # Central purchasing on the line itself: whatever every earlier charge has left.
            rules.check_line_charge(line["amount_vnd"], await _line_charges(line_id), value)
        rules.check_contract_signed_after_decision(data.signed_on, line["decision_date"])
        package = None
        if data.package_id is not None:
            package = await _locked(ProcurementPackage, data.package_id, "gói thầu", "package_id", actor=actor)
            if package["line"] != line_id or (package["allocation"] and package["allocation"] != data.allocation_id):
                raise rules.RuleViolation("package_id", "gói thầu không thuộc dòng ngân sách / phân bổ của hợp đồng")
            if package["status"] in (PackageStatus.CLOSED, PackageStatus.CANCELLED):
                raise Conflict("Gói thầu đã đóng hoặc đã hủy.", field="package_id", code="package_final")
        supplier = await _supplier(data.supplier.name, data.supplier.tax_code)
        contract = Contract(
            line=line_id,
            allocation=data.allocation_id,
            package=data.package_id,
            supplier=supplier["id"],
            number=data.number,
            search_text=search_key(f"{data.number} {supplier['name']}"),
            signed_on=data.signed_on,
            value_vnd=value,
            created_by=_user(actor),
            created_at=now(),
        )
        await contract.save()
        await ContractItem.insert(
            *[
                ContractItem(
                    contract=contract.id,
                    category=categories[i.category],
                    quantity=i.quantity,
                    unit_price_vnd=i.unit_price_vnd,
                )
                for i in data.items
            ]
        )
        if package is not None and package["status"] == PackageStatus.TENDERING:
            await _move(package, PackageStatus.CONTRACTED, actor, f"ký hợp đồng {data.number}")
    return await get_contract(actor, contract.id)


async def _delivered(contract_id: int) -> dict[str, int]:
    rows = (
        await Asset.select(Asset.category.code.as_alias("category"), Count(Asset.id).as_alias("n"))
        .where(Asset.contract == contract_id)
        .group_by(Asset.category.code)
    )
    return {r["category"]: int(r["n"]) for r in rows}


async def accept_delivery(actor: Actor, contract_id: int, data: DeliveryCreate) -> DeliveryOut:
    """See :func:`_accept_delivery`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.delivery.accept",
        target=f"contract:{contract_id}",
        body=data,
        out=DeliveryOut,
        actor=actor,
        run=lambda: _accept_delivery(actor, contract_id, data),
    )


async def _accept_delivery(actor: Actor, contract_id: int, data: DeliveryCreate) -> DeliveryOut:
    """Accept a delivery: its devices become assets of the commune, linked to the
    contract, its package and budget line, each with a fresh tag and a
    "delivered" history event. Never more devices than the contract bought."""
    actor.require(*FINANCE_WRITERS)
    if data.accepted_on < data.delivered_on:
        raise rules.RuleViolation("accepted_on", "ngày nghiệm thu trước ngày giao hàng")
    categories = await _category_ids(data.items)
    async with write_transaction():
        contract = await _locked(Contract, contract_id, "hợp đồng", "contract_id", actor=actor)
        if data.delivered_on < contract["signed_on"]:
            raise rules.RuleViolation("delivered_on", "ngày giao hàng trước ngày ký hợp đồng")
        if data.commune_code:
            commune_id = await _commune_id(data.commune_code)
        elif contract["allocation"]:
            allocation = await must_find(
                Allocation.select(Allocation.commune).where(Allocation.id == contract["allocation"])
            )
            commune_id = allocation["commune"]
        else:
            commune_id = None
        if commune_id is None:
            raise rules.RuleViolation("commune_code", "mua sắm tập trung: phải ghi xã/phường nhận thiết bị")
        if not actor.sees_commune(commune_id):
            raise Forbidden("Xã/phường nhận thiết bị không thuộc tỉnh/thành của bạn.", field="commune_code")
        commune_code = (await must_find(Commune.select(Commune.code).where(Commune.id == commune_id)))["code"]
        bought = await _bought(contract_id)  # amendments included
        delivered = await _delivered(contract_id)
        wanted: dict[str, int] = {}
        for index, item in enumerate(data.items):
            wanted[item.category] = wanted.get(item.category, 0) + item.quantity
            if item.category not in bought:
                raise rules.RuleViolation(f"items[{index}].category", "hợp đồng không mua loại thiết bị này")
            if item.serials and len(item.serials) != item.quantity:
                raise rules.RuleViolation(f"items[{index}].serials", "số serial phải bằng số lượng")
        for category, quantity in wanted.items():
            left = bought[category][0] - delivered.get(category, 0)
            if quantity > left:
                raise Conflict(
                    f"Giao {quantity} {category} vượt số còn lại của hợp đồng ({left}), thừa {quantity - left}.",
                    field="items",
                    code="quantity_exceeded",
                )
        at = now()
        tags = iter(await draw_free_tags(sum(item.quantity for item in data.items)))
        assets = []
        for item in data.items:
            for n in range(item.quantity):
                values = {
                    "tag": next(tags),
                    "category": categories[item.category],
                    "commune": commune_id,
                    "make": item.make,
                    "model": item.model,
                    "serial": item.serials[n] if item.serials else None,
                    "acquired_on": data.accepted_on,
                    "cost_vnd": bought[item.category][1],
                    "acquisition": "purchased",
                    "status": "in_use",
                    "condition": "good",
                    "contract": contract_id,
                    "package": contract["package"],
                    "budget_line": contract["line"],
                }
                assets.append(Asset(**device_row(values, at)))
        created = await Asset.insert(*assets).returning(Asset.id, Asset.tag)
        delivery = Delivery(
            contract=contract_id,
            commune=commune_id,
            delivered_on=data.delivered_on,
            accepted_on=data.accepted_on,
            devices=len(assets),
            note=data.note,
            actor=_user(actor),
            at=at,
        )
        await delivery.save()
        changes = json.dumps(
            {"source": {"before": None, "after": f"hợp đồng {contract['number']}"}, "delivery_id": delivery.id},
            ensure_ascii=False,
        )
        await AssetEvent.insert(
            *[
                AssetEvent(asset=r["id"], kind="delivered", actor=_user(actor), at=at, changes=changes, note=data.note)
                for r in created
            ]
        )
        if contract["package"]:
            package = await _locked(ProcurementPackage, contract["package"], "gói thầu", "package_id", actor=actor)
            if package["status"] == PackageStatus.CONTRACTED:
                await _move(package, PackageStatus.DELIVERED, actor, f"giao hàng theo hợp đồng {contract['number']}")
    return DeliveryOut(
        id=delivery.id,
        contract_id=contract_id,
        commune_code=commune_code,
        devices=len(created),
        asset_tags=[r["tag"] for r in created],
    )


# --- payments -----------------------------------------------------------------------


_PAYMENT_COLUMNS = (
    Payment.id,
    Payment.line.as_alias("line_id"),
    Payment.allocation.as_alias("allocation_id"),
    Payment.contract.as_alias("contract_id"),
    Payment.amount_vnd,
    Payment.paid_on,
    Payment.voucher_number,
    Payment.reverses_payment.as_alias("reverses_payment_id"),
    Payment.note,
)


def _payment_filters(actor: Actor, contract_id: int | None, line_id: int | None) -> list:
    where = in_scope(actor, Payment.line)
    if contract_id:
        where.append(Payment.contract == contract_id)
    if line_id:
        where.append(Payment.line == line_id)
    return where


async def list_payments(
    actor: Actor,
    contract_id: int | None = None,
    line_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[PaymentOut]:
    actor.require(*FINANCE_READERS)
    query = Payment.select(*_PAYMENT_COLUMNS).order_by(Payment.id)
    where = _payment_filters(actor, contract_id, line_id)
    if where:
        query = query.where(*where)
    return [PaymentOut(**r) for r in await _window(query, limit, offset)]


async def count_payments(actor: Actor, contract_id: int | None = None, line_id: int | None = None) -> int:
    actor.require(*FINANCE_READERS)
    return await _count(Payment, _payment_filters(actor, contract_id, line_id))


async def get_payment(actor: Actor, payment_id: int) -> PaymentOut:
    actor.require(*FINANCE_READERS)
    row = (
        await Payment.select(*_PAYMENT_COLUMNS, Payment.line.as_alias("line_of"))
        .where(Payment.id == payment_id)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy chứng từ thanh toán.", field="payment_id")
    await check_line(actor, row.pop("line_of"), "payment_id", "chứng từ thanh toán")
    return PaymentOut(**row)


async def _voucher_unused(contract_id: int, voucher_number: str) -> None:
    """A treasury voucher is recorded once per contract (under the contract's lock):
    the same number again is a resent or retyped payment, refused naming the earlier one."""
    earlier = (
        await Payment.select(Payment.id, Payment.paid_on, Payment.amount_vnd)
        .where(Payment.contract == contract_id, Payment.voucher_number == voucher_number)
        .order_by(Payment.id)
        .first()
    )
    if earlier is not None:
        raise Conflict(
            f"Số chứng từ {voucher_number} đã ghi cho hợp đồng này: thanh toán số {earlier['id']} "
            f"ngày {earlier['paid_on']:%d/%m/%Y}, {format_vnd(earlier['amount_vnd'])}.",
            field="voucher_number",
            code="voucher_recorded",
        )


async def _payment_out(payment_id: int) -> PaymentOut:
    return PaymentOut(**await must_find(Payment.select(*_PAYMENT_COLUMNS).where(Payment.id == payment_id)))


async def record_payment(actor: Actor, data: PaymentCreate) -> PaymentOut:
    """See :func:`_record_payment`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.payment.create",
        target="",
        body=data,
        out=PaymentOut,
        actor=actor,
        run=lambda: _record_payment(actor, data),
    )


async def _record_payment(actor: Actor, data: PaymentCreate) -> PaymentOut:
    """A disbursement against a contract (≤ its unpaid value, not before signing),
    or against an allocation for costs without contract (≤ what is left of it)."""
    actor.require(*FINANCE_WRITERS)
    if [data.contract_id, data.allocation_id, data.line_id].count(None) != 2:
        raise rules.RuleViolation(
            "contract_id",
            "ghi đúng một trong ba: hợp đồng (contract_id), phân bổ (allocation_id) hoặc dòng ngân sách (line_id)",
        )
    async with write_transaction():
        if data.contract_id is not None:
            contract = await _locked(Contract, data.contract_id, "hợp đồng", "contract_id", actor=actor)
            await _voucher_unused(contract["id"], data.voucher_number)
            paid = await _sum(Payment.amount_vnd, Payment.contract == contract["id"])
            rules.check_payment(
                contract["value_vnd"], paid, data.amount_vnd, data.paid_on, contract["signed_on"], today_vn()
            )
            line_id, allocation_id = contract["line"], contract["allocation"]
        elif data.line_id is not None:
            # Costs without contract straight on the line (central purchasing).
            line = await _locked(BudgetLine, data.line_id, "dòng ngân sách", "line_id", actor=actor)
            rules.check_amount(data.amount_vnd)
            rules.check_line_charge(line["amount_vnd"], await _line_charges(line["id"]), data.amount_vnd)
            if data.paid_on < line["decision_date"]:
                raise rules.RuleViolation("paid_on", "ngày thanh toán trước ngày quyết định giao dự toán")
            rules.check_payment_date(data.paid_on, today_vn())
            line_id, allocation_id = line["id"], None
        else:
            allocation = await _locked(Allocation, data.allocation_id, "phân bổ", "allocation_id", actor=actor)
            rules.check_amount(data.amount_vnd)
            rules.check_within(
                "allocation_remaining",
                allocation["amount_vnd"],
                await _allocation_used(allocation["id"]),
                data.amount_vnd,
            )
            decision = (
                await must_find(BudgetLine.select(BudgetLine.decision_date).where(BudgetLine.id == allocation["line"]))
            )["decision_date"]
            if data.paid_on < decision:
                raise rules.RuleViolation("paid_on", "ngày thanh toán trước ngày quyết định giao dự toán")
            rules.check_payment_date(data.paid_on, today_vn())
            line_id, allocation_id = allocation["line"], allocation["id"]
        payment = Payment(
            line=line_id,
            allocation=allocation_id,
            contract=data.contract_id,
            amount_vnd=data.amount_vnd,
            paid_on=data.paid_on,
            voucher_number=data.voucher_number,
            note=data.note,
            actor=_user(actor),
            created_at=now(),
        )
        await payment.save()
    return await _payment_out(payment.id)


async def reverse_payment(actor: Actor, payment_id: int, data: ReversalCreate) -> PaymentOut:
    """See :func:`_reverse_payment`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.payment.reverse",
        target=f"payment:{payment_id}",
        body=data,
        out=PaymentOut,
        actor=actor,
        run=lambda: _reverse_payment(actor, payment_id, data),
    )


async def _reverse_payment(actor: Actor, payment_id: int, data: ReversalCreate) -> PaymentOut:
    """A reversing entry (bút toán đảo): a negative payment naming the original;
    the original stays. Once per payment, never more than it, never below 0 net."""
    actor.require(*FINANCE_WRITERS)
    original = await Payment.select().where(Payment.id == payment_id).first()
    if original is None:
        raise NotFound("Không tìm thấy chứng từ thanh toán.", field="payment_id")
    await check_line(actor, original["line"], "payment_id", "chứng từ thanh toán")
    amount = -(data.amount_vnd if data.amount_vnd is not None else abs(original["amount_vnd"]))
    async with write_transaction():
        # Lock the same parent row a payment locks, so a reversal and a payment queue.
        if original["contract"]:
            await _locked(Contract, original["contract"], "hợp đồng", "contract_id", actor=actor)
            paid = await _sum(Payment.amount_vnd, Payment.contract == original["contract"])
        elif original["allocation"] is None:
            await _locked(BudgetLine, original["line"], "dòng ngân sách", "line_id", actor=actor)
            paid = (await _line_charges(original["line"])).paid_direct_vnd
        else:
            await _locked(Allocation, original["allocation"], "phân bổ", "allocation_id", actor=actor)
            paid = await _sum(
                Payment.amount_vnd, Payment.allocation == original["allocation"], Payment.contract.is_null()
            )
        already = await Payment.exists().where(Payment.reverses_payment == payment_id)
        rules.check_payment_date(data.paid_on, today_vn())
        rules.check_reversal(
            amount,
            original_amount_vnd=original["amount_vnd"],
            original_paid_on=original["paid_on"],
            original_already_reversed=already,
            paid_vnd=paid,
            reversed_on=data.paid_on,
        )
        if original["contract"]:
            await _voucher_unused(original["contract"], data.voucher_number)
        payment = Payment(
            line=original["line"],
            allocation=original["allocation"],
            contract=original["contract"],
            amount_vnd=amount,
            paid_on=data.paid_on,
            voucher_number=data.voucher_number,
            reverses_payment=payment_id,
            note=data.note,
            actor=_user(actor),
            created_at=now(),
        )
        await payment.save()
    return await _payment_out(payment.id)
