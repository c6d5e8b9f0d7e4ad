"""A device's whole life in pages, phone first: repairs (a device under warranty says so and
names the supplier), hand-over and hand-back, the disposal file from request to the
minutes PDF, who holds what, transfers between communes confirmed device by device by
scanning on the receiving phone, and the reminders; refusals beside their fields with
what was typed kept."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from models.tables import Asset, AssetEvent
from procurement.core.clock import today_vn, years_before
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.support.browser import log_in, screenshot

PHONE_393 = {"width": 393, "height": 851}


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def _tag(asset_id: int) -> str:
    return (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]


async def test_forms_refuse_beside_the_field_keep_what_was_typed_and_pages_answer_by_scope(client, users):
    staff = await users.make("staff", AN_VIEN)
    outsider = await users.make("staff", OTHER_COMMUNE)
    finance = await users.make("finance")
    asset_id = await make_asset(cost_vnd=10_000_000, acquired_on=years_before(today_vn(), 2).isoformat())
    future = (today_vn() + dt.timedelta(days=5)).isoformat()

    bad = await client.post(
        f"/assets/{asset_id}/repairs",
        data={"started_on": future, "cost_vnd": "1,5 triệu", "supplier": "Tiệm Minh Phát"},
        headers=staff,
    )
    assert bad.status_code == 422
    assert 'id="e-cost_vnd"' in bad.text and 'value="Tiệm Minh Phát"' in bad.text and 'value="1,5 triệu"' in bad.text
    bad = await client.post(f"/assets/{asset_id}/repairs", data={"started_on": future}, headers=staff)
    assert bad.status_code == 422 and 'id="e-started_on"' in bad.text and "tương lai" in bad.text

    bad = await client.post(f"/assets/{asset_id}/handover", data={"holder_name": "A", "handed_on": ""}, headers=staff)
    assert bad.status_code == 422 and 'id="e-holder_name"' in bad.text

    young = await client.post(f"/assets/{asset_id}/disposal", data={"ground": "past_useful_life"}, headers=staff)
    assert young.status_code == 422 and "chưa hết thời gian sử dụng" in young.text
    cheap = await client.post(
        f"/assets/{asset_id}/disposal",
        data={"ground": "repair_not_worth", "repair_estimate_vnd": "2.000.000", "reason": "Hỏng nguồn"},
        headers=staff,
    )
    assert cheap.status_code == 422 and 'id="e-repair_estimate_vnd"' in cheap.text and 'value="2.000.000"' in cheap.text
    assert (await Asset.select(Asset.status).where(Asset.id == asset_id).first())["status"] == "in_use"

    bad = await client.post(
        "/transfers/new",
        data={
            "decision_number": "45/QĐ-UBND",
            "decision_date": today_vn().isoformat(),
            "from_commune": AN_VIEN,
            "to_commune": OTHER_COMMUNE,
            "tags": "ABC-1234 " + await _tag(asset_id),
        },
        headers=finance,
    )
    assert bad.status_code == 422 and 'class="field-error">ABC-1234' in bad.text
    assert "ABC-1234" in bad.text and await Asset.count().where(Asset.status == "in_transit") == 0

    for path in ("repairs", "handover", "disposal"):
        assert (await client.get(f"/assets/{asset_id}/{path}", headers=outsider)).status_code == 404
        assert (await client.get(f"/assets/{asset_id}/{path}", headers=staff)).status_code == 200
    reminders = await client.get("/reminders", params={"within_days": "abc"}, headers=staff)
    assert reminders.status_code == 422 and "từ 1 đến 365" in reminders.text


async def test_the_reminders_page_shows_the_same_list_as_the_api(client, users):
    staff = await users.make("staff", AN_VIEN)
    admin = await users.make("admin")
    old = await make_asset(acquired_on=years_before(today_vn(), 7).isoformat())
    await make_asset(os_supported=False)
    await make_asset(commune_code=OTHER_COMMUNE, os_supported=False)
    for headers in (staff, admin):
        listed = (await client.get("/api/reminders", headers=headers)).json()
        page = await client.get("/reminders", headers=headers)
        assert page.status_code == 200
        assert page.text.count("<li>") == len(listed)
        for item in listed:
            assert item["kind_vi"] in page.text and item["detail"] in page.text
    staff_page = (await client.get("/reminders", headers=staff)).text
    assert f"/assets/{old}" in staff_page and "26299" not in staff_page


# A camera that reads the labels the test holds up: getUserMedia gives a blank moving picture
# and BarcodeDetector answers, frame after frame, what was pushed into window.__labels.
FAKE_CAMERA = """
window.__labels = [];
window.BarcodeDetector = class {
  constructor() {}
  detect() { const text = window.__labels.shift(); return Promise.resolve(text ? [{ rawValue: text }] : []); }
};
if (navigator.mediaDevices) {
  navigator.mediaDevices.getUserMedia = () => {
    const canvas = document.createElement("canvas"); canvas.width = 64; canvas.height = 48;
    const ctx = canvas.getContext("2d");
    setInterval(() => { ctx.fillStyle = "#" + Math.floor(Math.random() * 4095).toString(16).padStart(3, "0"); ctx.fillRect(0, 0, 64, 48); }, 50);
    return Promise.resolve(canvas.captureStream(10));
  };
}
"""


async def test_a_transfer_is_made_on_the_page_and_confirmed_by_scanning_on_the_receiving_phone(
    live_server, browser, users
):
    await users.make("finance", username="taichinh.transfer")
    await users.make("staff", OTHER_COMMUNE, username="nhan.transfer")
    ids = [await make_asset(serial=f"TRP-{i}") for i in range(3)]
    kept = await make_asset(serial="TRP-KEPT")
    tags = [await _tag(i) for i in ids]

    # The province's finance department makes the transfer from a list of tags.
    office = await browser.new_context(locale="vi-VN")
    desk = await office.new_page()
    await log_in(desk, live_server, "taichinh.transfer", users.password)
    await desk.goto(f"{live_server}/transfers/new")
    await desk.fill("input[name=decision_number]", "45/QĐ-UBND")
    await desk.fill("input[name=decision_date]", today_vn().isoformat())
    await desk.fill("input[name=from_commune]", AN_VIEN)
    await desk.fill("input[name=to_commune]", OTHER_COMMUNE)
    await desk.fill("textarea[name=tags]", f"{tags[0]}, {tags[1].lower()}\n{tags[2][:3]}-{tags[2][3:]}")
    await desk.click("button:has-text('Lập điều chuyển')")
    await desk.wait_for_url(f"{live_server}/transfers/*?done=created")
    transfer_url = desk.url.split("?")[0]
    transfer_id = int(transfer_url.rsplit("/", 1)[1])
    text = await desk.inner_text("main")
    assert "Đã nhận 0/3" in text and text.count("Đang chuyển") >= 3
    minutes = await desk.request.get(f"{transfer_url}/minutes.pdf")
    assert minutes.status == 200 and minutes.headers["content-type"] == "application/pdf"
    assert "45/QĐ-UBND" in pdf_text(await minutes.body())
    await desk.goto(f"{live_server}/assets/{ids[0]}")
    assert "Đang chuyển: chờ xã nhận xác nhận" in await desk.inner_text("main")
    statuses = {r["id"]: r["status"] for r in await Asset.select(Asset.id, Asset.status)}
    assert [statuses[i] for i in ids] == ["in_transit"] * 3 and statuses[kept] == "in_use"
    await office.close()

    # The receiving commune confirms on a phone: one label typed, two scanned by the camera.
    context = await browser.new_context(viewport=PHONE_393, locale="vi-VN", is_mobile=True, has_touch=True)
    await context.add_init_script(FAKE_CAMERA)
    phone = await context.new_page()
    problems: list[str] = []
    phone.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    await log_in(phone, live_server, "nhan.transfer", users.password)
    await phone.goto(f"{live_server}/transfers/{transfer_id}")
    await phone.click("text=Quét nhận thiết bị")
    await phone.wait_for_url(f"{live_server}/transfers/{transfer_id}/receive")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE_393["width"]

    wrong = tags[0][:-1] + ("0" if tags[0][-1] != "0" else "1")  # a typo the check character catches
    await phone.fill("#rc-tag", wrong)
    await phone.press("#rc-tag", "Enter")
    await phone.locator("#rc-msg.bad").wait_for()
    assert "ký tự kiểm tra" in await phone.inner_text("#rc-msg")

    # A label opened with the phone's own camera app (its QR holds /S/TAG) leads here, tag filled in.
    await phone.goto(f"{live_server}/S/{tags[0]}")
    await phone.wait_for_url(f"{live_server}/transfers/{transfer_id}/receive?tag={tags[0]}")
    assert await phone.input_value("#rc-tag") == tags[0]
    await phone.fill("#rc-tag", f"{tags[0][:3].lower()}-{tags[0][3:].lower()}")
    await phone.press("#rc-tag", "Enter")
    await phone.locator("#rc-msg.good").wait_for()
    assert await phone.inner_text("#rc-received") == "1"
    assert await phone.inner_text(f'#rc-list li[data-tag="{tags[0]}"] .rc-state') == "Đã nhận"

    await phone.click("#rc-camera-open")
    await phone.locator("#rc-camera:not([hidden])").wait_for()
    await phone.evaluate(
        "labels => window.__labels.push(...labels)",
        [f"{live_server.upper()}/S/{tags[1]}", f"{live_server.upper()}/S/{tags[1]}", f"{live_server}/S/{tags[2]}"],
    )
    await phone.locator("#rc-msg", has_text="Đã nhận đủ 3 thiết bị").wait_for(timeout=15000)
    assert await phone.inner_text("#rc-received") == "3"
    await screenshot(phone, "transfer-receive-phone")
    await phone.click("#rc-camera-open")  # close the camera

    # Arrived: the devices belong to the receiver, in use; their history shows both sides.
    rows = await Asset.select(Asset.id, Asset.status, Asset.commune._.code.as_alias("code")).where(Asset.id.is_in(ids))
    assert {(r["status"], r["code"]) for r in rows} == {("in_use", OTHER_COMMUNE)}
    kinds = [
        e["kind"]
        for e in await AssetEvent.select(AssetEvent.kind).where(AssetEvent.asset == ids[1]).order_by(AssetEvent.id)
    ]
    assert kinds[-2:] == ["transfer_sent", "transfer_received"]
    await phone.goto(f"{live_server}/transfers/{transfer_id}")
    assert "Đã nhận đủ" in await phone.inner_text("main")
    assert not [p for p in problems if "Content Security Policy" in p], problems
    await context.close()


async def test_repair_hand_over_and_disposal_through_the_pages_end_in_the_minutes_pdf(live_server, browser, users):
    await users.make("staff", AN_VIEN, username="canbo.life")
    await users.make("finance", username="taichinh.life")
    await users.make("admin", username="quantri.life")
    asset_id = await make_asset(acquired_on=years_before(today_vn(), 7).isoformat(), cost_vnd=12_000_000)
    today = today_vn()

    context = await browser.new_context(viewport=PHONE_393, locale="vi-VN", is_mobile=True, has_touch=True)
    page = await context.new_page()
    await log_in(page, live_server, "canbo.life", users.password)

    # Warranty entered, then a repair under it: the page says so and names the supplier.
    await page.goto(f"{live_server}/assets/{asset_id}/warranty")
    await page.fill("input[name=ends_on]", (today + dt.timedelta(days=60)).isoformat())
    await page.fill("input[name=supplier]", "Công ty TNHH Tin học Đồng Nai")
    await page.click("button:has-text('Lưu')")
    await page.wait_for_url(f"{live_server}/assets/{asset_id}?done=warranty")
    assert "Còn bảo hành" in await page.inner_text("main")
    await page.click("text=Ghi sửa chữa")
    assert "liên hệ Công ty TNHH Tin học Đồng Nai" in await page.inner_text("main")
    await page.fill("input[name=cost_vnd]", "1.200.000")
    await page.fill("input[name=supplier]", "Tiệm sửa máy Minh Phát")
    await page.fill("input[name=work_done]", "Thay bộ nguồn")
    await page.select_option("select[name=condition_after]", "fair")
    await page.click("button:has-text('Ghi sửa chữa')")
    await page.wait_for_url(f"{live_server}/assets/{asset_id}/repairs?done=*")
    text = await page.inner_text("main")
    assert "Đã ghi sửa chữa" in text and "hãy yêu cầu Công ty TNHH Tin học Đồng Nai bảo hành" in text
    assert "1.200.000" in text and "10%" in text

    # Handed to an official with her acknowledgement; listed among holdings; handed back.
    await page.goto(f"{live_server}/assets/{asset_id}")
    await page.click("a:has-text('Bàn giao')")
    await page.fill("input[name=holder_name]", "Nguyễn Thị Mai")
    await page.fill("input[name=holder_position]", "Công chức Văn phòng")
    await page.check("input[name=acknowledged]")
    await page.click("button:has-text('Bàn giao')")
    await page.wait_for_url(f"{live_server}/assets/{asset_id}?done=handed_over")
    assert "Nguyễn Thị Mai (Công chức Văn phòng)" in await page.inner_text("main")
    await page.goto(f"{live_server}/holdings?holder=mai")
    text = await page.inner_text("main")
    assert "Nguyễn Thị Mai" in text and "đã ký nhận" in text
    await page.goto(f"{live_server}/assets/{asset_id}")
    await page.click("a:has-text('Nhận lại')")
    await page.click("button:has-text('Nhận lại')")
    await page.wait_for_url(f"{live_server}/assets/{asset_id}?done=handed_back")
    assert "Chưa giao cho ai" in await page.inner_text("main")

    # The disposal file: requested by the commune on its ground.
    await page.click("text=Đề nghị thanh lý")
    await page.select_option("select[name=ground]", "past_useful_life")
    await page.fill("input[name=reason]", "Máy chậm, hỏng bàn phím")
    await page.click("button:has-text('Gửi đề nghị')")
    await page.wait_for_url(f"{live_server}/disposal-files/*?done=requested")
    file_url = page.url.split("?")[0]
    assert "Chờ phê duyệt" in await page.inner_text("main")
    assert await page.locator("text=Ghi quyết định").count() == 0  # the commune does not decide
    await screenshot(page, "disposal-requested-phone")
    await context.close()

    # The province approves; a missing number is refused beside its field, the date kept.
    context = await browser.new_context(viewport=PHONE_393, locale="vi-VN", is_mobile=True, has_touch=True)
    page = await context.new_page()
    await log_in(page, live_server, "taichinh.life", users.password)
    await page.goto(file_url)
    await page.click("button:has-text('Ghi quyết định')")
    assert await page.locator("#e-decision_number").count() == 1
    await page.fill("input[name=decision_number]", "123/QĐ-UBND")
    await page.click("button:has-text('Ghi quyết định')")
    await page.wait_for_url(f"{file_url}?done=approved")
    assert "Đã duyệt, chờ thực hiện" in await page.inner_text("main")
    await context.close()

    # The admin carries it out; the minutes answer as a PDF naming the decision and the proceeds.
    context = await browser.new_context(viewport=PHONE_393, locale="vi-VN", is_mobile=True, has_touch=True)
    page = await context.new_page()
    await log_in(page, live_server, "quantri.life", users.password)
    await page.goto(file_url)
    await page.select_option("select[name=method]", "sale")
    await page.fill("input[name=proceeds_vnd]", "500.000")
    await page.click("button:has-text('Thanh lý')")
    await page.wait_for_url(f"{file_url}?done=done")
    text = await page.inner_text("main")
    assert "Đã thanh lý" in text and "500.000" in text
    href = await page.get_attribute("a:has-text('Biên bản thanh lý (PDF)')", "href")
    assert href == f"{file_url.removeprefix(live_server)}/minutes.pdf"
    minutes = await page.request.get(live_server + href)
    assert minutes.status == 200 and minutes.headers["content-type"] == "application/pdf"
    content = pdf_text(await minutes.body())
    for expected in ("BIÊN BẢN THANH LÝ TÀI SẢN", "123/QĐ-UBND", "500.000 đ", "12.000.000 đ"):
        assert expected in content, expected
    await context.close()
    assert (await Asset.select(Asset.status).where(Asset.id == asset_id).first())["status"] == "disposed"


async def test_the_scan_page_shows_the_warranty_and_its_supplier(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    tag = await _tag(asset_id)
    before = await client.get(f"/s/{tag}", headers=staff)
    assert before.status_code == 200 and "Bảo hành" in before.text
    ends = today_vn() + dt.timedelta(days=60)
    warranty = {"ends_on": ends.isoformat(), "supplier": "Công ty TNHH Tin học Đồng Nai"}
    assert (await client.put(f"/api/assets/{asset_id}/warranty", json=warranty, headers=staff)).status_code == 200
    after = await client.get(f"/s/{tag}", headers=staff)
    assert f"Còn · đến {ends:%d/%m/%Y} · Công ty TNHH Tin học Đồng Nai" in after.text


async def test_a_merged_communes_whole_inventory_is_transferred_from_the_page_in_one_step(client, users):
    finance = await users.make("finance")
    ids = [await make_asset(serial=f"MERGE-PAGE-{i}") for i in range(3)]
    elsewhere = await make_asset(commune_code=OTHER_COMMUNE, serial="MERGE-STAYS")
    form = {
        "decision_number": "60/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": AN_VIEN,
        "to_commune": OTHER_COMMUNE,
        "all_devices": "on",
    }
    both = await client.post("/transfers/new", data={**form, "tags": await _tag(ids[0])}, headers=finance)
    assert both.status_code == 422 and 'aria-invalid="true">' in both.text and "không cả hai" in both.text
    assert await Asset.count().where(Asset.status == "in_transit") == 0
    made = await client.post("/transfers/new", data=form, headers=finance)
    assert made.status_code == 303 and made.headers["location"].endswith("?done=created")
    statuses = {r["id"]: r["status"] for r in await Asset.select(Asset.id, Asset.status)}
    assert [statuses[i] for i in ids] == ["in_transit"] * 3 and statuses[elsewhere] == "in_use"
    page = await client.get(made.headers["location"], headers=finance)
    assert "Đã nhận 0/3" in page.text
