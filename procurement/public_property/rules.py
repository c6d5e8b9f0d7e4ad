"""The state's public-property rules as dated data, each row with its document and article.

A newer circular adds rows from its own date; rows are never edited, so a year
computed (and closed) under the old rows keeps its figures.  ``rule_in_force``
picks, for a category and a date, the row with the latest ``effective_from``
not after that date.

Sources and how far they were checked (the README's public-property rules section lists them too):

* Fixed-asset criteria (tangible): original cost ≥ 10,000,000 đ **and** useful
  life ≥ 01 year: Thông tư 23/2023/TT-BTC, Điều 3 khoản 1 (issued 25/04/2023,
  in force 10/06/2023, applied from fiscal year 2023, replacing 45/2018/TT-BTC).
  Quoted consistently by secondary sources; chưa đối chiếu văn bản gốc (not
  confirmed against the official text).  Same figures in 45/2018/TT-BTC Điều 3
  and 162/2014/TT-BTC Điều 3 (also not confirmed against the official text).
* Useful life and yearly wear rate per kind of asset: Phụ lục 01 of each
  circular, "Máy móc, thiết bị văn phòng phổ biến".  Only "Máy in: 5 năm, 20 %"
  (45/2018) was seen, in a secondary source; every other row below is the
  researcher's recollection: chưa đối chiếu văn bản gốc.
* Wear (hao mòn) once a year, in December; yearly wear = original cost × rate;
  never beyond the original cost (TT 23/2023, Điều 13, per secondary sources;
  chưa đối chiếu văn bản gốc).

Rates are basis points (1/100 of a per cent) so that money stays whole dong:
20 % = 2000.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TypeVar

# The categories of the register (models.tables.Category, procurement.geography.places).
CATEGORIES = ("desktop", "laptop", "printer", "scanner", "network", "ups", "monitor")


@dataclass(frozen=True)
class Threshold:
    """What makes a tangible asset a fixed asset (tài sản cố định hữu hình)."""

    effective_from: dt.date
    min_cost_vnd: int
    min_life_years: int
    document: str
    article: str
    confirmed: bool = False  # True only once read in the official text

    @property
    def source(self) -> str:
        return f"{self.document}, {self.article}"


@dataclass(frozen=True)
class CategoryRule:
    """Useful life (years) and yearly wear rate of one category from a date."""

    category: str
    effective_from: dt.date
    life_years: int
    rate_bp: int  # basis points per year: 2000 = 20 %
    document: str
    article: str
    row: str  # the appendix row the category falls under
    confirmed: bool = False

    @property
    def source(self) -> str:
        return f"{self.document}, {self.article} ({self.row})"

    @property
    def rate_percent(self) -> float:
        return self.rate_bp / 100


_TT162 = "Thông tư 162/2014/TT-BTC"
_TT45 = "Thông tư 45/2018/TT-BTC"
_TT23 = "Thông tư 23/2023/TT-BTC"
# Each circular applies from the first day of the fiscal year it names (calendar year).
# 162/2014: applied from fiscal 2015; 45/2018: fiscal 2018; 23/2023: fiscal 2023 (lawnet summary).
# All three dates: chưa đối chiếu văn bản gốc (not confirmed against the official text).
_FROM_162 = dt.date(2015, 1, 1)
_FROM_45 = dt.date(2018, 1, 1)
_FROM_23 = dt.date(2023, 1, 1)

THRESHOLDS: tuple[Threshold, ...] = (
    # chưa đối chiếu văn bản gốc: 10 triệu đồng và 01 năm, per summaries of each circular's Art. 3.
    Threshold(_FROM_162, 10_000_000, 1, _TT162, "Điều 3"),
    Threshold(_FROM_45, 10_000_000, 1, _TT45, "Điều 3 khoản 1"),
    Threshold(_FROM_23, 10_000_000, 1, _TT23, "Điều 3 khoản 1"),
)

# Appendix rows: which row of "Máy móc, thiết bị văn phòng phổ biến" each category falls under.
_ROWS = {
    "desktop": "Máy vi tính để bàn",
    "laptop": "Máy vi tính xách tay",
    "printer": "Máy in",
    "scanner": "Máy scan",
    "network": "Thiết bị mạng, truyền thông",
    "ups": "Bộ lưu điện",
    "monitor": "Máy vi tính để bàn (màn hình kèm theo)",
}


def _office_rows(effective_from: dt.date, document: str, article: str) -> tuple[CategoryRule, ...]:
    # 5 năm, 20 %/năm for every office machine: the printer row is secondary (45/2018, lawnet
    # Q&A), the others are recollection. chưa đối chiếu văn bản gốc (not confirmed).
    return tuple(CategoryRule(code, effective_from, 5, 2000, document, article, _ROWS[code]) for code in CATEGORIES)


CATEGORY_RULES: tuple[CategoryRule, ...] = (
    *_office_rows(_FROM_162, _TT162, "Phụ lục 01"),
    *_office_rows(_FROM_45, _TT45, "Phụ lục 01"),
    *_office_rows(_FROM_23, _TT23, "Phụ lục 01"),
)

# Wear is recorded once a year, in December (TT 23/2023 Art. 13 per secondary sources;
# chưa đối chiếu văn bản gốc). A year can be closed from this day of December on.
WEAR_MONTH = 12
# An asset that comes into use during a year wears a whole year in that year's December
# run (the 162/2014 and 45/2018 convention as remembered by the researcher;
# chưa đối chiếu văn bản gốc). False: wear starts the following year.
FIRST_YEAR_FULL = True


R = TypeVar("R", "Threshold", "CategoryRule")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a cheap cache key
class RuleSet:
    """A set of dated rows: the built-in one, or one a test or a newer circular builds."""

    thresholds: tuple[Threshold, ...] = THRESHOLDS
    categories: tuple[CategoryRule, ...] = CATEGORY_RULES
    first_year_full: bool = FIRST_YEAR_FULL

    def threshold_in_force(self, on_date: dt.date) -> Threshold:
        return _threshold(self, on_date)

    def rule_in_force(self, category: str, on_date: dt.date) -> CategoryRule:
        return _category_rule(self, category, on_date)

    def with_rows(self, *rows: CategoryRule | Threshold) -> RuleSet:
        """This set plus rows of a newer document (the old rows stay as they are)."""
        return RuleSet(
            self.thresholds + tuple(r for r in rows if isinstance(r, Threshold)),
            self.categories + tuple(r for r in rows if isinstance(r, CategoryRule)),
            self.first_year_full,
        )


def _latest(rows: tuple[R, ...], on_date: dt.date) -> R:
    """The row in force on ``on_date``: the latest effective_from not after it. A date
    before the first row takes the first row (older assets are read by the oldest rule
    we hold, stated in the papers by its document)."""
    ordered = sorted(rows, key=lambda r: r.effective_from)
    chosen = ordered[0]
    for row in ordered:
        if row.effective_from <= on_date:
            chosen = row
    return chosen


# Cached: closing a year asks for the same (category, 31 December) for every device.
@functools.lru_cache(maxsize=4096)
def _threshold(rules: RuleSet, on_date: dt.date) -> Threshold:
    return _latest(rules.thresholds, on_date)


@functools.lru_cache(maxsize=4096)
def _category_rule(rules: RuleSet, category: str, on_date: dt.date) -> CategoryRule:
    rows = tuple(r for r in rules.categories if r.category == category)
    if not rows:
        raise KeyError(f"no public-property rule for category {category!r}")
    return _latest(rows, on_date)


DEFAULT_RULES = RuleSet()


def rule_in_force(category: str, on_date: dt.date, rules: RuleSet = DEFAULT_RULES) -> CategoryRule:
    return rules.rule_in_force(category, on_date)


def threshold_in_force(on_date: dt.date, rules: RuleSet = DEFAULT_RULES) -> Threshold:
    return rules.threshold_in_force(on_date)
