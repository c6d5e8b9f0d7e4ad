"""Public-property pages: a commune's fixed-asset book of a year (Vietnamese, phone-usable),
the closed years, downloads of the papers, and closing a year (finance and admin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from api.controllers.public_property import book_file, card_file, summary_file
from api.pages.common import page, render
from api.pages.forms import FORM_ERRORS, form_errors
from api.params import RowId
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.heavy import run_heavy
from procurement.public_property import papers, service
from procurement.public_property.papers import CATEGORY_VI
from procurement.public_property.wear import last_run_year

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
READERS = page(*service.READERS)
CLOSERS = page(*service.CLOSERS)


def _year(raw: str | None, errors: dict[str, str]) -> int:
    default = last_run_year(today_vn())
    if not raw or not raw.strip():
        return default
    try:
        year = int(raw.strip())
        service.check_year(year)
        return year
    except ValueError:
        errors["year"] = "Năm phải là một số, VD: 2025."
    except DomainError as error:
        errors["year"] = error.message
    return default


async def _book_page(
    request: Request, query: dict[str, str], errors: dict[str, str], done: str | None = None, status_code: int = 200
) -> Template:
    year = _year(query.get("year"), errors)
    commune = (query.get("commune") or "").strip()[:5] or None
    book = None
    if request.user.is_staff or commune:
        try:
            communes = await service.commune_scope(request.user, commune)
            book = await service.book_for(communes, year)
        except FORM_ERRORS as error:
            errors |= form_errors(error)
    rows: list[dict[str, Any]] = book.frame.head(500).to_dicts() if book else []
    closings, rounds = [], []
    if book and book.commune:
        closings = await service.closings(request.user, book.commune.code)
        rounds = await service.finished_rounds(request.user, book.commune.code)
    link = urlencode({"year": year, **({"commune": book.commune.code} if book and book.commune else {})})
    return render(
        request,
        "public_property.html",
        status_code=status_code,
        year=year,
        commune=commune or "",
        book=book,
        totals=book.totals() if book else None,
        rows=rows,
        categories=CATEGORY_VI,
        closings=closings,
        rounds=rounds,
        errors=errors,
        done=done,
        link=link,
        can_close=request.user.role in service.CLOSERS,
        last_year=last_run_year(today_vn()),
    )


@get("/public-property", opt=READERS, include_in_schema=False)
async def book_page(request: Request) -> Template:
    query = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    return await _book_page(request, query, {}, done=query.get("done"))


@post("/public-property/close", opt=CLOSERS, include_in_schema=False, status_code=200)
async def close_submit(request: Request, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    year = _year(data.get("year"), errors)
    commune = (data.get("commune") or "").strip()[:5] or None
    province = (data.get("province") or "").strip()[:2] or None
    if not errors:
        if not commune and not province:
            errors["commune"] = "Chọn xã (hoặc tỉnh) cần khóa sổ."
        else:
            try:
                result = await service.close_year(request.user, year, commune, province)
                query = urlencode({"year": year, "commune": commune or "", "done": len(result.closed)})
                return Redirect(f"/public-property?{query}", status_code=303)
            except FORM_ERRORS as error:
                errors = form_errors(error)
    return await _book_page(request, {"year": str(year), "commune": commune or ""}, errors, status_code=422)


def _download_query(request: Request) -> tuple[int, str | None, str | None]:
    """(year, commune, province) of a download link; a wrong year is refused naming it."""
    errors: dict[str, str] = {}
    year = _year(request.query_params.get("year"), errors)
    if errors:
        raise DomainError(errors["year"], field="year")
    commune = (request.query_params.get("commune") or "").strip()[:5] or None
    province = (request.query_params.get("province") or "").strip()[:2] or None
    return year, commune, province


def _kind(request: Request) -> Literal["pdf", "xlsx"]:
    return "pdf" if request.url.path.endswith(".pdf") else "xlsx"


@get(["/public-property/book.pdf", "/public-property/book.xlsx"], opt=READERS, include_in_schema=False)
async def book_download(request: Request) -> Response[bytes]:
    """The page's book (its year and commune), as the API's ``/api/public-property/book.pdf|xlsx``."""
    year, commune, _ = _download_query(request)
    return await book_file(request.user, year, commune, _kind(request))


@get(["/public-property/summary.pdf", "/public-property/summary.xlsx"], opt=READERS, include_in_schema=False)
async def summary_download(request: Request) -> Response[bytes]:
    """The yearly summary of the page's commune (or province), as the API's
    ``/api/public-property/summary.pdf|xlsx``."""
    year, commune, province = _download_query(request)
    return await summary_file(request.user, year, commune, province, _kind(request))


@get("/assets/{asset_id:int}/card.pdf", opt=READERS, include_in_schema=False)
async def card_download(request: Request, asset_id: RowId) -> Response[bytes]:
    """A device's fixed-asset card, as the API's ``/api/public-property/cards/{id}/pdf``."""
    return await card_file(request.user, asset_id)


PUBLIC_PROPERTY_PAGES = [book_page, close_submit, book_download, summary_download, card_download]


MINUTES_PAGE = page(*service.MINUTES_READERS)
MEMBER_ROWS = 5


def _members(data: dict[str, str]) -> list[Any]:
    from api.controllers.public_property import MemberIn

    members = []
    for i in range(MEMBER_ROWS):
        name = (data.get(f"name_{i}") or "").strip()[:200]
        if name:
            members.append(
                MemberIn(
                    name=name,
                    position=(data.get(f"position_{i}") or "").strip()[:200],
                    role=(data.get(f"role_{i}") or "").strip()[:100],
                )
            )
    return members


def _minutes_form(
    request: Request, stocktake_id: int, typed: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Template:
    return render(
        request,
        "public_property_minutes.html",
        status_code=status_code,
        stocktake_id=stocktake_id,
        typed=typed,
        errors=errors,
        rows=range(MEMBER_ROWS),
    )


@get("/public-property/stocktakes/{stocktake_id:int}/minutes", opt=MINUTES_PAGE, include_in_schema=False)
async def minutes_page(request: Request, stocktake_id: RowId) -> Template:
    await service.minutes_round(request.user, stocktake_id)
    return _minutes_form(request, stocktake_id, {"role_0": "Trưởng ban"}, {})


@post(
    "/public-property/stocktakes/{stocktake_id:int}/minutes",
    opt=MINUTES_PAGE,
    include_in_schema=False,
    status_code=200,
)
async def minutes_submit(request: Request, stocktake_id: RowId, data: Form) -> Template | Response:
    from api.controllers.public_property import PDF, XLSX, file, forms

    await service.minutes_round(request.user, stocktake_id)  # another's round: 404, not a form error
    try:
        minutes = await service.stocktake_minutes(request.user, stocktake_id, _members(data))
    except FORM_ERRORS as error:
        return _minutes_form(request, stocktake_id, data, form_errors(error), status_code=422)
    if data.get("format") == "xlsx":
        content = await run_heavy(papers.minutes_xlsx, minutes, forms())
        return file(content, XLSX, f"bien-ban-kiem-ke-{stocktake_id}.xlsx")
    content = await run_heavy(papers.minutes_pdf, minutes, forms())
    return file(content, PDF, f"bien-ban-kiem-ke-{stocktake_id}.pdf")


PUBLIC_PROPERTY_PAGES += [minutes_page, minutes_submit]
