"""Assets: thin handlers that parse, call the register's use cases, and answer."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED
from pydantic import BaseModel

from api.errors import error_responses
from api.params import RowId
from api.security import ALL_ROLES, roles
from labels.tags import TagError, parse_tag
from procurement.core.errors import NotFound
from procurement.register import devices
from procurement.register.schemas import (
    AssetCreate,
    AssetFilter,
    AssetMove,
    AssetOut,
    AssetPage,
    AssetUpdate,
    Condition,
    ConditionReport,
    EventOut,
    FieldDevice,
    NotFoundReport,
    Status,
    StocktakeConfirm,
)

READ = roles(*ALL_ROLES)


def json_of(model: BaseModel) -> Response:
    """pydantic-core's own JSON encoder, for the reads every scan makes: a third of
    the time Litestar's generic path takes (model to Python, then to JSON)."""
    return Response(content=model.model_dump_json().encode(), media_type=MediaType.JSON)


WRITE = roles("admin", "staff")
CHANGE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


class AssetController(Controller):
    path = "/api/assets"
    tags = ["assets"]

    @get("/", opt=READ, responses=error_responses(400, 401, 422))
    async def list_assets(
        self,
        request: Request,
        province: Annotated[str | None, Parameter(max_length=2, description="Province code")] = None,
        commune: Annotated[str | None, Parameter(max_length=5, description="Commune code")] = None,
        category: Annotated[str | None, Parameter(max_length=20)] = None,
        status: FromQuery[Status | None] = None,
        condition: FromQuery[Condition | None] = None,
        min_age_years: Annotated[int | None, Parameter(ge=0, le=100)] = None,
        max_age_years: Annotated[int | None, Parameter(ge=0, le=100)] = None,
        q: Annotated[str | None, Parameter(max_length=100, description="Search, diacritics ignored")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Parameter(max_length=20)] = None,
    ) -> AssetPage:
        filters = AssetFilter(
            province=province,
            commune=commune,
            category=category,
            status=status,
            condition=condition,
            min_age_years=min_age_years,
            max_age_years=max_age_years,
            q=q,
        )
        items, total, next_cursor = await devices.list_assets(request.user, filters, limit=limit, cursor=cursor)
        return AssetPage(items=items, total=total, next_cursor=next_cursor)

    @post("/", opt=roles("admin", "staff", "finance"), status_code=HTTP_201_CREATED, responses=CHANGE_ERRORS)
    async def register_asset(self, request: Request, data: JSONBody[AssetCreate]) -> AssetOut:
        return await devices.register_asset(request.user, data)

    @get(
        "/field-list",
        opt=WRITE,
        responses=error_responses(401, 403, 422),
        description="The commune's devices, kept on a phone so a scanned label opens with no signal "
        "(staff: their commune; admin: `commune`).",
    )
    async def field_list(
        self,
        request: Request,
        commune: Annotated[str | None, Parameter(max_length=5, description="Commune code (admin)")] = None,
    ) -> list[FieldDevice]:
        return await devices.field_list(request.user, commune)

    @get("/{asset_id:int}", opt=READ, responses=error_responses(401, 404))
    async def get_asset(self, request: Request, asset_id: RowId) -> Response[AssetOut]:
        return json_of(await devices.get_asset(request.user, asset_id))

    @get("/by-tag/{tag:str}", opt=READ, responses=error_responses(400, 401, 404))
    async def get_by_tag(self, request: Request, tag: FromPath[str]) -> Response[AssetOut]:
        try:
            canonical = parse_tag(tag)
        except TagError as error:
            raise NotFound(error.message, field="tag") from None
        return json_of(await devices.get_asset_by_tag(request.user, canonical))

    @patch("/{asset_id:int}", opt=WRITE, responses=CHANGE_ERRORS)
    async def update_asset(self, request: Request, asset_id: RowId, data: JSONBody[AssetUpdate]) -> AssetOut:
        return await devices.update_asset(request.user, asset_id, data)

    @post("/{asset_id:int}/move", opt=WRITE, status_code=200, responses=CHANGE_ERRORS)
    async def move_asset(self, request: Request, asset_id: RowId, data: JSONBody[AssetMove]) -> AssetOut:
        return await devices.move_asset(request.user, asset_id, data)

    @post("/{asset_id:int}/condition", opt=WRITE, status_code=200, responses=CHANGE_ERRORS)
    async def report_condition(self, request: Request, asset_id: RowId, data: JSONBody[ConditionReport]) -> AssetOut:
        return await devices.report_condition(request.user, asset_id, data)

    @post("/{asset_id:int}/stocktake", opt=WRITE, status_code=200, responses=CHANGE_ERRORS)
    async def confirm_stocktake(self, request: Request, asset_id: RowId, data: JSONBody[StocktakeConfirm]) -> AssetOut:
        return await devices.confirm_stocktake(request.user, asset_id, data)

    @post(
        "/{asset_id:int}/not-found",
        opt=WRITE,
        status_code=200,
        responses=CHANGE_ERRORS,
        description="The device is not where the register says (also the open stocktake round's result).",
    )
    async def report_not_found(self, request: Request, asset_id: RowId, data: JSONBody[NotFoundReport]) -> AssetOut:
        return await devices.report_not_found(request.user, asset_id, data)

    @get("/{asset_id:int}/history", opt=READ, responses=error_responses(401, 404))
    async def asset_history(self, request: Request, asset_id: RowId) -> list[EventOut]:
        return [EventOut(**row) for row in await devices.asset_history(request.user, asset_id)]
