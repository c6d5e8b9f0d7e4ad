"""Replacement priority, commune shortage and budget plan on fleets small enough to reason about."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from procurement.core.clock import years_before
from procurement.core.reporting import MissingColumnsError
from procurement.planning.priority import (
    PriorityWeights,
    commune_shortage,
    replacement_plan,
    replacement_priority,
)
from procurement.seed.synthetic import synthetic_fleet
from tests.support.fleet_helpers import TODAY, asset, commune, frames

PARTS = [
    "age_part",
    "condition_part",
    "place_part",
    "shortage_part",
    "remote_part",
    "security_part",
]


def rank(assets, communes=None, weights=None) -> pl.DataFrame:
    a, c, m = frames(assets, communes)
    return replacement_priority(a, c, m, today=TODAY, weights=weights).collect()


def row(df: pl.DataFrame, asset_id: int) -> dict:
    return df.filter(pl.col("asset_id") == asset_id).row(0, named=True)


# --- priority: known orders -------------------------------------------------


def test_broken_old_service_point_desktop_outranks_fair_young_printer():
    # Desktop: 9 years old on a 5-year life is past 1.5 × life -> full age 40;
    # broken -> 25; at the service point -> 10; total 75.
    # Printer: 3 years of 5 -> 3 / 7.5 = 0.4 of 40 = 16; fair -> 0.25 × 25 = 6.25; total 22.25.
    df = rank(
        [
            asset(1, category_code="printer", condition="fair", age=3),
            asset(
                2,
                category_code="desktop",
                condition="broken",
                age=9,
                location="service_point",
            ),
        ]
    )
    assert df["asset_id"].to_list() == [2, 1]
    assert df["rank"].to_list() == [1, 2]
    desk, printer = row(df, 2), row(df, 1)
    assert desk["score"] == pytest.approx(75.0, abs=0.01)
    assert (desk["age_part"], desk["condition_part"], desk["place_part"]) == (
        40.0,
        25.0,
        10.0,
    )
    assert printer["score"] == pytest.approx(22.25, abs=0.02)
    assert desk["reason"] == "quá hạn sử dụng 4 năm; hỏng; bộ phận một cửa"
    assert printer["reason"] == "trung bình"  # age part of a young device is not named
    assert desk["age_years"] == 9.0 and desk["years_over_life"] == 4.0


def test_disposed_and_awaiting_disposal_are_not_ranked():
    df = rank(
        [
            asset(1, status="disposed", condition="broken", age=12),
            asset(2, status="awaiting_disposal", condition="broken", age=12),
            asset(3, status="in_storage"),
            asset(4, status="in_repair"),
            asset(5),
        ]
    )
    assert sorted(df["asset_id"].to_list()) == [3, 4, 5]


def test_ties_go_to_older_device_then_lower_asset_id():
    # Broken devices well past 1.5 × life all score 40 + 25 = 65: a tie.
    df = rank(
        [
            asset(7, condition="broken", age=10),
            asset(3, condition="broken", age=12),
            asset(5, condition="broken", age=10),
        ]
    )
    assert df["score"].unique().to_list() == [65.0]
    assert df["asset_id"].to_list() == [3, 5, 7]


def test_unknown_age_is_moderately_old_and_said_so():
    df = rank([asset(1, age=None), asset(2, age=1), asset(3, age=6)])
    unknown = row(df, 1)
    assert unknown["age_years"] is None
    assert unknown["age_part"] == pytest.approx(40 * 0.6)
    assert unknown["reason"] == "không rõ năm mua"
    assert df["asset_id"].to_list() == [3, 1, 2]


def test_acquired_year_counts_from_mid_year():
    df = rank([asset(1, acquired_on=None, acquired_year=2020)])
    # 1 July 2020 -> 1 June 2026 is 5 years 11 months.
    assert row(df, 1)["age_years"] == pytest.approx(5.9, abs=0.05)
    assert row(df, 1)["reason"] == "đã hết hạn sử dụng"


@pytest.mark.parametrize(
    ("age", "phrase"),
    [
        (4.5, "sắp hết hạn sử dụng"),
        (5.5, "đã hết hạn sử dụng"),
        (7.2, "quá hạn sử dụng 2 năm"),
        (2.0, ""),
    ],
)
def test_age_phrases(age, phrase):
    assert row(rank([asset(1, age=age)]), 1)["reason"] == phrase


def test_reason_names_every_contributing_part_largest_first():
    # Commune with 5 officials and two working computers (a poor one still works):
    # shortage = 10 × (1 − 2/5) = 6. Remote 5. No anti-malware 5, old OS 5.
    df = rank(
        [
            asset(
                1,
                condition="poor",
                age=None,
                antimalware_installed=False,
                os_supported=False,
            ),
            asset(2),
        ],
        [commune("C1", officials=5, remote=True)],
        weights=PriorityWeights(max_reason_parts=10),
    )
    r = row(df, 1)
    assert r["shortage_part"] == pytest.approx(6.0)
    assert r["security_part"] == pytest.approx(10.0)
    assert r["reason"] == (
        "không rõ năm mua; kém; xã thiếu máy tính (2 máy/5 cán bộ); xã vùng sâu, vùng xa; "
        "chưa cài phần mềm diệt virus tập trung; hệ điều hành hết hỗ trợ"
    )
    short = row(
        rank(
            [asset(1, condition="poor", age=None)],
            [commune("C1", officials=5, remote=True)],
        ),
        1,
    )
    assert short["reason"].count(";") == 3  # shortage, condition, age, remote: 4 parts, no security


def test_reason_is_limited_to_max_parts():
    df = rank(
        [
            asset(
                1,
                condition="broken",
                age=10,
                location="service_point",
                antimalware_installed=False,
            )
        ],
        [commune("C1", remote=True)],
        weights=PriorityWeights(max_reason_parts=2),
    )
    assert row(df, 1)["reason"] == "quá hạn sử dụng 5 năm; hỏng"


def test_security_parts_only_for_computers():
    df = rank(
        [
            asset(
                1,
                category_code="printer",
                antimalware_installed=False,
                os_supported=False,
            )
        ]
    )
    assert row(df, 1)["security_part"] == 0.0


def test_missing_column_is_named():
    a, c, m = frames([asset(1)])
    with pytest.raises(MissingColumnsError, match="condition"):
        replacement_priority(a.drop("condition"), c, m, today=TODAY)


def test_weights_are_frozen_and_validated():
    w = PriorityWeights()
    assert w.age + w.condition + w.place + w.shortage + w.remote + w.security == 100
    with pytest.raises(ValidationError):
        w.age = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        PriorityWeights(age=-1)


# --- priority: each part moves the score the right way -----------------------

CONDITIONS = ["good", "fair", "poor", "broken"]


@dataclass
class Case:
    asset: dict
    commune: dict
    others: list[dict]  # other working computers in the commune


base_cases = st.builds(
    lambda category, condition, age, location, av, os_ok, remote, officials, working: Case(
        asset(
            1,
            category_code=category,
            condition=condition,
            age=age,
            location=location,
            antimalware_installed=av,
            os_supported=os_ok,
        ),
        commune("C1", officials=officials, remote=remote),
        [asset(100 + i) for i in range(working)],
    ),
    category=st.sampled_from(["desktop", "laptop", "printer", "scanner"]),
    condition=st.sampled_from(CONDITIONS),
    age=st.one_of(st.none(), st.floats(0, 12).map(lambda x: round(x, 1))),
    location=st.sampled_from(["office", "service_point"]),
    av=st.sampled_from([True, False, None]),
    os_ok=st.sampled_from([True, False, None]),
    remote=st.booleans(),
    officials=st.integers(0, 6),
    working=st.integers(0, 6),
)


def _worsen(case: Case, part: str) -> Case | None:
    a, m, others = dict(case.asset), dict(case.commune), list(case.others)
    if part == "age_part":
        if a["acquired_on"] is None:
            return None
        a["acquired_on"] = years_before(a["acquired_on"], 2)
    elif part == "condition_part":
        a["condition"] = CONDITIONS[min(CONDITIONS.index(a["condition"]) + 1, 3)]
    elif part == "place_part":
        a["location"] = "service_point"
    elif part == "remote_part":
        m["remote"] = True
    elif part == "security_part":
        a["antimalware_installed"] = False
    elif part == "shortage_part":
        others = others[:-1]
    return Case(a, m, others)


def _score(case: Case) -> dict:
    return row(rank([case.asset, *case.others], [case.commune]), 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base_cases, st.sampled_from(PARTS))
def test_worsening_one_input_never_lowers_score_and_moves_only_its_part(case, part):
    worse = _worsen(case, part)
    if worse is None:
        return
    before, after = _score(case), _score(worse)
    assert after[part] >= before[part]
    assert after["score"] >= before["score"]
    # A computer that becomes broken stops counting as working, so its commune's
    # shortage may rise with it (never fall): the one part allowed to move along.
    became_broken = part == "condition_part" and worse.asset["condition"] == "broken" != case.asset["condition"]
    for other in PARTS:
        if other == part:
            continue
        if other == "shortage_part" and became_broken and case.asset["category_code"] in ("desktop", "laptop"):
            assert after[other] >= before[other]
        else:
            assert after[other] == before[other], other


@pytest.mark.parametrize(
    ("part", "base", "worse"),
    [
        ("age_part", {"age": 2}, {"age": 6}),
        ("condition_part", {"condition": "fair"}, {"condition": "poor"}),
        ("place_part", {"location": "office"}, {"location": "service_point"}),
        (
            "security_part",
            {"antimalware_installed": True},
            {"antimalware_installed": False},
        ),
        ("security_part", {"os_supported": True}, {"os_supported": False}),
    ],
)
def test_worse_asset_ranks_ahead_of_otherwise_equal_asset(part, base, worse):
    # Asset 1 has the lower id, so it would win a tie: the worse asset 2 must beat it on score.
    df = rank([asset(1, **base), asset(2, **worse)])
    assert df["asset_id"].to_list() == [2, 1]
    assert row(df, 2)[part] > row(df, 1)[part]


def test_remote_and_short_communes_rank_ahead():
    df = rank(
        [
            asset(1, commune_code="NEAR"),
            asset(2, commune_code="FAR"),
            asset(3, commune_code="SHORT"),
        ],
        [
            commune("NEAR", officials=1),
            commune("FAR", officials=1, remote=True),
            commune("SHORT", officials=4),
        ],
    )
    # SHORT: 1 working computer for 4 officials -> shortage 7.5 > remote 5 > nothing.
    assert df["asset_id"].to_list() == [3, 2, 1]


# --- shortage ----------------------------------------------------------------


def test_shortage_norms_and_working_definition():
    assets = [
        asset(1),  # working desktop
        asset(2, category_code="laptop", condition="poor"),  # working
        asset(3, condition="broken"),  # not working
        asset(4, status="in_storage"),  # not working: not in use
        asset(5, category_code="printer"),
        asset(6, category_code="scanner", status="disposed"),
    ]
    a, c, m = frames(
        assets,
        [
            commune("C1", officials=4, has_service_point=True),
            commune("C2", officials=3),
        ],
    )
    df = commune_shortage(a, c, m).collect()
    got = {
        (r["commune_code"], r["category_code"]): (
            r["needed"],
            r["working"],
            r["lacking"],
        )
        for r in df.to_dicts()
    }
    # C1: computers 4 + 2 = 6, printers ceil(4/3) + 1 = 3, scanners 1 + 1 = 2.
    assert got[("C1", "computer")] == (6, 2, 4)
    assert got[("C1", "printer")] == (3, 1, 2)
    assert got[("C1", "scanner")] == (2, 0, 2)
    # C2 has nothing at all and still appears.
    assert got[("C2", "computer")] == (3, 0, 3)
    assert got[("C2", "printer")] == (1, 0, 1)
    assert got[("C2", "scanner")] == (1, 0, 1)
    assert df.columns == [
        "commune_code",
        "commune_name",
        "province_code",
        "category_code",
        "needed",
        "working",
        "lacking",
    ]


def test_shortage_never_negative():
    a, c, m = frames([asset(i) for i in range(1, 6)], [commune("C1", officials=1)])
    df = commune_shortage(a, c, m).collect()
    assert df.filter(pl.col("category_code") == "computer")["lacking"].item() == 0


# --- plan --------------------------------------------------------------------


def plan_for(assets, communes, **kwargs) -> pl.DataFrame:
    a, c, m = frames(assets, communes)
    pr = replacement_priority(a, c, m, today=TODAY)
    sh = commune_shortage(a, c, m)
    return replacement_plan(pr, sh, **kwargs).collect()


def simple_greedy(
    prices: list[int],
    communes: list[str],
    budget: int,
    commune_budget: dict[str, int] | None = None,
) -> list[bool]:
    """The plain reference walk: take an item if it fits, else skip it and go on."""
    left = budget
    spent: dict[str, int] = {}
    taken = []
    for price, code in zip(prices, communes, strict=False):
        fits_commune = commune_budget is None or spent.get(code, 0) + price <= commune_budget.get(code, 0)
        if fits_commune and price <= left:
            left -= price
            spent[code] = spent.get(code, 0) + price
            taken.append(True)
        else:
            taken.append(False)
    return taken


def test_plan_skips_what_does_not_fit_and_keeps_going():
    # Ranked: broken old desktop (15 M), broken old printer (6 M). Budget 20 M:
    # the desktop fits, 5 M is left, the printer does not fit.
    plan = plan_for(
        [
            asset(1, condition="broken", age=10),
            asset(2, category_code="printer", condition="broken", age=10),
            asset(3, category_code="ups", condition="poor", age=10),
        ],
        [commune("C1")],
        budget_vnd=20_000_000,
    )
    rep = plan.filter(pl.col("item_kind") == "replace")
    assert rep["asset_id"].to_list() == [1, 2, 3]
    assert rep["included"].to_list() == [
        True,
        False,
        True,
    ]  # UPS 3 M still fits after the printer is skipped
    assert rep.filter(pl.col("asset_id") == 2)["excluded_reason"].item() == "vượt ngân sách còn lại (còn 5.000.000 đ)"
    assert rep["running_total_vnd"].to_list() == [15_000_000, 15_000_000, 18_000_000]
    assert plan.schema["running_total_vnd"] == pl.Int64 and plan.schema["unit_price_vnd"] == pl.Int64


def test_commune_without_computers_gets_a_new_one_ranked_high():
    plan = plan_for(
        [
            asset(1, commune_code="C1", category_code="printer", condition="poor", age=6),
            asset(2, commune_code="C2"),
            asset(3, commune_code="C2", category_code="printer"),
            asset(4, commune_code="C2", category_code="scanner"),
        ],
        [commune("C1", officials=2), commune("C2", officials=1)],
        budget_vnd=30_000_000,
    )
    first = plan.row(0, named=True)
    assert (first["item_kind"], first["commune_code"], first["category_code"]) == (
        "new",
        "C1",
        "computer",
    )
    assert first["score"] == 90.0 and first["asset_id"] is None
    assert first["reason"] == "mua mới: xã thiếu máy tính (có 0/cần 2)"
    new_c1 = plan.filter((pl.col("item_kind") == "new") & (pl.col("category_code") == "computer"))
    assert new_c1["score"].to_list() == [90.0, 45.0]  # second unit: 90 × (1 − 1/2)
    assert plan.filter(pl.col("commune_code") == "C2", pl.col("item_kind") == "new").height == 0


def test_broken_device_replacement_is_not_double_counted_as_new():
    # 1 official, their only desktop is broken: lacking 1, but replacing it fills the gap.
    plan = plan_for(
        [
            asset(1, condition="broken", age=8),
            asset(2, category_code="printer"),
            asset(3, category_code="scanner"),
        ],
        [commune("C1", officials=1)],
        budget_vnd=100_000_000,
    )
    assert plan.filter(pl.col("item_kind") == "new").height == 0


def test_min_score_leaves_healthy_devices_out():
    plan = plan_for(
        [asset(1, age=0), asset(2, condition="broken")],
        [commune("C1")],
        budget_vnd=100_000_000,
        min_score=10,
    )
    r = {x["asset_id"]: x for x in plan.filter(pl.col("item_kind") == "replace").to_dicts()}
    assert r[2]["included"] and not r[1]["included"]
    assert r[1]["excluded_reason"] == "điểm ưu tiên chưa đến ngưỡng thay thế"


def test_per_commune_budgets_are_respected():
    assets = (
        [asset(i, commune_code="A", condition="broken", age=10) for i in range(1, 5)]
        + [asset(i, commune_code="B", condition="broken", age=10) for i in range(5, 9)]
        + [asset(9, commune_code="C", condition="broken", age=12)]
    )
    budgets = pl.LazyFrame({"commune_code": ["A", "B"], "budget_vnd": [30_000_000, 15_000_000]})
    plan = plan_for(
        assets,
        [commune("A"), commune("B"), commune("C")],
        budget_vnd=1_000_000_000,
        per_commune_budget=budgets,
    )
    spent = plan.filter("included").group_by("commune_code").agg(pl.col("unit_price_vnd").sum())
    spent = dict(spent.iter_rows())
    assert spent == {"A": 30_000_000, "B": 15_000_000}
    c_row = plan.filter(pl.col("commune_code") == "C").row(0, named=True)
    assert not c_row["included"] and c_row["excluded_reason"] == "xã chưa được phân bổ ngân sách"
    b_out = plan.filter((pl.col("commune_code") == "B") & ~pl.col("included"))
    assert b_out["excluded_reason"].to_list()[0] == "vượt ngân sách của xã (còn 0 đ)"


def test_min_share_gives_every_commune_its_top_items_first():
    # Commune HIGH has many urgent desktops; LOW has milder ones (fair, 6 years).
    assets = [asset(i, commune_code="HIGH", condition="broken", age=10, location="service_point") for i in range(1, 11)]
    assets += [asset(i, commune_code="LOW", condition="fair", age=6) for i in range(11, 15)]
    # Each commune has its one needed scanner, so no new-device lines get in the way.
    assets += [
        asset(20, commune_code="HIGH", category_code="scanner"),
        asset(21, commune_code="LOW", category_code="scanner"),
    ]
    communes = [commune("HIGH"), commune("LOW")]
    without = plan_for(assets, communes, budget_vnd=100_000_000)
    assert without.filter("included", pl.col("commune_code") == "LOW").height == 0
    with_share = plan_for(assets, communes, budget_vnd=100_000_000, min_share_per_commune=0.3)
    low = with_share.filter("included", pl.col("commune_code") == "LOW")
    # floor(100 M × 0.3) = 30 M -> two LOW desktops of 15 M, its highest-ranked ones.
    assert low["unit_price_vnd"].sum() == 30_000_000
    low_ranked = with_share.filter(pl.col("commune_code") == "LOW", pl.col("item_kind") == "replace")
    assert low_ranked["included"].to_list()[:2] == [True, True]
    assert with_share.filter("included")["unit_price_vnd"].sum() <= 100_000_000
    # HIGH still gets the rest: 70 M -> 4 desktops (60 M).
    high = with_share.filter(
        "included",
        pl.col("commune_code") == "HIGH",
        pl.col("category_code") == "desktop",
    )
    assert high.height == 4


def test_min_share_too_large_is_refused():
    with pytest.raises(Exception, match="min_share_per_commune"):
        plan_for(
            [asset(1, commune_code="A"), asset(2, commune_code="B")],
            [commune("A"), commune("B")],
            budget_vnd=10,
            min_share_per_commune=0.6,
        )


def reference_with_share(
    plan: pl.DataFrame, budget: int, share: float, commune_budget: dict[str, int] | None
) -> list[bool]:
    """Plain two-phase reference: per-commune floor first (rank order), then global rank order."""
    rows = plan.sort("rank").to_dicts()
    floor = math.floor(budget * share)
    left = budget
    spent: dict[str, int] = {}
    taken = [False] * len(rows)

    def ok(i: int, cap: int | None) -> bool:
        r = rows[i]
        s = spent.get(r["commune_code"], 0) + r["unit_price_vnd"]
        if cap is not None and s > cap:
            return False
        if commune_budget is not None and s > commune_budget.get(r["commune_code"], 0):
            return False
        return r["unit_price_vnd"] <= left

    for phase_cap in ([floor] if floor > 0 else []) + [None]:
        for i, r in enumerate(rows):
            if taken[i] or (r["item_kind"] == "replace" and r["score"] <= 0):
                continue
            if ok(i, phase_cap):
                taken[i] = True
                left -= r["unit_price_vnd"]
                spent[r["commune_code"]] = spent.get(r["commune_code"], 0) + r["unit_price_vnd"]
    return taken


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_communes=st.integers(1, 6),
    n_assets=st.integers(0, 80),
    budget=st.integers(0, 600_000_000),
    share=st.sampled_from([0.0, 0.0, 0.05, 0.1]),
    with_commune_budgets=st.booleans(),
    data=st.data(),
)
def test_plan_never_exceeds_budget_and_matches_plain_greedy(
    seed, n_communes, n_assets, budget, share, with_commune_budgets, data
):
    a, c, m = synthetic_fleet(n_communes, n_assets, seed)
    codes = m.collect()["commune_code"].to_list()
    commune_budget = None
    per = None
    if with_commune_budgets:
        commune_budget = {
            code: data.draw(st.integers(0, 200_000_000), label=f"budget {code}")
            for code in codes
            if data.draw(st.booleans(), label=f"listed {code}")
        }
        per = pl.LazyFrame(
            {
                "commune_code": list(commune_budget),
                "budget_vnd": list(commune_budget.values()),
            },
            schema={"commune_code": pl.String, "budget_vnd": pl.Int64},
        )
    pr = replacement_priority(a, c, m, today=TODAY)
    sh = commune_shortage(a, c, m)
    plan = replacement_plan(pr, sh, budget_vnd=budget, per_commune_budget=per, min_share_per_commune=share).collect()

    included_total = plan.filter("included")["unit_price_vnd"].sum()
    assert included_total <= budget
    assert plan["rank"].to_list() == list(range(1, plan.height + 1))
    assert plan["score"].to_list() == sorted(plan["score"].to_list(), reverse=True)
    if plan.height:
        assert plan["running_total_vnd"].to_list()[-1] == included_total
    if commune_budget is not None:
        for code, spent in (
            plan.filter("included").group_by("commune_code").agg(pl.col("unit_price_vnd").sum()).iter_rows()
        ):
            assert spent <= commune_budget.get(code, 0)
    # Same decisions as a plain Python walk over the same ranked candidates.
    if share == 0.0:
        expected = simple_greedy(
            plan["unit_price_vnd"].to_list(),
            plan["commune_code"].to_list(),
            budget,
            commune_budget,
        )
        eligible = [k == "new" or s > 0 for k, s in zip(plan["item_kind"], plan["score"], strict=False)]
        if all(eligible):
            assert plan["included"].to_list() == expected
    assert plan["included"].to_list() == reference_with_share(plan, budget, share, commune_budget)
    assert plan.filter(~pl.col("included"))["excluded_reason"].null_count() == 0
    assert plan.filter("included")["excluded_reason"].null_count() == plan.filter("included").height


def test_plan_copes_with_an_asset_of_an_unknown_commune():
    plan = plan_for(
        [asset(1, commune_code="GONE", condition="broken", age=10), asset(2, condition="broken")],
        [commune("C1", officials=1)],
        budget_vnd=15_000_000,
        per_commune_budget=pl.LazyFrame({"commune_code": ["C1"], "budget_vnd": [15_000_000]}),
    )
    gone = plan.filter(pl.col("asset_id") == 1).row(0, named=True)
    assert gone["commune_name"] is None and not gone["included"]
    assert gone["excluded_reason"] == "xã chưa được phân bổ ngân sách"
    assert plan.filter("included")["unit_price_vnd"].sum() <= 15_000_000


def test_age_is_weighed_against_the_useful_life_of_the_public_property_rules():
    # The category table says 10 years; the rule in force (TT 23/2023 Phụ lục 01) says 5:
    # a 6-year-old desktop is past its useful life by the rule.
    from procurement.public_property.rules import rule_in_force

    a, c, m = frames([asset(1, category_code="desktop", age=6)])
    c = c.with_columns(pl.lit(10).cast(pl.Int32).alias("useful_life_years"))
    result = replacement_priority(a, c, m, today=TODAY).collect().row(0, named=True)
    assert rule_in_force("desktop", TODAY).life_years == 5
    assert "quá hạn sử dụng 1 năm" in result["reason"]


# --- repairs against the original cost ------------------------------------------------------


def test_repairs_against_the_original_cost_are_a_part_of_their_own_and_explained():
    """A device whose repairs already cost a large share of its price ranks higher; full
    weight at the share above which a repair is not worth it (30 %); no repairs, or no
    known price, adds nothing; the reason names the share."""
    base = [
        asset(1),  # no repairs
        asset(2),  # 15 % of 15,000,000 repaired: half the weight
        asset(3),  # 45 %: capped at the weight
        asset(4, cost_vnd=None),  # repairs but no known price: cannot be compared
    ]
    a, c, m = frames(base)
    totals = pl.DataFrame({"asset_id": [1, 2, 3, 4], "repair_total_vnd": [0, 2_250_000, 6_750_000, 5_000_000]})
    with_repairs = a.join(totals.lazy(), on="asset_id", how="left")
    df = replacement_priority(with_repairs, c, m, today=TODAY).collect()
    parts = {r["asset_id"]: r["repair_part"] for r in df.iter_rows(named=True)}
    assert parts == {1: 0.0, 2: 5.0, 3: 10.0, 4: 0.0}
    assert row(df, 2)["score"] == pytest.approx(row(df, 1)["score"] + 5.0)
    assert "đã sửa chữa hết 15% nguyên giá" in row(df, 2)["reason"]
    assert "đã sửa chữa hết 45% nguyên giá" in row(df, 3)["reason"]
    assert "sửa chữa" not in (row(df, 1)["reason"] or "")
    assert [r["asset_id"] for r in df.iter_rows(named=True)][:2] == [3, 2]

    # Its weight is a setting like the others; a register read without the column scores as before.
    zero = replacement_priority(with_repairs, c, m, today=TODAY, weights=PriorityWeights(repairs=0)).collect()
    assert set(zero["repair_part"].to_list()) == {0.0}
    plain = replacement_priority(a, c, m, today=TODAY).collect()
    assert set(plain["repair_part"].to_list()) == {0.0}
    assert sorted(plain["score"].to_list()) == sorted(zero["score"].to_list())


_KEYS = ["score", "_kind_order", "_prank", "commune_code", "category_code", "_seq"]
_DESCENDING = [True, False, False, False, False, False]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    scores=st.lists(st.sampled_from([0.0, 10.5, 10.5, 33.25, 50.0, 90.0]), min_size=0, max_size=40),
    new_lines=st.lists(
        st.tuples(
            st.sampled_from([0.0, 10.5, 33.25, 45.0, 90.0]),
            st.sampled_from(["26296", "26299", None]),
            st.sampled_from(["computer", "printer"]),
            st.integers(0, 3),
        ),
        max_size=25,
    ),
    shuffled=st.booleans(),
    odd_score=st.sampled_from([None, math.nan, "none"]),
)
def test_candidates_merged_in_order_equal_a_full_sort(scores, new_lines, shuffled, odd_score):
    """The plan's candidate order, merged from the ranked list and the sorted new lines,
    equals sorting every candidate on all six keys (ties, nulls, NaN and unsorted input)."""
    from procurement.planning.priority import _in_candidate_order

    ranked = sorted(scores, reverse=True)
    replace = pl.DataFrame(
        {
            "score": ranked,
            "_kind_order": [0] * len(ranked),
            "_prank": list(range(1, len(ranked) + 1)),
            "commune_code": ["26296"] * len(ranked),
            "category_code": ["desktop"] * len(ranked),
            "_seq": [0] * len(ranked),
        },
        schema={
            "score": pl.Float64,
            "_kind_order": pl.Int8,
            "_prank": pl.Int64,
            "commune_code": pl.String,
            "category_code": pl.String,
            "_seq": pl.Int64,
        },
    )
    if shuffled:
        replace = replace.sample(fraction=1.0, shuffle=True, seed=len(scores))
    new = pl.DataFrame(
        {
            "score": [n[0] for n in new_lines],
            "_kind_order": [1] * len(new_lines),
            "_prank": [None] * len(new_lines),
            "commune_code": [n[1] for n in new_lines],
            "category_code": [n[2] for n in new_lines],
            "_seq": [n[3] for n in new_lines],
        },
        schema=replace.schema,
    )
    if odd_score != "none" and new_lines:  # one new line without a usable score: sorted in full
        new = new.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(odd_score, pl.Float64)).otherwise("score").alias("score")
        )
    candidates = pl.concat([replace, new])
    expected = candidates.sort(_KEYS, descending=_DESCENDING, nulls_last=True).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank")
    )
    assert _in_candidate_order(candidates).equals(expected)
