"""Finance data in from Excel, on a page: allocations of a line to many communes and
payments of a treasury statement. The file is checked first (every wrong row with its row,
column and reason, or what will be written), then written on a confirm step, all or nothing,
by the same use cases as the API (:mod:`procurement.finance.uploads`)."""

from __future__ import annotations

import os
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.importing import attachment
from api.pages.common import page, render
from api.pages.register import _keep_upload, _take_upload
from api.params import RowId
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.xlsx import XLSX_MEDIA_TYPE
from procurement.finance import budget, uploads
from procurement.finance.rules import LimitExceeded
from procurement.finance.uploads import Kind, UploadReport

UPLOAD_PAGE = page(*budget.FINANCE_WRITERS)
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
KINDS: list[tuple[str, str]] = [("allocations", "Phân bổ cho xã/phường"), ("payments", "Thanh toán (bảng kê Kho bạc)")]


def _kind(value: Any) -> Kind:
    return "payments" if value == "payments" else "allocations"


def _line(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


async def _page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    report: UploadReport | None = None,
    token: str | None = None,
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "finance_uploads.html",
        status_code=status_code,
        kinds=KINDS,
        lines=[(str(line.id), f"{line.number}: {line.name}") for line in await budget.list_lines(request.user)],
        values=values,
        errors=errors or {},
        report=report,
        token=token,
        event_id=values.get("client_event_id") or str(uuid.uuid4()),
        limits={"rows": uploads.MAX_UPLOAD_ROWS, "mb": uploads.MAX_UPLOAD_BYTES // 1024 // 1024},
        done=request.query_params.get("done"),
        written=request.query_params.get("written"),
    )


@get("/finance/uploads", opt=UPLOAD_PAGE, include_in_schema=False)
async def uploads_page(
    request: Request,
    kind: Annotated[str | None, QueryParameter(max_length=20)] = None,
    line_id: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    return await _page(request, {"kind": _kind(kind), "line_id": str(_line(line_id) or "")})


def _error_field(error: DomainError) -> str:
    return error.field if error.field in ("line_id", "file") else "file"


@post(
    "/finance/uploads",
    opt=UPLOAD_PAGE,
    include_in_schema=False,
    status_code=200,
    request_max_body_size=uploads.MAX_UPLOAD_BYTES + 1024 * 1024,
)
async def upload_check(
    request: Request, data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template:
    """The dry run: the report of the file, and a confirm step when it can be written."""
    kind, line_id = _kind(data.get("kind")), _line(data.get("line_id"))
    values = {"kind": kind, "line_id": str(line_id or "")}
    upload = data.get("file")
    try:
        if kind == "allocations" and line_id is None:
            raise DomainError("Chọn dòng ngân sách để phân bổ.", field="line_id")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("Chưa chọn tệp.", field="file")
        content = await upload.read(uploads.MAX_UPLOAD_BYTES + 1)
        name = os.path.basename(upload.filename)
        report = await uploads.dry_run(request.user, kind, content, name, line_id)
    except DomainError as error:
        return await _page(request, values, {_error_field(error): error.message}, status_code=422)
    token = _keep_upload(request.user.user_id, content, report.file_name) if report.ok else None
    return await _page(request, values, report=report, token=token, status_code=200 if report.ok else 422)


@post("/finance/uploads/commit", opt=UPLOAD_PAGE, include_in_schema=False, status_code=200)
async def upload_commit(request: Request, data: Form) -> Template | Redirect:
    """The confirm step: every row written in one transaction, or none. A form sent twice
    carries the same event id, so it writes once."""
    kind, line_id = _kind(data.get("kind")), _line(data.get("line_id"))
    values = {"kind": kind, "line_id": str(line_id or ""), "client_event_id": data.get("client_event_id") or ""}
    try:
        content, name = _take_upload(request.user.user_id, data.get("token") or "")
        report = await uploads.commit(
            request.user, kind, content, name, line_id, (data.get("client_event_id") or "").strip() or None
        )
    except uploads.UploadRejected as error:
        return await _page(request, values, {"file": error.message}, report=error.report, status_code=422)
    except LimitExceeded as error:
        return await _page(request, values, {"file": error.message_vi}, status_code=422)
    except DomainError as error:
        return await _page(request, values, {_error_field(error): error.message}, status_code=422)
    # The kept file stays until it expires: a resent confirm is answered from its event id.
    target = f"&line_id={line_id}" if line_id else ""
    return Redirect(f"/finance/uploads?kind={kind}{target}&done={kind}&written={report.written}", status_code=303)


@get("/finance/uploads/payments-template.xlsx", opt=UPLOAD_PAGE, include_in_schema=False)
async def payment_template_download(request: Request) -> Response[bytes]:
    """The payment sheet, from the page (the same file as the API's template)."""
    return attachment(await uploads.payment_template(request.user), "mau-thanh-toan.xlsx", XLSX_MEDIA_TYPE)


@get("/finance/lines/{line_id:int}/allocations-template.xlsx", opt=UPLOAD_PAGE, include_in_schema=False)
async def allocation_template_download(request: Request, line_id: RowId) -> Response[bytes]:
    """The allocation sheet of a line (every commune of its province), from the page."""
    stamp = today_vn().strftime("%Y%m%d")
    return attachment(
        await uploads.allocation_template(request.user, line_id),
        f"mau-phan-bo-dong-{line_id}-{stamp}.xlsx",
        XLSX_MEDIA_TYPE,
    )


FINANCE_UPLOAD_PAGES = [
    uploads_page,
    upload_check,
    upload_commit,
    payment_template_download,
    allocation_template_download,
]
