"""Every page, loaded in Chromium under the app's content security policy, reports no violation:
no inline script or style the pages depend on. The page list comes from the app's routes, so a
new page is covered (or the test says which path parameter it cannot fill)."""

from __future__ import annotations

import re

from tests.app.api.test_access import app_routes
from tests.app.conftest import AN_VIEN, make_asset
from tests.app.pages.test_finance_contract_pages import a_delivery, contract_of_100_million
from tests.app.pages.test_finance_package_pages import a_planned_package
from tests.app.pages.test_public_property_pages import a_finished_stocktake
from tests.app.pages.test_thumbs import a_disposal_file, a_transfer_to_an_vien
from tests.support.browser import log_in

NOT_PAGES = (".csv", ".xlsx", ".svg", ".pdf", ".png", ".js", "/photos/{photo_id:int}")  # the last: a photo's bytes


def page_paths(app, values: dict[str, str]) -> list[str]:
    paths = []
    for method, path, _, _ in sorted(app_routes(app)):
        if (
            method != "GET"
            or path.startswith(("/api/", "/static/", "/field/", "/finance/reports/"))
            or path.endswith(NOT_PAGES)
        ):
            continue
        unknown = set(re.findall(r"\{(\w+)", path)) - set(values)
        assert not unknown, f"{path}: give the test a value for {unknown}"
        paths.append(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path))
    return paths


async def test_every_page_loads_under_the_csp_without_a_violation(app, live_server, browser, client, users):
    from models.tables import Asset

    finance = await users.make("finance")
    package = await a_planned_package(client, finance)
    contract = await contract_of_100_million(client, finance)
    asset_id = await make_asset(commune_code=AN_VIEN, condition="broken")
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    await users.make("admin", username="csp.admin")
    staff = await users.make("staff", AN_VIEN)
    stocktake = await a_finished_stocktake(client, staff)
    values = {
        "asset_id": str(asset_id),
        "tag": tag,
        "package_id": str(package["id"]),
        "line_id": str(package["line_id"]),
        "contract_id": str(contract["id"]),
        "delivery_id": str(await a_delivery(client, finance, contract["id"])),
        "stocktake_id": str(stocktake["id"]),
        "file_id": str(await a_disposal_file(client, staff)),
        "transfer_id": str(await a_transfer_to_an_vien(client, finance)),
    }
    paths = page_paths(app, values) + ["/khong-co-trang-nay"]  # the error page too
    assert len(paths) > 20

    context = await browser.new_context(locale="vi-VN")
    try:
        page = await context.new_page()
        problems: list[str] = []
        page.on(
            "console",
            lambda m: problems.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None,
        )
        page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
        anonymous = await page.goto(f"{live_server}/login")
        assert anonymous is not None
        policy = anonymous.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert anonymous.headers["x-content-type-options"] == "nosniff" and anonymous.headers["referrer-policy"]
        await log_in(page, live_server, "csp.admin", users.password)
        for path in paths:
            answer = await page.goto(f"{live_server}{path}")
            assert answer is not None and "content-security-policy" in answer.headers, path
            await page.wait_for_load_state("networkidle")
        # Scripts that write the page: the commune picker and the stocktake list.
        await page.goto(f"{live_server}/labels")
        picker = page.locator("input[data-commune-picker]")
        await picker.first.fill("an vien")
        await page.wait_for_load_state("networkidle")
        assert not problems, "\n".join(problems)
    finally:
        await context.close()
