"""The register through its HTTP API: changes, history, idempotent resends, bad input."""

from __future__ import annotations

import asyncio
import uuid

from models.tables import Asset, AssetEvent
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, asset_payload, dispose_through_file


async def test_register_read_by_id_and_tag_and_history(client, users):
    staff = await users.make("staff", AN_VIEN)
    created = await client.post("/api/assets", json=asset_payload(make="Đồng Nai PC"), headers=staff)
    assert created.status_code == 201, created.text
    asset = created.json()
    assert asset["commune_name"] == "Xã An Viễn"
    assert len(asset["tag"]) == 7 and asset["tag_display"][3] == "-"

    by_id = await client.get(f"/api/assets/{asset['id']}", headers=staff)
    by_tag = await client.get(f"/api/assets/by-tag/{asset['tag_display'].lower()}", headers=staff)
    assert by_id.json() == by_tag.json() == asset

    history = (await client.get(f"/api/assets/{asset['id']}/history", headers=staff)).json()
    assert [e["kind"] for e in history] == ["registered"]
    assert history[0]["changes"]["make"] == {"before": None, "after": "Đồng Nai PC"}


async def test_every_change_writes_one_event_with_before_and_after(client, users):
    admin = await users.make("admin")
    asset = (await client.post("/api/assets", json=asset_payload(), headers=admin)).json()
    aid = asset["id"]
    steps = [
        ("patch", f"/api/assets/{aid}", {"assigned_to": "Chị Lan, kế toán"}, "updated"),
        ("post", f"/api/assets/{aid}/move", {"location": "service_point", "location_detail": "Quầy 2"}, "moved"),
        ("post", f"/api/assets/{aid}/condition", {"condition": "poor", "note": "quạt kêu to"}, "condition_reported"),
        ("post", f"/api/assets/{aid}/stocktake", {}, "stocktake_confirmed"),
    ]
    for method, url, body, _ in steps:
        response = await getattr(client, method)(url, json=body, headers=admin)
        assert response.status_code == 200, response.text
    # Disposal only through its file: the request is the device's next event.
    request = {"ground": "repair_not_worth", "repair_estimate_vnd": 5_000_000, "reason": "hỏng bo mạch"}
    opened = await client.post(f"/api/assets/{aid}/disposal-files", json=request, headers=admin)
    assert opened.status_code == 201, opened.text
    history = (await client.get(f"/api/assets/{aid}/history", headers=admin)).json()
    assert [e["kind"] for e in history] == ["registered"] + [s[3] for s in steps] + ["disposal_requested"]
    moved = history[2]
    assert moved["changes"]["location"] == {"before": "office", "after": "service_point"}
    assert history[3]["changes"]["condition"] == {"before": "good", "after": "poor"}
    assert history[3]["note"] == "quạt kêu to"
    final = (await client.get(f"/api/assets/{aid}", headers=admin)).json()
    assert final["status"] == "awaiting_disposal" and final["last_audited_at"] is not None


async def test_a_resent_event_id_is_stored_once_and_answers_as_the_first(client, users):
    staff = await users.make("staff", AN_VIEN)
    aid = (await client.post("/api/assets", json=asset_payload(), headers=staff)).json()["id"]
    event_id = str(uuid.uuid4())
    body = {"condition": "broken", "client_event_id": event_id}
    first = await client.post(f"/api/assets/{aid}/condition", json=body, headers=staff)
    # Meanwhile the device changes again; the resend must not undo that.
    await client.post(f"/api/assets/{aid}/condition", json={"condition": "fair"}, headers=staff)
    again = await client.post(f"/api/assets/{aid}/condition", json=body, headers=staff)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert (await client.get(f"/api/assets/{aid}", headers=staff)).json()["condition"] == "fair"
    assert await AssetEvent.count().where(AssetEvent.client_event_id == event_id) == 1


async def test_concurrent_resends_of_one_event_store_it_once(client, users):
    staff = await users.make("staff", AN_VIEN)
    aid = (await client.post("/api/assets", json=asset_payload(), headers=staff)).json()["id"]
    body = {"client_event_id": str(uuid.uuid4())}
    answers = await asyncio.gather(
        *[client.post(f"/api/assets/{aid}/stocktake", json=body, headers=staff) for _ in range(8)]
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert await AssetEvent.count().where(AssetEvent.kind == "stocktake_confirmed") == 1


async def test_registering_with_an_event_id_twice_creates_one_device(client, users):
    staff = await users.make("staff", AN_VIEN)
    payload = asset_payload(client_event_id=str(uuid.uuid4()))
    first = await client.post("/api/assets", json=payload, headers=staff)
    second = await client.post("/api/assets", json=payload, headers=staff)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert await Asset.count() == 1


async def test_an_event_id_reused_on_another_device_is_a_conflict(client, users):
    staff = await users.make("staff", AN_VIEN)
    a = (await client.post("/api/assets", json=asset_payload(), headers=staff)).json()["id"]
    b = (await client.post("/api/assets", json=asset_payload(), headers=staff)).json()["id"]
    body = {"condition": "poor", "client_event_id": str(uuid.uuid4())}
    assert (await client.post(f"/api/assets/{a}/condition", json=body, headers=staff)).status_code == 200
    clash = await client.post(f"/api/assets/{b}/condition", json=body, headers=staff)
    assert clash.status_code == 409
    assert clash.json()["extra"][0]["key"] == "client_event_id"


async def test_staff_see_only_their_commune(client, users):
    admin = await users.make("admin")
    staff = await users.make("staff", AN_VIEN)
    own = (await client.post("/api/assets", json=asset_payload(), headers=admin)).json()
    other = (await client.post("/api/assets", json=asset_payload(commune_code=OTHER_COMMUNE), headers=admin)).json()

    listed = (await client.get("/api/assets", headers=staff)).json()
    assert [a["id"] for a in listed["items"]] == [own["id"]]
    # Asking for another commune by filter still shows only their own.
    filtered = (await client.get(f"/api/assets?commune={OTHER_COMMUNE}", headers=staff)).json()
    assert filtered["items"] == []
    for url in (
        f"/api/assets/{other['id']}",
        f"/api/assets/by-tag/{other['tag']}",
        f"/api/assets/{other['id']}/history",
    ):
        assert (await client.get(url, headers=staff)).status_code == 404
    for url, body in [
        (f"/api/assets/{other['id']}/condition", {"condition": "broken"}),
        (f"/api/assets/{other['id']}/stocktake", {}),
        (f"/api/assets/{other['id']}/move", {"location": "office"}),
        (f"/api/assets/{other['id']}/disposal-files", {"ground": "repair_not_worth", "repair_estimate_vnd": 10**9}),
    ]:
        assert (await client.post(url, json=body, headers=staff)).status_code == 404
    assert (await client.patch(f"/api/assets/{other['id']}", json={"make": "x"}, headers=staff)).status_code == 404
    refused = await client.post("/api/assets", json=asset_payload(commune_code=OTHER_COMMUNE), headers=staff)
    assert refused.status_code == 403 and refused.json()["extra"][0]["key"] == "commune_code"
    moved_out = await client.post(f"/api/assets/{own['id']}/move", json={"commune_code": OTHER_COMMUNE}, headers=staff)
    assert moved_out.status_code == 403
    assert (await Asset.select(Asset.condition).where(Asset.id == other["id"]).first())["condition"] == "good"


async def test_list_filters_and_stable_pagination(client, users):
    admin = await users.make("admin")
    made = []
    for i in range(7):
        body = asset_payload(
            category="printer" if i % 2 else "desktop",
            condition="broken" if i < 3 else "good",
            acquired_on=None,
            acquired_year=2024 - i * 2,  # ages from about 2 to 14 years
        )
        made.append((await client.post("/api/assets", json=body, headers=admin)).json())
    seen, cursor = [], None
    while True:
        url = "/api/assets?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=admin)).json()
        assert page["total"] == 7
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(a["id"] for a in made)

    async def ids(query: str) -> set[int]:
        return {a["id"] for a in (await client.get(f"/api/assets?{query}", headers=admin)).json()["items"]}

    assert await ids("category=printer") == {a["id"] for a in made if a["category"] == "printer"}
    assert await ids("condition=broken&category=desktop") == {made[0]["id"], made[2]["id"]}
    assert await ids("min_age_years=8") == {a["id"] for a in made if a["age_years"] >= 8}
    assert await ids("max_age_years=4") == {a["id"] for a in made if a["age_years"] < 5}
    assert await ids("province=75") == {a["id"] for a in made}
    assert await ids("province=01") == set()


async def test_search_ignores_diacritics_and_case(client, users):
    admin = await users.make("admin")
    hit = (await client.post("/api/assets", json=asset_payload(assigned_to="Nguyễn Thị Hoà"), headers=admin)).json()
    await client.post("/api/assets", json=asset_payload(assigned_to="Trần Văn Bình"), headers=admin)
    found = (await client.get("/api/assets?q=NGUYEN thi hoa", headers=admin)).json()["items"]
    assert [a["id"] for a in found] == [hit["id"]]
    communes = (await client.get("/api/communes?q=an vien", headers=admin)).json()["items"]
    assert "Xã An Viễn" in [c["name"] for c in communes]
    provinces = (await client.get("/api/provinces?q=ha noi", headers=admin)).json()
    assert [p["name"] for p in provinces] == ["Thành phố Hà Nội"]


async def test_vietnamese_text_is_stored_in_nfc(client, users):
    import unicodedata

    admin = await users.make("admin")
    decomposed = unicodedata.normalize("NFD", "Phòng Tư pháp")
    asset = (await client.post("/api/assets", json=asset_payload(location_detail=decomposed), headers=admin)).json()
    stored = await Asset.select(Asset.location_detail).where(Asset.id == asset["id"]).first()
    assert stored["location_detail"] == unicodedata.normalize("NFC", "Phòng Tư pháp")


async def test_bad_input_names_the_field_and_writes_nothing(client, users):
    admin = await users.make("admin")
    cases = [
        ({"cost_vnd": -1}, "cost_vnd"),
        ({"cost_vnd": 1.5}, "cost_vnd"),
        ({"cost_vnd": "1000"}, "cost_vnd"),
        ({"acquired_on": "2999-01-01"}, "acquired_on"),
        ({"acquired_on": "not a date"}, "acquired_on"),
        ({"commune_code": "99999"}, "commune_code"),
        ({"category": "toaster"}, "category"),
        ({"tag": "ABC-DEFZ"}, "tag"),
        ({"status": "exploded"}, "status"),
        ({"surprise": 1}, "surprise"),
        ({"make": "x" * 101}, "make"),
    ]
    for override, field in cases:
        response = await client.post("/api/assets", json=asset_payload(**override), headers=admin)
        assert 400 <= response.status_code < 500, (override, response.text)
        keys = [item["key"] for item in response.json()["extra"]]
        assert field in keys, (override, response.json())
    assert await Asset.count() == 0 and await AssetEvent.count() == 0


async def test_a_mistyped_tag_is_refused_not_matched(client, users):
    admin = await users.make("admin")
    asset = (await client.post("/api/assets", json=asset_payload(), headers=admin)).json()
    tag = asset["tag"]
    typo = tag[:2] + ("0" if tag[2] != "0" else "1") + tag[3:]
    swapped = tag[1] + tag[0] + tag[2:] if tag[0] != tag[1] else tag
    assert (await client.get(f"/api/assets/by-tag/{typo}", headers=admin)).status_code == 404
    if swapped != tag:
        assert (await client.get(f"/api/assets/by-tag/{swapped}", headers=admin)).status_code == 404


async def test_oversize_body_is_refused(client, users):
    admin = await users.make("admin")
    response = await client.post(
        "/api/assets",
        content=b'{"notes": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert await Asset.count() == 0


async def test_disposal_goes_only_through_its_file_and_a_disposed_device_is_frozen(client, users):
    admin = await users.make("admin")
    staff = await users.make("staff", AN_VIEN)
    aid = (await client.post("/api/assets", json=asset_payload(), headers=staff)).json()["id"]
    # The register's old shortcut (no ground, no decision) is gone, in the API and the pages.
    for url in (f"/api/assets/{aid}/dispose", f"/assets/{aid}/dispose"):
        shortcut = await client.post(url, json={"reason": "hỏng", "status": "disposed"}, headers=admin)
        assert shortcut.status_code in (404, 405), (url, shortcut.status_code)
    assert (await client.get(f"/api/assets/{aid}", headers=admin)).json()["status"] == "in_use"
    file_id = await dispose_through_file(client, aid, staff, carry_out=False)
    decided = {"decision_number": "9/QĐ-UBND", "decision_date": "2025-01-02"}
    assert (await client.post(f"/api/disposal-files/{file_id}/approve", json=decided, headers=admin)).status_code == 200
    carry_out = {"method": "sale", "carried_out_on": "2025-01-03"}
    refused = await client.post(f"/api/disposal-files/{file_id}/carry-out", json=carry_out, headers=staff)
    assert refused.status_code == 403
    done = await client.post(f"/api/disposal-files/{file_id}/carry-out", json=carry_out, headers=admin)
    assert done.status_code == 200, done.text
    assert (await client.get(f"/api/assets/{aid}", headers=admin)).json()["status"] == "disposed"
    frozen = await client.post(f"/api/assets/{aid}/condition", json={"condition": "good"}, headers=admin)
    assert frozen.status_code == 409


def test_book_value_is_cost_less_the_yearly_wear_of_the_rules():
    import datetime as dt

    from procurement.register.devices import book_value

    bought = dt.date(2023, 3, 1)  # TT 23/2023: desktop 5 years, 20 %/year, recorded each December
    assert book_value("desktop", 15_000_000, bought, today=dt.date(2023, 11, 30)) == 15_000_000
    assert book_value("desktop", 15_000_000, bought, today=dt.date(2023, 12, 1)) == 12_000_000
    assert book_value("desktop", 15_000_000, bought, today=dt.date(2025, 6, 1)) == 9_000_000
    assert book_value("desktop", 15_000_000, bought, today=dt.date(2028, 1, 1)) == 0
    assert book_value("desktop", None, bought) is None and book_value("desktop", 15_000_000, None) is None
    assert book_value("printer", 4_000_000, bought) is None  # a tool: not on the fixed-asset book


async def test_assets_show_their_book_value(client, users):
    admin = await users.make("admin")
    asset = (await client.post("/api/assets", json=asset_payload(acquired_on="2015-01-01"), headers=admin)).json()
    assert asset["book_value_vnd"] == 0
    unknown = (await client.post("/api/assets", json=asset_payload(cost_vnd=None), headers=admin)).json()
    assert unknown["book_value_vnd"] is None


async def test_text_no_database_can_store_is_refused_naming_the_field(client, users):
    admin = await users.make("admin")
    nul = await client.post("/api/assets", json=asset_payload(make="Dell\x00"), headers=admin)
    assert nul.status_code == 400 and nul.json()["extra"][0]["key"] == "make"
    surrogate = await client.post(
        "/api/assets",
        content=b'{"category": "desktop", "commune_code": "26296", "model": "\\ud800"}',
        headers={**admin, "content-type": "application/json"},
    )
    assert surrogate.status_code == 400 and surrogate.json()["extra"][0]["key"] == "model"
    query = await client.get("/api/communes?q=an%00vien", headers=admin)
    assert query.status_code == 400 and query.json()["extra"][0]["key"] == "q"
    assert await Asset.count() == 0
    # Ordinary Vietnamese passes untouched.
    fine = await client.post("/api/assets", json=asset_payload(make="Công ty Điện tử Đồng Nai"), headers=admin)
    assert fine.status_code == 201 and fine.json()["make"] == "Công ty Điện tử Đồng Nai"
