"""The register's pages in a real browser (Debian chromium via Playwright), at phone width,
and their forms through HTTP: errors next to the field, typed values kept, the
confirm step of a disposal, the same commune scoping as the API."""

from __future__ import annotations

import re

from models.tables import Asset, AssetEvent
from tests.app.api.test_importing import twenty_rows, xlsx
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.support.browser import log_in, screenshot


async def test_staff_filter_register_import_with_an_error_fix_and_commit(live_server, phone, users, tmp_path):
    await users.make("staff", AN_VIEN, username="mai.anvien")
    await make_asset(
        category="printer",
        make="Canon",
        model="LBP 2900",
        serial="PR-1",
        condition="broken",
        assigned_to="Phạm Thị Hoà",
    )
    await make_asset(category="desktop", make="Dell", serial="PC-1")
    page = await phone.new_page()
    await log_in(page, live_server, "mai.anvien", users.password)
    assert page.url.endswith("/assets")
    await screenshot(page, "assets-list")

    # Search without diacritics, filter by condition.
    await page.fill("input[name=q]", "pham thi hoa")
    await page.click("form[role=search] button[type=submit]")
    rows = page.locator("tbody tr")
    assert await rows.count() == 1 and "Canon" in await rows.inner_text()
    await page.goto(f"{live_server}/assets?condition=good")
    assert "Dell" in await page.inner_text("tbody") and "Canon" not in await page.inner_text("tbody")

    # Register a device: a wrong cost is said next to the field and the typed values stay.
    await page.click("text=+ Đăng ký thiết bị")
    await page.select_option("select[name=category]", "laptop")
    await page.fill("input[name=make]", "Lenovo")
    await page.fill("input[name=serial]", "LT-NEW-1")
    await page.fill("input[name=cost_vnd]", "mười triệu")
    await page.click("button:has-text('Đăng ký')")
    assert "nguyên đồng" in await page.inner_text("#e-cost_vnd")
    assert await page.input_value("input[name=make]") == "Lenovo"
    await screenshot(page, "register-error")
    await page.fill("input[name=cost_vnd]", "12.500.000")
    await page.fill("input[name=acquired_on]", "01/02/2024")
    await page.click("button:has-text('Đăng ký')")
    await page.wait_for_url(re.compile(r"/assets/\d+\?done=registered"))
    assert "12.500.000" in await page.inner_text("main")
    await screenshot(page, "device")
    stored = (
        await Asset.select(Asset.cost_vnd, Asset.commune.code.as_alias("commune"))
        .where(Asset.serial == "LT-NEW-1")
        .first()
    )
    assert stored == {"cost_vnd": 12_500_000, "commune": AN_VIEN}

    # Report condition from the device page.
    await page.click("text=Báo tình trạng")
    await page.check("input[name=condition][value=poor]")
    await screenshot(page, "condition")
    await page.click("button:has-text('Gửi')")
    await page.wait_for_url(re.compile(r"done=condition"))
    assert "Báo tình trạng" in await page.inner_text(".history")

    # Import a sheet with one wrong row: the table names it; nothing is written.
    rows = twenty_rows()
    rows[6][6] = "32/13/2020"
    bad = tmp_path / "kiem-ke.xlsx"
    bad.write_bytes(xlsx(rows))
    await page.goto(f"{live_server}/import")
    await page.set_input_files("input[type=file]", str(bad))
    await page.click("button:has-text('Kiểm tra tệp')")
    error_rows = page.locator("table.errors tbody tr")
    assert await error_rows.count() == 1
    text = await error_rows.inner_text()
    assert "8" in text and "Ngày mua" in text and "32/13/2020" in text
    assert await page.locator("button:has-text('Nhập ')").count() == 0
    await screenshot(page, "import-errors")
    assert await Asset.count() == 3

    rows[6][6] = "20/12/2020"
    good = tmp_path / "kiem-ke-da-sua.xlsx"
    good.write_bytes(xlsx(rows))
    await page.set_input_files("input[type=file]", str(good))
    await page.click("button:has-text('Kiểm tra tệp')")
    assert "Sẽ tạo mới 20" in await page.inner_text("#report")
    await screenshot(page, "import-ready")
    await page.click("button:has-text('Nhập 20 dòng')")
    assert "Đã nhập: tạo mới 20" in await page.inner_text("#report")
    await screenshot(page, "import-done")
    assert await Asset.count() == 23


async def test_staff_of_another_commune_cannot_reach_the_device_by_url(live_server, phone, users):
    await users.make("staff", OTHER_COMMUNE, username="khach.xakhac")
    asset_id = await make_asset(commune_code=AN_VIEN, make="Dell", serial="MINE-1")
    page = await phone.new_page()
    await log_in(page, live_server, "khach.xakhac", users.password)
    for suffix in ("", "/edit", "/move", "/condition", "/disposal"):
        answer = await page.goto(f"{live_server}/assets/{asset_id}{suffix}")
        assert answer.status == 404, suffix
        assert "MINE-1" not in await page.inner_text("body")
    await screenshot(page, "other-commune-404")
    await page.goto(f"{live_server}/assets")
    assert "Dell" not in await page.inner_text("main")
    answer = await page.goto(f"{live_server}/admin/users")
    assert answer.status == 403


async def test_admin_pages_screens(live_server, phone, users):
    await users.make("admin", username="quan.tri")
    asset_id = await make_asset(serial="ADM-1")
    page = await phone.new_page()
    await log_in(page, live_server, "quan.tri", users.password)
    await page.goto(f"{live_server}/admin/users")
    await page.fill("input[name=username]", "x")
    await page.click("button:has-text('Thêm')")
    assert "Quá ngắn" in await page.inner_text("#e-username")
    await screenshot(page, "users")
    await page.goto(f"{live_server}/assets/{asset_id}/edit")
    await screenshot(page, "edit")
    await page.goto(f"{live_server}/assets/{asset_id}/move")
    await screenshot(page, "move")
    # "Thanh lý" on the device page opens the disposal file's request: a ground is asked for.
    await page.goto(f"{live_server}/assets/{asset_id}")
    await page.click("a.button:has-text('Thanh lý')")
    await page.wait_for_url(re.compile(rf"/assets/{asset_id}/disposal$"))
    await page.select_option("select[name=ground]", "repair_not_worth")
    await page.fill("input[name=repair_estimate_vnd]", "9.000.000")
    await page.fill("input[name=reason]", "Hỏng bo mạch, không sửa được")
    await screenshot(page, "dispose-request")
    await page.click("button:has-text('Gửi đề nghị')")
    await page.wait_for_url(re.compile(r"/disposal-files/\d+\?done=requested"))
    row = await Asset.select(Asset.status).where(Asset.id == asset_id).first()
    assert row["status"] == "awaiting_disposal"  # disposed only after the province's decision


async def _cookie_headers(client, users, role, commune=None, username=None):
    headers = await users.make(role, commune, username=username)
    return headers


async def test_forms_keep_values_and_name_fields(client, users):
    headers = await users.make("staff", AN_VIEN)
    answer = await client.post(
        "/assets/new",
        headers=headers,
        data={"category": "", "make": "HP", "acquired_on": "2019-02-30", "acquired_year": "", "cost_vnd": "-1"},
    )
    assert answer.status_code == 422
    html = answer.text
    assert 'value="HP"' in html
    assert re.search(r'id="e-acquired_on">[^<]*không có thật', html)
    assert re.search(r'id="e-cost_vnd">[^<]*âm', html)
    assert await Asset.count() == 0


async def test_edit_and_move_write_history_and_disposal_needs_its_file(client, users):
    headers = await users.make("staff", AN_VIEN)
    asset_id = await make_asset(serial="ED-1", cost_vnd=1_000_000)
    answer = await client.post(
        f"/assets/{asset_id}/edit",
        headers=headers,
        data={
            "category": "desktop",
            "make": "Dell",
            "model": "OptiPlex",
            "serial": "ED-1",
            "cost_vnd": "2.000.000",
            "acquired_on": "15/03/2019",
            "acquisition": "purchased",
            "status": "in_repair",
        },
    )
    assert answer.status_code == 303
    row = await Asset.select(Asset.cost_vnd, Asset.status).where(Asset.id == asset_id).first()
    assert row == {"cost_vnd": 2_000_000, "status": "in_repair"}
    answer = await client.post(
        f"/assets/{asset_id}/move",
        headers=headers,
        data={"location": "service_point", "location_detail": "Quầy 2", "assigned_to": "", "note": ""},
    )
    assert answer.status_code == 303
    # Disposal only through its file: a request without a valid ground is refused beside the field.
    answer = await client.post(
        f"/assets/{asset_id}/disposal", headers=headers, data={"ground": "repair_not_worth", "reason": "Quá cũ"}
    )
    assert answer.status_code == 422 and 'id="e-repair_estimate_vnd"' in answer.text
    assert (await Asset.select(Asset.status).where(Asset.id == asset_id).first())["status"] == "in_repair"
    answer = await client.post(
        f"/assets/{asset_id}/disposal",
        headers=headers,
        data={"ground": "repair_not_worth", "repair_estimate_vnd": "1.500.000", "reason": "Quá cũ"},
    )
    assert answer.status_code == 303
    file_page = answer.headers["location"]
    assert re.fullmatch(r"/disposal-files/\d+\?done=requested", file_page)
    kinds = [
        e["kind"]
        for e in await AssetEvent.select(AssetEvent.kind).where(AssetEvent.asset == asset_id).order_by(AssetEvent.id)
    ]
    assert kinds == ["registered", "updated", "moved", "disposal_requested"]
    # Asked once: nobody is offered to ask again; the device page leads to the open file.
    file_link = f'href="{file_page.split("?")[0]}"'
    for viewer in (headers, await users.make("admin")):
        view = await client.get(f"/assets/{asset_id}", headers=viewer)
        assert f'href="/assets/{asset_id}/disposal"' not in view.text and file_link in view.text


async def test_import_commit_token_belongs_to_its_user(client, users):
    first = await users.make("staff", AN_VIEN)
    second = await users.make("staff", AN_VIEN)
    answer = await client.post(
        "/import", headers=first, files={"file": ("a.xlsx", xlsx(twenty_rows()), "application/octet-stream")}
    )
    token = re.search(r'name="token" value="([^"]+)"', answer.text).group(1)
    stolen = await client.post("/import/commit", headers=second, data={"token": token})
    assert stolen.status_code == 422 and await Asset.count() == 0
    mine = await client.post("/import/commit", headers=first, data={"token": token})
    assert mine.status_code == 200 and await Asset.count() == 20
    again = await client.post("/import/commit", headers=first, data={"token": token})
    assert again.status_code == 422 and await Asset.count() == 20


async def test_commune_fields_find_a_commune_by_its_name_without_diacritics(live_server, phone, users):
    await users.make("admin", username="quan.tri.xa")
    page = await phone.new_page()
    await log_in(page, live_server, "quan.tri.xa", users.password)
    await page.goto(f"{live_server}/assets/new")
    field = page.locator("input[name=commune_code]")

    # Suggestions while typing: "an vien" offers Xã An Viễn (and Xã Xuân Viên, which also contains it).
    await field.type("an vien", delay=20)
    await page.wait_for_function(
        "document.querySelectorAll('datalist[id^=commune-options] option').length >= 1", timeout=5000
    )
    offered = await page.eval_on_selector_all("datalist[id^=commune-options] option", "os => os.map(o => o.value)")
    assert AN_VIEN in offered

    # A code shows the commune's name beside the field.
    await field.fill("")
    await field.type(OTHER_COMMUNE)
    await page.wait_for_function("document.querySelector('.commune-name').textContent.includes('(26299)')")
    await screenshot(page, "commune-picker")

    # An ambiguous name is not guessed: the form is not sent, the field says why.
    await page.select_option("select[name=category]", "printer")
    await field.fill("an phu")
    await page.click("main form button[type=submit]")
    await page.wait_for_selector(".commune-name.field-error")
    assert "chọn một" in await page.inner_text(".commune-name")
    assert await Asset.count() == 0

    # A name that means one commune (whole words) is sent as its code.
    await field.fill("an vien")
    await page.fill("input[name=serial]", "PICK-1")
    await page.click("main form button[type=submit]")
    await page.wait_for_url(re.compile(r"/assets/\d+"))
    created = await Asset.select(Asset.commune.code.as_alias("commune")).where(Asset.serial == "PICK-1").first()
    assert created["commune"] == AN_VIEN
