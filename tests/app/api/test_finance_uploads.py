"""Finance data in from Excel: allocations of a line and payments of a treasury statement,
as CSV and XLSX, with a dry run that lists every wrong row (row, column, reason in
Vietnamese) and an all-or-nothing commit that applies the single-entry rules to the
whole batch, counted together (line and contract ceilings, vouchers, dates)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid

import openpyxl
import pytest
import xlsxwriter

from models.procurement import Allocation, Payment
from models.tables import Commune
from tests.app.api.test_budget import API, contract_body, line_body, make_chain, post
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE

ALLOCATION_HEADERS = ["Mã xã", "Tên xã", "Số tiền (đồng)", "Ghi chú"]
PAYMENT_HEADERS = ["Số hợp đồng", "Số chứng từ", "Ngày thanh toán", "Số tiền (đồng)", "Ghi chú"]


@pytest.fixture
async def finance(users):
    return await users.make("finance")


def csv_file(headers: list[str], rows: list[list[str]]) -> bytes:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value

    lines = [",".join(cell(v) for v in headers)] + [",".join(cell(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_file(headers: list[str], rows: list[list[str]]) -> bytes:
    """A workbook as finance staff make it: a title row, the headers, every cell typed as text."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("Dữ liệu")
    sheet.write_string(0, 0, "Bảng kê tải lên")
    sheet.write_row(1, 0, headers)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if value != "":
                sheet.write_string(r, c, value)
    workbook.close()
    return out.getvalue()


def sheet(fmt: str, headers: list[str], rows: list[list[str]]) -> tuple[str, bytes]:
    return (f"tai-len.{fmt}", csv_file(headers, rows) if fmt == "csv" else xlsx_file(headers, rows))


async def upload(client, headers, path: str, file: tuple[str, bytes], expect: int, **fields) -> dict:
    answer = await client.post(f"{API}{path}", files={"file": file}, data=fields, headers=headers)
    assert answer.status_code == expect, answer.text
    return answer.json()


def first_row(fmt: str) -> int:
    """Row number of the first data row: below the header (CSV) or the title and header (XLSX)."""
    return 2 if fmt == "csv" else 3


async def _other_province_commune() -> str:
    row = await Commune.select(Commune.code).where(Commune.province.code != "75").first()
    return row["code"]


async def _dong_nai_communes(count: int) -> list[str]:
    rows = (
        await Commune.select(Commune.code)
        .where(Commune.province.code == "75", Commune.code.not_in([AN_VIEN]))
        .order_by(Commune.code)
        .limit(count)
    )
    return [r["code"] for r in rows]


async def _allocations(line_id: int) -> dict[str, int]:
    rows = await Allocation.select(Allocation.commune.code.as_alias("code"), Allocation.amount_vnd).where(
        Allocation.line == line_id
    )
    return {r["code"]: r["amount_vnd"] for r in rows}


# --- allocations ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_good_allocation_file_is_checked_then_committed_exactly(client, finance, fmt):
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000_000), 201)
    file = sheet(fmt, ALLOCATION_HEADERS, [[AN_VIEN, "", "150.000.000", "đợt 1"], ["26299", "", "250000000 đ", ""]])
    path = f"/lines/{line['id']}/allocations/upload"

    report = await upload(client, finance, path, file, 200)  # dry run by default
    assert (report["valid"], report["total_vnd"], report["error_count"], report["committed"]) == (
        2,
        400_000_000,
        0,
        False,
    )
    assert report["limit"] is None
    assert await _allocations(line["id"]) == {}

    done = await upload(client, finance, path, file, 200, dry_run="false")
    assert (done["committed"], done["written"]) == (True, 2)
    assert await _allocations(line["id"]) == {AN_VIEN: 150_000_000, OTHER_COMMUNE: 250_000_000}
    fetched = (await client.get(f"{API}/lines/{line['id']}", headers=finance)).json()
    assert fetched["remaining_vnd"] == 600_000_000
    notes = await Allocation.select(Allocation.note).where(Allocation.line == line["id"]).order_by(Allocation.id)
    assert notes[0]["note"].startswith("đợt 1 (Tải lên từ tệp tai-len.")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_every_wrong_allocation_row_is_reported_and_nothing_is_written(client, finance, fmt):
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000_000), 201)
    elsewhere = await _other_province_commune()
    a, b, c = await _dong_nai_communes(3)
    rows = [
        [AN_VIEN, "", "1.000.000", ""],  # good
        ["99999", "", "1.000.000", ""],  # no such commune
        [elsewhere, "", "1.000.000", ""],  # another province
        [AN_VIEN, "", "2.000.000", ""],  # twice
        [a, "", "1,5", ""],  # not whole dong
        [b, "", "0", ""],  # zero
        ["", "", "5.000.000", ""],  # no commune
        [c, "", "", "ghi chú mà không có tiền"],  # no amount
    ]
    start = first_row(fmt)
    path = f"/lines/{line['id']}/allocations/upload"
    report = await upload(client, finance, path, sheet(fmt, ALLOCATION_HEADERS, rows), 200)
    found = {(e["row"] - start, e["column"]): e["message"] for e in report["errors"]}
    assert set(found) == {
        (1, "Mã xã"),
        (2, "Mã xã"),
        (3, "Mã xã"),
        (4, "Số tiền (đồng)"),
        (5, "Số tiền (đồng)"),
        (6, "Mã xã"),
        (7, "Số tiền (đồng)"),
    }, report["errors"]
    assert "Không có xã/phường mã 99999" in found[(1, "Mã xã")]
    assert "không thuộc tỉnh của dòng ngân sách" in found[(2, "Mã xã")]
    assert f"trùng với dòng {start}" in found[(3, "Mã xã")]
    assert "phần lẻ" in found[(4, "Số tiền (đồng)")]
    assert "lớn hơn 0" in found[(5, "Số tiền (đồng)")]
    assert found[(6, "Mã xã")] == "Thiếu mã xã."
    assert found[(7, "Số tiền (đồng)")] == "Thiếu số tiền."
    assert report["errors"][0]["cell"] == f"A{start + 1}"
    assert report["error_count"] == 7 and report["valid"] == 1

    refused = await upload(client, finance, path, sheet(fmt, ALLOCATION_HEADERS, rows), 422, dry_run="false")
    assert len(refused["extra"]) == 7 and all(i["code"] == "invalid_row" for i in refused["extra"])
    assert refused["extra"][0]["key"] == f"row {start + 1}: Mã xã"
    assert await _allocations(line["id"]) == {}


async def test_a_batch_one_dong_over_the_line_is_refused_whole_and_the_exact_rest_accepted(client, finance):
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000), 201)
    # 600,000 already charged straight on the line (central purchasing).
    await post(
        client,
        finance,
        "/contracts",
        {
            "line_id": line["id"],
            "supplier": {"name": "Công ty TNHH Tin học Đồng Nai", "tax_code": "3600123456"},
            "number": "HĐ-TT-1",
            "signed_on": "2025-09-15",
            "items": [{"category": "desktop", "quantity": 1, "unit_price_vnd": 600_000}],
        },
        201,
    )
    path = f"/lines/{line['id']}/allocations/upload"
    over = sheet("csv", ALLOCATION_HEADERS, [[AN_VIEN, "", "200.000", ""], ["26299", "", "200.001", ""]])

    report = await upload(client, finance, path, over, 200)
    assert report["error_count"] == 0
    limit = report["limit"]
    assert (limit["limit"], limit["limit_vnd"], limit["requested_vnd"], limit["over_by_vnd"]) == (
        "line_remaining",
        400_000,
        400_001,
        1,
    )
    refused = await upload(client, finance, path, over, 409, dry_run="false")
    (item,) = refused["extra"]
    assert (item["limit"], item["limit_vnd"], item["requested_vnd"], item["over_by_vnd"]) == (
        "line_remaining",
        400_000,
        400_001,
        1,
    )
    assert "vượt" in refused["detail"] and "1 đ" in refused["detail"]
    assert await _allocations(line["id"]) == {}

    exact = sheet("xlsx", ALLOCATION_HEADERS, [[AN_VIEN, "", "200.000", ""], ["26299", "", "200.000", ""]])
    done = await upload(client, finance, path, exact, 200, dry_run="false")
    assert done["written"] == 2
    assert (await client.get(f"{API}/lines/{line['id']}", headers=finance)).json()["remaining_vnd"] == 0


async def test_racing_allocation_uploads_never_pass_the_line(client, finance):
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000), 201)
    path = f"/lines/{line['id']}/allocations/upload"

    async def attempt(code: str):
        file = sheet("csv", ALLOCATION_HEADERS, [[code, "", "600.000", ""]])
        return await client.post(f"{API}{path}", files={"file": file}, data={"dry_run": "false"}, headers=finance)

    answers = await asyncio.gather(*(attempt(code) for code in [AN_VIEN, "26299", AN_VIEN, "26299"]))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    assert sum((await _allocations(line["id"])).values()) == 600_000


async def test_the_allocation_template_lists_the_province_and_comes_back_in(client, finance):
    line = await post(client, finance, "/lines", line_body(amount_vnd=1_000_000_000), 201)
    answer = await client.get(f"{API}/lines/{line['id']}/allocations/template", headers=finance)
    assert answer.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(answer.content))
    data = workbook.worksheets[0]
    assert "phân bổ" in str(data["A1"].value).lower()
    assert [c.value for c in data[2]] == ALLOCATION_HEADERS
    codes = [r[0] for r in data.iter_rows(min_row=3, values_only=True)]
    assert AN_VIEN in codes and len(codes) == await Commune.count().where(Commune.province.code == "75")
    assert data.column_dimensions["C"].number_format == '#,##0 "đ"'  # the amounts to fill in
    # Fill one commune's amount; the others stay blank and are left out.
    row = codes.index(AN_VIEN) + 3
    data.cell(row=row, column=3, value=123_456_789)
    out = io.BytesIO()
    workbook.save(out)
    report = await upload(client, finance, f"/lines/{line['id']}/allocations/upload", ("mau.xlsx", out.getvalue()), 200)
    assert (report["valid"], report["total_vnd"], report["skipped"]) == (1, 123_456_789, len(codes) - 1)
    payments = await client.get(f"{API}/payments/template", headers=finance)
    assert [c.value for c in openpyxl.load_workbook(io.BytesIO(payments.content)).worksheets[0][2]] == PAYMENT_HEADERS


# --- payments ------------------------------------------------------------------------------


async def _contract(client, finance, value: int = 100_000_000) -> dict:
    _, allocation = await make_chain(client, finance)
    return await post(
        client, finance, "/contracts", contract_body(allocation["id"], unit_price=value // 10, quantity=10), 201
    )


async def _paid(contract_id: int) -> list[tuple[str, int]]:
    rows = (
        await Payment.select(Payment.voucher_number, Payment.amount_vnd)
        .where(Payment.contract == contract_id)
        .order_by(Payment.id)
    )
    return [(r["voucher_number"], r["amount_vnd"]) for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_good_payment_file_commits_exactly(client, finance, fmt):
    first, second = await _contract(client, finance), await _contract(client, finance)
    rows = [
        [first["number"], "KB-001", "01/10/2025", "40.000.000", ""],
        [second["number"], "KB-001", "2025-10-02", "10000000", "tạm ứng"],
        [first["number"], "KB-002", "15/10/2025", "60.000.000", ""],
    ]
    report = await upload(client, finance, "/payments/upload", sheet(fmt, PAYMENT_HEADERS, rows), 200)
    assert (report["valid"], report["targets"], report["total_vnd"], report["error_count"]) == (3, 2, 110_000_000, 0)
    assert await _paid(first["id"]) == []
    done = await upload(client, finance, "/payments/upload", sheet(fmt, PAYMENT_HEADERS, rows), 200, dry_run="false")
    assert done["written"] == 3
    assert await _paid(first["id"]) == [("KB-001", 40_000_000), ("KB-002", 60_000_000)]
    assert await _paid(second["id"]) == [("KB-001", 10_000_000)]
    stored = await Payment.select(Payment.paid_on, Payment.created_at, Payment.line, Payment.allocation).where(
        Payment.contract == second["id"]
    )
    assert stored[0]["paid_on"] == dt.date(2025, 10, 2) and stored[0]["created_at"].tzinfo is not None
    assert (stored[0]["line"], stored[0]["allocation"]) == (second["line_id"], second["allocation_id"])
    fetched = (await client.get(f"{API}/contracts/{first['id']}", headers=finance)).json()
    assert fetched["paid_vnd"] == fetched["value_vnd"]


async def test_every_wrong_payment_row_is_reported_and_nothing_is_written(client, finance):
    contract = await _contract(client, finance)
    number = contract["number"]
    await post(
        client,
        finance,
        "/payments",
        {"contract_id": contract["id"], "amount_vnd": 1_000_000, "paid_on": "2025-09-20", "voucher_number": "KB-OLD"},
        201,
    )
    rows = [
        [number, "KB-1", "01/10/2025", "1.000.000", ""],  # good
        ["HĐ-KHÔNG-CÓ", "KB-2", "01/10/2025", "1.000.000", ""],  # no such contract
        [number, "KB-OLD", "01/10/2025", "1.000.000", ""],  # voucher already on the contract
        [number, "KB-1", "02/10/2025", "1.000.000", ""],  # voucher twice in the file
        [number, "KB-3", "01/01/2099", "1.000.000", ""],  # in the future
        [number, "KB-4", "01/09/2025", "1.000.000", ""],  # before the signing
        [number, "KB-5", "31/02/2025", "1.000.000", ""],  # no such day
        [number, "", "01/10/2025", "1.000.000", ""],  # no voucher
        [number, "KB-6", "01/10/2025", "-5.000", ""],  # negative
        [number, "KB-7", "01/10/2025", "9" * 25, ""],  # beyond any budget
    ]
    file = sheet("csv", PAYMENT_HEADERS, rows)
    report = await upload(client, finance, "/payments/upload", file, 200)
    found = {(e["row"] - 2, e["column"]): e["message"] for e in report["errors"]}
    assert set(found) == {
        (1, "Số hợp đồng"),
        (2, "Số chứng từ"),
        (3, "Số chứng từ"),
        (4, "Ngày thanh toán"),
        (5, "Ngày thanh toán"),
        (6, "Ngày thanh toán"),
        (7, "Số chứng từ"),
        (8, "Số tiền (đồng)"),
        (9, "Số tiền (đồng)"),
    }, report["errors"]
    assert "Không có hợp đồng số HĐ-KHÔNG-CÓ" in found[(1, "Số hợp đồng")]
    assert "đã ghi cho hợp đồng này" in found[(2, "Số chứng từ")] and "20/09/2025" in found[(2, "Số chứng từ")]
    assert "trùng với dòng 2" in found[(3, "Số chứng từ")]
    assert "sau ngày hôm nay" in found[(4, "Ngày thanh toán")]
    assert "trước ngày ký hợp đồng" in found[(5, "Ngày thanh toán")]
    assert "Ngày không có thật" in found[(6, "Ngày thanh toán")]
    assert found[(7, "Số chứng từ")] == "Thiếu số chứng từ."
    assert "âm" in found[(8, "Số tiền (đồng)")]
    assert "quá lớn" in found[(9, "Số tiền (đồng)")]
    await upload(client, finance, "/payments/upload", file, 422, dry_run="false")
    assert await _paid(contract["id"]) == [("KB-OLD", 1_000_000)]


async def test_a_contract_paid_one_dong_over_by_the_file_is_refused_naming_limit_and_excess(client, finance):
    contract = await _contract(client, finance)  # 100,000,000
    await post(
        client,
        finance,
        "/payments",
        {"contract_id": contract["id"], "amount_vnd": 30_000_000, "paid_on": "2025-09-20", "voucher_number": "KB-0"},
        201,
    )
    rows = [
        [contract["number"], "KB-1", "01/10/2025", "40.000.000", ""],
        [contract["number"], "KB-2", "02/10/2025", "30.000.001", ""],
    ]
    report = await upload(client, finance, "/payments/upload", sheet("csv", PAYMENT_HEADERS, rows), 200)
    (error,) = report["errors"]
    assert (error["row"], error["column"]) == (3, "Số tiền (đồng)")
    assert "2 dòng của tệp cộng 70.000.001 đ" in error["message"]
    assert "70.000.000 đ" in error["message"] and "là 1 đ" in error["message"]
    await upload(client, finance, "/payments/upload", sheet("csv", PAYMENT_HEADERS, rows), 422, dry_run="false")
    assert await _paid(contract["id"]) == [("KB-0", 30_000_000)]

    rows[1][3] = "30.000.000"
    await upload(client, finance, "/payments/upload", sheet("xlsx", PAYMENT_HEADERS, rows), 200, dry_run="false")
    assert sum(a for _, a in await _paid(contract["id"])) == 100_000_000


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_formula_looking_cell_stays_text(client, finance, fmt):
    contract = await _contract(client, finance)
    formula = '=HYPERLINK("http://x.example","bấm")'
    voucher = "+84-1" if fmt == "xlsx" else "'@KB-1"  # the CSV export's quote comes off again
    rows = [[contract["number"], voucher, "01/10/2025", "1.000.000", formula]]
    await upload(client, finance, "/payments/upload", sheet(fmt, PAYMENT_HEADERS, rows), 200, dry_run="false")
    stored = (
        await Payment.select(Payment.voucher_number, Payment.note).where(Payment.contract == contract["id"]).first()
    )
    assert stored["voucher_number"] == ("+84-1" if fmt == "xlsx" else "@KB-1")
    assert stored["note"].startswith(formula + " (Tải lên từ tệp")


async def test_a_resent_commit_answers_as_the_first_and_writes_once(client, finance):
    contract = await _contract(client, finance)
    file = sheet("csv", PAYMENT_HEADERS, [[contract["number"], "KB-1", "01/10/2025", "1.000.000", ""]])
    event = str(uuid.uuid4())
    first = await upload(client, finance, "/payments/upload", file, 200, dry_run="false", client_event_id=event)
    again = await upload(client, finance, "/payments/upload", file, 200, dry_run="false", client_event_id=event)
    assert again == first
    assert await _paid(contract["id"]) == [("KB-1", 1_000_000)]
    other = sheet("csv", PAYMENT_HEADERS, [[contract["number"], "KB-2", "01/10/2025", "1.000.000", ""]])
    reused = await upload(client, finance, "/payments/upload", other, 409, dry_run="false", client_event_id=event)
    assert reused["extra"][0]["key"] == "client_event_id"
    bad = await upload(client, finance, "/payments/upload", other, 422, dry_run="false", client_event_id="x")
    assert bad["extra"][0]["key"] == "client_event_id"


async def test_racing_payment_uploads_never_pass_the_contract(client, finance):
    contract = await _contract(client, finance)  # 100,000,000

    async def attempt(n: int):
        file = sheet("csv", PAYMENT_HEADERS, [[contract["number"], f"KB-{n}", "01/10/2025", "60.000.000", ""]])
        return await client.post(
            f"{API}/payments/upload", files={"file": file}, data={"dry_run": "false"}, headers=finance
        )

    answers = await asyncio.gather(*(attempt(n) for n in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 422, 422, 422], [a.text for a in answers]
    assert sum(a for _, a in await _paid(contract["id"])) == 60_000_000


async def test_files_refused_whole_say_why_in_vietnamese(client, finance):
    line = await post(client, finance, "/lines", line_body(), 201)
    path = f"/lines/{line['id']}/allocations/upload"
    no_header = await upload(client, finance, path, ("x.csv", b"a,b\n1,2\n"), 422)
    assert no_header["extra"][0]["key"] == "file" and "tiêu đề" in no_header["detail"]
    missing = await upload(client, finance, path, ("x.csv", "Mã xã,Ghi chú\n26296,x\n".encode()), 422)
    assert "Thiếu cột bắt buộc: Số tiền (đồng)" in missing["detail"]
    planner = await client.post(f"{API}{path}", files={"file": ("x.csv", b"a")}, headers=await _planner(client))
    assert planner.status_code == 403
    await upload(client, finance, "/lines/999999/allocations/upload", sheet("csv", ALLOCATION_HEADERS, []), 404)


async def _planner(client) -> dict:
    from tests.app.conftest import Users

    return await Users(client).make("planner")
