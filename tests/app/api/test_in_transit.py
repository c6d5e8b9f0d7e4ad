"""A device in transit (sent under a transfer, its arrival not yet confirmed) refuses every
write that moves it, hands it to someone, changes its state or decides its fate, with a 409
naming the transfer (procurement/register/transit.py); what moves and decides nothing is
still taken. Both engines; the API and the pages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from models.lifecycle import DisposalFile, Handover, Repair
from models.tables import Asset, AssetEvent
from procurement.core.clock import today_vn
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, asset_payload, dispose_through_file, make_asset
from tests.support.images import image_bytes

DECISION = "77/QĐ-UBND"


@pytest.fixture
def photo_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "photos"
    monkeypatch.setenv("PHOTO_DIR", str(folder))
    return folder


async def _send(client, headers, ids: list[int]) -> int:
    body = {
        "decision_number": DECISION,
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "asset_ids": ids,
    }
    created = await client.post("/api/transfers", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _refused_naming(answer, transfer_id: int, doing: str) -> None:
    assert answer.status_code == 409, answer.text
    error = answer.json()
    assert error["extra"][0]["code"] == "in_transit"
    for named in (DECISION, "Xã An Viễn", f"/transfers/{transfer_id}", doing):
        assert named in error["detail"], (named, error["detail"])


async def _row(asset_id: int) -> dict:
    return (
        await Asset.select(Asset.status, Asset.commune, Asset.location, Asset.condition, Asset.assigned_to, Asset.notes)
        .where(Asset.id == asset_id)
        .first()
    )


async def test_a_device_in_transit_refuses_what_moves_holds_or_decides_it_naming_the_transfer(client, users, photo_dir):
    admin = await users.make("admin")
    finance = await users.make("finance")
    sender = await users.make("staff", AN_VIEN)
    receiver = await users.make("staff", OTHER_COMMUNE)
    device, held, filed = [await make_asset(serial=f"TRANSIT-{i}") for i in range(3)]
    handed = {"holder_name": "Lê Văn Ba", "handed_on": today_vn().isoformat()}
    assert (await client.post(f"/api/assets/{held}/handover", json=handed, headers=sender)).status_code == 201
    file_id = await dispose_through_file(client, filed, sender, carry_out=False)
    transfer_id = await _send(client, finance, [device, held, filed])
    before = await _row(device)
    events = await AssetEvent.count().where(AssetEvent.asset == device)

    refused = [
        ("patch", f"/api/assets/{device}", {"notes": "sửa khi đang chuyển"}, "sửa thông tin"),
        ("post", f"/api/assets/{device}/move", {"location": "service_point"}, "chuyển vị trí"),
        ("post", f"/api/assets/{device}/condition", {"condition": "broken"}, "báo tình trạng"),
        ("post", f"/api/assets/{device}/stocktake", {"condition": "poor"}, "xác nhận kiểm kê"),
        ("post", f"/api/assets/{device}/not-found", {}, "báo không tìm thấy"),
        ("post", f"/api/assets/{device}/handover", handed, "bàn giao"),
        (
            "post",
            f"/api/assets/{device}/repairs",
            {"started_on": today_vn().isoformat(), "cost_vnd": 500_000, "condition_after": "broken"},
            "ghi sửa chữa",
        ),
        (
            "post",
            f"/api/assets/{device}/disposal-files",
            {"ground": "repair_not_worth", "repair_estimate_vnd": 10**9},
            "đề nghị thanh lý",
        ),
    ]
    for method, url, body, doing in refused:
        for who in (sender, admin):  # the commune's staff and the national admin alike
            _refused_naming(await getattr(client, method)(url, json=body, headers=who), transfer_id, doing)
    again = {
        "decision_number": "78/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "asset_ids": [device],
    }
    _refused_naming(await client.post("/api/transfers", json=again, headers=finance), transfer_id, "điều chuyển khác")
    # Nothing of it was written.
    assert await _row(device) == before
    assert await AssetEvent.count().where(AssetEvent.asset == device) == events
    assert await Repair.count().where(Repair.asset == device) == 0
    assert await Handover.count().where(Handover.asset == device) == 0
    assert await DisposalFile.count().where(DisposalFile.asset == device) == 0

    # Taken while in transit: what moves nothing and decides nothing.
    warranty = await client.put(f"/api/assets/{device}/warranty", json={"ends_on": "2030-01-01"}, headers=finance)
    assert warranty.status_code == 200, warranty.text
    photo = await client.post(
        f"/api/assets/{device}/photos", headers=sender, files={"file": ("anh.jpg", image_bytes(), "image/jpeg")}
    )
    assert photo.status_code == 201, photo.text
    back = await client.post(
        f"/api/assets/{held}/handback", json={"returned_on": today_vn().isoformat()}, headers=sender
    )
    assert back.status_code == 200, back.text
    decided = {"decision_number": "9/QĐ-UBND", "decision_date": (today_vn() - dt.timedelta(days=1)).isoformat()}
    assert (
        await client.post(f"/api/disposal-files/{file_id}/approve", json=decided, headers=finance)
    ).status_code == 200
    carry_out = {"method": "sale", "carried_out_on": today_vn().isoformat()}
    _refused_naming(
        await client.post(f"/api/disposal-files/{file_id}/carry-out", json=carry_out, headers=admin),
        transfer_id,
        "thực hiện thanh lý",
    )
    assert (await _row(filed))["status"] == "in_transit"

    # Once the receiving commune confirms the arrival, the device takes writes again, there.
    tags = {r["id"]: r["tag"] for r in await Asset.select(Asset.id, Asset.tag)}
    for asset_id in (device, filed):
        url = f"/api/transfers/{transfer_id}/receive"
        assert (await client.post(url, json={"tag": tags[asset_id]}, headers=receiver)).status_code == 200
    moved = await client.post(f"/api/assets/{device}/move", json={"location": "service_point"}, headers=receiver)
    assert moved.status_code == 200 and moved.json()["commune_code"] == OTHER_COMMUNE
    assert (await _row(filed))["status"] == "awaiting_disposal"  # its file goes on where it arrived
    done = await client.post(f"/api/disposal-files/{file_id}/carry-out", json=carry_out, headers=admin)
    assert done.status_code == 200 and (await _row(filed))["status"] == "disposed"


async def test_a_stocktake_round_reports_a_device_in_transit_and_writes_nothing(client, users):
    sender = await users.make("staff", AN_VIEN)
    finance = await users.make("finance")
    device = await make_asset(serial="TRANSIT-ROUND")
    round_id = (await client.post("/api/stocktakes", json={}, headers=sender)).json()["id"]
    transfer_id = await _send(client, finance, [device])
    tag = (await Asset.select(Asset.tag).where(Asset.id == device).first())["tag"]
    action = {"client_event_id": "0b6f4b54-5d4c-4c43-9d0e-6a3f3f1e2a10", "kind": "confirm", "tag": tag}
    answer = await client.post(f"/api/stocktakes/{round_id}/sync", json={"actions": [action]}, headers=sender)
    assert answer.status_code == 200, answer.text
    (outcome,) = answer.json()
    assert outcome["outcome"] == "rejected" and DECISION in outcome["message"], outcome
    assert f"/transfers/{transfer_id}" in outcome["message"]
    assert (await _row(device))["status"] == "in_transit"
    assert await Asset.count().where(Asset.last_audited_at.is_not_null()) == 0


async def test_only_a_transfer_puts_a_device_in_transit(client, users):
    admin = await users.make("admin")
    made = await client.post("/api/assets", json=asset_payload(status="in_transit"), headers=admin)
    assert made.status_code in (400, 422) and made.json()["extra"][0]["key"] == "status"
    device = await make_asset()
    edited = await client.patch(f"/api/assets/{device}", json={"status": "in_transit"}, headers=admin)
    assert edited.status_code in (400, 422) and edited.json()["extra"][0]["key"] == "status"
    assert await Asset.count().where(Asset.status == "in_transit") == 0


async def test_the_pages_refuse_a_device_in_transit_with_the_transfer_named_on_the_form(client, users):
    sender = await users.make("staff", AN_VIEN)
    finance = await users.make("finance")
    device = await make_asset(serial="TRANSIT-PAGE")
    transfer_id = await _send(client, finance, [device])
    before = await _row(device)
    forms = [
        (f"/assets/{device}/move", {"location": "service_point", "location_detail": "Quầy 2"}),
        (f"/assets/{device}/condition", {"condition": "broken"}),
        (f"/assets/{device}/handover", {"holder_name": "Lê Văn Ba", "handed_on": today_vn().isoformat()}),
        (f"/assets/{device}/repairs", {"started_on": today_vn().isoformat(), "cost_vnd": "500.000"}),
        (f"/assets/{device}/disposal", {"ground": "repair_not_worth", "repair_estimate_vnd": "9.000.000"}),
    ]
    for url, form in forms:
        answer = await client.post(url, data=form, headers=sender)
        assert answer.status_code == 422, (url, answer.status_code)
        assert DECISION in answer.text and f"/transfers/{transfer_id}" in answer.text, url
    assert await _row(device) == before
    changes = [
        json.loads(e["changes"]) if isinstance(e["changes"], str) else e["changes"]
        for e in await AssetEvent.select(AssetEvent.changes).where(AssetEvent.asset == device)
    ]
    assert len(changes) == 2  # registered, transfer_sent: nothing else


async def test_the_scan_page_of_a_device_in_transit_offers_no_action_and_refuses_one_naming_the_transfer(client, users):
    sender = await users.make("staff", AN_VIEN)
    finance = await users.make("finance")
    device = await make_asset(serial="TRANSIT-SCAN")
    tag = (await Asset.select(Asset.tag).where(Asset.id == device).first())["tag"]
    transfer_id = await _send(client, finance, [device])
    page = await client.get(f"/s/{tag}", headers=sender)
    assert page.status_code == 200 and "Đang điều chuyển" in page.text
    assert 'value="confirm"' not in page.text and 'id="photo"' in page.text  # a photo is still taken
    answer = await client.post(f"/s/{tag}", data={"action": "confirm"}, headers=sender)
    assert answer.status_code == 409 and DECISION in answer.text and f"/transfers/{transfer_id}" in answer.text
    assert (await _row(device))["status"] == "in_transit"
    assert await Asset.count().where(Asset.last_audited_at.is_not_null()) == 0
