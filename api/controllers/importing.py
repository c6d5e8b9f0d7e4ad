"""Spreadsheet import (dry run, commit), the template, and the register's export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, Parameter
from litestar.response import Stream

from api.errors import error_responses
from api.openapi import downloads
from api.security import ALL_ROLES, roles
from api.streaming import stream_file
from procurement.core.actor import Actor
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.xlsx import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from procurement.register import importing
from procurement.register.importing import ImportReport
from procurement.register.schemas import AssetFilter, Condition, Status

IMPORTERS = roles("admin", "staff")
# Litestar refuses a larger body before reading it; the domain says the exact limit in Vietnamese.
UPLOAD_BODY_LIMIT = importing.MAX_IMPORT_BYTES + 1024 * 1024
UPLOAD_ERRORS = error_responses(400, 401, 403, 413, 422)


@dataclass
class ImportUpload:
    file: UploadFile


async def read_upload(upload: UploadFile | None) -> tuple[bytes, str]:
    if upload is None or not isinstance(upload, UploadFile):
        raise DomainError("Chưa chọn tệp.", field="file", code="no_file")
    content = await upload.read(importing.MAX_IMPORT_BYTES + 1)
    return content, upload.filename or ""


def attachment(content: bytes, name: str, media_type: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def template_download() -> Response[bytes]:
    """The import template as an attachment (the API's and the import page's download)."""
    return attachment(await importing.template_bytes(), "mau-nhap-thiet-bi.xlsx", XLSX_MEDIA_TYPE)


async def export_download(actor: Actor, filters: AssetFilter, format: Literal["xlsx", "csv"]) -> Stream:
    """The register as ``actor`` may see it, filtered, streamed as an attachment (the API's and the
    device list page's download)."""
    stamp = today_vn().strftime("%Y%m%d")
    if format == "csv":
        return stream_file(await importing.export_csv_file(actor, filters), f"thiet-bi-{stamp}.csv", CSV_MEDIA_TYPE)
    return stream_file(await importing.export_xlsx_file(actor, filters), f"thiet-bi-{stamp}.xlsx", XLSX_MEDIA_TYPE)


class ImportController(Controller):
    path = "/api"
    tags = ["import"]

    @get("/import/template", opt=IMPORTERS, responses=error_responses(401, 403), media_type=XLSX_MEDIA_TYPE)
    async def template(self) -> Response[bytes]:
        """The XLSX template: Vietnamese headers, a guide sheet with an example row and allowed values."""
        return await template_download()

    @post(
        "/import/dry-run",
        opt=IMPORTERS,
        status_code=200,
        responses=UPLOAD_ERRORS,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def dry_run(
        self, request: Request, data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
    ) -> ImportReport:
        """Check an XLSX/CSV file: every wrong row (row, column, reason) and what would be created or updated."""
        content, name = await read_upload(data.file)
        return await importing.dry_run(request.user, content, name)

    @post(
        "/import/commit",
        opt=IMPORTERS,
        status_code=200,
        responses=UPLOAD_ERRORS,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def commit(
        self, request: Request, data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
    ) -> ImportReport:
        """Import all rows in one transaction, or none (422 listing each wrong row)."""
        content, name = await read_upload(data.file)
        return await importing.commit(request.user, content, name)

    @get(
        "/assets/export",
        opt=roles(*ALL_ROLES),
        responses=error_responses(400, 401),
        operation_class=downloads("text/csv", XLSX_MEDIA_TYPE),
    )
    async def export(
        self,
        request: Request,
        format: FromQuery[Literal["xlsx", "csv"]] = "xlsx",
        province: Annotated[str | None, Parameter(max_length=2)] = None,
        commune: Annotated[str | None, Parameter(max_length=5)] = None,
        category: Annotated[str | None, Parameter(max_length=20)] = None,
        status: FromQuery[Status | None] = None,
        condition: FromQuery[Condition | None] = None,
        min_age_years: Annotated[int | None, Parameter(ge=0, le=100)] = None,
        max_age_years: Annotated[int | None, Parameter(ge=0, le=100)] = None,
        q: Annotated[str | None, Parameter(max_length=100)] = None,
    ) -> Stream:
        """The register (as the caller may see it) in the import template's columns,
        with the same filters as the device list. Streamed: written to a temporary
        file by a worker, sent in chunks."""
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
        return await export_download(request.user, filters, format)
