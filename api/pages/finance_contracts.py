"""Contract set-up pages: a new contract (from a package, an allocation or a line, with
its supplier and items), amendments and deliveries on the contract page, and the
labels of a delivery's new devices.

Handlers parse the form, call the same use cases as the API with ``request.user``
and, when refused, show the reason beside its field with what was typed kept
(422); nothing is written. Finance and admin only, as the API's writes.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.controllers.labels import pdf_response
from api.errors import _vietnamese
from api.pages.common import page, render
from api.pages.finance import _contract_page
from api.pages.forms import FORM_ERRORS, form_errors
from api.params import RowId
from labels.render import STOCKS
from labels.tags import display_tag
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.core.money import MoneyError, parse_vnd
from procurement.finance import budget, contracts
from procurement.finance.schemas import AmendmentCreate, ContractCreate, DeliveryCreate
from procurement.geography.places import list_categories
from procurement.register.importing import CellError, parse_day

WRITE_PAGE = page("admin", "finance")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
OptionalIdText = Annotated[str | None, QueryParameter(max_length=10)]

MAX_ROWS = 50  # items of one contract (as the API)
_ROW_FIELD = re.compile(r"^items-(\d+)-")
_ITEM_ERROR = re.compile(r"^items\[(\d+)\]\.(\w+)$")


def _id(text: str | None) -> int | None:
    """An id typed in a query or a hidden field; anything else is no choice."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def _event_id(typed: str | None, action: str) -> str | None:
    """The page's one event id, made distinct per form: a resend of the same form is the
    same write, and the payment form on the same page never collides with it."""
    typed = (typed or "").strip()
    try:
        return str(uuid.uuid5(uuid.UUID(typed), action)) if typed else None
    except ValueError:
        return typed  # refused by the use case's schema, naming client_event_id


def _validation_errors(error: ValidationError, names: dict[str, str], rows: list[int] | None = None) -> dict:
    """pydantic's locations as the form's field names: ("supplier", "tax_code") → supplier_tax_code,
    ("items", 0, "quantity") → items-<row>-quantity (the row the item came from)."""
    found: dict[str, str] = {}
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        if len(loc) >= 3 and loc[0] == "items" and loc[1].isdigit():
            row = rows[int(loc[1])] if rows and int(loc[1]) < len(rows) else int(loc[1])
            name = f"items-{row}-{names.get(loc[2], loc[2])}"
        else:
            name = names.get("_".join(loc[:2]), names.get(loc[0], loc[0])) if loc else "_"
        found.setdefault(name, _vietnamese(item["msg"]))
    return found


def _renamed(errors: dict[str, str], names: dict[str, str], rows: list[int] | None = None) -> dict[str, str]:
    """Domain fields as the form's: items[0].category → items-<row>-category, value_vnd → ..."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        item = _ITEM_ERROR.match(key)
        if item:
            index = int(item.group(1))
            row = rows[index] if rows and index < len(rows) else index
            key = f"items-{row}-{names.get(item.group(2), item.group(2))}"
        else:
            key = names.get(key, key)
        out.setdefault(key, message)
    return out


def _rows(data: dict[str, str]) -> list[int]:
    found = {int(m.group(1)) for key in data if (m := _ROW_FIELD.match(key))}
    return sorted(n for n in found if n < MAX_ROWS)


def _money(text: str, errors: dict[str, str], field: str, *, signed: bool = False) -> int | None:
    try:
        return parse_vnd(text, signed=signed)
    except MoneyError as error:
        errors[field] = str(error)
        return None


def _day(text: str, errors: dict[str, str], field: str) -> Any:
    try:
        return parse_day(text)
    except CellError as error:
        errors[field] = str(error)
        return None


def _count(text: str, errors: dict[str, str], field: str, *, signed: bool = False) -> int | None:
    value = text.strip().replace(" ", "")
    if re.fullmatch(r"[+-]?\d{1,6}" if signed else r"\d{1,6}", value):
        return int(value)
    errors[field] = "Ghi số nguyên" + (" (+ thêm, - bớt)" if signed else "") + "."
    return None


async def _categories() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in await list_categories()]


# --- a new contract ------------------------------------------------------------------------

# pydantic locations → form fields; a SupplierIn checked alone names "tax_code" / "name".
_CONTRACT_FIELDS = {"tax_code": "supplier_tax_code", "name": "supplier_name", "unit_price_vnd": "unit_price"}
_CONTRACT_NAMES = {"amount_vnd": "value_vnd", "allocation_id": "_", "line_id": "_", "package_id": "_"}


async def _new_contract_page(
    request: Request, source: dict[str, str | None], values: dict, errors: dict, status_code: int = 200
) -> Template:
    chosen = None
    try:
        if any(source.values()):
            chosen = await contracts.contract_source(
                request.user,
                _id(source.get("allocation_id")),
                _id(source.get("line_id")),
                _id(source.get("package_id")),
            )
    except DomainError as error:
        errors = {**errors, "_": error.message}
    rows = _rows(values) or [0, 1, 2]
    return render(
        request,
        "finance_contract_new.html",
        status_code=status_code,
        source={k: v or "" for k, v in source.items()},
        chosen=chosen,
        lines=[] if chosen else await budget.list_lines(request.user),
        # Signing on a line: its allocations may be chosen instead.
        allocations=await budget.list_allocations(request.user, chosen["line"]["id"], limit=1000)
        if chosen and not chosen["allocation"] and not chosen["package"]
        else [],
        categories=await _categories(),
        rows=rows,
        values=values,
        errors=errors,
        event_id=values.get("client_event_id") or str(uuid.uuid4()),
    )


@get("/finance/contracts/new", opt=WRITE_PAGE, include_in_schema=False)
async def new_contract_page(
    request: Request,
    allocation_id: OptionalIdText = None,
    line_id: OptionalIdText = None,
    package_id: OptionalIdText = None,
) -> Template:
    source = {"allocation_id": allocation_id, "line_id": line_id, "package_id": package_id}
    return await _new_contract_page(request, source, {"signed_on": today_vn().strftime("%d/%m/%Y")}, {})


def _contract_items(data: dict[str, str], errors: dict[str, str]) -> tuple[list[dict], list[int]]:
    """The filled rows of the items table (blank rows are left out) and which row each came from."""
    items, rows = [], []
    for n in _rows(data):
        quantity = (data.get(f"items-{n}-quantity") or "").strip()
        price = (data.get(f"items-{n}-unit_price") or "").strip()
        if not quantity and not price:
            continue
        item = {
            "category": (data.get(f"items-{n}-category") or "").strip(),
            "quantity": _count(quantity, errors, f"items-{n}-quantity"),
            "unit_price_vnd": _money(price, errors, f"items-{n}-unit_price"),
        }
        items.append(item)
        rows.append(n)
    if not items and not errors:
        errors["items-0-quantity"] = "Ghi ít nhất một mặt hàng: số lượng và đơn giá."
    return items, rows


@post("/finance/contracts/new", opt=WRITE_PAGE, include_in_schema=False, status_code=200)
async def new_contract_submit(request: Request, data: Form) -> Template | Redirect:
    source = {k: data.get(k) for k in ("allocation_id", "line_id", "package_id")}
    values = {k: v.strip() for k, v in data.items()}
    if data.get("action") == "add_row":  # without the page's script: one more empty row
        rows = _rows(values) or [0]
        values[f"items-{max(rows) + 1}-quantity"] = ""
        return await _new_contract_page(request, source, values, {})
    errors: dict[str, str] = {}
    items, rows = _contract_items(values, errors)
    signed_on = _day(values.get("signed_on", ""), errors, "signed_on")
    value = _money(values["value_vnd"], errors, "value_vnd") if values.get("value_vnd") else None
    if not errors:
        try:
            supplier = await contracts.resolve_supplier(
                request.user, values.get("supplier_name", ""), values.get("supplier_tax_code", "")
            )
            package_id = _id(source["package_id"])
            allocation_id, line_id = _id(source["allocation_id"]), _id(source["line_id"])
            if package_id is not None:  # the package says where the money comes from
                chosen = await contracts.contract_source(request.user, package_id=package_id)
                allocation_id = chosen["allocation"]["id"] if chosen["allocation"] else None
                line_id = None if allocation_id else chosen["line"]["id"]
            elif allocation_id is not None:
                line_id = None
            contract = await budget.create_contract(
                request.user,
                ContractCreate(
                    allocation_id=allocation_id,
                    line_id=line_id,
                    package_id=package_id,
                    supplier=supplier,
                    number=values.get("number", ""),
                    signed_on=signed_on,
                    items=items,
                    value_vnd=value,
                    client_event_id=_event_id(values.get("client_event_id"), "contract"),
                ),
            )
            return Redirect(f"/finance/contracts/{contract.id}?done=created", status_code=303)
        except ValidationError as error:
            errors = _validation_errors(error, _CONTRACT_FIELDS, rows)
        except FORM_ERRORS as error:
            errors = _renamed(form_errors(error), {**_CONTRACT_NAMES, "unit_price_vnd": "unit_price"}, rows)
    return await _new_contract_page(request, source, values, errors, status_code=422)


# --- amendments and deliveries on the contract page ----------------------------------------


async def _contract_page_again(request: Request, contract_id: int, values: dict, errors: dict) -> Template:
    # The contract page itself (api/pages/finance.py) with this form's typed values and refusals.
    values = {"paid_on": today_vn().strftime("%d/%m/%Y"), **values}
    return await _contract_page(request, contract_id, values, errors, status_code=422)


@post("/finance/contracts/{contract_id:int}/amendments", opt=WRITE_PAGE, include_in_schema=False, status_code=200)
async def amendment_submit(request: Request, contract_id: RowId, data: Form) -> Template | Redirect:
    """Fields are prefixed ``amend_`` (rows ``amend-items-N-…``) so that the payment form on the
    same page keeps its own values and errors."""
    typed = {k: v.strip() for k, v in data.items()}
    errors: dict[str, str] = {}
    signed_on = _day(typed.get("amend_signed_on", ""), errors, "amend_signed_on")
    new_value = _money(typed["amend_new_value"], errors, "amend_new_value") if typed.get("amend_new_value") else None
    change = _money(typed["amend_change"], errors, "amend_change", signed=True) if typed.get("amend_change") else None
    items, rows = [], []
    for n in sorted({int(m.group(1)) for k in typed if (m := re.match(r"^amend-items-(\d+)-", k))})[:MAX_ROWS]:
        quantity, price = typed.get(f"amend-items-{n}-quantity", ""), typed.get(f"amend-items-{n}-unit_price", "")
        if not quantity and not price:
            continue
        items.append(
            {
                "category": typed.get(f"amend-items-{n}-category", ""),
                "quantity_change": _count(quantity, errors, f"amend-items-{n}-quantity", signed=True),
                "unit_price_vnd": _money(price, errors, f"amend-items-{n}-unit_price"),
            }
        )
        rows.append(n)
    if not errors:
        names = {"signed_on": "amend_signed_on", "reason": "amend_reason", "new_value_vnd": "amend_new_value"}
        names |= {"value_change_vnd": "amend_change", "quantity_change": "quantity", "unit_price_vnd": "unit_price"}
        try:
            await contracts.create_amendment(
                request.user,
                contract_id,
                AmendmentCreate(
                    signed_on=signed_on,
                    reason=typed.get("amend_reason", ""),
                    new_value_vnd=new_value,
                    value_change_vnd=change,
                    items=items,
                    client_event_id=_event_id(typed.get("event_id"), "amendment"),
                ),
            )
            return Redirect(f"/finance/contracts/{contract_id}?done=amended", status_code=303)
        except ValidationError as error:
            errors = _validation_errors(error, names, rows)
        except FORM_ERRORS as error:
            errors = _renamed(form_errors(error), names, rows)
        errors = {(f"amend-{k}" if k.startswith("items-") else k): v for k, v in errors.items()}
        errors = {(k if k.startswith("amend") else "amend_form"): v for k, v in errors.items()}
    return await _contract_page_again(request, contract_id, typed, errors)


@post("/finance/contracts/{contract_id:int}/deliveries", opt=WRITE_PAGE, include_in_schema=False, status_code=200)
async def delivery_submit(request: Request, contract_id: RowId, data: Form) -> Template | Redirect:
    """One row per category the contract bought: how many came, their serial numbers (one a
    line; the count is taken from them when left blank), make and model."""
    typed = {k: v.strip() for k, v in data.items()}
    errors: dict[str, str] = {}
    delivered_on = _day(typed.get("delivery_delivered_on", ""), errors, "delivery_delivered_on")
    accepted_text = typed.get("delivery_accepted_on") or typed.get("delivery_delivered_on", "")
    accepted_on = _day(accepted_text, errors, "delivery_accepted_on")
    contract = await budget.get_contract(request.user, contract_id)
    items, categories = [], []
    for item in contract.items:
        prefix = f"delivery-{item.category}-"
        serials = [s.strip() for s in typed.get(f"{prefix}serials", "").splitlines() if s.strip()]
        quantity_text = typed.get(f"{prefix}quantity", "")
        if not quantity_text and not serials:
            continue
        quantity = _count(quantity_text, errors, f"{prefix}quantity") if quantity_text else len(serials)
        items.append(
            {
                "category": item.category,
                "quantity": quantity,
                "serials": serials,
                "make": typed.get(f"{prefix}make", ""),
                "model": typed.get(f"{prefix}model", ""),
            }
        )
        categories.append(item.category)
    if not items and not errors:
        errors["delivery_form"] = "Ghi số lượng hoặc số serial của ít nhất một loại thiết bị."
    if not errors:
        try:
            delivery = await budget.accept_delivery(
                request.user,
                contract_id,
                DeliveryCreate(
                    delivered_on=delivered_on,
                    accepted_on=accepted_on,
                    commune_code=typed.get("delivery_commune_code") or None,
                    items=items,
                    note=typed.get("delivery_note", ""),
                    client_event_id=_event_id(typed.get("event_id"), "delivery"),
                ),
            )
            return Redirect(f"/finance/contracts/{contract_id}?done=delivered&delivery={delivery.id}", status_code=303)
        except ValidationError as error:
            found = _validation_errors(error, {})
        except FORM_ERRORS as error:
            found = form_errors(error)
        errors = {}
        for key, message in found.items():
            row = re.match(r"^items(?:\[(\d+)\]|-(\d+))[.-](\w+)$", key)
            if row:
                index = int(row.group(1) or row.group(2))
                key = f"delivery-{categories[index]}-{row.group(3)}" if index < len(categories) else "delivery_form"
            elif key in ("delivered_on", "accepted_on", "commune_code", "note"):
                key = f"delivery_{key}"
            else:
                key = "delivery_form"
            errors.setdefault(key, message)
    return await _contract_page_again(request, contract_id, typed, errors)


# --- labels of a delivery's new devices ---------------------------------------------------


async def _labels_page(request: Request, delivery_id: int, errors: dict, status_code: int = 200) -> Template:
    delivery, devices = await contracts.delivery_devices(request.user, delivery_id)
    return render(
        request,
        "finance_delivery_labels.html",
        status_code=status_code,
        delivery=delivery,
        devices=[{**d, "tag_display": display_tag(d["tag"])} for d in devices],
        stocks=STOCKS,
        errors=errors,
    )


@get("/finance/deliveries/{delivery_id:int}/labels", opt=WRITE_PAGE, include_in_schema=False)
async def delivery_labels_page(request: Request, delivery_id: RowId) -> Template:
    return await _labels_page(request, delivery_id, {})


@post("/finance/deliveries/{delivery_id:int}/labels", opt=WRITE_PAGE, include_in_schema=False, status_code=200)
async def delivery_labels_print(request: Request, delivery_id: RowId, data: Form) -> Response | Template:
    errors: dict[str, str] = {}
    skip = _count(data.get("skip") or "0", errors, "skip")
    if not errors:
        try:
            pdf, count = await contracts.delivery_labels(
                request.user,
                delivery_id,
                request.app.state.settings.base_url,
                data.get("stock") or "a4-3x8",
                skip or 0,
            )
            return pdf_response(pdf, count, filename=f"tem-giao-hang-{delivery_id}.pdf")
        except DomainError as error:
            errors = form_errors(error, default_field="stock")
    return await _labels_page(request, delivery_id, errors, status_code=422)


FINANCE_CONTRACT_PAGES = [
    new_contract_page,
    new_contract_submit,
    amendment_submit,
    delivery_submit,
    delivery_labels_page,
    delivery_labels_print,
]
