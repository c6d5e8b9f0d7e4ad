"""Contract amendments (phụ lục hợp đồng) and the supplier look-up through the API.

An amendment is a dated, numbered event: the signed value and items stay readable, the
current value is the signed value plus every amendment and every ceiling, payment and
report uses it. A rise over the allocation (or line) is 409 naming the limit and the
excess; a fall below what is paid is 409; racing amendments get numbers 1, 2… and never
pass the ceiling."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models.procurement import Contract, ContractAmendment, Supplier
from procurement.core.clock import today_vn
from procurement.finance import budget, contracts
from procurement.finance.rules import LimitExceeded
from procurement.finance.schemas import AllocationCreate, AmendmentCreate, ContractCreate, LineCreate
from tests.app.api.test_budget import API, _actor, contract_body, line_body, make_chain, post


@pytest.fixture
async def finance(users):
    return await users.make("finance")


async def _contract(client, headers, allocation_id: int, **overrides) -> dict:
    # 10 desktops at 10 m: 100,000,000 dong, signed 15/09/2025.
    return await post(client, headers, "/contracts", contract_body(allocation_id, **overrides), 201)


def _amend(contract_id: int) -> str:
    return f"/contracts/{contract_id}/amendments"


async def test_an_amendment_raises_the_value_and_keeps_the_original(client, finance):
    line, allocation = await make_chain(client, finance)  # line 1 bn, allocation 500 m
    contract = await _contract(client, finance, allocation["id"])
    first = await post(
        client,
        finance,
        _amend(contract["id"]),
        {
            "signed_on": "2025-10-01",
            "reason": "Bổ sung 2 máy tính xách tay",
            "items": [{"category": "laptop", "quantity_change": 2, "unit_price_vnd": 15_000_000}],
        },
        201,
    )
    assert (first["number"], first["value_before_vnd"], first["value_change_vnd"], first["value_after_vnd"]) == (
        1,
        100_000_000,
        30_000_000,
        130_000_000,
    )
    second = await post(
        client,
        finance,
        _amend(contract["id"]),
        {"signed_on": "2025-10-02", "reason": "Điều chỉnh giá", "new_value_vnd": 125_000_000},
        201,
    )
    assert (second["number"], second["value_change_vnd"]) == (2, -5_000_000)
    shown = (await client.get(f"{API}/contracts/{contract['id']}", headers=finance)).json()
    assert (shown["original_value_vnd"], shown["value_vnd"]) == (100_000_000, 125_000_000)
    assert [a["number"] for a in shown["amendments"]] == [1, 2]
    assert {i["category"]: i["quantity"] for i in shown["items"]} == {"desktop": 10, "laptop": 2}
    listed = (await client.get(f"{API}{_amend(contract['id'])}", headers=finance)).json()
    assert [a["reason"] for a in listed] == ["Bổ sung 2 máy tính xách tay", "Điều chỉnh giá"]
    # The signed items are never edited.
    (row,) = await Contract.select(Contract.id).where(Contract.id == contract["id"])
    assert row
    allocations = (await client.get(f"{API}/lines/{line['id']}/allocations", headers=finance)).json()["items"]
    assert allocations[0]["contracted_vnd"] == 125_000_000
    # The disbursement report commits the current value.
    report = (await client.get(f"{API}/reports/by_line", params={"line_id": line["id"]}, headers=finance)).json()
    assert sum(r["committed_vnd"] for r in report) == 125_000_000
    # A delivery may bring the laptops the amendment added.
    delivered = await post(
        client,
        finance,
        f"/contracts/{contract['id']}/deliveries",
        {"delivered_on": "2025-10-03", "accepted_on": "2025-10-03", "items": [{"category": "laptop", "quantity": 2}]},
        201,
    )
    assert delivered["devices"] == 2


async def test_a_rise_over_the_allocation_is_409_naming_the_limit_and_the_excess(client, finance):
    _, allocation = await make_chain(client, finance)  # allocation 500 m
    contract = await _contract(client, finance, allocation["id"])  # 100 m
    over = await client.post(
        f"{API}{_amend(contract['id'])}",
        json={"signed_on": "2025-10-01", "reason": "Tăng", "value_change_vnd": 400_000_001},
        headers=finance,
    )
    assert over.status_code == 409, over.text
    (item,) = over.json()["extra"]
    assert (item["key"], item["limit"], item["limit_vnd"], item["over_by_vnd"]) == (
        "value_change_vnd",
        "allocation_remaining",
        400_000_000,
        1,
    )
    assert "1 đ" in item["message"]
    assert await ContractAmendment.count() == 0
    await post(
        client,
        finance,
        _amend(contract["id"]),
        {"signed_on": "2025-10-01", "reason": "Tăng", "new_value_vnd": 500_000_000},
        201,
    )
    # The allocation is full: a new contract on it no longer fits.
    await post(client, finance, "/contracts", contract_body(allocation["id"], unit_price=1, quantity=1), 409)


async def test_a_rise_on_a_contract_signed_on_the_line_counts_against_the_line(client, finance):
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000), 201)
    body = contract_body(None, unit_price=600_000, quantity=1)
    body.pop("allocation_id")
    contract = await post(client, finance, "/contracts", {**body, "line_id": line["id"]}, 201)
    over = await client.post(
        f"{API}{_amend(contract['id'])}",
        json={"signed_on": "2025-10-01", "reason": "Tăng", "new_value_vnd": 1_000_001},
        headers=finance,
    )
    assert over.status_code == 409
    (item,) = over.json()["extra"]
    assert (item["key"], item["limit"], item["over_by_vnd"]) == ("new_value_vnd", "line_remaining", 1)
    await post(
        client,
        finance,
        _amend(contract["id"]),
        {"signed_on": "2025-10-01", "reason": "Tăng", "new_value_vnd": 1_000_000},
        201,
    )
    assert (await client.get(f"{API}/lines/{line['id']}", headers=finance)).json()["remaining_vnd"] == 0


async def test_the_value_never_falls_below_what_is_paid_and_payments_follow_the_current_value(client, finance):
    _, allocation = await make_chain(client, finance)
    contract = await _contract(client, finance, allocation["id"])  # 100 m
    pay = {"contract_id": contract["id"], "paid_on": "2025-10-01"}
    await post(client, finance, "/payments", {**pay, "amount_vnd": 60_000_000, "voucher_number": "KB-1"}, 201)
    low = await client.post(
        f"{API}{_amend(contract['id'])}",
        json={"signed_on": "2025-10-02", "reason": "Giảm", "new_value_vnd": 50_000_000},
        headers=finance,
    )
    assert low.status_code == 409
    (item,) = low.json()["extra"]
    assert (item["key"], item["limit"], item["limit_vnd"], item["over_by_vnd"]) == (
        "new_value_vnd",
        "contract_paid",
        40_000_000,
        10_000_000,
    )
    await post(
        client,
        finance,
        _amend(contract["id"]),
        {"signed_on": "2025-10-02", "reason": "Giảm", "new_value_vnd": 60_000_000},
        201,
    )
    await post(client, finance, "/payments", {**pay, "amount_vnd": 1, "voucher_number": "KB-2"}, 409)
    await post(
        client,
        finance,
        _amend(contract["id"]),
        {"signed_on": "2025-10-03", "reason": "Tăng", "value_change_vnd": 10_000_000},
        201,
    )
    await post(client, finance, "/payments", {**pay, "amount_vnd": 10_000_000, "voucher_number": "KB-3"}, 201)
    await post(client, finance, "/payments", {**pay, "amount_vnd": 1, "voucher_number": "KB-4"}, 409)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"signed_on": "2099-01-01", "value_change_vnd": 1}, "signed_on"),  # in the future
        ({"signed_on": "2025-09-14", "value_change_vnd": 1}, "signed_on"),  # before the contract
        ({"signed_on": "2025-10-01"}, "value_change_vnd"),  # changes nothing
        ({"signed_on": "2025-10-01", "value_change_vnd": 0}, "value_change_vnd"),
        ({"signed_on": "2025-10-01", "value_change_vnd": 1, "new_value_vnd": 2}, "value_change_vnd"),
        ({"signed_on": "2025-10-01", "value_change_vnd": 1.5}, "value_change_vnd"),
        ({"signed_on": "2025-10-01", "value_change_vnd": -100_000_000}, "value_change_vnd"),  # to 0
        ({"signed_on": "2025-10-01", "reason": ""}, "reason"),
        (  # the value disagrees with the items
            {
                "signed_on": "2025-10-01",
                "value_change_vnd": 1,
                "items": [{"category": "laptop", "quantity_change": 1, "unit_price_vnd": 2}],
            },
            "value_change_vnd",
        ),
        (  # fewer desktops than delivered (3)
            {
                "signed_on": "2025-10-01",
                "items": [{"category": "desktop", "quantity_change": -8, "unit_price_vnd": 10_000_000}],
            },
            "items[0].quantity_change",
        ),
        (
            {"signed_on": "2025-10-01", "items": [{"category": "toaster", "quantity_change": 1, "unit_price_vnd": 1}]},
            "items[0].category",
        ),
    ],
)
async def test_incoherent_amendments_are_refused_naming_the_field(client, finance, body, field):
    _, allocation = await make_chain(client, finance)
    contract = await _contract(client, finance, allocation["id"])
    await post(
        client,
        finance,
        f"/contracts/{contract['id']}/deliveries",
        {"delivered_on": "2025-09-20", "accepted_on": "2025-09-20", "items": [{"category": "desktop", "quantity": 3}]},
        201,
    )
    answer = await client.post(f"{API}{_amend(contract['id'])}", json={"reason": "Phụ lục", **body}, headers=finance)
    assert 400 <= answer.status_code < 500 and answer.status_code != 409, answer.text
    assert answer.json()["extra"][0]["key"] == field, answer.text
    assert await ContractAmendment.count() == 0
    assert (await Contract.select(Contract.value_vnd).first())["value_vnd"] == 100_000_000


async def test_a_resent_amendment_is_stored_once_and_only_finance_amends(client, finance, users):
    _, allocation = await make_chain(client, finance)
    contract = await _contract(client, finance, allocation["id"])
    body = {"signed_on": "2025-10-01", "reason": "Tăng", "value_change_vnd": 5, "client_event_id": str(uuid.uuid4())}
    first = await post(client, finance, _amend(contract["id"]), body, 201)
    again = await post(client, finance, _amend(contract["id"]), body, 201)
    assert first == again and await ContractAmendment.count() == 1
    planner = await users.make("planner")
    refused = await client.post(
        f"{API}{_amend(contract['id'])}", json={**body, "client_event_id": None}, headers=planner
    )
    assert refused.status_code == 403
    assert (await client.get(f"{API}{_amend(contract['id'])}", headers=planner)).status_code == 200
    assert (await client.get(f"{API}{_amend(999_999)}", headers=planner)).status_code == 404
    missing = await client.post(f"{API}{_amend(999_999)}", json={**body, "client_event_id": None}, headers=finance)
    assert missing.status_code == 404


async def test_racing_amendments_are_numbered_one_by_one_and_never_pass_the_ceiling(users):
    actor = await _actor(users)
    line = await budget.create_line(actor, LineCreate(**line_body()))
    allocation = await budget.create_allocation(
        actor, line.id, AllocationCreate(commune_code="26296", amount_vnd=500_000_000)
    )
    contract = await budget.create_contract(actor, ContractCreate(**contract_body(allocation.id)))  # 100 m, 400 m left
    today = today_vn()

    async def amend(n: int):
        return await contracts.create_amendment(
            actor, contract.id, AmendmentCreate(signed_on=today, reason=f"Phụ lục {n}", value_change_vnd=70_000_000)
        )

    results = await asyncio.gather(*(amend(n) for n in range(8)), return_exceptions=True)
    written = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LimitExceeded)]
    assert len(written) == 5 and len(refused) == 3, results  # 5 × 70 m ≤ 400 m
    assert sorted(a.number for a in written) == [1, 2, 3, 4, 5]
    numbers = [r["number"] for r in await ContractAmendment.select(ContractAmendment.number)]
    assert sorted(numbers) == [1, 2, 3, 4, 5]
    value = (await Contract.select(Contract.value_vnd).where(Contract.id == contract.id).first())["value_vnd"]
    assert value == 450_000_000
    # Chained: each amendment starts where the one before it ended.
    chain = sorted(written, key=lambda a: a.number)
    assert all(a.value_before_vnd == b.value_after_vnd for b, a in zip(chain, chain[1:], strict=False))
    # Two at once, then: numbers 6 and 7, never the same.
    pair = await asyncio.gather(
        contracts.create_amendment(
            actor, contract.id, AmendmentCreate(signed_on=today, reason="A", value_change_vnd=1)
        ),
        contracts.create_amendment(
            actor, contract.id, AmendmentCreate(signed_on=today, reason="B", value_change_vnd=1)
        ),
    )
    assert sorted(a.number for a in pair) == [6, 7]


async def test_suppliers_found_by_name_without_diacritics_or_by_tax_code_page_by_page(client, finance):
    _, allocation = await make_chain(client, finance)
    for n, name in enumerate(["Công ty TNHH Tin học Phong Vũ", "Công ty CP Thế Giới Di Động", "Công ty Phong Vân"]):
        supplier = {"name": name, "tax_code": f"360012345{n}"}
        await _contract(client, finance, allocation["id"], supplier=supplier, unit_price=1_000_000)
    assert await Supplier.count() == 3

    async def find(**params) -> dict:
        answer = await client.get(f"{API}/suppliers", params=params, headers=finance)
        assert answer.status_code == 200, answer.text
        return answer.json()

    found = await find(q="phong vu")
    assert [s["name"] for s in found["items"]] == ["Công ty TNHH Tin học Phong Vũ"] and found["total"] == 1
    assert (await find(q="3600123451"))["items"][0]["name"] == "Công ty CP Thế Giới Di Động"
    assert (await find(q="the gioi"))["total"] == 1
    every = await find(q="phong")
    assert every["total"] == 2
    first, second = await find(q="cong ty", limit=2), await find(q="cong ty", limit=2, offset=2)
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {s["id"] for s in first["items"]}.isdisjoint({s["id"] for s in second["items"]})
    assert (await client.get(f"{API}/suppliers", params={"limit": 0}, headers=finance)).status_code == 400
