"""Bad requests get a clear 4xx, never a 500: deep JSON, foreign origins, bodies that are not JSON,
bytes that are not UTF-8, odd cursors and weights, NUL bytes in paths and file names."""

from __future__ import annotations

import logging

import pytest

from models.tables import AppUser, Asset
from tests.app.conftest import AN_VIEN, asset_payload, make_asset

BASE = "http://testserver"  # BASE_URL of the test app (tests/app/conftest.py)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("route", ["/api/auth/login", "/api/assets", "/api/planning/plan"])
async def test_deep_json_is_refused_with_400_without_a_traceback(client, users, caplog, route):
    headers = await users.make("admin")
    for body in (deep(100_000), '{"a":' * 50_000 + "1" + "}" * 50_000):
        with caplog.at_level(logging.ERROR):
            answer = await client.post(route, content=body, headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["extra"][0]["code"] == "too_deep" and "32" in answer.json()["extra"][0]["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    shallow = await client.post(route, content=deep(30), headers={**headers, "Content-Type": "application/json"})
    assert shallow.status_code != 500 and shallow.json()["extra"][0].get("code") != "too_deep"


async def test_brackets_inside_strings_do_not_count_as_depth(client, users):
    headers = await users.make("admin")
    answer = await client.post("/api/assets", json=asset_payload(notes="[[[[" * 100 + '"{{{' * 50), headers=headers)
    assert answer.status_code == 201, answer.text


async def test_json_api_takes_bodies_only_as_application_json(client, users):
    headers = await users.make("admin")
    body = '{"username": "x", "password": "y"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "", "application/jsonx"):
        answer = await client.post(
            "/api/auth/login", content=body, headers={"Content-Type": content_type} if content_type else {}
        )
        assert answer.status_code == 415, (content_type, answer.text)
        assert answer.json()["extra"][0]["key"] == "content-type"
    asset = await client.post(
        "/api/assets",
        content=__import__("json").dumps(asset_payload()),
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert asset.status_code == 415 and await Asset.count() == 0
    ok = await client.post(
        "/api/assets",
        content=__import__("json").dumps(asset_payload()),
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201, ok.text


async def _cookie_session(client, users, role: str = "admin") -> str:
    from tests.app.conftest import Users

    await users.make(role, username=f"{role}-cookie")
    answer = await client.post(
        "/api/auth/login", json={"username": f"{role}-cookie", "password": Users(client).password}
    )
    assert answer.status_code == 200
    cookie = answer.cookies.get("ca_session") or client.cookies.get("ca_session")
    client.cookies.clear()
    assert cookie
    return cookie


async def test_cross_origin_writes_with_the_session_cookie_are_refused(client, users):
    cookie = await _cookie_session(client, users)
    asset_id = await make_asset(commune_code=AN_VIEN)
    before = await AppUser.count()
    jar = {"Cookie": f"ca_session={cookie}"}
    attacks = [
        # A page on another port of the same host: same site, other origin.
        ("POST", "/api/users", {"Origin": "http://127.0.0.1:8001"}),
        ("PATCH", f"/api/assets/{asset_id}", {"Origin": "http://127.0.0.1:8001"}),
        ("POST", "/api/users", {"Origin": "null"}),
        ("POST", "/api/users", {"Referer": "http://evil.example/page"}),
        ("POST", "/api/users", {}),  # a cookie and neither header: a browser always sends one
    ]
    for method, path, extra in attacks:
        body = (
            {"username": "forged", "password": "mat-khau-dai-du", "role": "admin"}
            if path == "/api/users"
            else {"make": "Forged"}
        )
        answer = await client.request(method, path, json=body, headers={**jar, **extra})
        assert answer.status_code == 403, (path, extra, answer.text)
        assert answer.json()["extra"][0]["code"] == "cross_origin"
    assert await AppUser.count() == before
    assert (await Asset.select(Asset.make).where(Asset.id == asset_id).first())["make"] != "Forged"
    # A form posted from another origin to a page route (the browser sends a form's Origin).
    form = await client.post(
        "/logout", data={}, headers={**jar, "Origin": "http://127.0.0.1:8001"}, follow_redirects=False
    )
    assert form.status_code == 403
    # Log-in CSRF: a foreign page cannot log the browser in either.
    login = await client.post(
        "/api/auth/login", json={"username": "x", "password": "y"}, headers={"Origin": "http://evil.example"}
    )
    assert login.status_code == 403
    # No cookie: nothing to forge with, so the route answers for itself (not logged in).
    anonymous = await client.post("/api/users", json={}, headers={"Origin": "http://evil.example"})
    assert anonymous.status_code == 401, anonymous.text


async def test_same_origin_cookie_writes_and_bearer_scripts_pass(client, users):
    cookie = await _cookie_session(client, users)
    jar = {"Cookie": f"ca_session={cookie}"}
    for extra in ({"Origin": BASE}, {"Referer": f"{BASE}/assets/new"}, {"Origin": "HTTP://TESTSERVER:80"}):
        answer = await client.post("/api/assets", json=asset_payload(), headers={**jar, **extra})
        assert answer.status_code == 201, (extra, answer.text)
    bearer = await users.make("admin")
    foreign = await client.post(
        "/api/assets", json=asset_payload(), headers={**bearer, "Origin": "http://evil.example"}
    )
    assert foreign.status_code == 201  # a token is never sent by a browser on its own


async def test_invalid_utf8_in_forms_and_json_is_refused_not_replaced(client, users):
    headers = await users.make("admin")
    for body in (b"username=%FFadmin&password=x", b"username=\xffadmin&password=x"):
        answer = await client.post(
            "/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["extra"][0]["code"] == "invalid_encoding"
    raw = b'{"category": "desktop", "commune_code": "26296", "make": "\xff\xfe", "model": "x"}'
    answer = await client.post("/api/assets", content=raw, headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 400 and await Asset.count() == 0


@pytest.mark.parametrize("cursor", ["%C2%B2", "99999999999999999999", "-1", "%EF%BC%91"])
async def test_odd_cursors_are_400(client, users, cursor):
    headers = await users.make("admin")
    answer = await client.get(f"/api/assets?cursor={cursor}", headers=headers)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["extra"][0]["key"] == "cursor"


@pytest.mark.parametrize("weights", [1, [], "x", None, [1, 2]])
@pytest.mark.parametrize("route", ["/api/planning/plan", "/api/planning/plan.csv", "/api/planning/plan/packages"])
async def test_weights_that_are_not_an_object_are_400(client, users, weights, route):
    headers = await users.make("admin")
    plan = {"budget_vnd": 1_000_000, "weights": weights}
    body = {"plan": plan, "line_id": 1} if route.endswith("packages") else plan
    answer = await client.post(route, json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert "weights" in answer.json()["extra"][0]["key"]


@pytest.mark.parametrize(
    "path", ["/static/app.css%00.js", "/static/%00", "/static/app.css%00", "/s/ABC%00", "/assets/1%00"]
)
async def test_nul_in_a_path_is_4xx(client, users, path):
    headers = await users.make("admin")
    answer = await client.get(path, headers=headers)
    assert 400 <= answer.status_code < 500, answer.text


async def test_nul_in_an_uploaded_file_name_is_refused(client, users):
    headers = await users.make("admin")
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="bad\x00name.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
        b"Lo\xe1\xba\xa1i thi\xe1\xba\xbft b\xe1\xbb\x8b,M\xc3\xa3 x\xc3\xa3\r\nM\xc3\xa1y in,26296\r\n"
        b"\r\n--XyZ--\r\n"
    )
    multipart = {**headers, "Content-Type": "multipart/form-data; boundary=XyZ"}
    for route in ("/api/import/dry-run", "/api/import/commit", "/import"):
        answer = await client.post(route, content=body, headers=multipart)
        assert answer.status_code in (400, 422), (route, answer.text)
        if route.startswith("/api/"):
            assert answer.json()["extra"][0]["code"] == "invalid_file_name"
        else:
            assert "Tên tệp" in answer.text
    assert await Asset.count() == 0


async def test_the_openapi_document_declares_bearer_and_the_enforced_constraints(client):
    doc = (await client.get("/schema/openapi.json")).json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert {"bearer": []} in doc["security"]
    assert doc["paths"]["/api/auth/login"]["post"]["security"] == []
    assert "security" not in doc["paths"]["/api/assets"]["post"]  # the document-wide Bearer applies
    schemas = doc["components"]["schemas"]
    # Minimums of 0 (Litestar drops a falsy bound) and lengths of optional fields.
    assert all(schemas["WeightsIn"]["properties"][k]["minimum"] == 0 for k in ("age", "remote", "security"))
    assert schemas["AssetCreate"]["properties"]["tag"]["maxLength"] == 20
    weights = {p["name"]: p["schema"] for p in doc["paths"]["/api/planning/priority"]["get"]["parameters"]}
    assert weights["w_age"]["minimum"] == 0 and weights["w_age"]["maximum"] == 1000
    ages = {p["name"]: p["schema"] for p in doc["paths"]["/api/assets"]["get"]["parameters"]}
    assert ages["min_age_years"]["minimum"] == 0
    # Models that refuse unknown fields say so.
    for name in ("PlanRequest", "WeightsIn", "CommuneBudget", "AssetCreate", "UserCreate", "SavePlanRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    assert all(p.get("additionalProperties") is not False for n, p in schemas.items() if n in ("AssetOut", "Health"))


async def test_options_names_every_method_of_the_path(client, users):
    headers = await users.make("admin")
    asset_id = await make_asset()
    for path, methods in (
        (f"/api/assets/{asset_id}", {"GET", "PATCH", "OPTIONS"}),
        ("/api/auth/tokens", {"GET", "POST", "OPTIONS"}),
        (f"/api/assets/{asset_id}/warranty", {"GET", "PUT", "OPTIONS"}),
    ):
        answer = await client.options(path, headers=headers)
        assert answer.status_code == 204
        assert set(answer.headers["allow"].split(", ")) == methods, (path, answer.headers["allow"])


async def test_free_text_is_declared_without_nul_and_a_refused_key_is_shown_escaped(client, users):
    document = (await client.get("/schema/openapi.json")).json()
    holder = document["components"]["schemas"]["HandoverIn"]["properties"]["holder_name"]
    assert holder["pattern"] == "^[^\\u0000]*$"
    assert "pattern" not in document["components"]["schemas"]["HandoverIn"]["properties"]["handed_on"]  # a date
    headers = await users.make("admin")
    answer = await client.post("/api/planning/plan", json={"weights": {"a\x00b": 1}}, headers=headers)
    assert answer.status_code == 400
    key = answer.json()["extra"][0]["key"]
    assert "\x00" not in key and "a\\x00b" in key
