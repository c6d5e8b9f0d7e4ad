"""A device's life between purchase and disposal: warranty, repairs, hand-over to
officials, disposal files and reminders. Thin handlers over procurement/lifecycle."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, Parameter

from api.errors import error_responses
from api.params import RowId
from api.security import ALL_ROLES, roles
from procurement.lifecycle import papers, service, transfers
from procurement.lifecycle.schemas import (
    DisposalApprovalIn,
    DisposalExecutionIn,
    DisposalOut,
    DisposalRequestIn,
    HandBackIn,
    HandoverIn,
    HandoverOut,
    ReceiveIn,
    ReceiveOut,
    Reminder,
    RepairIn,
    RepairOut,
    RepairSummary,
    TransferIn,
    TransferOut,
    WarrantyIn,
    WarrantyOut,
)

READ = roles(*ALL_ROLES)
WRITE = roles("admin", "staff")
CHANGE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)
READ_ERRORS = error_responses(400, 401, 404)


class LifecycleController(Controller):
    path = "/api"
    tags = ["lifecycle"]

    @get("/assets/{asset_id:int}/warranty", opt=READ, responses=READ_ERRORS)
    async def warranty(self, request: Request, asset_id: RowId) -> WarrantyOut:
        return await service.warranty(request.user, asset_id)

    @put("/assets/{asset_id:int}/warranty", opt=roles("admin", "staff", "finance"), responses=CHANGE_ERRORS)
    async def set_warranty(self, request: Request, asset_id: RowId, data: JSONBody[WarrantyIn]) -> WarrantyOut:
        return await service.set_warranty(request.user, asset_id, data)

    @get("/assets/{asset_id:int}/repairs", opt=READ, responses=READ_ERRORS)
    async def repairs(self, request: Request, asset_id: RowId) -> RepairSummary:
        return await service.repairs(request.user, asset_id)

    @post("/assets/{asset_id:int}/repairs", opt=WRITE, responses=CHANGE_ERRORS)
    async def record_repair(self, request: Request, asset_id: RowId, data: JSONBody[RepairIn]) -> RepairOut:
        return await service.record_repair(request.user, asset_id, data)

    @post("/assets/{asset_id:int}/handover", opt=WRITE, responses=CHANGE_ERRORS)
    async def hand_over(self, request: Request, asset_id: RowId, data: JSONBody[HandoverIn]) -> HandoverOut:
        return await service.hand_over(request.user, asset_id, data)

    @post("/assets/{asset_id:int}/handback", opt=WRITE, status_code=200, responses=CHANGE_ERRORS)
    async def hand_back(self, request: Request, asset_id: RowId, data: JSONBody[HandBackIn]) -> HandoverOut:
        return await service.hand_back(request.user, asset_id, data)

    @get("/holdings", opt=READ, responses=READ_ERRORS)
    async def holdings(
        self,
        request: Request,
        commune: Annotated[str | None, Parameter(max_length=5, description="Commune code")] = None,
        holder: Annotated[str | None, Parameter(max_length=100, description="Part of the holder's name")] = None,
    ) -> list[HandoverOut]:
        return await service.holdings(request.user, commune, holder)

    @post("/assets/{asset_id:int}/disposal-files", opt=WRITE, responses=CHANGE_ERRORS)
    async def request_disposal(
        self, request: Request, asset_id: RowId, data: JSONBody[DisposalRequestIn]
    ) -> DisposalOut:
        return await service.request_disposal(request.user, asset_id, data)

    @get("/disposal-files/{file_id:int}", opt=READ, responses=READ_ERRORS)
    async def disposal(self, request: Request, file_id: RowId) -> DisposalOut:
        return await service.disposal(request.user, file_id)

    @post(
        "/disposal-files/{file_id:int}/approve", opt=roles(*service.DECIDERS), status_code=200, responses=CHANGE_ERRORS
    )
    async def approve(self, request: Request, file_id: RowId, data: JSONBody[DisposalApprovalIn]) -> DisposalOut:
        return await service.approve_disposal(request.user, file_id, data)

    @post("/disposal-files/{file_id:int}/carry-out", opt=roles("admin"), status_code=200, responses=CHANGE_ERRORS)
    async def carry_out(self, request: Request, file_id: RowId, data: JSONBody[DisposalExecutionIn]) -> DisposalOut:
        return await service.carry_out_disposal(request.user, file_id, data)

    @get("/disposal-files/{file_id:int}/minutes.pdf", opt=READ, responses=READ_ERRORS)
    async def minutes(self, request: Request, file_id: RowId) -> Response:
        pdf = await papers.disposal_minutes(request.user, file_id)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="bien-ban-thanh-ly-{file_id}.pdf"'},
        )

    @get("/reminders", opt=READ, responses=READ_ERRORS)
    async def reminders(
        self,
        request: Request,
        within_days: Annotated[int, Parameter(ge=1, le=365, description="Warranties ending within")] = 30,
        province: Annotated[str | None, Parameter(max_length=2, description="Province code")] = None,
    ) -> list[Reminder]:
        return await service.reminders(request.user, within_days, province)

    @get("/transfers", opt=READ, responses=READ_ERRORS)
    async def list_transfers(
        self,
        request: Request,
        commune: Annotated[
            str | None, Parameter(max_length=5, description="Commune code, sending or receiving")
        ] = None,
    ) -> list[TransferOut]:
        return await transfers.transfers(request.user, commune)

    @post("/transfers", opt=roles(*transfers.DECIDERS), responses=CHANGE_ERRORS)
    async def create_transfer(self, request: Request, data: JSONBody[TransferIn]) -> TransferOut:
        return await transfers.create_transfer(request.user, data)

    @get("/transfers/{transfer_id:int}", opt=READ, responses=READ_ERRORS)
    async def transfer(self, request: Request, transfer_id: RowId) -> TransferOut:
        return await transfers.transfer_view(request.user, transfer_id)

    @post("/transfers/{transfer_id:int}/receive", opt=roles("admin", "staff"), status_code=200, responses=CHANGE_ERRORS)
    async def receive(self, request: Request, transfer_id: RowId, data: JSONBody[ReceiveIn]) -> ReceiveOut:
        return await transfers.receive(request.user, transfer_id, data)

    @get("/transfers/{transfer_id:int}/minutes.pdf", opt=READ, responses=READ_ERRORS)
    async def transfer_minutes(self, request: Request, transfer_id: RowId) -> Response:
        pdf = await papers.transfer_minutes(request.user, transfer_id)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="bien-ban-ban-giao-{transfer_id}.pdf"'},
        )
