"""Stocktakes: start, the device list for the phone, batched sync, finish, report; coverage."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED
from pydantic import BaseModel

from api.errors import error_responses
from api.params import RowId
from api.security import ALL_ROLES, roles
from procurement.core.heavy import run_heavy
from procurement.core.xlsx import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from procurement.register import stocktake
from procurement.register.stocktake import (
    ActionOutcome,
    DeviceOnList,
    StocktakeOut,
    StocktakeReport,
    StocktakeStart,
    SyncBatch,
)
from procurement.register.stocktake_report import coverage_csv, coverage_xlsx

CHECKERS = roles("admin", "staff")


class CoverageRow(BaseModel):
    commune_code: str
    commune_name: str
    devices: int
    last_stocktake_id: int | None
    last_stocktake_started_at: dt.datetime | None
    last_stocktake_status: str | None
    confirmed_last: int | None
    share_last: float | None
    confirmed_since: int | None
    share_since: float | None


class StocktakeController(Controller):
    path = "/api/stocktakes"
    tags = ["stocktakes"]

    @get("/", opt=CHECKERS, responses=error_responses(400, 401, 403))
    async def list_stocktakes(
        self, request: Request, status: Annotated[Literal["open", "finished"] | None, Parameter()] = None
    ) -> list[StocktakeOut]:
        return await stocktake.list_stocktakes(request.user, status)

    @post("/", opt=CHECKERS, status_code=HTTP_201_CREATED, responses=error_responses(400, 401, 403, 409, 422))
    async def start(self, request: Request, data: JSONBody[StocktakeStart]) -> StocktakeOut:
        return await stocktake.start(request.user, data)

    @get("/{stocktake_id:int}", opt=CHECKERS, responses=error_responses(401, 403, 404))
    async def report(self, request: Request, stocktake_id: RowId) -> StocktakeReport:
        return await stocktake.report(request.user, stocktake_id)

    @get("/{stocktake_id:int}/devices", opt=CHECKERS, responses=error_responses(401, 403, 404))
    async def devices(self, request: Request, stocktake_id: RowId) -> list[DeviceOnList]:
        return await stocktake.devices(request.user, stocktake_id)

    @post(
        "/{stocktake_id:int}/sync",
        opt=CHECKERS,
        status_code=200,
        responses=error_responses(400, 401, 403, 404, 409, 422),
        description="Queued actions from a phone; each event id is stored once, resends answer 'duplicate'.",
    )
    async def sync(self, request: Request, stocktake_id: RowId, data: JSONBody[SyncBatch]) -> list[ActionOutcome]:
        return await stocktake.sync(request.user, stocktake_id, data)

    @post("/{stocktake_id:int}/finish", opt=CHECKERS, status_code=200, responses=error_responses(401, 403, 404, 409))
    async def finish(self, request: Request, stocktake_id: RowId) -> StocktakeOut:
        return await stocktake.finish(request.user, stocktake_id)


SinceParam = Annotated[
    dt.date | None, Parameter(description="Also count devices confirmed on or after this date (YYYY-MM-DD)")
]
ProvinceParam = Annotated[str | None, Parameter(max_length=2, description="Province code")]


def _since(since: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None


class CoverageController(Controller):
    path = "/api/reports/stocktake-coverage"
    tags = ["reports"]

    @get("/", opt=roles(*ALL_ROLES), responses=error_responses(400, 401))
    async def coverage_json(
        self, request: Request, province: ProvinceParam = None, since: SinceParam = None
    ) -> list[CoverageRow]:
        frame = await stocktake.coverage(request.user, province, _since(since))
        return [CoverageRow(**row) for row in frame.to_dicts()]

    @get("/csv", opt=roles(*ALL_ROLES), media_type=CSV_MEDIA_TYPE, responses=error_responses(400, 401))
    async def coverage_csv(
        self, request: Request, province: ProvinceParam = None, since: SinceParam = None
    ) -> Response[bytes]:
        """Coverage as CSV: Vietnamese headers, UTF-8 with the BOM Excel needs for Vietnamese."""
        frame = await stocktake.coverage(request.user, province, _since(since))
        return Response(
            content=await run_heavy(coverage_csv, frame),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="bao-phu-kiem-ke.csv"'},
        )

    @get("/xlsx", opt=roles(*ALL_ROLES), media_type=XLSX_MEDIA_TYPE, responses=error_responses(400, 401))
    async def coverage_xlsx(
        self, request: Request, province: ProvinceParam = None, since: SinceParam = None
    ) -> Response[bytes]:
        """Coverage as an Excel workbook (title, Vietnamese headers, formatted numbers)."""
        when = _since(since)
        frame = await stocktake.coverage(request.user, province, when)
        return Response(
            content=coverage_xlsx(frame, province, when),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="bao-phu-kiem-ke.xlsx"'},
        )
