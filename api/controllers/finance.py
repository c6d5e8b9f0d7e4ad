"""Budgets, packages, contracts, payments and disbursement reports: thin handlers.

Finance and admin write; planners read. A ceiling that would be broken answers
409 with the limit and the amount over in ``extra``; an incoherent value 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.errors import error_responses
from api.openapi import XLSX, downloads
from api.params import RowId
from api.security import roles
from procurement.core.clock import today_vn
from procurement.core.heavy import run_heavy
from procurement.finance import budget, contracts, reports
from procurement.finance.packages import PackageStatus
from procurement.finance.reports import Format, Report
from procurement.finance.schemas import (
    AllocationCreate,
    AllocationOut,
    AllocationSplit,
    AmendmentCreate,
    AmendmentOut,
    ContractCreate,
    ContractOut,
    DeliveryCreate,
    DeliveryOut,
    LineCreate,
    LineOut,
    MilestoneIn,
    PackageCreate,
    PackageMove,
    PackageOut,
    Page,
    PaymentCreate,
    PaymentOut,
    ReversalCreate,
    SplitOut,
    SupplierOut,
)
from procurement.register.schemas import ClientEventId

READ = roles(*budget.FINANCE_READERS)
WRITE = roles(*budget.FINANCE_WRITERS)
READ_ERRORS = error_responses(400, 401, 403, 404)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Rows per page (at most 1,000)")]
Offset = Annotated[int, QueryParameter(ge=0, le=2**31 - 1, description="Rows to skip: the page starts there")]
OptionalId = Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)]
ProvinceCode = Annotated[str | None, QueryParameter(pattern=r"^\d{2}$", description="Province code")]


class FinanceController(Controller):
    path = "/api/finance"
    tags = ["finance"]

    # budget lines and allocations
    @get("/lines", opt=READ, responses=READ_ERRORS)
    async def list_lines(
        self, request: Request, province: ProvinceCode = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page[LineOut]:
        return Page[LineOut](
            items=await budget.list_lines(request.user, province, limit, offset),
            total=await budget.count_lines(request.user, province),
            limit=limit,
            offset=offset,
        )

    @post("/lines", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def create_line(self, request: Request, data: JSONBody[LineCreate]) -> LineOut:
        return await budget.create_line(request.user, data)

    @get("/lines/{line_id:int}", opt=READ, responses=READ_ERRORS)
    async def get_line(self, request: Request, line_id: RowId) -> LineOut:
        return await budget.get_line(request.user, line_id)

    @put("/lines/{line_id:int}/milestones", opt=WRITE, responses=WRITE_ERRORS)
    async def replace_milestones(
        self,
        request: Request,
        line_id: RowId,
        data: JSONBody[list[MilestoneIn]],
        client_event_id: FromQuery[ClientEventId | None] = None,
    ) -> LineOut:
        return await budget.replace_milestones(request.user, line_id, data, client_event_id)

    @get("/lines/{line_id:int}/allocations", opt=READ, responses=READ_ERRORS)
    async def list_allocations(
        self, request: Request, line_id: RowId, limit: Limit = 100, offset: Offset = 0
    ) -> Page[AllocationOut]:
        await budget.get_line(request.user, line_id)
        return Page[AllocationOut](
            items=await budget.list_allocations(request.user, line_id, limit, offset),
            total=await budget.count_allocations(request.user, line_id),
            limit=limit,
            offset=offset,
        )

    @post("/lines/{line_id:int}/allocations", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def create_allocation(
        self, request: Request, line_id: RowId, data: JSONBody[AllocationCreate]
    ) -> AllocationOut:
        return await budget.create_allocation(request.user, line_id, data)

    @post("/lines/{line_id:int}/allocations/split", opt=WRITE, status_code=200, responses=WRITE_ERRORS)
    async def split_allocation(self, request: Request, line_id: RowId, data: JSONBody[AllocationSplit]) -> SplitOut:
        return await budget.split_allocation(request.user, line_id, data)

    # procurement packages
    @get("/packages", opt=READ, responses=READ_ERRORS)
    async def list_packages(
        self,
        request: Request,
        line_id: OptionalId = None,
        status: FromQuery[PackageStatus | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[PackageOut]:
        return Page[PackageOut](
            items=await budget.list_packages(request.user, line_id, status, limit, offset),
            total=await budget.count_packages(request.user, line_id, status),
            limit=limit,
            offset=offset,
        )

    @post("/packages", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def create_package(self, request: Request, data: JSONBody[PackageCreate]) -> PackageOut:
        return await budget.create_package(request.user, data)

    @get("/packages/{package_id:int}", opt=READ, responses=READ_ERRORS)
    async def get_package(self, request: Request, package_id: RowId) -> PackageOut:
        return await budget.get_package(request.user, package_id)

    @post("/packages/{package_id:int}/status", opt=WRITE, status_code=200, responses=WRITE_ERRORS)
    async def move_package(self, request: Request, package_id: RowId, data: JSONBody[PackageMove]) -> PackageOut:
        return await budget.move_package(request.user, package_id, data)

    # contracts and deliveries
    @get("/contracts", opt=READ, responses=READ_ERRORS)
    async def list_contracts(
        self, request: Request, line_id: OptionalId = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page[ContractOut]:
        return Page[ContractOut](
            items=await budget.list_contracts(request.user, line_id, limit, offset),
            total=await budget.count_contracts(request.user, line_id),
            limit=limit,
            offset=offset,
        )

    @post("/contracts", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def create_contract(self, request: Request, data: JSONBody[ContractCreate]) -> ContractOut:
        return await budget.create_contract(request.user, data)

    @get("/contracts/{contract_id:int}", opt=READ, responses=READ_ERRORS)
    async def get_contract(self, request: Request, contract_id: RowId) -> ContractOut:
        return await budget.get_contract(request.user, contract_id)

    @post("/contracts/{contract_id:int}/deliveries", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def accept_delivery(
        self, request: Request, contract_id: RowId, data: JSONBody[DeliveryCreate]
    ) -> DeliveryOut:
        return await budget.accept_delivery(request.user, contract_id, data)

    @get("/contracts/{contract_id:int}/amendments", opt=READ, responses=READ_ERRORS)
    async def list_amendments(self, request: Request, contract_id: RowId) -> list[AmendmentOut]:
        return await contracts.list_amendments(request.user, contract_id)

    @post("/contracts/{contract_id:int}/amendments", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def create_amendment(
        self, request: Request, contract_id: RowId, data: JSONBody[AmendmentCreate]
    ) -> AmendmentOut:
        return await contracts.create_amendment(request.user, contract_id, data)

    @get("/suppliers", opt=READ, responses=READ_ERRORS)
    async def list_suppliers(
        self,
        request: Request,
        q: Annotated[
            str | None,
            QueryParameter(max_length=100, description="Words of the name (diacritics ignored) or of the tax code"),
        ] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[SupplierOut]:
        return Page[SupplierOut](
            items=await contracts.search_suppliers(request.user, q, limit, offset),
            total=await contracts.count_suppliers(request.user, q),
            limit=limit,
            offset=offset,
        )

    # payments
    @get("/payments", opt=READ, responses=READ_ERRORS)
    async def list_payments(
        self,
        request: Request,
        contract_id: OptionalId = None,
        line_id: OptionalId = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[PaymentOut]:
        return Page[PaymentOut](
            items=await budget.list_payments(request.user, contract_id, line_id, limit, offset),
            total=await budget.count_payments(request.user, contract_id, line_id),
            limit=limit,
            offset=offset,
        )

    @post("/payments", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def record_payment(self, request: Request, data: JSONBody[PaymentCreate]) -> PaymentOut:
        return await budget.record_payment(request.user, data)

    @post("/payments/{payment_id:int}/reverse", opt=WRITE, status_code=HTTP_201_CREATED, responses=WRITE_ERRORS)
    async def reverse_payment(self, request: Request, payment_id: RowId, data: JSONBody[ReversalCreate]) -> PaymentOut:
        return await budget.reverse_payment(request.user, payment_id, data)

    # reports
    @get(
        "/reports/{report:str}",
        opt=READ,
        responses=READ_ERRORS,
        operation_class=downloads("text/csv", XLSX, json_rows=True),
        description="Disbursement report as JSON (money in whole dong), CSV or XLSX.",
    )
    async def report(
        self,
        request: Request,
        report: FromPath[Report],
        format: FromQuery[Format] = Format.json,
        as_of: Annotated[dt.date | None, QueryParameter(description="Report date; default today")] = None,
        province: ProvinceCode = None,
        line_id: OptionalId = None,
    ) -> Response[bytes]:
        today = as_of or today_vn()
        frame = await reports.run_report(report, actor=request.user, today=today, province=province, line_id=line_id)
        province = request.user.report_province(province)
        body = await run_heavy(
            reports.encode, frame, format, reports.REPORTS[report][1], as_of=today, province=province
        )
        headers = {}
        if format != Format.json:
            headers["Content-Disposition"] = f'attachment; filename="{reports.filename(report, format, today)}"'
        return Response(body, media_type=reports.MEDIA_TYPES[format], headers=headers)
