"""Finance data in from Excel: allocations of a line and payments of a treasury statement
(multipart ``file``; ``dry_run`` true by default), and their template sheets. Thin handlers:
the rules live in :mod:`procurement.finance.uploads`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from api.controllers.importing import attachment
from api.errors import error_responses
from api.params import RowId
from api.security import roles
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.xlsx import XLSX_MEDIA_TYPE
from procurement.finance import budget, uploads
from procurement.finance.uploads import Kind, UploadReport

WRITE = roles(*budget.FINANCE_WRITERS)
UPLOAD_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)
# Litestar refuses a larger body before reading it; the domain says the exact limit in Vietnamese.
UPLOAD_BODY_LIMIT = uploads.MAX_UPLOAD_BYTES + 1024 * 1024
_TRUE = ("1", "true", "yes", "on", "co", "có")
_FALSE = ("0", "false", "no", "off", "khong", "không")


@dataclass
class FinanceUpload:
    file: UploadFile
    dry_run: str = "true"
    client_event_id: str | None = None


@dataclass
class PaymentUpload(FinanceUpload):
    line_id: str | None = None


async def read_finance_upload(upload: object) -> tuple[bytes, str]:
    if upload is None or not isinstance(upload, UploadFile):
        raise DomainError("Chưa chọn tệp.", field="file", code="no_file")
    return await upload.read(uploads.MAX_UPLOAD_BYTES + 1), upload.filename or ""


def dry_run_flag(value: str | None) -> bool:
    text = (value or "true").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DomainError("dry_run phải là true (chỉ kiểm tra) hoặc false (ghi).", field="dry_run")


def optional_line(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise DomainError("line_id phải là mã số của một dòng ngân sách.", field="line_id")
    return int(text)


async def run_upload(request: Request, kind: Kind, data: FinanceUpload, line_id: int | None) -> UploadReport:
    content, name = await read_finance_upload(data.file)
    if dry_run_flag(data.dry_run):
        return await uploads.dry_run(request.user, kind, content, name, line_id)
    return await uploads.commit(
        request.user, kind, content, name, line_id, (data.client_event_id or "").strip() or None
    )


class FinanceUploadController(Controller):
    path = "/api/finance"
    tags = ["finance"]

    @post(
        "/lines/{line_id:int}/allocations/upload",
        opt=WRITE,
        status_code=200,
        responses=UPLOAD_ERRORS,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload_allocations(
        self,
        request: Request,
        line_id: RowId,
        data: Annotated[FinanceUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> UploadReport:
        """Allocations of this line to many communes from an XLSX/CSV (Mã xã, Số tiền, Ghi chú):
        ``dry_run=true`` (default) reports every wrong row and the batch against the line's
        ceiling; ``dry_run=false`` writes every row in one transaction or none (422 listing
        the wrong rows, 409 naming the limit and the excess)."""
        return await run_upload(request, "allocations", data, line_id)

    @post(
        "/payments/upload",
        opt=WRITE,
        status_code=200,
        responses=UPLOAD_ERRORS,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload_payments(
        self, request: Request, data: Annotated[PaymentUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
    ) -> UploadReport:
        """Payments from a treasury statement (Số hợp đồng, Số chứng từ, Ngày thanh toán, Số tiền,
        Ghi chú); ``line_id`` (optional) keeps the contracts to one budget line."""
        return await run_upload(request, "payments", data, optional_line(data.line_id))

    @get(
        "/lines/{line_id:int}/allocations/template",
        opt=WRITE,
        responses=error_responses(400, 401, 403, 404),
        media_type=XLSX_MEDIA_TYPE,
    )
    async def allocation_template(self, request: Request, line_id: RowId) -> Response[bytes]:
        """The allocation sheet of this line: every commune of its province, amounts to fill in."""
        stamp = today_vn().strftime("%Y%m%d")
        return attachment(
            await uploads.allocation_template(request.user, line_id),
            f"mau-phan-bo-dong-{line_id}-{stamp}.xlsx",
            XLSX_MEDIA_TYPE,
        )

    @get("/payments/template", opt=WRITE, responses=error_responses(401, 403), media_type=XLSX_MEDIA_TYPE)
    async def payment_template(self, request: Request) -> Response[bytes]:
        """The payment sheet (a treasury statement's columns)."""
        return attachment(await uploads.payment_template(request.user), "mau-thanh-toan.xlsx", XLSX_MEDIA_TYPE)
