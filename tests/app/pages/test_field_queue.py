"""The offline queue shared by several tabs (a scanned label opens a new tab): no tab
wipes another's actions, and all of them reach the server once the signal is back."""

from __future__ import annotations

import asyncio

from labels.tags import display_tag
from models.scan import StocktakeResult
from models.tables import Asset, AssetEvent
from tests.app.conftest import AN_VIEN, make_asset
from tests.support.browser import log_in, screenshot


async def tag_of(asset_id: int) -> str:
    return (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]


async def start_round_then_go_offline(phone, live_server, users, count: int):
    await users.make("staff", AN_VIEN, username="lan.anvien")
    tags = [await tag_of(await make_asset(location_detail=f"Phòng {i}")) for i in range(count)]
    page = await phone.new_page()
    await log_in(page, live_server, "lan.anvien", users.password)
    await page.goto(f"{live_server}/stocktake")
    await page.click("#st-begin")
    await page.wait_for_selector(f"text=Đã lưu {count} thiết bị")
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.reload()  # served through the worker, which cached the page
    await page.wait_for_selector("#st-work:not([hidden])")
    await page.close()
    await phone.set_offline(True)
    return tags


async def open_label_offline(phone, live_server, tag: str):
    """What the camera app does with a label: a new tab on /s/TAG."""
    page = await phone.new_page()
    await page.goto(f"{live_server}/s/{tag}")
    await page.wait_for_selector("text=Mất sóng")
    await page.wait_for_selector("#st-device:not([hidden])")
    return page


async def confirm(page, tag: str | None = None) -> None:
    if tag:
        await page.fill("#st-tag", tag)
        await page.press("#st-tag", "Enter")
    await page.click("#st-device >> text=Vẫn ở đây")
    await page.wait_for_selector("text=Đã ghi trên máy")


async def queued_ids(page) -> list[str]:
    return await page.evaluate("window.stocktakeApp.queued().then(l => l.map(r => r.client_event_id))")


async def send_after_closing(phone, live_server, tabs, expected: int) -> list[str]:
    ids = await queued_ids(tabs[0])
    assert len(ids) == expected
    for tab in tabs:
        await tab.close()
    assert await StocktakeResult.count() == 0
    await phone.set_offline(False)
    page = await phone.new_page()
    await page.goto(f"{live_server}/stocktake")
    # What is stored on the phone (read from IndexedDB), polled until the page sent it all.
    await page.wait_for_function("!!window.stocktakeApp")
    deadline = asyncio.get_running_loop().time() + 20
    while await page.evaluate("window.stocktakeApp.queued().then(l => l.length)"):
        assert asyncio.get_running_loop().time() < deadline, "the queue was not sent"
        await page.wait_for_timeout(200)
    return ids


async def test_two_tabs_offline_lose_nothing(live_server, phone, users):
    t1, t2, t3 = await start_round_then_go_offline(phone, live_server, users, 3)
    tab1 = await open_label_offline(phone, live_server, t1)
    await confirm(tab1)
    tab2 = await open_label_offline(phone, live_server, t2)
    await confirm(tab2)
    await confirm(tab1, t3)  # the older tab saves after the newer one
    await screenshot(tab1, "field-queue-two-tabs")
    ids = await send_after_closing(phone, live_server, [tab1, tab2], 3)

    stored = await StocktakeResult.select(StocktakeResult.tag).where(StocktakeResult.client_event_id.is_in(ids))
    assert sorted(r["tag"] for r in stored) == sorted([t1, t2, t3])
    assert await AssetEvent.count().where(AssetEvent.client_event_id.is_in(ids)) == 3


async def test_three_tabs_queue_at_once_and_each_action_is_sent_once(live_server, phone, users):
    tags = await start_round_then_go_offline(phone, live_server, users, 6)
    tabs = [await open_label_offline(phone, live_server, tag) for tag in tags[:3]]
    # All three tabs write at the same moment, then each confirms one more device.
    await asyncio.gather(*(confirm(tab) for tab in tabs))
    await asyncio.gather(*(confirm(tab, tag) for tab, tag in zip(tabs, tags[3:], strict=True)))
    # Every tab sees every queued action, and the counts agree.
    for tab in tabs:
        await tab.wait_for_function("window.stocktakeApp.state().queue.length === 6")
    sent: list[str] = []
    phone.on(
        "request",
        lambda r: (
            sent.extend(a["client_event_id"] for a in r.post_data_json["actions"])
            if r.method == "POST" and r.url.endswith("/sync")
            else None
        ),
    )
    # The signal returns while all three tabs are open: they all try to send at once.
    await phone.set_offline(False)
    for tab in tabs:
        await tab.wait_for_function("window.stocktakeApp.state().queue.length === 0", timeout=20000)
    assert await StocktakeResult.count() == 6
    stored = await StocktakeResult.select(StocktakeResult.tag)
    assert sorted(r["tag"] for r in stored) == sorted(tags)
    assert await AssetEvent.count().where(AssetEvent.kind == "stocktake_confirmed") == 6
    # The lock kept the tabs from sending the same actions twice.
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 6


async def test_closing_tabs_offline_keeps_the_queue(live_server, phone, users):
    tags = await start_round_then_go_offline(phone, live_server, users, 3)
    tabs = []
    for tag in tags:
        tab = await open_label_offline(phone, live_server, tag)
        await confirm(tab)
        tabs.append(tab)
    await tabs[0].close()  # the first tab goes away before the others save more
    ids = await send_after_closing(phone, live_server, tabs[1:], 3)
    assert await StocktakeResult.count().where(StocktakeResult.client_event_id.is_in(ids)) == 3


async def test_a_scanned_label_opens_with_no_signal_outside_a_round(live_server, phone, users):
    """Issue 15, build 3: the scan page works offline for the commune's devices; its
    actions join the same queue and reach the device's own routes once."""
    await users.make("staff", AN_VIEN, username="thu.anvien")
    first, second, third = [await make_asset(location_detail=f"Phòng {i}") for i in range(3)]
    tags = [await tag_of(first), await tag_of(second), await tag_of(third)]
    page = await phone.new_page()
    await log_in(page, live_server, "thu.anvien", users.password)
    await page.goto(f"{live_server}/stocktake")  # no round: the page keeps the commune's list
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.wait_for_function("!!localStorage.getItem('field.devices.v1')")
    await page.reload()
    await page.close()
    await phone.set_offline(True)

    tab1 = await phone.new_page()
    await tab1.goto(f"{live_server}/s/{tags[0]}")
    await tab1.wait_for_selector("#st-device:not([hidden])")
    assert display_tag(tags[0]) in await tab1.inner_text("#st-device")
    assert "Phòng 0" in await tab1.inner_text("#st-device")
    await tab1.click("#st-device >> text=Vẫn ở đây")
    await tab1.wait_for_selector("text=Đã ghi trên máy")
    await screenshot(tab1, "scan-offline")
    tab2 = await phone.new_page()
    await tab2.goto(f"{live_server}/s/{tags[1]}")
    await tab2.wait_for_selector("#st-device:not([hidden])")
    await tab2.click("#st-device .choices >> text=Kém")
    await tab2.wait_for_selector("text=Đã ghi trên máy")
    # Another label typed in the same tab, still with no signal.
    await tab2.fill("#st-tag", display_tag(tags[2]))
    await tab2.press("#st-tag", "Enter")
    await tab2.click("#st-device >> text=Không thấy ở đây")
    await tab2.wait_for_function("window.stocktakeApp.records().length === 3")
    # A label of no device kept on the phone says so, with no signal.
    tab3 = await phone.new_page()
    other = await tag_of(await make_asset(commune_code="26299"))
    await tab3.goto(f"{live_server}/s/{other}")
    await tab3.wait_for_selector("text=không có trong danh sách thiết bị của xã")
    assert await tab3.is_hidden("#st-device") and await tab3.is_hidden("#st-unknown")
    assert await AssetEvent.count().where(AssetEvent.kind != "registered") == 0

    ids = await send_after_closing(phone, live_server, [tab1, tab2, tab3], 3)
    events = await AssetEvent.select(AssetEvent.asset, AssetEvent.kind).where(AssetEvent.client_event_id.is_in(ids))
    assert sorted((e["asset"], e["kind"]) for e in events) == [
        (first, "stocktake_confirmed"),
        (second, "stocktake_confirmed"),
        (third, "not_found"),
    ]
    assert (await Asset.select(Asset.condition).where(Asset.id == second).first())["condition"] == "poor"
    assert (await Asset.select(Asset.last_audited_at).where(Asset.id == first).first())["last_audited_at"]
