"""Finance data in from Excel on a page: finance staff upload a sheet, see the dry run's
errors beside their rows, fix the file, see what will be written and commit it, in
Chromium; a confirm sent twice writes once; a batch over the line is refused whole."""

from __future__ import annotations

import re

from models.procurement import Allocation, Payment
from tests.app.api.test_budget import contract_body, line_body, make_chain, post
from tests.app.api.test_finance_uploads import ALLOCATION_HEADERS, PAYMENT_HEADERS, csv_file, xlsx_file
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE
from tests.support.browser import log_in, screenshot


async def _amounts(line_id: int) -> dict[str, int]:
    rows = await Allocation.select(Allocation.commune.code.as_alias("code"), Allocation.amount_vnd).where(
        Allocation.line == line_id
    )
    return {r["code"]: r["amount_vnd"] for r in rows}


async def test_finance_staff_upload_allocations_fix_the_errors_and_commit_in_a_browser(
    client, users, live_server, phone
):
    finance = await users.make("finance", username="taichinh.tai")
    line = await post(client, finance, "/lines", line_body(number="65/KH-UBND", amount_vnd=1_000_000_000), 201)
    page = await phone.new_page()
    await log_in(page, live_server, "taichinh.tai", users.password)
    await page.click("text=Tải lên từ Excel")
    await page.select_option("select[name=kind]", "allocations")
    await page.select_option("select[name=line_id]", str(line["id"]))
    wrong = xlsx_file(ALLOCATION_HEADERS, [[AN_VIEN, "", "300.000.000", ""], ["99999", "", "12,5", ""]])
    await page.set_input_files(
        "input[name=file]", files=[{"name": "phan-bo.xlsx", "mimeType": "application/octet-stream", "buffer": wrong}]
    )
    await page.click("form[action='/finance/uploads'] button[type=submit]")
    await page.wait_for_selector("#row-errors")
    errors = await page.inner_text("#row-errors")
    assert "Không có xã/phường mã 99999" in errors and "phần lẻ" in errors
    assert re.search(r"\b4\b\s+Mã xã \(A4\)", errors), errors  # the row and the cell, beside the reason
    assert await page.locator("text=Ghi 1 dòng").count() == 0  # nothing to confirm while rows are wrong
    await screenshot(page, "finance-upload-errors")
    assert await _amounts(line["id"]) == {}

    # The line stays chosen; the fixed file is checked, then written.
    assert await page.input_value("select[name=line_id]") == str(line["id"])
    fixed = xlsx_file(ALLOCATION_HEADERS, [[AN_VIEN, "", "300.000.000", ""], [OTHER_COMMUNE, "", "125.000.000", ""]])
    await page.set_input_files(
        "input[name=file]", files=[{"name": "phan-bo.xlsx", "mimeType": "application/octet-stream", "buffer": fixed}]
    )
    await page.click("form[action='/finance/uploads'] button[type=submit]")
    await page.wait_for_selector("#summary")
    assert "425.000.000" in await page.inner_text("#summary")
    assert OTHER_COMMUNE in await page.inner_text("#preview")
    await page.click("text=Ghi 2 dòng")
    await page.wait_for_selector("#done")
    assert "Đã ghi 2 khoản phân bổ" in await page.inner_text("#done")
    assert await _amounts(line["id"]) == {AN_VIEN: 300_000_000, OTHER_COMMUNE: 125_000_000}


async def test_a_confirm_sent_twice_writes_once_and_a_batch_over_the_line_is_refused(client, users):
    finance = await users.make("finance")
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000), 201)
    form = {"kind": "allocations", "line_id": str(line["id"])}
    over = csv_file(ALLOCATION_HEADERS, [[AN_VIEN, "", "600.000", ""], [OTHER_COMMUNE, "", "400.001", ""]])
    checked = await client.post("/finance/uploads", data=form, files={"file": ("a.csv", over)}, headers=finance)
    assert checked.status_code == 422 and 'id="limit"' in checked.text and "1 đ" in checked.text
    assert "/finance/uploads/commit" not in checked.text

    good = csv_file(ALLOCATION_HEADERS, [[AN_VIEN, "", "600.000", ""], [OTHER_COMMUNE, "", "400.000", ""]])
    checked = await client.post("/finance/uploads", data=form, files={"file": ("a.csv", good)}, headers=finance)
    assert checked.status_code == 200, checked.text
    confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', checked.text))
    first = await client.post("/finance/uploads/commit", data=confirm, headers=finance)
    second = await client.post("/finance/uploads/commit", data=confirm, headers=finance)
    assert first.status_code == second.status_code == 303, second.text
    assert "written=2" in first.headers["location"]
    assert await _amounts(line["id"]) == {AN_VIEN: 600_000, OTHER_COMMUNE: 400_000}

    # The line is now full: the same file checked again is refused whole, nothing written.
    again = await client.post("/finance/uploads", data=form, files={"file": ("a.csv", good)}, headers=finance)
    assert again.status_code == 422 and 'id="limit"' in again.text


async def test_payments_page_refusals_and_roles(client, users):
    finance = await users.make("finance")
    planner = await users.make("planner")
    _, allocation = await make_chain(client, finance)
    contract = await post(client, finance, "/contracts", contract_body(allocation["id"], number="7/2025/HĐ"), 201)
    rows = [["7/2025/HĐ", "UNC-1", "01/10/2025", "40.000.000", ""], ["7/2025/HĐ", "UNC-1", "02/10/2025", "1.000", ""]]
    form = {"kind": "payments", "line_id": ""}
    page = await client.post(
        "/finance/uploads", data=form, files={"file": ("kb.csv", csv_file(PAYMENT_HEADERS, rows))}, headers=finance
    )
    assert page.status_code == 422 and "trùng với dòng 2" in page.text
    no_file = await client.post("/finance/uploads", data=form, files={"file": ("", b"")}, headers=finance)
    assert no_file.status_code == 422 and 'id="e-file"' in no_file.text
    no_line = await client.post(
        "/finance/uploads",
        data={"kind": "allocations", "line_id": ""},
        files={"file": ("a.csv", b"x")},
        headers=finance,
    )
    assert no_line.status_code == 422 and "Chọn dòng ngân sách" in no_line.text
    assert (await client.get("/finance/uploads", headers=planner)).status_code == 403
    stale = await client.post(
        "/finance/uploads/commit", data={"kind": "payments", "token": "khong-co"}, headers=finance
    )
    assert stale.status_code == 422 and "tải tệp lên lại" in stale.text
    assert await Payment.count().where(Payment.contract == contract["id"]) == 0
