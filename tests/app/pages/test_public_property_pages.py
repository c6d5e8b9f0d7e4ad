"""The fixed-asset book on a phone: the commune accountant opens their commune's book and
downloads the PDF; finance closes the year from the page, which then says so; a wrong
year is refused next to the field."""

from __future__ import annotations

import asyncio

from models.public_property import WearClosing
from tests.app.conftest import AN_VIEN, make_asset
from tests.support.browser import log_in, screenshot


async def test_accountant_reads_the_book_on_a_phone_and_finance_closes_the_year(live_server, phone, users):
    await make_asset(acquired_on="2023-03-15", cost_vnd=15_000_000)
    await make_asset(category="printer", acquired_on="2023-05-01", cost_vnd=4_000_000)
    await users.make("accountant", AN_VIEN, username="ketoan.phone")
    await users.make("finance", username="taichinh.pp")

    page = await phone.new_page()
    await log_in(page, live_server, "ketoan.phone", users.password)
    assert page.url.endswith("/public-property")
    await page.goto(f"{live_server}/public-property?year=2024")
    body = await page.inner_text("body")
    assert "Xã An Viễn" in body and "Chưa khóa sổ" in body
    assert "9.000.000" in body  # 15,000,000 less two years of 20 %
    assert await page.locator("table tbody tr").count() == 1  # the printer is a tool, not on the book
    assert await page.locator("text=Khóa sổ năm 2024").count() == 0  # accountants do not close
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
    async with page.expect_download() as download:
        await page.click("text=Tải sổ (PDF)")
    assert (await download.value).suggested_filename == f"so-tscd-{AN_VIEN}-2024.pdf"
    await screenshot(page, "public-property-phone")

    await page.goto(f"{live_server}/public-property?year=abc")
    assert "Năm phải là một số" in await page.inner_text("body")

    finance = await phone.new_page()
    await phone.clear_cookies()
    await log_in(finance, live_server, "taichinh.pp", users.password)
    await finance.goto(f"{live_server}/public-property?year=2024&commune={AN_VIEN}")
    await finance.click("button:has-text('Khóa sổ năm 2024')")
    await finance.wait_for_load_state("networkidle")
    text = await finance.inner_text("body")
    assert "Đã khóa sổ 1 xã" in text and "Các năm đã khóa sổ" in text
    assert await WearClosing.count().where(WearClosing.year == 2024) == 1


async def a_finished_stocktake(client, staff: dict[str, str]) -> dict:
    """A stocktake round of the staff member's commune, started and finished (its minutes can be made)."""
    round_ = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    finished = await client.post(f"/api/stocktakes/{round_['id']}/finish", headers=staff)
    assert finished.status_code < 300, finished.text
    return round_


async def test_the_book_page_offers_the_minutes_of_a_finished_round(client, users):
    import uuid

    from models.tables import Asset
    from tests.app.api.test_public_property import pdf_text

    staff = await users.make("staff", AN_VIEN)
    accountant = await users.make("accountant", AN_VIEN)
    asset_id = await make_asset(acquired_on="2023-03-15", cost_vnd=15_000_000)
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    round_ = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    action = {"client_event_id": uuid.uuid4().hex, "kind": "confirm", "tag": tag}
    await client.post(f"/api/stocktakes/{round_['id']}/sync", json={"actions": [action]}, headers=staff)
    await client.post(f"/api/stocktakes/{round_['id']}/finish", headers=staff)

    page = await client.get("/public-property", params={"year": 2024}, headers=accountant)
    minutes_url = f"/public-property/stocktakes/{round_['id']}/minutes"
    assert page.status_code == 200 and minutes_url in page.text
    form = await client.get(minutes_url, headers=accountant)
    assert form.status_code == 200 and 'name="name_0"' in form.text
    empty = await client.post(minutes_url, data={"name_0": " ", "format": "pdf"}, headers=accountant)
    assert empty.status_code == 422 and "Ban kiểm kê" in empty.text
    made = await client.post(
        minutes_url,
        data={"name_0": "Lê Văn Cường", "position_0": "Chủ tịch UBND xã", "role_0": "Trưởng ban", "format": "pdf"},
        headers=accountant,
    )
    assert made.status_code == 200 and made.headers["content-type"].startswith("application/pdf")
    assert "Lê Văn Cường" in pdf_text(made.content)


async def test_a_round_finished_on_the_phone_offers_its_minutes_as_a_pdf(live_server, phone, users):
    """The round's own page: staff finish the round, follow "Lập biên bản kiểm kê", name the
    committee, and download minutes that compare the book with the count."""
    from models.tables import Asset
    from tests.app.api.test_public_property import pdf_text

    await users.make("staff", AN_VIEN, username="lan.bienban")
    counted = await make_asset(acquired_on="2023-03-15", cost_vnd=15_000_000, location_detail="Phòng kế toán")
    await make_asset(acquired_on="2023-04-01", cost_vnd=12_000_000, location_detail="Phòng văn thư")  # not counted
    tag = (await Asset.select(Asset.tag).where(Asset.id == counted).first())["tag"]

    page = await phone.new_page()
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await log_in(page, live_server, "lan.bienban", users.password)
    await page.goto(f"{live_server}/stocktake")
    await page.click("#st-begin")
    await page.wait_for_selector("text=Đã lưu 2 thiết bị")
    await page.fill("#st-tag", tag)
    await page.press("#st-tag", "Enter")
    await page.click("#st-device >> text=Vẫn ở đây")
    # Counted on the phone, then sent: finishing needs an empty queue.
    await page.wait_for_selector("text=Đã gửi 1 thao tác")
    await page.click("#st-finish")
    await page.wait_for_selector("#st-result:not([hidden])")
    await page.click("text=Lập biên bản kiểm kê")
    await page.wait_for_selector("input[name=name_0]")
    await page.fill("input[name=name_0]", "Lê Văn Cường")
    await page.fill("input[name=position_0]", "Chủ tịch UBND xã")
    await page.fill("input[name=name_1]", "Nguyễn Thị Hoa")
    await page.fill("input[name=position_1]", "Kế toán")
    async with page.expect_download() as download:
        await page.click("button:has-text('Lập biên bản')")
    pdf = await download.value
    assert pdf.suggested_filename.startswith("bien-ban-kiem-ke-") and pdf.suggested_filename.endswith(".pdf")
    with open(await pdf.path(), "rb") as file:
        text = pdf_text(file.read())
    # The committee, Vietnamese intact, and the book against the count: two on the book, one counted.
    assert "Lê Văn Cường" in text and "Nguyễn Thị Hoa" in text and "Chủ tịch UBND xã" in text
    assert "BIÊN BẢN KIỂM KÊ" in text.upper()
    # Book against count: two on the book (15 + 12 million đ), one counted, one short.
    total = next(line for line in text.splitlines() if line.startswith("TỔNG CỘNG"))
    book, counted_part, shortage = total.split()[2:4], total.split()[5:7], total.split()[-2:]
    assert book == ["2", "27.000.000"] and counted_part == ["1", "15.000.000"], total
    assert shortage == ["-1", "-12.000.000"], total
    assert "Không thấy" in text
    await screenshot(page, "stocktake-minutes-phone")
