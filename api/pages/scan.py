"""Pages for the QR labels: the scan page a label opens, the offline stocktake,
the label printing form, and the service worker that keeps the stocktake usable
with no signal."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.controllers.labels import pdf_response
from api.pages.common import PUBLIC_PAGE, STATIC, page, render
from api.security import ALL_ROLES
from labels.render import STOCKS
from labels.tags import TagError, display_tag, parse_tag
from models.tables import Commune
from procurement.core import vocabulary
from procurement.core.errors import DomainError
from procurement.register import devices, labelling
from procurement.register.schemas import AssetMove, ConditionReport, NotFoundReport, StocktakeConfirm

WRITERS = ("admin", "staff")
NOT_FOUND_MESSAGE = "Không tìm thấy thiết bị có mã này trong xã/phường của bạn."

DONE_MESSAGES = {
    "confirm": "Đã xác nhận: thiết bị vẫn ở đây.",
    "condition": "Đã ghi tình trạng.",
    "not_found": "Đã ghi nhận: không thấy thiết bị ở đây.",
    "move": "Đã ghi nơi đặt mới.",
}


def _event_id() -> str:
    # A fresh id per rendered form: pressing the button twice, or resubmitting
    # after a dropped reply, still records the action once.
    return uuid.uuid4().hex


def _scan_context(request: Request, asset, **extra: Any) -> dict[str, Any]:
    return dict(
        asset=asset,
        can_write=request.user.role in WRITERS,
        event_id=_event_id(),
        conditions=["good", "fair", "poor", "broken"],
        form={},
        errors={},
        **extra,
    )


def _not_found(request: Request, typed: str, message: str = NOT_FOUND_MESSAGE) -> Template:
    return render(request, "scan_missing.html", status_code=404, message=message, typed=typed)


@get("/s", opt=page(*ALL_ROLES), include_in_schema=False)
async def scan_entry(request: Request, tag: FromQuery[str | None] = None) -> Response | Template:
    """Type a tag (for a label that will not scan); goes to its scan page."""
    if tag is None:
        return render(request, "scan_missing.html", message=None, typed="")
    try:
        return Redirect(f"/s/{parse_tag(tag)}")
    except TagError as error:
        return render(request, "scan_missing.html", status_code=400, message=error.message, typed=tag[:40])


@get("/s/{tag:str}", opt=page(*ALL_ROLES), include_in_schema=False)
async def scan_page(request: Request, tag: FromPath[str], done: FromQuery[str | None] = None) -> Template:
    try:
        canonical = parse_tag(tag)
    except TagError as error:
        return _not_found(request, tag[:40], error.message)
    try:
        asset = await devices.get_asset_by_tag(request.user, canonical)
    except DomainError:
        # Another commune's device answers exactly like a missing one.
        return _not_found(request, display_tag(canonical))
    return render(request, "scan.html", **_scan_context(request, asset, done=DONE_MESSAGES.get(done or "")))


@post("/s/{tag:str}", opt=page(*WRITERS), include_in_schema=False, status_code=303)
async def scan_action(
    request: Request,
    tag: FromPath[str],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response | Template:
    try:
        canonical = parse_tag(tag)
        asset = await devices.get_asset_by_tag(request.user, canonical)
    except (TagError, DomainError):
        return _not_found(request, tag[:40])
    action = data.get("action", "")
    event_id = data.get("client_event_id") or None
    note = data.get("note", "")
    try:
        if action == "confirm":
            await devices.confirm_stocktake(
                request.user, asset.id, StocktakeConfirm(note=note, client_event_id=event_id)
            )
        elif action == "condition":
            await devices.report_condition(
                request.user,
                asset.id,
                ConditionReport(condition=data.get("condition") or "", note=note, client_event_id=event_id),
            )
        elif action == "not_found":
            await devices.report_not_found(request.user, asset.id, NotFoundReport(note=note, client_event_id=event_id))
        elif action == "move":
            if not (data.get("location_detail") or "").strip():
                raise DomainError("Ghi nơi thiết bị được chuyển đến.", field="location_detail")
            await devices.move_asset(
                request.user,
                asset.id,
                AssetMove(
                    location=data.get("location") or None,
                    location_detail=data.get("location_detail"),
                    note=note,
                    client_event_id=event_id,
                ),
            )
        else:
            raise DomainError("Chọn một thao tác.", field="action")
    except ValidationError as error:
        errors = {str(e["loc"][0]) if e["loc"] else "action": _first_message(e) for e in error.errors()}
        return render(
            request,
            "scan.html",
            status_code=400,
            **{**_scan_context(request, asset), "form": data, "errors": errors, "failed": action},
        )
    except DomainError as error:
        return render(
            request,
            "scan.html",
            status_code=error.status_code,
            **{
                **_scan_context(request, asset),
                "form": data,
                "errors": {error.field or "action": error.message},
                "failed": action,
            },
        )
    return Redirect(f"/s/{canonical}?done={action}", status_code=303)


def _first_message(error: dict) -> str:
    from api.errors import _vietnamese

    return _vietnamese(error.get("msg", ""))


@get("/stocktake", opt=page(*WRITERS), include_in_schema=False)
async def stocktake_page(request: Request) -> Template:
    return render(request, "stocktake.html")


# The groups the phone's scripts show (stocktake.js); add one here when a script needs it.
# Only these: the offline page's first load has a 60 KB budget.
PHONE_VOCABULARY = ("condition", "stocktake_result")


@get("/vocabulary.js", opt=PUBLIC_PAGE, include_in_schema=False)
async def vocabulary_script() -> Response:
    """The codes' Vietnamese names for the phone's scripts (``window.VOCAB``), from the one vocabulary."""
    return Response(
        content=vocabulary.script(*PHONE_VOCABULARY),
        media_type="text/javascript",  # Litestar adds the charset (utf-8)
        # Cached by the service worker for offline use; the browser revalidates when online.
        headers={"Cache-Control": "no-cache"},
    )


@get("/sw.js", opt=PUBLIC_PAGE, include_in_schema=False)
async def service_worker() -> Response:
    return Response(
        content=(STATIC / "sw.js").read_bytes(),
        media_type="text/javascript",
        # The browser checks for a new worker on each visit; never serve a stale one.
        headers={"Cache-Control": "no-cache"},
    )


# --- printing labels -------------------------------------------------------------


async def _labels_context(request: Request, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    commune = None
    unprinted = None
    user = request.user
    if user.commune_id:
        commune = await Commune.select(Commune.code, Commune.name).where(Commune.id == user.commune_id).first()
        unprinted = await labelling.unprinted_count(user, user.commune_id)
    return dict(stocks=STOCKS, form=form, errors=errors, commune=commune, unprinted=unprinted)


@get("/labels", opt=page(*WRITERS), include_in_schema=False)
async def labels_page(request: Request) -> Template:
    return render(request, "labels.html", **await _labels_context(request, {}, {}))


@post("/labels", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def labels_submit(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response | Template:
    form = {k: v.strip() for k, v in data.items()}
    choice: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if form.get("what") == "tags":
        choice["tags"] = [t for t in form.get("tags", "").replace(",", " ").split() if t] or None
        if choice["tags"] is None:
            errors["tags"] = "Nhập ít nhất một mã."
    else:
        choice["commune_code"] = form.get("commune_code") or request.user.commune_code or ""
    try:
        skip = int(form.get("skip") or 0)
    except ValueError:
        errors["skip"] = "Phải là số nguyên."
        skip = 0
    if not errors:
        try:
            selection = labelling.LabelSelection(
                **choice,
                only_unprinted=form.get("only_unprinted") == "on",
                stock=form.get("stock") or "a4-3x8",
                skip=skip,
            )
            pdf, count = await labelling.print_sheet(request.user, selection, request.app.state.settings.base_url)
            return pdf_response(pdf, count)
        except ValidationError as error:
            for item in error.errors():
                message = _first_message(item)
                field = str(item["loc"][0]) if item["loc"] else ""
                if ": " in message and not field:
                    field, message = message.split(": ", 1)
                errors[field or "what"] = message
        except DomainError as error:
            errors[error.field or "what"] = error.message
    context = await _labels_context(request, form, errors)
    return render(request, "labels.html", status_code=400, **context)


SCAN_PAGE_HANDLERS = [
    scan_entry,
    scan_page,
    scan_action,
    stocktake_page,
    service_worker,
    vocabulary_script,
    labels_page,
    labels_submit,
]
