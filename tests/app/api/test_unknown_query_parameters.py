"""The JSON API refuses query parameters an operation does not declare (api/query_guard.py): a
misspelt filter is an error, not a silent "no filter". Pages keep ignoring them."""

from __future__ import annotations

from models.tables import Asset
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, asset_payload, make_asset


async def test_a_misspelt_filter_is_refused_with_400_naming_it(client, users):
    headers = await users.make("admin")
    await make_asset(commune_code=AN_VIEN)
    await make_asset(commune_code=OTHER_COMMUNE)
    # The right name filters...
    right = await client.get("/api/assets", params={"commune": AN_VIEN}, headers=headers)
    assert right.status_code == 200 and right.json()["total"] == 1
    # ...a wrong one is named in the answer rather than read as "every commune".
    wrong = await client.get("/api/assets", params={"comune": AN_VIEN, "utm_source": "x"}, headers=headers)
    assert wrong.status_code == 400, wrong.text
    body = wrong.json()
    assert [(item["key"], item["code"], item["source"]) for item in body["extra"]] == [
        ("comune", "unknown_parameter", "query"),
        ("utm_source", "unknown_parameter", "query"),
    ]
    assert "comune" in body["detail"] and "Tham số không được phép" in body["detail"]
    # The message says which names the address takes (commune among them).
    assert "commune" in body["extra"][0]["message"] and "không nhận tham số" in body["extra"][0]["message"]


async def test_routes_without_parameters_and_parameters_of_dependencies(client, users):
    headers = await users.make("admin")
    me = await client.get("/api/auth/me", params={"x": "1"}, headers=headers)
    assert me.status_code == 400 and "không có tham số nào" in me.json()["extra"][0]["message"]
    # limit/offset come from a shared dependency, not the handler's own signature: still declared.
    lines = await client.get("/api/finance/lines", params={"limit": 5, "offset": 0}, headers=headers)
    assert lines.status_code == 200, lines.text
    health = await client.get("/api/health", params={"verbose": "1"})
    assert health.status_code == 400
    # A write with an unknown parameter is refused before it changes anything.
    write = await client.post("/api/assets", params={"dry_run": "1"}, json=asset_payload(), headers=headers)
    assert write.status_code == 400 and write.json()["extra"][0]["key"] == "dry_run"
    assert await Asset.count() == 0


async def test_anonymous_callers_are_asked_to_log_in_first(client, clean):
    answer = await client.get("/api/assets", params={"nonsense": "1"})
    assert answer.status_code == 401


async def test_pages_ignore_unknown_parameters(client, users):
    headers = await users.make("admin")
    page = await client.get("/assets", params={"utm_source": "zalo", "fbclid": "abc"}, headers=headers)
    assert page.status_code == 200, page.text[:300]
