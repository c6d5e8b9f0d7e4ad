"""Client event ids (procurement.core.idempotency), one mechanism for the register and
the stocktake: racing resends answer as the first did on both engines; an id used for
another action, device, route or commune is a 409 naming what it was used for and
showing nothing the caller may not see; ids are UUIDs; and a device's own confirm,
condition report or "not found" counts in its commune's open stocktake round."""

from __future__ import annotations

import asyncio
import uuid

from labels.tags import display_tag
from models.scan import StocktakeResult
from models.tables import Asset, AssetEvent
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset


def eid() -> str:
    return str(uuid.uuid4())


async def tag_of(asset_id: int) -> str:
    return (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]


async def open_round(client, headers) -> int:
    started = await client.post("/api/stocktakes", json={}, headers=headers)
    assert started.status_code == 201, started.text
    return started.json()["id"]


async def sync(client, headers, round_id: int, *actions: dict) -> list[dict]:
    response = await client.post(f"/api/stocktakes/{round_id}/sync", json={"actions": list(actions)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- 2. racing resends -------------------------------------------------------------


async def test_twenty_racing_resends_of_one_new_stocktake_action_answer_as_the_first(client, users):
    staff = await users.make("staff", AN_VIEN)
    tag = await tag_of(await make_asset())
    round_id = await open_round(client, staff)
    action = {"client_event_id": eid(), "kind": "confirm", "tag": tag, "condition": "fair"}
    url = f"/api/stocktakes/{round_id}/sync"
    answers = await asyncio.gather(*[client.post(url, json={"actions": [action]}, headers=staff) for _ in range(20)])
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    outcomes = [a.json()[0] for a in answers]
    assert sorted({o["outcome"] for o in outcomes}) in (["duplicate", "recorded"], ["recorded"])
    assert sum(o["outcome"] == "recorded" for o in outcomes) == 1
    assert {(o["kind"], o["tag"]) for o in outcomes} == {("confirmed", tag)}
    assert await StocktakeResult.count() == 1
    assert await AssetEvent.count().where(AssetEvent.client_event_id == action["client_event_id"]) == 1


async def test_twenty_racing_resends_on_a_device_route_answer_the_same(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    body = {"condition": "poor", "client_event_id": eid()}
    answers = await asyncio.gather(
        *[client.post(f"/api/assets/{asset_id}/condition", json=body, headers=staff) for _ in range(20)]
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert await AssetEvent.count().where(AssetEvent.client_event_id == body["client_event_id"]) == 1


# --- 3. the same id for another action ---------------------------------------------------


async def test_a_stocktake_event_id_sent_again_for_another_action_is_a_conflict(client, users):
    staff = await users.make("staff", AN_VIEN)
    first, second = [await tag_of(await make_asset()) for _ in range(2)]
    round_id = await open_round(client, staff)
    event = eid()
    [stored] = await sync(client, staff, round_id, {"client_event_id": event, "kind": "confirm", "tag": first})
    assert stored["outcome"] == "recorded"

    for other in (
        {"kind": "confirm", "tag": second},  # another device
        {"kind": "not_found", "tag": first},  # another kind
    ):
        [answer] = await sync(client, staff, round_id, {"client_event_id": event, **other})
        assert answer["outcome"] == "conflict", answer
        assert "xác nhận trong đợt kiểm kê" in answer["message"] and display_tag(first) in answer["message"]
    # The plain resend is still a duplicate, and nothing was added.
    [again] = await sync(client, staff, round_id, {"client_event_id": event, "kind": "confirm", "tag": first})
    assert again["outcome"] == "duplicate"
    assert await StocktakeResult.count() == 1
    assert await AssetEvent.count().where(AssetEvent.kind == "not_found") == 0


async def test_a_device_event_id_sent_again_on_another_route_is_a_conflict(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    event = eid()
    ok = await client.post(
        f"/api/assets/{asset_id}/condition", json={"condition": "poor", "client_event_id": event}, headers=staff
    )
    assert ok.status_code == 200
    clash = await client.post(f"/api/assets/{asset_id}/stocktake", json={"client_event_id": event}, headers=staff)
    assert clash.status_code == 409
    assert "báo tình trạng" in clash.json()["detail"]
    assert clash.json()["extra"][0]["key"] == "client_event_id"
    # ... and in a stocktake round too.
    round_id = await open_round(client, staff)
    [answer] = await sync(
        client, staff, round_id, {"client_event_id": event, "kind": "confirm", "tag": await tag_of(asset_id)}
    )
    assert answer["outcome"] == "conflict"
    assert await AssetEvent.count().where(AssetEvent.kind == "stocktake_confirmed") == 0


# --- 5. scope of a stored answer; the format of ids -----------------------------------------


async def test_another_communes_event_id_never_returns_its_answer(client, users):
    staff_b = await users.make("staff", OTHER_COMMUNE)
    staff_a = await users.make("staff", AN_VIEN)
    b_device = await make_asset(commune_code=OTHER_COMMUNE, serial="SN-B-SECRET")
    a_device = await make_asset()
    event = eid()
    stored = await client.post(
        f"/api/assets/{b_device}/condition", json={"condition": "poor", "client_event_id": event}, headers=staff_b
    )
    assert stored.status_code == 200

    tries = [
        ("post", f"/api/assets/{b_device}/condition", {"condition": "poor", "client_event_id": event}),
        ("post", f"/api/assets/{a_device}/condition", {"condition": "poor", "client_event_id": event}),
        ("post", f"/api/assets/{a_device}/stocktake", {"client_event_id": event}),
        ("post", "/api/assets", {**await _register_body(), "client_event_id": event}),
    ]
    b_tag = display_tag(await tag_of(b_device))
    for method, url, body in tries:
        answer = await getattr(client, method)(url, json=body, headers=staff_a)
        assert answer.status_code == 409, (url, answer.text)
        assert "SN-B-SECRET" not in answer.text and b_tag not in answer.text, answer.text
        assert answer.json()["extra"][0]["key"] == "client_event_id"
    round_id = await open_round(client, staff_a)
    [outcome] = await sync(
        client, staff_a, round_id, {"client_event_id": event, "kind": "confirm", "tag": await tag_of(a_device)}
    )
    assert outcome["outcome"] == "conflict" and b_tag not in outcome["message"]
    # Nothing was written for commune A, and B's answer is still B's.
    assert await AssetEvent.count().where(AssetEvent.asset == a_device, AssetEvent.kind != "registered") == 0
    assert await Asset.count() == 2
    again = await client.post(
        f"/api/assets/{b_device}/condition", json={"condition": "poor", "client_event_id": event}, headers=staff_b
    )
    assert again.status_code == 200 and again.json() == stored.json()


async def _register_body() -> dict:
    from tests.app.conftest import asset_payload

    return asset_payload()


async def test_event_ids_must_be_uuids(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    round_id = await open_round(client, staff)
    for bad in ("phone-1-evt-0001", "x" * 36, "3f2b8c1e-5a7d-4e21-9c3b-0d6f1a2b3c4"):
        answer = await client.post(
            f"/api/assets/{asset_id}/condition", json={"condition": "poor", "client_event_id": bad}, headers=staff
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["extra"][0]["key"] == "client_event_id"
        assert "UUID" in answer.json()["extra"][0]["message"]
        batch = await client.post(
            f"/api/stocktakes/{round_id}/sync",
            json={"actions": [{"client_event_id": bad, "kind": "confirm", "tag": await tag_of(asset_id)}]},
            headers=staff,
        )
        assert batch.status_code == 400 and "client_event_id" in batch.text
    # Both spellings of a UUID are taken (phones queued 32-digit ids before).
    for good in (uuid.uuid4().hex, str(uuid.uuid4()).upper()):
        answer = await client.post(
            f"/api/assets/{asset_id}/condition", json={"condition": "poor", "client_event_id": good}, headers=staff
        )
        assert answer.status_code == 200, answer.text
    assert await AssetEvent.count().where(AssetEvent.kind == "condition_reported") == 2


# --- 4. a device's own actions count in the commune's open round ------------------------------


async def test_confirm_condition_and_not_found_on_a_device_are_the_open_rounds_results(client, users):
    staff = await users.make("staff", AN_VIEN)
    confirmed, reported, missing, untouched = [await make_asset() for _ in range(4)]
    foreign = await make_asset(commune_code=OTHER_COMMUNE)
    admin = await users.make("admin")
    # Before any round: nothing to count in.
    await client.post(f"/api/assets/{untouched}/stocktake", json={}, headers=staff)
    round_id = await open_round(client, staff)

    event = eid()
    for _ in range(2):  # a resend counts once
        answer = await client.post(f"/api/assets/{confirmed}/stocktake", json={"client_event_id": event}, headers=staff)
        assert answer.status_code == 200
    await client.post(f"/api/assets/{reported}/condition", json={"condition": "broken"}, headers=staff)
    await client.post(f"/api/assets/{missing}/not-found", json={"note": "không thấy"}, headers=staff)
    await client.post(f"/api/assets/{foreign}/stocktake", json={}, headers=admin)  # another commune's round

    report = (await client.get(f"/api/stocktakes/{round_id}", headers=staff)).json()
    assert sorted(report["confirmed"]) == sorted([display_tag(await tag_of(i)) for i in (confirmed, reported)])
    assert report["not_found"] == [display_tag(await tag_of(missing))]
    assert report["unchecked"] == [display_tag(await tag_of(untouched))]
    assert await StocktakeResult.count() == 3
    devices = (await client.get(f"/api/stocktakes/{round_id}/devices", headers=staff)).json()
    assert {d["tag"]: d["result"] for d in devices}[await tag_of(reported)] == "confirmed"
    # Once the round is finished, a confirm is the device's alone again.
    await client.post(f"/api/stocktakes/{round_id}/finish", headers=staff)
    await client.post(f"/api/assets/{untouched}/stocktake", json={}, headers=staff)
    assert await StocktakeResult.count() == 3
