"""Pages for the QR labels: the scan page a label opens, the offline stocktake,
the label printing form, and the service worker that keeps the stocktake usable
with no signal."""

from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any

import rjsmin
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.controllers.labels import pdf_response
from api.pages import lifecycle as lifecycle_pages
from api.pages.common import PUBLIC_PAGE, STATIC, page, render
from api.pages.forms import form_errors
from api.security import ALL_ROLES
from labels.render import STOCKS
from labels.tags import TagError, display_tag, parse_tag
from models.tables import Commune
from procurement.core import vocabulary
from procurement.core.errors import DomainError
from procurement.lifecycle import photos, service
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


def _scan_context(request: Request, asset, photo_list: list | None = None, **extra: Any) -> dict[str, Any]:
    return dict(
        asset=asset,
        can_write=request.user.role in WRITERS,
        event_id=_event_id(),
        conditions=["good", "fair", "poor", "broken"],
        form={},
        errors={},
        photos=photo_list or [],
        photo_max=photos.max_bytes(),
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


# Labels hold the URL in capitals (QR alphanumeric mode, see labels.qr): /S/TAG.
SCAN_PATHS = ["/s/{tag:str}", "/S/{tag:str}"]


@get(SCAN_PATHS, opt=page(*ALL_ROLES), include_in_schema=False)
async def scan_page(request: Request, tag: FromPath[str], done: FromQuery[str | None] = None) -> Response | Template:
    try:
        canonical = parse_tag(tag)
    except TagError as error:
        return _not_found(request, tag[:40], error.message)
    try:
        asset = await devices.get_asset_by_tag(request.user, canonical)
    except DomainError:
        # A device on its way to the caller's commune: the label leads to confirming its arrival.
        incoming = await lifecycle_pages.incoming_transfer(request, canonical)
        if incoming is not None:
            return Redirect(f"/transfers/{incoming}/receive?tag={canonical}")
        # Another commune's device answers exactly like a missing one.
        return _not_found(request, display_tag(canonical))
    return render(
        request,
        "scan.html",
        **_scan_context(
            request,
            asset,
            done=DONE_MESSAGES.get(done or ""),
            warranty=await service.warranty_of_seen(asset),
            photo_list=await photos.photos_of_seen(asset),
        ),
    )


@post(SCAN_PATHS, opt=page(*WRITERS), include_in_schema=False, status_code=303)
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
        errors = form_errors(error, default_field="action")
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


@get("/stocktake", opt=page(*WRITERS), include_in_schema=False)
async def stocktake_page(request: Request) -> Template:
    return render(request, "stocktake.html", photo_max=photos.max_bytes())


# The scripts of the offline pages, served minified (a phone with weak signal loads
# them, and the service worker again): the readable sources stay in api/static.
FIELD_SCRIPTS = frozenset({"stocktake.js", "rounds.js", "camera.js", "tags.js", "sw.js", "photos.js", "fieldqueue.js"})


@functools.cache
def minified_script(name: str) -> bytes:
    return rjsmin.jsmin((STATIC / name).read_text(encoding="utf-8")).encode("utf-8")


@get("/field/{name:str}", opt=PUBLIC_PAGE, include_in_schema=False)
async def field_script(name: FromPath[str]) -> Response:
    if name not in FIELD_SCRIPTS or name == "sw.js":
        raise NotFoundException("Không có tệp này.")
    return Response(content=minified_script(name), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


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
        content=minified_script("sw.js"),
        media_type="text/javascript",
        # The browser checks for a new worker on each visit; never serve a stale one.
        headers={"Cache-Control": "no-cache"},
    )


# --- printing labels -------------------------------------------------------------
# What the person filled in decides: typed tags print those devices, an empty
# tag field prints the commune. The first submit only counts (nothing is
# printed or logged); the page then shows how many labels on how many sheets
# and offers "In N nhãn", which prints exactly that plan or shows the new
# count when something changed meanwhile.


async def _labels_context(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str],
    plan: labelling.LabelPlan | None = None,
) -> dict[str, Any]:
    commune = None
    unprinted = None
    user = request.user
    if user.commune_id:
        commune = await Commune.select(Commune.code, Commune.name).where(Commune.id == user.commune_id).first()
        unprinted = await labelling.unprinted_count(user, user.commune_id)
    return dict(stocks=STOCKS, form=form, errors=errors, commune=commune, unprinted=unprinted, plan=plan)


def _label_selection(request: Request, form: dict[str, str]) -> tuple[labelling.LabelSelection | None, dict[str, str]]:
    """The selection the form describes, or the errors naming its fields."""
    choice: dict[str, Any] = {}
    errors: dict[str, str] = {}
    tags = [t for t in form.get("tags", "").replace(",", " ").split() if t]
    if tags:
        choice["tags"] = tags
    else:
        code = form.get("commune_code") or request.user.commune_code or ""
        if not code:
            errors["tags"] = "Nhập mã thiết bị cần in, hoặc chọn xã/phường để in cả xã."
        choice["commune_code"] = code
    try:
        skip = int(form.get("skip") or 0)
    except ValueError:
        errors["skip"] = "Phải là số nguyên."
        skip = 0
    if errors:
        return None, errors
    try:
        return (
            labelling.LabelSelection(
                **choice,
                only_unprinted=form.get("only_unprinted") == "on",
                stock=form.get("stock") or "a4-3x8",
                skip=skip,
            ),
            {},
        )
    except ValidationError as error:
        return None, form_errors(error, default_field="tags")


@get("/labels", opt=page(*WRITERS), include_in_schema=False)
async def labels_page(request: Request, asset_id: FromQuery[int | None] = None) -> Template:
    """The printing form; ``?asset_id=`` (the device page's "In nhãn") fills in that
    device's tag and shows the count straight away."""
    if asset_id is None or not 1 <= asset_id < 2**31:
        return render(request, "labels.html", **await _labels_context(request, {}, {}))
    try:
        selection = labelling.LabelSelection(asset_id=asset_id)
        rows = await labelling.select_assets(request.user, selection)
    except DomainError as error:
        return render(
            request,
            "labels.html",
            status_code=error.status_code,
            **await _labels_context(request, {}, {"tags": error.message}),
        )
    form = {"tags": display_tag(rows[0]["tag"]), "stock": selection.stock, "skip": "0"}
    selection = labelling.LabelSelection(tags=[rows[0]["tag"]])
    plan = await labelling.plan_labels(request.user, selection)
    return render(request, "labels.html", **await _labels_context(request, form, {}, plan))


@post("/labels", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def labels_submit(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response | Template:
    form = {k: v.strip() for k, v in data.items()}
    selection, errors = _label_selection(request, form)
    plan = None
    if selection is not None:
        try:
            expected = form.get("confirm")
            if expected:
                pdf, count = await labelling.print_sheet(
                    request.user, selection, request.app.state.settings.base_url, expected=expected
                )
                return pdf_response(pdf, count)
            plan = await labelling.plan_labels(request.user, selection)
            return render(request, "labels.html", **await _labels_context(request, form, {}, plan))
        except labelling.SelectionChanged as changed:
            plan = changed.plan
            errors["plan"] = changed.message
        except DomainError as error:
            errors.update(form_errors(error, default_field="tags"))
    context = await _labels_context(request, form, errors, plan)
    return render(request, "labels.html", status_code=409 if plan else 400, **context)


SCAN_PAGE_HANDLERS = [
    scan_entry,
    scan_page,
    scan_action,
    stocktake_page,
    field_script,
    service_worker,
    vocabulary_script,
    labels_page,
    labels_submit,
]
