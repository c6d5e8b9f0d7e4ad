"""Pages made for thumbs, measured in chromium at 360 × 740 (a small Android phone):
every HTML page each role may open, every tap target at least 44 × 44 CSS px
(WCAG 2.5.5 and the platforms' guidelines), no page wider than the screen, a
header that leaves the screen to the page; placeholders that cannot be taken for
values; the device list's rows open the device; notes come before the buttons
that save them; the staff register form names the commune."""

from __future__ import annotations

import re

from models.tables import Asset
from procurement.core.clock import today_vn, years_before
from tests.app.api.test_access import app_routes
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.app.pages.test_finance_contract_pages import a_delivery, contract_of_100_million
from tests.app.pages.test_finance_package_pages import a_planned_package
from tests.app.pages.test_public_property_pages import a_finished_stocktake
from tests.support.access import ACCESS
from tests.support.browser import log_in, screenshot

SMALL_PHONE = {"width": 360, "height": 740}
MIN_TARGET = 44
MAX_HEADER = 120  # px of the 740: the page starts on the first screen
ROLES = ("admin", "finance", "planner", "staff", "accountant")
NOT_PAGES = re.compile(
    r"\.(csv|xlsx|js|svg|pdf)$|^/static/|^/field/|^/logout|^/finance/reports/|/photos/\{photo_id"
)  # files; a photo: bytes

# Tap targets a thumb aims at: links, buttons, fields, the label of a check box
# (the box itself is inside it), a disclosure's summary. Links inside running
# text of a table cell or sentence count too: a 17 px tag link is a miss.
MEASURE = """() => {
  const small = [];
  const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
  const name = el => el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '') +
    ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!visible(el)) continue;
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) target = el.closest('label') || el;
    const r = target.getBoundingClientRect();
    if (r.width < 44 - 0.5 || r.height < 44 - 0.5) small.push(name(el) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
  }
  const header = document.querySelector('header');
  const placeholders = [...document.querySelectorAll('[placeholder]')].map(e => e.getAttribute('placeholder'))
    .filter(p => !p.startsWith('VD:'));
  return {small, overflow: document.documentElement.scrollWidth - window.innerWidth,
          header: header ? Math.round(header.getBoundingClientRect().height) : 0, placeholders};
}"""


async def test_every_page_of_every_role_fits_a_thumb_and_the_screen(app, client, live_server, browser, users):
    names = {role: f"{role}-thumbs" for role in ROLES}
    made = {}
    for role in ROLES:
        made[role] = await users.make(role, AN_VIEN if role in ("staff", "accountant") else None, username=names[role])
    finance_headers = made["finance"]
    asset_id = await make_asset(assigned_to="Nguyễn Thị Mai", location_detail="Phòng Văn hóa – Xã hội")
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    package = await a_planned_package(client, finance_headers)
    contract = await contract_of_100_million(client, finance_headers)
    values = {
        "asset_id": str(asset_id),
        "tag": tag,
        "package_id": str(package["id"]),
        "line_id": str(package["line_id"]),
        "contract_id": str(contract["id"]),
        "delivery_id": str(await a_delivery(client, finance_headers, contract["id"])),
        "stocktake_id": str((await a_finished_stocktake(client, made["staff"]))["id"]),
        "file_id": str(await a_disposal_file(client, made["staff"])),
        "transfer_id": str(await a_transfer_to_an_vien(client, finance_headers)),
    }
    pages = sorted(
        path
        for method, path, is_page, _ in app_routes(app)
        if method == "GET" and is_page and not NOT_PAGES.search(path) and path != "/"
    )
    problems: list[str] = []
    for role in (None, *ROLES):
        context = await browser.new_context(viewport=SMALL_PHONE, locale="vi-VN", has_touch=True, is_mobile=True)
        page = await context.new_page()
        if role:
            await log_in(page, live_server, names[role], users.password)
        for path in pages:
            allowed = ACCESS[("GET", path)]
            if (role is None) != (allowed == "public") or (role and allowed != "public" and role not in allowed):
                continue
            url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)
            response = await page.goto(live_server + url)
            assert response is not None and response.status < 400, f"{role} {url}: {response and response.status}"
            found = await page.evaluate(MEASURE)
            where = f"{role or 'anonymous'} {url}"
            if found["overflow"] > 0:
                problems.append(f"{where}: scrolls sideways by {found['overflow']} px")
            if found["header"] > MAX_HEADER:
                problems.append(f"{where}: header {found['header']} px tall")
            problems.extend(f"{where}: tap target {item}" for item in found["small"])
            problems.extend(f"{where}: placeholder looks like a value: {p!r}" for p in found["placeholders"])
            await screenshot(page, f"thumbs-{role}-{url.strip('/').replace('/', '-') or 'home'}")
        await context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:80])


async def test_device_rows_open_the_device_notes_come_first_staff_see_their_commune(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="mai.thumbs")
    asset_id = await make_asset(assigned_to="Nguyễn Thị Mai")
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    page = await phone.new_page()
    await page.set_viewport_size(SMALL_PHONE)
    await log_in(page, live_server, "mai.thumbs", users.password)

    # A tap anywhere on the row (here: on the condition, far from the tag link) opens the device.
    await page.goto(f"{live_server}/assets")
    row = page.locator("tbody tr.row-link").first
    box = await row.bounding_box()
    assert box is not None and box["height"] >= MIN_TARGET
    await page.mouse.click(box["x"] + box["width"] - 10, box["y"] + box["height"] / 2)
    await page.wait_for_url(f"{live_server}/assets/{asset_id}")

    # On the scan page the note is typed before the buttons that save it are reached.
    await page.goto(f"{live_server}/s/{tag}")
    order = await page.evaluate(
        """() => { const form = document.querySelector('input[name=note]').form;
             const items = [...form.querySelectorAll('input[name=note], button')];
             return items.map(e => e.tagName); }"""
    )
    assert order[0] == "INPUT" and set(order[1:]) == {"BUTTON"}

    # The register form names the staff member's commune, not its code.
    await page.goto(f"{live_server}/assets/new")
    text = await page.inner_text("main")
    assert "Xã An Viễn" in text and AN_VIEN not in text
    await screenshot(page, "thumbs-register-form")


async def a_disposal_file(client, staff: dict[str, str]) -> int:
    """A disposal file requested for an old device of the staff member's commune (An Viễn)."""
    old = await make_asset(acquired_on=years_before(today_vn(), 8).isoformat(), serial="THUMB-OLD")
    opened = await client.post(f"/api/assets/{old}/disposal-files", json={"ground": "past_useful_life"}, headers=staff)
    assert opened.status_code == 201, opened.text
    return opened.json()["id"]


async def a_transfer_to_an_vien(client, finance: dict[str, str]) -> int:
    """Two devices of another commune on their way to An Viễn (its staff receive them)."""
    ids = [await make_asset(commune_code=OTHER_COMMUNE, serial=f"THUMB-TR-{i}") for i in range(2)]
    body = {
        "decision_number": "7/QĐ-UBND",
        "decision_date": today_vn().isoformat(),
        "from_commune": OTHER_COMMUNE,
        "to_commune": AN_VIEN,
        "asset_ids": ids,
    }
    created = await client.post("/api/transfers", json=body, headers=finance)
    assert created.status_code == 201, created.text
    return created.json()["id"]
