"""Issue 12, defect 4: a finance write resent with the same client event id is answered
as the first time and stored once, also when the resends race; the id reused for
another action, object or body answers 409; a treasury voucher is recorded once per
contract."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from piccolo.conf.apps import Finder

from models.procurement import Payment
from models.tables import ClientEvent
from tests.app.api.test_budget import API, contract_body, line_body, make_chain, post


@pytest.fixture
async def finance(users):
    return await users.make("finance")


async def _rows() -> dict[str, int]:
    """Rows of every table (reference data included): a resend must change none."""
    return {t._meta.tablename: await t.count() for t in Finder().get_table_classes()}


async def _world(client, headers) -> dict:
    line, alloc = await make_chain(client, headers)
    package = await post(
        client,
        headers,
        "/packages",
        {
            "line_id": line["id"],
            "allocation_id": alloc["id"],
            "name": "Gói máy tính",
            "method": "competitive_quotation",
            "estimate_vnd": 100_000_000,
        },
        201,
    )
    contract = await post(client, headers, "/contracts", contract_body(alloc["id"]), 201)
    payment = await post(
        client,
        headers,
        "/payments",
        {"contract_id": contract["id"], "amount_vnd": 1_000_000, "paid_on": "2025-10-01", "voucher_number": "KB-1"},
        201,
    )
    return {"line": line, "alloc": alloc, "package": package, "contract": contract, "payment": payment}


def _write(kind: str, w: dict) -> tuple[str, str, dict | list]:
    """(method, path, body) of one write of each kind."""
    line, alloc, contract = w["line"]["id"], w["alloc"]["id"], w["contract"]["id"]
    if kind == "line":
        return "POST", "/lines", line_body(amount_vnd=5_000_000)
    if kind == "milestones":
        return "PUT", f"/lines/{line}/milestones", [{"due_on": "2025-12-31", "target_share": 0.5}]
    if kind == "allocation":
        return "POST", f"/lines/{line}/allocations", {"commune_code": None, "amount_vnd": 1_000_000}
    if kind == "split":
        return "POST", f"/lines/{line}/allocations/split", {"total_vnd": 3_000_000, "basis": "equal"}
    if kind == "package":
        body = {"line_id": line, "name": "Gói 2", "method": "competitive_quotation", "estimate_vnd": 9_000_000}
        return "POST", "/packages", body
    if kind == "package_move":
        return "POST", f"/packages/{w['package']['id']}/status", {"status": "tendering", "note": "đăng tải"}
    if kind == "contract":
        return "POST", "/contracts", contract_body(alloc, quantity=1, number="HĐ-RESEND")
    if kind == "delivery":
        items = [{"category": "desktop", "quantity": 1, "make": "Dell"}]
        return (
            "POST",
            f"/contracts/{contract}/deliveries",
            {"delivered_on": "2025-10-01", "accepted_on": "2025-10-02", "items": items},
        )
    if kind == "payment":
        body = {"contract_id": contract, "amount_vnd": 2_000_000, "paid_on": "2025-10-02", "voucher_number": "KB-2"}
        return "POST", "/payments", body
    assert kind == "reversal"
    return "POST", f"/payments/{w['payment']['id']}/reverse", {"paid_on": "2025-10-03", "voucher_number": "KB-1-Đ"}


async def _send(client, headers, method: str, path: str, body, event_id: str):
    if isinstance(body, list):  # the milestones body is a list: the id rides in the query
        return await client.request(
            method, f"{API}{path}", json=body, params={"client_event_id": event_id}, headers=headers
        )
    return await client.request(method, f"{API}{path}", json={**body, "client_event_id": event_id}, headers=headers)


KINDS = [
    "line",
    "milestones",
    "allocation",
    "split",
    "package",
    "package_move",
    "contract",
    "delivery",
    "payment",
    "reversal",
]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_resend_is_answered_again_and_stored_once(client, finance, kind):
    world = await _world(client, finance)
    method, path, body = _write(kind, world)
    event_id = str(uuid.uuid4())
    first = await _send(client, finance, method, path, body, event_id)
    assert first.status_code in (200, 201), first.text
    rows = await _rows()
    again = await _send(client, finance, method, path, body, event_id)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert await _rows() == rows
    # The same id for another write of another kind, or this write changed: 409, nothing stored.
    other = "allocation" if kind != "allocation" else "line"
    o_method, o_path, o_body = _write(other, world)
    reused = await _send(client, finance, o_method, o_path, o_body, event_id)
    assert reused.status_code == 409 and reused.json()["extra"][0]["key"] == "client_event_id", reused.text
    assert await _rows() == rows


async def test_racing_resends_of_a_payment_pay_once(client, finance):
    world = await _world(client, finance)
    _, path, body = _write("payment", world)
    event_id = str(uuid.uuid4())
    answers = await asyncio.gather(*(_send(client, finance, "POST", path, body, event_id) for _ in range(6)))
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await Payment.count().where(Payment.voucher_number == "KB-2") == 1
    assert await ClientEvent.count().where(ClientEvent.client_event_id == event_id) == 1


async def test_racing_resends_of_a_contract_and_an_allocation_store_once(client, finance):
    world = await _world(client, finance)
    for kind in ("contract", "allocation"):
        _, path, body = _write(kind, world)
        event_id = str(uuid.uuid4())
        rows = await _rows()
        answers = await asyncio.gather(*(_send(client, finance, "POST", path, body, event_id) for _ in range(5)))
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        grown = {k: v - rows[k] for k, v in (await _rows()).items() if v != rows[k]}
        assert grown.get("client_event") == 1 and all(n <= 1 for n in grown.values()), grown


async def test_an_id_reused_for_another_object_or_body_is_409(client, finance):
    world = await _world(client, finance)
    _, path, body = _write("payment", world)
    event_id = str(uuid.uuid4())
    assert (await _send(client, finance, "POST", path, body, event_id)).status_code == 201
    changed = await _send(client, finance, "POST", path, {**body, "amount_vnd": 3_000_000}, event_id)
    assert changed.status_code == 409 and changed.json()["extra"][0]["key"] == "client_event_id"
    other_line = await post(client, finance, "/lines", line_body(amount_vnd=9_000_000), 201)
    elsewhere = await _send(
        client, finance, "POST", f"/lines/{other_line['id']}/allocations", {"amount_vnd": 1}, event_id
    )
    assert elsewhere.status_code == 409
    assert await Payment.count() == 2


async def test_a_voucher_is_recorded_once_per_contract(client, finance):
    world = await _world(client, finance)
    first = world["payment"]
    again = {"contract_id": world["contract"]["id"], "amount_vnd": 5, "paid_on": "2025-10-09", "voucher_number": "KB-1"}
    refused = await post(client, finance, "/payments", again, 409)
    assert refused["extra"][0]["key"] == "voucher_number"
    assert f"số {first['id']}" in refused["detail"] and "01/10/2025" in refused["detail"]
    assert "1.000.000 đ" in refused["detail"]
    # The same number on another contract is another voucher's business.
    other = await post(client, finance, "/contracts", contract_body(world["alloc"]["id"], quantity=1), 201)
    await post(client, finance, "/payments", {**again, "contract_id": other["id"]}, 201)
    assert await Payment.count() == 2


# --- defect 5: every finance list pages and says how many there are -------------------


async def _pages(client, headers, path: str, params: dict, size: int) -> tuple[list[int], set[int]]:
    """Walk a list page by page; (ids in order, totals seen)."""
    ids, totals, offset = [], set(), 0
    while True:
        answer = await client.get(f"{API}{path}", params={**params, "limit": size, "offset": offset}, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert (page["limit"], page["offset"]) == (size, offset) and len(page["items"]) <= size
        totals.add(page["total"])
        ids += [item["id"] for item in page["items"]]
        offset += size
        if offset >= page["total"]:
            return ids, totals


async def test_finance_lists_page_with_limit_offset_and_a_total(client, finance):
    world = await _world(client, finance)
    line, alloc, contract = world["line"]["id"], world["alloc"]["id"], world["contract"]["id"]
    for n in range(6):
        await post(
            client,
            finance,
            "/payments",
            {"contract_id": contract, "amount_vnd": 1_000, "paid_on": "2025-10-01", "voucher_number": f"P-{n}"},
            201,
        )
        await post(client, finance, "/contracts", contract_body(alloc, quantity=1), 201)
        await post(client, finance, f"/lines/{line}/allocations", {"commune_code": None, "amount_vnd": 1_000}, 201)
        await post(client, finance, "/lines", line_body(amount_vnd=1_000), 201)
        body = {"line_id": line, "name": f"Gói {n}", "method": "competitive_quotation", "estimate_vnd": 1_000}
        await post(client, finance, "/packages", body, 201)
    expected = {
        ("/payments", "contract_id", contract): 7,
        ("/contracts", "line_id", line): 7,
        (f"/lines/{line}/allocations", None, None): 7,
        ("/lines", None, None): 7,
        ("/packages", "line_id", line): 7,
    }
    for (path, key, value), count in expected.items():
        params = {key: value} if key else {}
        ids, totals = await _pages(client, finance, path, params, 3)
        assert totals == {count} and len(ids) == count and ids == sorted(set(ids)), (path, ids, totals)
    too_many = await client.get(f"{API}/payments", params={"limit": 1001}, headers=finance)
    assert too_many.status_code == 400 and too_many.json()["extra"][0]["key"] == "limit"
    negative = await client.get(f"{API}/contracts", params={"offset": -1}, headers=finance)
    assert negative.status_code == 400


async def test_the_openapi_schema_describes_the_pages(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/finance/payments", "/api/finance/contracts", "/api/finance/lines", "/api/finance/packages"):
        operation = schema["paths"][path]["get"]
        assert {"limit", "offset"} <= {p["name"] for p in operation["parameters"]}, path
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert {"items", "total", "limit", "offset"} <= set(page["properties"]), path
