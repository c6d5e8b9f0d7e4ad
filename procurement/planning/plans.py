"""Planning use cases: read the register, run the reports, hand back frames.

Each function reads only the area asked for (:mod:`procurement.planning.frames`
pushes province / commune into the SQL), runs the pure reports of
:mod:`procurement.planning.priority` and :mod:`procurement.planning.fleet`, and collects at
this edge. The API, the pages and the CLI all call these, so a figure is the
same wherever it is read.

Filters
    ``province`` / ``commune`` choose the area read from the database. The
    ranked list is computed over the whole area, then cut by ``category`` and
    ``min_score``: a device keeps the rank it has in its area (rank 57 stays 57
    when only desktops are shown), and a commune's shortage is always counted
    over all its computers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from procurement.core.actor import Actor
from procurement.core.clock import VIETNAM, today_vn
from procurement.core.errors import DomainError, NotFound, broken_rule
from procurement.core.heavy import run_heavy
from procurement.finance.packages import ProcurementMethod
from procurement.finance.schemas import PackageOut
from procurement.planning import kept_ranking
from procurement.planning.fleet import age_profile, fleet_by_commune, stocktake_coverage
from procurement.planning.frames import RegisterFilter, RegisterFrames, load_register
from procurement.planning.priority import (
    DEFAULT_UNIT_PRICES,
    PriorityWeights,
    ShortageNorms,
    commune_shortage,
    replacement_plan,
)
from procurement.register.schemas import VND

SHORTAGE_GROUP_OF = {"desktop": "computer", "laptop": "computer", "printer": "printer", "scanner": "scanner"}
CategoryCode = str


@dataclass(frozen=True)
class Area:
    province: str | None = None
    commune: str | None = None


PLAN_READERS = ("admin", "planner", "finance", "national")


async def area_of(actor: Actor, province: str | None = None, commune: str | None = None) -> Area:
    """The area a report covers for ``actor``: without a province, the actor's own (national
    accounts: the country); another province, or a commune of one, answers 404."""
    from models.tables import Commune

    actor.require(*PLAN_READERS)
    province = actor.report_province(province)
    if commune is not None and not actor.is_national:
        found = await Commune.select(Commune.id).where(Commune.code == commune).first()
        if found is not None and not actor.sees_commune(found["id"]):
            raise NotFound("Không tìm thấy xã/phường.", field="commune")
    return Area(province, commune)


async def uninventoried_communes(area: Area) -> set[str]:
    """Codes of the area's communes with no device and no stocktake on record ("chưa kiểm kê"):
    their shortage is unknown, not the whole norm, so no plan buys for them unless asked."""
    from models.tables import Commune

    where, args = [], []
    if area.commune is not None:
        where.append("c.code = {}")
        args.append(area.commune)
    if area.province is not None:
        where.append("c.province IN (SELECT id FROM province WHERE code = {})")
        args.append(area.province)
    rows = await Commune.raw(
        "SELECT c.code AS code FROM commune c WHERE NOT EXISTS (SELECT 1 FROM asset a WHERE a.commune = c.id)"
        " AND NOT EXISTS (SELECT 1 FROM stocktake s WHERE s.commune = c.id)" + "".join(f" AND {w}" for w in where),
        *args,
    )
    return {r["code"] for r in rows}


async def read_area(area: Area) -> RegisterFrames:
    """The register of ``area``; pass it as ``frames=`` to run several reports on one read."""
    return await load_register(RegisterFilter(province=area.province, commune=area.commune))


# --- ranked list ---------------------------------------------------------------


def _ranked(area: Area, frames: RegisterFrames, *, today: dt.date, weights: PriorityWeights | None) -> pl.DataFrame:
    """``replacement_priority`` of the area's register, collected: kept between requests and scored
    again only where the register changed (:mod:`procurement.planning.kept_ranking`). CPU work."""
    assets, categories, communes = frames.assets.collect(), frames.categories.collect(), frames.communes.collect()
    return kept_ranking.ranked(area, assets, categories, communes, today=today, weights=weights).drop("_age")


async def ranked_list(
    area: Area,
    *,
    weights: PriorityWeights | None = None,
    category: str | None = None,
    min_score: float | None = None,
    on: dt.date | None = None,
    frames: RegisterFrames | None = None,
) -> pl.DataFrame:
    """The replacement priority of the area's devices, best first (see module doc for the filters)."""
    frames = frames or await read_area(area)
    # Kept between requests and scored again only where the register changed (kept_ranking).
    ranked = await run_heavy(_ranked, area, frames, today=on or today_vn(), weights=weights)
    if category is not None:
        ranked = ranked.filter(pl.col("category_code") == category)
    if min_score is not None:
        ranked = ranked.filter(pl.col("score") >= min_score)
    return ranked


# --- shortage --------------------------------------------------------------------


async def shortage(
    area: Area,
    *,
    norms: ShortageNorms | None = None,
    category: str | None = None,
    lacking_only: bool = False,
    frames: RegisterFrames | None = None,
) -> pl.DataFrame:
    """Needed / working / lacking per commune × (computer, printer, scanner).

    ``category`` may be a shortage group (computer, printer, scanner) or a
    category (desktop and laptop count as computer); other categories have no
    norm and give no rows.
    """
    frames = frames or await read_area(area)
    unknown = sorted(await uninventoried_communes(area))
    result = commune_shortage(frames.assets, frames.categories, frames.communes, norms).with_columns(
        (~pl.col("commune_code").is_in(unknown)).alias("inventoried")
    )
    if category is not None:
        group = category if category in ("computer", "printer", "scanner") else SHORTAGE_GROUP_OF.get(category)
        result = result.filter(pl.col("category_code") == group)
    if lacking_only:
        result = result.filter(pl.col("lacking") > 0)
    return await run_heavy(result.collect)


def shortage_by_commune(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per commune: lacking computers, printers, scanners and the total, most lacking first."""
    if rows.height == 0:
        return pl.DataFrame(
            schema={
                "commune_code": pl.String,
                "commune_name": pl.String,
                "province_code": pl.String,
                "computer": pl.Int64,
                "printer": pl.Int64,
                "scanner": pl.Int64,
                "total": pl.Int64,
            }
        )
    wide = rows.pivot("category_code", index=["commune_code", "commune_name", "province_code"], values="lacking")
    for group in ("computer", "printer", "scanner"):
        if group not in wide.columns:
            wide = wide.with_columns(pl.lit(0, dtype=pl.Int64).alias(group))
    return (
        wide.with_columns(pl.col("computer", "printer", "scanner").fill_null(0))
        .with_columns((pl.col("computer") + pl.col("printer") + pl.col("scanner")).alias("total"))
        .filter(pl.col("total") > 0)
        .sort(["total", "commune_code"], descending=[True, False])
        .select("commune_code", "commune_name", "province_code", "computer", "printer", "scanner", "total")
    )


# --- plan ---------------------------------------------------------------------------


class WeightsIn(BaseModel):
    """Weights to change for one request (each 0–1000; unset = the documented default of
    :class:`procurement.planning.priority.PriorityWeights`: age 40, condition 25, place 10,
    shortage 10, remote 5, security 10, repairs 10)."""

    model_config = ConfigDict(extra="forbid")
    age: float | None = Field(default=None, ge=0, le=1000)
    condition: float | None = Field(default=None, ge=0, le=1000)
    place: float | None = Field(default=None, ge=0, le=1000)
    shortage: float | None = Field(default=None, ge=0, le=1000)
    remote: float | None = Field(default=None, ge=0, le=1000)
    security: float | None = Field(default=None, ge=0, le=1000)
    repairs: float | None = Field(default=None, ge=0, le=1000)

    def to_weights(self) -> PriorityWeights:
        return PriorityWeights(**self.model_dump(exclude_none=True))


class CommuneBudget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    commune_code: str = Field(min_length=1, max_length=5)
    budget_vnd: VND


class PlanRequest(BaseModel):
    """What to plan: the money, the area, and the knobs of :func:`replacement_plan`.

    * ``budget_vnd``: the amount to spend (e.g. a budget line's remainder).
    * ``commune_budgets``: optional, each commune's own allocation; communes
      not listed get nothing. The plan stays within each and within ``budget_vnd``.
    * ``unit_prices``: VND per category code (desktop, laptop, printer,
      scanner, monitor, network, ups; "computer" for new computers of a
      shortage); missing ones take :data:`procurement.planning.priority.DEFAULT_UNIT_PRICES`.
    * ``min_share_per_commune``: each commune first gets up to this share of
      the budget for its own top items (0 = pure priority order).
    * ``min_score``: replacements at or below this score are never bought.
    """

    model_config = ConfigDict(extra="forbid")
    budget_vnd: VND | None = Field(default=None, description="The amount; or give line_id to plan its remainder")
    line_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        validate_default=True,
        description="Plan what is still free on this budget line (not under contract nor paid)",
    )
    use_allocations: bool = Field(
        default=False, description="With line_id: cut each commune to what is free of its own allocation"
    )
    province: str | None = Field(default=None, min_length=1, max_length=2)
    commune: str | None = Field(default=None, min_length=1, max_length=5)
    unit_prices: dict[str, VND] = Field(default_factory=dict, max_length=20)
    commune_budgets: list[CommuneBudget] | None = Field(default=None, max_length=4000)
    min_share_per_commune: float = Field(default=0.0, ge=0, le=1)
    min_score: float = Field(default=0.0, ge=0, le=1_000_000)
    weights: WeightsIn = Field(default_factory=WeightsIn)
    include_uninventoried: bool = Field(
        default=False,
        description="Also plan for communes with no device and no stocktake on record (chưa kiểm kê);"
        " by default they get nothing",
    )
    include_communes: list[str] | None = Field(
        default=None,
        max_length=4000,
        description="Communes not yet inventoried to plan for all the same (codes); a commune named in"
        " commune or commune_budgets is included too",
    )

    @field_validator("line_id")
    @classmethod
    def _some_money(cls, line_id: int | None, info: ValidationInfo) -> int | None:
        if line_id is None and info.data.get("budget_vnd") is None:
            raise broken_rule("Cần số tiền (budget_vnd) hoặc dòng ngân sách (line_id).")
        return line_id

    @field_validator("use_allocations")
    @classmethod
    def _allocations_of_a_line(cls, use: bool, info: ValidationInfo) -> bool:
        if use and info.data.get("line_id") is None:
            raise broken_rule("Chỉ dùng cùng với dòng ngân sách (line_id).")
        return use


async def with_line_budget(actor: Actor, request: PlanRequest) -> PlanRequest:
    """Fill the money from the budget line: its remainder (capped by an explicit
    ``budget_vnd``), and with ``use_allocations`` each commune's free allocation."""
    if request.line_id is None:
        return request
    from procurement.finance import budget

    line_free, commune_free = await budget.uncommitted(actor, request.line_id)
    if request.province is None:  # a line's plan covers the line's province
        request = request.model_copy(update={"province": (await budget.get_line(actor, request.line_id)).province_code})
    amount = line_free if request.budget_vnd is None else min(request.budget_vnd, line_free)
    if request.use_allocations:
        line_free_total = sum(commune_free.values())
        amount = line_free_total if request.budget_vnd is None else min(request.budget_vnd, line_free_total)
        communes = [CommuneBudget(commune_code=code, budget_vnd=free) for code, free in sorted(commune_free.items())]
        return request.model_copy(update={"budget_vnd": amount, "commune_budgets": communes})
    return request.model_copy(update={"budget_vnd": amount})


def _check_prices(prices: dict[str, int], known: set[str]) -> None:
    for code, price in prices.items():
        if code not in known and code != "computer":
            raise DomainError(f"Không có loại thiết bị '{code}'.", field=f"unit_prices.{code}")
        if price <= 0:
            raise DomainError("Đơn giá phải lớn hơn 0.", field=f"unit_prices.{code}")


async def plan(
    request: PlanRequest, *, actor: Actor, on: dt.date | None = None, frames: RegisterFrames | None = None
) -> pl.DataFrame:
    """The plan under the budget: every candidate in rank order, included or not, and why.
    Inside the actor's province (see :func:`area_of`); communes not yet inventoried get
    nothing unless the request includes them."""
    if request.budget_vnd is None:
        raise DomainError("Cần số tiền của kế hoạch (budget_vnd).", field="budget_vnd")
    area = await area_of(actor, request.province, request.commune)
    frames = frames or await read_area(area)
    if not request.include_uninventoried:
        named = set(request.include_communes or []) | {request.commune} - {None}
        named |= {b.commune_code for b in request.commune_budgets or []}
        left_out = sorted(await uninventoried_communes(area) - named)
        if left_out:
            frames = RegisterFrames(
                frames.assets, frames.categories, frames.communes.filter(~pl.col("commune_code").is_in(left_out))
            )
    known = set(frames.categories.collect()["category_code"].to_list()) | set(DEFAULT_UNIT_PRICES)
    _check_prices(request.unit_prices, known)
    budgets = None
    if request.commune_budgets is not None:
        codes = [b.commune_code for b in request.commune_budgets]
        if len(set(codes)) != len(codes):
            raise DomainError("Một xã được ghi ngân sách hai lần.", field="commune_budgets")
        budgets = pl.LazyFrame(
            {"commune_code": codes, "budget_vnd": [b.budget_vnd for b in request.commune_budgets]},
            schema={"commune_code": pl.String, "budget_vnd": pl.Int64},
        )
    ranked = await run_heavy(
        _ranked,
        Area(request.province, request.commune),
        frames,
        today=on or today_vn(),
        weights=request.weights.to_weights(),
    )
    priority = ranked.lazy()
    short = commune_shortage(frames.assets, frames.categories, frames.communes)
    try:
        planned = replacement_plan(
            priority,
            short,
            budget_vnd=request.budget_vnd,
            unit_prices=request.unit_prices,
            per_commune_budget=budgets,
            min_share_per_commune=request.min_share_per_commune,
            min_score=request.min_score,
        )
        return await run_heavy(planned.collect)
    except ValueError as error:  # the pure function's own checks, e.g. a too large minimum share
        if "min_share" in str(error):
            raise DomainError(
                "Tỷ lệ tối thiểu cho mỗi xã nhân với số xã vượt quá toàn bộ ngân sách.",
                field="min_share_per_commune",
            ) from None
        raise DomainError(str(error)) from None


def plan_summary(plan_rows: pl.DataFrame, budget_vnd: int) -> dict:
    """Totals of a plan, counted again from its lines (whole VND)."""
    included = plan_rows.filter(pl.col("included"))
    spent = int(included["unit_price_vnd"].sum() or 0)
    return {
        "budget_vnd": budget_vnd,
        "spent_vnd": spent,
        "left_vnd": budget_vnd - spent,
        "candidates": plan_rows.height,
        "included": included.height,
        "replacements": included.filter(pl.col("item_kind") == "replace").height,
        "new_devices": included.filter(pl.col("item_kind") == "new").height,
        "communes": included["commune_code"].n_unique(),
    }


# --- fleet ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    by_commune: pl.DataFrame
    age: pl.DataFrame
    stocktake: pl.DataFrame
    since: dt.datetime


async def fleet(
    area: Area, *, category: str | None = None, since: dt.date | None = None, on: dt.date | None = None
) -> Fleet:
    """Devices by commune × category × condition, age profile, stocktake coverage since ``since``
    (default: one year before today)."""
    on = on or today_vn()
    since_day = since or on - dt.timedelta(days=365)
    since_at = dt.datetime.combine(since_day, dt.time(), tzinfo=VIETNAM)
    frames = await load_register(RegisterFilter(province=area.province, commune=area.commune, category=category))
    categories = frames.categories
    if category is not None:
        categories = categories.filter(pl.col("category_code") == category)
    by_commune, age, stocktake = await run_heavy(
        pl.collect_all,
        [
            fleet_by_commune(frames.assets, categories, frames.communes),
            age_profile(frames.assets, categories, on),
            stocktake_coverage(frames.assets, frames.communes, since_at),
        ],
    )
    return Fleet(by_commune=by_commune, age=age, stocktake=stocktake, since=since_at)


# --- saving a plan as procurement packages ------------------------------------------


class SavePlanRequest(BaseModel):
    """Save the plan that ``plan`` gives as procurement packages (gói thầu) of budget line
    ``line_id``: one per commune × category (see :func:`procurement.planning.plan_packages.plan_packages`),
    each under the commune's allocation of that line when it has one."""

    model_config = ConfigDict(extra="forbid")
    plan: PlanRequest
    line_id: int = Field(ge=1, le=2**31 - 1)
    method: ProcurementMethod = ProcurementMethod.COMPETITIVE_QUOTATION


async def save_plan_as_packages(actor: Actor, request: SavePlanRequest) -> list[PackageOut]:
    """All packages in one short transaction: either the whole plan is saved or nothing.

    The plan is drawn inside the line's province (a plan without a province gets it; another
    province, or a commune outside it, is refused) and from what is free on the line: the plan's
    money is capped by the line's free amount, and at saving the estimates are checked again,
    under a lock, against what is free less the open packages already saved on the line.
    The ranking runs before the transaction; the transaction only inserts, in bulk."""
    from models.procurement import Allocation
    from models.tables import Commune
    from procurement.finance import budget
    from procurement.finance.schemas import ItemIn, PackageCreate
    from procurement.planning.plan_packages import plan_packages

    actor.require("admin", "planner")
    line = await budget.get_line(actor, request.line_id)
    wanted = request.plan
    if wanted.line_id is not None and wanted.line_id != request.line_id:
        raise DomainError("Kế hoạch phải lấy tiền từ chính dòng ngân sách lưu gói thầu.", field="plan.line_id")
    if wanted.province is not None and wanted.province != line.province_code:
        raise DomainError(
            f"Dòng ngân sách thuộc tỉnh mã {line.province_code}: kế hoạch không được lập cho tỉnh khác.",
            field="plan.province",
        )
    if wanted.commune is not None:
        found = (
            await Commune.select(Commune.province.code.as_alias("province"))
            .where(Commune.code == wanted.commune)
            .first()
        )
        if found is None or found["province"] != line.province_code:
            raise DomainError("Xã không thuộc tỉnh của dòng ngân sách.", field="plan.commune")
    free, _ = await budget.free_for_packages(request.line_id)
    capped = min(wanted.budget_vnd, free) if wanted.budget_vnd is not None else free
    if wanted.use_allocations:
        wanted = await with_line_budget(actor, wanted.model_copy(update={"line_id": request.line_id}))
        capped = min(capped, wanted.budget_vnd or 0)
    wanted = wanted.model_copy(update={"province": line.province_code, "line_id": None, "budget_vnd": capped})
    if capped <= 0:
        raise DomainError(
            "Dòng ngân sách không còn tiền chưa dùng (đã có hợp đồng, thanh toán hoặc gói thầu đang lập).",
            field="line_id",
            code="line_exhausted",
        )
    packages = await run_heavy(plan_packages(await plan(wanted, actor=actor)).collect)
    if packages.height == 0:
        raise DomainError("Kế hoạch chưa chọn thiết bị nào: không có gói thầu để lưu.", field="plan.budget_vnd")
    allocations: dict[str, int] = {}
    for row in (
        await Allocation.select(Allocation.id, Allocation.commune.code.as_alias("code"))
        .where(Allocation.line == request.line_id)
        .order_by(Allocation.id)
    ):
        if row["code"] is not None:
            allocations.setdefault(row["code"], row["id"])
    ids = await budget.create_packages(
        actor,
        request.line_id,
        [
            PackageCreate(
                line_id=request.line_id,
                allocation_id=allocations.get(package["commune_code"]),
                name=package["name"][:300],
                method=request.method,
                estimate_vnd=package["estimate_vnd"],
                items=[ItemIn(category=package["category_code"], quantity=package["quantity"])],
            )
            for package in packages.iter_rows(named=True)
        ],
    )
    return [await budget.get_package(actor, package_id) for package_id in ids]
