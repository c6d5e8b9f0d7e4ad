"""Disbursement reports read from the database, checked against totals computed
here from the raw rows (plain Python over the tables, not the report's code)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import polars as pl
import pytest

from models.procurement import Allocation, BudgetLine, Contract, Milestone, Payment
from models.tables import AppUser, Commune
from procurement.core.actor import Actor
from procurement.finance import reports
from procurement.seed.demo_finance import PLAN_65, load_demo_budget
from tests.app.api.test_budget import contract_body, line_body, post
from tests.app.conftest import AN_VIEN

TODAY = dt.date(2026, 3, 15)


@pytest.fixture
async def demo_budget(users):
    await users.make("finance", username="taichinh-test")
    user = await AppUser.select(AppUser.id).where(AppUser.username == "taichinh-test").first()
    for index, commune in enumerate(await Commune.select(Commune.id).where(Commune.province.code == "75")):
        await Commune.update({Commune.officials: 15 + index % 20}).where(Commune.id == commune["id"])
    await load_demo_budget(Actor(user_id=user["id"], username="taichinh-test", role="finance"), seed=7, today=TODAY)
    return await users.make("planner")


async def raw_totals():
    communes = {r["id"]: r["code"] for r in await Commune.select(Commune.id, Commune.code)}
    allocations = await Allocation.select(Allocation.id, Allocation.line, Allocation.commune, Allocation.amount_vnd)
    commune_of = {a["id"]: communes.get(a["commune"]) for a in allocations}
    allocated, committed, paid = defaultdict(int), defaultdict(int), defaultdict(int)
    for a in allocations:
        allocated[(a["line"], commune_of[a["id"]])] += a["amount_vnd"]
    for c in await Contract.select(Contract.line, Contract.allocation, Contract.value_vnd, Contract.signed_on):
        if c["signed_on"] <= TODAY:
            committed[(c["line"], commune_of.get(c["allocation"]))] += c["value_vnd"]
    payments = await Payment.select(Payment.line, Payment.allocation, Payment.amount_vnd, Payment.paid_on)
    for p in payments:
        if p["paid_on"] <= TODAY:
            paid[(p["line"], commune_of.get(p["allocation"]))] += p["amount_vnd"]
    return allocated, committed, paid, payments


async def test_reports_from_the_database_match_the_raw_rows(client, demo_budget):
    allocated, committed, paid, payments = await raw_totals()
    by_commune = (
        await client.get("/api/finance/reports/by_commune", params={"as_of": TODAY.isoformat()}, headers=demo_budget)
    ).json()
    got = {(r["line_id"], r["commune_code"]): r for r in by_commune}
    keys = set(allocated) | set(committed) | set(paid)
    assert set(got) == keys
    for key in keys:
        row = got[key]
        assert (row["allocated_vnd"], row["committed_vnd"], row["paid_vnd"]) == (
            allocated[key],
            committed[key],
            paid[key],
        ), key
        assert row["remaining_vnd"] == allocated[key] - paid[key]
        assert all(isinstance(row[k], int) for k in ("allocated_vnd", "committed_vnd", "paid_vnd"))

    plan = await BudgetLine.select().where(BudgetLine.number == "65/KH-UBND").first()
    by_line = {
        r["line_id"]: r
        for r in (
            await client.get("/api/finance/reports/by_line", params={"as_of": TODAY.isoformat()}, headers=demo_budget)
        ).json()
    }
    line = by_line[plan["id"]]
    assert line["amount_vnd"] == PLAN_65 == sum(v for (line_key, _), v in allocated.items() if line_key == plan["id"])
    assert line["paid_vnd"] == sum(v for (ln, _), v in paid.items() if ln == plan["id"])
    # The parent (187 bn) rolls its sub-line up.
    parent = by_line[plan["parent"]]
    assert parent["paid_vnd"] == sum(paid.values()) and parent["allocated_vnd"] == sum(allocated.values())

    # Schedule on 15/3/2026: 30 % (milestone of 31/12/2025) of each commune's allocation.
    milestones = await Milestone.select().where(Milestone.line == plan["id"]).order_by(Milestone.due_on)
    share = max((m["target_share"] for m in milestones if m["due_on"] <= TODAY), default=0.0)
    assert share == 0.3
    behind = {
        code: round(share * amount) - paid[(line_key, code)]
        for (line_key, code), amount in allocated.items()
        if line_key == plan["id"] and code is not None and round(share * amount) - paid[(line_key, code)] > 0
    }
    lagging = (
        await client.get("/api/finance/reports/lagging", params={"as_of": TODAY.isoformat()}, headers=demo_budget)
    ).json()
    assert {r["commune_code"]: r["behind_vnd"] for r in lagging} == behind
    assert [r["behind_vnd"] for r in lagging] == sorted(behind.values(), reverse=True)

    by_month = (
        await client.get(
            "/api/finance/reports/by_month",
            params={"as_of": TODAY.isoformat(), "line_id": plan["id"]},
            headers=demo_budget,
        )
    ).json()
    assert sum(r["paid_vnd"] for r in by_month) == sum(p["amount_vnd"] for p in payments if p["line"] == plan["id"])
    monthly = defaultdict(int)
    for p in payments:
        if p["line"] == plan["id"]:
            monthly[p["paid_on"].strftime("%Y-%m-01")] += p["amount_vnd"]
    assert {r["month"]: r["paid_vnd"] for r in by_month if r["paid_vnd"]} == {k: v for k, v in monthly.items() if v}


async def test_csv_and_xlsx_downloads_carry_the_same_figures(client, demo_budget):
    params = {"as_of": TODAY.isoformat()}
    as_json = (await client.get("/api/finance/reports/by_commune", params=params, headers=demo_budget)).json()
    xlsx = await client.get("/api/finance/reports/by_commune", params={**params, "format": "xlsx"}, headers=demo_budget)
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = pl.read_excel(io.BytesIO(xlsx.content), engine="calamine", read_options={"header_row": 1})
    assert sheet.height == len(as_json)
    assert int(sheet["Đã giải ngân"].sum()) == sum(r["paid_vnd"] for r in as_json)
    assert [int(v) for v in sheet["Chậm so với kế hoạch"]] == [r["behind_vnd"] for r in as_json]
    csv = await client.get("/api/finance/reports/by_commune", params={**params, "format": "csv"}, headers=demo_budget)
    frame = pl.read_csv(io.BytesIO(csv.content), schema_overrides={"Mã xã": pl.String})
    assert csv.content.startswith("\ufeff".encode())  # Excel on Windows needs the BOM for Vietnamese
    assert frame["Đã phân bổ"].dtype == pl.Int64
    assert int(frame["Đã phân bổ"].sum()) == sum(r["allocated_vnd"] for r in as_json)


async def test_staff_cannot_read_the_reports(client, users):
    staff = await users.make("staff", "26296")
    assert (await client.get("/api/finance/reports/by_line", headers=staff)).status_code == 403


async def test_reports_summed_in_sql_equal_the_reports_over_every_row(demo_budget):
    """run_report sums contracts and payments in SQL; the answer is the pure report's over all rows."""
    from polars.testing import assert_frame_equal

    days = sorted(p["paid_on"] for p in await Payment.select(Payment.paid_on))
    # The report date falls between payments of one month: the SQL sums split there.
    for as_of in (TODAY, days[len(days) // 2], days[0] - dt.timedelta(days=1)):
        for province in (None, "75"):
            every_row = await reports.load_frames(province)
            for report, (function, _) in reports.REPORTS.items():
                expected = function(*every_row, today=as_of).collect()
                country = Actor(user_id=0, username="bo", role="national")
                answer = await reports.run_report(report, actor=country, today=as_of, province=province)
                assert_frame_equal(answer, expected)


async def test_paid_by_month_equals_a_plain_sql_group_by(client, demo_budget):
    from procurement.core.transactions import is_sqlite

    month = "substr(paid_on, 1, 7)" if is_sqlite() else "to_char(paid_on, 'YYYY-MM')"
    plain = await Payment.raw(f"SELECT line, {month} AS month, sum(amount_vnd) AS paid FROM payment GROUP BY 1, 2")
    parents = {r["parent"] for r in await BudgetLine.select(BudgetLine.parent) if r["parent"] is not None}
    expected = {(r["line"], f"{r['month']}-01"): int(r["paid"]) for r in plain if r["line"] not in parents}
    rows = (
        await client.get("/api/finance/reports/by_month", params={"as_of": TODAY.isoformat()}, headers=demo_budget)
    ).json()
    got = {(r["line_id"], r["month"]): r["paid_vnd"] for r in rows if r["line_id"] not in parents and r["paid_vnd"]}
    assert got == {key: paid for key, paid in expected.items() if paid}
    assert len(got) > 3


# --- contract amendments: each change committed in its own month ---------------------------------

SIGNED, RAISED, CUT = dt.date(2025, 3, 10), dt.date(2025, 5, 20), dt.date(2025, 7, 8)


async def _amended_contract(client, headers, *, province: str = "75", unit_price: int = 10_000_000) -> tuple[int, int]:
    """A line of ``province`` with a contract of 10 × ``unit_price`` signed in March 2025 (on an
    An Viên allocation in Đồng Nai, straight on the line elsewhere), amended by +2 × and −½ ×
    ``unit_price`` in May and July. (line id, contract id)."""
    line = await post(
        client,
        headers,
        "/lines",
        line_body(decision_date="2025-01-15", province_code=province, number=f"{province}/KH-UBND"),
        201,
    )
    body = contract_body(None, unit_price=unit_price, signed_on=SIGNED.isoformat())
    if province == "75":
        allocation = await post(
            client,
            headers,
            f"/lines/{line['id']}/allocations",
            {"commune_code": AN_VIEN, "amount_vnd": 500_000_000},
            201,
        )
        body["allocation_id"] = allocation["id"]
    else:
        body.pop("allocation_id")
        body["line_id"] = line["id"]
    contract = await post(client, headers, "/contracts", body, 201)
    for day, change in ((RAISED, 2 * unit_price), (CUT, -unit_price // 2)):
        await post(
            client,
            headers,
            f"/contracts/{contract['id']}/amendments",
            {"signed_on": day.isoformat(), "reason": "Điều chỉnh", "value_change_vnd": change},
            201,
        )
    return line["id"], contract["id"]


async def test_an_amendment_is_committed_in_its_own_month(client, users):
    """Signed for 100 m in March, +20 m in May, −5 m in July: the months show exactly that and
    the running total ends at the contract's current value; reports as of a day count the
    value as it stood that day, and the SQL-summed reports equal the reports over every row."""
    from polars.testing import assert_frame_equal

    finance = await users.make("finance")
    line_id, contract_id = await _amended_contract(client, finance)
    current = (await client.get(f"/api/finance/contracts/{contract_id}", headers=finance)).json()
    assert (current["original_value_vnd"], current["value_vnd"]) == (100_000_000, 115_000_000)

    params = {"as_of": "2025-09-30", "line_id": line_id}
    by_month = (await client.get("/api/finance/reports/by_month", params=params, headers=finance)).json()
    committed = {r["month"]: r["committed_vnd"] for r in by_month if r["committed_vnd"]}
    assert committed == {"2025-03-01": 100_000_000, "2025-05-01": 20_000_000, "2025-07-01": -5_000_000}
    running = {r["month"]: r["cumulative_committed_vnd"] for r in by_month}
    assert (running["2025-02-01"], running["2025-04-01"], running["2025-06-01"]) == (0, 100_000_000, 120_000_000)
    assert running["2025-07-01"] == running["2025-09-01"] == current["value_vnd"]

    # As of a day: the value as it stood that day, one contract however many amendments.
    for as_of, value in (
        ("2025-03-09", 0),
        ("2025-04-30", 100_000_000),
        ("2025-06-15", 120_000_000),
        ("2025-07-08", 115_000_000),
    ):
        query = {"as_of": as_of, "line_id": line_id}
        (line,) = (await client.get("/api/finance/reports/by_line", params=query, headers=finance)).json()
        assert line["committed_vnd"] == value, as_of
        communes = (await client.get("/api/finance/reports/by_commune", params=query, headers=finance)).json()
        assert [(r["contracts"], r["committed_vnd"]) for r in communes] == [(1 if value else 0, value)], as_of

    # Summed in SQL or read row by row: the same answer, on every side of each amendment.
    country = Actor(user_id=0, username="bo", role="national")
    every_row = await reports.load_frames()
    for as_of in (
        SIGNED - dt.timedelta(days=1),
        SIGNED,
        RAISED - dt.timedelta(days=1),
        RAISED,
        CUT,
        dt.date(2025, 12, 31),
    ):
        for report, (function, _) in reports.REPORTS.items():
            expected = function(*every_row, today=as_of).collect()
            assert_frame_equal(await reports.run_report(report, actor=country, today=as_of), expected)


async def test_the_monthly_amendments_read_the_same_in_json_csv_and_xlsx(client, users):
    finance = await users.make("finance")
    line_id, _ = await _amended_contract(client, finance)
    params = {"as_of": "2025-09-30", "line_id": line_id}
    as_json = (await client.get("/api/finance/reports/by_month", params=params, headers=finance)).json()
    wanted = {
        "Tháng": [r["month"] for r in as_json],
        "Đã ký hợp đồng": [r["committed_vnd"] for r in as_json],
        "Lũy kế đã ký": [r["cumulative_committed_vnd"] for r in as_json],
    }
    assert -5_000_000 in wanted["Đã ký hợp đồng"] and wanted["Lũy kế đã ký"][-1] == 115_000_000

    csv = await client.get("/api/finance/reports/by_month", params={**params, "format": "csv"}, headers=finance)
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    frame = pl.read_csv(io.BytesIO(csv.content), try_parse_dates=False, schema_overrides={"Tháng": pl.String})
    assert {name: frame[name].to_list() for name in wanted} == wanted

    xlsx = await client.get("/api/finance/reports/by_month", params={**params, "format": "xlsx"}, headers=finance)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = pl.read_excel(io.BytesIO(xlsx.content), engine="calamine", read_options={"header_row": 1})
    assert [int(v) for v in sheet["Đã ký hợp đồng"]] == wanted["Đã ký hợp đồng"]
    assert [int(v) for v in sheet["Lũy kế đã ký"]] == wanted["Lũy kế đã ký"]
    assert [v.isoformat()[:10] for v in sheet["Tháng"]] == wanted["Tháng"]

    # The page's download (today's report, every line of the province) carries the same months.
    page = await client.get("/finance/reports/by_month.xlsx", headers=finance)
    assert page.status_code == 200 and page.content[:2] == b"PK"
    sheet = pl.read_excel(io.BytesIO(page.content), engine="calamine", read_options={"header_row": 1})
    ours = sheet.filter(pl.col("Mã dòng NS") == line_id)
    committed = {v.isoformat()[:10]: int(c) for v, c in zip(ours["Tháng"], ours["Đã ký hợp đồng"], strict=True) if c}
    assert committed == {"2025-03-01": 100_000_000, "2025-05-01": 20_000_000, "2025-07-01": -5_000_000}


async def test_amendments_stay_inside_their_province(client, users):
    """Each province's report commits its own contracts' amendments, month by month; another
    province's report is refused, the country's adds both."""
    dong_nai = await users.make("finance")
    hcm = await users.make("finance", province="79")
    ours, _ = await _amended_contract(client, dong_nai)
    theirs, _ = await _amended_contract(client, hcm, province="79", unit_price=1_000_000)
    national = await users.make("national")

    async def committed(headers, **params) -> dict:
        rows = await client.get(
            "/api/finance/reports/by_month", params={"as_of": "2025-09-30", **params}, headers=headers
        )
        assert rows.status_code == 200, rows.text
        totals: dict = defaultdict(int)
        for r in rows.json():
            if r["committed_vnd"]:
                totals[(r["line_id"], r["month"])] += r["committed_vnd"]
        return dict(totals)

    march, may, july = "2025-03-01", "2025-05-01", "2025-07-01"
    mine = {(ours, march): 100_000_000, (ours, may): 20_000_000, (ours, july): -5_000_000}
    hers = {(theirs, march): 10_000_000, (theirs, may): 2_000_000, (theirs, july): -500_000}
    assert await committed(dong_nai) == mine
    assert await committed(hcm) == hers
    assert await committed(national) == {**mine, **hers}
    assert await committed(national, province="79") == hers
    refused = await client.get("/api/finance/reports/by_month", params={"province": "79"}, headers=dong_nai)
    assert refused.status_code == 404
