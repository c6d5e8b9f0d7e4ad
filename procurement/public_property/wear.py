"""Yearly wear (hao mòn) of fixed assets, as pure functions.

Rule (TT 23/2023/TT-BTC, Điều 13 per secondary sources; chưa đối chiếu văn bản gốc):
wear is computed once a year, in December; the year's wear = original cost × the
yearly rate of the category's rule in force that year; accumulated wear never goes
beyond the original cost, and the last year of the useful life takes the remainder
(so rounding down to whole dong never leaves a dong on the books).

A closed year is an ``Opening`` for the years after it: its accumulated wear is taken
as written, whatever the rules or the device say later; a correction of the cost
changes only the open years.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from procurement.public_property.rules import DEFAULT_RULES, WEAR_MONTH, CategoryRule, RuleSet


@dataclass(frozen=True)
class Opening:
    """Where a closed year left a device: its accumulated wear and how many years it wore."""

    year: int
    accumulated_vnd: int
    years_worn: int


@dataclass(frozen=True)
class WearYear:
    year: int
    original_cost_vnd: int
    rate_bp: int
    life_years: int
    wear_vnd: int
    accumulated_vnd: int
    remaining_vnd: int
    years_worn: int
    source: str


def wear_for_year(original_cost: int, accumulated_before: int, years_worn_before: int, rule: CategoryRule) -> int:
    left = original_cost - accumulated_before
    if left <= 0:
        return 0
    if years_worn_before + 1 >= rule.life_years:
        return left  # the last year of the useful life takes what is left
    return min(original_cost * rule.rate_bp // 10_000, left)


def first_wear_year(in_use: dt.date, rules: RuleSet = DEFAULT_RULES) -> int:
    return in_use.year if rules.first_year_full else in_use.year + 1


@functools.lru_cache(maxsize=4096)
def rule_for_year(category: str, year: int, rules: RuleSet = DEFAULT_RULES) -> CategoryRule:
    """The rule a year's December run applies: the one in force on 31 December."""
    return rules.rule_in_force(category, dt.date(year, 12, 31))


def schedule(
    category: str,
    original_cost: int,
    in_use: dt.date,
    through_year: int,
    *,
    opening: Opening | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> list[WearYear]:
    """One row per year from the first wear year (or the year after ``opening``) through ``through_year``."""
    start = first_wear_year(in_use, rules)
    accumulated, worn = 0, 0
    if opening is not None:
        start = max(start, opening.year + 1)
        accumulated, worn = opening.accumulated_vnd, opening.years_worn
    rows = []
    for year in range(start, through_year + 1):
        rule = rule_for_year(category, year, rules)
        wear = wear_for_year(original_cost, accumulated, worn, rule)
        accumulated += wear
        if wear > 0:
            worn += 1
        rows.append(
            WearYear(
                year,
                original_cost,
                rule.rate_bp,
                rule.life_years,
                wear,
                accumulated,
                original_cost - accumulated,
                worn,
                rule.source,
            )
        )
    return rows


def year_figures(
    category: str,
    original_cost: int,
    in_use: dt.date,
    year: int,
    *,
    opening: Opening | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> WearYear:
    """The figures of one year: that year's wear, accumulated and remaining after it.
    A device not yet in use in ``year`` has no wear and its whole cost remaining.
    The same arithmetic as :func:`schedule`, without a row per year (closing a year
    runs this for every fixed asset in the country; devices bought together share a
    category, cost and first year, so the result is cached on those)."""
    return _year_figures(category, original_cost, first_wear_year(in_use, rules), year, opening, rules)


@functools.lru_cache(maxsize=65536)
def _year_figures(
    category: str, original_cost: int, start: int, year: int, opening: Opening | None, rules: RuleSet
) -> WearYear:
    accumulated, worn = 0, 0
    if opening is not None:
        start = max(start, opening.year + 1)
        accumulated, worn = opening.accumulated_vnd, opening.years_worn
    wear = 0
    for y in range(start, year + 1):
        if accumulated >= original_cost:
            wear = 0
            break
        wear = wear_for_year(original_cost, accumulated, worn, rule_for_year(category, y, rules))
        accumulated += wear
        if wear > 0:
            worn += 1
    rule = rule_for_year(category, year, rules)
    return WearYear(
        year,
        original_cost,
        rule.rate_bp,
        rule.life_years,
        wear,
        accumulated,
        original_cost - accumulated,
        worn,
        rule.source,
    )


def last_run_year(today: dt.date) -> int:
    """The latest year whose December run is due on ``today``."""
    return today.year if today.month >= WEAR_MONTH else today.year - 1


def remaining_value(
    category: str,
    original_cost: int,
    in_use: dt.date,
    today: dt.date,
    *,
    opening: Opening | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> int:
    """Book value (giá trị còn lại) on ``today``: cost less the wear of every December run due."""
    through = last_run_year(today)
    if opening is not None and opening.year >= through:
        return original_cost - opening.accumulated_vnd
    rows = schedule(category, original_cost, in_use, through, opening=opening, rules=rules)
    if rows:
        return rows[-1].remaining_vnd
    return original_cost - (opening.accumulated_vnd if opening else 0)
