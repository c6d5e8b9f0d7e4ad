"""Finance setup in pages: budget lines with milestones and sub-lines, allocations one by one
and split across communes (previewed to the dong, then written exactly as shown, once),
packages by hand and from a replacement plan, report downloads from page routes; planners
read without write forms; no page sends anyone to the API or to /schema."""

from __future__ import annotations

import io
import re
import uuid

import openpyxl

from models.procurement import Allocation, BudgetLine, Milestone, ProcurementPackage
from models.tables import Commune
from procurement.core.money import parse_vnd
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.app.pages.test_thumbs import MEASURE, SMALL_PHONE
from tests.support.browser import log_in, screenshot

DESKTOP = {"width": 1280, "height": 900}
LINE_FORM = {
    "number": "65/KH-UBND",
    "name": "Trang bị thiết bị cho xã, phường",
    "issuing_body": "UBND tỉnh Đồng Nai",
    "decision_date": "22/08/2025",
    "deadline": "30/06/2026",
    "fiscal_year": "2025",
    "amount_vnd": "1.000.000.000",
    "province_code": "75",
    "ms_due_0": "31/10/2025",
    "ms_share_0": "30",
    "ms_due_1": "30/06/2026",
    "ms_share_1": "100",
}
NO_API = re.compile(r"""(href|action|src)=["']/(api|schema)""")


async def make_line(client, headers, **overrides) -> int:
    answer = await client.post("/finance/lines", data={**LINE_FORM, **overrides}, headers=headers)
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/finance/lines/(\d+)\?done=created", answer.headers["location"])
    assert match, answer.headers["location"]
    return int(match.group(1))


def preview_parts(html: str) -> dict[str, int]:
    table = html.split('id="preview-table"', 1)[1].split("</table>", 1)[0]
    return {
        code: parse_vnd(amount)
        for code, amount in re.findall(r'<tr data-code="(\d{5})"><td>.*?</td><td class="num">([^<]+)</td>', table)
    }


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


async def written_parts(line_id: int) -> dict[str, int]:
    rows = await Allocation.select(Allocation.commune.code.as_alias("code"), Allocation.amount_vnd).where(
        Allocation.line == line_id
    )
    parts: dict[str, int] = {}
    for r in rows:  # a commune given twice (one allocation, then a split) sums its parts
        parts[r["code"]] = parts.get(r["code"], 0) + r["amount_vnd"]
    return parts


async def test_a_line_with_milestones_a_sub_line_and_allocations_refused_beside_their_fields(client, users):
    finance = await users.make("finance")
    event_id = str(uuid.uuid4())
    line_id = await make_line(client, finance, client_event_id=event_id)
    assert await make_line(client, finance, client_event_id=event_id) == line_id  # sent twice: one line
    line = await BudgetLine.select().where(BudgetLine.id == line_id).first()
    assert line["amount_vnd"] == 1_000_000_000 and line["number"] == "65/KH-UBND"
    shares = await Milestone.select(Milestone.due_on, Milestone.target_share).where(Milestone.line == line_id)
    assert sorted((str(m["due_on"]), m["target_share"]) for m in shares) == [("2025-10-31", 0.3), ("2026-06-30", 1.0)]

    # Refusals beside their field, what was typed kept, nothing written.
    for changes, field in (
        ({"amount_vnd": "12,5"}, "amount_vnd"),
        ({"decision_date": "31/02/2025"}, "decision_date"),
        ({"province_code": ""}, "province_code"),
        ({"ms_due_1": "01/01/2025"}, "ms_due_1"),  # before the decision... and before milestone 1
        ({"ms_share_1": "20"}, "ms_share_1"),  # shares must not go down
        ({"ms_share_0": "130"}, "ms_share_0"),
        ({"number": ""}, "number"),
        ({"fiscal_year": "20x5"}, "fiscal_year"),
    ):
        refused = await client.post(
            "/finance/lines", data={**LINE_FORM, **changes, "name": "Dòng bị từ chối"}, headers=finance
        )
        assert refused.status_code == 422 and f'id="e-{field}"' in refused.text, (changes, refused.text)
        assert 'value="Dòng bị từ chối"' in refused.text
    assert await BudgetLine.count() == 1

    # A sub-line carved out of the line: at most what is left of it.
    url = f"/finance/lines/{line_id}"
    sub = {**LINE_FORM, "number": "65/KH-UBND-TT", "name": "Mua sắm tập trung", "decision_date": "01/09/2025"}
    del sub["province_code"]
    over = await client.post(f"{url}/sub-lines", data={**sub, "amount_vnd": "1.000.000.001"}, headers=finance)
    assert over.status_code == 422
    assert re.search(r'id="e-amount_vnd">[^<]*1\.000\.000\.000', over.text), over.text
    assert 'value="1.000.000.001"' in over.text and await BudgetLine.count() == 1
    made = await client.post(f"{url}/sub-lines", data={**sub, "amount_vnd": "200.000.000"}, headers=finance)
    assert made.status_code == 303
    sub_id = int(re.search(r"/finance/lines/(\d+)", made.headers["location"]).group(1))
    assert (await BudgetLine.select().where(BudgetLine.id == sub_id).first())["parent"] == line_id

    # Milestones edited on the line page.
    edited = await client.post(
        f"{url}/milestones",
        data={
            "ms_due_0": "30/11/2025",
            "ms_share_0": "40",
            "ms_due_1": "31/03/2026",
            "ms_share_1": "70,5",
            "ms_due_2": "30/06/2026",
            "ms_share_2": "100",
        },
        headers=finance,
    )
    assert edited.status_code == 303, edited.text
    shares = await Milestone.select(Milestone.target_share).where(Milestone.line == line_id).order_by(Milestone.due_on)
    assert [m["target_share"] for m in shares] == [0.4, 0.705, 1.0]
    bad = await client.post(f"{url}/milestones", data={"ms_due_0": "30/11/2025", "ms_share_0": "abc"}, headers=finance)
    assert bad.status_code == 422 and 'id="e-ms_share_0"' in bad.text and 'value="abc"' in bad.text
    assert await Milestone.count().where(Milestone.line == line_id) == 3

    # A single allocation, then one over the ceiling: refused beside the amount, typed value kept.
    given = await client.post(
        f"{url}/allocations", data={"commune_code": AN_VIEN, "amount_vnd": "300.000.000"}, headers=finance
    )
    assert given.status_code == 303
    assert await written_parts(line_id) == {AN_VIEN: 300_000_000}
    too_much = await client.post(
        f"{url}/allocations", data={"commune_code": OTHER_COMMUNE, "amount_vnd": "500.000.001"}, headers=finance
    )
    assert too_much.status_code == 422
    assert re.search(r'id="e-amount_vnd">[^<]*500\.000\.000', too_much.text), too_much.text
    assert 'value="500.000.001"' in too_much.text and f'value="{OTHER_COMMUNE}"' in too_much.text
    assert await written_parts(line_id) == {AN_VIEN: 300_000_000}
    no_commune = await client.post(f"{url}/allocations", data={"amount_vnd": "1.000"}, headers=finance)
    assert no_commune.status_code == 422 and 'id="e-commune_code"' in no_commune.text
    central = await client.post(
        f"{url}/allocations", data={"central": "on", "amount_vnd": "500.000.000"}, headers=finance
    )
    assert central.status_code == 303 and await Allocation.count().where(Allocation.line == line_id) == 2

    page = await client.get(url, headers=finance)
    assert page.status_code == 200 and "65/KH-UBND-TT" in page.text and "Mua sắm tập trung" in page.text
    assert re.search(r'id="l-remaining">0 đ', page.text), page.text  # 200 m sub-line + 300 m + 500 m
    assert not NO_API.search(page.text)


async def test_a_split_previewed_to_the_dong_is_written_exactly_and_once(client, users):
    finance = await users.make("finance")
    line_id = await make_line(client, finance, amount_vnd="100.000.000.000")
    codes = [
        r["code"]
        for r in await Commune.select(Commune.code).where(Commune.province.code == "75").order_by(Commune.code)
    ]
    for n, code in enumerate(codes):
        await Commune.update({Commune.officials: 7 + n % 13}).where(Commune.code == code)
    url = f"/finance/lines/{line_id}"
    total = 12_345_678_901

    preview = await client.post(
        f"{url}/split", files={"total_vnd": (None, "12.345.678.901"), "basis": (None, "officials")}, headers=finance
    )
    assert preview.status_code == 200, preview.text
    parts = preview_parts(preview.text)
    assert set(parts) == set(codes) and sum(parts.values()) == total
    assert parse_vnd(re.search(r'id="preview-total">([^<]+)<', preview.text).group(1)) == total
    assert await Allocation.count() == 0  # a preview writes nothing

    confirm = {
        name: hidden(preview.text, name) for name in ("client_event_id", "total_vnd", "basis", "weights", "fingerprint")
    }
    first = await client.post(f"{url}/split/confirm", data=confirm, headers=finance)
    second = await client.post(f"{url}/split/confirm", data=confirm, headers=finance)  # a double submit
    assert first.status_code == second.status_code == 303, second.text
    assert await written_parts(line_id) == parts
    assert await Allocation.count() == len(codes)

    # Over what is left on the line: refused beside the total, nothing written.
    again = await client.post(
        f"{url}/split", files={"total_vnd": (None, "90.000.000.000"), "basis": (None, "equal")}, headers=finance
    )
    assert again.status_code == 200
    refused = await client.post(
        f"{url}/split/confirm",
        data={
            name: hidden(again.text, name)
            for name in ("client_event_id", "total_vnd", "basis", "weights", "fingerprint")
        },
        headers=finance,
    )
    assert refused.status_code == 422
    assert re.search(r'id="e-total_vnd">[^<]*87\.654\.321\.099', refused.text), refused.text
    assert await Allocation.count() == len(codes)

    # A changed figure between preview and confirm: the new split is shown, nothing written.
    stale = await client.post(
        f"{url}/split", files={"total_vnd": (None, "1.000.000"), "basis": (None, "officials")}, headers=finance
    )
    await Commune.update({Commune.officials: 500}).where(Commune.code == AN_VIEN)
    changed = await client.post(
        f"{url}/split/confirm",
        data={
            name: hidden(stale.text, name)
            for name in ("client_event_id", "total_vnd", "basis", "weights", "fingerprint")
        },
        headers=finance,
    )
    assert changed.status_code == 409 and "Số liệu đã thay đổi" in changed.text
    assert await Allocation.count() == len(codes)


def _weights_xlsx(rows: list[tuple]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Bảng trọng số phân bổ"])
    sheet.append(["Mã xã", "Tên xã", "Trọng số"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_split_by_weights_from_an_xlsx_or_a_csv(client, users):
    finance = await users.make("finance")
    line_id = await make_line(client, finance)
    url = f"/finance/lines/{line_id}"
    # Weights with 7 significant digits: the confirm must split by exactly these, not rounded ones.
    xlsx = _weights_xlsx([(int(AN_VIEN), "Xã An Viễn", 1_234_567), (OTHER_COMMUNE, "khác", 1)])
    preview = await client.post(
        f"{url}/split",
        files={
            "total_vnd": (None, "123.456.800"),
            "basis": (None, "weights"),
            "weights_file": (
                "trong-so.xlsx",
                xlsx,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        },
        headers=finance,
    )
    assert preview.status_code == 200, preview.text
    parts = preview_parts(preview.text)
    assert parts == {AN_VIEN: 123_456_700, OTHER_COMMUNE: 100}, parts
    confirm = {
        name: hidden(preview.text, name) for name in ("client_event_id", "total_vnd", "basis", "weights", "fingerprint")
    }
    assert (await client.post(f"{url}/split/confirm", data=confirm, headers=finance)).status_code == 303
    assert await written_parts(line_id) == parts

    csv = f"Ma xa;Trong so\n{AN_VIEN};1\n{OTHER_COMMUNE};1\n".encode()
    same = await client.post(
        f"{url}/split",
        files={"total_vnd": (None, "10"), "basis": (None, "weights"), "weights_file": ("w.csv", csv, "text/csv")},
        headers=finance,
    )
    assert same.status_code == 200 and preview_parts(same.text) == {AN_VIEN: 5, OTHER_COMMUNE: 5}

    for content, name, words in (
        (b"Ma xa,Trong so\n26296,abc\n", "w.csv", "dòng 2, cột Trọng số"),
        (b"Ma xa,Trong so\n2629x,1\n", "w.csv", "dòng 2, cột Mã xã"),
        (b"Xa,So\n26296,1\n", "w.csv", "Không tìm thấy dòng tiêu đề"),
        (b"Ma xa,Trong so\n00101,1\n", "w.csv", "không thuộc tỉnh"),  # a Hà Nội code on a Đồng Nai line
        (b"PK\x03\x04 not really a workbook", "w.xlsx", "Excel"),
    ):
        refused = await client.post(
            f"{url}/split",
            files={"total_vnd": (None, "10"), "basis": (None, "weights"), "weights_file": (name, content, "text/csv")},
            headers=finance,
        )
        assert refused.status_code == 422 and 'id="e-weights_file"' in refused.text, (content, refused.text)
        assert words in refused.text.split('id="e-weights_file">', 1)[1].split("</span>", 1)[0], (words, refused.text)
        assert 'value="10"' in refused.text
    no_file = await client.post(
        f"{url}/split", files={"total_vnd": (None, "10"), "basis": (None, "weights")}, headers=finance
    )
    assert no_file.status_code == 422 and 'id="e-weights_file"' in no_file.text
    assert await Allocation.count() == 2


async def test_packages_by_hand_and_from_a_replacement_plan(client, users):
    finance = await users.make("finance")
    planner = await users.make("planner")
    line_id = await make_line(client, finance)
    url = f"/finance/lines/{line_id}"
    await client.post(
        f"{url}/allocations", data={"commune_code": AN_VIEN, "amount_vnd": "300.000.000"}, headers=finance
    )
    (allocation,) = await Allocation.select(Allocation.id).where(Allocation.line == line_id)

    made = await client.post(
        f"{url}/packages",
        data={
            "name": "Mua 10 máy tính cho Xã An Viễn",
            "allocation_id": str(allocation["id"]),
            "method": "competitive_quotation",
            "estimate_vnd": "160.000.000",
            "item_category_0": "desktop",
            "item_quantity_0": "10",
            "item_category_1": "printer",
            "item_quantity_1": "2",
            "client_event_id": str(uuid.uuid4()),
        },
        headers=finance,
    )
    assert made.status_code == 303, made.text
    package_url = made.headers["location"].split("?")[0]
    package = await client.get(package_url, headers=finance)
    assert "Mua 10 máy tính cho Xã An Viễn" in package.text and "160.000.000" in package.text
    refused = await client.post(
        f"{url}/packages",
        data={"name": "Gói sai", "estimate_vnd": "1.000", "item_category_0": "desktop", "item_quantity_0": "0"},
        headers=finance,
    )
    assert refused.status_code == 422 and 'id="e-item_quantity_0"' in refused.text and 'value="Gói sai"' in refused.text
    assert await ProcurementPackage.count() == 1

    # The plan's packages: old and broken machines of An Viễn replaced within the line's free money.
    for _ in range(3):
        await make_asset(acquired_on="2012-03-15", condition="broken")
    form = {"budget": "100.000.000", "commune": AN_VIEN, "min_share": "0", "method": "competitive_quotation"}
    assert (await client.post(f"{url}/plan-packages", data=form, headers=finance)).status_code == 403
    saved = await client.post(f"{url}/plan-packages", data=form, headers=planner)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].startswith(f"/finance/lines/{line_id}?done=planned")
    planned = (
        await ProcurementPackage.select().where(ProcurementPackage.line == line_id).order_by(ProcurementPackage.id)
    )
    assert len(planned) >= 2 and all("An Viễn" in p["name"] for p in planned[1:])
    assert sum(p["estimate_vnd"] for p in planned[1:]) <= 100_000_000
    assert all(p["allocation"] == allocation["id"] for p in planned[1:])
    bad = await client.post(f"{url}/plan-packages", data={**form, "budget": "mười", "min_score": "-1"}, headers=planner)
    assert bad.status_code == 422 and 'id="e-budget"' in bad.text and 'id="e-min_score"' in bad.text
    outside = await client.post(f"{url}/plan-packages", data={**form, "commune": "00101"}, headers=planner)
    assert outside.status_code == 422 and 'id="e-commune"' in outside.text


async def test_planners_read_without_write_forms_and_their_posts_are_refused(client, users):
    finance = await users.make("finance")
    planner = await users.make("planner")
    line_id = await make_line(client, finance)
    url = f"/finance/lines/{line_id}"
    for path in ("/finance/lines", url):
        page = await client.get(path, headers=planner)
        assert page.status_code == 200 and "65/KH-UBND" in page.text
        assert not re.search(
            r'<form method="post" action="/finance/lines(/\d+/(sub-lines|milestones|allocations|split|packages))?"',
            page.text,
        )
    assert f'action="/finance/lines/{line_id}/plan-packages"' in (await client.get(url, headers=planner)).text
    for path, body in (
        ("/finance/lines", LINE_FORM),
        (f"{url}/sub-lines", LINE_FORM),
        (f"{url}/milestones", {"ms_due_0": "31/10/2025", "ms_share_0": "10"}),
        (f"{url}/allocations", {"commune_code": AN_VIEN, "amount_vnd": "1.000"}),
        (f"{url}/split/confirm", {"total_vnd": "1000", "basis": "equal"}),
        (f"{url}/packages", {"name": "x", "estimate_vnd": "1.000"}),
    ):
        answer = await client.post(path, data=body, headers=planner)
        assert answer.status_code == 403, (path, answer.status_code)
    split = await client.post(
        f"{url}/split", files={"total_vnd": (None, "1000"), "basis": (None, "equal")}, headers=planner
    )
    assert split.status_code == 403
    assert await BudgetLine.count() == 1 and await Allocation.count() == 0 and await Milestone.count() == 2


async def test_no_page_sends_anyone_to_the_api_and_reports_download_from_pages(client, users):
    finance = await users.make("finance")
    line_id = await make_line(client, finance)
    await client.post(
        f"/finance/lines/{line_id}/allocations",
        data={"commune_code": AN_VIEN, "amount_vnd": "1.000.000"},
        headers=finance,
    )
    for role in ("finance", "admin", "planner"):
        headers = finance if role == "finance" else await users.make(role)
        for path in (
            "/finance",
            "/finance/lines",
            f"/finance/lines/{line_id}",
            "/finance/packages",
            "/finance/contracts",
        ):
            page = await client.get(path, headers=headers)
            assert page.status_code == 200, (role, path)
            assert not NO_API.search(page.text) and "/schema" not in page.text, (role, path, NO_API.search(page.text))
    dashboard = (await client.get("/finance", headers=finance)).text
    assert 'href="/finance/lines"' in dashboard and 'href="/finance/reports/by_commune.xlsx"' in dashboard
    for report in ("by_line", "by_commune", "by_month", "lagging", "provinces"):
        xlsx = await client.get(f"/finance/reports/{report}.xlsx", headers=finance)
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK", report
        assert "attachment" in xlsx.headers["content-disposition"]
        csv = await client.get(f"/finance/reports/{report}.csv", headers=finance)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv"), report
    by_line = openpyxl.load_workbook(
        io.BytesIO((await client.get("/finance/reports/by_line.xlsx", headers=finance)).content)
    )
    assert "65/KH-UBND" in [c.value for row in by_line.active.iter_rows() for c in row]
    for wrong in ("by_line.json", "nothing.xlsx", "by_line"):
        assert (await client.get(f"/finance/reports/{wrong}", headers=finance)).status_code == 404
    staff = await users.make("staff", AN_VIEN)
    assert (await client.get("/finance/reports/by_line.xlsx", headers=staff)).status_code == 403


async def test_finance_staff_set_up_a_line_in_a_desktop_browser(client, users, live_server, browser):
    await users.make("finance", username="taichinh.setup")
    codes = [
        r["code"]
        for r in await Commune.select(Commune.code).where(Commune.province.code == "75").order_by(Commune.code)
    ]
    for n, code in enumerate(codes):
        await Commune.update({Commune.officials: 5 + n % 7}).where(Commune.code == code)
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN", bypass_csp=True)
    page = await context.new_page()
    await log_in(page, live_server, "taichinh.setup", users.password)
    assert await page.locator("a[href^='/api'], a[href^='/schema']").count() == 0
    await page.click("main >> text=Dòng ngân sách, phân bổ")
    for name, value in {**LINE_FORM, "amount_vnd": "50.000.000.000"}.items():
        if name == "province_code":
            await page.select_option("select[name=province_code]", value)
        else:
            await page.fill(f"#new-line input[name={name}]", value)
    await page.click("#new-line button[type=submit]")
    await page.wait_for_selector("text=Đã lưu dòng ngân sách")
    assert "30" in await page.inner_text("#milestone-table")

    # Sub-line.
    await page.click("text=Thêm dòng con")
    await page.fill("#sub-form input[name=number]", "65/KH-UBND-A")
    await page.fill("#sub-form input[name=name]", "Phần mua sắm tập trung")
    await page.fill("#sub-form input[name=decision_date]", "01/09/2025")
    await page.fill("#sub-form input[name=amount_vnd]", "5.000.000.000")
    await page.click("#sub-form button[type=submit]")
    await page.wait_for_selector("text=Dòng cấp trên")
    await page.click("text=Dòng cấp trên")
    assert "65/KH-UBND-A" in await page.inner_text("#sub-lines")

    # One allocation refused over the ceiling (45 bn left), then the split previewed and written.
    await page.click("text=Phân bổ cho một xã")
    await page.fill("#alloc-form input[name=commune_code]", AN_VIEN)
    await page.fill("#alloc-form input[name=amount_vnd]", "45.000.000.001")
    await page.click("#alloc-form button[type=submit]")
    error = await page.inner_text("#e-amount_vnd")
    assert "45.000.000.000" in error, error
    assert await page.input_value("#alloc-form input[name=amount_vnd]") == "45.000.000.001"
    await page.fill("#alloc-form input[name=amount_vnd]", "2.000.000.000")
    await page.click("#alloc-form button[type=submit]")
    await page.wait_for_selector("text=Đã ghi phân bổ")

    await page.click("text=Chia một khoản cho các xã")
    await page.fill("#split-form input[name=total_vnd]", "40.000.000.000")
    await page.select_option("#split-form select[name=basis]", "officials")
    await page.click("#split-form button[type=submit]")
    await page.wait_for_selector("#preview-table")
    shown = {
        row[0]: parse_vnd(row[1])
        for row in await page.eval_on_selector_all(
            "#preview-table tbody tr", "rows => rows.map(r => [r.dataset.code, r.cells[1].innerText])"
        )
    }
    assert sum(shown.values()) == 40_000_000_000 and len(shown) == len(codes)
    assert parse_vnd(await page.inner_text("#preview-total")) == 40_000_000_000
    await screenshot(page, "finance-split-preview")
    await page.click("#split-confirm button[type=submit]")
    await page.wait_for_selector("text=Đã ghi phần chia")
    line_id = int(re.search(r"/finance/lines/(\d+)", page.url).group(1))
    written = await written_parts(line_id)
    assert {code: written[code] - (2_000_000_000 if code == AN_VIEN else 0) for code in shown} == shown
    assert parse_vnd(await page.inner_text("#l-remaining")) == 3_000_000_000
    await context.close()


async def test_a_package_and_a_refused_allocation_on_a_phone(client, users, live_server, phone):
    finance_headers = await users.make("finance", username="taichinh.phone")
    line_id = await make_line(client, finance_headers)
    await client.post(
        f"/finance/lines/{line_id}/allocations",
        data={"commune_code": AN_VIEN, "amount_vnd": "900.000.000"},
        headers=finance_headers,
    )
    page = await phone.new_page()
    await log_in(page, live_server, "taichinh.phone", users.password)
    await page.click("header >> text=Ngân sách")
    await page.click("text=65/KH-UBND")
    await page.click("text=Phân bổ cho một xã")
    await page.fill("#alloc-form input[name=commune_code]", OTHER_COMMUNE)
    await page.fill("#alloc-form input[name=amount_vnd]", "100.000.001")
    await page.click("#alloc-form button[type=submit]")
    assert "100.000.000" in await page.inner_text("#e-amount_vnd")
    assert await page.input_value("#alloc-form input[name=amount_vnd]") == "100.000.001"
    assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    await page.click("text=Lập gói thầu")
    await page.fill("#pkg-form input[name=name]", "Mua máy in cho Xã An Viễn")
    (allocation,) = await Allocation.select(Allocation.id).where(Allocation.line == line_id)
    await page.select_option("#pkg-form select[name=allocation_id]", str(allocation["id"]))
    assert "An Viễn" in await page.inner_text("#pkg-form select[name=allocation_id] option:checked")
    await page.fill("#pkg-form input[name=estimate_vnd]", "12.000.000")
    await page.select_option("#pkg-form select[name=item_category_0]", "printer")
    await page.fill("#pkg-form input[name=item_quantity_0]", "2")
    await page.click("#pkg-form button[type=submit]")
    await page.wait_for_selector("text=Mua máy in cho Xã An Viễn")
    assert "/finance/packages/" in page.url
    (package,) = await ProcurementPackage.select().where(ProcurementPackage.line == line_id)
    assert package["estimate_vnd"] == 12_000_000 and package["status"] == "planned"
    assert package["allocation"] == allocation["id"]
    await screenshot(page, "finance-package-phone")


async def test_a_planner_saves_a_plan_as_packages_from_a_phone(client, users, live_server, phone):
    finance = await users.make("finance")
    await users.make("planner", username="kehoach.phone")
    line_id = await make_line(client, finance)
    for _ in range(2):
        await make_asset(acquired_on="2011-05-01", condition="broken")
    page = await phone.new_page()
    await log_in(page, live_server, "kehoach.phone", users.password)
    await page.goto(f"{live_server}/finance/lines/{line_id}")
    assert await page.locator("#alloc-form, #split-form, #pkg-form, #ms-form, #sub-form").count() == 0
    await page.click("text=Lập gói thầu từ kế hoạch thay thế")
    await page.fill("#plan-form input[name=budget]", "50.000.000")
    await page.fill("#plan-form input[name=commune]", AN_VIEN)
    await page.click("#plan-form button[type=submit]")
    await page.wait_for_selector("text=gói thầu từ kế hoạch thay thế")
    saved = await ProcurementPackage.select().where(ProcurementPackage.line == line_id)
    assert saved and all("An Viễn" in p["name"] for p in saved)
    assert sum(p["estimate_vnd"] for p in saved) <= 50_000_000
    listed = await page.inner_text("#package-table")
    assert all(p["name"] in listed for p in saved)
    assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    await screenshot(page, "finance-plan-packages-phone")


async def test_every_form_of_a_line_page_fits_a_small_phone(client, users, live_server, phone):
    finance = await users.make("finance", username="taichinh.small")
    line_id = await make_line(client, finance)
    await client.post(
        f"/finance/lines/{line_id}/allocations",
        data={"commune_code": AN_VIEN, "amount_vnd": "1.000.000"},
        headers=finance,
    )
    preview = await client.post(
        f"/finance/lines/{line_id}/split",
        files={"total_vnd": (None, "1.000.000"), "basis": (None, "equal")},
        headers=finance,
    )
    assert preview.status_code == 200
    page = await phone.new_page()
    await page.set_viewport_size(SMALL_PHONE)
    await log_in(page, live_server, "taichinh.small", users.password)
    for path in (f"/finance/lines/{line_id}", "/finance/lines"):
        await page.goto(f"{live_server}{path}")
        await page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        found = await page.evaluate(MEASURE)
        assert found["overflow"] <= 0 and not found["small"] and not found["placeholders"], (path, found)
    # The split preview with its confirm button, as the browser gets it.
    await page.goto(f"{live_server}/finance/lines/{line_id}")
    await page.click("text=Chia một khoản cho các xã")
    await page.fill("#split-form input[name=total_vnd]", "1.000.000")
    await page.select_option("#split-form select[name=basis]", "equal")
    await page.click("#split-form button[type=submit]")
    await page.wait_for_selector("#preview-table")
    found = await page.evaluate(MEASURE)
    assert found["overflow"] <= 0 and not found["small"], found
    await screenshot(page, "finance-split-preview-phone")


async def test_the_line_list_filters_by_province_and_pages(client, users):
    import datetime as dt

    from procurement.core.actor import Actor
    from procurement.finance import budget
    from procurement.finance.schemas import LineCreate

    national = await users.make("national")  # the ministry reads every province
    finance = await users.make("finance")  # Đồng Nai's
    actor = Actor(user_id=0, username="bench", role="admin")  # the national admin
    for n in range(52):
        await budget.create_line(
            actor,
            LineCreate(
                number=f"{n + 1}/QĐ-UBND",
                name="Dòng thử",
                decision_date=dt.date(2025, 8, 22),
                fiscal_year=2025,
                amount_vnd=1_000_000,
                province_code="75" if n < 51 else "01",
            ),
        )
    first = await client.get("/finance/lines", headers=national)
    assert first.status_code == 200 and "(52)" in first.text and "1–50 / 52" in first.text
    assert 'href="?province=&amp;offset=50"' in first.text and "51/QĐ-UBND" not in first.text
    second = await client.get("/finance/lines", params={"offset": "50"}, headers=national)
    assert "51/QĐ-UBND" in second.text and "52/QĐ-UBND" in second.text and ">1/QĐ-UBND<" not in second.text
    hanoi = await client.get("/finance/lines", params={"province": "01"}, headers=national)
    assert "(1)" in hanoi.text and "52/QĐ-UBND" in hanoi.text and ">2/QĐ-UBND<" not in hanoi.text
    odd = await client.get("/finance/lines", params={"province": "x'", "offset": "-3"}, headers=national)
    assert odd.status_code == 200 and "(52)" in odd.text
    # A province's finance office sees its own lines only.
    own = await client.get("/finance/lines", params={"offset": "50"}, headers=finance)
    assert own.status_code == 200 and "51/QĐ-UBND" in own.text and "52/QĐ-UBND" not in own.text
