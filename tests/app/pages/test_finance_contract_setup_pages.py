"""Setting a contract up on pages: a new contract from an allocation with its supplier found
by a name typed without diacritics and its items; an amendment (value up; over the
ceiling refused beside the field); a delivery with serial numbers whose new devices'
labels are printed at once. Refusals keep what was typed and write nothing; planners
read but see no forms."""

from __future__ import annotations

import re

import pytest

from models.procurement import Contract, ContractAmendment, Supplier
from models.tables import Asset
from tests.app.api.test_budget import API, contract_body, make_chain, post
from tests.support.browser import PHONE, log_in, screenshot

SUPPLIER = {"name": "Công ty TNHH Tin học Phong Vũ", "tax_code": "3600123457"}
DESKTOP = {"width": 1280, "height": 900}


async def _chain_with_known_supplier(client, finance) -> tuple[dict, dict]:
    """A line, a 500 m allocation, and a first 100 m contract naming Phong Vũ (so it is known)."""
    line, allocation = await make_chain(client, finance)
    await post(client, finance, "/contracts", contract_body(allocation["id"], supplier=SUPPLIER), 201)
    return line, allocation


def _new_contract(allocation_id: int, **fields: str) -> dict:
    body = {
        "allocation_id": str(allocation_id),
        "supplier_name": "phong vu",
        "supplier_tax_code": "",
        "number": "15/2025/HĐ-MS",
        "signed_on": "20/09/2025",
        "items-0-category": "desktop",
        "items-0-quantity": "3",
        "items-0-unit_price": "10.000.000",
        "items-1-category": "printer",
        "items-1-quantity": "",
        "items-1-unit_price": "",
    }
    body.update(fields)
    return body


async def test_a_contract_is_created_on_a_page_without_the_script(client, users):
    finance = await users.make("finance")
    _, allocation = await _chain_with_known_supplier(client, finance)
    form = await client.get("/finance/contracts/new", params={"allocation_id": allocation["id"]}, headers=finance)
    assert form.status_code == 200 and "400.000.000" in form.text  # what is left of the allocation

    # Refused: each beside its field, what was typed kept, nothing written.
    for fields, field in (
        ({"items-0-quantity": "ba"}, "items-0-quantity"),
        ({"items-0-unit_price": "10,5"}, "items-0-unit_price"),
        ({"signed_on": "31/02/2025"}, "signed_on"),
        ({"signed_on": "01/01/2025"}, "signed_on"),  # before the line's decision
        ({"number": ""}, "number"),
        ({"supplier_name": "cong ty chua co"}, "supplier_tax_code"),  # new: needs a tax code
        ({"supplier_name": "Công ty mới", "supplier_tax_code": "12"}, "supplier_tax_code"),
        ({"items-0-quantity": "41"}, "value_vnd"),  # 410 m over the 400 m left
        ({"value_vnd": "1.000"}, "value_vnd"),  # not the sum of the items
    ):
        refused = await client.post(
            "/finance/contracts/new", data=_new_contract(allocation["id"], **fields), headers=finance
        )
        assert refused.status_code == 422 and f'id="e-{field}"' in refused.text, (fields, refused.text)
        assert 'value="15/2025/HĐ-MS"' in refused.text or fields.get("number") == ""
    over = await client.post(
        "/finance/contracts/new", data=_new_contract(allocation["id"], **{"items-0-quantity": "41"}), headers=finance
    )
    assert re.search(r'id="e-value_vnd">[^<]*vượt[^<]*10\.000\.000', over.text), over.text
    assert await Contract.count() == 1

    # Without the script, "Thêm dòng mặt hàng" sends the form back with one more row.
    more = await client.post(
        "/finance/contracts/new", data={**_new_contract(allocation["id"]), "action": "add_row"}, headers=finance
    )
    assert more.status_code == 200 and 'name="items-2-quantity"' in more.text and await Contract.count() == 1

    done = await client.post("/finance/contracts/new", data=_new_contract(allocation["id"]), headers=finance)
    assert done.status_code == 303, done.text
    contract = await Contract.select().where(Contract.number == "15/2025/HĐ-MS").first()
    assert done.headers["location"] == f"/finance/contracts/{contract['id']}?done=created"
    assert contract["value_vnd"] == 30_000_000 and await Supplier.count() == 1  # the known supplier, found by name
    # A tax code alone finds the known supplier too; a new supplier with both is added.
    by_tax = _new_contract(allocation["id"], supplier_name="", supplier_tax_code="3600123457", number="16/2025")
    assert (await client.post("/finance/contracts/new", data=by_tax, headers=finance)).status_code == 303
    fresh = _new_contract(allocation["id"], supplier_name="Công ty CP Mới", supplier_tax_code="0312345678", number="17")
    assert (await client.post("/finance/contracts/new", data=fresh, headers=finance)).status_code == 303
    assert await Supplier.count() == 2

    # From a line (central purchasing) with no source chosen: the page offers the lines.
    lines = await client.get("/finance/contracts/new", headers=finance)
    assert lines.status_code == 200 and 'name="line_id"' in lines.text


async def test_amend_and_accept_a_delivery_on_the_contract_page(client, users):
    finance = await users.make("finance")
    _, allocation = await _chain_with_known_supplier(client, finance)  # 100 m of 500 m signed
    (contract,) = await Contract.select(Contract.id)
    url = f"/finance/contracts/{contract['id']}"

    amended = await client.post(
        f"{url}/amendments",
        data={"amend_signed_on": "01/10/2025", "amend_reason": "Bổ sung máy in", "amend_change": "+20.000.000"},
        headers=finance,
    )
    assert amended.status_code == 303 and amended.headers["location"] == f"{url}?done=amended"
    page = await client.get(url, headers=finance)
    assert "Bổ sung máy in" in page.text and "120.000.000" in page.text and "ký 100.000.000" in page.text

    over = await client.post(
        f"{url}/amendments",
        data={"amend_signed_on": "02/10/2025", "amend_reason": "Tăng nữa", "amend_change": "+380.000.001"},
        headers=finance,
    )
    assert over.status_code == 422
    assert re.search(r'id="e-amend_change">[^<]*vượt[^<]*1 đ', over.text), over.text
    assert 'value="Tăng nữa"' in over.text and '<details id="amend" open' in over.text
    assert "Chưa lưu" not in over.text.split('id="pay"')[1].split("</section>")[0]  # the payment form is quiet
    for data, field in (
        ({"amend_signed_on": "01/01/2099", "amend_reason": "x", "amend_change": "1"}, "amend_signed_on"),
        ({"amend_signed_on": "01/10/2025", "amend_reason": "", "amend_change": "1"}, "amend_reason"),
        ({"amend_signed_on": "01/10/2025", "amend_reason": "x", "amend_change": "1,5"}, "amend_change"),
    ):
        refused = await client.post(f"{url}/amendments", data=data, headers=finance)
        assert refused.status_code == 422 and f'id="e-{field}"' in refused.text, (data, refused.text)
    assert await ContractAmendment.count() == 1

    # A delivery: two desktops with their serials, one of them typed twice over the count: refused.
    wrong = await client.post(
        f"{url}/deliveries",
        data={
            "delivery_delivered_on": "03/10/2025",
            "delivery_accepted_on": "03/10/2025",
            "delivery-desktop-quantity": "3",
            "delivery-desktop-serials": "SN-001\nSN-002",
        },
        headers=finance,
    )
    assert wrong.status_code == 422 and 'id="e-delivery-desktop-serials"' in wrong.text, wrong.text
    assert "SN-002" in wrong.text and await Asset.count() == 0
    (event_id,) = set(re.findall(r'name="event_id" value="([^"]+)"', wrong.text))
    accepted = await client.post(
        f"{url}/deliveries",
        data={
            "delivery_delivered_on": "03/10/2025",
            "delivery_accepted_on": "03/10/2025",
            "delivery-desktop-serials": "SN-001\nSN-002\n",
            "delivery-desktop-make": "Dell",
            "event_id": event_id,
        },
        headers=finance,
    )
    assert accepted.status_code == 303, accepted.text
    # The same form sent again (a double tap, a lost reply) accepts the delivery once.
    again = await client.post(
        f"{url}/deliveries",
        data={
            "delivery_delivered_on": "03/10/2025",
            "delivery_accepted_on": "03/10/2025",
            "delivery-desktop-serials": "SN-001\nSN-002\n",
            "delivery-desktop-make": "Dell",
            "event_id": event_id,
        },
        headers=finance,
    )
    assert again.status_code == 303 and again.headers["location"] == accepted.headers["location"]
    assert await Asset.count() == 2
    location = accepted.headers["location"]
    delivery_id = int(re.search(r"delivery=(\d+)", location).group(1))
    assert location.startswith(f"{url}?done=delivered")
    page = await client.get(location, headers=finance)
    assert f"/finance/deliveries/{delivery_id}/labels" in page.text
    tags = sorted(r["tag"] for r in await Asset.select(Asset.tag).where(Asset.contract == contract["id"]))
    assert len(tags) == 2
    labels = await client.get(f"/finance/deliveries/{delivery_id}/labels", headers=finance)
    assert labels.status_code == 200 and "SN-001" in labels.text
    assert all(f"{t[:3]}-{t[3:]}" in labels.text for t in tags)
    pdf = await client.post(
        f"/finance/deliveries/{delivery_id}/labels", data={"stock": "a4-3x8", "skip": "0"}, headers=finance
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-label-count"] == "2" and pdf.content.startswith(b"%PDF")
    bad = await client.post(
        f"/finance/deliveries/{delivery_id}/labels", data={"stock": "a9", "skip": "0"}, headers=finance
    )
    assert bad.status_code == 422 and 'id="e-stock"' in bad.text


async def test_planners_see_contracts_but_no_set_up_forms(client, users):
    finance = await users.make("finance")
    planner = await users.make("planner")
    _, allocation = await _chain_with_known_supplier(client, finance)
    (contract,) = await Contract.select(Contract.id)
    url = f"/finance/contracts/{contract['id']}"
    page = await client.get(url, headers=planner)
    assert page.status_code == 200 and "Phụ lục hợp đồng" in page.text
    assert "Ghi phụ lục mới" not in page.text and "Nghiệm thu và vào sổ" not in page.text
    listed = await client.get("/finance/contracts", headers=planner)
    assert listed.status_code == 200 and 'id="new-contract"' not in listed.text
    assert 'id="new-contract"' in (await client.get("/finance/contracts", headers=finance)).text
    assert (await client.get("/finance/contracts/new", headers=planner)).status_code == 403
    posted = await client.post(
        f"{url}/amendments",
        data={"amend_signed_on": "01/10/2025", "amend_reason": "x", "amend_change": "1"},
        headers=planner,
    )
    assert posted.status_code == 403 and await ContractAmendment.count() == 0
    assert (
        await client.post("/finance/contracts/new", data=_new_contract(allocation["id"]), headers=planner)
    ).status_code == 403
    found = await client.get(f"{API}/suppliers", params={"q": "phong vu"}, headers=planner)
    assert found.json()["total"] == 1


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_finance_sets_a_contract_up_in_a_browser(client, users, live_server, browser, viewport):
    name = f"ketoan-{viewport['width']}"
    finance = await users.make("finance", username=name)
    _, allocation = await _chain_with_known_supplier(client, finance)
    # bypass_csp: wait_for_function evaluates its predicate with eval (see tests/support/browser.py).
    context = await browser.new_context(viewport=viewport, locale="vi-VN", accept_downloads=True, bypass_csp=True)
    try:
        page = await context.new_page()
        await log_in(page, live_server, name, users.password)
        # From the contract list: a new contract, on the line, for An Viễn's allocation.
        await page.goto(f"{live_server}/finance/contracts")
        await page.click("#new-contract")
        await page.click("text=Tiếp tục")
        await page.select_option("select[name=allocation_id]", str(allocation["id"]))
        await page.click("text=Chọn")
        await page.wait_for_selector("#contract-form")
        assert (await page.inner_text("#room")).startswith("400.000.000")
        # The supplier found by a name typed without diacritics: the script fills its tax code.
        await page.fill("input[name=supplier_name]", "phong vu")
        await page.wait_for_function("document.querySelector('input[name=supplier_tax_code]').value === '3600123457'")
        await page.fill("input[name=number]", "21/2025/HĐ-MS")
        await page.fill("input[name=signed_on]", "20/09/2025")
        await page.select_option("select[name=items-0-category]", "desktop")
        await page.fill("input[name=items-0-quantity]", "2")
        await page.fill("input[name=items-0-unit_price]", "10.000.000")
        rows = await page.locator("[data-row]").count()
        await page.click("text=Thêm dòng mặt hàng")  # a row added in place, no round trip
        assert await page.locator("[data-row]").count() == rows + 1
        await page.locator("[data-row]").last.locator("[data-remove-row]").click()
        assert await page.locator("[data-row]").count() == rows
        await page.select_option("select[name=items-1-category]", "printer")
        await page.fill("input[name=items-1-quantity]", "1")
        await page.fill("input[name=items-1-unit_price]", "5.000.000")
        await screenshot(page, f"contract-form-{viewport['width']}")
        await page.click("#contract-form button.primary")
        await page.wait_for_selector("text=Đã lưu hợp đồng")
        assert (await page.inner_text("#c-value")).startswith("25.000.000")
        await screenshot(page, f"contract-created-{viewport['width']}")

        # Amend: value up, then over the ceiling refused beside the field.
        await page.click("#amend summary")
        await page.fill("input[name=amend_reason]", "Bổ sung một máy in")
        await page.fill("input[name=amend_change]", "+5.000.000")
        await page.click(".amend-form button.primary")
        await page.wait_for_selector("text=Đã ghi phụ lục hợp đồng")
        assert (await page.inner_text("#c-value")).startswith("30.000.000")
        await page.click("#amend summary")
        await page.fill("input[name=amend_reason]", "Tăng quá trần")
        await page.fill("input[name=amend_change]", "+900.000.000")
        await page.click(".amend-form button.primary")
        error = await page.inner_text("#e-amend_change")
        assert "vượt" in error and "số còn lại của phân bổ" in error
        assert await page.input_value("input[name=amend_reason]") == "Tăng quá trần"

        # A delivery with serial numbers, then its labels at once.
        await page.fill("input[name=delivery_delivered_on]", "03/10/2025")
        await page.fill("input[name=delivery_accepted_on]", "03/10/2025")
        await page.fill("textarea[name=delivery-desktop-serials]", "SN-A1\nSN-A2")
        await page.click(".delivery-form button.primary")
        await page.click("#print-labels")
        await page.wait_for_selector("#delivered-devices")
        contract = await Contract.select(Contract.id).where(Contract.number == "21/2025/HĐ-MS").first()
        tags = [r["tag"] for r in await Asset.select(Asset.tag).where(Asset.contract == contract["id"])]
        table = await page.inner_text("#delivered-devices")
        assert len(tags) == 2 and all(f"{t[:3]}-{t[3:]}" in table for t in tags) and "SN-A2" in table
        await screenshot(page, f"delivery-labels-{viewport['width']}")
        async with page.expect_download() as download:
            await page.click("text=In 2 tem")
        saved = await (await download.value).path()
        with open(saved, "rb") as pdf:
            assert pdf.read(4) == b"%PDF"
    finally:
        await context.close()
