"""Photos from the phone (Chromium, phone viewport): taken with no signal, shrunk on the
phone, queued with the offline actions and sent once when the signal returns, with a second
tab open; and from the scan page with signal, shown there once sent."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

from PIL import Image

from models.lifecycle import AssetPhoto
from models.tables import Asset, AssetEvent
from tests.app.conftest import AN_VIEN, make_asset
from tests.support.browser import log_in, screenshot
from tests.support.images import image_bytes

LIMIT = 200 * 1024


async def tag_of(asset_id: int) -> str:
    return (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]


def camera_photo() -> dict:
    """What a phone camera gives: large (about 1.5 MB), 3000 × 2000."""
    content = image_bytes(3000, 2000, quality=92, noise=True)
    assert len(content) > 5 * LIMIT
    return {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": content}


async def wait_for(predicate, seconds: float = 30, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.2)


async def test_a_photo_taken_offline_is_shrunk_queued_and_sent_once(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="hoa.anvien")
    asset_id = await make_asset(location_detail="Phòng Tư pháp")
    tag = await tag_of(asset_id)
    page = await phone.new_page()
    await log_in(page, live_server, "hoa.anvien", users.password)
    await page.goto(f"{live_server}/stocktake")  # keeps the commune's list and installs the worker
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.wait_for_function("!!localStorage.getItem('field.devices.v1')")
    await page.reload()
    await page.close()
    await phone.set_offline(True)

    posts: list[str] = []
    phone.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/photos") else None)

    tab = await phone.new_page()
    await tab.goto(f"{live_server}/s/{tag}")  # the label opened with no signal
    await tab.wait_for_selector("#st-device:not([hidden])")
    other_tab = await phone.new_page()  # a second tab, also offline
    await other_tab.goto(f"{live_server}/stocktake")
    await other_tab.wait_for_function("!!window.stocktakeApp")

    await tab.fill("#st-photo-caption", "Vỏ máy nứt")
    await tab.set_input_files("#st-photo", camera_photo())
    await tab.wait_for_selector("text=sẽ gửi khi có sóng", timeout=30000)
    await screenshot(tab, "photo-queued-offline")
    queued = await tab.evaluate(
        "window.FieldPhotos.queued().then(l => l.map(r => ({id: r.client_event_id, size: r.blob.size, "
        "type: r.blob.type, asset: r.asset_id})))"
    )
    assert len(queued) == 1
    assert queued[0]["asset"] == asset_id and queued[0]["type"] == "image/jpeg" and queued[0]["size"] < LIMIT
    assert await AssetPhoto.count() == 0

    # The signal returns with both tabs open: both try to send, the photo goes once.
    await phone.set_offline(False)

    async def stored() -> bool:
        return await AssetPhoto.count() >= 1

    await wait_for(stored, what="the photo was not sent")
    for t in (tab, other_tab):
        await t.wait_for_function("window.stocktakeApp.records().length === 0", timeout=20000)
    await asyncio.sleep(1.5)  # anything sent twice would have arrived by now
    assert await AssetPhoto.count() == 1
    assert len(posts) == 1, posts
    photo = await AssetPhoto.select().first()
    assert photo["client_event_id"] == queued[0]["id"] and photo["caption"] == "Vỏ máy nứt"
    assert photo["content_type"] == "image/jpeg" and photo["size_bytes"] < LIMIT
    # Shrunk on the phone: at most 1280 px on the longest side, the camera's 3:2 kept.
    assert photo["width"] <= 1280 and abs(photo["width"] * 2 - photo["height"] * 3) <= 3
    assert photo["taken_at"] is not None
    on_disk = Path(os.environ["PHOTO_DIR"]) / photo["stored_name"]
    with Image.open(io.BytesIO(on_disk.read_bytes())) as image:
        assert image.format == "JPEG" and image.size == (photo["width"], photo["height"])
    assert await AssetEvent.count().where(AssetEvent.client_event_id == photo["client_event_id"]) == 1


async def test_the_scan_page_sends_a_photo_and_shows_it(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="lan.photo")
    asset_id = await make_asset()
    tag = await tag_of(asset_id)
    page = await phone.new_page()
    await log_in(page, live_server, "lan.photo", users.password)
    await page.goto(f"{live_server}/s/{tag}")
    await page.fill("#ph-caption", "Nhãn bị bong")
    await page.set_input_files("#ph-file", camera_photo())
    await page.wait_for_selector("text=Đã gửi ảnh", timeout=30000)
    await page.wait_for_function(
        "document.querySelector('#ph-list img') && document.querySelector('#ph-list img').complete"
    )
    width = await page.evaluate("document.querySelector('#ph-list img').naturalWidth")
    assert 0 < width <= 1280
    rows = await AssetPhoto.select(AssetPhoto.caption, AssetPhoto.size_bytes).where(AssetPhoto.asset == asset_id)
    assert len(rows) == 1 and rows[0]["caption"] == "Nhãn bị bong" and rows[0]["size_bytes"] < LIMIT

    await page.reload()  # the page lists the device's photos, served to its own commune
    await page.wait_for_function("document.querySelector('#ph-list img').complete")
    assert await page.evaluate("document.querySelector('#ph-list img').naturalWidth") == width
    await screenshot(page, "scan-photo")
    await page.goto(f"{live_server}/assets/{asset_id}")
    assert "Chụp ảnh thiết bị" in await page.inner_text("main")  # in the device's history


async def test_a_photo_taken_in_a_round_with_no_signal_reaches_its_device(live_server, phone, users):
    """In a stocktake round the phone's list is the round's: it carries the device's id."""
    from tests.app.pages.test_field_queue import start_round_then_go_offline

    (tag,) = await start_round_then_go_offline(phone, live_server, users, 1)
    asset_id = (await Asset.select(Asset.id).where(Asset.tag == tag).first())["id"]
    page = await phone.new_page()
    await page.goto(f"{live_server}/stocktake")
    await page.wait_for_selector("#st-work:not([hidden])")
    await page.fill("#st-tag", tag)
    await page.press("#st-tag", "Enter")
    await page.wait_for_selector("#st-device:not([hidden])")
    await page.set_input_files("#st-photo", camera_photo())
    await page.wait_for_selector("text=sẽ gửi khi có sóng", timeout=30000)
    await page.click("#st-device >> text=Vẫn ở đây")  # the round's own action, queued beside it
    await page.wait_for_function("window.stocktakeApp.records().length === 2")
    assert await AssetPhoto.count() == 0
    await phone.set_offline(False)
    await page.wait_for_function("window.stocktakeApp.records().length === 0", timeout=30000)
    rows = await AssetPhoto.select(AssetPhoto.asset, AssetPhoto.size_bytes)
    assert [r["asset"] for r in rows] == [asset_id] and rows[0]["size_bytes"] < LIMIT
    assert await AssetEvent.count().where(AssetEvent.kind == "stocktake_confirmed") == 1
