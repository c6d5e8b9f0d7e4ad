"""A device's life through the API: warranty and repairs, hand-over to officials,
disposal files with their grounds and minutes, reminders."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import os
import socket

from pypdf import PdfReader

from models.tables import Asset, AssetEvent
from procurement.core.clock import today_vn, years_before
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset


async def test_a_repair_under_warranty_says_so_and_names_the_supplier(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset(cost_vnd=20_000_000)
    today = today_vn()
    warranty = {"ends_on": (today + dt.timedelta(days=10)).isoformat(), "supplier": "Công ty TNHH Tin học Đồng Nai"}
    answer = await client.put(f"/api/assets/{asset_id}/warranty", json=warranty, headers=staff)
    assert answer.status_code == 200, answer.text
    assert answer.json()["under_warranty"] is True

    repair = {
        "started_on": today.isoformat(),
        "supplier": "Tiệm sửa máy",
        "cost_vnd": 2_500_000,
        "condition_after": "fair",
    }
    answer = await client.post(f"/api/assets/{asset_id}/repairs", json=repair, headers=staff)
    assert answer.status_code == 201, answer.text
    assert answer.json()["under_warranty"] is True
    assert answer.json()["warranty_supplier"] == "Công ty TNHH Tin học Đồng Nai"
    # A repair that started after the warranty ended is not covered.
    late = {**repair, "started_on": today.isoformat(), "cost_vnd": 1_500_000}
    await client.put(
        f"/api/assets/{asset_id}/warranty",
        json={"ends_on": (today - dt.timedelta(days=1)).isoformat(), "supplier": "X"},
        headers=staff,
    )
    answer = await client.post(f"/api/assets/{asset_id}/repairs", json=late, headers=staff)
    assert answer.json()["under_warranty"] is False and answer.json()["warranty_supplier"] is None

    summary = (await client.get(f"/api/assets/{asset_id}/repairs", headers=staff)).json()
    assert summary["total_cost_vnd"] == 4_000_000
    assert summary["share_of_original_cost"] == 0.2
    assert (await Asset.select(Asset.condition).where(Asset.id == asset_id).first())["condition"] == "fair"
    kinds = [e["kind"] for e in await AssetEvent.select(AssetEvent.kind).where(AssetEvent.asset == asset_id)]
    assert kinds.count("repair") == 2 and kinds.count("warranty") == 2


async def test_bad_repairs_are_refused_naming_the_field(client, users):
    staff = await users.make("staff", AN_VIEN)
    outsider = await users.make("staff", OTHER_COMMUNE)
    asset_id = await make_asset()
    future = (today_vn() + dt.timedelta(days=3)).isoformat()
    answer = await client.post(f"/api/assets/{asset_id}/repairs", json={"started_on": future}, headers=staff)
    assert answer.status_code == 422 and answer.json()["extra"][0]["key"] == "started_on"
    answer = await client.post(
        f"/api/assets/{asset_id}/repairs", json={"started_on": "2025-01-01", "cost_vnd": 1.5}, headers=staff
    )
    assert answer.status_code == 400 and answer.json()["extra"][0]["key"] == "cost_vnd"
    answer = await client.post(f"/api/assets/{asset_id}/repairs", json={"started_on": "2025-01-01"}, headers=outsider)
    assert answer.status_code == 404
    assert (await client.get(f"/api/assets/{asset_id}/repairs", headers=staff)).json()["repairs"] == []


async def test_hand_over_to_an_official_list_holdings_and_hand_back(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    handover = {"holder_name": "Nguyễn Thị Mai", "holder_position": "Văn phòng", "handed_on": "2025-03-01"}
    answer = await client.post(f"/api/assets/{asset_id}/handover", json=handover, headers=staff)
    assert answer.status_code == 201, answer.text
    again = await client.post(
        f"/api/assets/{asset_id}/handover", json={**handover, "holder_name": "Lê Văn Ba"}, headers=staff
    )
    assert again.status_code == 409 and "Nguyễn Thị Mai" in again.json()["detail"]
    held = (await client.get("/api/holdings", params={"holder": "mai"}, headers=staff)).json()
    assert [(h["asset_id"], h["holder_name"]) for h in held] == [(asset_id, "Nguyễn Thị Mai")]
    device = (await client.get(f"/api/assets/{asset_id}", headers=staff)).json()
    assert device["assigned_to"] == "Nguyễn Thị Mai"
    early = await client.post(f"/api/assets/{asset_id}/handback", json={"returned_on": "2025-02-01"}, headers=staff)
    assert early.status_code == 422 and early.json()["extra"][0]["key"] == "returned_on"
    back = await client.post(f"/api/assets/{asset_id}/handback", json={"returned_on": "2025-04-01"}, headers=staff)
    assert back.status_code == 200 and back.json()["returned_on"] == "2025-04-01"
    assert (await client.get("/api/holdings", headers=staff)).json() == []
    kinds = [e["kind"] for e in await AssetEvent.select(AssetEvent.kind).where(AssetEvent.asset == asset_id)]
    assert "handed_over" in kinds and "handed_back" in kinds


async def test_disposal_needs_a_valid_ground_a_decision_and_ends_in_minutes(client, users):
    staff = await users.make("staff", AN_VIEN)
    finance = await users.make("finance")
    admin = await users.make("admin")
    today = today_vn()
    young = await make_asset(acquired_on=years_before(today, 2).isoformat(), cost_vnd=10_000_000)
    refused = await client.post(
        f"/api/assets/{young}/disposal-files", json={"ground": "past_useful_life"}, headers=staff
    )
    assert refused.status_code == 422 and "chưa hết thời gian sử dụng" in refused.json()["detail"]
    no_estimate = await client.post(
        f"/api/assets/{young}/disposal-files", json={"ground": "repair_not_worth"}, headers=staff
    )
    assert no_estimate.status_code == 422 and no_estimate.json()["extra"][0]["key"] == "repair_estimate_vnd"
    worth = {"ground": "repair_not_worth", "repair_estimate_vnd": 3_000_000}
    refused = await client.post(f"/api/assets/{young}/disposal-files", json=worth, headers=staff)
    assert refused.status_code == 422 and "30%" in refused.json()["detail"]
    assert (await Asset.select(Asset.status).where(Asset.id == young).first())["status"] == "in_use"

    not_worth = {"ground": "repair_not_worth", "repair_estimate_vnd": 3_000_001, "reason": "Hỏng bo mạch chủ"}
    opened = await client.post(f"/api/assets/{young}/disposal-files", json=not_worth, headers=staff)
    assert opened.status_code == 201, opened.text
    file_id = opened.json()["id"]
    assert (await Asset.select(Asset.status).where(Asset.id == young).first())["status"] == "awaiting_disposal"

    too_soon = await client.post(
        f"/api/disposal-files/{file_id}/carry-out",
        json={"method": "sale", "carried_out_on": today.isoformat(), "proceeds_vnd": 500_000},
        headers=admin,
    )
    assert too_soon.status_code == 409
    decided = today - dt.timedelta(days=2)
    approval = {"decision_number": "123/QĐ-UBND", "decision_date": decided.isoformat()}
    assert (
        await client.post(f"/api/disposal-files/{file_id}/approve", json=approval, headers=staff)
    ).status_code == 403
    approved = await client.post(f"/api/disposal-files/{file_id}/approve", json=approval, headers=finance)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    done = await client.post(
        f"/api/disposal-files/{file_id}/carry-out",
        json={"method": "sale", "carried_out_on": today.isoformat(), "proceeds_vnd": 500_000},
        headers=admin,
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert (await Asset.select(Asset.status).where(Asset.id == young).first())["status"] == "disposed"

    pdf = await client.get(f"/api/disposal-files/{file_id}/minutes.pdf", headers=staff)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("BIÊN BẢN THANH LÝ TÀI SẢN", "123/QĐ-UBND", "500.000 đ", "10.000.000 đ", "3.000.001 đ", "30%"):
        assert expected in text, expected


async def test_reminders_list_what_needs_attention_in_the_callers_scope(client, users):
    staff = await users.make("staff", AN_VIEN)
    outsider = await users.make("staff", OTHER_COMMUNE)
    admin = await users.make("admin")
    today = today_vn()
    old = await make_asset(acquired_on=years_before(today, 7).isoformat())
    unsafe = await make_asset(os_supported=False, antimalware_installed=False)
    ending = await make_asset()
    await client.put(
        f"/api/assets/{ending}/warranty", json={"ends_on": (today + dt.timedelta(days=10)).isoformat()}, headers=staff
    )
    kinds = {(r["kind"], r["asset_id"]) for r in (await client.get("/api/reminders", headers=staff)).json()}
    assert {
        ("past_useful_life", old),
        ("os_unsupported", unsafe),
        ("no_antimalware", unsafe),
        ("warranty_ending", ending),
    } <= kinds
    assert ("stocktake_due", None) in kinds
    short = {
        (r["kind"], r["asset_id"])
        for r in (await client.get("/api/reminders", params={"within_days": 5}, headers=staff)).json()
    }
    assert ("warranty_ending", ending) not in short
    assert [r for r in (await client.get("/api/reminders", headers=outsider)).json() if r["asset_id"]] == []
    assert len((await client.get("/api/reminders", headers=admin)).json()) >= len(kinds)


async def test_the_daily_summary_is_printed_and_mailed_through_a_real_smtp_server(clean):
    from aiosmtpd.controller import Controller

    from tests.app.api.test_cli import cli

    await make_asset(os_supported=False)

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    printed = cli("reminders")
    assert printed.returncode == 0, printed.stderr
    assert "Hệ điều hành hết hỗ trợ" in printed.stdout

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        env_port = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_FROM": "taisan@tinh.gov.vn"}
        os.environ.update(env_port)
        try:
            sent = cli("reminders", "--email", "ketoan@anvien.gov.vn")
        finally:
            for key in env_port:
                os.environ.pop(key)
    finally:
        server.stop()
    assert sent.returncode == 0, sent.stderr
    [(recipients, content)] = inbox.messages
    assert recipients == ["ketoan@anvien.gov.vn"]
    body = email.message_from_string(content, policy=email.policy.default)
    assert body["From"] == "taisan@tinh.gov.vn"
    assert "Hệ điều hành hết hỗ trợ" in body.get_content()


async def test_a_transfer_moves_devices_in_transit_until_the_receiver_scans_each(client, users):
    from labels.tags import display_tag

    finance = await users.make("finance")
    sender = await users.make("staff", AN_VIEN)
    receiver = await users.make("staff", OTHER_COMMUNE)
    ids = [await make_asset(serial=f"TR-{i}") for i in range(3)]
    kept = await make_asset(serial="TR-KEPT")
    tags = {r["id"]: r["tag"] for r in await Asset.select(Asset.id, Asset.tag).where(Asset.id.is_in(ids))}
    body = {
        "decision_number": "45/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "asset_ids": [*ids, 999_999],
    }
    refused = await client.post("/api/transfers", json=body, headers=finance)
    assert refused.status_code == 422 and refused.json()["extra"][0]["key"] == "asset_ids"
    assert await Asset.count().where(Asset.status == "in_transit") == 0  # all or nothing

    created = await client.post("/api/transfers", json={**body, "asset_ids": ids}, headers=finance)
    assert created.status_code == 201, created.text
    transfer = created.json()
    assert (transfer["devices"], transfer["received"], transfer["status"]) == (3, 0, "in_transit")
    statuses = {r["id"]: r["status"] for r in await Asset.select(Asset.id, Asset.status)}
    assert [statuses[i] for i in ids] == ["in_transit"] * 3 and statuses[kept] == "in_use"
    again = await client.post("/api/transfers", json={**body, "asset_ids": ids[:1]}, headers=finance)
    assert again.status_code == 409

    url = f"/api/transfers/{transfer['id']}/receive"
    assert (await client.post(url, json={"tag": tags[ids[0]]}, headers=sender)).status_code == 422
    stranger = await client.post(
        url, json={"tag": (await Asset.select(Asset.tag).where(Asset.id == kept).first())["tag"]}, headers=receiver
    )
    assert stranger.status_code == 422 and stranger.json()["extra"][0]["key"] == "tag"
    first = await client.post(url, json={"tag": display_tag(tags[ids[0]]).lower()}, headers=receiver)
    assert first.status_code == 200 and first.json()["received"] == 1
    assert (await client.post(url, json={"tag": tags[ids[0]]}, headers=receiver)).json()["received"] == 1
    device = await client.get(f"/api/assets/{ids[0]}", headers=receiver)
    assert device.status_code == 200 and device.json()["commune_code"] == OTHER_COMMUNE
    assert device.json()["status"] == "in_use"
    assert (await client.get(f"/api/assets/{ids[0]}", headers=sender)).status_code == 404
    for asset_id in ids[1:]:
        await client.post(url, json={"tag": tags[asset_id]}, headers=receiver)
    done = (await client.get(f"/api/transfers/{transfer['id']}", headers=sender)).json()
    assert (done["received"], done["status"]) == (3, "received")
    history = [
        e["kind"]
        for e in await AssetEvent.select(AssetEvent.kind).where(AssetEvent.asset == ids[0]).order_by(AssetEvent.id)
    ]
    assert history[-2:] == ["transfer_sent", "transfer_received"]

    pdf = await client.get(f"/api/transfers/{transfer['id']}/minutes.pdf", headers=receiver)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("BIÊN BẢN BÀN GIAO, TIẾP NHẬN TÀI SẢN CÔNG", "45/QĐ-UBND", "Xã An Viễn", "BÊN NHẬN", tags[ids[2]]):
        assert expected in text, expected


async def test_a_merged_communes_whole_inventory_is_transferred_in_one_step(client, users):
    admin = await users.make("admin")
    ids = [await make_asset(serial=f"MERGED-{i}") for i in range(4)]
    body = {
        "decision_number": "9/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "all_devices": True,
    }
    created = await client.post("/api/transfers", json=body, headers=admin)
    assert created.status_code == 201 and {i["asset_id"] for i in created.json()["items"]} == set(ids)
    empty = await client.post("/api/transfers", json=body, headers=admin)
    assert empty.status_code == 422 and empty.json()["extra"][0]["key"] == "from_commune"


async def test_a_receive_answers_the_device_and_the_counts_not_the_whole_transfer(client, users):
    finance = await users.make("finance")
    receiver = await users.make("staff", OTHER_COMMUNE)
    ids = [await make_asset(serial=f"RC-{i}") for i in range(3)]
    tags = {r["id"]: r["tag"] for r in await Asset.select(Asset.id, Asset.tag).where(Asset.id.is_in(ids))}
    body = {
        "decision_number": "46/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "asset_ids": ids,
    }
    transfer = (await client.post("/api/transfers", json=body, headers=finance)).json()
    url = f"/api/transfers/{transfer['id']}/receive"
    first = (await client.post(url, json={"tag": tags[ids[1]]}, headers=receiver)).json()
    assert "items" not in first
    assert (first["transfer_id"], first["status"], first["devices"], first["received"]) == (
        transfer["id"],
        "in_transit",
        3,
        1,
    )
    assert first["item"]["asset_id"] == ids[1] and first["item"]["received"] is True
    assert first["already_received"] is False
    again = (await client.post(url, json={"tag": tags[ids[1]]}, headers=receiver)).json()
    assert again["already_received"] is True and again["received"] == 1
    for asset_id in (ids[0], ids[2]):
        last = (await client.post(url, json={"tag": tags[asset_id]}, headers=receiver)).json()
    assert (last["status"], last["received"]) == ("received", 3)
    view = (await client.get(f"/api/transfers/{transfer['id']}", headers=receiver)).json()
    assert view["status"] == "received" and all(i["received"] for i in view["items"])


async def test_repairs_against_the_original_cost_raise_the_replacement_priority(client, users):
    staff = await users.make("staff", AN_VIEN)
    planner = await users.make("planner")
    repaired = await make_asset(cost_vnd=10_000_000, serial="PR-REPAIRED")
    spared = await make_asset(cost_vnd=10_000_000, serial="PR-SPARED")
    params = {"commune": AN_VIEN, "limit": 10}
    before = {
        r["asset_id"]: r
        for r in (await client.get("/api/planning/priority", params=params, headers=planner)).json()["items"]
    }
    assert before[repaired]["repair_part"] == 0 and before[repaired]["score"] == before[spared]["score"]
    repair = {"started_on": "2025-06-01", "cost_vnd": 1_500_000, "work_done": "Thay bo mạch"}
    assert (await client.post(f"/api/assets/{repaired}/repairs", json=repair, headers=staff)).status_code == 201
    answer = (await client.get("/api/planning/priority", params=params, headers=planner)).json()
    after = {r["asset_id"]: r for r in answer["items"]}
    assert after[repaired]["repair_part"] == 5.0  # 15 % of the cost, full weight (10) at 30 %
    assert after[repaired]["score"] == before[repaired]["score"] + 5.0
    assert "đã sửa chữa hết 15% nguyên giá" in after[repaired]["reason"]
    assert after[repaired]["rank"] < after[spared]["rank"]
    assert answer["weights"]["repairs"] == 10
    none = (await client.get("/api/planning/priority", params={**params, "w_repairs": 0}, headers=planner)).json()
    assert {r["asset_id"]: r["repair_part"] for r in none["items"]}[repaired] == 0


async def test_reminders_of_a_province_hold_only_its_own_disposal_files_and_warranties(client, users):
    staff = await users.make("staff", AN_VIEN)
    admin = await users.make("admin")
    old = await make_asset(acquired_on=years_before(today_vn(), 8).isoformat())
    ending = await make_asset()
    soon = (today_vn() + dt.timedelta(days=5)).isoformat()
    await client.put(f"/api/assets/{ending}/warranty", json={"ends_on": soon}, headers=staff)
    opened = await client.post(f"/api/assets/{old}/disposal-files", json={"ground": "past_useful_life"}, headers=staff)
    assert opened.status_code == 201, opened.text
    dong_nai = {
        (r["kind"], r["asset_id"])
        for r in (await client.get("/api/reminders", params={"province": "75"}, headers=admin)).json()
    }
    assert {("disposal_waiting", old), ("warranty_ending", ending)} <= dong_nai
    elsewhere = (await client.get("/api/reminders", params={"province": "01"}, headers=admin)).json()
    assert [r for r in elsewhere if r["asset_id"] in (old, ending)] == []


async def test_a_transfer_awaiting_the_receivers_confirmation_is_a_reminder_on_both_sides(client, users):
    from tests.app.conftest import HA_NOI, HA_NOI_COMMUNE

    finance = await users.make("finance")
    sender = await users.make("staff", AN_VIEN)
    receiver = await users.make("staff", OTHER_COMMUNE)
    far_staff = await users.make("staff", HA_NOI_COMMUNE)
    far_finance = await users.make("finance", province=HA_NOI)
    admin = await users.make("admin")
    ids = [await make_asset(serial=f"REM-TR-{i}") for i in range(2)]
    body = {
        "decision_number": "52/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "asset_ids": ids,
    }
    transfer = (await client.post("/api/transfers", json=body, headers=finance)).json()

    async def waiting(headers, **params) -> list[dict]:
        answer = await client.get("/api/reminders", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [r for r in answer.json() if r["kind"] == "transfer_waiting"]

    for headers in (sender, receiver, finance, admin):
        (item,) = await waiting(headers)
        assert (item["transfer_id"], item["commune_code"]) == (transfer["id"], OTHER_COMMUNE)
        assert "52/QĐ-UBND" in item["detail"] and "đã nhận 0/2" in item["detail"]
    assert await waiting(far_staff) == [] and await waiting(far_finance) == []
    assert await waiting(admin, province=HA_NOI) == [] and len(await waiting(admin, province="75")) == 1
    page = await client.get("/reminders", headers=receiver)
    assert "Điều chuyển chờ xã nhận xác nhận" in page.text and f'href="/transfers/{transfer["id"]}"' in page.text

    tags = [r["tag"] for r in await Asset.select(Asset.tag).where(Asset.id.is_in(ids))]
    url = f"/api/transfers/{transfer['id']}/receive"
    await client.post(url, json={"tag": tags[0]}, headers=receiver)
    assert "đã nhận 1/2" in (await waiting(receiver))[0]["detail"]
    await client.post(url, json={"tag": tags[1]}, headers=receiver)
    assert await waiting(receiver) == [] and await waiting(sender) == []


async def test_a_device_disposed_through_its_file_leaves_the_working_fleet_and_the_wear_book(client, users):
    from tests.app.conftest import dispose_through_file

    admin = await users.make("admin")
    finance = await users.make("finance")
    kept, gone = [await make_asset(serial=f"BOOK-{i}", cost_vnd=15_000_000) for i in range(2)]
    year = today_vn().year

    async def book_ids() -> set[int]:
        params = {"year": year, "commune": AN_VIEN}
        answer = await client.get("/api/public-property/book", params=params, headers=finance)
        assert answer.status_code == 200, answer.text
        return {r["asset_id"] for r in answer.json()["rows"]}

    async def fleet_count() -> int:
        body = (await client.get("/api/planning/fleet", params={"province": "75"}, headers=finance)).json()
        return sum(r["devices"] for r in body["by_commune"] if r["commune_code"] == AN_VIEN)

    assert await book_ids() == {kept, gone} and await fleet_count() == 2
    file_id = await dispose_through_file(client, gone, admin, carry_out=False)
    assert await fleet_count() == 2 and await book_ids() == {kept, gone}  # requested only: not yet gone
    decided = {"decision_number": "9/QĐ-UBND", "decision_date": (today_vn() - dt.timedelta(days=1)).isoformat()}
    assert (
        await client.post(f"/api/disposal-files/{file_id}/approve", json=decided, headers=finance)
    ).status_code == 200
    done = {"method": "destruction", "carried_out_on": today_vn().isoformat()}
    carried = await client.post(f"/api/disposal-files/{file_id}/carry-out", json=done, headers=admin)
    assert carried.status_code == 200, carried.text
    assert await book_ids() == {kept} and await fleet_count() == 1
