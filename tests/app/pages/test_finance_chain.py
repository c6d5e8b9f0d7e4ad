"""The whole budget chain in pages, as a finance officer walks it in Chromium, starting from the
dashboard and never touching the API: a line with milestones, allocated over the province's
communes by a previewed split, a package, a contract on it with its items, a delivery with serial
numbers whose labels are printed at once, payments, an amendment and a reversal."""

from __future__ import annotations

import re

from models.procurement import Allocation, Contract, ContractAmendment, Payment, ProcurementPackage
from models.tables import Asset, Commune
from procurement.core.money import parse_vnd
from tests.app.conftest import AN_VIEN
from tests.app.pages.test_finance_setup_pages import DESKTOP, LINE_FORM
from tests.support.browser import log_in, screenshot


async def test_a_finance_officer_walks_the_whole_chain_in_pages(users, live_server, browser):
    await users.make("finance", username="taichinh.chuoi")
    codes = [r["code"] for r in await Commune.select(Commune.code).where(Commune.province.code == "75")]
    for n, code in enumerate(codes):
        await Commune.update({Commune.officials: 5 + n % 7}).where(Commune.code == code)
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    page = await context.new_page()
    try:
        await log_in(page, live_server, "taichinh.chuoi", users.password)
        assert page.url.endswith("/finance")
        assert await page.locator("a[href^='/api'], a[href^='/schema'], form[action^='/api']").count() == 0

        # A line with its milestones.
        await page.click("main >> text=Dòng ngân sách, phân bổ")
        for name, value in {**LINE_FORM, "amount_vnd": "10.000.000.000"}.items():
            if name == "province_code":
                await page.select_option("select[name=province_code]", value)
            else:
                await page.fill(f"#new-line input[name={name}]", value)
        await page.click("#new-line button[type=submit]")
        await page.wait_for_selector("text=Đã lưu dòng ngân sách")
        line_url = page.url.split("?")[0]

        # Allocated over the province's communes: previewed to the dong, then written as shown.
        await page.click("text=Chia một khoản cho các xã")
        await page.fill("#split-form input[name=total_vnd]", "8.000.000.000")
        await page.select_option("#split-form select[name=basis]", "officials")
        await page.click("#split-form button[type=submit]")
        await page.wait_for_selector("#preview-table")
        assert parse_vnd(await page.inner_text("#preview-total")) == 8_000_000_000
        await page.click("#split-confirm button[type=submit]")
        await page.wait_for_selector("text=Đã ghi phần chia")
        allocations = await Allocation.select(Allocation.id, Allocation.commune.code.as_alias("code"))
        assert {a["code"] for a in allocations} == set(codes)
        an_vien = next(a["id"] for a in allocations if a["code"] == AN_VIEN)

        # A package for An Viễn, by hand.
        await page.click("text=Lập gói thầu")
        await page.fill("#pkg-form input[name=name]", "Mua máy tính cho Xã An Viễn")
        await page.select_option("#pkg-form select[name=allocation_id]", str(an_vien))
        await page.fill("#pkg-form input[name=estimate_vnd]", "40.000.000")
        await page.select_option("#pkg-form select[name=item_category_0]", "desktop")
        await page.fill("#pkg-form input[name=item_quantity_0]", "2")
        await page.click("#pkg-form button[type=submit]")
        await page.wait_for_selector("#new-contract")
        package = await ProcurementPackage.select(ProcurementPackage.id).first()

        # The package's contract with its items and a new supplier.
        await page.click("#new-contract")
        await page.wait_for_selector("#contract-form")
        await page.fill("input[name=supplier_name]", "Công ty TNHH Máy tính Đồng Nai")
        await page.fill("input[name=supplier_tax_code]", "3600999888")
        await page.fill("input[name=number]", "01/2025/HĐ-MS")
        await page.fill("input[name=signed_on]", "20/09/2025")
        await page.select_option("select[name=items-0-category]", "desktop")
        await page.fill("input[name=items-0-quantity]", "2")
        await page.fill("input[name=items-0-unit_price]", "15.000.000")
        await page.click("#contract-form button.primary")
        await page.wait_for_selector("text=Đã lưu hợp đồng")
        contract = await Contract.select().where(Contract.number == "01/2025/HĐ-MS").first()
        assert contract["package"] == package["id"] and contract["value_vnd"] == 30_000_000
        contract_url = page.url.split("?")[0]

        # A delivery with serial numbers; the new devices' labels printed at once.
        await page.fill("input[name=delivery_delivered_on]", "03/10/2025")
        await page.fill("input[name=delivery_accepted_on]", "03/10/2025")
        await page.fill("textarea[name=delivery-desktop-serials]", "DN-0001\nDN-0002")
        await page.click(".delivery-form button.primary")
        await page.click("#print-labels")
        await page.wait_for_selector("#delivered-devices")
        tags = [r["tag"] for r in await Asset.select(Asset.tag).where(Asset.contract == contract["id"])]
        delivered = await page.inner_text("#delivered-devices")
        assert len(tags) == 2 and all(f"{t[:3]}-{t[3:]}" in delivered for t in tags) and "DN-0002" in delivered
        async with page.expect_download() as download:
            await page.click("text=In 2 tem")
        with open(await (await download.value).path(), "rb") as pdf:
            assert pdf.read(4) == b"%PDF"

        # Payments, an amendment, and a payment reversed: on the contract's page.
        await page.goto(contract_url)
        for amount, voucher in (("10.000.000", "UNC-01"), ("5.000.000", "UNC-02")):
            await page.fill("#pay input[name=amount_vnd]", amount)
            await page.fill("#pay input[name=voucher_number]", voucher)
            await page.click("#pay button[type=submit]")
            await page.wait_for_selector("text=Đã ghi thanh toán")
        assert parse_vnd((await page.inner_text("#c-paid")).split()[0]) == 15_000_000

        await page.click("#amend summary")
        await page.fill("input[name=amend_reason]", "Bổ sung một máy tính")
        await page.fill("input[name=amend_change]", "+15.000.000")
        await page.click(".amend-form button.primary")
        await page.wait_for_selector("text=Đã ghi phụ lục hợp đồng")
        assert (await page.inner_text("#c-value")).startswith("45.000.000")

        second = page.locator("#payments tr", has_text="UNC-02")
        await second.locator("summary").click()
        await second.locator(".reverse-form input[name=voucher_number]").fill("DAO-02")
        await second.locator(".reverse-form button").click()
        await page.wait_for_selector("text=Đã ghi bút toán đảo")
        assert parse_vnd((await page.inner_text("#c-paid")).split()[0]) == 10_000_000
        await screenshot(page, "finance-chain-contract")

        assert await ContractAmendment.count() == 1
        paid = await Payment.select(Payment.amount_vnd).where(Payment.contract == contract["id"])
        assert sorted(p["amount_vnd"] for p in paid) == [-5_000_000, 5_000_000, 10_000_000]
        # Back on the line's page, what was signed and paid shows against the line.
        await page.goto(line_url)
        assert "01/2025/HĐ-MS" in await page.inner_text("#contracts")
        assert re.search(r"45\.000\.000", await page.inner_text("#contracts"))
    finally:
        await context.close()
