"""Planning reports: ranked replacement list, shortage, plan under a budget, fleet overview.

Thin handlers: parse the filters, call :mod:`procurement.planning.plans`, shape a
page of rows or a file. Every report has JSON, ``.csv`` and ``.xlsx``; the
shortage and the fleet also an ``.svg`` chart.

Who may call: planners and admins everything; the finance department reads
(also computing a plan, which writes nothing). Commune staff none: the
ranking compares communes with each other, which is the province's business.

Weights of the ranked list are query parameters ``w_age``, ``w_condition``,
``w_place``, ``w_shortage``, ``w_remote``, ``w_security``, ``w_repairs`` (defaults 40, 25,
10, 10, 5, 10, 10); the plan takes them in its body as ``weights``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import polars as pl
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, Parameter
from pydantic import BaseModel, Field

from api.errors import error_responses
from api.security import roles
from procurement.core import charts
from procurement.core.clock import today_vn
from procurement.core.heavy import run_heavy
from procurement.core.xlsx import (
    CSV_MEDIA_TYPE,
    PLAN_COLUMNS,
    PRIORITY_COLUMNS,
    XLSX_MEDIA_TYPE,
    Column,
    scope_text,
    write_csv,
    write_xlsx,
)
from procurement.finance.schemas import PackageOut
from procurement.planning import plans
from procurement.planning.plans import PlanRequest, WeightsIn

READ = roles("admin", "planner", "finance", "national")
CSV = CSV_MEDIA_TYPE
XLSX = XLSX_MEDIA_TYPE
SVG = "image/svg+xml"
READ_ERRORS = error_responses(400, 401, 403, 404)  # 404: another province or its commune

Province = Annotated[str | None, Parameter(min_length=1, max_length=2, description="Province code")]
Commune = Annotated[str | None, Parameter(min_length=1, max_length=5, description="Commune code")]
CategoryParam = Annotated[str | None, Parameter(min_length=1, max_length=20, description="Category code, e.g. desktop")]
Limit = Annotated[int, Parameter(ge=1, le=500)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]
MinScore = Annotated[float | None, Parameter(ge=0, le=1_000_000, description="Only rows scoring at least this")]
Weight = Annotated[float | None, Parameter(ge=0, le=1000)]


def provide_weights(
    w_age: Weight = None,
    w_condition: Weight = None,
    w_place: Weight = None,
    w_shortage: Weight = None,
    w_remote: Weight = None,
    w_security: Weight = None,
    w_repairs: Weight = None,
) -> WeightsIn:
    return WeightsIn(
        age=w_age,
        condition=w_condition,
        place=w_place,
        shortage=w_shortage,
        remote=w_remote,
        security=w_security,
        repairs=w_repairs,
    )


# --- answers ------------------------------------------------------------------


class PriorityRow(BaseModel):
    rank: int
    asset_id: int
    tag: str
    commune_code: str | None
    commune_name: str | None
    province_code: str | None
    category_code: str | None
    category_name: str | None
    make: str | None
    model: str | None
    status: str
    condition: str
    location: str | None
    age_years: float | None
    years_over_life: float | None
    age_part: float
    condition_part: float
    place_part: float
    shortage_part: float
    remote_part: float
    security_part: float
    repair_part: float = Field(0.0, description="Repairs in all against the original cost")
    score: float
    reason: str | None


class PriorityPage(BaseModel):
    total: int
    offset: int
    limit: int
    weights: dict[str, float] = Field(description="The weights used")
    items: list[PriorityRow]


class ShortageRow(BaseModel):
    commune_code: str
    commune_name: str | None
    province_code: str | None
    category_code: str = Field(description="computer, printer or scanner")
    needed: int
    working: int
    lacking: int
    inventoried: bool = Field(
        default=True, description="False: no device and no stocktake on record (chưa kiểm kê); not planned for"
    )


class ShortagePage(BaseModel):
    total: int
    offset: int
    limit: int
    lacking_devices: dict[str, int] = Field(description="Devices lacking over the whole selection, per kind")
    items: list[ShortageRow]


class PlanLine(BaseModel):
    rank: int
    item_kind: str = Field(description="replace: an existing device; new: a device a commune lacks")
    asset_id: int | None
    tag: str | None
    commune_code: str | None
    commune_name: str | None
    category_code: str
    unit_price_vnd: int
    score: float
    included: bool
    running_total_vnd: int
    reason: str | None
    excluded_reason: str | None


class PlanSummary(BaseModel):
    budget_vnd: int
    spent_vnd: int
    left_vnd: int
    candidates: int
    included: int
    replacements: int
    new_devices: int
    communes: int


class PlanAnswer(BaseModel):
    summary: PlanSummary
    total: int = Field(description="Lines matching included_only")
    offset: int
    limit: int
    items: list[PlanLine]


class FleetRow(BaseModel):
    commune_code: str
    commune_name: str | None
    province_code: str | None
    category_code: str
    category_name: str | None
    condition: str
    condition_name: str
    devices: int


class AgeRow(BaseModel):
    category_code: str
    category_name: str
    age_band: str
    age_band_name: str
    devices: int


class StocktakeRow(BaseModel):
    commune_code: str
    commune_name: str
    province_code: str
    devices: int
    audited: int
    share: float | None


class FleetAnswer(BaseModel):
    since: dt.datetime = Field(description="Stocktake coverage counts audits at or after this time")
    total: int = Field(description="Rows of by_commune")
    offset: int
    limit: int
    by_commune: list[FleetRow]
    age_profile: list[AgeRow]
    stocktake: list[StocktakeRow] = Field(description="Same paging as by_commune, over communes")
    stocktake_total: int


# --- files ---------------------------------------------------------------------

SHORTAGE_COLUMNS = [
    Column("province_code", "Mã tỉnh"),
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("category_code", "Loại", vocabulary="category_group"),
    Column("needed", "Cần", "int"),
    Column("working", "Đang dùng được", "int"),
    Column("lacking", "Còn thiếu", "int"),
]
FLEET_COLUMNS = [
    Column("province_code", "Mã tỉnh"),
    Column("province_name", "Tỉnh"),
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("category_name", "Loại thiết bị"),
    Column("condition_name", "Tình trạng"),
    Column("devices", "Số thiết bị", "int"),
]
AGE_COLUMNS = [
    Column("category_name", "Loại thiết bị"),
    Column("age_band_name", "Tuổi"),
    Column("devices", "Số thiết bị", "int"),
]
STOCKTAKE_COLUMNS = [
    Column("province_code", "Mã tỉnh"),
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã"),
    Column("devices", "Số thiết bị", "int"),
    Column("audited", "Đã kiểm kê", "int"),
    Column("share", "Tỷ lệ", "share"),
]


def _file(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _stamp() -> str:
    return today_vn().strftime("%Y%m%d")


async def _table_file(
    frame: pl.DataFrame,
    columns: list[Column],
    kind: Literal["csv", "xlsx"],
    sheet: str,
    name: str,
    title: str | None = None,
    scope: str | None = None,
) -> Response[bytes]:
    """The frame as a CSV or XLSX download (titled with its scope), written off the event loop."""
    if kind == "csv":
        return _file(await run_heavy(write_csv, frame, columns), CSV, f"{name}-{_stamp()}.csv")
    content = await run_heavy(write_xlsx, frame, columns, sheet, title=title or sheet, scope=scope)
    return _file(content, XLSX, f"{name}-{_stamp()}.xlsx")


async def priority_file(rows: pl.DataFrame, kind: Literal["csv", "xlsx"], scope: str | None = None) -> Response[bytes]:
    return await _table_file(
        rows,
        PRIORITY_COLUMNS,
        kind,
        "Ưu tiên thay thế",
        "uu-tien-thay-the",
        "Danh sách ưu tiên thay thế thiết bị",
        scope,
    )


async def shortage_file(rows: pl.DataFrame, kind: Literal["csv", "xlsx"], scope: str | None = None) -> Response[bytes]:
    return await _table_file(
        rows, SHORTAGE_COLUMNS, kind, "Thiếu thiết bị", "thieu-thiet-bi", "Xã thiếu thiết bị", scope
    )


async def plan_file(rows: pl.DataFrame, kind: Literal["csv", "xlsx"], scope: str | None = None) -> Response[bytes]:
    return await _table_file(
        rows, PLAN_COLUMNS, kind, "Kế hoạch", "ke-hoach-thay-the", "Kế hoạch thay thế và mua mới thiết bị", scope
    )


FleetTable = Literal["by_commune", "age", "stocktake"]
FLEET_TABLES = {
    "by_commune": ("by_commune", FLEET_COLUMNS, "Thiết bị theo xã", "thiet-bi-theo-xa"),
    "age": ("age", AGE_COLUMNS, "Tuổi thiết bị", "tuoi-thiet-bi"),
    "stocktake": ("stocktake", STOCKTAKE_COLUMNS, "Kiểm kê", "kiem-ke"),
}


async def fleet_file(
    fleet: plans.Fleet, table: str, kind: Literal["csv", "xlsx"], scope: str | None = None
) -> Response[bytes]:
    attribute, columns, sheet, name = FLEET_TABLES[table]
    return await _table_file(getattr(fleet, attribute), columns, kind, sheet, name, sheet, scope)


def plan_scope(data: PlanRequest) -> str:
    """The plan's scope for its title: the budget line, else the area."""
    area = scope_text(getattr(data, "province", None), getattr(data, "commune", None))
    return f"dòng ngân sách số {data.line_id}, {area}" if data.line_id else area


def _svg(svg: str) -> Response[str]:
    return Response(svg, media_type=SVG)


# --- routes ----------------------------------------------------------------------


class PlanningController(Controller):
    path = "/api/planning"
    tags = ["planning"]
    # Not named "weights": Litestar reports a body error keyed "weights" (the plan's own field) as a
    # failure of the dependency of that name, i.e. a 500.
    dependencies = {"rank_weights": Provide(provide_weights, sync_to_thread=False)}

    async def _ranked(
        self, request: Request, province, commune, category, min_score, weights: WeightsIn
    ) -> pl.DataFrame:
        return await plans.ranked_list(
            await plans.area_of(request.user, province, commune),
            weights=weights.to_weights(),
            category=category,
            min_score=min_score,
        )

    @get("/priority", opt=READ, responses=READ_ERRORS)
    async def priority(
        self,
        request: Request,
        rank_weights: NamedDependency[WeightsIn],
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        min_score: MinScore = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PriorityPage:
        """Devices ranked for replacement, with the parts of the score and the reason."""
        rows = await self._ranked(request, province, commune, category, min_score, rank_weights)
        page = rows.slice(offset, limit)
        return PriorityPage(
            total=rows.height,
            offset=offset,
            limit=limit,
            weights=rank_weights.to_weights().model_dump(
                include={"age", "condition", "place", "shortage", "remote", "security", "repairs"}
            ),
            items=[PriorityRow(**r) for r in page.to_dicts()],
        )

    @get("/priority.csv", opt=READ, responses=READ_ERRORS, media_type=CSV)
    async def priority_csv(
        self,
        request: Request,
        rank_weights: NamedDependency[WeightsIn],
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        min_score: MinScore = None,
    ) -> Response[bytes]:
        """The whole ranked list as CSV (UTF-8 with BOM, Vietnamese headers)."""
        return await priority_file(
            await self._ranked(request, province, commune, category, min_score, rank_weights), "csv"
        )

    @get("/priority.xlsx", opt=READ, responses=READ_ERRORS, media_type=XLSX)
    async def priority_xlsx(
        self,
        request: Request,
        rank_weights: NamedDependency[WeightsIn],
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        min_score: MinScore = None,
    ) -> Response[bytes]:
        """The whole ranked list as an Excel workbook."""
        rows = await self._ranked(request, province, commune, category, min_score, rank_weights)
        return await priority_file(rows, "xlsx", scope_text(province, commune))

    @get("/shortage", opt=READ, responses=READ_ERRORS)
    async def shortage(
        self,
        request: Request,
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        lacking_only: FromQuery[bool] = True,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> ShortagePage:
        """Needed, working and lacking computers, printers and scanners per commune."""
        rows = await plans.shortage(
            await plans.area_of(request.user, province, commune), category=category, lacking_only=lacking_only
        )
        totals = dict.fromkeys(("computer", "printer", "scanner"), 0)
        for group, lacking in rows.group_by("category_code").agg(pl.col("lacking").sum()).iter_rows():
            totals[group] = int(lacking)
        return ShortagePage(
            total=rows.height,
            offset=offset,
            limit=limit,
            lacking_devices=totals,
            items=[ShortageRow(**r) for r in rows.slice(offset, limit).to_dicts()],
        )

    @get("/shortage.csv", opt=READ, responses=READ_ERRORS, media_type=CSV)
    async def shortage_csv(
        self,
        request: Request,
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        lacking_only: FromQuery[bool] = True,
    ) -> Response[bytes]:
        rows = await plans.shortage(
            await plans.area_of(request.user, province, commune), category=category, lacking_only=lacking_only
        )
        return await shortage_file(rows, "csv")

    @get("/shortage.xlsx", opt=READ, responses=READ_ERRORS, media_type=XLSX)
    async def shortage_xlsx(
        self,
        request: Request,
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        lacking_only: FromQuery[bool] = True,
    ) -> Response[bytes]:
        rows = await plans.shortage(
            await plans.area_of(request.user, province, commune), category=category, lacking_only=lacking_only
        )
        return await shortage_file(rows, "xlsx", scope_text(province, commune))

    @get("/shortage.svg", opt=READ, responses=READ_ERRORS, media_type=SVG)
    async def shortage_svg(
        self,
        request: Request,
        province: Province = None,
        commune: Commune = None,
        top: Annotated[int, Parameter(ge=1, le=50)] = 15,
    ) -> Response[str]:
        """Bar chart of the communes lacking the most devices."""
        rows = await plans.shortage(await plans.area_of(request.user, province, commune), lacking_only=True)
        return _svg(await run_heavy(charts.shortage_bar_svg, rows, top=top))

    @post("/plan", opt=READ, status_code=200, responses=error_responses(400, 401, 403, 404, 422))
    async def plan(
        self,
        request: Request,
        data: JSONBody[PlanRequest],
        included_only: FromQuery[bool] = False,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> PlanAnswer:
        """The highest-priority replacements and missing devices that fit the budget (nothing is saved)."""
        data = await plans.with_line_budget(request.user, data)
        rows = await plans.plan(data, actor=request.user)
        summary = plans.plan_summary(rows, data.budget_vnd)
        if included_only:
            rows = rows.filter(pl.col("included"))
        return PlanAnswer(
            summary=PlanSummary(**summary),
            total=rows.height,
            offset=offset,
            limit=limit,
            items=[PlanLine(**r) for r in rows.slice(offset, limit).to_dicts()],
        )

    @post("/plan.csv", opt=READ, status_code=200, responses=error_responses(400, 401, 403, 404, 422), media_type=CSV)
    async def plan_csv(self, request: Request, data: JSONBody[PlanRequest]) -> Response[bytes]:
        return await plan_file(
            await plans.plan(await plans.with_line_budget(request.user, data), actor=request.user), "csv"
        )

    @post("/plan.xlsx", opt=READ, status_code=200, responses=error_responses(400, 401, 403, 404, 422), media_type=XLSX)
    async def plan_xlsx(self, request: Request, data: JSONBody[PlanRequest]) -> Response[bytes]:
        return await plan_file(
            await plans.plan(await plans.with_line_budget(request.user, data), actor=request.user),
            "xlsx",
            plan_scope(data),
        )

    @post(
        "/plan/packages",
        opt=roles("admin", "planner"),
        status_code=201,
        responses=error_responses(400, 401, 403, 404, 422),
    )
    async def save_plan(self, request: Request, data: JSONBody[plans.SavePlanRequest]) -> list[PackageOut]:
        """Save the plan as procurement packages (one per commune × category, status planned) of a budget line."""
        return await plans.save_plan_as_packages(request.user, data)

    @get("/fleet", opt=READ, responses=READ_ERRORS)
    async def fleet(
        self,
        request: Request,
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        since: Annotated[dt.date | None, Parameter(description="Stocktake since; default a year ago")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> FleetAnswer:
        """Devices by commune × category × condition, age profile, stocktake coverage."""
        result = await plans.fleet(await plans.area_of(request.user, province, commune), category=category, since=since)
        return FleetAnswer(
            since=result.since,
            total=result.by_commune.height,
            offset=offset,
            limit=limit,
            by_commune=[FleetRow(**r) for r in result.by_commune.slice(offset, limit).to_dicts()],
            age_profile=[AgeRow(**r) for r in result.age.to_dicts()],
            stocktake=[StocktakeRow(**r) for r in result.stocktake.slice(offset, limit).to_dicts()],
            stocktake_total=result.stocktake.height,
        )

    @get("/fleet.csv", opt=READ, responses=READ_ERRORS, media_type=CSV)
    async def fleet_csv(
        self,
        request: Request,
        table: FromQuery[FleetTable] = "by_commune",
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        since: FromQuery[dt.date | None] = None,
    ) -> Response[bytes]:
        """One table of the fleet overview (by_commune, age or stocktake) as CSV."""
        return await fleet_file(
            await plans.fleet(await plans.area_of(request.user, province, commune), category=category, since=since),
            table,
            "csv",
        )

    @get("/fleet.xlsx", opt=READ, responses=READ_ERRORS, media_type=XLSX)
    async def fleet_xlsx(
        self,
        request: Request,
        table: FromQuery[FleetTable] = "by_commune",
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
        since: FromQuery[dt.date | None] = None,
    ) -> Response[bytes]:
        """One table of the fleet overview (by_commune, age or stocktake) as Excel."""
        fleet = await plans.fleet(await plans.area_of(request.user, province, commune), category=category, since=since)
        return await fleet_file(fleet, table, "xlsx", scope_text(province, commune))

    @get("/fleet.svg", opt=READ, responses=READ_ERRORS, media_type=SVG)
    async def fleet_svg(
        self,
        request: Request,
        chart: FromQuery[Literal["condition", "age"]] = "condition",
        province: Province = None,
        commune: Commune = None,
        category: CategoryParam = None,
    ) -> Response[str]:
        """Chart of the fleet: devices per category by condition, or by age band."""
        result = await plans.fleet(await plans.area_of(request.user, province, commune), category=category)
        svg = await (
            run_heavy(charts.fleet_condition_svg, result.by_commune)
            if chart == "condition"
            else run_heavy(charts.age_profile_svg, result.age)
        )
        return _svg(svg)
