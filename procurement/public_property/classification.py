"""Fixed asset (tài sản cố định) or tool (công cụ, dụng cụ): decided from the original
cost and the rules in force on the day the device came into use.

A reused machine from a merged unit whose purchase price is unknown is not guessed:
it stays "unvalued" until someone enters an assessed value with its date and basis
(the new price of an equivalent asset when it came into use: TT 23/2023/TT-BTC
Điều 6, as summarised for the 2025 national count; chưa đối chiếu văn bản gốc).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from procurement.public_property.rules import DEFAULT_RULES, RuleSet, Threshold


class Kind(StrEnum):
    fixed_asset = "fixed_asset"
    tool = "tool"
    unvalued = "unvalued"


KIND_VI = {
    Kind.fixed_asset: "Tài sản cố định",
    Kind.tool: "Công cụ, dụng cụ",
    Kind.unvalued: "Chưa xác định nguyên giá",
}


@dataclass(frozen=True)
class Valuation:
    """An assessed value for a device with no known cost: the value, as of a date, and why."""

    value_vnd: int
    assessed_on: dt.date
    basis: str


@dataclass(frozen=True)
class Override:
    """An administrator's decision that overrides the rule, with its reason."""

    kind: Kind
    reason: str


class Classification(NamedTuple):  # a tuple: one per device when a year is closed
    kind: Kind
    original_cost_vnd: int | None
    in_use_on: dt.date | None
    reason: str  # Vietnamese, shown to people
    source: str  # document and article the decision rests on


def original_cost(cost_vnd: int | None, valuation: Valuation | None) -> int | None:
    """The recorded cost; failing that, the assessed value entered for the device."""
    if cost_vnd is not None:
        return cost_vnd
    return valuation.value_vnd if valuation else None


def in_use_date(acquired: dt.date | None, valuation: Valuation | None) -> dt.date | None:
    if acquired is not None:
        return acquired
    return valuation.assessed_on if valuation else None


def classify(
    category: str,
    cost_vnd: int | None,
    acquired: dt.date | None,
    *,
    valuation: Valuation | None = None,
    override: Override | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> Classification:
    cost = original_cost(cost_vnd, valuation)
    in_use = in_use_date(acquired, valuation)
    if override is not None:
        return Classification(override.kind, cost, in_use, f"Quản trị điều chỉnh: {override.reason}", "quyết định")
    if cost is None:
        return Classification(
            Kind.unvalued, None, in_use, "Chưa có nguyên giá: cần nhập giá trị đánh giá, ngày và căn cứ.", ""
        )
    if in_use is None:
        return Classification(Kind.unvalued, cost, None, "Chưa có ngày đưa vào sử dụng.", "")
    threshold = rules.threshold_in_force(in_use)
    life = rules.rule_in_force(category, in_use).life_years
    kind = Kind.fixed_asset if cost >= threshold.min_cost_vnd and life >= threshold.min_life_years else Kind.tool
    return Classification(kind, cost, in_use, *_reason(kind, threshold))


@functools.lru_cache(maxsize=256)
def _reason(kind: Kind, threshold: Threshold) -> tuple[str, str]:
    amount = f"{threshold.min_cost_vnd:,} đ".replace(",", ".")
    if kind is Kind.fixed_asset:
        return f"Nguyên giá từ {amount} trở lên", threshold.source
    return f"Nguyên giá dưới {amount} hoặc thời gian sử dụng dưới {threshold.min_life_years} năm", threshold.source
