"""Finance pages: the disbursement dashboard; contracts with their payments and
procurement packages with their status (finance and admin record and reverse
payments and move packages; planners read).

Handlers parse the form and call the same use cases as the API with
``request.user``; a refused payment comes back with the reason next to its field
and what was typed kept, and nothing is written.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import polars as pl
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from api.pages.common import page, render
from api.pages.forms import FORM_ERRORS, form_errors
from api.params import RowId
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.heavy import run_heavy
from procurement.core.money import MoneyError, parse_vnd
from procurement.finance import budget, reports
from procurement.finance.chart import kept_progress_svg
from procurement.finance.packages import PackageStatus
from procurement.finance.reports import Report
from procurement.finance.schemas import PackageMove, PaymentCreate, ReversalCreate
from procurement.geography.places import list_categories
from procurement.register.importing import CellError, parse_day

CHARTS_ON_DASHBOARD = 6
FINANCE_PAGE = page("admin", "finance", "planner", "national")
PAYMENT_PAGE = page("admin", "finance")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


@get("/finance", opt=FINANCE_PAGE, include_in_schema=False)
async def finance_dashboard(request: Request) -> Template:
    today = today_vn()
    frames = await reports.load_frames(actor=request.user)
    lines, months, lagging, scheduled = await run_heavy(
        pl.collect_all,
        [
            reports.REPORTS[Report.by_line][0](*frames, today=today),
            reports.REPORTS[Report.by_month][0](*frames, today=today),
            reports.REPORTS[Report.lagging][0](*frames, today=today),
            frames[1].select("line_id").unique(),
        ],
    )
    charts = []
    # One chart per line with a schedule of its own (the plans people follow); the first few only,
    # so that a country's 68 lines do not make the page wait for 68 drawings (each line's page has its own).
    scheduled_lines = lines.filter(pl.col("line_id").is_in(scheduled["line_id"].to_list()))
    for line in scheduled_lines.head(CHARTS_ON_DASHBOARD).iter_rows(named=True):
        rows = months.filter(pl.col("line_id") == line["line_id"])
        # vl-convert is CPU work: keep the event loop free while it draws.
        svg = await run_heavy(kept_progress_svg, rows, line["allocated_vnd"], f"{line['number']}")
        charts.append({"line": line, "svg": svg})
    return render(
        request,
        "finance.html",
        today=today,
        lines=lines.to_dicts(),
        charts=charts,
        charts_left=max(0, scheduled_lines.height - len(charts)),
        lagging=lagging.head(20).to_dicts(),
        lagging_count=lagging.height,
        lagging_total=int(lagging["behind_vnd"].sum()) if lagging.height else 0,
    )


# --- contracts and payments -----------------------------------------------------------


def _chosen_line(line_id: str | None) -> int | None:
    # Filter forms send line_id= for "every line": read it as a choice, not as a typed id.
    return int(line_id) if line_id and line_id.isdigit() and 0 < int(line_id) < 2**31 else None


@get("/finance/contracts", opt=FINANCE_PAGE, include_in_schema=False)
async def contracts_page(
    request: Request,
    line_id: Annotated[str | None, QueryParameter(max_length=10, description="Empty: every line")] = None,
    q: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> Template:
    lines = await budget.list_lines(request.user)
    line = _chosen_line(line_id)
    contracts = await budget.contract_summaries(request.user, line, q)
    return render(request, "finance_contracts.html", lines=lines, contracts=contracts, line_id=line, q=q or "")


async def _contract_page(
    request: Request,
    contract_id: int,
    values: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
    reversing: int | None = None,
) -> Template:
    contract = await budget.get_contract(request.user, contract_id)
    payments = await budget.list_payments(request.user, contract_id=contract_id)
    line = await budget.get_line(request.user, contract.line_id)
    today = today_vn().strftime("%d/%m/%Y")
    category_names = {c.code: c.name for c in await list_categories()}
    return render(
        request,
        "finance_contract.html",
        status_code=status_code,
        contract=contract,
        line=line,
        payments=payments,
        category_names=category_names,
        reversed_ids={p.reverses_payment_id for p in payments if p.reverses_payment_id},
        values=values or {"paid_on": today},
        # A payment form sent twice (a double tap, a resend on a weak signal) pays once.
        event_id=(values or {}).get("client_event_id") or str(uuid.uuid4()),
        errors=errors or {},
        reversing=reversing,
        today=today,
        can_pay=request.user.role in PAYMENT_PAGE["roles"],
        done=request.query_params.get("done"),
    )


@get("/finance/contracts/{contract_id:int}", opt=FINANCE_PAGE, include_in_schema=False)
async def contract_page(request: Request, contract_id: RowId) -> Template:
    return await _contract_page(request, contract_id)


def _money_and_day(data: dict[str, str], errors: dict[str, str], required_amount: bool = True) -> dict:
    values: dict = {}
    amount = (data.get("amount_vnd") or "").strip()
    if amount:
        try:
            values["amount_vnd"] = parse_vnd(amount)
        except MoneyError as error:
            errors["amount_vnd"] = str(error)
    elif required_amount:
        errors["amount_vnd"] = "Ghi số tiền (đồng)."
    try:
        values["paid_on"] = parse_day(data.get("paid_on") or "")
    except CellError as error:
        errors["paid_on"] = str(error)
    return values


@post("/finance/contracts/{contract_id:int}/payments", opt=PAYMENT_PAGE, include_in_schema=False, status_code=200)
async def record_payment_submit(request: Request, contract_id: RowId, data: Form) -> Template | Redirect:
    errors: dict[str, str] = {}
    values = _money_and_day(data, errors)
    if not errors:
        try:
            await budget.record_payment(
                request.user,
                PaymentCreate(
                    contract_id=contract_id,
                    client_event_id=(data.get("client_event_id") or "").strip() or None,
                    voucher_number=(data.get("voucher_number") or "").strip(),
                    note=(data.get("note") or "").strip(),
                    **values,
                ),
            )
            return Redirect(f"/finance/contracts/{contract_id}?done=paid", status_code=303)
        except FORM_ERRORS as error:
            errors = form_errors(error)
    return await _contract_page(request, contract_id, data, errors, status_code=422)


@post("/finance/payments/{payment_id:int}/reverse", opt=PAYMENT_PAGE, include_in_schema=False, status_code=200)
async def reverse_payment_submit(request: Request, payment_id: RowId, data: Form) -> Template | Redirect:
    original = await budget.get_payment(request.user, payment_id)
    if original.contract_id is None:  # costs without a contract are reversed through the API
        raise DomainError("Chứng từ này không thuộc hợp đồng nào.", field="payment_id")
    errors: dict[str, str] = {}
    values = _money_and_day(data, errors, required_amount=False)
    if not errors:
        try:
            await budget.reverse_payment(
                request.user,
                payment_id,
                ReversalCreate(
                    voucher_number=(data.get("voucher_number") or "").strip(),
                    note=(data.get("note") or "").strip(),
                    **values,
                ),
            )
            return Redirect(f"/finance/contracts/{original.contract_id}?done=reversed", status_code=303)
        except FORM_ERRORS as error:
            errors = form_errors(error)
    # What was typed goes back into this payment's reversal form, not the payment form.
    return await _contract_page(
        request,
        original.contract_id,
        {f"reverse_{k}": v for k, v in data.items()},
        errors,
        status_code=422,
        reversing=payment_id,
    )


# --- procurement packages ---------------------------------------------------------------


@get("/finance/packages", opt=FINANCE_PAGE, include_in_schema=False)
async def packages_page(
    request: Request,
    line_id: Annotated[str | None, QueryParameter(max_length=10, description="Empty: every line")] = None,
    status: Annotated[str | None, QueryParameter(max_length=20, description="Empty: every status")] = None,
    q: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> Template:
    chosen_status = PackageStatus(status) if status in PackageStatus._value2member_map_ else None
    line = _chosen_line(line_id)
    return render(
        request,
        "finance_packages.html",
        lines=await budget.list_lines(request.user),
        packages=await budget.package_summaries(request.user, line, chosen_status, q),
        statuses=[(s.value, s.label_vi) for s in PackageStatus],
        line_id=line,
        status=chosen_status.value if chosen_status else "",
        q=q or "",
    )


async def _package_page(
    request: Request, package_id: int, errors: dict | None = None, note: str = "", status_code: int = 200
) -> Template:
    package = await budget.get_package(request.user, package_id)
    category_names = {c.code: c.name for c in await list_categories()}
    return render(
        request,
        "finance_package.html",
        status_code=status_code,
        package=package,
        line=await budget.get_line(request.user, package.line_id),
        contracts=await budget.contract_summaries(request.user, package_id=package_id),
        category_names=category_names,
        next_statuses=[(s.value, s.label_vi) for s in package.next_statuses],
        can_move=request.user.role in PAYMENT_PAGE["roles"],
        errors=errors or {},
        note=note,
        done=request.query_params.get("done"),
    )


@get("/finance/packages/{package_id:int}", opt=FINANCE_PAGE, include_in_schema=False)
async def package_page(request: Request, package_id: RowId) -> Template:
    return await _package_page(request, package_id)


@post("/finance/packages/{package_id:int}/status", opt=PAYMENT_PAGE, include_in_schema=False, status_code=200)
async def move_package_submit(request: Request, package_id: RowId, data: Form) -> Template | Redirect:
    note = (data.get("note") or "").strip()
    try:
        await budget.move_package(request.user, package_id, PackageMove(status=data.get("status") or "", note=note))
        return Redirect(f"/finance/packages/{package_id}?done=moved", status_code=303)
    except FORM_ERRORS as error:
        return await _package_page(request, package_id, form_errors(error), note, status_code=422)


FINANCE_PAGES = [
    packages_page,
    package_page,
    move_package_submit,
    finance_dashboard,
    contracts_page,
    contract_page,
    record_payment_submit,
    reverse_payment_submit,
]
