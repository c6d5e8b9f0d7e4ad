"""Contracts and payments on pages: finance staff find a contract, record a payment
and reverse one; a refused payment names its field, keeps what was typed and
writes nothing; planners read but do not pay."""

from __future__ import annotations

import re

from models.procurement import Payment
from tests.app.api.test_budget import contract_body, make_chain, post
from tests.support.browser import log_in, screenshot

SUPPLIER = {"name": "Công ty TNHH Tin học Phong Vũ", "tax_code": "3600123457"}


async def contract_of_100_million(client, headers) -> dict:
    _, allocation = await make_chain(client, headers)
    # 10 desktops at 10 m: 100,000,000 dong, signed 15/09/2025.
    return await post(
        client, headers, "/contracts", contract_body(allocation["id"], supplier=SUPPLIER, number="12/2025/HĐ-MS"), 201
    )


async def a_delivery(client, headers, contract_id: int) -> int:
    """Two desktops of the contract delivered with their serials: the delivery's id (for page walks)."""
    delivery = {
        "delivered_on": "2025-10-01",
        "accepted_on": "2025-10-03",
        "items": [{"category": "desktop", "quantity": 2, "make": "Dell", "serials": ["W-1", "W-2"]}],
    }
    return (await post(client, headers, f"/contracts/{contract_id}/deliveries", delivery, 201))["id"]


async def test_a_payment_recorded_and_reversed_through_the_contract_page(client, users):
    finance = await users.make("finance")
    contract = await contract_of_100_million(client, finance)
    url = f"/finance/contracts/{contract['id']}"

    found = await client.get("/finance/contracts", params={"q": "phong vu"}, headers=finance)
    assert found.status_code == 200 and "12/2025/HĐ-MS" in found.text and url in found.text
    none = await client.get("/finance/contracts", params={"q": "không có"}, headers=finance)
    assert "12/2025/HĐ-MS" not in none.text

    paid = await client.post(
        f"{url}/payments",
        data={"amount_vnd": "40.000.000", "paid_on": "01/10/2025", "voucher_number": "UNC-01", "note": "Tạm ứng"},
        headers=finance,
    )
    assert paid.status_code == 303 and paid.headers["location"] == f"{url}?done=paid"
    (payment,) = await Payment.select().where(Payment.contract == contract["id"])
    assert payment["amount_vnd"] == 40_000_000 and payment["voucher_number"] == "UNC-01"
    page = await client.get(url, headers=finance)
    assert "40.000.000" in page.text and "60.000.000" in page.text  # paid, and still to pay

    # More than is left to pay: refused next to the amount, what was typed kept, nothing written.
    over = await client.post(
        f"{url}/payments",
        data={"amount_vnd": "70.000.000", "paid_on": "02/10/2025", "voucher_number": "UNC-02"},
        headers=finance,
    )
    assert over.status_code == 422
    assert re.search(r'id="e-amount_vnd">[^<]*10\.000\.000', over.text), over.text
    assert 'value="UNC-02"' in over.text
    for body, field in (
        ({"amount_vnd": "12,5", "paid_on": "02/10/2025", "voucher_number": "UNC-03"}, "amount_vnd"),
        ({"amount_vnd": "1.000.000", "paid_on": "31/02/2025", "voucher_number": "UNC-03"}, "paid_on"),
        ({"amount_vnd": "1.000.000", "paid_on": "01/09/2025", "voucher_number": "UNC-03"}, "paid_on"),  # before signing
        ({"amount_vnd": "1.000.000", "paid_on": "02/10/2025", "voucher_number": ""}, "voucher_number"),
        ({"amount_vnd": "1.000.000", "paid_on": "01/01/2099", "voucher_number": "UNC-03"}, "paid_on"),  # future
        ({"amount_vnd": "1.000.000", "paid_on": "02/10/2025", "voucher_number": "UNC-01"}, "voucher_number"),  # twice
    ):
        refused = await client.post(f"{url}/payments", data=body, headers=finance)
        assert refused.status_code == 422 and f'id="e-{field}"' in refused.text, (body, refused.text)
    assert await Payment.count().where(Payment.contract == contract["id"]) == 1

    reverse_url = f"/finance/payments/{payment['id']}/reverse"
    reversed_ = await client.post(
        reverse_url, data={"paid_on": "05/10/2025", "voucher_number": "DAO-01", "note": "Sai số tiền"}, headers=finance
    )
    assert reversed_.status_code == 303 and reversed_.headers["location"] == f"{url}?done=reversed"
    reversal = await Payment.select().where(Payment.reverses_payment == payment["id"]).first()
    assert reversal["amount_vnd"] == -40_000_000 and reversal["voucher_number"] == "DAO-01"
    again = await client.post(reverse_url, data={"paid_on": "06/10/2025", "voucher_number": "DAO-02"}, headers=finance)
    assert again.status_code == 422 and "field-error" in again.text
    assert await Payment.count().where(Payment.contract == contract["id"]) == 2
    page = await client.get(url, headers=finance)
    assert f"đảo chứng từ {payment['id']}" in page.text and "100.000.000" in page.text


async def test_planners_read_contracts_but_do_not_pay(client, users):
    finance = await users.make("finance")
    planner = await users.make("planner")
    contract = await contract_of_100_million(client, finance)
    url = f"/finance/contracts/{contract['id']}"
    page = await client.get(url, headers=planner)
    assert page.status_code == 200 and "12/2025/HĐ-MS" in page.text and "Ghi thanh toán" not in page.text
    refused = await client.post(
        f"{url}/payments",
        data={"amount_vnd": "1.000.000", "paid_on": "01/10/2025", "voucher_number": "UNC-09"},
        headers=planner,
    )
    assert refused.status_code == 403
    assert await Payment.count() == 0


async def test_finance_staff_pay_a_contract_from_the_dashboard_in_a_browser(client, users, live_server, phone):
    finance = await users.make("finance", username="ketoan.so")
    contract = await contract_of_100_million(client, finance)
    page = await phone.new_page()
    await log_in(page, live_server, "ketoan.so", users.password)
    await page.click("text=Hợp đồng và thanh toán")
    await page.fill("input[name=q]", "phong vu")
    await page.click("form.filters button")
    await page.click("text=12/2025/HĐ-MS")
    await page.fill("input[name=amount_vnd]", "25.000.000")
    await page.fill("input[name=voucher_number]", "UNC-77")
    await page.click("#pay button[type=submit]")
    await page.wait_for_selector("text=Đã ghi thanh toán")
    assert (await page.inner_text("#c-paid")).startswith("25.000.000")
    assert (await page.inner_text("#c-unpaid")).startswith("75.000.000")
    assert "UNC-77" in await page.inner_text("#payments")
    await screenshot(page, "finance-contract")
    assert await Payment.count().where(Payment.contract == contract["id"]) == 1

    # Entered against the wrong contract: reversed from the same page, on a phone.
    await page.click("text=Ghi bút toán đảo")
    await page.fill(".reverse-form input[name=voucher_number]", "DAO-77")
    await page.click(".reverse-form button")
    await page.wait_for_selector("text=Đã ghi bút toán đảo")
    assert (await page.inner_text("#c-paid")).startswith("0")
    assert "đảo chứng từ" in await page.inner_text("#payments")
    assert await Payment.count().where(Payment.contract == contract["id"]) == 2


async def test_a_payment_form_sent_twice_pays_once(client, users):
    finance = await users.make("finance")
    contract = await contract_of_100_million(client, finance)
    url = f"/finance/contracts/{contract['id']}"
    form = await client.get(url, headers=finance)
    (event_id,) = re.findall(r'name="client_event_id" value="([^"]+)"', form.text)
    data = {"amount_vnd": "5.000.000", "paid_on": "01/10/2025", "voucher_number": "UNC-5", "client_event_id": event_id}
    first = await client.post(f"{url}/payments", data=data, headers=finance)
    second = await client.post(f"{url}/payments", data=data, headers=finance)
    assert first.status_code == second.status_code == 303, second.text
    assert await Payment.count().where(Payment.contract == contract["id"]) == 1
    # The page after the payment offers a new id for the next one.
    again = await client.get(url, headers=finance)
    assert event_id not in again.text
