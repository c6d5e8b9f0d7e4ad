"""Disbursement reports checked against figures computed independently from the raw rows.

Two datasets: a tiny hand-made one whose expected figures are worked out by
hand below, and a synthetic one whose expected figures are recomputed here
with plain Python loops over ``to_dicts()`` rows (never from report output).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procurement.finance import rules
from procurement.finance.disbursement import (
    ALLOCATIONS_SCHEMA,
    CONTRACTS_SCHEMA,
    LINES_SCHEMA,
    MILESTONES_SCHEMA,
    PAYMENTS_SCHEMA,
    FrameSchemaError,
    lagging_communes,
    progress_by_commune,
    progress_by_line,
    progress_by_month,
    province_summary,
)
from procurement.seed.synthetic_money import synthetic_disbursement

REPORTS = [progress_by_line, progress_by_commune, progress_by_month, lagging_communes, province_summary]

# --------------------------------------------------------------------------- hand-made data

TODAY = date(2026, 1, 20)


def handmade() -> tuple[pl.LazyFrame, ...]:
    lines = pl.DataFrame(
        [
            dict(
                line_id=1,
                parent_id=None,
                number="65/KH-UBND",
                name="Thiết bị xã",
                decision_date=date(2025, 8, 22),
                fiscal_year=2025,
                amount_vnd=1_000_000,
                deadline=date(2026, 6, 30),
                province_code="01",
            ),
            dict(
                line_id=2,
                parent_id=1,
                number="65/KH-UBND (MSTT)",
                name="Mua sắm tập trung",
                decision_date=date(2025, 8, 22),
                fiscal_year=2025,
                amount_vnd=100_000,
                deadline=date(2026, 6, 30),
                province_code="01",
            ),
            dict(
                line_id=3,
                parent_id=None,
                number="12/KH-UBND",
                name="Khác",
                decision_date=date(2025, 9, 10),
                fiscal_year=2025,
                amount_vnd=500_000,
                deadline=None,
                province_code="02",
            ),
        ],
        schema=LINES_SCHEMA,
    )
    milestones = pl.DataFrame(
        [
            dict(line_id=1, due_on=date(2025, 10, 31), target_share=0.3),
            dict(line_id=1, due_on=date(2025, 12, 31), target_share=0.6),
            dict(line_id=1, due_on=date(2026, 6, 30), target_share=1.0),
        ],
        schema=MILESTONES_SCHEMA,
    )
    allocations = pl.DataFrame(
        [
            dict(allocation_id=1, line_id=1, commune_code="00001", commune_name="Xã A", amount_vnd=400_000),
            dict(allocation_id=2, line_id=1, commune_code="00002", commune_name="Xã B", amount_vnd=300_000),
            dict(allocation_id=3, line_id=1, commune_code="00003", commune_name="Xã C", amount_vnd=100_000),
            dict(allocation_id=4, line_id=2, commune_code=None, commune_name="Tỉnh", amount_vnd=100_000),
            dict(allocation_id=5, line_id=3, commune_code="00004", commune_name="Xã D", amount_vnd=200_000),
        ],
        schema=ALLOCATIONS_SCHEMA,
    )
    contracts = pl.DataFrame(
        [
            dict(
                contract_id=1,
                allocation_id=1,
                line_id=1,
                commune_code="00001",
                value_vnd=350_000,
                signed_on=date(2025, 9, 15),
            ),
            dict(
                contract_id=2,
                allocation_id=2,
                line_id=1,
                commune_code="00002",
                value_vnd=300_000,
                signed_on=date(2025, 10, 1),
            ),
            dict(
                contract_id=3,
                allocation_id=4,
                line_id=2,
                commune_code=None,
                value_vnd=90_000,
                signed_on=date(2025, 11, 20),
            ),
            dict(
                contract_id=4,
                allocation_id=5,
                line_id=3,
                commune_code="00004",
                value_vnd=100_000,
                signed_on=date(2025, 12, 1),
            ),
        ],
        schema=CONTRACTS_SCHEMA,
    )
    p = dict(allocation_id=1, line_id=1, commune_code="00001", contract_id=1)
    payments = pl.DataFrame(
        [
            dict(payment_id=1, amount_vnd=200_000, paid_on=date(2025, 10, 10), **p),
            dict(payment_id=2, amount_vnd=-50_000, paid_on=date(2025, 11, 5), **p),  # reversal of 1
            dict(payment_id=3, amount_vnd=100_000, paid_on=date(2026, 1, 25), **p),  # after TODAY
            dict(payment_id=6, amount_vnd=50_000, paid_on=date(2026, 3, 5), **p),  # after TODAY
            dict(
                payment_id=4,
                contract_id=3,
                allocation_id=4,
                line_id=2,
                commune_code=None,
                amount_vnd=90_000,
                paid_on=date(2025, 12, 10),
            ),
            dict(
                payment_id=5,
                contract_id=4,
                allocation_id=5,
                line_id=3,
                commune_code="00004",
                amount_vnd=10_000,
                paid_on=date(2026, 2, 1),
            ),
        ],
        schema=PAYMENTS_SCHEMA,
    )
    return lines.lazy(), milestones.lazy(), allocations.lazy(), contracts.lazy(), payments.lazy()


def by(frame: pl.DataFrame, *keys: str) -> dict:
    return {tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row for row in frame.to_dicts()}


def test_handmade_progress_by_line():
    rows = by(progress_by_line(*handmade(), today=TODAY).collect(), "line_id")
    one = rows[1]
    # rolled up: line 1 includes sub-line 2 (central purchasing)
    assert one["allocated_vnd"] == 900_000
    assert one["unallocated_vnd"] == 100_000
    assert one["committed_vnd"] == 740_000
    assert one["paid_vnd"] == 200_000 - 50_000 + 90_000  # payments 3 and 6 are after TODAY
    assert one["remaining_vnd"] == 1_000_000 - 240_000
    assert one["share_paid"] == pytest.approx(0.24)
    assert one["scheduled_share"] == 0.6
    assert one["scheduled_vnd"] == 600_000
    assert one["schedule_gap_vnd"] == 360_000
    assert one["days_to_deadline"] == 161
    two = rows[2]  # inherits the parent's schedule
    assert (two["allocated_vnd"], two["committed_vnd"], two["paid_vnd"]) == (100_000, 90_000, 90_000)
    assert two["scheduled_share"] == 0.6 and two["schedule_gap_vnd"] == 60_000 - 90_000  # ahead
    three = rows[3]
    assert three["paid_vnd"] == 0 and three["scheduled_share"] == 0.0 and three["days_to_deadline"] is None


def test_reversals_reduce_paid():
    lines, milestones, allocations, contracts, payments = handmade()
    without = payments.filter(pl.col("payment_id") != 2)
    with_rev = by(
        progress_by_commune(lines, milestones, allocations, contracts, payments, today=TODAY).collect(),
        "line_id",
        "commune_code",
    )
    no_rev = by(
        progress_by_commune(lines, milestones, allocations, contracts, without, today=TODAY).collect(),
        "line_id",
        "commune_code",
    )
    assert no_rev[(1, "00001")]["paid_vnd"] == 200_000
    assert with_rev[(1, "00001")]["paid_vnd"] == 150_000
    line = by(progress_by_line(lines, milestones, allocations, contracts, payments, today=TODAY).collect(), "line_id")
    assert line[1]["paid_vnd"] == 240_000


def test_handmade_progress_by_commune():
    rows = by(progress_by_commune(*handmade(), today=TODAY).collect(), "line_id", "commune_code")
    assert set(rows) == {(1, "00001"), (1, "00002"), (1, "00003"), (2, None), (3, "00004")}
    a = rows[(1, "00001")]
    assert (a["allocated_vnd"], a["committed_vnd"], a["paid_vnd"], a["remaining_vnd"]) == (
        400_000,
        350_000,
        150_000,
        250_000,
    )
    assert a["scheduled_share"] == 0.6 and a["scheduled_vnd"] == 240_000 and a["behind_vnd"] == 90_000
    assert rows[(1, "00002")]["behind_vnd"] == 180_000
    assert rows[(1, "00003")]["behind_vnd"] == 60_000 and rows[(1, "00003")]["contracts"] == 0
    central = rows[(2, None)]
    assert central["is_central"] and central["paid_vnd"] == 90_000 and central["behind_vnd"] == 0
    assert rows[(3, "00004")]["paid_vnd"] == 0  # paid after TODAY
    assert rows[(3, "00004")]["behind_vnd"] == 0  # no schedule


def test_handmade_lagging_communes_ranked_with_reasons():
    out = lagging_communes(*handmade(), today=TODAY).collect()
    assert out["rank"].to_list() == [1, 2, 3]
    assert out["commune_code"].to_list() == ["00002", "00001", "00003"]
    assert out["behind_vnd"].to_list() == [180_000, 90_000, 60_000]
    assert out["reason_vi"].to_list() == [
        "đã ký hợp đồng nhưng chưa thanh toán",
        "thanh toán chậm 22,5% so với kế hoạch",
        "chưa ký hợp đồng",
    ]


def test_handmade_progress_by_month():
    out = progress_by_month(*handmade(), today=TODAY).collect()
    one = out.filter(pl.col("line_id") == 1)
    months = one["month"].to_list()
    assert months == [date(2025, m, 1) for m in range(8, 13)] + [date(2026, m, 1) for m in range(1, 4)]
    assert one["paid_vnd"].to_list() == [0, 0, 200_000, -50_000, 90_000, 100_000, 0, 50_000]
    assert one["cumulative_paid_vnd"].to_list() == [0, 0, 200_000, 150_000, 240_000, 340_000, 340_000, 390_000]
    assert one["committed_vnd"].to_list() == [0, 350_000, 300_000, 90_000, 0, 0, 0, 0]
    assert one["scheduled_cumulative_vnd"].to_list() == [0, 0, 300_000, 300_000, 600_000, 600_000, 600_000, 600_000]
    three = out.filter(pl.col("line_id") == 3)
    # decision 10/9/2025, last payment 1/2/2026 (after today's month)
    assert three["month"].to_list() == [date(2025, m, 1) for m in range(9, 13)] + [date(2026, 1, 1), date(2026, 2, 1)]
    assert three["scheduled_cumulative_vnd"].to_list() == [0] * 6


def test_handmade_province_summary():
    rows = by(province_summary(*handmade(), today=TODAY).collect(), "province_code")
    p1 = rows["01"]
    assert (p1["lines"], p1["sub_lines"], p1["amount_vnd"]) == (1, 1, 1_000_000)
    assert (p1["allocated_vnd"], p1["committed_vnd"], p1["paid_vnd"]) == (900_000, 740_000, 240_000)
    assert (p1["communes"], p1["communes_behind"]) == (3, 3)
    p2 = rows["02"]
    assert (p2["amount_vnd"], p2["paid_vnd"], p2["communes_behind"]) == (500_000, 0, 0)


def amended() -> tuple[pl.LazyFrame, ...]:
    """The hand-made data with contract 2 (300,000 signed 1/10/2025, commune 00002) amended by
    +50,000 on 5/12/2025 and −20,000 on 10/2/2026 (after TODAY): two more rows of contract 2."""
    lines, milestones, allocations, contracts, payments = handmade()
    two = dict(contract_id=2, allocation_id=2, line_id=1, commune_code="00002")
    changes = pl.DataFrame(
        [
            dict(value_vnd=50_000, signed_on=date(2025, 12, 5), **two),
            dict(value_vnd=-20_000, signed_on=date(2026, 2, 10), **two),
        ],
        schema=CONTRACTS_SCHEMA,
    )
    return lines, milestones, allocations, pl.concat([contracts, changes.lazy()]), payments


def test_amendments_are_committed_in_their_own_month():
    one = progress_by_month(*amended(), today=TODAY).collect().filter(pl.col("line_id") == 1)
    # Aug 2025 … Mar 2026: signings in Sep, Oct, Nov (sub-line), the amendments in Dec and Feb.
    assert one["committed_vnd"].to_list() == [0, 350_000, 300_000, 90_000, 50_000, 0, -20_000, 0]
    assert one["cumulative_committed_vnd"].to_list()[-1] == 350_000 + 300_000 + 90_000 + 50_000 - 20_000


def test_a_report_as_of_a_day_counts_the_amendments_signed_by_then_and_each_contract_once():
    frames = amended()
    for day, value in ((date(2025, 12, 4), 300_000), (TODAY, 350_000), (date(2026, 2, 10), 330_000)):
        commune = by(progress_by_commune(*frames, today=day).collect(), "line_id", "commune_code")[(1, "00002")]
        assert (commune["contracts"], commune["committed_vnd"]) == (1, value), day
        line = by(progress_by_line(*frames, today=day).collect(), "line_id")[1]
        assert line["committed_vnd"] == 350_000 + value + 90_000, day
        province = by(province_summary(*frames, today=day).collect(), "province_code")["01"]
        assert province["committed_vnd"] == 350_000 + value + 90_000, day


def test_step_schedule_boundaries():
    lines, milestones, allocations, contracts, payments = handmade()

    def share(day):
        return by(
            progress_by_line(lines, milestones, allocations, contracts, payments, today=day).collect(), "line_id"
        )[1]["scheduled_share"]

    assert share(date(2025, 10, 30)) == 0.0
    assert share(date(2025, 10, 31)) == 0.3
    assert share(date(2025, 12, 30)) == 0.3
    assert share(date(2025, 12, 31)) == 0.6
    assert share(date(2026, 7, 1)) == 1.0


# --------------------------------------------------------------------------- schema validation


def test_missing_columns_and_float_money_are_named():
    lines, milestones, allocations, contracts, payments = handmade()
    bad_payments = payments.drop("paid_on").with_columns(pl.col("amount_vnd").cast(pl.Float64))
    with pytest.raises(FrameSchemaError) as e:
        progress_by_line(lines, milestones, allocations, contracts, bad_payments, today=TODAY)
    assert e.value.frame == "payments"
    assert any("paid_on" in p for p in e.value.problems)
    assert any("amount_vnd" in p and "Int64" in p for p in e.value.problems)
    with pytest.raises(FrameSchemaError, match="decision_date"):
        progress_by_month(
            lines.with_columns(pl.col("decision_date").cast(pl.String)),
            milestones,
            allocations,
            contracts,
            payments,
            today=TODAY,
        )


def test_eager_frames_are_refused_with_a_hint():
    lines, *rest = handmade()
    with pytest.raises(TypeError, match="lazy"):
        progress_by_line(lines.collect(), *rest, today=TODAY)  # type: ignore[arg-type]


def test_narrow_ids_and_null_columns_are_accepted():
    lines, milestones, allocations, contracts, payments = handmade()
    lines = lines.with_columns(pl.col("line_id").cast(pl.Int32), pl.lit(None).alias("deadline"))
    out = progress_by_line(lines, milestones, allocations, contracts, payments, today=TODAY).collect()
    assert out.schema["line_id"] == pl.Int64 and out["days_to_deadline"].null_count() == 3


# --------------------------------------------------------------------------- synthetic data, plain-Python oracle

SYN_TODAY = date(2026, 3, 31)
AS_OF = date(2026, 2, 15)  # earlier than the data's "today": later rows must be ignored


@pytest.fixture(scope="module")
def syn():
    return synthetic_disbursement(90, 700, 2500, seed=7, today=SYN_TODAY, n_provinces=3)


def round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


class Oracle:
    """Expected figures from raw rows, plain Python only."""

    def __init__(self, frames, today):
        self.today = today
        self.lines = {r["line_id"]: r for r in frames.lines.to_dicts()}
        self.milestones = frames.milestones.to_dicts()
        self.allocations = frames.allocations.to_dicts()
        self.contracts = [c for c in frames.contracts.to_dicts() if c["signed_on"] <= today]
        self.payments = [p for p in frames.payments.to_dicts() if p["paid_on"] <= today]
        self.all_contracts = frames.contracts.to_dicts()
        self.all_payments = frames.payments.to_dicts()

    def chain(self, line_id):
        out = []
        while line_id is not None:
            out.append(line_id)
            line_id = self.lines[line_id]["parent_id"]
        return out

    def in_subtree(self, line_id, root):
        return root in self.chain(line_id)

    def share(self, line_id, day):
        for candidate in self.chain(line_id):
            own = [m for m in self.milestones if m["line_id"] == candidate]
            if own:
                reached = [m for m in own if m["due_on"] <= day]
                return max(reached, key=lambda m: m["due_on"])["target_share"] if reached else 0.0
        return 0.0


def test_synthetic_progress_by_line_matches_plain_python(syn):
    o = Oracle(syn, AS_OF)
    out = by(progress_by_line(*syn.lazy(), today=AS_OF).collect(), "line_id")
    assert set(out) == set(o.lines)
    for line_id, line in o.lines.items():
        allocated = committed = paid = 0
        for a in o.allocations:
            if o.in_subtree(a["line_id"], line_id):
                allocated += a["amount_vnd"]
        for c in o.contracts:
            if o.in_subtree(c["line_id"], line_id):
                committed += c["value_vnd"]
        for p in o.payments:
            if o.in_subtree(p["line_id"], line_id):
                paid += p["amount_vnd"]
        share = o.share(line_id, AS_OF)
        scheduled = round_half_away(share * line["amount_vnd"])
        row = out[line_id]
        assert row["allocated_vnd"] == allocated
        assert row["committed_vnd"] == committed
        assert row["paid_vnd"] == paid
        assert row["remaining_vnd"] == line["amount_vnd"] - paid
        assert row["unallocated_vnd"] == line["amount_vnd"] - allocated
        assert row["share_paid"] == pytest.approx(paid / line["amount_vnd"])
        assert row["scheduled_share"] == share
        assert row["scheduled_vnd"] == scheduled
        assert row["schedule_gap_vnd"] == scheduled - paid
        assert row["days_to_deadline"] == (line["deadline"] - AS_OF).days


def test_synthetic_progress_by_commune_matches_plain_python(syn):
    o = Oracle(syn, AS_OF)
    allocated, committed, paid = defaultdict(int), defaultdict(int), defaultdict(int)
    for a in o.allocations:
        allocated[(a["line_id"], a["commune_code"])] += a["amount_vnd"]
    for c in o.contracts:
        committed[(c["line_id"], c["commune_code"])] += c["value_vnd"]
    for p in o.payments:
        paid[(p["line_id"], p["commune_code"])] += p["amount_vnd"]
    out = by(progress_by_commune(*syn.lazy(), today=AS_OF).collect(), "line_id", "commune_code")
    assert set(out) == set(allocated) | set(committed) | set(paid)
    behind_total = 0
    for key, row in out.items():
        share = o.share(key[0], AS_OF)
        expected_behind = max(round_half_away(share * allocated[key]) - paid[key], 0)
        behind_total += expected_behind
        assert row["allocated_vnd"] == allocated[key]
        assert row["committed_vnd"] == committed[key]
        assert row["paid_vnd"] == paid[key]
        assert row["remaining_vnd"] == allocated[key] - paid[key]
        assert row["scheduled_share"] == share
        assert row["behind_vnd"] == expected_behind
    assert behind_total > 0  # the fixture does exercise lagging communes


def test_synthetic_lagging_is_ranked_and_complete(syn):
    o = Oracle(syn, AS_OF)
    out = lagging_communes(*syn.lazy(), today=AS_OF).collect()
    commune = progress_by_commune(*syn.lazy(), today=AS_OF).collect()
    expected = {
        (r["line_id"], r["commune_code"])
        for r in commune.to_dicts()
        if r["behind_vnd"] > 0 and r["commune_code"] is not None
    }
    assert {(r["line_id"], r["commune_code"]) for r in out.to_dicts()} == expected
    assert out["rank"].to_list() == list(range(1, out.height + 1))
    behind = out["behind_vnd"].to_list()
    assert behind == sorted(behind, reverse=True)
    contracted = {(c["line_id"], c["commune_code"]) for c in o.contracts}
    for r in out.to_dicts():
        key = (r["line_id"], r["commune_code"])
        if key not in contracted:
            assert r["reason_vi"] == "chưa ký hợp đồng"
        elif r["paid_vnd"] <= 0:
            assert r["reason_vi"] == "đã ký hợp đồng nhưng chưa thanh toán"
        else:
            pct = round((r["scheduled_share"] - r["paid_vnd"] / r["allocated_vnd"]) * 100, 1)
            assert r["reason_vi"] == f"thanh toán chậm {pct:.1f}% so với kế hoạch".replace(".", ",")


def test_synthetic_province_summary_totals(syn):
    o = Oracle(syn, AS_OF)
    out = by(province_summary(*syn.lazy(), today=AS_OF).collect(), "province_code")
    for code, row in out.items():
        top = [ln for ln in o.lines.values() if ln["province_code"] == code and ln["parent_id"] is None]
        ids = {ln["line_id"] for ln in o.lines.values() if ln["province_code"] == code}
        assert row["lines"] == len(top)
        assert row["amount_vnd"] == sum(ln["amount_vnd"] for ln in top)
        assert row["allocated_vnd"] == sum(a["amount_vnd"] for a in o.allocations if a["line_id"] in ids)
        assert row["committed_vnd"] == sum(c["value_vnd"] for c in o.contracts if c["line_id"] in ids)
        assert row["paid_vnd"] == sum(p["amount_vnd"] for p in o.payments if p["line_id"] in ids)
    assert sum(r["paid_vnd"] for r in out.values()) == sum(p["amount_vnd"] for p in o.payments)


def test_synthetic_months_have_no_gaps_and_add_up(syn):
    o = Oracle(syn, AS_OF)
    out = progress_by_month(*syn.lazy(), today=AS_OF).collect()
    for line_id, line in o.lines.items():
        rows = out.filter(pl.col("line_id") == line_id).to_dicts()
        months = [r["month"] for r in rows]
        first = date(line["decision_date"].year, line["decision_date"].month, 1)
        sub_payments = [p for p in o.all_payments if o.in_subtree(p["line_id"], line_id)]
        sub_contracts = [c for c in o.all_contracts if o.in_subtree(c["line_id"], line_id)]
        last_day = max([AS_OF] + [p["paid_on"] for p in sub_payments] + [c["signed_on"] for c in sub_contracts])
        assert months[0] == first
        assert months[-1] == date(last_day.year, last_day.month, 1)
        for a, b in zip(months, months[1:], strict=False):
            assert (b - timedelta(days=1)).replace(day=1) == a, f"gap between {a} and {b}"
        cumulative_paid = cumulative_committed = 0
        for r in rows:
            month_end = (r["month"] + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            in_month_paid = sum(p["amount_vnd"] for p in sub_payments if p["paid_on"].replace(day=1) == r["month"])
            in_month_committed = sum(
                c["value_vnd"] for c in sub_contracts if c["signed_on"].replace(day=1) == r["month"]
            )
            cumulative_paid += in_month_paid
            cumulative_committed += in_month_committed
            assert r["paid_vnd"] == in_month_paid
            assert r["committed_vnd"] == in_month_committed
            assert r["cumulative_paid_vnd"] == cumulative_paid
            assert r["cumulative_committed_vnd"] == cumulative_committed
            assert r["scheduled_cumulative_vnd"] == round_half_away(o.share(line_id, month_end) * line["amount_vnd"])


def test_money_columns_are_int64(syn):
    for report in REPORTS:
        schema = report(*syn.lazy(), today=AS_OF).collect_schema()
        money = [c for c in schema if c.endswith("_vnd")]
        assert money, report.__name__
        for column in money:
            assert schema[column] == pl.Int64, (report.__name__, column)


# --------------------------------------------------------------------------- the generator itself


def test_synthetic_is_deterministic():
    a = synthetic_disbursement(40, 200, 600, seed=11, today=SYN_TODAY)
    b = synthetic_disbursement(40, 200, 600, seed=11, today=SYN_TODAY)
    c = synthetic_disbursement(40, 200, 600, seed=12, today=SYN_TODAY)
    for name in ("lines", "milestones", "allocations", "contracts", "payments"):
        assert getattr(a, name).equals(getattr(b, name))
    assert not a.payments.equals(c.payments)
    assert (a.allocations.height, a.contracts.height, a.payments.height) == (40 + a.lines.height // 2, 200, 600)


def test_synthetic_respects_every_rule(syn):
    lines = {r["line_id"]: r for r in syn.lines.to_dicts()}
    sub = defaultdict(int)
    for line in lines.values():
        rules.check_line_dates(line["decision_date"], line["deadline"])
        if line["parent_id"] is not None:
            rules.check_sub_line_fits(
                lines[line["parent_id"]]["amount_vnd"], sub[line["parent_id"]], 0, line["amount_vnd"]
            )
            sub[line["parent_id"]] += line["amount_vnd"]
    by_line = defaultdict(list)
    for m in syn.milestones.to_dicts():
        by_line[m["line_id"]].append((m["due_on"], m["target_share"]))
    for line_id, ms in by_line.items():
        rules.check_milestones(sorted(ms), lines[line_id]["decision_date"])
    allocated = defaultdict(int)
    allocations = {}
    for a in syn.allocations.to_dicts():
        rules.check_allocation_fits(
            lines[a["line_id"]]["amount_vnd"],
            allocated[a["line_id"]],
            a["amount_vnd"],
            line_sub_lines_vnd=sub[a["line_id"]],
        )
        allocated[a["line_id"]] += a["amount_vnd"]
        allocations[a["allocation_id"]] = a
    contracted = defaultdict(int)
    contracts = {}
    for c in syn.contracts.to_dicts():
        rules.check_contract_signed_after_decision(c["signed_on"], lines[c["line_id"]]["decision_date"])
        rules.check_contract_fits(
            allocations[c["allocation_id"]]["amount_vnd"], contracted[c["allocation_id"]], c["value_vnd"]
        )
        contracted[c["allocation_id"]] += c["value_vnd"]
        contracts[c["contract_id"]] = c
    paid = defaultdict(int)
    originals = {}
    reversed_ = set()
    for p in sorted(syn.payments.to_dicts(), key=lambda p: (p["paid_on"], p["payment_id"])):
        c = contracts[p["contract_id"]]
        if p["amount_vnd"] > 0:
            rules.check_payment(c["value_vnd"], paid[c["contract_id"]], p["amount_vnd"], p["paid_on"], c["signed_on"])
            originals[p["payment_id"]] = p
        else:
            o = originals.get(p["reverses_payment_id"])
            rules.check_reversal(
                p["amount_vnd"],
                original_amount_vnd=o and o["amount_vnd"],
                original_paid_on=o and o["paid_on"],
                original_already_reversed=p["reverses_payment_id"] in reversed_,
                paid_vnd=paid[c["contract_id"]],
                reversed_on=p["paid_on"],
            )
            reversed_.add(p["reverses_payment_id"])
        paid[c["contract_id"]] += p["amount_vnd"]
    assert reversed_, "the fixture should contain reversals"


# --------------------------------------------------------------------------- XLSX export


def test_spreadsheets_round_trip_money_exactly_under_vietnamese_headers():
    from procurement.finance.reports import Format, encode

    commune = progress_by_commune(*handmade(), today=TODAY).collect()
    back = pl.read_excel(
        encode(commune, Format.xlsx, "Theo xã"), sheet_name="Theo xã", engine="calamine", read_options={"header_row": 1}
    )
    assert back.height == commune.height
    assert [int(v) for v in back["Đã giải ngân"].to_list()] == commune["paid_vnd"].to_list()
    assert [int(v) for v in back["Chậm so với kế hoạch"].to_list()] == commune["behind_vnd"].to_list()
    month = progress_by_month(*handmade(), today=TODAY).collect()
    csv = pl.read_csv(encode(month, Format.csv, "Theo tháng"))
    assert csv["Lũy kế đã giải ngân"].to_list() == month["cumulative_paid_vnd"].to_list()


def test_line_decided_after_today_still_gets_its_month():
    lines, milestones, allocations, contracts, payments = handmade()
    lines = lines.with_columns(
        pl.when(pl.col("line_id") == 3).then(date(2026, 5, 4)).otherwise(pl.col("decision_date")).alias("decision_date")
    )
    payments = payments.filter(pl.col("line_id") != 3)
    out = progress_by_month(
        lines, milestones, allocations, contracts.filter(pl.col("line_id") != 3), payments, today=TODAY
    ).collect()
    assert out.filter(pl.col("line_id") == 3)["month"].to_list() == [date(2026, 5, 1)]
    assert out["month"].null_count() == 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), days_back=st.integers(0, 400))
def test_totals_are_conserved_across_reports(seed, days_back):
    frames = synthetic_disbursement(25, 120, 400, seed=seed, today=SYN_TODAY, n_provinces=2)
    today = SYN_TODAY - timedelta(days=days_back)
    raw_paid = sum(p["amount_vnd"] for p in frames.payments.to_dicts() if p["paid_on"] <= today)
    raw_committed = sum(c["value_vnd"] for c in frames.contracts.to_dicts() if c["signed_on"] <= today)
    raw_all_paid = sum(p["amount_vnd"] for p in frames.payments.to_dicts())
    lines = progress_by_line(*frames.lazy(), today=today).collect()
    top = lines.filter(pl.col("parent_id").is_null())
    assert top["paid_vnd"].sum() == raw_paid
    assert top["committed_vnd"].sum() == raw_committed
    assert progress_by_commune(*frames.lazy(), today=today).collect()["paid_vnd"].sum() == raw_paid
    assert province_summary(*frames.lazy(), today=today).collect()["paid_vnd"].sum() == raw_paid
    month = progress_by_month(*frames.lazy(), today=today).collect()
    top_ids = top["line_id"].to_list()
    assert month.filter(pl.col("line_id").is_in(top_ids))["paid_vnd"].sum() == raw_all_paid
