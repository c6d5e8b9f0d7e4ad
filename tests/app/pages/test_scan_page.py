"""The scan page and the offline stocktake in a real browser (Debian chromium via Playwright)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import json
import random
import time

from api.weak_signal import STATIC
from labels.qr import scan_url
from labels.render import label_png
from labels.tags import ALPHABET, TagError, display_tag, new_tag, parse_tag
from models.scan import Stocktake, StocktakeResult
from models.tables import Asset, AssetEvent
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.support.browser import log_in, screenshot

TRANSFER_BUDGET = 40 * 1024  # first load, compressed as sent


async def tag_of(asset_id: int) -> str:
    return (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]


async def first_load_bytes(browser, storage_state, url: str) -> tuple[int, dict[str, int]]:
    """Bytes sent over the network (bodies as encoded: gzip counts compressed) for
    every response a fresh (cache-empty) phone loads for ``url``, the service
    worker's own downloads included."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, storage_state=storage_state)
    page = await context.new_page()
    sizes: dict[str, int] = {}

    async def count(response):
        try:
            await response.finished()
            body = (await response.request.sizes())["responseBodySize"]
        except Exception:  # redirects have no body
            body = 0
        key = response.url + (" (service worker)" if response.request.service_worker else "")
        sizes[key] = sizes.get(key, 0) + max(body, 0)

    # Each response's body is read by its own task; all of them are awaited below
    # instead of waiting a fixed time for the last ones.
    pending: set[asyncio.Future] = set()
    context.on("response", lambda response: pending.add(asyncio.ensure_future(count(response))))
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    if await page.evaluate(
        "!!(navigator.serviceWorker && navigator.serviceWorker.controller || document.querySelector('script[src*=stocktake]'))"
    ):
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await asyncio.gather(*pending)
    await context.close()
    # Playwright cannot read the sizes of what the worker downloads while
    # installing; count each at the size the page got for the same file (the
    # page asks for /static/FILE?v=HASH, the worker for /static/FILE).
    by_path = {key.split("?", 1)[0]: size for key, size in sizes.items() if "(service worker)" not in key}
    for key, size in list(sizes.items()):
        base = key.removesuffix(" (service worker)")
        if base != key and size == 0:
            sizes[key] = by_path.get(base.split("?", 1)[0], 0)
        if base.endswith("/sw.js") and sizes[key] == 0:  # the worker's own script: as the server sends it
            sizes[key] = len(gzip.compress((STATIC / "sw.js").read_bytes(), 1))
    return sum(sizes.values()), sizes


async def test_scan_log_in_remembers_the_phone_then_confirm_and_report_condition(live_server, phone, users, browser):
    await users.make("staff", AN_VIEN, username="mai.anvien")
    asset_id = await make_asset(location_detail="Phòng Văn hóa", assigned_to="Nguyễn Thị Mai")
    tag = await tag_of(asset_id)
    page = await phone.new_page()
    # The label's own URL, in capitals (QR alphanumeric mode): the browser lowers the host only.
    await page.goto(scan_url(live_server, tag))
    assert "/login" in page.url
    assert await page.is_checked("input[name=remember]")  # scanning staff stay logged in for weeks
    await page.fill("input[name=username]", "mai.anvien")
    await page.fill("input[name=password]", users.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{live_server}/S/{tag}")
    session = next(c for c in await phone.cookies() if c["name"] == "ca_session")
    assert session["expires"] > time.time() + 25 * 86400

    body = await page.inner_text("main")
    assert display_tag(tag) in body and "Máy tính để bàn" in body and "Phòng Văn hóa" in body
    assert "Chưa kiểm kê" in body
    await screenshot(page, "scan-device")

    await page.click("text=Vẫn ở đây")
    await page.wait_for_load_state("networkidle")
    assert "Đã xác nhận" in await page.inner_text("[role=status]")
    audited = await Asset.select(Asset.last_audited_at).where(Asset.id == asset_id).first()
    assert audited["last_audited_at"] is not None
    assert "Chưa kiểm kê" not in await page.inner_text("main")

    await page.fill("input[name=note]", "Màn hình bị sọc")
    await page.click("form.row button[value=poor]")
    await page.wait_for_load_state("networkidle")
    assert "Đã ghi tình trạng" in await page.inner_text("[role=status]")
    await screenshot(page, "scan-after-condition")
    events = (
        await AssetEvent.select(AssetEvent.kind, AssetEvent.note, AssetEvent.client_event_id)
        .where(AssetEvent.asset == asset_id)
        .order_by(AssetEvent.id)
    )
    assert [e["kind"] for e in events] == ["registered", "stocktake_confirmed", "condition_reported"]
    assert events[-1]["note"] == "Màn hình bị sọc" and events[-1]["client_event_id"]
    assert (await Asset.select(Asset.condition).where(Asset.id == asset_id).first())["condition"] == "poor"

    # Sending the same form twice (a double tap, a dropped reply) records it once.
    event_id = await page.input_value("form:has(button[value=not_found]) input[name=client_event_id]")
    statuses = await page.evaluate(
        """id => Promise.all([1, 2].map(() => fetch(location.pathname, {method: "POST",
             body: new URLSearchParams({action: "not_found", client_event_id: id})}).then(r => r.status)))""",
        event_id,
    )
    assert statuses == [200, 200]  # each followed its redirect back to the page
    assert await AssetEvent.count().where(AssetEvent.client_event_id == event_id) == 1
    await page.reload()

    await page.fill("input[name=location_detail]", "Bộ phận một cửa, quầy 2")
    await page.click("text=Lưu nơi mới")
    await page.wait_for_load_state("networkidle")
    assert "Bộ phận một cửa, quầy 2" in await page.inner_text("main")

    total, sizes = await first_load_bytes(browser, await phone.storage_state(), f"{live_server}/s/{tag}")
    print(f"\nscan page first load: {total} bytes: {json.dumps(sizes)}")
    assert total < TRANSFER_BUDGET


async def test_wrong_unknown_and_foreign_tags_get_a_vietnamese_message(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="binh.anvien")
    foreign = await tag_of(await make_asset(commune_code=OTHER_COMMUNE))
    unknown = new_tag(random.Random(5).randrange)
    typo = foreign[:-1] + ("1" if foreign[-1] != "1" else "2")
    page = await phone.new_page()
    await log_in(page, live_server, "binh.anvien", users.password)
    for tag, words in (
        (typo, "sai ký tự kiểm tra"),
        (unknown, "Không tìm thấy thiết bị"),
        (foreign, "Không tìm thấy thiết bị"),
        ("XYZ", "phải có 7 ký tự"),
    ):
        response = await page.goto(f"{live_server}/s/{tag}")
        assert response.status == 404
        assert words in await page.inner_text("[role=alert]"), tag
    await screenshot(page, "scan-unknown-tag")
    await page.fill("input[name=tag]", display_tag(unknown).lower())
    await page.click("text=Tra cứu")
    assert page.url.endswith(f"/s/{unknown}")


async def test_offline_stocktake_queues_five_actions_and_syncs_them_once(live_server, phone, users, browser):
    await users.make("staff", AN_VIEN, username="hung.anvien")
    tags = [await tag_of(await make_asset(location_detail=f"Phòng {i}")) for i in range(7)]
    page = await phone.new_page()
    await log_in(page, live_server, "hung.anvien", users.password)
    await page.goto(f"{live_server}/stocktake")
    await page.click("#st-begin")
    await page.wait_for_selector("text=Đã lưu 7 thiết bị")
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    await page.reload()  # now served through the worker, which cached the page
    await page.wait_for_selector("#st-work:not([hidden])")

    await phone.set_offline(True)
    await page.reload()  # no signal: the page still opens, from the phone
    await page.wait_for_selector("text=Mất sóng")

    async def enter(tag: str) -> None:
        await page.fill("#st-tag", tag)
        await page.press("#st-tag", "Enter")

    await enter(display_tag(tags[0]).lower())
    # Names of the codes come from /vocabulary.js, cached by the worker with the page.
    assert "Tình trạng: Tốt" in await page.inner_text("#st-d-place")
    await page.click("#st-device >> text=Vẫn ở đây")
    await enter(tags[1])
    await page.click("#st-device .choices >> text=Kém")
    await enter(tags[2])
    await page.click("#st-device >> text=Không thấy ở đây")
    await enter(tags[3])
    await page.fill("#st-moved", "Kho lưu trữ")
    await page.click("#st-device >> text=Lưu nơi mới")
    await enter(tags[4])
    await page.click("#st-device >> text=Vẫn ở đây")
    # Scanned again: said so, not counted twice.
    await enter(tags[0])
    assert "đã được xác nhận trong đợt kiểm kê này" in await page.inner_text("#st-msg")
    await page.click("#st-device >> text=Vẫn ở đây")
    # A typo is caught on the phone, with no signal.
    await enter(tags[5][:-1] + ("1" if tags[5][-1] != "1" else "2"))
    assert "sai ký tự kiểm tra" in await page.inner_text("#st-msg")
    await screenshot(page, "stocktake-offline")

    await page.wait_for_function("window.stocktakeApp.state().queue.length === 5")
    queue = await page.evaluate("window.stocktakeApp.state().queue")
    assert len(queue) == 5
    ids = [action["client_event_id"] for action in queue]
    assert await AssetEvent.count().where(AssetEvent.client_event_id.is_in(ids)) == 0

    await phone.set_offline(False)
    await page.wait_for_function("window.stocktakeApp.state().queue.length === 0", timeout=15000)
    assert await AssetEvent.count().where(AssetEvent.client_event_id.is_in(ids)) == 5
    assert await StocktakeResult.count().where(StocktakeResult.client_event_id.is_in(ids)) == 5

    stocktake_id = await page.evaluate("window.stocktakeApp.state().stocktake.id")
    outcomes = await page.evaluate(
        """([id, actions]) => fetch(`/api/stocktakes/${id}/sync`, {method: "POST",
             headers: {"Content-Type": "application/json"}, body: JSON.stringify({actions})}).then(r => r.json())""",
        [stocktake_id, queue],
    )
    assert [o["outcome"] for o in outcomes] == ["duplicate"] * 5
    assert await AssetEvent.count().where(AssetEvent.client_event_id.is_in(ids)) == 5
    assert await StocktakeResult.count() == 5
    condition = await Asset.select(Asset.condition).where(Asset.tag == tags[1]).first()
    assert condition["condition"] == "poor"

    page.on("dialog", lambda dialog: dialog.accept())
    await page.click("#st-finish")
    await page.wait_for_selector("text=Kết quả kiểm kê")
    report = await page.inner_text("#st-report")
    assert "Đã xác nhận (4)" in report and "Không thấy (1)" in report and "Chưa kiểm (2)" in report
    await screenshot(page, "stocktake-report")

    total, sizes = await first_load_bytes(browser, await phone.storage_state(), f"{live_server}/stocktake")
    print(f"\nstocktake page first load: {total} bytes: {json.dumps(sizes)}")
    assert total < TRANSFER_BUDGET
    assert not any("jsQR" in url for url in sizes)  # the decoder waits for the camera


async def test_a_round_finished_while_the_phone_had_no_signal_loses_nothing(live_server, phone, users, client):
    await users.make("staff", AN_VIEN, username="mai.anvien")
    colleague = await users.make("staff", AN_VIEN)
    tags = [await tag_of(await make_asset()) for _ in range(3)]
    page = await phone.new_page()
    await log_in(page, live_server, "mai.anvien", users.password)
    await page.goto(f"{live_server}/stocktake")

    async def begin_and_go_offline() -> int:
        await page.click("#st-begin")
        await page.wait_for_selector("text=Đã lưu 3 thiết bị")
        await phone.set_offline(True)
        await page.wait_for_selector("text=Mất sóng")
        return await page.evaluate("window.stocktakeApp.state().stocktake.id")

    async def confirm_offline(tag: str) -> str:
        await page.fill("#st-tag", tag)
        await page.press("#st-tag", "Enter")
        queued = await page.evaluate("window.stocktakeApp.state().queue.length")
        await page.click("#st-device >> text=Vẫn ở đây")
        await page.wait_for_function(f"window.stocktakeApp.state().queue.length === {queued + 1}")
        return await page.evaluate("window.stocktakeApp.state().queue.at(-1).client_event_id")

    async def stored_in(event_id: str) -> int | None:
        row = (
            await StocktakeResult.select(StocktakeResult.stocktake)
            .where(StocktakeResult.client_event_id == event_id)
            .first()
        )
        return row and row["stocktake"]

    # 1. A colleague with signal finishes the round while this phone holds a result.
    first = await begin_and_go_offline()
    event = await confirm_offline(tags[0])
    finished = await client.post(f"/api/stocktakes/{first}/finish", headers=colleague)
    assert finished.status_code == 200, finished.text
    await phone.set_offline(False)
    # The result is still taken; then the phone leaves the finished round and shows its report.
    await page.wait_for_function("window.stocktakeApp.state().stocktake === undefined", timeout=15000)
    assert await stored_in(event) == first
    assert "đã kết thúc" in await page.inner_text("#st-msg")
    assert "Đã xác nhận (1)" in await page.inner_text("#st-report")
    report = (await client.get(f"/api/stocktakes/{first}", headers=colleague)).json()
    assert report["received_late"] == 1 and report["confirmed"] == [display_tag(tags[0])]

    # 2. A round closed for good (finished over a week ago): the phone offers a new round
    #    and sends what it holds there, once.
    second = await begin_and_go_offline()
    assert second != first
    event = await confirm_offline(tags[1])
    await client.post(f"/api/stocktakes/{second}/finish", headers=colleague)
    await Stocktake.update({Stocktake.finished_at: Stocktake.finished_at - dt.timedelta(days=8)}).where(
        Stocktake.id == second
    )
    await phone.set_offline(False)
    await page.wait_for_selector("#st-move:not([hidden])", timeout=15000)
    assert "đợt kiểm kê mới" in await page.inner_text("#st-msg")
    assert await stored_in(event) is None
    await screenshot(page, "stocktake-closed-for-good")
    await page.click("#st-move-button")
    await page.wait_for_function("window.stocktakeApp.state().queue.length === 0", timeout=15000)
    third = await page.evaluate("window.stocktakeApp.state().stocktake.id")
    assert third not in (first, second)
    assert await stored_in(event) == third
    assert await page.is_hidden("#st-move")
    assert await StocktakeResult.count().where(StocktakeResult.client_event_id == event) == 1


def python_verdict(text: str) -> list:
    try:
        return ["ok", parse_tag(text)]
    except TagError as error:
        return ["error", error.reason]


def tricky_inputs(count: int) -> list[str]:
    rng = random.Random(31)
    inputs = []
    for _ in range(count):
        tag = new_tag(rng.randrange)
        i, j = rng.sample(range(7), 2)
        swapped = list(tag)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        substituted = tag[:i] + rng.choice(ALPHABET) + tag[i + 1 :]
        inputs += [
            tag,
            display_tag(tag).lower(),
            "".join(swapped),
            substituted,
            tag.replace("0", "O").replace("1", rng.choice("IiLl")),
            " " + tag[:3] + "_" + tag[3:] + ".",
            tag[:6],
            tag + "0",
            tag[:3] + rng.choice("UZ!ễđ") + tag[4:],
            "".join(rng.choice(ALPHABET + "OILUZ -ạ") for _ in range(rng.randint(0, 10))),
        ]
    return inputs


async def test_the_phone_check_character_agrees_with_the_server(live_server, phone):
    page = await phone.new_page()
    await page.goto(f"{live_server}/login")
    await page.add_script_tag(url="/static/tags.js")
    inputs = tricky_inputs(400)
    verdicts = await page.evaluate(
        "texts => texts.map(t => { const r = Tags.parseTag(t); return r.tag ? ['ok', r.tag] : ['error', r.reason]; })",
        inputs,
    )
    mismatches = [
        (text, js, python_verdict(text))
        for text, js in zip(inputs, verdicts, strict=False)
        if js != python_verdict(text)
    ]
    assert not mismatches, mismatches[:10]
    assert sum(1 for v in verdicts if v[0] == "ok") > 800  # both kinds are really exercised
    assert sum(1 for v in verdicts if v[1] == "check") > 500
    # What the camera reads off a label, new (capitals) and old (lower case), gives its tag.
    tag = new_tag(random.Random(12).randrange)
    scanned = [scan_url("https://ts.dongnai.gov.vn", tag), f"https://ts.dongnai.gov.vn/s/{tag}"]
    assert await page.evaluate("texts => texts.map(t => Tags.tagFromText(t).tag)", scanned) == [tag, tag]


async def test_the_vendored_decoder_reads_a_printed_label_in_the_browser(live_server, phone):
    tag = new_tag(random.Random(9).randrange)
    url = scan_url("https://ts.dongnai.gov.vn", tag)
    png = base64.b64encode(label_png(url, tag, module_px=6)).decode()
    page = await phone.new_page()
    await page.goto(f"{live_server}/login")
    await page.add_script_tag(url="/static/vendor/jsQR.min.js")
    decoded = await page.evaluate(
        """src => new Promise(resolve => { const img = new Image(); img.onload = () => {
             const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
             const g = c.getContext('2d'); g.drawImage(img, 0, 0);
             const d = g.getImageData(0, 0, c.width, c.height);
             const code = jsQR(d.data, d.width, d.height); resolve(code && code.data); }; img.src = src; })""",
        f"data:image/png;base64,{png}",
    )
    assert decoded == url
