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
from procurement.seed.demo_finance import PLAN_65, load_demo_budget

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

    from procurement.finance import reports

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
