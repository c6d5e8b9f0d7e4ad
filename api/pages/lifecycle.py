"""Pages of a device's life, phone first: warranty, repairs, hand-over to an official and
hand-back, the disposal file (request, the province's decision, carrying it out, the
minutes), who holds what, transfers between communes (the decision, the list, the
minutes, and the receiving commune's scan-to-confirm page) and the reminders.

Handlers parse the form into the same models as the API and call the same use cases
(``procurement.lifecycle``) with ``request.user``: roles and commune scoping are the
API's. A refused form comes back (422) with each message beside its field and what was
typed kept; a saved one redirects (303)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.pages.common import page, render
from api.pages.forms import FORM_ERRORS, form_errors
from api.params import RowId
from models.tables import Province
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.money import MoneyError, parse_vnd
from procurement.lifecycle import papers, service, transfers
from procurement.lifecycle.rules import REPAIR_NOT_WORTH_SHARE
from procurement.lifecycle.schemas import (
    DisposalApprovalIn,
    DisposalExecutionIn,
    DisposalRequestIn,
    HandBackIn,
    HandoverIn,
    ReceiveIn,
    RepairIn,
    TransferIn,
    WarrantyIn,
)
from procurement.register import devices

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
WRITERS = ("admin", "staff")
WARRANTY_WRITERS = ("admin", "staff", "finance")
READERS = ("admin", "finance", "planner", "staff", "accountant", "national")


def _typed(data: dict[str, str], *names: str) -> dict[str, str]:
    return {n: (data.get(n) or "").strip() for n in names}


def _money(values: dict[str, Any], data: dict[str, str], name: str, errors: dict[str, str]) -> None:
    """A money box (``15.000.000``, ``15000000 đ``) into whole đồng; empty stays out."""
    text = (data.get(name) or "").strip()
    if not text:
        return
    try:
        values[name] = parse_vnd(text)
    except MoneyError as error:
        errors[name] = str(error)


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- what the device page and the scan page show ------------------------------------------------


async def life_of(request: Request, asset: Any) -> dict[str, Any]:
    """The device's life for its page: warranty, repairs, holder, disposal files, a transfer under way."""
    user = request.user
    return {
        "warranty": await service.warranty(user, asset.id),
        "repairs": await service.repairs(user, asset.id),
        "holder": await service.current_handover(user, asset.id),
        "disposals": await service.disposal_files(user, asset.id),
        "transfer_id": await transfers.open_transfer_of(user, asset.id) if asset.status == "in_transit" else None,
        "can_write": user.role in WRITERS,
        "can_warranty": user.role in WARRANTY_WRITERS,
    }


async def incoming_transfer(request: Request, tag: str) -> int | None:
    """The transfer bringing this device to the caller's commune, for the scan page."""
    return await transfers.incoming_transfer_for_tag(request.user, tag)


# --- warranty -------------------------------------------------------------------------------------


async def _warranty_page(request: Request, asset_id: int, values: dict, errors: dict, status_code: int = 200):
    asset = await devices.get_asset(request.user, asset_id)
    current = await service.warranty(request.user, asset_id)
    if not values:
        values = {"ends_on": current.ends_on.isoformat() if current.ends_on else "", "supplier": current.supplier}
    return render(
        request,
        "life_warranty.html",
        status_code=status_code,
        asset=asset,
        current=current,
        values=values,
        errors=errors,
    )


@get("/assets/{asset_id:int}/warranty", opt=page(*WARRANTY_WRITERS), include_in_schema=False)
async def warranty_page(request: Request, asset_id: RowId) -> Template:
    return await _warranty_page(request, asset_id, {}, {})


@post("/assets/{asset_id:int}/warranty", opt=page(*WARRANTY_WRITERS), include_in_schema=False, status_code=200)
async def warranty_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    values = _typed(data, "ends_on", "supplier")
    try:
        await service.set_warranty(request.user, asset_id, WarrantyIn(**values))
        return Redirect(f"/assets/{asset_id}?done=warranty", status_code=303)
    except FORM_ERRORS as error:
        return await _warranty_page(request, asset_id, values, form_errors(error, "ends_on"), status_code=422)


# --- repairs --------------------------------------------------------------------------------------


async def _repairs_page(
    request: Request, asset_id: int, values: dict, errors: dict, status_code: int = 200, done: Any = None
) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    return render(
        request,
        "life_repairs.html",
        status_code=status_code,
        asset=asset,
        warranty=await service.warranty(request.user, asset_id),
        summary=await service.repairs(request.user, asset_id),
        values=values or {"started_on": today_vn().isoformat()},
        errors=errors,
        can_write=request.user.role in WRITERS and asset.status != "disposed",
        done=done,
    )


@get("/assets/{asset_id:int}/repairs", opt=page(*READERS), include_in_schema=False)
async def repairs_page(request: Request, asset_id: RowId, done: FromQuery[int | None] = None) -> Template:
    saved = None
    if done is not None:
        summary = await service.repairs(request.user, asset_id)
        saved = next((r for r in summary.repairs if r.id == done), None)
    return await _repairs_page(request, asset_id, {}, {}, done=saved)


@post("/assets/{asset_id:int}/repairs", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def repairs_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    typed = _typed(data, "started_on", "finished_on", "supplier", "cost_vnd", "work_done", "condition_after")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {k: v for k, v in typed.items() if v and k != "cost_vnd"}
    _money(values, typed, "cost_vnd", errors)
    if not errors:
        try:
            saved = await service.record_repair(request.user, asset_id, RepairIn(**values))
            return Redirect(f"/assets/{asset_id}/repairs?done={saved.id}", status_code=303)
        except FORM_ERRORS as error:
            errors = form_errors(error, "started_on")
    return await _repairs_page(request, asset_id, typed, errors, status_code=422)


# --- hand-over to an official -----------------------------------------------------------------------


async def _handover_page(request: Request, asset_id: int, values: dict, errors: dict, status_code: int = 200):
    asset = await devices.get_asset(request.user, asset_id)
    today = today_vn().isoformat()
    return render(
        request,
        "life_handover.html",
        status_code=status_code,
        asset=asset,
        holder=await service.current_handover(request.user, asset_id),
        values={"handed_on": today, "returned_on": today, **values},
        errors=errors,
    )


@get("/assets/{asset_id:int}/handover", opt=page(*WRITERS), include_in_schema=False)
async def handover_page(request: Request, asset_id: RowId) -> Template:
    return await _handover_page(request, asset_id, {}, {})


@post("/assets/{asset_id:int}/handover", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def handover_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    typed = _typed(data, "holder_name", "holder_position", "handed_on")
    try:
        await service.hand_over(
            request.user, asset_id, HandoverIn(**typed, acknowledged=data.get("acknowledged") == "on")
        )
        return Redirect(f"/assets/{asset_id}?done=handed_over", status_code=303)
    except FORM_ERRORS as error:
        typed["acknowledged"] = data.get("acknowledged") or ""
        return await _handover_page(request, asset_id, typed, form_errors(error, "holder_name"), status_code=422)


@post("/assets/{asset_id:int}/handback", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def handback_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    typed = _typed(data, "returned_on")
    try:
        await service.hand_back(request.user, asset_id, HandBackIn(**typed))
        return Redirect(f"/assets/{asset_id}?done=handed_back", status_code=303)
    except FORM_ERRORS as error:
        return await _handover_page(request, asset_id, typed, form_errors(error, "returned_on"), status_code=422)


# --- disposal files ---------------------------------------------------------------------------------


async def _disposal_request_page(
    request: Request, asset_id: int, values: dict, errors: dict, status_code: int = 200
) -> Template:
    asset = await devices.get_asset(request.user, asset_id)
    return render(
        request,
        "life_disposal_request.html",
        status_code=status_code,
        asset=asset,
        files=await service.disposal_files(request.user, asset_id),
        summary=await service.repairs(request.user, asset_id),
        share=REPAIR_NOT_WORTH_SHARE,
        values=values or {"ground": "past_useful_life"},
        errors=errors,
    )


@get("/assets/{asset_id:int}/disposal", opt=page(*WRITERS), include_in_schema=False)
async def disposal_request_page(request: Request, asset_id: RowId) -> Template:
    return await _disposal_request_page(request, asset_id, {}, {})


@post("/assets/{asset_id:int}/disposal", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def disposal_request_submit(request: Request, asset_id: RowId, data: Form) -> Template | Redirect:
    typed = _typed(data, "ground", "repair_estimate_vnd", "reason")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"ground": typed["ground"], "reason": typed["reason"]}
    _money(values, typed, "repair_estimate_vnd", errors)
    if not errors:
        try:
            opened = await service.request_disposal(request.user, asset_id, DisposalRequestIn(**values))
            return Redirect(f"/disposal-files/{opened.id}?done=requested", status_code=303)
        except FORM_ERRORS as error:
            errors = form_errors(error, "ground")
    return await _disposal_request_page(request, asset_id, typed, errors, status_code=422)


async def _disposal_page(
    request: Request, file_id: int, values: dict, errors: dict, status_code: int = 200, done: str | None = None
) -> Template:
    file = await service.disposal(request.user, file_id)
    asset = await devices.get_asset(request.user, file.asset_id)
    today = today_vn().isoformat()
    return render(
        request,
        "life_disposal.html",
        status_code=status_code,
        file=file,
        asset=asset,
        values={"decision_date": today, "carried_out_on": today, "method": "sale", **values},
        errors=errors,
        can_approve=request.user.role in service.DECIDERS and file.status == "requested",
        can_carry_out=request.user.role == "admin" and file.status == "approved",
        done=done,
    )


@get("/disposal-files/{file_id:int}", opt=page(*READERS), include_in_schema=False)
async def disposal_page(request: Request, file_id: RowId, done: FromQuery[str | None] = None) -> Template:
    return await _disposal_page(request, file_id, {}, {}, done=done)


@post("/disposal-files/{file_id:int}/approve", opt=page(*service.DECIDERS), include_in_schema=False, status_code=200)
async def disposal_approve(request: Request, file_id: RowId, data: Form) -> Template | Redirect:
    typed = _typed(data, "decision_number", "decision_date")
    try:
        await service.approve_disposal(request.user, file_id, DisposalApprovalIn(**typed))
        return Redirect(f"/disposal-files/{file_id}?done=approved", status_code=303)
    except FORM_ERRORS as error:
        return await _disposal_page(request, file_id, typed, form_errors(error, "decision_number"), 422)


@post("/disposal-files/{file_id:int}/carry-out", opt=page("admin"), include_in_schema=False, status_code=200)
async def disposal_carry_out(request: Request, file_id: RowId, data: Form) -> Template | Redirect:
    typed = _typed(data, "method", "carried_out_on", "proceeds_vnd")
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"method": typed["method"], "carried_out_on": typed["carried_out_on"]}
    _money(values, typed, "proceeds_vnd", errors)
    if not errors:
        try:
            await service.carry_out_disposal(request.user, file_id, DisposalExecutionIn(**values))
            return Redirect(f"/disposal-files/{file_id}?done=done", status_code=303)
        except FORM_ERRORS as error:
            errors = form_errors(error, "method")
    return await _disposal_page(request, file_id, typed, errors, 422)


@get("/disposal-files/{file_id:int}/minutes.pdf", opt=page(*READERS), include_in_schema=False)
async def disposal_minutes(request: Request, file_id: RowId) -> Response:
    return _pdf(await papers.disposal_minutes(request.user, file_id), f"bien-ban-thanh-ly-{file_id}.pdf")


# --- who holds what -----------------------------------------------------------------------------------


@get("/holdings", opt=page(*READERS), include_in_schema=False)
async def holdings_page(
    request: Request, commune: FromQuery[str | None] = None, holder: FromQuery[str | None] = None
) -> Template:
    """Who holds what now, per commune and per person (staff: their commune)."""
    typed = {"commune": (commune or "").strip()[:100], "holder": (holder or "").strip()[:100]}
    code = typed["commune"] if typed["commune"].isdigit() and len(typed["commune"]) == 5 else None
    rows = await service.holdings(request.user, code, typed["holder"] or None)
    by_person: dict[tuple[str, str], list] = {}
    for row in rows:
        by_person.setdefault((row.commune_code, row.holder_name), []).append(row)
    names = await _commune_names({r.commune_code for r in rows})
    return render(
        request,
        "life_holdings.html",
        groups=sorted(by_person.items(), key=lambda item: (names.get(item[0][0], ""), item[0][1])),
        names=names,
        typed=typed,
        count=len(rows),
        bad_commune=bool(typed["commune"]) and code is None,
    )


async def _commune_names(codes: set[str]) -> dict[str, str]:
    from models.tables import Commune

    if not codes:
        return {}
    return {
        r["code"]: r["name"] for r in await Commune.select(Commune.code, Commune.name).where(Commune.code.is_in(codes))
    }


# --- transfers ------------------------------------------------------------------------------------------


@get("/transfers", opt=page(*READERS), include_in_schema=False)
async def transfers_page(request: Request, commune: FromQuery[str | None] = None) -> Template:
    typed = (commune or "").strip()[:100]
    code = typed if typed.isdigit() and len(typed) == 5 else None
    return render(
        request,
        "life_transfers.html",
        items=await transfers.transfers(request.user, code),
        typed={"commune": typed},
        can_create=request.user.role in transfers.DECIDERS,
    )


def _tags_of(text: str) -> list[str]:
    return [t for t in text.replace(",", " ").replace(";", " ").split() if t]


async def _new_transfer_page(request: Request, values: dict, errors: dict, status_code: int = 200) -> Template:
    return render(request, "life_transfer_new.html", status_code=status_code, values=values, errors=errors)


@get("/transfers/new", opt=page(*transfers.DECIDERS), include_in_schema=False)
async def new_transfer_page(request: Request) -> Template:
    return await _new_transfer_page(request, {"decision_date": today_vn().isoformat()}, {})


@post("/transfers/new", opt=page(*transfers.DECIDERS), include_in_schema=False, status_code=200)
async def new_transfer_submit(request: Request, data: Form) -> Template | Redirect:
    """Devices picked by their tags, or the sending commune's whole inventory (a merged commune)."""
    typed = _typed(data, "from_commune", "to_commune", "decision_number", "decision_date", "tags", "note")
    typed["all_devices"] = "on" if data.get("all_devices") == "on" else ""
    values: dict[str, Any] = {
        k: typed[k] for k in ("from_commune", "to_commune", "decision_number", "decision_date", "note")
    }
    try:
        if typed["all_devices"]:
            if typed["tags"]:
                raise DomainError("Hoặc nhập mã thiết bị, hoặc chọn điều chuyển toàn bộ, không cả hai.", field="tags")
            values["all_devices"] = True
        else:
            # A stand-in while the rest of the form is checked; the tags are read once the
            # sending commune is known to be a well-formed code.
            values["asset_ids"] = [0]
        checked = TransferIn(**values)
        if not typed["all_devices"]:
            checked = checked.model_copy(
                update={"asset_ids": await transfers.asset_ids_for_tags(checked.from_commune, _tags_of(typed["tags"]))}
            )
        created = await transfers.create_transfer(request.user, checked)
        return Redirect(f"/transfers/{created.id}?done=created", status_code=303)
    except FORM_ERRORS as error:
        errors = form_errors(error, "decision_number")
        if "asset_ids" in errors:
            errors["tags"] = errors.pop("asset_ids")
        return await _new_transfer_page(request, typed, errors, status_code=422)


@get("/transfers/{transfer_id:int}", opt=page(*READERS), include_in_schema=False)
async def transfer_page(request: Request, transfer_id: RowId, done: FromQuery[str | None] = None) -> Template:
    transfer = await transfers.transfer_view(request.user, transfer_id)
    return render(
        request,
        "life_transfer.html",
        transfer=transfer,
        can_receive=_can_receive(request, transfer),
        done=done,
    )


def _can_receive(request: Request, transfer: Any) -> bool:
    user = request.user
    if user.role == "admin":
        return True
    return user.role == "staff" and user.commune_code == transfer.to_commune


@get("/transfers/{transfer_id:int}/minutes.pdf", opt=page(*READERS), include_in_schema=False)
async def transfer_minutes(request: Request, transfer_id: RowId) -> Response:
    return _pdf(await papers.transfer_minutes(request.user, transfer_id), f"bien-ban-ban-giao-{transfer_id}.pdf")


async def _receive_page(
    request: Request, transfer_id: int, typed: str, error: str | None, status_code: int = 200, done: Any = None
) -> Template:
    transfer = await transfers.transfer_view(request.user, transfer_id)
    return render(
        request,
        "life_receive.html",
        status_code=status_code,
        transfer=transfer,
        can_receive=_can_receive(request, transfer),
        typed=typed,
        error=error,
        done=done,
    )


@get("/transfers/{transfer_id:int}/receive", opt=page(*WRITERS), include_in_schema=False)
async def receive_page(
    request: Request, transfer_id: RowId, done: FromQuery[str | None] = None, tag: FromQuery[str | None] = None
) -> Template:
    """The receiving commune's phone page: scan (or type) each device that arrived. A label
    scanned with the phone's own camera (``/S/TAG``) comes here with its tag filled in."""
    return await _receive_page(request, transfer_id, (tag or "")[:40], None, done=done)


@post("/transfers/{transfer_id:int}/receive", opt=page(*WRITERS), include_in_schema=False, status_code=200)
async def receive_submit(request: Request, transfer_id: RowId, data: Form) -> Template | Redirect:
    """Without scripts (or signal for them): the typed tag is confirmed and the page comes back."""
    typed = (data.get("tag") or "").strip()[:40]
    try:
        answer = await transfers.receive(request.user, transfer_id, ReceiveIn(tag=typed))
    except ValidationError:
        return await _receive_page(request, transfer_id, typed, "Nhập mã tài sản trên nhãn (7 ký tự).", 422)
    except DomainError as error:
        return await _receive_page(request, transfer_id, typed, error.message, 422)
    return Redirect(f"/transfers/{transfer_id}/receive?done={answer.item.tag}", status_code=303)


# --- reminders ------------------------------------------------------------------------------------------


@get("/reminders", opt=page(*READERS), include_in_schema=False)
async def reminders_page(
    request: Request, within_days: FromQuery[str | None] = None, province: FromQuery[str | None] = None
) -> Template:
    """The same list as GET /api/reminders, grouped by kind, in the caller's scope."""
    errors: dict[str, str] = {}
    days = 30
    if within_days:
        try:
            days = int(within_days)
            if not 1 <= days <= 365:
                raise ValueError
        except ValueError:
            errors["within_days"] = "Số ngày phải là số nguyên từ 1 đến 365."
            days = 30
    code = (province or "").strip()[:2] or None
    provinces = (
        [] if request.user.is_staff else await Province.select(Province.code, Province.name).order_by(Province.name)
    )
    found = await service.reminders(request.user, days, None if request.user.is_staff else code)
    groups: dict[str, list] = {}
    for item in found:
        groups.setdefault(item.kind, []).append(item)
    return render(
        request,
        "life_reminders.html",
        status_code=422 if errors else 200,
        groups=[
            (kind, service.REMINDER_NAMES[kind], groups[kind]) for kind in service.REMINDER_NAMES if kind in groups
        ],
        count=len(found),
        typed={"within_days": within_days or "", "province": code or ""},
        errors=errors,
        days=days,
        provinces=provinces,
    )


LIFECYCLE_PAGES = [
    warranty_page,
    warranty_submit,
    repairs_page,
    repairs_submit,
    handover_page,
    handover_submit,
    handback_submit,
    disposal_request_page,
    disposal_request_submit,
    disposal_page,
    disposal_approve,
    disposal_carry_out,
    disposal_minutes,
    holdings_page,
    transfers_page,
    new_transfer_page,
    new_transfer_submit,
    transfer_page,
    transfer_minutes,
    receive_page,
    receive_submit,
    reminders_page,
]
