"""Every route is in the access table, and answers by it: 401 without a log-in
(pages: a redirect to log in), 403 for a role it does not allow, 404 to staff of
another commune for another commune's device; and by province: every route is
classified, another province's object answers 404, and lists, exports and reports
leave another province's objects out."""

from __future__ import annotations

import io
import re
import uuid
import zipfile

import pytest

from tests.app.conftest import AN_VIEN, HA_NOI, HA_NOI_COMMUNE, OTHER_COMMUNE, make_asset
from tests.support.access import ACCESS, BODIES, FILES, LISTED, NAMED_IN_BODY, NO_PROVINCE, OBJECT, SCOPED
from tests.support.images import image_bytes

ROLES = ("admin", "finance", "planner", "staff", "accountant", "national")


def app_routes(app) -> set[tuple[str, str, bool, object]]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method == "OPTIONS" or route.path.startswith("/schema"):
                    continue
                found.add(
                    (
                        method,
                        route.path,
                        bool(handler.opt.get("page")),
                        handler.opt.get("roles") or "public" if handler.opt.get("public") else handler.opt.get("roles"),
                    )
                )
    return found


def test_every_route_is_in_the_access_table_and_declares_the_same_roles(app):
    missing, mismatched = [], []
    for method, path, _, declared in app_routes(app):
        expected = ACCESS.get((method, path))
        if expected is None:
            missing.append(f"{method} {path}")
        elif tuple(sorted(expected)) != tuple(sorted(declared)) if expected != "public" else declared != "public":
            mismatched.append(f"{method} {path}: table {expected}, route {declared}")
    assert not missing, f"routes with no entry in tests/access.py: {missing}"
    assert not mismatched, mismatched
    listed = {(m, p) for m, p, _, _ in app_routes(app)}
    assert not set(ACCESS) - listed, f"access table lists routes the app lacks: {set(ACCESS) - listed}"


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


async def test_each_route_answers_by_the_access_table(app, client, users):
    headers = {role: await users.make(role, AN_VIEN if role in ("staff", "accountant") else None) for role in ROLES}
    outsider = await users.make("staff", OTHER_COMMUNE)
    asset_id = await make_asset()
    from models.tables import Asset

    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    values = {"asset_id": str(asset_id), "tag": tag, "user_id": "1", "token_id": "999999", "file_path": "app.css"}
    failures = []
    for method, path, is_page, _ in sorted(app_routes(app)):
        expected = ACCESS[(method, path)]
        if expected == "public":
            continue
        code_value = "75" if "provinces" in path else "desktop" if "categories" in path else AN_VIEN
        url = _fill(path, {**values, "code": code_value})
        body = BODIES.get((method, path), {})
        kwargs = {"json": body} if method in ("POST", "PATCH", "PUT") else {}
        if (method, path) in FILES:
            kwargs = {"files": FILES[(method, path)]}

        anonymous = await client.request(method, url, follow_redirects=False, **kwargs)
        if is_page:
            if anonymous.status_code not in (302, 303) or "/login" not in anonymous.headers.get("location", ""):
                failures.append(f"{method} {path}: anonymous got {anonymous.status_code}, not a redirect to log in")
        elif anonymous.status_code != 401:
            failures.append(f"{method} {path}: anonymous got {anonymous.status_code}, not 401")

        for role in ROLES:
            if role in expected:
                continue
            answer = await client.request(method, url, headers=headers[role], follow_redirects=False, **kwargs)
            if answer.status_code != 403:
                failures.append(f"{method} {path}: {role} got {answer.status_code}, not 403")

        if (method, path) in SCOPED and "staff" in expected:
            if "{asset_id" in path:  # a device of its own, so that one route's change cannot refuse the next
                fresh = await make_asset()
                url = _fill(path, {**values, "asset_id": str(fresh), "code": code_value})
            answer = await client.request(method, url, headers=outsider, **kwargs)
            if answer.status_code != 404:
                failures.append(f"{method} {path}: staff of another commune got {answer.status_code}, not 404")
            own = await client.request(method, url, headers=headers["staff"], **kwargs)
            # Let through and found; a 409 is the rule's own answer about the device's state
            # (e.g. handing back a device nobody holds), reached only after the access check.
            if own.status_code >= 400 and own.status_code != 409:
                failures.append(f"{method} {path}: staff of the commune got {own.status_code}: {own.text[:200]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/api/assets", "/api/auth/me"])
async def test_a_revoked_or_garbage_token_is_401(client, users, path):
    headers = await users.make("planner")
    assert (await client.get(path, headers=headers)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get(path, headers=headers)).status_code == 401
    assert (await client.get(path, headers={"Authorization": "Bearer nonsense"})).status_code == 401


# --- the province dimension ------------------------------------------------------------


def test_every_route_is_classified_once_by_province(app):
    classes = {"OBJECT": OBJECT, "LISTED": LISTED, "NAMED_IN_BODY": NAMED_IN_BODY, "NO_PROVINCE": NO_PROVINCE}
    unclassified, twice = [], []
    for method, path, _, _ in app_routes(app):
        found = [name for name, routes in classes.items() if (method, path) in routes]
        if not found:
            unclassified.append(f"{method} {path}")
        elif len(found) > 1:
            twice.append(f"{method} {path}: {found}")
    assert not unclassified, f"routes not classified by province in tests/support/access.py: {unclassified}"
    assert not twice, twice
    listed = {(m, p) for m, p, _, _ in app_routes(app)}
    stale = set().union(*classes.values()) - listed
    assert not stale, f"province classes list routes the app lacks: {stale}"


# Bodies and forms that pass validation, so that the request reaches the province check.
PROVINCE_BODIES = {
    ("PUT", "/api/finance/lines/{line_id:int}/milestones"): [{"due_on": "2026-06-30", "target_share": 1.0}],
    ("POST", "/api/finance/lines/{line_id:int}/allocations"): {"commune_code": AN_VIEN, "amount_vnd": 1_000_000},
    ("POST", "/api/finance/lines/{line_id:int}/allocations/split"): {"total_vnd": 1_000_000, "dry_run": True},
    ("POST", "/api/finance/packages/{package_id:int}/status"): {"status": "tendering"},
    ("POST", "/api/finance/contracts/{contract_id:int}/deliveries"): {
        "delivered_on": "2025-10-01",
        "accepted_on": "2025-10-02",
        "items": [{"category": "desktop", "quantity": 1}],
    },
    ("POST", "/api/finance/payments/{payment_id:int}/reverse"): {"paid_on": "2025-11-01", "voucher_number": "DX-1"},
    ("POST", "/api/finance/contracts/{contract_id:int}/amendments"): {
        "signed_on": "2025-10-01",
        "reason": "Bổ sung",
        "value_change_vnd": 1_000,
    },
    ("PATCH", "/api/users/{user_id:int}"): {"full_name": "Tên khác"},
    ("PATCH", "/api/communes/{code:str}"): {"officials": 20},
}
# Query strings some lists need (their own province's commune, a budget).
PROVINCE_QUERIES = {
    ("GET", "/api/assets/field-list"): {"commune": HA_NOI_COMMUNE},
    **{
        ("GET", f"/api/public-property/{name}"): {"commune": HA_NOI_COMMUNE, "year": "2025"}
        for name in ("book", "book.pdf", "book.xlsx", "summary", "summary.pdf", "summary.xlsx")
    },
    **{
        ("GET", f"/public-property/{name}"): {"commune": HA_NOI_COMMUNE, "year": "2025"}
        for name in ("book.pdf", "book.xlsx", "summary.pdf", "summary.xlsx")
    },
    ("GET", "/planning/plan.csv"): {"budget": "100000000"},
    ("GET", "/planning/plan.xlsx"): {"budget": "100000000"},
}
PROVINCE_FORMS = {
    ("POST", "/finance/contracts/{contract_id:int}/payments"): {
        "amount_vnd": "1000000",
        "paid_on": "01/11/2025",
        "voucher_number": "PC-9",
    },
    ("POST", "/finance/payments/{payment_id:int}/reverse"): {"paid_on": "01/11/2025", "voucher_number": "DX-9"},
    ("POST", "/finance/packages/{package_id:int}/status"): {"status": "tendering"},
    ("POST", "/admin/users/{user_id:int}"): {"role": "staff", "commune_code": AN_VIEN},
    ("POST", "/assets/{asset_id:int}/edit"): {"category": "desktop"},
    ("POST", "/assets/{asset_id:int}/move"): {"location": "office"},
    ("POST", "/assets/{asset_id:int}/condition"): {"condition": "fair"},
    ("POST", "/public-property/stocktakes/{stocktake_id:int}/minutes"): {"member_name": "A"},
}


async def _dong_nai_objects(client, users) -> tuple[dict[str, str], list[str]]:
    """One of every kind of object in Đồng Nai (ids for the paths), and the words that
    must not appear in another province's lists and reports."""
    from models.tables import AppUser, Asset
    from procurement.accounts import users as accounts

    finance = await users.make("finance")  # Đồng Nai
    admin = await users.make("admin", province="75")
    staff_name = f"dn-staff-{uuid.uuid4().hex[:6]}"
    staff = await users.make("staff", AN_VIEN, username=staff_name)
    asset_id = await make_asset(make="Marker-Dong-Nai")
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    moving = await make_asset()

    async def post(path, body, headers=finance, expect=201):
        answer = await client.post(path, json=body, headers=headers)
        assert answer.status_code in (expect, 200, 201), f"{path}: {answer.text}"
        return answer.json()

    line_number = f"DN-{uuid.uuid4().hex[:6]}/KH"
    line = await post(
        "/api/finance/lines",
        {
            "number": line_number,
            "name": "Dòng của Đồng Nai",
            "decision_date": "2025-08-22",
            "fiscal_year": 2025,
            "amount_vnd": 1_000_000_000,
            "province_code": "75",
            "deadline": "2026-06-30",
        },
    )
    allocation = await post(
        f"/api/finance/lines/{line['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": 500_000_000}
    )
    package = await post(
        "/api/finance/packages",
        {
            "line_id": line["id"],
            "allocation_id": allocation["id"],
            "name": "Gói Đồng Nai",
            "method": "competitive_quotation",
            "estimate_vnd": 10_000_000,
        },
    )
    contract_number = f"HĐ-DN-{uuid.uuid4().hex[:6]}"
    contract = await post(
        "/api/finance/contracts",
        {
            "allocation_id": allocation["id"],
            "supplier": {"name": "Công ty Dấu Vết Đồng Nai", "tax_code": "3600999999"},
            "number": contract_number,
            "signed_on": "2025-09-15",
            "items": [{"category": "desktop", "quantity": 2, "unit_price_vnd": 10_000_000}],
        },
    )
    payment = await post(
        "/api/finance/payments",
        {"contract_id": contract["id"], "amount_vnd": 5_000_000, "paid_on": "2025-10-01", "voucher_number": "PC-1"},
    )
    stocktake = await post("/api/stocktakes", {"commune_code": AN_VIEN}, headers=staff)
    disposal = await post(
        f"/api/assets/{moving}/disposal-files", {"ground": "past_useful_life"}, headers=staff, expect=201
    )
    transfer = await post(
        "/api/transfers",
        {
            "decision_number": "9/QĐ",
            "decision_date": "2025-01-02",
            "from_commune": AN_VIEN,
            "to_commune": OTHER_COMMUNE,
            "asset_ids": [await make_asset()],
        },
        expect=200,
    )
    delivery = await post(
        f"/api/finance/contracts/{contract['id']}/deliveries",
        {
            "delivered_on": "2025-10-01",
            "accepted_on": "2025-10-02",
            "items": [{"category": "desktop", "quantity": 1, "serials": ["DN-SERIAL-1"]}],
        },
    )
    photo = await client.post(
        f"/api/assets/{asset_id}/photos", headers=staff, files={"file": ("anh.jpg", image_bytes(64, 48), "image/jpeg")}
    )
    assert photo.status_code == 201, photo.text
    user_id = (await AppUser.select(AppUser.id).where(AppUser.username == staff_name).first())["id"]
    token = await accounts.create_api_token(await accounts.actor_named(staff_name), "kịch bản")
    del admin
    values = {
        "asset_id": str(asset_id),
        "tag": tag,
        "line_id": str(line["id"]),
        "package_id": str(package["id"]),
        "contract_id": str(contract["id"]),
        "payment_id": str(payment["id"]),
        "stocktake_id": str(stocktake["id"]),
        "file_id": str(disposal["id"]),
        "transfer_id": str(transfer["id"]),
        "delivery_id": str(delivery["id"]),
        "photo_id": str(photo.json()["id"]),
        "user_id": str(user_id),
        "token_id": str(token.id),
        "code": AN_VIEN,
        "report": "by_line",
        "year": "2025",
        "file_path": "app.css",
        "name": "by_commune.xlsx",  # /finance/reports/{name}
    }
    # Not the commune code: examples in the pages' placeholders use it.
    return values, ["Xã An Viễn", tag, line_number, contract_number, "Marker-Dong-Nai", "Dấu Vết Đồng Nai"]


def _text(answer) -> str:
    """The answer as text to look for words in: spreadsheets are unzipped; PDF streams are compressed."""
    body = answer.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as sheet:
            return " ".join(sheet.read(n).decode("utf-8", "replace") for n in sheet.namelist() if n.endswith(".xml"))
    return body.decode("utf-8", "replace")


async def test_another_province_gets_404_for_each_object_and_finds_none_in_lists(app, client, users):
    values, markers = await _dong_nai_objects(client, users)
    # Callers of Hà Nội, one per role; the national role sees every province and is not one of them.
    outsiders = {
        "admin": await users.make("admin", province=HA_NOI),
        "finance": await users.make("finance", province=HA_NOI),
        "planner": await users.make("planner", province=HA_NOI),
        "staff": await users.make("staff", HA_NOI_COMMUNE),
        "accountant": await users.make("accountant", HA_NOI_COMMUNE),
    }
    failures = []
    for method, path, is_page, _ in sorted(app_routes(app)):
        allowed = ACCESS[(method, path)]
        if allowed == "public" or (method, path) not in OBJECT | LISTED:
            continue
        url = _fill(path, values)
        kwargs: dict = {"params": PROVINCE_QUERIES.get((method, path), {})}
        if is_page and method == "POST":
            kwargs["data"] = PROVINCE_FORMS.get((method, path), {})
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["json"] = PROVINCE_BODIES.get((method, path), BODIES.get((method, path), {}))
        for role, headers in outsiders.items():
            if role not in allowed:
                continue
            answer = await client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
            if (method, path) in OBJECT:
                if answer.status_code != 404:
                    failures.append(f"{method} {path}: {role} of another province got {answer.status_code}, not 404")
                continue
            if answer.status_code >= 400:
                failures.append(f"{method} {path}: {role} of another province got {answer.status_code}")
                continue
            if answer.headers.get("content-type", "").startswith("application/pdf"):
                continue
            text = _text(answer)
            # The export's guide sheet shows An Viễn in its example row: there the devices are the markers.
            seen = [
                m
                for m in markers
                if m in text and not (m == "Xã An Viễn" and path in ("/api/assets/export", "/assets/export.xlsx"))
            ]
            if seen:
                failures.append(f"{method} {path}: {role} of another province sees {seen}")
    assert not failures, "\n".join(failures)
