"""The offline queue shared by several tabs (a scanned label opens a new tab): no tab
wipes another's actions, and all of them reach the server once the signal is back."""

from __future__ import annotations

import asyncio

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
    # What is stored on the phone, not the page's view of it (empty until read).
    await page.wait_for_function(
        "window.stocktakeApp && window.stocktakeApp.queued().then(l => l.length === 0)", timeout=20000
    )
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
