"""Budget lines, allocations, packages, contracts, deliveries and payments through
the API: every ceiling answers 409 naming the limit and the amount over, every
incoherent value 422 naming the field, and nothing is half-written."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models.procurement import Allocation, BudgetLine, Contract, PackageStatusChange, Payment
from models.tables import Asset, AssetEvent, Commune
from procurement.core.actor import Actor
from procurement.finance import budget
from procurement.finance.rules import LimitExceeded
from procurement.finance.schemas import AllocationCreate, ContractCreate, LineCreate, PaymentCreate
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE

API = "/api/finance"


def line_body(**overrides) -> dict:
    body = {
        "number": "65/KH-UBND",
        "name": "Trang bị thiết bị cho xã, phường",
        "issuing_body": "UBND tỉnh Đồng Nai",
        "decision_date": "2025-08-22",
        "fiscal_year": 2025,
        "amount_vnd": 1_000_000_000,
        "province_code": "75",
        "deadline": "2026-06-30",
        "milestones": [
            {"due_on": "2025-10-31", "target_share": 0.3},
            {"due_on": "2026-06-30", "target_share": 1.0},
        ],
    }
    body.update(overrides)
    return body


def contract_body(allocation_id: int, unit_price: int = 10_000_000, quantity: int = 10, **overrides) -> dict:
    body = {
        "allocation_id": allocation_id,
        "supplier": {"name": "Công ty TNHH Tin học Đồng Nai", "tax_code": "3600123456"},
        "number": f"HĐ-{uuid.uuid4().hex[:6]}",
        "signed_on": "2025-09-15",
        "items": [{"category": "desktop", "quantity": quantity, "unit_price_vnd": unit_price}],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def finance(users):
    return await users.make("finance")


async def post(client, headers, path, body, expect):
    answer = await client.post(f"{API}{path}", json=body, headers=headers)
    assert answer.status_code == expect, answer.text
    return answer.json()


async def make_chain(client, headers, line_amount=1_000_000_000, allocation=500_000_000):
    line = await post(client, headers, "/lines", line_body(amount_vnd=line_amount), 201)
    alloc = await post(
        client, headers, f"/lines/{line['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": allocation}, 201
    )
    return line, alloc


def limit_of(body: dict) -> dict:
    assert body["status_code"] == 409
    (item,) = body["extra"]
    return item


async def test_sub_lines_and_allocations_never_exceed_the_line(client, finance):
    parent = await post(client, finance, "/lines", line_body(number="187/NQ-HĐND", amount_vnd=187_000_000_000), 201)
    plan = await post(
        client,
        finance,
        "/lines",
        line_body(parent_id=parent["id"], province_code=None, amount_vnd=161_250_000_000),
        201,
    )
    assert plan["parent_id"] == parent["id"] and plan["province_code"] == "75"
    await post(
        client, finance, f"/lines/{parent['id']}/allocations", {"commune_code": None, "amount_vnd": 25_000_000_000}, 201
    )
    # 187 − 161.25 − 25 = 0.75 bn left on the parent: one dong more is refused, naming the limit.
    over = await post(
        client, finance, "/lines", line_body(parent_id=parent["id"], province_code=None, amount_vnd=750_000_001), 409
    )
    item = limit_of(over)
    assert (item["limit"], item["limit_vnd"], item["over_by_vnd"]) == ("parent_line_remaining", 750_000_000, 1)
    over = await post(
        client, finance, f"/lines/{parent['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": 750_000_001}, 409
    )
    assert (limit_of(over)["limit"], limit_of(over)["over_by_vnd"]) == ("line_remaining", 1)
    await post(
        client, finance, f"/lines/{parent['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": 750_000_000}, 201
    )
    fetched = (await client.get(f"{API}/lines/{parent['id']}", headers=finance)).json()
    assert fetched["remaining_vnd"] == 0 and fetched["sub_lines_vnd"] == 161_250_000_000
    assert await BudgetLine.count() == 2


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount_vnd": 0}, "amount_vnd"),
        ({"amount_vnd": 1.5}, "amount_vnd"),
        ({"amount_vnd": "1000"}, "amount_vnd"),
        ({"amount_vnd": -5}, "amount_vnd"),
    ],
)
async def test_amounts_are_positive_whole_dong(client, finance, overrides, field):
    answer = await client.post(f"{API}/lines", json=line_body(**overrides), headers=finance)
    assert answer.status_code == 400
    assert any(field in (item.get("key") or "") for item in answer.json()["extra"])


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"deadline": "2025-08-01"}, "deadline"),
        ({"milestones": [{"due_on": "2025-08-01", "target_share": 0.5}]}, "milestones[0].due_on"),
        (
            {
                "milestones": [
                    {"due_on": "2025-10-01", "target_share": 0.5},
                    {"due_on": "2025-11-01", "target_share": 0.4},
                ]
            },
            "milestones[1].target_share",
        ),
        ({"province_code": None}, "province_code"),
    ],
)
async def test_incoherent_lines_are_422_naming_the_field(client, finance, overrides, field):
    body = await post(client, finance, "/lines", line_body(**overrides), 422)
    assert body["extra"][0]["key"] == field
    assert await BudgetLine.count() == 0


async def test_allocation_commune_must_be_in_the_lines_province(client, finance):
    line = await post(client, finance, "/lines", line_body(), 201)
    body = await post(
        client, finance, f"/lines/{line['id']}/allocations", {"commune_code": "00004", "amount_vnd": 1}, 422
    )
    assert body["extra"][0]["key"] == "commune_code"


async def test_split_adds_up_to_the_dong_and_follows_the_weights(client, finance):
    officials = {AN_VIEN: 30, OTHER_COMMUNE: 20, "25210": 0}
    for code, n in officials.items():
        await Commune.update({Commune.officials: n}).where(Commune.code == code)
    line = await post(client, finance, "/lines", line_body(), 201)
    body = {"total_vnd": 100_000_001, "basis": "officials", "commune_codes": list(officials)}
    preview = await post(client, finance, f"/lines/{line['id']}/allocations/split", {**body, "dry_run": True}, 200)
    assert preview["written"] is False and await Allocation.count() == 0
    split = await post(client, finance, f"/lines/{line['id']}/allocations/split", body, 200)
    amounts = {a["commune_code"]: a["amount_vnd"] for a in split["allocations"]}
    assert sum(amounts.values()) == 100_000_001
    assert amounts == {AN_VIEN: 60_000_001, OTHER_COMMUNE: 40_000_000}  # 3:2, the odd dong to the larger quota
    assert await Allocation.count() == 2
    over = await post(
        client, finance, f"/lines/{line['id']}/allocations/split", {**body, "total_vnd": 900_000_000}, 409
    )
    assert limit_of(over)["over_by_vnd"] == 1


async def test_contracts_fit_what_is_left_of_their_allocation(client, finance):
    _, alloc = await make_chain(client, finance, allocation=200_000_000)
    await post(client, finance, "/contracts", contract_body(alloc["id"], quantity=15), 201)  # 150 m
    over = await post(client, finance, "/contracts", contract_body(alloc["id"], quantity=6), 409)  # 60 m > 50 m left
    item = limit_of(over)
    assert (item["limit"], item["limit_vnd"], item["requested_vnd"], item["over_by_vnd"]) == (
        "allocation_remaining",
        50_000_000,
        60_000_000,
        10_000_000,
    )
    assert await Contract.count() == 1


async def test_contract_value_is_its_items_and_dated_after_the_decision(client, finance):
    _, alloc = await make_chain(client, finance)
    wrong = await post(client, finance, "/contracts", contract_body(alloc["id"], value_vnd=99_999_999), 422)
    assert wrong["extra"][0]["key"] == "value_vnd"
    early = await post(client, finance, "/contracts", contract_body(alloc["id"], signed_on="2025-08-21"), 422)
    assert early["extra"][0]["key"] == "signed_on"
    ok = await post(client, finance, "/contracts", contract_body(alloc["id"], value_vnd=100_000_000), 201)
    assert ok["value_vnd"] == 100_000_000 and ok["commune_code"] == AN_VIEN
    assert await Contract.count() == 1


async def test_payments_never_pass_the_contract_value_nor_precede_signing(client, finance):
    _, alloc = await make_chain(client, finance)
    contract = await post(client, finance, "/contracts", contract_body(alloc["id"]), 201)  # 100 m
    pay = {"contract_id": contract["id"], "paid_on": "2025-10-01", "voucher_number": "KB-001"}
    await post(client, finance, "/payments", {**pay, "amount_vnd": 70_000_000}, 201)
    pay["voucher_number"] = "KB-002"
    over = await post(client, finance, "/payments", {**pay, "amount_vnd": 30_000_001}, 409)
    item = limit_of(over)
    assert (item["limit"], item["limit_vnd"], item["over_by_vnd"]) == ("contract_unpaid", 30_000_000, 1)
    early = await post(client, finance, "/payments", {**pay, "amount_vnd": 1, "paid_on": "2025-09-14"}, 422)
    assert early["extra"][0]["key"] == "paid_on"
    both = await post(client, finance, "/payments", {**pay, "allocation_id": alloc["id"], "amount_vnd": 1}, 422)
    assert both["extra"][0]["key"] == "contract_id"
    await post(client, finance, "/payments", {**pay, "amount_vnd": 30_000_000}, 201)
    assert (await client.get(f"{API}/contracts/{contract['id']}", headers=finance)).json()["paid_vnd"] == 100_000_000


async def test_payments_without_contract_fit_the_allocation_with_its_contracts(client, finance):
    _, alloc = await make_chain(client, finance, allocation=120_000_000)
    await post(client, finance, "/contracts", contract_body(alloc["id"]), 201)  # 100 m
    pay = {"allocation_id": alloc["id"], "paid_on": "2025-10-01", "voucher_number": "KB-9"}
    await post(client, finance, "/payments", {**pay, "amount_vnd": 15_000_000}, 201)
    over = await post(client, finance, "/payments", {**pay, "amount_vnd": 5_000_001}, 409)
    assert (limit_of(over)["limit"], limit_of(over)["over_by_vnd"]) == ("allocation_remaining", 1)
    # ... and a contract cannot take what such payments used.
    over = await post(client, finance, "/contracts", contract_body(alloc["id"], unit_price=5_000_001, quantity=1), 409)
    assert limit_of(over)["over_by_vnd"] == 1


async def test_a_payment_is_reversed_once_by_a_negative_entry_and_never_deleted(client, finance):
    _, alloc = await make_chain(client, finance)
    contract = await post(client, finance, "/contracts", contract_body(alloc["id"]), 201)
    pay = {"contract_id": contract["id"], "paid_on": "2025-10-01", "voucher_number": "KB-001"}
    first = await post(client, finance, "/payments", {**pay, "amount_vnd": 100_000_000}, 201)
    reversal = {"paid_on": "2025-10-05", "voucher_number": "KB-001-Đ"}
    too_much = await post(
        client, finance, f"/payments/{first['id']}/reverse", {**reversal, "amount_vnd": 100_000_001}, 409
    )
    assert limit_of(too_much)["limit"] == "payment_reversible"
    too_early = await post(
        client, finance, f"/payments/{first['id']}/reverse", {**reversal, "paid_on": "2025-09-30"}, 422
    )
    assert too_early["extra"][0]["key"] == "paid_on"
    undo = await post(client, finance, f"/payments/{first['id']}/reverse", {**reversal, "amount_vnd": 40_000_000}, 201)
    assert (undo["amount_vnd"], undo["reverses_payment_id"]) == (-40_000_000, first["id"])
    again = await post(client, finance, f"/payments/{first['id']}/reverse", reversal, 422)
    assert again["extra"][0]["key"] == "reverses_payment_id"
    of_reversal = await post(client, finance, f"/payments/{undo['id']}/reverse", reversal, 422)
    assert of_reversal["extra"][0]["key"] == "reverses_payment_id"
    # The reversal freed exactly 40 m.
    pay["voucher_number"] = "KB-002"
    await post(client, finance, "/payments", {**pay, "amount_vnd": 40_000_001}, 409)
    await post(client, finance, "/payments", {**pay, "amount_vnd": 40_000_000}, 201)
    assert await Payment.count() == 3
    listed = (await client.get(f"{API}/payments", params={"contract_id": contract["id"]}, headers=finance)).json()[
        "items"
    ]
    assert sum(p["amount_vnd"] for p in listed) == 100_000_000


async def test_package_moves_one_step_forward_and_logs_who_and_when(client, users, finance):
    line, alloc = await make_chain(client, finance)
    package = await post(
        client,
        finance,
        "/packages",
        {
            "line_id": line["id"],
            "allocation_id": alloc["id"],
            "name": "Mua máy tính Xã An Viễn",
            "method": "shortened_direct_appointment",
            "estimate_vnd": 100_000_000,
            "items": [{"category": "desktop", "quantity": 10}],
        },
        201,
    )
    assert package["status"] == "planned" and package["next_statuses"] == ["tendering", "cancelled"]
    skip = await post(client, finance, f"/packages/{package['id']}/status", {"status": "contracted"}, 409)
    assert skip["extra"][0]["key"] == "status"
    await post(client, finance, f"/packages/{package['id']}/status", {"status": "tendering", "note": "đăng tải"}, 200)
    # Signing a contract for a package in tendering moves it to contracted.
    contract = await post(client, finance, "/contracts", contract_body(alloc["id"], package_id=package["id"]), 201)
    moved = (await client.get(f"{API}/packages/{package['id']}", headers=finance)).json()
    assert [h["to_status"] for h in moved["history"]] == ["planned", "tendering", "contracted"]
    assert all(h["actor"] and h["at"] for h in moved["history"])
    back = await post(client, finance, f"/packages/{package['id']}/status", {"status": "tendering"}, 409)
    assert "quay lại" in back["detail"]
    await post(client, finance, f"/packages/{package['id']}/status", {"status": "cancelled"}, 200)
    final = await post(client, finance, f"/packages/{package['id']}/status", {"status": "closed"}, 409)
    assert "trạng thái cuối" in final["detail"]
    assert await PackageStatusChange.count() == 4
    planner = await users.make("planner")
    assert (await client.get(f"{API}/packages/{package['id']}", headers=planner)).status_code == 200
    assert (
        await client.post(f"{API}/packages/{package['id']}/status", json={"status": "closed"}, headers=planner)
    ).status_code == 403
    assert contract["package_id"] == package["id"]


async def test_accepting_a_delivery_registers_linked_assets_with_tags(client, finance):
    line, alloc = await make_chain(client, finance)
    package = await post(
        client,
        finance,
        "/packages",
        {
            "line_id": line["id"],
            "allocation_id": alloc["id"],
            "name": "Gói 1",
            "method": "competitive_quotation",
            "estimate_vnd": 100_000_000,
        },
        201,
    )
    await post(client, finance, f"/packages/{package['id']}/status", {"status": "tendering"}, 200)
    contract = await post(
        client, finance, "/contracts", contract_body(alloc["id"], package_id=package["id"], quantity=3), 201
    )
    delivery = {
        "delivered_on": "2025-10-01",
        "accepted_on": "2025-10-03",
        "items": [
            {"category": "desktop", "quantity": 2, "make": "Dell", "model": "OptiPlex 7010", "serials": ["S1", "S2"]}
        ],
    }
    done = await post(client, finance, f"/contracts/{contract['id']}/deliveries", delivery, 201)
    assert done["devices"] == 2 and done["commune_code"] == AN_VIEN and len(set(done["asset_tags"])) == 2
    assets = await Asset.select(
        Asset.id,
        Asset.contract,
        Asset.package,
        Asset.budget_line,
        Asset.cost_vnd,
        Asset.serial,
        Asset.commune.code.as_alias("commune"),
    )
    assert {(a["contract"], a["package"], a["budget_line"], a["cost_vnd"], a["commune"]) for a in assets} == {
        (contract["id"], package["id"], line["id"], 10_000_000, AN_VIEN)
    }
    assert sorted(a["serial"] for a in assets) == ["S1", "S2"]
    events = await AssetEvent.select(AssetEvent.kind, AssetEvent.asset)
    assert sorted(e["asset"] for e in events if e["kind"] == "delivered") == sorted(a["id"] for a in assets)
    assert (await client.get(f"{API}/packages/{package['id']}", headers=finance)).json()["status"] == "delivered"
    # Two more than the contract's third machine: refused, nothing registered.
    over = {**delivery, "items": [{"category": "desktop", "quantity": 2}]}
    refused = await post(client, finance, f"/contracts/{contract['id']}/deliveries", over, 409)
    assert "thừa 1" in refused["detail"]
    wrong = await post(
        client,
        finance,
        f"/contracts/{contract['id']}/deliveries",
        {**delivery, "items": [{"category": "printer", "quantity": 1}]},
        422,
    )
    assert wrong["extra"][0]["key"] == "items[0].category"
    assert await Asset.count() == 2
    assert (await client.get(f"{API}/contracts/{contract['id']}", headers=finance)).json()["items"][0]["delivered"] == 2


# --- concurrency: the ceilings hold when requests race ------------------------------


async def _actor(users) -> Actor:
    from models.tables import AppUser

    await users.make("finance", username="race-finance")
    user = await AppUser.select(AppUser.id).where(AppUser.username == "race-finance").first()
    return Actor(user_id=user["id"], username="race-finance", role="finance")


async def test_twenty_payments_at_once_never_pass_the_contract_value(users):
    actor = await _actor(users)
    line = await budget.create_line(actor, LineCreate(**line_body()))
    alloc = await budget.create_allocation(
        actor, line.id, AllocationCreate(commune_code=AN_VIEN, amount_vnd=500_000_000)
    )
    contract = await budget.create_contract(actor, ContractCreate(**contract_body(alloc.id)))  # 100 m

    async def pay(n: int):
        return await budget.record_payment(
            actor,
            PaymentCreate(
                contract_id=contract.id, amount_vnd=12_500_000, paid_on="2025-10-01", voucher_number=f"KB-{n}"
            ),
        )

    results = await asyncio.gather(*(pay(n) for n in range(20)), return_exceptions=True)
    paid = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LimitExceeded)]
    assert len(paid) == 8 and len(refused) == 12, [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, LimitExceeded)
    ]
    total = sum(p["amount_vnd"] for p in await Payment.select(Payment.amount_vnd))
    assert total == 100_000_000


async def test_allocations_and_contracts_at_once_never_pass_their_ceilings(users):
    actor = await _actor(users)
    line = await budget.create_line(actor, LineCreate(**line_body(amount_vnd=100_000_000)))
    results = await asyncio.gather(
        *(
            budget.create_allocation(actor, line.id, AllocationCreate(commune_code=AN_VIEN, amount_vnd=30_000_000))
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 3
    assert all(isinstance(r, LimitExceeded) for r in results if isinstance(r, BaseException))
    allocation_id = next(r.id for r in results if not isinstance(r, BaseException))
    results = await asyncio.gather(
        *(
            budget.create_contract(
                actor, ContractCreate(**contract_body(allocation_id, unit_price=1_000_000, quantity=7))
            )
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 4  # 4 × 7 m ≤ 30 m
    assert sum(c["value_vnd"] for c in await Contract.select(Contract.value_vnd)) == 28_000_000
