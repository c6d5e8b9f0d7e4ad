"""The register's pages: device list, device page with history, register, edit,
move, report condition, spreadsheet import, and users for admins. Disposal has no page
here: only through the disposal file (``api/pages/lifecycle.py``).

Handlers parse the form, call the same use cases as the API with ``request.user``
(so roles and commune scoping are the API's), and render the answer. A refused
form comes back with each error next to its field and what was typed kept.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Stream, Template
from pydantic import ValidationError

from api.controllers.importing import export_download, template_download
from api.pages import lifecycle as lifecycle_pages
from api.pages.common import page, render
from api.pages.forms import form_errors
from api.params import RowId
from procurement.accounts import users
from procurement.accounts.throttle import locked_names
from procurement.accounts.users import UserCreate, UserUpdate
from procurement.core.errors import DomainError, NotFound
from procurement.core.money import MoneyError, parse_vnd
from procurement.geography.places import list_categories, list_provinces
from procurement.register import devices, importing
from procurement.register.importing import CellError, parse_acquired
from procurement.register.schemas import (
    ACQUISITION_VI,
    CONDITION_VI,
    LOCATION_VI,
    ROLE_VI,
    STATUS_VI,
    AssetCreate,
    AssetFilter,
    AssetMove,
    AssetUpdate,
    ConditionReport,
)

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_SIZE = 25
WRITERS = ("admin", "staff")
REGISTRARS = ("admin", "staff", "finance")
_FILTER_KEYS = ("q", "category", "status", "condition", "min_age_years", "max_age_years", "commune")


def _choices() -> dict[str, dict[str, str]]:
    return {
        "status": STATUS_VI,
        "condition": CONDITION_VI,
        "location": LOCATION_VI,
        "acquisition": ACQUISITION_VI,
        "role": ROLE_VI,
    }


async def _category_options() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in await list_categories()]


def _filled(data: dict[str, str], *names: str) -> dict[str, str]:
    return {n: data[n].strip() for n in names if (data.get(n) or "").strip()}


def _asset_values(data: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """Form fields to the register's input; money and dates read as on the sheet."""
    values: dict[str, Any] = _filled(
        data,
        "tag",
        "category",
        "commune_code",
        "make",
        "model",
        "serial",
        "location",
        "location_detail",
        "assigned_to",
        "acquisition",
        "status",
        "condition",
        "os_name",
        "notes",
    )
    if (data.get("cost_vnd") or "").strip():
        try:
            values["cost_vnd"] = parse_vnd(data["cost_vnd"])
        except MoneyError as error:
            errors["cost_vnd"] = str(error)
    for name in ("acquired_on", "acquired_year"):
        text = (data.get(name) or "").strip()
        if text:
            try:
                on, year = parse_acquired(text)
            except CellError as error:
                errors[name] = str(error)
                continue
            if name == "acquired_on" and on is None:
                errors[name] = "Ghi ngày đầy đủ (dd/mm/yyyy); chỉ biết năm thì ghi ở ô Năm mua."
            elif name == "acquired_year" and year is None:
                errors[name] = "Chỉ ghi năm (vd 2015)."
            else:
                values[name] = on if name == "acquired_on" else year
    for name in ("antimalware_installed", "os_supported"):
        choice = data.get(name, "")
        if choice in ("yes", "no"):
            values[name] = choice == "yes"
    return values


# --- list and device page ------------------------------------------------------------


def _filters_from(request: Request) -> tuple[AssetFilter, dict[str, str]]:
    """Query parameters to filters; a bad value is dropped, not a 400 (it is a page)."""
    raw = {k: request.query_params.get(k, "").strip() for k in _FILTER_KEYS}
    raw = {k: v for k, v in raw.items() if v}
    if request.user.is_staff:
        raw.pop("commune", None)
    kept: dict[str, str] = {}
    for key, value in raw.items():
        try:
            AssetFilter(**{key: value})
        except ValidationError:
            continue
        kept[key] = value
    return AssetFilter(**kept), kept


@get("/assets", opt=page(), include_in_schema=False)
async def assets_page(request: Request) -> Template:
    filters, kept = _filters_from(request)
    cursor = request.query_params.get("cursor") or None
    if cursor and not cursor.isdigit():
        cursor = None
    items, total, next_cursor = await devices.list_assets(request.user, filters, limit=PAGE_SIZE, cursor=cursor)
    return render(
        request,
        "assets.html",
        items=items,
        total=total,
        filters=kept,
        category_options=await _category_options(),
        choices=_choices(),
        next_url=f"/assets?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None,
        first_url=f"/assets?{urlencode(kept)}" if cursor else None,
        export_query=urlencode(kept),
        page_start=0 if not cursor else None,
        can_register=request.user.role in REGISTRARS,
    )


@get(["/assets/export.xlsx", "/assets/export.csv"], opt=page(), include_in_schema=False)
async def assets_export(request: Request) -> Stream:
    """The device list's download: the register as the user may see it, with the page's filters,
    as the API's export (``GET /api/assets/export``)."""
    filters, _ = _filters_from(request)
    return await export_download(request.user, filters, "csv" if request.url.path.endswith(".csv") else "xlsx")


@get("/assets/{asset_id:int}", opt=page(), include_in_schema=False)
async def asset_page(request: Request, asset_id: RowId) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    history = await devices.asset_history(request.user, asset_id)
    return render(
        request,
        "asset.html",
        asset=asset,
        history=list(reversed(history)),
        category_names=dict(await _category_options()),
        can_change=request.user.role in WRITERS and asset.status not in ("disposed", "in_transit"),
        done=request.query_params.get("done"),
        life=await lifecycle_pages.life_of(request, asset),
    )


# --- register and edit ---------------------------------------------------------------------


async def _asset_form(
    request: Request, mode: str, values: dict, errors: dict, asset=None, status_code: int = 200
) -> Template:
    return render(
        request,
        "asset_form.html",
        status_code=status_code,
        mode=mode,
        values=values,
        errors=errors,
        asset=asset,
        category_options=await _category_options(),
        choices=_choices(),
        own_commune=await _own_commune_name(request),
    )


async def _own_commune_name(request: Request) -> str | None:
    """Staff register into their own commune: the form names it ("Xã An Viễn")."""
    from models.tables import Commune

    if not request.user.commune_id:
        return None
    row = await Commune.select(Commune.name).where(Commune.id == request.user.commune_id).first()
    return row["name"] if row else None


@get("/assets/new", opt=page(*REGISTRARS), include_in_schema=False)
async def new_asset_page(request: Request) -> Template:
    values = {
        "commune_code": request.user.commune_code or "",
        "location": "office",
        "acquisition": "purchased",
        "status": "in_use",
        "condition": "good",
    }
    return await _asset_form(request, "new", values, {})


@post("/assets/new", opt=page(*REGISTRARS), include_in_schema=False, status_code=200)
async def new_asset_submit(request: Request, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    values = _asset_values(data, errors)
    if request.user.is_staff:
        values["commune_code"] = request.user.commune_code
    if not errors:
        try:
            created = await devices.register_asset(request.user, AssetCreate(**values))
            return Redirect(f"/assets/{created.id}?done=registered", status_code=303)
        except (ValidationError, DomainError) as error:
            errors = form_errors(error)
    return await _asset_form(request, "new", data, errors, status_code=422)


_EDITABLE = (
    "category",
    "make",
    "model",
    "serial",
    "assigned_to",
    "acquired_on",
    "acquired_year",
    "cost_vnd",
    "acquisition",
    "status",
    "antimalware_installed",
    "os_name",
    "os_supported",
    "notes",
)


def _form_values(asset) -> dict[str, Any]:
    values = asset.model_dump(mode="json")
    values["acquired_on"] = asset.acquired_on.strftime("%d/%m/%Y") if asset.acquired_on else ""
    values["acquired_year"] = asset.acquired_year or ""
    values["cost_vnd"] = f"{asset.cost_vnd:,}".replace(",", ".") if asset.cost_vnd is not None else ""
    for name in ("antimalware_installed", "os_supported"):
        values[name] = "" if values[name] is None else ("yes" if values[name] else "no")
    return values


@get("/assets/{asset_id:int}/edit", opt=page(*WRITERS), include_in_schema=False)
async def edit_asset_page(request: Request, asset_id: RowId) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    return await _asset_form(request, "edit", _form_values(asset), {}, asset)


@post("/assets/{asset_id:int}/edit", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def edit_asset_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    asset = await devices.get_asset(request.user, asset_id)
    errors: dict[str, str] = {}
    values = {k: v for k, v in _asset_values(data, errors).items() if k in _EDITABLE}
    # An emptied box clears what may be cleared.
    for name in ("serial", "acquired_on", "acquired_year", "cost_vnd", "antimalware_installed", "os_supported"):
        if name not in values and name not in errors:
            values[name] = None
    for name in ("make", "model", "assigned_to", "os_name", "notes"):
        values.setdefault(name, "")
    if not errors:
        try:
            await devices.update_asset(request.user, asset_id, AssetUpdate(**values))
            return Redirect(f"/assets/{asset_id}?done=updated", status_code=303)
        except (ValidationError, DomainError) as error:
            errors = form_errors(error)
    return await _asset_form(request, "edit", {**_form_values(asset), **data}, errors, asset, status_code=422)


# --- move, condition -------------------------------------------------------------------------


async def _action(
    request: Request, asset_id: int, action: str, values: dict, errors: dict, status_code: int = 200, **extra
) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    return render(
        request,
        "asset_action.html",
        status_code=status_code,
        action=action,
        asset=asset,
        values=values,
        errors=errors,
        choices=_choices(),
        **extra,
    )


@get("/assets/{asset_id:int}/move", opt=page(*WRITERS), include_in_schema=False)
async def move_page(request: Request, asset_id: RowId) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    return await _action(
        request,
        asset_id,
        "move",
        {
            "commune_code": asset.commune_code,
            "location": asset.location,
            "location_detail": asset.location_detail,
            "assigned_to": asset.assigned_to,
        },
        {},
    )


@post("/assets/{asset_id:int}/move", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def move_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    values = {k: (data.get(k) or "").strip() for k in ("location", "location_detail", "assigned_to", "note")}
    if not request.user.is_staff and (data.get("commune_code") or "").strip():
        values["commune_code"] = data["commune_code"].strip()
    try:
        await devices.move_asset(request.user, asset_id, AssetMove(**values))
        return Redirect(f"/assets/{asset_id}?done=moved", status_code=303)
    except (ValidationError, DomainError) as error:
        return await _action(request, asset_id, "move", data, form_errors(error), status_code=422)


@get("/assets/{asset_id:int}/condition", opt=page(*WRITERS), include_in_schema=False)
async def condition_page(request: Request, asset_id: RowId) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    return await _action(request, asset_id, "condition", {"condition": asset.condition}, {})


@post("/assets/{asset_id:int}/condition", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def condition_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    try:
        report = ConditionReport(condition=data.get("condition") or "", note=data.get("note") or "")
        await devices.report_condition(request.user, asset_id, report)
        return Redirect(f"/assets/{asset_id}?done=condition", status_code=303)
    except (ValidationError, DomainError) as error:
        return await _action(request, asset_id, "condition", data, form_errors(error), status_code=422)


# --- spreadsheet import ---------------------------------------------------------------------------

# A checked file waits here for its commit (same user, one hour), so the phone
# does not send it twice over a weak signal.
_UPLOADS = Path(tempfile.gettempdir()) / "commune-assets-uploads"
_UPLOAD_TTL_SECONDS = 3600


def _upload_path(user_id: int, token: str) -> Path:
    return _UPLOADS / f"{user_id}-{token}"


def _keep_upload(user_id: int, content: bytes, name: str) -> str:
    _UPLOADS.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - _UPLOAD_TTL_SECONDS
    for old in _UPLOADS.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    _upload_path(user_id, token).write_bytes(content)
    _upload_path(user_id, token).with_suffix(".name").write_text(name, encoding="utf-8")
    return token


def _take_upload(user_id: int, token: str) -> tuple[bytes, str]:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        raise DomainError("Phiên nhập tệp không hợp lệ; hãy tải tệp lên lại.", field="file")
    path = _upload_path(user_id, token)
    if not path.exists():
        raise DomainError("Tệp đã kiểm tra không còn (quá một giờ?); hãy tải tệp lên lại.", field="file")
    name_path = path.with_suffix(".name")
    return path.read_bytes(), name_path.read_text(encoding="utf-8") if name_path.exists() else ""


def _drop_upload(user_id: int, token: str) -> None:
    path = _upload_path(user_id, token)
    path.unlink(missing_ok=True)
    path.with_suffix(".name").unlink(missing_ok=True)


@get("/import", opt=page(*WRITERS), include_in_schema=False)
async def import_page(request: Request) -> Template:
    return render(request, "import.html", report=None, token=None, error=None, limits=_limits())


@get("/import/template.xlsx", opt=page(*WRITERS), include_in_schema=False)
async def import_template(request: Request) -> Response[bytes]:
    """The import page's template, as the API's (``GET /api/import/template``)."""
    return await template_download()


def _limits() -> dict[str, int]:
    return {"rows": importing.MAX_IMPORT_ROWS, "mb": importing.MAX_IMPORT_BYTES // 1024 // 1024}


@post(
    "/import",
    opt=page(*WRITERS),
    include_in_schema=False,
    status_code=200,
    request_max_body_size=importing.MAX_IMPORT_BYTES + 1024 * 1024,
)
async def import_check(
    request: Request, data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Template:
    upload = data.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("Chưa chọn tệp.", field="file")
        content = await upload.read(importing.MAX_IMPORT_BYTES + 1)
        report = await importing.dry_run(request.user, content, os.path.basename(upload.filename))
    except DomainError as error:
        return render(
            request,
            "import.html",
            status_code=error.status_code,
            report=None,
            token=None,
            error=error.message,
            limits=_limits(),
        )
    token = (
        _keep_upload(request.user.user_id, content, report.file_name)
        if report.ok and (report.create or report.update)
        else None
    )
    return render(request, "import.html", report=report, token=token, error=None, limits=_limits())


@post("/import/commit", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def import_commit(request: Request, data: Form) -> Template:
    token = data.get("token") or ""
    try:
        content, name = _take_upload(request.user.user_id, token)
        report = await importing.commit(request.user, content, name)
    except importing.ImportRejected as error:
        return render(
            request,
            "import.html",
            status_code=422,
            report=error.report,
            token=None,
            error=error.message,
            limits=_limits(),
        )
    except DomainError as error:
        return render(
            request,
            "import.html",
            status_code=error.status_code,
            report=None,
            token=None,
            error=error.message,
            limits=_limits(),
        )
    _drop_upload(request.user.user_id, token)
    return render(request, "import.html", report=report, token=None, error=None, limits=_limits())


# --- users and roles (admins) ---------------------------------------------------------------------


async def _users_page(
    request: Request,
    values: dict,
    errors: dict,
    status_code: int = 200,
    done: str | None = None,
    row_errors: dict | None = None,
    unlocked: str | None = None,
) -> Template:
    return render(
        request,
        "users.html",
        unlocked=unlocked,
        status_code=status_code,
        users=await users.list_users(request.user),
        provinces=await _province_options(request.user),
        locked=await locked_names(),
        values=values,
        errors=errors,
        row_errors=row_errors or {},
        choices=_choices(),
        done=done,
    )


async def _province_options(actor) -> list[tuple[str, str]]:
    """The provinces an admin may place accounts in: its own, or (national admin) every one."""
    return [(p.code, p.name) for p in await list_provinces() if actor.province_code in (None, p.code)]


@get("/admin/users", opt=page("admin"), include_in_schema=False)
async def users_page(request: Request) -> Template:
    return await _users_page(
        request,
        {"role": "staff"},
        {},
        done=request.query_params.get("done"),
        unlocked=request.query_params.get("unlocked"),
    )


@post("/admin/users", opt=page("admin"), include_in_schema=False, status_code=200)
async def user_create(request: Request, data: Form) -> Template | Redirect:
    values = _filled(data, "username", "password", "role", "full_name", "commune_code", "province_code")
    try:
        created = await users.create_user(UserCreate(**values), actor=request.user)
        return Redirect(f"/admin/users?done={created.username}", status_code=303)
    except (ValidationError, DomainError) as error:
        return await _users_page(request, {**data, "password": ""}, form_errors(error), status_code=422)


@post("/admin/users/{user_id:int}", opt=page("admin"), include_in_schema=False, status_code=200)
async def user_update(request: Request, user_id: RowId, data: Form) -> Template | Redirect:
    values: dict[str, Any] = _filled(data, "role", "full_name", "password")
    values["commune_code"] = (data.get("commune_code") or "").strip() or None
    values["province_code"] = (data.get("province_code") or "").strip() or None
    values["active"] = data.get("active") == "on"
    try:
        updated = await users.update_user(user_id, UserUpdate(**values), request.user)
        return Redirect(f"/admin/users?done={updated.username}", status_code=303)
    except NotFound:
        raise
    except (ValidationError, DomainError) as error:
        return await _users_page(
            request, {"role": "staff"}, {}, status_code=422, row_errors={user_id: form_errors(error)}
        )


@post("/admin/users/{user_id:int}/unlock", opt=page("admin"), include_in_schema=False, status_code=303)
async def user_unlock(request: Request, user_id: RowId) -> Redirect:
    await users.unlock_user(request.user, user_id)
    user = await users.get_user(user_id, request.user)
    return Redirect(f"/admin/users?unlocked={user.username}", status_code=303)


REGISTER_PAGES = [
    assets_page,
    assets_export,
    asset_page,
    new_asset_page,
    new_asset_submit,
    edit_asset_page,
    edit_asset_submit,
    move_page,
    move_submit,
    condition_page,
    condition_submit,
    import_page,
    import_template,
    import_check,
    import_commit,
    users_page,
    user_create,
    user_update,
    user_unlock,
]
