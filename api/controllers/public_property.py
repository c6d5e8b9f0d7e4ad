"""Public property (tài sản công): the fixed-asset book of a year, closing a year, asset
cards, assessed values, classification overrides, stocktake minutes and the yearly summary.
Thin: the rules and figures are in procurement/public_property."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter
from pydantic import BaseModel, ConfigDict, Field

from api.errors import error_responses
from api.openapi import downloads
from api.params import RowId
from api.security import roles
from procurement.core.actor import Actor
from procurement.core.errors import DomainError
from procurement.core.heavy import run_heavy
from procurement.core.xlsx import scope_text
from procurement.public_property import papers, service
from procurement.public_property.classification import Kind
from procurement.public_property.forms import FormCodes

READ = roles(*service.READERS)
CLOSE = roles(*service.CLOSERS)
MINUTES = roles(*service.MINUTES_READERS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
Year = Annotated[int, Parameter(ge=service.FIRST_YEAR, le=2100, description="Năm tài chính (năm dương lịch)")]
CommuneCode = Annotated[str | None, Parameter(max_length=5, description="Mã xã/phường")]
ProvinceCode = Annotated[str | None, Parameter(max_length=2, description="Mã tỉnh")]


def forms() -> FormCodes:
    return FormCodes.from_env(os.environ)


def file(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BookRow(BaseModel):
    asset_id: int
    tag: str | None
    commune_code: str | None
    category: str
    make: str | None
    model: str | None
    in_use_on: dt.date | None
    original_cost_vnd: int
    rate_bp: int = Field(description="Yearly wear rate in basis points: 2000 = 20 %")
    life_years: int
    wear_vnd: int = Field(description="Wear of this year")
    accumulated_vnd: int
    remaining_vnd: int
    source: str = Field(description="Document and article of the rule applied")


class BookOut(BaseModel):
    year: int
    commune_code: str | None
    commune_name: str | None
    closed: bool
    closed_at: dt.datetime | None
    devices: int
    original_cost_vnd: int
    wear_vnd: int
    accumulated_vnd: int
    remaining_vnd: int
    tools: int = Field(description="Devices below the fixed-asset threshold (công cụ, dụng cụ), not on the book")
    unvalued: int = Field(description="Devices with no original cost or date yet: enter an assessed value")
    rows: list[BookRow]


class SummaryRow(BaseModel):
    commune_code: str | None = None
    commune_name: str | None = None
    category: str
    quantity: int
    original_cost_vnd: int
    wear_vnd: int
    accumulated_vnd: int
    remaining_vnd: int


class CloseIn(_Input):
    commune: str | None = Field(default=None, max_length=5, description="Close one commune")
    province: str | None = Field(default=None, max_length=2, description="Close every commune of a province")


class CloseOut(BaseModel):
    year: int
    closed: list[str]
    already_closed: list[str]
    devices: int
    wear_vnd: int


class ClosingOut(BaseModel):
    year: int
    commune_code: str
    commune_name: str
    closed_at: dt.datetime
    devices: int
    original_cost_vnd: int
    wear_vnd: int
    accumulated_vnd: int
    remaining_vnd: int


class CardYear(BaseModel):
    year: int
    original_cost_vnd: int
    rate_bp: int
    wear_vnd: int
    accumulated_vnd: int
    remaining_vnd: int
    closed: bool
    source: str


class CardOut(BaseModel):
    asset_id: int
    tag: str
    category: str
    commune_code: str
    kind: Kind
    kind_name: str
    reason: str
    source: str
    original_cost_vnd: int | None
    in_use_on: dt.date | None
    assessed_value_vnd: int | None
    assessed_on: dt.date | None
    assessed_basis: str | None
    years: list[CardYear]


class ValuationIn(_Input):
    value_vnd: int = Field(gt=0, le=10**13, description="Assessed value, whole VND")
    assessed_on: dt.date
    basis: str = Field(min_length=1, max_length=1000, description="On what basis the value was set")


class OverrideIn(_Input):
    kind: Literal["fixed_asset", "tool"]
    reason: str = Field(min_length=1, max_length=1000)


class MemberIn(_Input):
    name: str = Field(min_length=1, max_length=200)
    position: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=100)


class MinutesIn(_Input):
    members: list[MemberIn] = Field(min_length=1, max_length=20, description="Ban kiểm kê: họ tên, chức vụ")
    format: Literal["pdf", "xlsx"] = "pdf"


def book_out(book: service.Book) -> BookOut:
    totals = book.totals()
    return BookOut(
        year=book.year,
        commune_code=book.commune.code if book.commune else None,
        commune_name=book.commune.name if book.commune else None,
        closed=book.closed,
        closed_at=book.closed_at,
        tools=book.left_out.get("tool", 0),
        unvalued=book.left_out.get("unvalued", 0),
        rows=[BookRow.model_validate(r) for r in book.frame.iter_rows(named=True)],
        **totals,
    )


def card_out(card: service.Card) -> CardOut:
    a, v = card.asset, card.valuation
    return CardOut(
        asset_id=a["id"],
        tag=a["tag"],
        category=a["category"],
        commune_code=a["commune_code"],
        kind=card.kind,
        kind_name=card.kind_name,
        reason=card.reason,
        source=card.source,
        original_cost_vnd=card.original_cost_vnd,
        in_use_on=card.in_use_on,
        assessed_value_vnd=v.value_vnd if v else None,
        assessed_on=v.assessed_on if v else None,
        assessed_basis=v.basis if v else None,
        years=[CardYear.model_validate(y) for y in card.years],
    )


async def _one_commune_book(actor: Actor, year: int, commune: str | None) -> service.Book:
    communes = await service.commune_scope(actor, commune)
    if len(communes) != 1:
        raise DomainError("Chọn một xã để xem sổ tài sản cố định.", field="commune")
    service.check_year(year)
    return await service.book_for(communes, year)


# The downloads, shared by the API and the public-property pages.


async def book_file(actor: Actor, year: int, commune: str | None, kind: Literal["pdf", "xlsx"]) -> Response[bytes]:
    """A commune's fixed-asset book of ``year`` as PDF or XLSX."""
    book = await _one_commune_book(actor, year, commune)
    write, media_type = (papers.book_pdf, PDF) if kind == "pdf" else (papers.book_xlsx, XLSX)
    content = await run_heavy(write, book, forms())
    return file(content, media_type, f"so-tscd-{book.commune.code if book.commune else ''}-{year}.{kind}")


async def summary_file(
    actor: Actor, year: int, commune: str | None, province: str | None, kind: Literal["pdf", "xlsx"]
) -> Response[bytes]:
    """The yearly summary (one row per commune and category) as PDF or XLSX."""
    name = f"tong-hop-tscd-{province or commune or 'tat-ca'}-{year}.{kind}"
    if kind == "xlsx":
        frame = await service.summary(actor, year, commune, province, by_commune=True)
        content = await run_heavy(papers.summary_xlsx, frame, year, forms(), scope=scope_text(province, commune))
        return file(content, XLSX, name)
    communes = await service.commune_scope(actor, commune, province)
    frame = await service.summary(actor, year, commune, province, by_commune=True)
    unit = communes[0].name if len(communes) == 1 else (communes[0].province_name if province else "Toàn quốc")
    return file(await run_heavy(papers.summary_pdf, frame, year, unit, forms()), PDF, name)


async def card_file(actor: Actor, asset_id: int) -> Response[bytes]:
    """A device's fixed-asset card as PDF."""
    card = await service.card(actor, asset_id)
    content = await run_heavy(papers.card_pdf, card, forms())
    return file(content, PDF, f"the-tscd-{card.asset['tag']}.pdf")


class PublicPropertyController(Controller):
    path = "/api/public-property"
    tags = ["public property"]

    @get("/book", opt=READ, responses=error_responses(400, 401, 403, 404, 422))
    async def book(self, request: Request, year: Year, commune: CommuneCode = None) -> BookOut:
        return book_out(await _one_commune_book(request.user, year, commune))

    @get("/book.pdf", opt=READ, media_type=PDF, responses=error_responses(400, 401, 403, 404, 422))
    async def book_pdf(self, request: Request, year: Year, commune: CommuneCode = None) -> Response[bytes]:
        return await book_file(request.user, year, commune, "pdf")

    @get("/book.xlsx", opt=READ, media_type=XLSX, responses=error_responses(400, 401, 403, 404, 422))
    async def book_xlsx(self, request: Request, year: Year, commune: CommuneCode = None) -> Response[bytes]:
        return await book_file(request.user, year, commune, "xlsx")

    @get("/summary", opt=READ, responses=error_responses(400, 401, 403, 404, 422))
    async def summary(
        self,
        request: Request,
        year: Year,
        commune: CommuneCode = None,
        province: ProvinceCode = None,
        by_commune: Annotated[bool, Parameter(description="One row per commune and category")] = False,
    ) -> list[SummaryRow]:
        frame = await service.summary(request.user, year, commune, province, by_commune)
        return [SummaryRow.model_validate(r) for r in frame.iter_rows(named=True)]

    @get("/summary.xlsx", opt=READ, media_type=XLSX, responses=error_responses(400, 401, 403, 404, 422))
    async def summary_xlsx(
        self, request: Request, year: Year, commune: CommuneCode = None, province: ProvinceCode = None
    ) -> Response[bytes]:
        return await summary_file(request.user, year, commune, province, "xlsx")

    @get("/summary.pdf", opt=READ, media_type=PDF, responses=error_responses(400, 401, 403, 404, 422))
    async def summary_pdf(
        self, request: Request, year: Year, commune: CommuneCode = None, province: ProvinceCode = None
    ) -> Response[bytes]:
        return await summary_file(request.user, year, commune, province, "pdf")

    @get("/closings", opt=READ, responses=error_responses(400, 401, 403, 404))
    async def closings(
        self, request: Request, commune: CommuneCode = None, province: ProvinceCode = None
    ) -> list[ClosingOut]:
        return [ClosingOut.model_validate(r) for r in await service.closings(request.user, commune, province)]

    @post(
        "/years/{year:int}/close", opt=CLOSE, status_code=200, responses=error_responses(400, 401, 403, 404, 409, 422)
    )
    async def close(self, request: Request, year: Year, data: JSONBody[CloseIn]) -> CloseOut:
        result = await service.close_year(request.user, year, data.commune, data.province)
        return CloseOut(**result.__dict__)

    @get("/cards/{asset_id:int}", opt=READ, responses=error_responses(401, 403, 404))
    async def card(self, request: Request, asset_id: RowId) -> CardOut:
        return card_out(await service.card(request.user, asset_id))

    @get("/cards/{asset_id:int}/pdf", opt=READ, media_type=PDF, responses=error_responses(401, 403, 404))
    async def card_pdf(self, request: Request, asset_id: RowId) -> Response[bytes]:
        return await card_file(request.user, asset_id)

    @post("/assets/{asset_id:int}/valuation", opt=CLOSE, status_code=200, responses=error_responses(401, 403, 404, 422))
    async def valuation(self, request: Request, asset_id: RowId, data: JSONBody[ValuationIn]) -> CardOut:
        return card_out(
            await service.set_valuation(request.user, asset_id, data.value_vnd, data.assessed_on, data.basis)
        )

    @post(
        "/assets/{asset_id:int}/classification",
        opt=roles("admin"),
        status_code=200,
        responses=error_responses(401, 403, 404, 422),
    )
    async def classification(self, request: Request, asset_id: RowId, data: JSONBody[OverrideIn]) -> CardOut:
        return card_out(await service.override_kind(request.user, asset_id, Kind(data.kind), data.reason))

    @post(
        "/stocktakes/{stocktake_id:int}/minutes",
        opt=MINUTES,
        status_code=200,
        responses=error_responses(401, 403, 404, 409, 422),
        operation_class=downloads(PDF, XLSX),  # as the body's format asks
    )
    async def minutes(self, request: Request, stocktake_id: RowId, data: JSONBody[MinutesIn]) -> Response[bytes]:
        minutes: Any = await service.stocktake_minutes(request.user, stocktake_id, data.members)
        if data.format == "xlsx":
            content = await run_heavy(papers.minutes_xlsx, minutes, forms())
            return file(content, XLSX, f"bien-ban-kiem-ke-{stocktake_id}.xlsx")
        content = await run_heavy(papers.minutes_pdf, minutes, forms())
        return file(content, PDF, f"bien-ban-kiem-ke-{stocktake_id}.pdf")
