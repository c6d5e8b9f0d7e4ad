"""Finance setup pages: budget lines with sub-lines and schedule milestones, allocations per
commune (one at a time, or a split previewed to the dong before it is written), procurement
packages by hand or from a replacement plan, and the disbursement report downloads.

Same roles as the API: finance and admin write, planners read (and, as on
``/api/planning/plan/packages``, admins and planners save a plan as packages). Every handler
parses the form, calls the use case of :mod:`procurement.finance.budget` (or
:mod:`procurement.planning.plans`) with ``request.user`` and renders the answer; a refusal comes
back beside its field, with what was typed kept (422), and a success redirects (303).
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.pages.common import page, render
from api.pages.forms import FORM_ERRORS, form_errors
from api.pages.planning import WEIGHT_FIELDS
from api.params import RowId
from models.tables import Province
from procurement.core.actor import Actor
from procurement.core.clock import today_vn
from procurement.core.errors import Conflict, DomainError, NotFound
from procurement.core.heavy import run_heavy
from procurement.core.money import MoneyError, parse_vnd
from procurement.finance import budget, reports, split_sheet
from procurement.finance.chart import kept_progress_svg
from procurement.finance.packages import ProcurementMethod
from procurement.finance.reports import Format, Report
from procurement.finance.schemas import (
    AllocationCreate,
    AllocationSplit,
    ItemIn,
    LineCreate,
    LineOut,
    MilestoneIn,
    PackageCreate,
    SplitBasis,
    SplitOut,
)
from procurement.geography.places import list_categories
from procurement.planning import plans
from procurement.register.importing import MAX_IMPORT_BYTES, CellError, parse_day

READERS = page(*budget.FINANCE_READERS)
WRITERS = page(*budget.FINANCE_WRITERS)
PLAN_SAVERS = page("admin", "planner")  # as POST /api/planning/plan/packages
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

MILESTONE_ROWS = 6  # rows of the milestone form; more through several saves is never needed (24 at most)
ITEM_ROWS = 4
BASES = [
    (SplitBasis.officials.value, "Theo số cán bộ, công chức"),
    (SplitBasis.devices_short.value, "Theo số máy tính còn thiếu"),
    (SplitBasis.equal.value, "Chia đều"),
    (SplitBasis.weights.value, "Theo trọng số trong tệp Excel/CSV"),
]
BASIS_VI = dict(BASES)
METHODS = [(m.value, m.label_vi) for m in ProcurementMethod]
_MILESTONE_FIELD = re.compile(r"^milestones\[(\d+)\]\.(due_on|target_share)$")


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _money(data: dict[str, Any], name: str, errors: dict[str, str], required: bool = True) -> int | None:
    raw = _text(data, name)
    if not raw:
        if required:
            errors[name] = "Ghi số tiền (đồng)."
        return None
    try:
        return parse_vnd(raw)
    except MoneyError as error:
        errors[name] = str(error)
        return None


def _day(data: dict[str, Any], name: str, errors: dict[str, str], required: bool = True) -> Any:
    raw = _text(data, name)
    if not raw:
        if required:
            errors[name] = "Ghi ngày (dd/mm/yyyy)."
        return None
    try:
        return parse_day(raw)
    except CellError as error:
        errors[name] = str(error)
        return None


def _number(raw: str) -> float | None:
    raw = raw.replace(" ", "").rstrip("%").replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _milestones(data: dict[str, Any], errors: dict[str, str]) -> list[MilestoneIn] | None:
    """Rows ``ms_due_i`` (dd/mm/yyyy) and ``ms_share_i`` (percent of the line paid by then)."""
    found: list[MilestoneIn] = []
    for i in range(MILESTONE_ROWS):
        due_raw, share_raw = _text(data, f"ms_due_{i}"), _text(data, f"ms_share_{i}")
        if not due_raw and not share_raw:
            continue
        due = _day(data, f"ms_due_{i}", errors)
        share = _number(share_raw) if share_raw else None
        if share is None:
            errors[f"ms_share_{i}"] = "Ghi tỷ lệ giải ngân lũy kế (%), VD: 30."
        elif not 0 < share <= 100:
            errors[f"ms_share_{i}"] = "Tỷ lệ phải lớn hơn 0 và không quá 100 %."
        elif due is not None:
            found.append(MilestoneIn(due_on=due, target_share=share / 100))
    return found


def _page_errors(error: Exception, amount_field: str = "amount_vnd") -> dict[str, str]:
    """Form errors with the milestone rule's fields named as the form's rows, and a ceiling
    beside the form's own amount field."""
    errors = form_errors(error)
    out: dict[str, str] = {}
    for name, message in errors.items():
        row = _MILESTONE_FIELD.match(name)
        if row:
            name = f"ms_{'due' if row.group(2) == 'due_on' else 'share'}_{int(row.group(1))}"
        elif name == "amount_vnd":
            name = amount_field
        out.setdefault(name, message)
    return out


def _event_id(data: dict[str, Any] | None) -> str:
    typed = _text(data or {}, "client_event_id")
    return typed or str(uuid.uuid4())


def _can_write(request: Request) -> bool:
    return request.user.role in WRITERS["roles"]


# --- budget lines -------------------------------------------------------------------------


async def _provinces() -> list[dict]:
    return await Province.select(Province.code, Province.name).order_by(Province.name)


LINES_PER_PAGE = 50


async def _lines_page(
    request: Request, values: dict | None = None, errors: dict | None = None, status_code: int = 200
) -> Template:
    provinces = await _provinces()
    wanted = request.query_params.get("province") or ""
    province = wanted if wanted in {p["code"] for p in provinces} else None
    offset_text = request.query_params.get("offset") or "0"
    offset = int(offset_text) if offset_text.isdigit() and len(offset_text) < 9 else 0
    lines = await budget.list_lines(request.user, province, LINES_PER_PAGE, offset)
    total = await budget.count_lines(request.user, province)
    return render(
        request,
        "finance_lines.html",
        status_code=status_code,
        lines=lines,
        numbers={line.id: line.number for line in lines},
        province=province or "",
        total=total,
        offset=offset,
        per_page=LINES_PER_PAGE,
        provinces=provinces,
        can_write=_can_write(request),
        values=values or {"fiscal_year": str(today_vn().year)},
        errors=errors or {},
        event_id=_event_id(values),
        ms_rows=MILESTONE_ROWS,
    )


@get("/finance/lines", opt=READERS, include_in_schema=False)
async def lines_page(request: Request) -> Template:
    return await _lines_page(request)


def _line_create(data: dict[str, Any], errors: dict[str, str], parent: LineOut | None = None) -> LineCreate | None:
    values: dict[str, Any] = {
        "number": _text(data, "number"),
        "name": _text(data, "name"),
        "issuing_body": _text(data, "issuing_body"),
        "funding_source": _text(data, "funding_source"),
        "decision_date": _day(data, "decision_date", errors),
        "deadline": _day(data, "deadline", errors, required=False),
        "amount_vnd": _money(data, "amount_vnd", errors),
        "milestones": _milestones(data, errors),
        "client_event_id": _text(data, "client_event_id") or None,
    }
    year = _text(data, "fiscal_year")
    if parent is not None:  # a sub-line is of its parent's province, and of its year unless told
        values["parent_id"] = parent.id
        year = year or str(parent.fiscal_year)
    else:
        values["province_code"] = _text(data, "province_code") or None
    if not year.isdigit() or len(year) != 4:
        errors["fiscal_year"] = "Ghi năm ngân sách (4 chữ số), VD: 2025."
    else:
        values["fiscal_year"] = int(year)
    if errors:
        return None
    try:
        return LineCreate(**values)
    except ValidationError as error:
        errors.update(_page_errors(error))
        return None


@post("/finance/lines", opt=WRITERS, include_in_schema=False, status_code=200)
async def create_line_submit(request: Request, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    wanted = _line_create(data, errors)
    if wanted is not None:
        try:
            line = await budget.create_line(request.user, wanted)
            return Redirect(f"/finance/lines/{line.id}?done=created", status_code=303)
        except FORM_ERRORS as error:
            errors = _page_errors(error)
    return await _lines_page(request, data, errors, status_code=422)


async def _line_page(
    request: Request,
    line_id: int,
    *,
    form: str = "",
    values: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
    preview: dict | None = None,
) -> Template:
    """The line with its sub-lines, milestones, allocations, packages and contracts; ``form``
    names the form that ``values`` and ``errors`` belong to (one form refused at a time)."""
    user = request.user
    line = await budget.get_line(user, line_id)
    same_province = await budget.list_lines(user, line.province_code)
    parent = next((x for x in same_province if x.id == line.parent_id), None)
    sub_lines = [x for x in same_province if x.parent_id == line.id]
    allocations = await budget.list_allocations(user, line_id)
    role = user.role
    values = values or {}
    forms = {name: (values if name == form else {}) for name in ("sub", "ms", "alloc", "split", "pkg", "plan")}
    if form != "ms":
        forms["ms"] = {
            key: value
            for i, m in enumerate(line.milestones)
            for key, value in (
                (f"ms_due_{i}", m.due_on.strftime("%d/%m/%Y")),
                (f"ms_share_{i}", f"{m.target_share * 100:g}".replace(".", ",")),
            )
        }
    return render(
        request,
        "finance_line.html",
        status_code=status_code,
        line=line,
        parent=parent,
        sub_lines=sub_lines,
        allocations=allocations,
        allocated_total=sum(a.amount_vnd for a in allocations),
        packages=await budget.package_summaries(user, line_id),
        contracts=await budget.contract_summaries(user, line_id),
        categories=[(c.code, c.name) for c in await list_categories()],
        can_write=role in WRITERS["roles"],
        can_plan=role in PLAN_SAVERS["roles"],
        form=form,
        forms=forms,
        errors={name: (errors or {}) if name == form else {} for name in forms},
        event_ids={name: _event_id(values if name == form else None) for name in forms},
        ms_rows=MILESTONE_ROWS,
        item_rows=ITEM_ROWS,
        bases=BASES,
        methods=METHODS,
        weight_fields=WEIGHT_FIELDS,
        preview=preview,
        chart=await _progress_chart(user, line) if line.milestones else None,
        done=request.query_params.get("done"),
        saved=request.query_params.get("saved", ""),
    )


async def _progress_chart(actor: Actor, line: LineOut) -> str:
    """The line's progress against its schedule, as on the dashboard (same reports, same drawing)."""
    today = today_vn()
    months = await reports.run_report(
        Report.by_month, actor=actor, today=today, province=line.province_code, line_id=line.id
    )
    totals = await reports.run_report(
        Report.by_line, actor=actor, today=today, province=line.province_code, line_id=line.id
    )
    allocated = int(totals["allocated_vnd"][0]) if totals.height else 0
    return await run_heavy(kept_progress_svg, months, allocated, line.number)


@get("/finance/lines/{line_id:int}", opt=READERS, include_in_schema=False)
async def line_page(request: Request, line_id: RowId) -> Template:
    return await _line_page(request, line_id)


@post("/finance/lines/{line_id:int}/sub-lines", opt=WRITERS, include_in_schema=False, status_code=200)
async def create_sub_line_submit(request: Request, line_id: RowId, data: Form) -> Template | Redirect:
    parent = await budget.get_line(request.user, line_id)
    errors: dict[str, str] = {}
    wanted = _line_create(data, errors, parent)
    if wanted is not None:
        try:
            line = await budget.create_line(request.user, wanted)
            return Redirect(f"/finance/lines/{line.id}?done=created", status_code=303)
        except FORM_ERRORS as error:
            errors = _page_errors(error)
    return await _line_page(request, line_id, form="sub", values=data, errors=errors, status_code=422)


@post("/finance/lines/{line_id:int}/milestones", opt=WRITERS, include_in_schema=False, status_code=200)
async def milestones_submit(request: Request, line_id: RowId, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    milestones = _milestones(data, errors)
    if not errors and milestones is not None:
        try:
            await budget.replace_milestones(request.user, line_id, milestones, _text(data, "client_event_id") or None)
            return Redirect(f"/finance/lines/{line_id}?done=milestones", status_code=303)
        except FORM_ERRORS as error:
            errors = _page_errors(error)
    return await _line_page(request, line_id, form="ms", values=data, errors=errors, status_code=422)


# --- allocations ----------------------------------------------------------------------------


@post("/finance/lines/{line_id:int}/allocations", opt=WRITERS, include_in_schema=False, status_code=200)
async def allocation_submit(request: Request, line_id: RowId, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    amount = _money(data, "amount_vnd", errors)
    central = data.get("central") == "on"
    commune = _text(data, "commune_code")
    if not central and not commune:
        errors["commune_code"] = "Ghi mã xã/phường (5 chữ số), hoặc đánh dấu mua sắm tập trung."
    elif central and commune:
        errors["commune_code"] = "Mua sắm tập trung không ghi xã; bỏ một trong hai."
    if not errors:
        try:
            await budget.create_allocation(
                request.user,
                line_id,
                AllocationCreate(
                    commune_code=None if central else commune,
                    amount_vnd=amount,
                    note=_text(data, "note"),
                    client_event_id=_text(data, "client_event_id") or None,
                ),
            )
            return Redirect(f"/finance/lines/{line_id}?done=allocated#allocations", status_code=303)
        except FORM_ERRORS as error:
            errors = _page_errors(error)
    return await _line_page(request, line_id, form="alloc", values=data, errors=errors, status_code=422)


def _encode_weights(weights: dict[str, float]) -> str:
    # repr: the shortest text that reads back as the same float, so the confirm splits by the same weights
    return ";".join(f"{code}={float(weight)!r}" for code, weight in sorted(weights.items()))


def _decode_weights(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in filter(None, text.split(";")):
        code, _, weight = part.partition("=")
        value = _number(weight)
        if value is None:
            raise DomainError("Trọng số gửi lại không đọc được; hãy tải tệp lên lại.", field="weights_file")
        weights[code.strip()] = value
    return weights


def fingerprint(split: SplitOut) -> str:
    """What the preview showed, part by part: the confirm writes only if the split is still that."""
    return budget.split_fingerprint(split.total_vnd, split.basis, split.allocations)


def _split_request(data: dict[str, Any], errors: dict[str, str], weights: dict[str, float] | None) -> dict:
    basis = _text(data, "basis") or SplitBasis.officials.value
    if basis not in BASIS_VI:
        errors["basis"] = "Chọn một cách chia."
    return {
        "total_vnd": _money(data, "total_vnd", errors),
        "basis": basis,
        "weights": weights if basis == SplitBasis.weights.value else None,
    }


def _preview_context(split: SplitOut, data: dict[str, Any], weights: dict[str, float] | None) -> dict:
    return {
        "split": split,
        "sum": sum(a.amount_vnd for a in split.allocations),
        "basis_vi": BASIS_VI[split.basis.value],
        "fingerprint": fingerprint(split),
        "weights": _encode_weights(weights) if weights else "",
        "total_typed": _text(data, "total_vnd"),
        "event_id": _event_id(data if _text(data, "client_event_id") else None),
    }


@post(
    "/finance/lines/{line_id:int}/split",
    opt=WRITERS,
    include_in_schema=False,
    status_code=200,
    request_max_body_size=MAX_IMPORT_BYTES + 1024 * 1024,
)
async def split_preview_submit(request: Request, line_id: RowId, data: Upload) -> Template:
    """The split computed and shown (nothing written): each commune's part and the total."""
    errors: dict[str, str] = {}
    typed = {k: v for k, v in data.items() if isinstance(v, str)}
    weights = None
    try:
        if _text(data, "basis") == SplitBasis.weights.value:
            upload = data.get("weights_file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError("Chọn tệp Excel hoặc CSV có cột Mã xã và Trọng số.", field="weights_file")
            content = await upload.read(MAX_IMPORT_BYTES + 1)
            weights = await split_sheet.read_weights(content, os.path.basename(upload.filename))
        wanted = _split_request(typed, errors, weights)
        if not errors:
            split = await budget.split_allocation(request.user, line_id, AllocationSplit(**wanted, dry_run=True))
            return await _line_page(
                request, line_id, form="split", values=typed, preview=_preview_context(split, typed, weights)
            )
    except FORM_ERRORS as error:
        errors = _page_errors(error, amount_field="total_vnd")
    return await _line_page(request, line_id, form="split", values=typed, errors=errors, status_code=422)


@post("/finance/lines/{line_id:int}/split/confirm", opt=WRITERS, include_in_schema=False, status_code=200)
async def split_confirm_submit(request: Request, line_id: RowId, data: Form) -> Template | Redirect:
    """Write the split the preview showed: the same figures (checked by its fingerprint), once
    (the form's client event id: a double submit writes one split)."""
    errors: dict[str, str] = {}
    try:
        weights = _decode_weights(_text(data, "weights")) if _text(data, "weights") else None
        wanted = _split_request(data, errors, weights)
        if not errors:
            event_id = _text(data, "client_event_id") or None
            try:
                await budget.split_allocation(
                    request.user,
                    line_id,
                    AllocationSplit(**wanted, client_event_id=event_id),
                    expected=_text(data, "fingerprint"),
                )
            except Conflict as error:
                if error.code != "split_changed":
                    raise
                # Officials, devices or weights changed since the preview: show the new figures, nothing written.
                now_split = await budget.split_allocation(
                    request.user, line_id, AllocationSplit(**wanted, dry_run=True)
                )
                preview = _preview_context(now_split, data, weights)
                preview["changed"] = True
                return await _line_page(request, line_id, form="split", values=data, preview=preview, status_code=409)
            return Redirect(f"/finance/lines/{line_id}?done=split#allocations", status_code=303)
    except FORM_ERRORS as error:
        errors = _page_errors(error, amount_field="total_vnd")
    return await _line_page(request, line_id, form="split", values=data, errors=errors, status_code=422)


# --- procurement packages ------------------------------------------------------------------


@post("/finance/lines/{line_id:int}/packages", opt=WRITERS, include_in_schema=False, status_code=200)
async def package_submit(request: Request, line_id: RowId, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    estimate = _money(data, "estimate_vnd", errors)
    allocation = _text(data, "allocation_id")
    items = []
    for i in range(ITEM_ROWS):
        category, quantity = _text(data, f"item_category_{i}"), _text(data, f"item_quantity_{i}")
        if not category and not quantity:
            continue
        if not category:
            errors[f"item_category_{i}"] = "Chọn loại thiết bị."
        elif not quantity.isdigit() or not 1 <= int(quantity) <= 100_000:
            errors[f"item_quantity_{i}"] = "Số lượng là số nguyên từ 1 đến 100.000."
        else:
            items.append(ItemIn(category=category, quantity=int(quantity)))
    if not errors:
        try:
            package = await budget.create_package(
                request.user,
                PackageCreate(
                    line_id=line_id,
                    allocation_id=int(allocation) if allocation.isdigit() else None,
                    name=_text(data, "name"),
                    method=_text(data, "method"),
                    estimate_vnd=estimate,
                    items=items,
                    note=_text(data, "note"),
                    client_event_id=_text(data, "client_event_id") or None,
                ),
            )
            return Redirect(f"/finance/packages/{package.id}?done=created", status_code=303)
        except FORM_ERRORS as error:
            errors = _page_errors(error, amount_field="estimate_vnd")
            for name in list(errors):  # items[0].category -> the row's field
                row = re.match(r"^items\[(\d+)\]\.(category|quantity)$", name)
                if row:
                    errors[f"item_{row.group(2)}_{row.group(1)}"] = errors.pop(name)
    return await _line_page(request, line_id, form="pkg", values=data, errors=errors, status_code=422)


def _plan_number(data: dict[str, Any], name: str, errors: dict[str, str], low: float, high: float) -> float | None:
    raw = _text(data, name)
    if not raw:
        return None
    value = _number(raw)
    if value is None or not low <= value <= high:
        errors[name] = f"Phải là một số từ {low:g} đến {high:g}."
        return None
    return value


@post("/finance/lines/{line_id:int}/plan-packages", opt=PLAN_SAVERS, include_in_schema=False, status_code=200)
async def plan_packages_submit(request: Request, line_id: RowId, data: Form) -> Template | Redirect:
    """The replacement plan a planner draws on /planning, drawn on what is free on this line and
    saved as its packages (one per commune × category)."""
    errors: dict[str, str] = {}
    budget_vnd = _money(data, "budget", errors, required=False)
    min_share = _plan_number(data, "min_share", errors, 0, 100)
    min_score = _plan_number(data, "min_score", errors, 0, 1_000_000)
    weights = {k: _plan_number(data, f"w_{k}", errors, 0, 1000) for k in WEIGHT_FIELDS}
    if not errors:
        try:
            request_body = plans.SavePlanRequest(
                line_id=line_id,
                method=_text(data, "method") or ProcurementMethod.COMPETITIVE_QUOTATION.value,
                plan=plans.PlanRequest(
                    budget_vnd=budget_vnd,
                    line_id=line_id,
                    use_allocations=data.get("use_allocations") == "on",
                    commune=_text(data, "commune") or None,
                    min_share_per_commune=(min_share or 0) / 100,
                    min_score=min_score or 0,
                    weights=plans.WeightsIn(**weights),
                ),
            )
            saved = await plans.save_plan_as_packages(request.user, request_body)
            return Redirect(f"/finance/lines/{line_id}?done=planned&saved={len(saved)}#packages", status_code=303)
        except FORM_ERRORS as error:
            errors = _page_errors(error, amount_field="budget")
            for name in list(errors):
                if name.startswith("plan."):
                    errors[{"plan.budget_vnd": "budget", "plan.line_id": "_"}.get(name, name[5:])] = errors.pop(name)
                elif name == "line_id":
                    errors["_"] = errors.pop(name)
    return await _line_page(request, line_id, form="plan", values=data, errors=errors, status_code=422)


# --- report downloads -------------------------------------------------------------------------


@get("/finance/reports/{name:str}", opt=READERS, include_in_schema=False)
async def report_download(request: Request, name: FromPath[str]) -> Response[bytes]:
    """``/finance/reports/by_commune.xlsx`` (or ``.csv``): the same report and file as the API's."""
    stem, _, suffix = name.partition(".")
    if stem not in Report._value2member_map_ or suffix not in (Format.xlsx.value, Format.csv.value):
        raise NotFound("Không có báo cáo này.")
    report, fmt = Report(stem), Format(suffix)
    today = today_vn()
    frame = await reports.run_report(report, actor=request.user, today=today)
    body = await run_heavy(reports.encode, frame, fmt, reports.REPORTS[report][1], as_of=today)
    return Response(
        body,
        media_type=reports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{reports.filename(report, fmt, today)}"'},
    )


FINANCE_SETUP_PAGES = [
    lines_page,
    create_line_submit,
    line_page,
    create_sub_line_submit,
    milestones_submit,
    allocation_submit,
    split_preview_submit,
    split_confirm_submit,
    package_submit,
    plan_packages_submit,
    report_download,
]
