"""Spreadsheet import: template round trip, all-or-nothing commit with row errors,
encodings, limits, commune scoping, concurrent imports."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import unicodedata

import pytest
import xlsxwriter

from labels.tags import display_tag, new_tag
from models.tables import Asset, AssetEvent
from procurement.core.actor import Actor
from procurement.core.clock import today_vn
from procurement.core.errors import DomainError
from procurement.register import importing
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, asset_payload, make_asset

HEADERS = [
    "Mã tài sản",
    "Loại thiết bị",
    "Mã xã",
    "Hãng sản xuất",
    "Model",
    "Số serial",
    "Ngày mua",
    "Nguyên giá (VND)",
    "Tình trạng",
]


def xlsx(rows: list[list], headers: list[str] = HEADERS, dates: set[int] = frozenset()) -> bytes:
    """An XLSX written by hand (xlsxwriter), like a commune's own sheet; real dates in ``dates`` columns."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("Sheet1")
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), day)
            else:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed where the code page has it, tone marks combining."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        while marks:
            composed = unicodedata.normalize("NFC", base + marks[0])
            try:
                composed.encode("cp1258")
            except UnicodeEncodeError:
                break
            base, marks = composed, marks[1:]
        out += (base + "".join(marks)).encode("cp1258")
    return out


def twenty_rows() -> list[list]:
    return [
        [
            None,
            "Máy tính để bàn",
            AN_VIEN,
            "Dell",
            "OptiPlex 3080",
            f"SN-IMP-{i:03d}",
            dt.date(2019, 3, 1 + i),
            15_000_000 + i,
            "Tốt",
        ]
        for i in range(20)
    ]


@pytest.fixture
async def admin(users):
    await users.make("admin", username="importer-admin")
    from models.tables import AppUser

    row = await AppUser.select(AppUser.id).where(AppUser.username == "importer-admin").first()
    return Actor(user_id=row["id"], username="importer-admin", role="admin")


async def _staff(users, commune: str, name: str) -> Actor:
    from models.tables import AppUser, Commune

    await users.make("staff", commune, username=name)
    row = await AppUser.select(AppUser.id).where(AppUser.username == name).first()
    c = await Commune.select(Commune.id).where(Commune.code == commune).first()
    return Actor(user_id=row["id"], username=name, role="staff", commune_id=c["id"], commune_code=commune)


async def test_one_bad_row_in_twenty_imports_nothing_and_names_row_column_and_reason(admin):
    rows = twenty_rows()
    rows[13][7] = -500_000  # Excel row 15: negative cost
    content = xlsx(rows, dates={6})
    report = await importing.dry_run(admin, content, "kiem-ke.xlsx")
    assert report.rows == 20 and report.error_count == 1
    [issue] = report.errors
    assert (issue.row, issue.column, issue.cell) == (15, "Nguyên giá (VND)", "H15")
    assert "âm" in issue.message
    assert report.create == 19  # what the good rows would do
    with pytest.raises(importing.ImportRejected) as rejected:
        await importing.commit(admin, content, "kiem-ke.xlsx")
    assert rejected.value.report.errors[0].row == 15
    assert await Asset.count() == 0 and await AssetEvent.count() == 0

    rows[13][7] = 500_000
    report = await importing.commit(admin, xlsx(rows), "kiem-ke.xlsx")
    assert report.committed and report.create == 20
    stored = await Asset.select(Asset.serial, Asset.cost_vnd, Asset.acquired_on).order_by(Asset.serial)
    assert [(r["serial"], r["cost_vnd"], r["acquired_on"]) for r in stored] == sorted(
        (row[5], row[7], row[6]) for row in rows
    )
    events = await AssetEvent.select(AssetEvent.kind, AssetEvent.note)
    assert len(events) == 20 and {e["kind"] for e in events} == {"imported"}
    assert all("kiem-ke.xlsx" in e["note"] for e in events)


async def test_each_reason_is_reported_in_vietnamese(admin):
    await make_asset(serial="SN-TAKEN", commune_code=AN_VIEN)
    bad_tag = new_tag()
    bad_tag = bad_tag[:-1] + ("0" if bad_tag[-1] != "0" else "1")  # wrong check character
    future = today_vn() + dt.timedelta(days=40)
    rows = [
        [None, "Máy tính để bàn", "99999", "Dell", "", "A1", "2019", "1.000.000", "Tốt"],  # unknown commune
        [None, "Máy pha cà phê", AN_VIEN, "", "", "A2", "2019", "", "Tốt"],  # unknown category
        [None, "printer", AN_VIEN, "", "", "A3", future.strftime("%d/%m/%Y"), "", "Tốt"],  # future date
        [None, "printer", AN_VIEN, "", "", "A4", "2019", "-2.000.000", "Tốt"],  # negative cost
        [display_tag(bad_tag), "printer", AN_VIEN, "", "", "A5", "2019", "", "Tốt"],  # bad check character
        [None, "scanner", AN_VIEN, "", "", "A6", "2019", "", "Tốt"],
        [None, "scanner", AN_VIEN, "", "", "A6", "2019", "", "Tốt"],  # duplicate serial in the sheet
        [display_tag(new_tag()), "scanner", AN_VIEN, "", "", "SN-TAKEN", "2019", "", "Tốt"],  # serial of another device
        [None, "scanner", AN_VIEN, "", "", "A9", "31/02/2019", "", "Tốt"],  # no such day
    ]
    report = await importing.dry_run(admin, xlsx(rows), "x.xlsx")
    found = {(i.row, i.column): i.message for i in report.errors}
    assert "Không có xã/phường mã 99999" in found[(2, "Mã xã")]
    assert "Không có loại thiết bị" in found[(3, "Loại thiết bị")]
    assert "tương lai" in found[(4, "Ngày mua")]
    assert "âm" in found[(5, "Nguyên giá (VND)")]
    assert "kiểm tra" in found[(6, "Mã tài sản")]
    assert "trùng với dòng 7" in found[(8, "Số serial")]
    assert "đã thuộc thiết bị" in found[(9, "Số serial")]
    assert "không có thật" in found[(10, "Ngày mua")]
    assert report.error_count == 8


async def test_headers_without_diacritics_dates_and_money_in_every_form(admin):
    headers = ["loai thiet bi", "MA XA", "So Serial", "ngay mua", "Nguyen gia", "Nguon goc"]
    rows = [
        ["may tinh de ban", AN_VIEN, "F1", dt.date(2020, 5, 17), 12000000, "Mua sắm"],
        ["Máy in", AN_VIEN, "F2", "17/05/2020", "12.000.000", "mua"],
        ["máy quét", AN_VIEN, "F3", 2014, "12,000,000 đ", "tiep nhan"],
        ["ups", AN_VIEN, "F4", "2014", "12 000 000 VND", "Tiếp nhận từ đơn vị sáp nhập"],
    ]
    report = await importing.commit(admin, xlsx(rows, headers), "khong-dau.xlsx")
    assert report.errors == [] and report.create == 4
    stored = {
        r["serial"]: r
        for r in await Asset.select(
            Asset.serial,
            Asset.acquired_on,
            Asset.acquired_year,
            Asset.cost_vnd,
            Asset.acquisition,
            Asset.category.code.as_alias("category"),
        )
    }
    assert stored["F1"]["acquired_on"] == stored["F2"]["acquired_on"] == dt.date(2020, 5, 17)
    assert stored["F3"]["acquired_on"] is None and stored["F3"]["acquired_year"] == 2014
    assert stored["F4"]["acquired_year"] == 2014
    assert {r["cost_vnd"] for r in stored.values()} == {12_000_000}
    assert [stored[s]["category"] for s in ("F1", "F2", "F3", "F4")] == ["desktop", "printer", "scanner", "ups"]
    assert stored["F3"]["acquisition"] == "reused"


@pytest.mark.parametrize("encode", ["utf-8-sig", "cp1258", "utf-8"])
async def test_a_vietnamese_csv_is_read_in_utf8_with_bom_or_windows_1258(admin, encode):
    text = (
        "Loại thiết bị;Mã xã;Số serial;Người sử dụng;Ngày mua\n"
        f"Máy tính xách tay;{AN_VIEN};CSV-1;Nguyễn Thị Hường;01/02/2021\n"
    )
    content = to_cp1258(text) if encode == "cp1258" else text.encode(encode)
    report = await importing.commit(admin, content, "tu-excel.csv")
    assert report.create == 1, report.errors
    row = await Asset.select(Asset.assigned_to, Asset.search_text).first()
    assert row["assigned_to"] == unicodedata.normalize("NFC", "Nguyễn Thị Hường")
    assert "nguyen thi huong" in row["search_text"]


async def test_an_undecodable_or_binary_csv_is_refused_clearly(admin):
    with pytest.raises(DomainError, match="bảng mã"):
        await importing.dry_run(admin, "Loại thiết bị,Mã xã\n".encode() + b"\x81\x8d\x8f\x90\n", "x.csv")
    with pytest.raises(DomainError, match="UTF-16"):
        await importing.dry_run(admin, "Loại,Mã xã\n".encode("utf-16"), "x.csv")


async def test_export_then_import_creates_and_changes_nothing(admin):
    await make_asset(
        serial="RT-1",
        acquired_on=None,
        acquired_year=2012,
        acquisition="reused",
        cost_vnd=None,
        notes="máy cũ, chạy chậm",
    )
    await make_asset(serial=None, category="printer", assigned_to="Trần Văn Bình", antimalware_installed=None)
    await make_asset(
        serial="RT-3",
        category="laptop",
        os_name="Windows 10",
        os_supported=True,
        antimalware_installed=False,
        location="service_point",
    )
    before = await Asset.select().order_by(Asset.id)
    events = await AssetEvent.count()
    for content, name in (
        (await importing.export_xlsx_bytes(admin), "thiet-bi.xlsx"),
        (await importing.export_csv_bytes(admin), "thiet-bi.csv"),
    ):
        report = await importing.commit(admin, content, name)
        assert (report.rows, report.create, report.update, report.unchanged) == (3, 0, 0, 3), report
    assert await Asset.select().order_by(Asset.id) == before
    assert await AssetEvent.count() == events


async def test_importing_the_same_file_twice_creates_nothing_new_and_a_changed_cell_updates(admin):
    rows = twenty_rows()
    content = xlsx(rows)
    first = await importing.commit(admin, content, "a.xlsx")
    second = await importing.commit(admin, content, "a.xlsx")
    assert (first.create, second.create, second.unchanged) == (20, 0, 20)
    assert await Asset.count() == 20
    rows[0][8] = "Hỏng"  # matched by serial (no tag column values)
    third = await importing.commit(admin, xlsx(rows), "a.xlsx")
    assert (third.create, third.update, third.unchanged) == (0, 1, 19)
    changed = await Asset.select(Asset.id, Asset.condition).where(Asset.serial == rows[0][5]).first()
    assert changed["condition"] == "broken"
    event = (
        await AssetEvent.select(AssetEvent.changes)
        .where(AssetEvent.asset == changed["id"])
        .order_by(AssetEvent.id, ascending=False)
        .first()
    )
    changes = event["changes"] if isinstance(event["changes"], dict) else json.loads(event["changes"])
    assert changes == {"condition": {"before": "good", "after": "broken"}}


async def test_staff_import_only_into_their_own_commune(users):
    staff = await _staff(users, AN_VIEN, "lan-import")
    other = await make_asset(commune_code=OTHER_COMMUNE, serial="OTHER-1")
    other_tag = (await Asset.select(Asset.tag).where(Asset.id == other).first())["tag"]
    headers = ["Mã tài sản", "Loại thiết bị", "Mã xã", "Số serial"]
    rows = [
        [None, "Máy in", None, "OWN-1"],  # empty commune: their own
        [None, "Máy in", OTHER_COMMUNE, "OWN-2"],
        [display_tag(other_tag), "Máy in", None, "OWN-3"],
    ]
    report = await importing.dry_run(staff, xlsx(rows, headers), "x.xlsx")
    found = {(i.row, i.column): i.message for i in report.errors}
    assert "xã mình" in found[(3, "Mã xã")]
    assert found[(4, "Mã tài sản")] == "Mã tài sản đã được dùng cho thiết bị khác."
    report = await importing.commit(staff, xlsx(rows[:1], headers), "x.xlsx")
    assert report.create == 1
    row = await Asset.select(Asset.commune.code.as_alias("code")).where(Asset.serial == "OWN-1").first()
    assert row["code"] == AN_VIEN


async def test_concurrent_imports_of_the_same_sheet_create_each_device_once(admin):
    content = xlsx(twenty_rows())
    results = await asyncio.gather(
        *[importing.commit(admin, content, f"song-song-{i}.xlsx") for i in range(3)], return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.create for r in results) == [0, 0, 20]
    assert await Asset.count() == 20
    assert await AssetEvent.count() == 20


async def test_limits_and_broken_files(admin, monkeypatch):
    with pytest.raises(importing.FileTooLarge):
        await importing.dry_run(admin, b"x" * (importing.MAX_IMPORT_BYTES + 1), "big.csv")
    monkeypatch.setattr(importing, "MAX_IMPORT_ROWS", 5)
    with pytest.raises(importing.FileTooLarge, match="tối đa 5 dòng"):
        await importing.dry_run(admin, xlsx(twenty_rows()), "many.xlsx")
    with pytest.raises(DomainError, match="hỏng"):
        await importing.dry_run(admin, b"PK\x03\x04 not really a zip", "broken.xlsx")
    with pytest.raises(DomainError, match="tiêu đề"):
        await importing.dry_run(admin, b"a,b,c\n1,2,3\n", "nohead.csv")


async def test_api_dry_run_commit_and_errors_are_4xx(client, users):
    headers = await users.make("staff", AN_VIEN)
    content = xlsx(twenty_rows())
    files = {"file": ("kiem-ke.xlsx", content, "application/octet-stream")}
    answer = await client.post("/api/import/dry-run", files=files, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["create"] == 20 and answer.json()["errors"] == []
    assert await Asset.count() == 0

    rows = twenty_rows()
    rows[4][6] = "hôm qua"
    answer = await client.post(
        "/api/import/commit", files={"file": ("x.xlsx", xlsx(rows), "application/octet-stream")}, headers=headers
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["extra"][0]["key"] == "row 6: Ngày mua" and "Dòng 6, cột Ngày mua" in body["extra"][0]["message"]

    answer = await client.post("/api/import/commit", files=files, headers=headers)
    assert answer.status_code == 200 and answer.json()["committed"] and await Asset.count() == 20

    broken = await client.post(
        "/api/import/dry-run",
        files={"file": ("x.xlsx", b"PK\x03\x04garbage", "application/octet-stream")},
        headers=headers,
    )
    assert broken.status_code == 422 and "Excel" in broken.json()["detail"]
    huge = await client.post(
        "/api/import/dry-run",
        files={"file": ("x.csv", b"a" * (importing.MAX_IMPORT_BYTES + 10), "text/csv")},
        headers=headers,
    )
    assert huge.status_code == 413 and "quá lớn" in huge.json()["detail"]
    larger = await client.post(
        "/api/import/dry-run",
        files={"file": ("x.csv", b"a" * (importing.MAX_IMPORT_BYTES + 2 * 1024 * 1024), "text/csv")},
        headers=headers,
    )
    assert larger.status_code == 413 and "quá lớn" in larger.json()["detail"]
    no_file = await client.post("/api/import/dry-run", headers=headers)
    assert 400 <= no_file.status_code < 500


async def test_api_export_and_template(client, users):
    await make_asset(commune_code=AN_VIEN, serial="MINE")
    await make_asset(commune_code=OTHER_COMMUNE, serial="THEIRS")
    headers = await users.make("staff", AN_VIEN)
    answer = await client.get("/api/assets/export?format=csv", headers=headers)
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    text = answer.content.decode("utf-8-sig")
    assert "MINE" in text and "THEIRS" not in text  # staff export only their commune
    assert text.splitlines()[0].split(",")[:3] == ["Mã tài sản", "Loại thiết bị", "Mã xã"]
    answer = await client.get("/api/assets/export", headers=headers)
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    template = await client.get("/api/import/template", headers=headers)
    assert template.status_code == 200
    import fastexcel

    reader = fastexcel.read_excel(template.content)
    assert reader.sheet_names == ["Thiết bị", "Hướng dẫn"]
    assert reader.load_sheet(0, header_row=1).to_polars().columns[:2] == [
        "Mã tài sản",
        "Loại thiết bị",
    ]  # row 1: the title
    # The empty template imports as a file with no rows.
    report = await client.post(
        "/api/import/dry-run",
        files={"file": ("mau.xlsx", template.content, "application/octet-stream")},
        headers=headers,
    )
    assert report.status_code == 200 and report.json()["rows"] == 0


async def test_export_takes_the_age_filters_of_the_list(client, users):
    """The export of a filtered list holds exactly the devices the list shows."""
    today = today_vn()
    for years in (1, 3, 6, 9, 12):
        await make_asset(
            serial=f"AGE-{years}", acquired_on=(today - dt.timedelta(days=int(years * 365.25) + 20)).isoformat()
        )
    await make_asset(serial="AGE-UNKNOWN", acquired_on=None, acquired_year=None)
    headers = await users.make("admin")
    for query in ("min_age_years=5", "max_age_years=4", "min_age_years=3&max_age_years=8", ""):
        listed = (await client.get(f"/api/assets?limit=100&{query}", headers=headers)).json()["items"]
        answer = await client.get(f"/api/assets/export?format=csv&{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        exported = {row[rows[0].index("Số serial")] for row in rows[1:]}
        assert exported == {a["serial"] for a in listed}, query
    narrowed = (await client.get("/api/assets/export?format=csv&min_age_years=5", headers=headers)).content.decode(
        "utf-8-sig"
    )
    assert "AGE-6" in narrowed and "AGE-12" in narrowed and "AGE-3" not in narrowed and "AGE-UNKNOWN" not in narrowed
    refused = await client.get("/api/assets/export?format=csv&min_age_years=-1", headers=headers)
    assert refused.status_code == 400 and refused.json()["extra"][0]["key"] == "min_age_years"


def _draws_first(monkeypatch, *tags: str) -> None:
    """Make the tag generator draw ``tags`` first, then random ones as usual."""
    from labels.tags import new_tag
    from procurement.register import new_device

    queue = list(tags)
    monkeypatch.setattr(new_device, "new_tag", lambda: queue.pop(0) if queue else new_tag())


async def test_generated_tags_are_drawn_against_the_stored_devices(admin, client, users, monkeypatch):
    """A tag drawn for a row without one that is already on a stored device is drawn
    again: the import, registration and delivery never break the unique constraint."""
    stored_id = await make_asset()
    stored_tag = (await Asset.select(Asset.tag).where(Asset.id == stored_id).first())["tag"]

    _draws_first(monkeypatch, stored_tag, stored_tag)
    report = await importing.commit(admin, xlsx(twenty_rows()[:2]), "khong-ma.xlsx")
    assert report.committed and report.create == 2
    tags = [r["tag"] for r in await Asset.select(Asset.tag)]
    assert len(tags) == 3 == len(set(tags))

    _draws_first(monkeypatch, stored_tag)
    headers = await users.make("admin")
    response = await client.post("/api/assets", json=asset_payload(), headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["tag"] != stored_tag
    assert await Asset.count() == 4


async def test_a_sheet_bomb_is_refused_before_its_cells_are_read(client, users, monkeypatch):
    from tests.support.sheet_bomb import sheet_xlsx

    def must_not_read(*args, **kwargs):
        raise AssertionError("the cells were read")

    monkeypatch.setattr(importing.fastexcel, "read_excel", must_not_read)
    headers = await users.make("admin")
    for bomb in (sheet_xlsx(1_000_000, numbered=False), sheet_xlsx(120_000, dimension=False)):
        for route in ("/api/import/dry-run", "/api/import/commit"):
            files = {"file": ("bom.xlsx", bomb, "application/octet-stream")}
            answer = await client.post(route, files=files, headers=headers)
            assert answer.status_code == 413, answer.text
            assert answer.json()["extra"][0]["key"] == "file"
            assert "tối đa" in answer.json()["detail"]
    assert await Asset.count() == 0


async def test_a_device_in_transit_is_neither_imported_nor_changed_by_a_sheet(admin):
    """ "Đang điều chuyển" comes only from a transfer decision and ends only when the receiver
    confirms the arrival: a sheet may neither set it nor change a device that is in transit."""
    headers = [*HEADERS, "Trạng thái"]
    moving = await make_asset(serial="SN-MOVING")
    await Asset.update({Asset.status: "in_transit"}).where(Asset.id == moving)
    moving_tag = (await Asset.select(Asset.tag).where(Asset.id == moving).first())["tag"]
    rows = [
        [None, "printer", AN_VIEN, "HP", "", "SN-NEW-TRANSIT", "2019", "", "Tốt", "Đang điều chuyển"],
        [display_tag(moving_tag), "Máy tính để bàn", AN_VIEN, "Dell", "", "SN-MOVING", "2019", "", "Kém", ""],
    ]
    report = await importing.dry_run(admin, xlsx(rows, headers=headers), "x.xlsx")
    found = {(i.row, i.column, i.cell): i.message for i in report.errors}
    assert report.error_count == 2, report.errors
    assert "điều chuyển" in found[(2, "Trạng thái", "J2")]
    assert "xã nhận xác nhận" in found[(3, "Trạng thái", "J3")]
    with pytest.raises(importing.ImportRejected):
        await importing.commit(admin, xlsx(rows, headers=headers), "x.xlsx")
    assert await Asset.count().where(Asset.serial == "SN-NEW-TRANSIT") == 0
    stored = await Asset.select(Asset.status, Asset.condition).where(Asset.id == moving).first()
    assert stored == {"status": "in_transit", "condition": "good"}
