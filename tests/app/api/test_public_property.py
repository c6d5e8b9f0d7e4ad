"""Public property through the API, on the engine DATABASE_URL names: the book of a year
computed from the cited rule, closing a year once (also under concurrent requests), a
closed year untouched by a later correction, the accountant's scope, assessed values and
overrides in the history, and the papers read back cell by cell and text by text."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid

import openpyxl
import pypdf

from models.public_property import WearClosing, WearRecord
from procurement.core.money import format_vnd
from procurement.public_property.rules import rule_in_force, threshold_in_force
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset

DESKTOP_COST = 15_000_000


def expected_wear(category: str, cost: int, year: int) -> int:
    """The cited rule: yearly wear = original cost × the rate in force that December."""
    return cost * rule_in_force(category, dt.date(year, 12, 31)).rate_bp // 10_000


async def fleet() -> dict[str, int]:
    assert 4_000_000 < threshold_in_force(dt.date(2023, 3, 15)).min_cost_vnd <= DESKTOP_COST
    return {
        "desktop": await make_asset(acquired_on="2023-03-15", cost_vnd=DESKTOP_COST),
        "printer": await make_asset(category="printer", acquired_on="2023-05-01", cost_vnd=4_000_000),
        "reused": await make_asset(category="laptop", acquired_on=None, acquisition="reused", cost_vnd=None),
        "elsewhere": await make_asset(commune_code=OTHER_COMMUNE, acquired_on="2022-01-10", cost_vnd=20_000_000),
    }


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert "\x00" not in text, "a character the embedded font lacks"
    return text


def xlsx_rows(content: bytes) -> list[list]:
    """The header (row 2) and the data; row 1 is the title every spreadsheet of the app carries."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


async def test_the_book_of_a_year_follows_the_rule_and_leaves_out_tools_and_unvalued(client, users):
    finance = await users.make("finance")
    ids = await fleet()
    answer = await client.get("/api/public-property/book", params={"year": 2024, "commune": AN_VIEN}, headers=finance)
    assert answer.status_code == 200, answer.text
    book = answer.json()
    assert [r["asset_id"] for r in book["rows"]] == [ids["desktop"]]
    row = book["rows"][0]
    wear_2023, wear_2024 = expected_wear("desktop", DESKTOP_COST, 2023), expected_wear("desktop", DESKTOP_COST, 2024)
    assert row["wear_vnd"] == wear_2024 and row["accumulated_vnd"] == wear_2023 + wear_2024
    assert row["remaining_vnd"] == DESKTOP_COST - wear_2023 - wear_2024
    assert "Thông tư 23/2023/TT-BTC" in row["source"]
    assert (book["tools"], book["unvalued"], book["closed"]) == (1, 1, False)


async def test_closing_a_year_writes_it_once_and_a_later_correction_lands_in_the_open_year(client, users):
    finance = await users.make("finance")
    admin = await users.make("admin")
    ids = await fleet()
    url = "/api/public-property/years/2024/close"
    closed = await client.post(url, json={"commune": AN_VIEN}, headers=finance)
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed"] == [AN_VIEN] and closed.json()["devices"] == 1
    again = await client.post(url, json={"commune": AN_VIEN}, headers=finance)
    assert again.status_code == 409 and again.json()["extra"][0]["key"] == "year"

    # The invoice turns up: the cost is corrected after 2024 was closed.
    corrected = await client.patch(f"/api/assets/{ids['desktop']}", json={"cost_vnd": 20_000_000}, headers=admin)
    assert corrected.status_code == 200, corrected.text
    params = {"commune": AN_VIEN}
    book_2024 = (await client.get("/api/public-property/book", params={**params, "year": 2024}, headers=finance)).json()
    accumulated_2024 = expected_wear("desktop", DESKTOP_COST, 2023) + expected_wear("desktop", DESKTOP_COST, 2024)
    assert book_2024["closed"] is True
    assert book_2024["rows"][0]["original_cost_vnd"] == DESKTOP_COST
    assert book_2024["rows"][0]["accumulated_vnd"] == accumulated_2024
    book_2025 = (await client.get("/api/public-property/book", params={**params, "year": 2025}, headers=finance)).json()
    row = book_2025["rows"][0]
    assert book_2025["closed"] is False
    assert row["wear_vnd"] == expected_wear("desktop", 20_000_000, 2025)
    assert row["accumulated_vnd"] == accumulated_2024 + row["wear_vnd"]
    assert row["remaining_vnd"] == 20_000_000 - row["accumulated_vnd"]
    # Closing 2025 keeps 2024's record as it was.
    assert (await client.post("/api/public-property/years/2025/close", json=params, headers=finance)).status_code == 200
    records = await WearRecord.select().where(WearRecord.asset == ids["desktop"]).order_by(WearRecord.year)
    assert [(r["year"], r["original_cost_vnd"]) for r in records] == [(2024, DESKTOP_COST), (2025, 20_000_000)]
    # An earlier year cannot be closed after a later one.
    earlier = await client.post("/api/public-property/years/2023/close", json=params, headers=finance)
    assert earlier.status_code == 409


async def test_a_year_whose_december_has_not_come_cannot_be_closed(client, users):
    finance = await users.make("finance")
    next_year = dt.date.today().year + 1
    answer = await client.post(
        f"/api/public-property/years/{next_year}/close", json={"commune": AN_VIEN}, headers=finance
    )
    assert answer.status_code in (400, 422)
    assert "year" in answer.text


async def test_two_closings_at_once_write_the_year_once(client, users):
    finance = await users.make("finance")
    await fleet()
    url = "/api/public-property/years/2024/close"
    answers = await asyncio.gather(*[client.post(url, json={"commune": AN_VIEN}, headers=finance) for _ in range(2)])
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert await WearClosing.count().where(WearClosing.year == 2024) == 1
    assert await WearRecord.count().where(WearRecord.year == 2024) == 1


async def test_a_province_closes_every_commune_and_skips_those_already_closed(client, users):
    finance = await users.make("finance")
    await fleet()
    await client.post("/api/public-property/years/2024/close", json={"commune": AN_VIEN}, headers=finance)
    answer = await client.post("/api/public-property/years/2024/close", json={"province": "75"}, headers=finance)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert AN_VIEN in result["already_closed"] and OTHER_COMMUNE in result["closed"]
    assert result["devices"] == 1  # the other commune's desktop


async def test_the_accountant_reads_only_their_commune_and_cannot_close(client, users):
    accountant = await users.make("accountant", AN_VIEN)
    ids = await fleet()
    own = await client.get("/api/public-property/book", params={"year": 2024}, headers=accountant)
    assert own.status_code == 200 and own.json()["commune_code"] == AN_VIEN
    other = await client.get(
        "/api/public-property/book", params={"year": 2024, "commune": OTHER_COMMUNE}, headers=accountant
    )
    assert other.status_code == 404
    card = await client.get(f"/api/public-property/cards/{ids['elsewhere']}", headers=accountant)
    assert card.status_code == 404
    assert (await client.get(f"/api/public-property/cards/{ids['desktop']}", headers=accountant)).status_code == 200
    refused = await client.post("/api/public-property/years/2024/close", json={}, headers=accountant)
    assert refused.status_code == 403
    devices = (await client.get("/api/assets", headers=accountant)).json()
    listed = devices["items"] if isinstance(devices, dict) else devices
    assert {d["commune_code"] for d in listed} == {AN_VIEN}
    assert (
        await client.patch(f"/api/assets/{ids['desktop']}", json={"notes": "x"}, headers=accountant)
    ).status_code == 403


async def test_an_assessed_value_and_an_override_are_recorded_in_the_history(client, users):
    admin = await users.make("admin")
    ids = await fleet()
    card = (await client.get(f"/api/public-property/cards/{ids['reused']}", headers=admin)).json()
    assert card["kind"] == "unvalued"
    bad = await client.post(
        f"/api/public-property/assets/{ids['reused']}/valuation",
        json={"value_vnd": 12_000_000, "assessed_on": "2025-07-01", "basis": "  "},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["extra"][0]["key"] == "basis"
    valued = await client.post(
        f"/api/public-property/assets/{ids['reused']}/valuation",
        json={"value_vnd": 12_000_000, "assessed_on": "2025-07-01", "basis": "Giá mua mới máy tương đương"},
        headers=admin,
    )
    assert valued.status_code == 200, valued.text
    assert valued.json()["kind"] == "fixed_asset" and valued.json()["original_cost_vnd"] == 12_000_000
    assert valued.json()["years"][0]["year"] == 2025
    assert valued.json()["years"][0]["wear_vnd"] == expected_wear("laptop", 12_000_000, 2025)
    overridden = await client.post(
        f"/api/public-property/assets/{ids['desktop']}/classification",
        json={"kind": "tool", "reason": "Bộ phận của máy khác"},
        headers=admin,
    )
    assert overridden.status_code == 200 and overridden.json()["kind"] == "tool"
    history = (await client.get(f"/api/assets/{ids['desktop']}/history", headers=admin)).json()
    kinds = [e["kind"] for e in (history["items"] if isinstance(history, dict) else history)]
    assert "classification" in kinds
    book = (
        await client.get("/api/public-property/book", params={"year": 2025, "commune": AN_VIEN}, headers=admin)
    ).json()
    assert [r["asset_id"] for r in book["rows"]] == [ids["reused"]]


async def test_the_book_papers_carry_the_form_and_the_database_totals(client, users):
    finance = await users.make("finance")
    await fleet()
    second = await make_asset(category="laptop", acquired_on="2024-02-01", cost_vnd=22_500_000)
    params = {"year": 2025, "commune": AN_VIEN}
    await client.post("/api/public-property/years/2025/close", json={"commune": AN_VIEN}, headers=finance)
    records = await WearRecord.select().where(WearRecord.year == 2025)
    remaining = sum(r["remaining_vnd"] for r in records)
    accumulated = sum(r["accumulated_vnd"] for r in records)
    assert {r["asset"] for r in records} >= {second}

    pdf = await client.get("/api/public-property/book.pdf", params=params, headers=finance)
    assert pdf.status_code == 200 and pdf.headers["content-type"].startswith("application/pdf")
    text = pdf_text(pdf.content)
    assert "SỔ TÀI SẢN CỐ ĐỊNH" in text and "Xã An Viễn" in text and "S24-H" in text
    assert format_vnd(remaining).removesuffix(" đ") in text
    assert format_vnd(accumulated).removesuffix(" đ") in text

    workbook = await client.get("/api/public-property/book.xlsx", params=params, headers=finance)
    rows = xlsx_rows(workbook.content)
    header, body = rows[0], rows[1:]
    assert header[header.index("Giá trị còn lại")] == "Giá trị còn lại"
    assert sum(r[header.index("Giá trị còn lại")] for r in body) == remaining
    assert sorted(r[header.index("Nguyên giá")] for r in body) == sorted(r["original_cost_vnd"] for r in records)

    summary = await client.get("/api/public-property/summary.xlsx", params=params, headers=finance)
    rows = xlsx_rows(summary.content)
    header, body = rows[0], rows[1:]
    by_category = {r[header.index("Loại tài sản")]: r for r in body}
    assert by_category["Máy tính xách tay"][header.index("Số lượng")] == 1
    assert sum(r[header.index("Hao mòn lũy kế")] for r in body) == accumulated

    summary_pdf = await client.get("/api/public-property/summary.pdf", params=params, headers=finance)
    assert "BÁO CÁO TỔNG HỢP TÀI SẢN CỐ ĐỊNH" in pdf_text(summary_pdf.content)
    assert format_vnd(remaining).removesuffix(" đ") in pdf_text(summary_pdf.content)


async def test_the_asset_card_shows_the_history_of_value(client, users):
    admin = await users.make("admin")
    ids = await fleet()
    await client.patch(f"/api/assets/{ids['desktop']}", json={"cost_vnd": 16_000_000}, headers=admin)
    card = await client.get(f"/api/public-property/cards/{ids['desktop']}/pdf", headers=admin)
    assert card.status_code == 200
    text = pdf_text(card.content)
    assert "THẺ TÀI SẢN CỐ ĐỊNH" in text and "Máy tính để bàn" in text
    assert "Nguyên giá: 15.000.000 thành 16.000.000" in text.replace("\n", " ")  # the history of value


async def test_stocktake_minutes_compare_books_and_count(client, users):
    staff = await users.make("staff", AN_VIEN)
    accountant = await users.make("accountant", AN_VIEN)
    ids = await fleet()
    from models.tables import Asset

    tags = {k: (await Asset.select(Asset.tag).where(Asset.id == v).first())["tag"] for k, v in ids.items()}
    stocktake = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    url = f"/api/stocktakes/{stocktake['id']}"
    early = await client.post(
        f"/api/public-property/stocktakes/{stocktake['id']}/minutes", json={"members": [{"name": "A"}]}, headers=staff
    )
    assert early.status_code == 409
    actions = [
        {"client_event_id": uuid.uuid4().hex, "kind": "confirm", "tag": tags["desktop"], "condition": "poor"},
        {"client_event_id": uuid.uuid4().hex, "kind": "confirm", "tag": tags["printer"]},
        {"client_event_id": uuid.uuid4().hex, "kind": "found", "description": "Máy in Canon không nhãn"},
    ]
    assert (await client.post(f"{url}/sync", json={"actions": actions}, headers=staff)).status_code == 200
    assert (await client.post(f"{url}/finish", headers=staff)).status_code == 200
    members = [
        {"name": "Nguyễn Văn Bình", "position": "Phó Chủ tịch UBND xã", "role": "Trưởng ban"},
        {"name": "Trần Thị Hằng", "position": "Kế toán", "role": "Ủy viên"},
    ]
    minutes_url = f"/api/public-property/stocktakes/{stocktake['id']}/minutes"
    pdf = await client.post(minutes_url, json={"members": members}, headers=accountant)
    assert pdf.status_code == 200, pdf.text
    text = pdf_text(pdf.content)
    assert "BIÊN BẢN KIỂM KÊ TÀI SẢN CỐ ĐỊNH" in text and "C53-HD" in text
    assert "Nguyễn Văn Bình" in text and "Phó Chủ tịch UBND xã" in text and "TRƯỞNG BAN KIỂM KÊ" in text
    workbook = await client.post(minutes_url, json={"members": members, "format": "xlsx"}, headers=accountant)
    rows = xlsx_rows(workbook.content)
    header, body = rows[0], rows[1:]
    diff = {
        r[header.index("Mã số")] or r[header.index("Tên tài sản")]: r[header.index("Chênh lệch: số lượng")]
        for r in body
    }
    assert diff[tags["desktop"]] == 0 and diff[tags["printer"]] == 0
    assert diff[tags["reused"]] == -1  # on the books, not counted
    assert diff["Máy in Canon không nhãn"] == 1  # counted, not on the books
    assert tags["elsewhere"] not in diff
    outsider = await users.make("accountant", OTHER_COMMUNE)
    assert (await client.post(minutes_url, json={"members": members}, headers=outsider)).status_code == 404


async def test_the_cli_closes_a_year_and_prints_a_provinces_papers(clean, tmp_path):
    from tests.app.api.test_cli import cli

    await fleet()
    closed = cli("public-property", "close", "--year", "2024", "--commune", AN_VIEN)
    assert closed.returncode == 0, closed.stderr
    assert "khóa sổ 1 xã, 1 tài sản" in closed.stdout
    again = cli("public-property", "close", "--year", "2024", "--commune", AN_VIEN)
    assert again.returncode != 0 and "đã khóa sổ" in again.stderr
    printed = cli(
        "public-property", "papers", "--year", "2024", "--province", "75", "--out", str(tmp_path), "--no-xlsx"
    )
    assert printed.returncode == 0, printed.stderr
    assert len(list(tmp_path.glob("so-tscd-*-2024.pdf"))) == 95
    (record,) = await WearRecord.select().where(WearRecord.year == 2024)
    text = pdf_text((tmp_path / f"so-tscd-{AN_VIEN}-2024.pdf").read_bytes())
    assert "Đã khóa sổ" in text and money_text(record["remaining_vnd"]) in text
    summary = xlsx_rows((tmp_path / "tong-hop-tscd-75-2024.xlsx").read_bytes())
    header = summary[0]
    assert sum(r[header.index("Số lượng")] for r in summary[1:]) == 2  # An Viễn's and the other commune's desktops


def money_text(value: int) -> str:
    return format_vnd(value).removesuffix(" đ")
