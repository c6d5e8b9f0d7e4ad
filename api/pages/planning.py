"""Planners' pages: the ranked list, shortage (table and chart), weights, a budget plan, downloads.

Plain GET forms: the filters, the weights and the plan all live in the
address, so a page can be bookmarked or sent, and its download buttons carry
the same parameters to the CSV / XLSX routes.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

import polars as pl
from litestar import Request, Response, get
from litestar.response import Template
from pydantic import ValidationError

from api.controllers.planning import FLEET_TABLES, fleet_file, plan_file, plan_scope, priority_file, shortage_file
from api.pages.common import page, render
from api.pages.forms import form_errors
from models.tables import Category, Province
from procurement.core import charts
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.heavy import run_heavy
from procurement.core.money import MoneyError, parse_vnd
from procurement.core.xlsx import scope_text
from procurement.planning import plans
from procurement.planning.fleet import CONDITION_NAMES_VI
from procurement.planning.plans import PlanRequest, WeightsIn
from procurement.planning.priority import PriorityWeights

PLANNERS = page(*plans.PLAN_READERS)
WEIGHT_FIELDS = {
    "age": "Tuổi so với niên hạn",
    "condition": "Tình trạng",
    "place": "Bộ phận một cửa",
    "shortage": "Xã thiếu máy tính",
    "remote": "Vùng sâu, vùng xa",
    "security": "An toàn thông tin",
    "repairs": "Chi phí sửa chữa so với nguyên giá",
}
PAGE_SIZE = 50


def _text(query: dict[str, str], name: str, max_length: int) -> str | None:
    value = (query.get(name) or "").strip()
    return value[:max_length] or None


def _number(query: dict[str, str], name: str, errors: dict[str, str], low: float, high: float) -> float | None:
    raw = (query.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = "Phải là một số."
        return None
    if not low <= value <= high:
        errors[name] = f"Phải từ {low:g} đến {high:g}."
        return None
    return value


def _form(request: Request) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(parsed values, errors by field, what was typed) from the query string."""
    query = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "province": _text(query, "province", 2),
        "commune": _text(query, "commune", 5),
        "category": _text(query, "category", 20),
        "min_score": _number(query, "min_score", errors, 0, 1_000_000),
        "offset": int(_number(query, "offset", errors, 0, 10_000_000) or 0),
        "weights": {k: _number(query, f"w_{k}", errors, 0, 1000) for k in WEIGHT_FIELDS},
    }
    budget_raw = (query.get("budget") or "").strip()
    values["budget"] = None
    if budget_raw:
        try:
            values["budget"] = parse_vnd(budget_raw)
        except MoneyError as error:
            errors["budget"] = str(error)
    values["min_share"] = _number(query, "min_share", errors, 0, 100)
    values["include_uninventoried"] = query.get("include_uninventoried") == "on"
    return values, errors, query


def _link(query: dict[str, str], **changes: Any) -> str:
    merged = {**query, **dict(changes.items())}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _plan_request(values: dict[str, Any]) -> PlanRequest:
    return PlanRequest(
        budget_vnd=values["budget"],
        province=values["province"],
        commune=values["commune"],
        min_share_per_commune=(values["min_share"] or 0) / 100,
        include_uninventoried=values["include_uninventoried"],
        min_score=values["min_score"] or 0,
        weights=WeightsIn(**values["weights"]),
    )


async def _choices(actor) -> tuple[list[dict], list[dict]]:
    query = Province.select(Province.code, Province.name).order_by(Province.name)
    if actor.province_code is not None:  # a provincial account plans its own province only
        query = query.where(Province.code == actor.province_code)
    provinces = await query
    categories = await Category.select(Category.code, Category.name).order_by(Category.name)
    return provinces, categories


@get("/planning", opt=PLANNERS, include_in_schema=False)
async def planning_page(request: Request) -> Template:
    values, errors, query = _form(request)
    provinces, categories = await _choices(request.user)
    area = await plans.area_of(request.user, values["province"], values["commune"])
    frames = await plans.read_area(area)
    weights = WeightsIn(**dict(values["weights"].items())).to_weights()
    ranked = await plans.ranked_list(
        area, weights=weights, category=values["category"], min_score=values["min_score"], frames=frames
    )
    shortage_rows = await plans.shortage(area, lacking_only=True, frames=frames)
    uninventoried = await plans.uninventoried_communes(area)
    shortage_rows = shortage_rows.filter(~pl.col("commune_code").is_in(sorted(uninventoried)))
    by_commune = plans.shortage_by_commune(shortage_rows)
    plan_rows = summary = None
    plan_error = None
    if values["budget"] is not None and not errors:
        try:
            plan_rows = await plans.plan(_plan_request(values), actor=request.user, frames=frames)
            summary = plans.plan_summary(plan_rows, values["budget"])
        except DomainError as error:
            plan_error = error.message
            errors["min_share" if error.field == "min_share_per_commune" else "budget"] = error.message
        except ValidationError:
            plan_error = errors["budget"] = "Số tiền quá lớn."
    offset = values["offset"]
    filter_query = _link(
        {k: v for k, v in query.items() if k in ("province", "commune", "category", "min_score") or k.startswith("w_")}
    )
    return render(
        request,
        "planning.html",
        values=values,
        typed=query,
        errors=errors,
        provinces=provinces,
        categories=categories,
        weight_fields=WEIGHT_FIELDS,
        weights_open=any(query.get(f"w_{k}") for k in WEIGHT_FIELDS),
        default_weights=PriorityWeights().model_dump(),
        used_weights=weights.model_dump(),
        ranked=ranked.slice(offset, PAGE_SIZE).to_dicts(),
        ranked_total=ranked.height,
        offset=offset,
        page_size=PAGE_SIZE,
        prev_link=_link(query, offset=max(offset - PAGE_SIZE, 0) or None) if offset else None,
        next_link=_link(query, offset=offset + PAGE_SIZE) if offset + PAGE_SIZE < ranked.height else None,
        shortage=by_commune.head(30).to_dicts(),
        uninventoried=sorted(uninventoried),
        shortage_communes=by_commune.height,
        shortage_totals={g: int(by_commune[g].sum() or 0) for g in ("computer", "printer", "scanner")},
        shortage_svg=await run_heavy(charts.shortage_bar_svg, shortage_rows, top=15),
        plan=plan_rows.filter(pl.col("included")).head(PAGE_SIZE).to_dicts() if plan_rows is not None else None,
        plan_left_out=plan_rows.filter(~pl.col("included")).head(10).to_dicts() if plan_rows is not None else None,
        summary=summary,
        plan_error=plan_error,
        filter_query=filter_query,
        plan_query=_link({k: v for k, v in query.items() if k != "offset"}),
        area_query=_link({k: v for k, v in query.items() if k in ("province", "commune")}),
    )


@get(["/planning/plan.csv", "/planning/plan.xlsx"], opt=PLANNERS, include_in_schema=False)
async def plan_download(request: Request) -> Response:
    """The plan of the page's form as CSV or XLSX (the API's POST routes take a JSON body)."""
    kind = "csv" if request.url.path.endswith(".csv") else "xlsx"
    values, errors, _ = _form(request)
    if errors or values["budget"] is None:
        message = next(iter(errors.values()), "Cần nhập số tiền.")
        return render(request, "error.html", status_code=400, message=message)
    try:
        rows = await plans.plan(_plan_request(values), actor=request.user)
    except (DomainError, ValidationError) as error:
        return render(request, "error.html", status_code=422, message=" ".join(form_errors(error).values()))
    return await plan_file(rows, kind, plan_scope(_plan_request(values)))


def _kind(request: Request) -> Literal["csv", "xlsx"]:
    return "csv" if request.url.path.endswith(".csv") else "xlsx"


def _refused(request: Request, errors: dict[str, str]) -> Response:
    return render(request, "error.html", status_code=400, message=" ".join(errors.values()))


@get(["/planning/priority.csv", "/planning/priority.xlsx"], opt=PLANNERS, include_in_schema=False)
async def priority_download(request: Request) -> Response:
    """The whole ranked list of the page's filters and weights, as the API's
    ``GET /api/planning/priority.csv|xlsx``."""
    values, errors, _ = _form(request)
    if errors:
        return _refused(request, errors)
    rows = await plans.ranked_list(
        await plans.area_of(request.user, values["province"], values["commune"]),
        weights=WeightsIn(**values["weights"]).to_weights(),
        category=values["category"],
        min_score=values["min_score"],
    )
    return await priority_file(rows, _kind(request), scope_text(values["province"], values["commune"]))


@get(["/planning/shortage.csv", "/planning/shortage.xlsx"], opt=PLANNERS, include_in_schema=False)
async def shortage_download(request: Request) -> Response:
    """The communes short of devices in the page's area (category if given), as the API's
    ``GET /api/planning/shortage.csv|xlsx`` (lacking rows only)."""
    values, errors, _ = _form(request)
    if errors:
        return _refused(request, errors)
    rows = await plans.shortage(
        await plans.area_of(request.user, values["province"], values["commune"]),
        category=values["category"],
        lacking_only=True,
    )
    return await shortage_file(rows, _kind(request), scope_text(values["province"], values["commune"]))


@get(["/planning/fleet.csv", "/planning/fleet.xlsx"], opt=PLANNERS, include_in_schema=False)
async def fleet_download(request: Request) -> Response:
    """One table of the fleet page (``table=by_commune|age|stocktake``) in its area and category, as
    the API's ``GET /api/planning/fleet.csv|xlsx``."""
    values, errors, _ = _form(request)
    table = request.query_params.get("table") or "by_commune"
    if table not in FLEET_TABLES:
        errors["table"] = "Bảng phải là by_commune, age hoặc stocktake."
    if errors:
        return _refused(request, errors)
    fleet = await plans.fleet(
        await plans.area_of(request.user, values["province"], values["commune"]), category=values["category"]
    )
    return await fleet_file(fleet, table, _kind(request), scope_text(values["province"], values["commune"]))


@get("/planning/fleet", opt=PLANNERS, include_in_schema=False)
async def fleet_page(request: Request) -> Template:
    values, errors, query = _form(request)
    provinces, categories = await _choices(request.user)
    result = await plans.fleet(
        await plans.area_of(request.user, values["province"], values["commune"]), category=values["category"]
    )
    totals = (
        result.by_commune.group_by("category_name", "condition")
        .agg(pl.col("devices").sum())
        .pivot("condition", index="category_name", values="devices")
        .fill_null(0)
        .sort("category_name")
    )
    stocktake = result.stocktake.filter(pl.col("devices") > 0).sort(["share", "commune_code"], nulls_last=True)
    devices = int(result.stocktake["devices"].sum() or 0)
    audited = int(result.stocktake["audited"].sum() or 0)
    return render(
        request,
        "planning_fleet.html",
        values=values,
        typed=query,
        errors=errors,
        provinces=provinces,
        categories=categories,
        condition_names=CONDITION_NAMES_VI,
        totals=totals.to_dicts(),
        devices=devices,
        audited=audited,
        since=result.since,
        lowest=stocktake.head(20).to_dicts(),
        condition_svg=await run_heavy(charts.fleet_condition_svg, result.by_commune),
        age_svg=await run_heavy(charts.age_profile_svg, result.age),
        filter_query=_link({k: v for k, v in query.items() if k in ("province", "commune", "category")}),
        today=today_vn(),
    )


PLANNING_PAGES = [planning_page, plan_download, priority_download, shortage_download, fleet_download, fleet_page]
