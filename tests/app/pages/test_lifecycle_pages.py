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
