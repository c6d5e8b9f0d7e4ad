"""One country in one system, each province kept to its own: accounts belong to a province,
the national role reads every province and changes nothing, writes naming another
province's commune or line are refused, reports and plans without a province mean "my
province", and communes not yet inventoried are not planned for unless asked."""

from __future__ import annotations

import uuid

from models.tables import AppUser, Asset, Province
from procurement.accounts import users as accounts
from procurement.accounts.provinces import assign_existing_users
from tests.app.conftest import AN_VIEN, HA_NOI, HA_NOI_COMMUNE, OTHER_COMMUNE, asset_payload, make_asset

API = "/api/finance"


def line_body(province: str = "75", **overrides) -> dict:
    return {
        "number": f"L-{uuid.uuid4().hex[:6]}",
        "name": "Trang bị thiết bị",
        "decision_date": "2025-08-22",
        "fiscal_year": 2025,
        "amount_vnd": 1_000_000_000,
        "province_code": province,
        "deadline": "2026-06-30",
        **overrides,
    }


async def test_the_register_of_a_province_is_its_own(client, users):
    dong_nai = await make_asset(make="DongNai")
    ha_noi = await make_asset(make="HaNoi", commune_code=HA_NOI_COMMUNE)
    tags = {r["id"]: r["tag"] for r in await Asset.select(Asset.id, Asset.tag)}
    dn_planner = await users.make("planner")
    hn_admin = await users.make("admin", province=HA_NOI)
    national = await users.make("national")
    national_admin = await users.make("admin")

    async def ids(headers, **params):
        answer = await client.get("/api/assets", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return {a["id"] for a in answer.json()["items"]}

    assert await ids(dn_planner) == {dong_nai}
    assert await ids(hn_admin) == {ha_noi}
    assert await ids(hn_admin, province="75") == set()  # a filter cannot widen the scope
    assert await ids(national) == {dong_nai, ha_noi}
    assert await ids(national_admin) == {dong_nai, ha_noi}
    assert (await client.get(f"/api/assets/by-tag/{tags[dong_nai]}", headers=hn_admin)).status_code == 404
    assert (await client.get(f"/api/assets/by-tag/{tags[dong_nai]}", headers=national)).status_code == 200
    # A provincial admin registers and moves devices inside its province only.
    outside = await client.post("/api/assets", json=asset_payload(), headers=hn_admin)
    assert outside.status_code == 403 and outside.json()["extra"][0]["key"] == "commune_code"
    inside = await client.post("/api/assets", json=asset_payload(commune_code=HA_NOI_COMMUNE), headers=hn_admin)
    assert inside.status_code == 201, inside.text
    moved = await client.post(f"/api/assets/{ha_noi}/move", json={"commune_code": AN_VIEN}, headers=hn_admin)
    assert moved.status_code == 403 and moved.json()["extra"][0]["key"] == "commune_code"


async def test_the_national_role_reads_every_province_and_changes_nothing(client, users):
    asset_id = await make_asset()
    national = await users.make("national")
    assert (await client.get(f"/api/assets/{asset_id}", headers=national)).status_code == 200
    assert (await client.get(f"{API}/lines", headers=national)).status_code == 200
    assert (await client.get("/api/planning/shortage", headers=national)).status_code == 200
    for method, path, body in (
        ("POST", "/api/assets", asset_payload()),
        ("PATCH", f"/api/assets/{asset_id}", {"notes": "x"}),
        ("POST", f"{API}/lines", line_body()),
        ("POST", "/api/users", {"username": "x.y", "password": "mat-khau-rat-dai", "role": "national"}),
    ):
        answer = await client.request(method, path, json=body, headers=national)
        assert answer.status_code == 403, (path, answer.text)


async def test_finance_keeps_to_its_province_lines(client, users):
    dn_finance = await users.make("finance")
    hn_finance = await users.make("finance", province=HA_NOI)
    refused = await client.post(f"{API}/lines", json=line_body(HA_NOI), headers=dn_finance)
    assert refused.status_code == 403 and refused.json()["extra"][0]["key"] == "province_code"
    line = (await client.post(f"{API}/lines", json=line_body(), headers=dn_finance)).json()
    hn_line = (await client.post(f"{API}/lines", json=line_body(HA_NOI), headers=hn_finance)).json()
    allocation = (
        await client.post(
            f"{API}/lines/{line['id']}/allocations",
            json={"commune_code": AN_VIEN, "amount_vnd": 100_000_000},
            headers=dn_finance,
        )
    ).json()
    # Another province's line, and what hangs on it, answer like missing ones.
    assert (await client.get(f"{API}/lines/{line['id']}", headers=hn_finance)).status_code == 404
    on_other = await client.post(
        f"{API}/lines/{line['id']}/allocations", json={"commune_code": AN_VIEN, "amount_vnd": 1}, headers=hn_finance
    )
    assert on_other.status_code == 404
    contract = await client.post(
        f"{API}/contracts",
        json={
            "allocation_id": allocation["id"],
            "supplier": {"name": "Công ty A", "tax_code": "0100000001"},
            "number": "HĐ-1",
            "signed_on": "2025-09-15",
            "items": [{"category": "desktop", "quantity": 1, "unit_price_vnd": 10_000_000}],
        },
        headers=hn_finance,
    )
    assert contract.status_code == 404 and contract.json()["extra"][0]["key"] == "allocation_id"
    payment = await client.post(
        f"{API}/payments",
        json={"line_id": line["id"], "amount_vnd": 1_000, "paid_on": "2025-10-01", "voucher_number": "X"},
        headers=hn_finance,
    )
    assert payment.status_code == 404
    # Lists and reports: my province without a filter; another province's filter is a 404.
    listed = (await client.get(f"{API}/lines", headers=hn_finance)).json()
    assert [i["id"] for i in listed["items"]] == [hn_line["id"]] and listed["total"] == 1
    report = (await client.get(f"{API}/reports/by_line", headers=hn_finance)).json()
    assert {r["line_id"] for r in report} == {hn_line["id"]}
    assert (await client.get(f"{API}/reports/by_line?province=75", headers=hn_finance)).status_code == 404
    country = await users.make("national")
    both = (await client.get(f"{API}/reports/by_line", headers=country)).json()
    assert {r["line_id"] for r in both} == {line["id"], hn_line["id"]}


async def test_a_provincial_admin_manages_the_accounts_of_its_province(client, users):
    hn_admin = await users.make("admin", province=HA_NOI)
    national_admin = await users.make("admin")
    dn_staff_name = f"cb-{uuid.uuid4().hex[:6]}"
    await users.make("staff", AN_VIEN, username=dn_staff_name)
    dn_staff = (await AppUser.select(AppUser.id).where(AppUser.username == dn_staff_name).first())["id"]

    async def create(headers, **body):
        return await client.post(
            "/api/users",
            json={"username": f"u{uuid.uuid4().hex[:6]}", "password": "mat-khau-rat-dai", **body},
            headers=headers,
        )

    assert (await create(hn_admin, role="finance", province_code="75")).status_code == 403
    assert (await create(hn_admin, role="staff", commune_code=AN_VIEN)).status_code == 403
    assert (await create(hn_admin, role="national")).status_code == 403
    assert (await create(hn_admin, role="admin")).status_code == 403  # a national admin
    made = await create(hn_admin, role="finance", province_code=HA_NOI)
    assert made.status_code == 201 and made.json()["province_code"] == HA_NOI
    staff = await create(hn_admin, role="staff", commune_code=HA_NOI_COMMUNE)
    assert staff.status_code == 201 and staff.json()["province_code"] == HA_NOI
    unplaced = await create(national_admin, role="planner")
    assert unplaced.status_code == 422 and unplaced.json()["extra"][0]["key"] == "province_code"
    assert (await create(national_admin, role="national")).json()["province_code"] is None

    seen = {u["province_code"] for u in (await client.get("/api/users", headers=hn_admin)).json()}
    assert seen == {HA_NOI}
    assert (await client.get(f"/api/users/{dn_staff}", headers=hn_admin)).status_code == 404
    moved = await client.patch(f"/api/users/{dn_staff}", json={"full_name": "x"}, headers=hn_admin)
    assert moved.status_code == 404
    assert (await client.get(f"/api/users/{dn_staff}", headers=national_admin)).status_code == 200
    assert len({u["province_code"] for u in (await client.get("/api/users", headers=national_admin)).json()}) > 1


async def test_transfers_between_provinces_are_the_national_admins(client, users):
    asset_id = await make_asset()
    body = {
        "decision_number": "5/QĐ",
        "decision_date": "2025-01-02",
        "from_commune": AN_VIEN,
        "to_commune": HA_NOI_COMMUNE,
        "asset_ids": [asset_id],
    }
    dn_finance = await users.make("finance")
    refused = await client.post("/api/transfers", json=body, headers=dn_finance)
    assert refused.status_code == 403 and refused.json()["extra"][0]["key"] == "to_commune"
    hn_admin = await users.make("admin", province=HA_NOI)
    assert (await client.post("/api/transfers", json=body, headers=hn_admin)).status_code == 422
    national_admin = await users.make("admin")
    sent = await client.post("/api/transfers", json=body, headers=national_admin)
    assert sent.status_code == 201, sent.text
    # Both provinces see it; a third does not.
    assert (await client.get(f"/api/transfers/{sent.json()['id']}", headers=hn_admin)).status_code == 200
    third = await users.make("admin", province="79")
    assert (await client.get(f"/api/transfers/{sent.json()['id']}", headers=third)).status_code == 404


async def test_a_plan_covers_my_province_and_leaves_communes_not_yet_inventoried_out(client, users):
    for _ in range(2):
        await make_asset(acquired_on="2012-01-01", condition="broken")
    await make_asset(commune_code=HA_NOI_COMMUNE, acquired_on="2012-01-01", condition="broken")
    planner = await users.make("planner")

    async def plan(**extra):
        answer = await client.post(
            "/api/planning/plan?limit=500", json={"budget_vnd": 2_000_000_000, **extra}, headers=planner
        )
        assert answer.status_code == 200, answer.text
        return {line["commune_code"] for line in answer.json()["items"] if line["included"]}

    assert await plan() == {AN_VIEN}  # the other 94 communes of Đồng Nai have nothing on record
    assert await plan(include_communes=[OTHER_COMMUNE]) == {AN_VIEN, OTHER_COMMUNE}
    everyone = await plan(include_uninventoried=True)
    assert OTHER_COMMUNE in everyone and HA_NOI_COMMUNE not in everyone and len(everyone) > 2
    other = await client.post("/api/planning/plan", json={"budget_vnd": 1_000_000, "province": HA_NOI}, headers=planner)
    assert other.status_code == 404
    shortage = (await client.get("/api/planning/shortage?limit=500", headers=planner)).json()["items"]
    inventoried = {r["commune_code"]: r["inventoried"] for r in shortage}
    assert inventoried[AN_VIEN] is True and inventoried[OTHER_COMMUNE] is False
    assert HA_NOI_COMMUNE not in inventoried


async def test_a_plan_is_saved_only_on_a_line_of_my_province(client, users):
    await make_asset(acquired_on="2012-01-01", condition="broken")
    dn_finance = await users.make("finance")
    line = (await client.post(f"{API}/lines", json=line_body(), headers=dn_finance)).json()
    hn_planner = await users.make("planner", province=HA_NOI)
    answer = await client.post(
        "/api/planning/plan/packages",
        json={"plan": {"budget_vnd": 100_000_000}, "line_id": line["id"]},
        headers=hn_planner,
    )
    assert answer.status_code == 404
    dn_planner = await users.make("planner")
    saved = await client.post(
        "/api/planning/plan/packages",
        json={"plan": {"budget_vnd": 100_000_000}, "line_id": line["id"]},
        headers=dn_planner,
    )
    assert saved.status_code == 201, saved.text
    assert {p["line_id"] for p in saved.json()} == {line["id"]}
    listed = (await client.get(f"{API}/packages", headers=hn_planner)).json()
    assert listed["total"] == 0


async def test_reference_data_is_changed_by_the_province_it_belongs_to(client, users):
    hn_admin = await users.make("admin", province=HA_NOI)
    assert (await client.patch(f"/api/communes/{AN_VIEN}", json={"officials": 30}, headers=hn_admin)).status_code == 404
    own = await client.patch(f"/api/communes/{HA_NOI_COMMUNE}", json={"officials": 30}, headers=hn_admin)
    assert own.status_code == 200
    life = await client.patch("/api/categories/desktop", json={"useful_life_years": 6}, headers=hn_admin)
    assert life.status_code == 403


async def test_existing_accounts_get_the_one_province_of_the_data_or_only_read(client, users):
    await make_asset()  # Đồng Nai is the only province with data
    names = {role: f"{role}-{uuid.uuid4().hex[:6]}" for role in ("finance", "planner", "admin")}
    for role, name in names.items():
        await users.make(role, username=name)
    await AppUser.update({AppUser.province: None}, force=True).where(AppUser.commune.is_null())
    accounts.clear_token_cache()
    result = await assign_existing_users()
    assert result.provinces_in_data == ["75"] and set(names.values()) <= set(result.assigned)
    dong_nai = (await Province.select(Province.id).where(Province.code == "75").first())["id"]
    placed = await AppUser.select(AppUser.province).where(AppUser.username.is_in(list(names.values())))
    assert {r["province"] for r in placed} == {dong_nai}

    # Two provinces in the data: accounts stay without one; finance and planner then only read.
    await make_asset(commune_code=HA_NOI_COMMUNE)
    await AppUser.update({AppUser.province: None}, force=True).where(AppUser.username == names["finance"])
    accounts.clear_token_cache()
    result = await assign_existing_users()
    assert result.provinces_in_data == [HA_NOI, "75"] and names["finance"] in result.left_national
    login = await client.post("/api/auth/login", json={"username": names["finance"], "password": users.password})
    client.cookies.clear()
    token = {"Authorization": f"Bearer {login.json()['token']}"}
    me = (await client.get("/api/auth/me", headers=token)).json()
    assert me["role"] == "national" and me["province_code"] is None
    assert (await client.post(f"{API}/lines", json=line_body(), headers=token)).status_code == 403


async def test_uploads_photos_and_set_up_forms_touch_only_my_province(client, users):
    """The routes that name their objects in the request (multipart files, forms)."""
    from models.procurement import Allocation, Contract, Payment
    from tests.app.api.test_budget import contract_body, make_chain
    from tests.support.images import image_bytes

    dn_finance = await users.make("finance")
    _, allocation = await make_chain(client, dn_finance)
    contract = (await client.post(f"{API}/contracts", json=contract_body(allocation["id"]), headers=dn_finance)).json()
    line_id = allocation["line_id"]
    hn_finance = await users.make("finance", province=HA_NOI)
    hn_admin = await users.make("admin", province=HA_NOI)
    allocations_before, payments_before = await Allocation.count(), await Payment.count()

    sheet = f"Mã xã,Số tiền\n{AN_VIEN},1000000\n".encode()
    answer = await client.post(
        f"{API}/lines/{line_id}/allocations/upload",
        files={"file": ("phan-bo.csv", sheet, "text/csv")},
        data={"dry_run": "false"},
        headers=hn_finance,
    )
    assert answer.status_code == 404, answer.text
    statement = f"Số hợp đồng,Số chứng từ,Ngày thanh toán,Số tiền\n{contract['number']},UNC-X,01/10/2025,1000000\n"
    answer = await client.post(
        f"{API}/payments/upload",
        files={"file": ("kho-bac.csv", statement.encode(), "text/csv")},
        data={"dry_run": "false"},
        headers=hn_finance,
    )
    assert answer.status_code in (404, 422), answer.text  # another province's contract is not found
    assert (await Allocation.count(), await Payment.count()) == (allocations_before, payments_before)

    # A photo of another province's device; the contract form on another province's allocation.
    device = await make_asset()
    photo = await client.post(
        f"/api/assets/{device}/photos",
        files={"file": ("anh.jpg", image_bytes(64, 48), "image/jpeg")},
        headers=hn_admin,
    )
    assert photo.status_code == 404, photo.text
    contracts_before = await Contract.count()
    form = await client.get("/finance/contracts/new", params={"allocation_id": allocation["id"]}, headers=hn_finance)
    # The form says the allocation is not found and offers only Hà Nội's lines.
    assert "Không tìm thấy" in form.text and allocation["commune_name"] not in form.text
    made = await client.post(
        "/finance/contracts/new",
        data={
            "allocation_id": str(allocation["id"]),
            "supplier_name": "Công ty Ngoài Tỉnh",
            "supplier_tax_code": "0100000001",
            "number": "HN-1",
            "signed_on": "20/09/2025",
            "items-0-category": "desktop",
            "items-0-quantity": "1",
            "items-0-unit_price": "1.000.000",
        },
        headers=hn_finance,
    )
    assert made.status_code in (404, 422) and await Contract.count() == contracts_before
    # A line for another province, from the page.
    line_form = {
        "number": "X/KH",
        "name": "Dòng tỉnh khác",
        "decision_date": "22/08/2025",
        "fiscal_year": "2025",
        "amount_vnd": "1.000.000",
        "province_code": "75",
    }
    refused = await client.post("/finance/lines", data=line_form, headers=hn_finance)
    assert refused.status_code in (403, 404, 422) and "/finance/lines/" not in refused.headers.get("location", "")
