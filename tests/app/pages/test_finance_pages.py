"""The finance dashboard in a real browser (Debian chromium): it loads, draws each
line's progress as an inline SVG chart, lists the lagging communes, and its XLSX
download opens."""

from __future__ import annotations

import io

import polars as pl

from models.tables import AppUser, Commune
from procurement.core.actor import Actor
from procurement.seed.demo_finance import load_demo_budget
from tests.support.browser import log_in, screenshot


async def test_dashboard_shows_chart_lagging_communes_and_downloads(users, live_server, phone):  # noqa: F811
    await users.make("finance", username="taichinh-ui")
    user = await AppUser.select(AppUser.id).where(AppUser.username == "taichinh-ui").first()
    for index, commune in enumerate(await Commune.select(Commune.id).where(Commune.province.code == "75")):
        await Commune.update({Commune.officials: 15 + index % 20}).where(Commune.id == commune["id"])
    await load_demo_budget(Actor(user_id=user["id"], username="taichinh-ui", role="finance"), seed=3)

    page = await phone.new_page()
    await log_in(page, live_server, "taichinh-ui", users.password)
    assert page.url.endswith("/finance")
    await page.wait_for_selector("section.chart svg")
    marks = await page.locator("section.chart svg path, section.chart svg .marks *").count()
    assert marks > 10
    assert "Kế hoạch giải ngân" in await page.locator("section.chart").first.inner_text()
    rows = page.locator("#lagging tbody tr")
    assert await rows.count() >= 1
    assert "đ" in await rows.first.inner_text()
    assert "161.250.000.000 đ" in await page.content()
    await screenshot(page, "finance-dashboard")

    async with page.expect_download() as waiting:
        await page.click("a[href='/finance/reports/by_commune.xlsx']")
    download = await waiting.value
    data = open(await download.path(), "rb").read()
    # Row 1 is the report's title (report, scope, date), row 2 the header.
    sheet = pl.read_excel(io.BytesIO(data), engine="calamine", read_options={"header_row": 1})
    assert sheet.height >= 95 and "Đã giải ngân" in sheet.columns


async def test_a_lines_page_draws_its_progress_and_the_dashboard_draws_only_the_first_few(users, live_server, phone):  # noqa: F811
    from api.pages.finance import CHARTS_ON_DASHBOARD

    await users.make("finance", username="taichinh-bieudo")
    user = await AppUser.select(AppUser.id).where(AppUser.username == "taichinh-bieudo").first()
    for index, commune in enumerate(await Commune.select(Commune.id).where(Commune.province.code == "75")):
        await Commune.update({Commune.officials: 15 + index % 20}).where(Commune.id == commune["id"])
    await load_demo_budget(Actor(user_id=user["id"], username="taichinh-bieudo", role="finance"), seed=4)
    page = await phone.new_page()
    await log_in(page, live_server, "taichinh-bieudo", users.password)
    charts = await page.locator("section.chart").count()
    assert 1 <= charts <= CHARTS_ON_DASHBOARD
    line_id = int(await page.locator("section.chart").first.get_attribute("data-line"))
    await page.goto(f"{live_server}/finance/lines/{line_id}")
    await page.wait_for_selector("#progress svg")
    assert "Kế hoạch giải ngân" in await page.locator("#progress").inner_text()
