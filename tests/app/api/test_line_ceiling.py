"""Issue 12, defect 1: a budget line's ceiling counts everything charged to it.

Every kind of existing charge (sub-line, allocation, contract signed straight on the
line, payment straight on the line without contract) × every kind of new charge
(sub-line, allocation, split, contract on the line, payment on the line): one dong
over the rest is refused with 409 naming the limit and the excess in Vietnamese,
the exact rest is accepted, and racing requests never pass the line."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models.procurement import Allocation, BudgetLine, Contract, Payment
from tests.app.api.test_budget import API, line_body, post
from tests.app.conftest import AN_VIEN


@pytest.fixture
async def finance(users):
    return await users.make("finance")


LINE = 1_000_000
USED = 600_000
REST = LINE - USED


def _charge_body(kind: str, line_id: int, amount: int) -> tuple[str, dict, int]:
    """(path, body, status on success) of a charge of ``amount`` on line ``line_id``."""
    if kind == "sub_line":
        body = line_body(parent_id=line_id, province_code=None, amount_vnd=amount, milestones=[])
        return "/lines", body, 201
    if kind == "allocation":
        return f"/lines/{line_id}/allocations", {"commune_code": AN_VIEN, "amount_vnd": amount}, 201
    if kind == "split":
        body = {"total_vnd": amount, "basis": "equal", "commune_codes": [AN_VIEN]}
        return f"/lines/{line_id}/allocations/split", body, 200
    if kind == "contract":
        body = {
            "line_id": line_id,
            "supplier": {"name": "Công ty TNHH Tin học Đồng Nai", "tax_code": "3600123456"},
            "number": f"HĐ-{uuid.uuid4().hex[:6]}",
            "signed_on": "2025-09-15",
            "items": [{"category": "desktop", "quantity": 1, "unit_price_vnd": amount}],
        }
        return "/contracts", body, 201
    assert kind == "payment"
    body = {"line_id": line_id, "amount_vnd": amount, "paid_on": "2025-10-01", "voucher_number": uuid.uuid4().hex[:8]}
    return "/payments", body, 201


async def _charge(client, headers, kind: str, line_id: int, amount: int, expect: int | None = None) -> dict:
    path, body, ok = _charge_body(kind, line_id, amount)
    return await post(client, headers, path, body, expect or ok)


async def _totals(line_id: int) -> int:
    """Everything charged to the line, read straight from the tables."""
    rows = [
        await BudgetLine.select(BudgetLine.amount_vnd).where(BudgetLine.parent == line_id),
        await Allocation.select(Allocation.amount_vnd).where(Allocation.line == line_id),
        await Contract.select(Contract.value_vnd.as_alias("amount_vnd")).where(Contract.line == line_id),
        await Payment.select(Payment.amount_vnd).where(Payment.line == line_id, Payment.contract.is_null()),
    ]
    return sum(r["amount_vnd"] for group in rows for r in group)


EXISTING = ["sub_line", "allocation", "contract", "payment"]
NEW = ["sub_line", "allocation", "split", "contract", "payment"]


@pytest.mark.parametrize("new", NEW)
@pytest.mark.parametrize("existing", EXISTING)
async def test_every_charge_counts_against_the_line(client, finance, existing, new):
    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE), 201)
    await _charge(client, finance, existing, line["id"], USED)
    assert (await client.get(f"{API}/lines/{line['id']}", headers=finance)).json()["remaining_vnd"] == REST

    refused = await _charge(client, finance, new, line["id"], REST + 1, expect=409)
    (item,) = refused["extra"]
    limit = "parent_line_remaining" if new == "sub_line" else "line_remaining"
    assert (item["limit"], item["limit_vnd"], item["requested_vnd"], item["over_by_vnd"]) == (limit, REST, REST + 1, 1)
    assert "vượt" in refused["detail"] and "400.000" in refused["detail"] and "1 đ" in refused["detail"]
    assert await _totals(line["id"]) == USED  # nothing half-written

    await _charge(client, finance, new, line["id"], REST)
    fetched = (await client.get(f"{API}/lines/{line['id']}", headers=finance)).json()
    assert fetched["remaining_vnd"] == 0
    assert await _totals(line["id"]) == LINE
    # Full: even one dong more of any kind is refused.
    await _charge(client, finance, "allocation", line["id"], 1, expect=409)


@pytest.mark.parametrize("new", NEW)
async def test_racing_charges_never_pass_the_line(client, finance, new):
    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE), 201)
    await _charge(client, finance, "contract", line["id"], USED)

    async def attempt():
        path, body, _ = _charge_body(new, line["id"], REST)
        return await client.post(f"{API}{path}", json=body, headers=finance)

    answers = await asyncio.gather(*(attempt() for _ in range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes == sorted([200 if new == "split" else 201] + [409] * 5), [a.text for a in answers]
    assert await _totals(line["id"]) == LINE


async def test_the_line_report_counts_every_charge(client, finance):
    """The case of the issue: 600,000 on the line, then 1,000,000 allocated — refused, and
    the by-line report shows what is left, never a share paid over 1."""
    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE), 201)
    contract = await _charge(client, finance, "contract", line["id"], USED)
    await _charge(client, finance, "allocation", line["id"], LINE, expect=409)
    await _charge(client, finance, "contract", line["id"], LINE, expect=409)
    await post(
        client,
        finance,
        "/payments",
        {"contract_id": contract["id"], "amount_vnd": USED, "paid_on": "2025-10-01", "voucher_number": "KB-1"},
        201,
    )
    report = await client.get(
        f"{API}/reports/by_line", params={"as_of": "2025-12-31", "line_id": line["id"]}, headers=finance
    )
    (row,) = [r for r in report.json() if r["line_id"] == line["id"]]
    assert (row["committed_vnd"], row["paid_vnd"], row["uncharged_vnd"]) == (USED, USED, REST)
    assert row["share_paid"] == pytest.approx(0.6)


# --- defect 2: one new supplier named by contracts arriving at once ------------------


async def test_contracts_naming_one_new_supplier_at_once_create_it_once(client, finance):
    from models.procurement import Supplier

    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE * 100), 201)
    allocations = [
        await post(
            client, finance, f"/lines/{line['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": LINE}, 201
        )
        for _ in range(6)
    ]
    supplier = {"name": "Công ty Cổ phần Mới Toanh", "tax_code": "3600999999"}

    async def sign(allocation_id: int, n: int):
        body = {
            "allocation_id": allocation_id,
            "supplier": supplier,
            "number": f"HĐ-{n}",
            "signed_on": "2025-09-15",
            "items": [{"category": "desktop", "quantity": 1, "unit_price_vnd": LINE}],
        }
        return await client.post(f"{API}/contracts", json=body, headers=finance)

    answers = await asyncio.gather(*(sign(a["id"], n) for n, a in enumerate(allocations)))
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert await Supplier.count().where(Supplier.tax_code == "3600999999") == 1
    assert sorted(c["number"] for c in await Contract.select(Contract.number)) == [f"HĐ-{n}" for n in range(6)]
    assert {a.json()["supplier_tax_code"] for a in answers} == {"3600999999"}


# --- defect 3: payments dated in the future -----------------------------------------


async def test_payments_are_dated_between_signing_and_today(client, finance):
    import datetime as dt

    from procurement.core.clock import today_vn

    today = today_vn()
    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE * 10), 201)
    contract = await _charge(client, finance, "contract", line["id"], LINE)
    alloc = await _charge(client, finance, "allocation", line["id"], LINE)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    targets = [{"contract_id": contract["id"]}, {"allocation_id": alloc["id"]}, {"line_id": line["id"]}]
    for target in targets:
        for day in (tomorrow, "2099-10-01"):
            body = {**target, "amount_vnd": 1_000, "paid_on": day, "voucher_number": "KB-2099"}
            refused = await post(client, finance, "/payments", body, 422)
            assert refused["extra"][0]["key"] == "paid_on" and "sau ngày hôm nay" in refused["extra"][0]["message"]
    early = {**targets[0], "amount_vnd": 1_000, "paid_on": "2025-09-14", "voucher_number": "KB-0"}
    assert (await post(client, finance, "/payments", early, 422))["extra"][0]["key"] == "paid_on"
    assert await Payment.count() == 0
    paid = await post(
        client,
        finance,
        "/payments",
        {**targets[0], "amount_vnd": 1_000, "paid_on": today.isoformat(), "voucher_number": "KB-1"},
        201,
    )
    reversal = {"paid_on": tomorrow, "voucher_number": "KB-1-Đ"}
    refused = await post(client, finance, f"/payments/{paid['id']}/reverse", reversal, 422)
    assert refused["extra"][0]["key"] == "paid_on"
    assert await Payment.count() == 1


async def test_views_and_reports_count_what_is_paid_as_of_today(client, finance):
    """A payment dated in the future already in the books (before this rule) is not
    'paid' yet, in the contract view, the contract list, the allocations and the reports alike."""
    import datetime as dt

    from procurement.core.clock import today_vn

    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE * 10), 201)
    alloc = await _charge(client, finance, "allocation", line["id"], LINE)
    path, body, _ = _charge_body("contract", line["id"], LINE)
    contract = await post(client, finance, path, {**body, "line_id": None, "allocation_id": alloc["id"]}, 201)
    for day, amount in ((today_vn(), 100), (dt.date(2099, 1, 1), 900)):
        await Payment.insert(
            Payment(
                line=line["id"],
                allocation=alloc["id"],
                contract=contract["id"],
                amount_vnd=amount,
                paid_on=day,
                voucher_number=f"KB-{amount}",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    view = (await client.get(f"{API}/contracts/{contract['id']}", headers=finance)).json()
    assert view["paid_vnd"] == 100
    allocations = (await client.get(f"{API}/lines/{line['id']}/allocations", headers=finance)).json()["items"]
    assert [a["paid_vnd"] for a in allocations] == [100]
    report = (await client.get(f"{API}/reports/by_line", params={"line_id": line["id"]}, headers=finance)).json()
    assert [r["paid_vnd"] for r in report if r["line_id"] == line["id"]] == [100]


# --- contract list searched by supplier without diacritics, in SQL -------------------


async def test_contract_list_finds_suppliers_without_diacritics(client, finance):
    from models.tables import AppUser
    from procurement.core.actor import Actor
    from procurement.finance import budget

    line = await post(client, finance, "/lines", line_body(amount_vnd=LINE * 10), 201)
    for name, tax in (("Công ty TNHH Tin học Phong Vũ", "3600123457"), ("Công ty Đồng Tiến", "3600123458")):
        path, body, _ = _charge_body("contract", line["id"], 1_000)
        await post(client, finance, path, {**body, "supplier": {"name": name, "tax_code": tax}}, 201)
    user = await AppUser.select(AppUser.id).first()
    actor = Actor(user_id=user["id"], username="x", role="finance")

    async def found(q: str) -> list[str]:
        return [c.supplier_name for c in await budget.contract_summaries(actor, q=q)]

    assert await found("phong vu") == ["Công ty TNHH Tin học Phong Vũ"]
    assert await found("DONG tien") == ["Công ty Đồng Tiến"]
    assert sorted(await found("cong ty hd")) == sorted(["Công ty Đồng Tiến", "Công ty TNHH Tin học Phong Vũ"])
    assert await found("phong tien") == [] and await found("50%") == []
    assert len(await found("")) == 2
