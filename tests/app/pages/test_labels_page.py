"""Printing labels in a real browser: what the person filled in decides, the count
is shown before anything is printed, and the device page prints its own label."""

from __future__ import annotations

from labels.tags import display_tag
from models.scan import LabelPrint
from models.tables import Asset
from tests.app.api.test_labels_api import decoded
from tests.app.conftest import AN_VIEN, make_asset
from tests.support.browser import log_in, screenshot


async def test_one_typed_tag_prints_one_label_after_its_count_is_shown(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="mai.anvien")
    ids = [await make_asset() for _ in range(30)]  # more than one sheet of 24
    tag = (await Asset.select(Asset.tag).where(Asset.id == ids[7]).first())["tag"]
    page = await phone.new_page()
    await log_in(page, live_server, "mai.anvien", users.password)

    await page.goto(f"{live_server}/labels")
    assert await page.locator("button[name=confirm]").count() == 0
    # Only the tag is typed; nothing else on the form is touched.
    await page.fill("textarea[name=tags]", display_tag(tag).lower())
    await page.click("button[name=step]")
    await page.wait_for_load_state("networkidle")
    status = page.locator("[role=status]")
    assert "Sẽ in 1 nhãn trên 1 tờ A4" in await status.inner_text()
    assert await LabelPrint.count() == 0  # counting printed nothing
    await screenshot(page, "labels-one-counted")
    async with page.expect_download() as download_info:
        await page.click("button[name=confirm]")
    pdf = (await (await download_info.value).path()).read_bytes()
    assert decoded(pdf) == [f"{live_server.upper()}/S/{tag}"]
    assert [row["asset"] for row in await LabelPrint.select(LabelPrint.asset)] == [ids[7]]

    # The whole commune, when the tag field is left empty: 30 labels on 2 sheets, said first.
    await page.fill("textarea[name=tags]", "")
    await page.click("button[name=step]")
    await page.wait_for_load_state("networkidle")
    assert "Sẽ in 30 nhãn trên 2 tờ A4" in await page.locator("[role=status]").inner_text()
    assert await page.inner_text("button[name=confirm]") == "In 30 nhãn (tải PDF)"
    assert await LabelPrint.count() == 1

    # The device page's "In nhãn" button: that device only.
    await page.goto(f"{live_server}/assets/{ids[3]}")
    await page.click("section a.button:text('In nhãn')")
    await page.wait_for_load_state("networkidle")
    assert "Sẽ in 1 nhãn" in await page.locator("[role=status]").inner_text()
    other_tag = (await Asset.select(Asset.tag).where(Asset.id == ids[3]).first())["tag"]
    async with page.expect_download() as download_info:
        await page.click("button[name=confirm]")
    pdf = (await (await download_info.value).path()).read_bytes()
    assert decoded(pdf) == [f"{live_server.upper()}/S/{other_tag}"]
    assert await LabelPrint.count() == 2
