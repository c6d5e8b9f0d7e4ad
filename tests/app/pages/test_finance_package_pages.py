"""Procurement packages on pages: finance staff find a package and move it one
step at a time, with a note in its history; a step that skips ahead is refused
and written nowhere; planners read but do not move."""

from __future__ import annotations

from models.procurement import PackageStatusChange, ProcurementPackage
from tests.app.api.test_budget import make_chain, post
from tests.support.browser import log_in, screenshot


async def a_planned_package(client, headers) -> dict:
    line, allocation = await make_chain(client, headers)
    return await post(
        client,
        headers,
        "/packages",
        {
            "line_id": line["id"],
            "allocation_id": allocation["id"],
            "name": "Mua máy tính cho Xã An Viễn",
            "method": "competitive_quotation",
            "estimate_vnd": 150_000_000,
            "items": [{"category": "desktop", "quantity": 10}],
        },
        201,
    )


async def test_a_package_moves_one_step_with_a_note_and_never_skips(client, users):
    finance = await users.make("finance")
    package = await a_planned_package(client, finance)
    url = f"/finance/packages/{package['id']}"

    listed = await client.get(
        "/finance/packages", params={"q": "may tinh an vien", "status": "planned", "line_id": ""}, headers=finance
    )
    assert listed.status_code == 200 and url in listed.text and "Đã có kế hoạch" in listed.text
    other = await client.get("/finance/packages", params={"status": "closed"}, headers=finance)
    assert url not in other.text

    page = await client.get(url, headers=finance)
    assert "Máy tính để bàn" in page.text and 'value="tendering"' in page.text
    moved = await client.post(f"{url}/status", data={"status": "tendering", "note": "QĐ 12/QĐ-UBND"}, headers=finance)
    assert moved.status_code == 303 and moved.headers["location"] == f"{url}?done=moved"
    assert (
        await ProcurementPackage.select(ProcurementPackage.status).where(ProcurementPackage.id == package["id"]).first()
    )["status"] == "tendering"
    page = await client.get(f"{url}?done=moved", headers=finance)
    assert "Đang lựa chọn nhà thầu" in page.text and "QĐ 12/QĐ-UBND" in page.text

    skipped = await client.post(f"{url}/status", data={"status": "closed", "note": "nhảy cóc"}, headers=finance)
    assert skipped.status_code == 422 and 'role="alert"' in skipped.text and 'value="nhảy cóc"' in skipped.text
    assert (
        await ProcurementPackage.select(ProcurementPackage.status).where(ProcurementPackage.id == package["id"]).first()
    )["status"] == "tendering"
    assert await PackageStatusChange.count().where(PackageStatusChange.package == package["id"]) == 2


async def test_planners_read_packages_but_do_not_move_them(client, users):
    finance = await users.make("finance")
    planner = await users.make("planner")
    package = await a_planned_package(client, finance)
    url = f"/finance/packages/{package['id']}"
    page = await client.get(url, headers=planner)
    assert page.status_code == 200 and "Mua máy tính cho Xã An Viễn" in page.text and 'id="move"' not in page.text
    assert (await client.post(f"{url}/status", data={"status": "tendering"}, headers=planner)).status_code == 403


async def test_finance_staff_move_a_package_in_a_browser(client, users, live_server, phone):
    finance = await users.make("finance", username="ketoan.goithau")
    package = await a_planned_package(client, finance)
    page = await phone.new_page()
    await log_in(page, live_server, "ketoan.goithau", users.password)
    await page.click("text=Gói thầu")
    await page.click("text=Mua máy tính cho Xã An Viễn")
    await page.select_option("#move select[name=status]", "tendering")
    await page.fill("#move input[name=note]", "Thông báo mời chào hàng số 5")
    await page.click("#move button[type=submit]")
    await page.wait_for_selector("text=Đã chuyển trạng thái")
    assert await page.inner_text("#p-status") == "Đang lựa chọn nhà thầu"
    assert "Thông báo mời chào hàng số 5" in await page.inner_text("#p-history")
    await screenshot(page, "finance-package")
    assert await PackageStatusChange.count().where(PackageStatusChange.package == package["id"]) == 2
