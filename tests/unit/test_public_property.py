"""Public-property rules: classification, yearly wear and remaining value, computed here
from the cited rule (TT 23/2023/TT-BTC Điều 3: ≥ 10,000,000 đ and ≥ 1 year; Phụ lục 01:
office machines 5 years, 20 %/year; wear = cost × rate, never beyond cost, last year
takes the remainder)."""

from __future__ import annotations

import datetime as dt

import pytest

from procurement.public_property.classification import Kind, Override, Valuation, classify
from procurement.public_property.rules import (
    CATEGORIES,
    DEFAULT_RULES,
    CategoryRule,
    Threshold,
    rule_in_force,
    threshold_in_force,
)
from procurement.public_property.wear import Opening, remaining_value, schedule, year_figures

TT23_FROM = dt.date(2023, 1, 1)


def test_every_category_has_a_dated_rule_with_its_document():
    for code in CATEGORIES:
        rule = rule_in_force(code, dt.date(2026, 6, 1))
        assert rule.document == "Thông tư 23/2023/TT-BTC" and rule.effective_from == TT23_FROM
        assert (rule.life_years, rule.rate_bp) == (5, 2000)
        assert rule_in_force(code, dt.date(2020, 6, 1)).document == "Thông tư 45/2018/TT-BTC"
    threshold = threshold_in_force(dt.date(2026, 6, 1))
    assert (threshold.min_cost_vnd, threshold.min_life_years) == (10_000_000, 1)
    assert "Điều 3" in threshold.source


def test_a_newer_circular_adds_rows_from_its_date_without_touching_earlier_years():
    newer = DEFAULT_RULES.with_rows(
        CategoryRule("laptop", dt.date(2027, 1, 1), 4, 2500, "Thông tư X/2026/TT-BTC", "Phụ lục 01", "Máy tính")
    )
    assert newer.rule_in_force("laptop", dt.date(2026, 12, 31)).rate_bp == 2000
    assert newer.rule_in_force("laptop", dt.date(2027, 1, 1)).rate_bp == 2500
    assert newer.rule_in_force("desktop", dt.date(2027, 6, 1)).rate_bp == 2000


@pytest.mark.parametrize(
    ("cost", "expected"),
    [(10_000_000, Kind.fixed_asset), (9_999_999, Kind.tool), (25_000_000, Kind.fixed_asset), (3_500_000, Kind.tool)],
)
def test_classified_by_the_cost_threshold_in_force_when_recorded(cost, expected):
    threshold = threshold_in_force(dt.date(2024, 3, 1))
    assert (cost >= threshold.min_cost_vnd) == (expected is Kind.fixed_asset)
    result = classify("printer", cost, dt.date(2024, 3, 1))
    assert result.kind is expected and "Điều 3" in result.source


def test_the_threshold_of_the_day_of_recording_applies_not_todays():
    rules = DEFAULT_RULES.with_rows(Threshold(dt.date(2026, 1, 1), 20_000_000, 1, "Thông tư Y/2025", "Điều 3"))
    assert classify("desktop", 15_000_000, dt.date(2025, 5, 1), rules=rules).kind is Kind.fixed_asset
    assert classify("desktop", 15_000_000, dt.date(2026, 5, 1), rules=rules).kind is Kind.tool


def test_unknown_cost_is_not_guessed_an_assessed_value_with_date_and_basis_is_used():
    assert classify("desktop", None, None).kind is Kind.unvalued
    valued = Valuation(12_000_000, dt.date(2025, 7, 1), "Giá mua mới máy tương đương tại thời điểm sử dụng")
    result = classify("desktop", None, None, valuation=valued)
    assert result.kind is Kind.fixed_asset and result.original_cost_vnd == 12_000_000
    assert result.in_use_on == dt.date(2025, 7, 1)


def test_an_override_wins_and_says_why():
    result = classify("desktop", 15_000_000, dt.date(2024, 1, 1), override=Override(Kind.tool, "máy hỏng linh kiện"))
    assert result.kind is Kind.tool and "máy hỏng linh kiện" in result.reason


def test_yearly_wear_is_cost_times_rate_and_the_last_year_takes_the_remainder():
    cost = 15_000_001  # 20 % is 3,000,000.2: rounded down each year, the fifth takes the rest
    rows = schedule("desktop", cost, dt.date(2023, 3, 15), 2029)
    yearly = cost * 2000 // 10_000
    assert [r.year for r in rows] == list(range(2023, 2030))
    assert [r.wear_vnd for r in rows] == [yearly] * 4 + [cost - 4 * yearly, 0, 0]
    assert rows[4].accumulated_vnd == cost and rows[4].remaining_vnd == 0
    assert all(r.accumulated_vnd <= cost for r in rows)
    assert remaining_value("desktop", cost, dt.date(2023, 3, 15), dt.date(2025, 6, 1)) == cost - 2 * yearly
    assert remaining_value("desktop", cost, dt.date(2023, 3, 15), dt.date(2025, 12, 1)) == cost - 3 * yearly


def test_a_device_crossing_a_rule_change_wears_each_year_by_that_years_rule():
    rules = DEFAULT_RULES.with_rows(
        CategoryRule("laptop", dt.date(2027, 1, 1), 4, 2500, "Thông tư X/2026/TT-BTC", "Phụ lục 01", "Máy tính")
    )
    cost = 20_000_000
    rows = schedule("laptop", cost, dt.date(2025, 4, 1), 2029, rules=rules)
    by_year = {r.year: r.wear_vnd for r in rows}
    assert by_year[2025] == by_year[2026] == cost * 20 // 100  # old rule: 20 %
    assert by_year[2027] == cost * 25 // 100  # new rule from its date: 25 %
    # fourth year worn: the new rule's life is 4 years, so it takes what is left
    assert by_year[2028] == cost - 2 * (cost * 20 // 100) - cost * 25 // 100
    assert by_year[2029] == 0 and rows[-1].remaining_vnd == 0


def test_a_closed_year_is_left_untouched_and_a_correction_wears_in_the_open_year():
    in_use = dt.date(2024, 2, 1)
    closed = year_figures("desktop", 12_000_000, in_use, 2024)  # closed under the first cost
    assert closed.wear_vnd == 12_000_000 * 20 // 100
    opening = Opening(closed.year, closed.accumulated_vnd, closed.years_worn)
    corrected_cost = 15_000_000  # the invoice is found: the cost is corrected in 2025
    next_year = year_figures("desktop", corrected_cost, in_use, 2025, opening=opening)
    assert next_year.accumulated_vnd == closed.accumulated_vnd + corrected_cost * 20 // 100
    assert next_year.remaining_vnd == corrected_cost - next_year.accumulated_vnd
    # the 2024 figures are what was closed, not a recomputation under the new cost
    assert (closed.wear_vnd, closed.accumulated_vnd) == (2_400_000, 2_400_000)
    rest = schedule("desktop", corrected_cost, in_use, 2030, opening=opening)
    assert rest[-1].accumulated_vnd == corrected_cost  # never beyond the (corrected) cost


def test_a_device_not_yet_in_use_has_no_wear_that_year():
    figures = year_figures("printer", 11_000_000, dt.date(2026, 5, 1), 2025)
    assert (figures.wear_vnd, figures.accumulated_vnd, figures.remaining_vnd) == (0, 0, 11_000_000)


def test_one_years_figures_agree_with_the_full_schedule():
    rules = DEFAULT_RULES.with_rows(
        CategoryRule("ups", dt.date(2021, 1, 1), 3, 3333, "Thông tư Z", "Phụ lục 01", "Bộ lưu điện")
    )
    for cost in (10_000_000, 10_000_003, 27_654_321):
        for start_year in range(2014, 2026):
            in_use = dt.date(start_year, 8, 1)
            for year in range(2014, 2028):
                rows = [r for r in schedule("ups", cost, in_use, year, rules=rules) if r.year == year]
                one = year_figures("ups", cost, in_use, year, rules=rules)
                if rows:
                    assert (one.wear_vnd, one.accumulated_vnd, one.years_worn) == (
                        rows[0].wear_vnd,
                        rows[0].accumulated_vnd,
                        rows[0].years_worn,
                    )
                else:
                    assert (one.wear_vnd, one.accumulated_vnd) == (0, 0)
