"""The planners' page in a real browser (Debian chromium via Playwright)."""

from __future__ import annotations

import fastexcel

from models.tables import Commune
from procurement.core.clock import today_vn, years_before
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.support.browser import log_in, screenshot

DESKTOP = {"width": 1280, "height": 900}


async def _fleet() -> dict[str, int]:
    today = today_vn()
    old, middle = years_before(today, 9), years_before(today, 3)
    await Commune.update({Commune.officials: 6, Commune.remote: True}).where(Commune.code == AN_VIEN)
    await Commune.update({Commune.officials: 4}).where(Commune.code == OTHER_COMMUNE)
    return {
        "broken": await make_asset(acquired_on=old.isoformat(), condition="broken", location="service_point"),
        "other_old": await make_asset(commune_code=OTHER_COMMUNE, acquired_on=old.isoformat(), condition="fair"),
        "remote_young": await make_asset(acquired_on=middle.isoformat(), condition="fair"),
        "printer": await make_asset(category="printer", commune_code=OTHER_COMMUNE, acquired_on=middle.isoformat()),
    }


async def _order(page) -> list[int]:
    return [
        int(x)
        for x in await page.eval_on_selector_all(
            "#ranked tbody tr[data-asset]", "rows => rows.map(r => r.dataset.asset)"
        )
    ]


async def test_planner_ranks_reweights_plans_and_downloads(live_server, browser, users, tmp_path):
    ids = await _fleet()
    await users.make("planner", username="kehoach.test")
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    page = await context.new_page()
    await log_in(page, live_server, "kehoach.test", users.password)
    await page.goto(f"{live_server}/planning?province=75")
    assert "Kế hoạch thay thế thiết bị" in await page.inner_text("h1")
    order = await _order(page)
    assert order[0] == ids["broken"] and set(order) == set(ids.values())
    assert "hỏng" in await page.inner_text(f"#ranked tr[data-asset='{ids['broken']}']")
    # The shortage chart is an inline SVG naming the commune (no image fetched from anywhere).
    assert await page.locator("#shortage figure.plot svg").count() == 1
    assert "An Viễn" in await page.inner_text("#shortage")
    await screenshot(page, "planning-desktop")

    # Nothing but remoteness: An Viễn's young fair desktop overtakes the other commune's old one.
    assert order.index(ids["other_old"]) < order.index(ids["remote_young"])
    await page.click("text=Trọng số điểm ưu tiên")
    for part in ("age", "condition", "place", "shortage", "security"):
        await page.fill(f"input[name=w_{part}]", "0")
    await page.fill("input[name=w_remote]", "50")
    await page.click("#filters button[type=submit]")
    await page.wait_for_load_state("networkidle")
    order = await _order(page)
    assert order.index(ids["remote_young"]) < order.index(ids["other_old"])
    assert await page.input_value("input[name=w_remote]") == "50"  # what was typed stays

    # A plan under 20 million: the fields are kept, the total never passes the budget.
    await page.fill("#plan input[name=budget]", "20.000.000")
    await page.click("#plan button[type=submit]")
    await page.wait_for_load_state("networkidle")
    summary = await page.inner_text("#plan .summary")
    assert "20.000.000 đ" in summary
    async with page.expect_download() as info:
        await page.click("text=Tải kế hoạch Excel")
    path = tmp_path / "plan.xlsx"
    await (await info.value).save_as(path)
    sheet = fastexcel.read_excel(path.read_bytes()).load_sheet(0, header_row=1).to_polars()  # row 1: the title
    chosen = sheet.filter(sheet["Được chọn"] == "có")
    assert chosen["Đơn giá"].sum() <= 20_000_000 and chosen.height >= 1

    async with page.expect_download() as info:
        await page.click("#ranked >> text=Tải Excel")
    path = tmp_path / "ranked.xlsx"
    await (await info.value).save_as(path)
    sheet = fastexcel.read_excel(path.read_bytes()).load_sheet(0, header_row=1).to_polars()  # row 1: the title
    assert sheet.height == len(order)

    await page.fill("#plan input[name=budget]", "nhiều tiền")
    await page.click("#plan button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert "không phải chữ số" in await page.inner_text("#budget-error")
    assert await page.input_value("#plan input[name=budget]") == "nhiều tiền"
    await context.close()


async def test_planning_and_fleet_pages_on_a_phone(live_server, phone, users):
    await _fleet()
    await users.make("planner", username="kehoach.phone")
    page = await phone.new_page()
    await log_in(page, live_server, "kehoach.phone", users.password)
    assert page.url.endswith("/planning")
    await page.goto(f"{live_server}/planning?province=75&budget=30.000.000")
    assert await page.locator("#ranked tbody tr[data-asset]").count() == 4
    # Nothing wider than the phone but the scrolling tables and charts.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
    await screenshot(page, "planning-phone")
    await page.goto(f"{live_server}/planning/fleet?province=75")
    assert await page.locator("figure.plot svg").count() == 2
    await screenshot(page, "planning-fleet-phone")


async def test_commune_staff_are_not_shown_the_planning_page(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="lan.planning")
    page = await phone.new_page()
    await log_in(page, live_server, "lan.planning", users.password)
    response = await page.goto(f"{live_server}/planning")
    assert response.status == 403
    assert "không có quyền" in await page.inner_text("main")
