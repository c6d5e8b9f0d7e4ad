"""Suppliers, contract amendments (phụ lục hợp đồng) and the labels of a delivery.

An amendment is a dated, numbered event beside the contract: the signed terms and
items are never edited. It changes the contract's value (to a new value, by a
change, or by what its items add or drop) and its items. The contract row carries
the current value (``Contract.value_vnd``, kept in step in the amendment's own
transaction) so that every ceiling and every report summing contracts counts the
amendments; the signed value stays readable as the first amendment's
``value_before_vnd``.

Locks, in the order every finance write takes them: the allocation (or, for
central purchasing, the line) whose ceiling a rise must fit, then the contract
(which numbers the amendments and which payments lock too). Two amendments at once
therefore get numbers 1 and 2 and never break the ceiling.
"""

from __future__ import annotations

import json
from typing import Any

from models.procurement import (
    Allocation,
    BudgetLine,
    Contract,
    ContractAmendment,
    Delivery,
    Payment,
    ProcurementPackage,
    Supplier,
)
from models.tables import Asset, AssetEvent
from procurement.core.actor import Actor
from procurement.core.clock import now, today_vn
from procurement.core.errors import DomainError, NotFound
from procurement.core.heavy import run_heavy
from procurement.core.replay import once
from procurement.core.text import like_pattern, search_key
from procurement.core.transactions import must_find, write_transaction
from procurement.finance import rules
from procurement.finance.budget import (
    FINANCE_READERS,
    FINANCE_WRITERS,
    _allocation_used,
    _bought,
    _category_ids,
    _delivered,
    _line_charges,
    _locked,
    _sum,
    _user,
    _window,
    amendment_out,
    check_line,
    contract_amendments,
)
from procurement.finance.schemas import AmendmentCreate, AmendmentOut, SupplierIn, SupplierOut

# --- suppliers ----------------------------------------------------------------------------


def _supplier_filters(q: str | None) -> list:
    """Every word of ``q`` in the supplier's search key (name and tax code, diacritics ignored)."""
    return [Supplier.search_text.like(like_pattern(word)) for word in search_key(q or "").split()]


async def search_suppliers(
    actor: Actor, q: str | None = None, limit: int | None = 20, offset: int = 0
) -> list[SupplierOut]:
    """Suppliers whose name holds every word of ``q`` without diacritics ("phong vu" finds
    "Phong Vũ"), or whose tax code holds it, by name."""
    actor.require(*FINANCE_READERS)
    query = Supplier.select(Supplier.id, Supplier.name, Supplier.tax_code).order_by(Supplier.name).order_by(Supplier.id)
    where = _supplier_filters(q)
    if where:
        query = query.where(*where)
    return [SupplierOut(**r) for r in await _window(query, limit, offset)]


async def count_suppliers(actor: Actor, q: str | None = None) -> int:
    actor.require(*FINANCE_READERS)
    where = _supplier_filters(q)
    return await (Supplier.count().where(*where) if where else Supplier.count())


async def resolve_supplier(actor: Actor, name: str, tax_code: str) -> SupplierIn:
    """The supplier a form names, also without the page's script: a tax code alone finds a
    known supplier; a name alone finds the one supplier it matches. A new supplier needs
    both. Refusals name the field to fill in."""
    actor.require(*FINANCE_WRITERS)
    name, tax_code = name.strip(), tax_code.strip()
    if tax_code and not name:
        row = await Supplier.select(Supplier.name).where(Supplier.tax_code == tax_code).first()
        if row is None:
            raise DomainError(
                f"Chưa có nhà cung cấp mã số thuế {tax_code}: ghi tên để thêm mới.", field="supplier_name"
            )
        name = row["name"]
    elif name and not tax_code:
        found = await search_suppliers(actor, name, limit=6)
        exact = [s for s in found if search_key(s.name) == search_key(name)]
        if len(exact) == 1 or len(found) == 1:
            return SupplierIn(name=(exact or found)[0].name, tax_code=(exact or found)[0].tax_code)
        if not found:
            raise DomainError("Nhà cung cấp mới: ghi mã số thuế.", field="supplier_tax_code")
        names = "; ".join(f"{s.name} ({s.tax_code})" for s in found[:5])
        raise DomainError(f"Nhiều nhà cung cấp trùng tên, ghi mã số thuế để chọn: {names}.", field="supplier_tax_code")
    elif not name and not tax_code:
        raise DomainError("Ghi tên hoặc mã số thuế của nhà cung cấp.", field="supplier_name")
    return SupplierIn(name=name, tax_code=tax_code)


# --- contract amendments --------------------------------------------------------------------


async def list_amendments(actor: Actor, contract_id: int) -> list[AmendmentOut]:
    actor.require(*FINANCE_READERS)
    contract = await Contract.select(Contract.line).where(Contract.id == contract_id).first()
    if contract is None:
        raise NotFound("Không tìm thấy hợp đồng.", field="contract_id")
    await check_line(actor, contract["line"], "contract_id", "hợp đồng")  # another province: as missing
    return await contract_amendments(contract_id)


async def create_amendment(actor: Actor, contract_id: int, data: AmendmentCreate) -> AmendmentOut:
    """See :func:`_create_amendment`; with a client event id, a resend is answered again and stored once."""
    actor.require(*FINANCE_WRITERS)
    return await once(
        data.client_event_id,
        action="finance.contract.amend",
        target=f"contract:{contract_id}",
        body=data,
        out=AmendmentOut,
        actor=actor,
        run=lambda: _create_amendment(actor, contract_id, data),
    )


async def _create_amendment(actor: Actor, contract_id: int, data: AmendmentCreate) -> AmendmentOut:
    """Record amendment number n+1 of a contract. A rise must fit in what is left of the
    allocation (or, central purchasing, of the line): 409 naming the limit and the excess;
    a fall never goes below what is paid (409); dated between the contract's signing and
    today; no category below what was delivered."""
    actor.require(*FINANCE_WRITERS)
    await _category_ids(data.items)  # unknown codes refused, naming the row
    # Which parent holds the ceiling never changes: read it before locking, then lock parent → contract.
    head = await Contract.select(Contract.allocation, Contract.line).where(Contract.id == contract_id).first()
    if head is None:
        raise NotFound("Không tìm thấy hợp đồng.", field="contract_id")
    async with write_transaction():
        if head["allocation"] is not None:
            parent = await _locked(Allocation, head["allocation"], "phân bổ", "allocation_id", actor=actor)
        else:
            parent = await _locked(BudgetLine, head["line"], "dòng ngân sách", "line_id", actor=actor)
        contract = await _locked(Contract, contract_id, "hợp đồng", "contract_id", actor=actor)
        rules.check_amendment_date(data.signed_on, contract["signed_on"], today_vn())
        bought = await _bought(contract_id)
        rules.check_amendment_items(
            {category: quantity for category, (quantity, _) in bought.items()},
            await _delivered(contract_id),
            [(i.category, i.quantity_change) for i in data.items],
        )
        change = rules.amendment_value_change(
            contract["value_vnd"],
            data.new_value_vnd,
            data.value_change_vnd,
            sum(i.quantity_change * i.unit_price_vnd for i in data.items),
            bool(data.items),
        )
        paid = await _sum(Payment.amount_vnd, Payment.contract == contract_id)  # every row, as the ceilings count
        try:
            rules.check_amendment_value(contract["value_vnd"], paid, change)
            if change > 0:
                if head["allocation"] is not None:
                    used = await _allocation_used(parent["id"])
                    rules.check_within("allocation_remaining", parent["amount_vnd"], used, change)
                else:
                    rules.check_line_charge(parent["amount_vnd"], await _line_charges(parent["id"]), change)
        except rules.LimitExceeded as error:
            error.field = "new_value_vnd" if data.new_value_vnd is not None else "value_change_vnd"
            raise
        last = (
            await ContractAmendment.select(ContractAmendment.number)
            .where(ContractAmendment.contract == contract_id)
            .order_by(ContractAmendment.number, ascending=False)
            .first()
        )
        after = contract["value_vnd"] + change
        amendment = ContractAmendment(
            contract=contract_id,
            number=(last["number"] if last else 0) + 1,
            signed_on=data.signed_on,
            reason=data.reason,
            value_before_vnd=contract["value_vnd"],
            value_change_vnd=change,
            value_after_vnd=after,
            item_changes=json.dumps(
                [i.model_dump(include={"category", "quantity_change", "unit_price_vnd"}) for i in data.items]
            ),
            created_by=_user(actor),
            created_at=now(),
        )
        await amendment.save()
        if change:
            await Contract.update({Contract.value_vnd: after}).where(Contract.id == contract_id)
    return await amendment_out(amendment.id)


# --- labels of a delivery ---------------------------------------------------------------------


async def delivery_devices(actor: Actor, delivery_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A delivery (with its contract's number) and the devices it registered, in tag order.
    The devices are those of the contract whose "delivered" event was written with the
    delivery (same instant, same transaction)."""
    actor.require(*FINANCE_WRITERS)
    delivery = (
        await Delivery.select(
            Delivery.id,
            Delivery.contract.as_alias("contract_id"),
            Delivery.contract.line.as_alias("line_id"),
            Delivery.contract.number.as_alias("contract_number"),
            Delivery.commune.name.as_alias("commune_name"),
            Delivery.accepted_on,
            Delivery.devices,
            Delivery.at,
        )
        .where(Delivery.id == delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound("Không tìm thấy lần giao hàng.", field="delivery_id")
    await check_line(actor, delivery["line_id"], "delivery_id", "lần giao hàng")
    events = await AssetEvent.select(AssetEvent.asset).where(
        AssetEvent.kind == "delivered",
        AssetEvent.at == delivery["at"],
        AssetEvent.asset.contract == delivery["contract_id"],
    )
    ids = [e["asset"] for e in events]
    rows = (
        await Asset.select(
            Asset.id,
            Asset.tag,
            Asset.serial,
            Asset.commune.id.as_alias("commune_id"),
            Asset.commune.name.as_alias("commune_name"),
            Asset.category.name.as_alias("category_name"),
        )
        .where(Asset.id.is_in(ids))
        .order_by(Asset.tag)
        if ids
        else []
    )
    return delivery, list(rows)


async def delivery_labels(actor: Actor, delivery_id: int, base_url: str, stock: str, skip: int) -> tuple[bytes, int]:
    """The PDF sheet of exactly the devices of one delivery, logged as printed."""
    from labels.render import STOCKS, label_sheet_pdf
    from procurement.register.labelling import label_data, record_printed

    if stock not in STOCKS:
        raise DomainError(f"Khổ nhãn không có; chọn một trong {', '.join(STOCKS)}.", field="stock")
    if not 0 <= skip < STOCKS[stock].labels_per_sheet:
        raise DomainError(f"Số nhãn bỏ qua phải từ 0 đến {STOCKS[stock].labels_per_sheet - 1}.", field="skip")
    _, rows = await delivery_devices(actor, delivery_id)
    if not rows:
        raise NotFound("Lần giao hàng này không có thiết bị.", field="delivery_id")
    pdf = await run_heavy(label_sheet_pdf, label_data(rows, base_url), stock=stock, skip=skip)
    await record_printed(actor, [r["id"] for r in rows], stock)
    return pdf, len(rows)


# --- what a new contract is signed against --------------------------------------------------


async def contract_source(
    actor: Actor, allocation_id: int | None = None, line_id: int | None = None, package_id: int | None = None
) -> dict[str, Any]:
    """What a new contract would be charged to, for the form: the package (if any), the
    allocation or (central purchasing) the line, their names and what is left to sign."""
    actor.require(*FINANCE_WRITERS)
    package = None
    if package_id is not None:
        package = await must_find(
            ProcurementPackage.select(
                ProcurementPackage.id,
                ProcurementPackage.name,
                ProcurementPackage.line,
                ProcurementPackage.allocation,
                ProcurementPackage.estimate_vnd,
            ).where(ProcurementPackage.id == package_id),
            "Không tìm thấy gói thầu.",
            "package_id",
        )
        line_id, allocation_id = package["line"], package["allocation"]
    allocation = None
    if allocation_id is not None:
        allocation = await must_find(
            Allocation.select(
                Allocation.id,
                Allocation.line,
                Allocation.amount_vnd,
                Allocation.commune._.name.as_alias("commune_name"),
            ).where(Allocation.id == allocation_id),
            "Không tìm thấy phân bổ.",
            "allocation_id",
        )
        line_id = allocation["line"]
    if line_id is None:
        raise DomainError("Chọn dòng ngân sách, phân bổ hoặc gói thầu của hợp đồng.", field="line_id")
    await check_line(actor, line_id)  # a package or allocation of another province: as missing
    line = await must_find(
        BudgetLine.select(BudgetLine.id, BudgetLine.number, BudgetLine.name, BudgetLine.amount_vnd).where(
            BudgetLine.id == line_id
        ),
        "Không tìm thấy dòng ngân sách.",
        "line_id",
    )
    if allocation is not None:
        room = max(allocation["amount_vnd"] - await _allocation_used(allocation["id"]), 0)
    else:
        room = (await _line_charges(line["id"])).remaining_vnd(line["amount_vnd"])
    return {"line": line, "allocation": allocation, "package": package, "room_vnd": room}
