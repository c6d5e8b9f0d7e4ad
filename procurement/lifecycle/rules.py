"""The rules of a device's life as pure functions: grounds for disposal, warranty.

Grounds for disposal (thanh lý) of public property: Law 15/2017/QH14 on the management
and use of public property, Art. 45 cl. 1 — a device is disposed of when it has been
used past its useful life under the regime, or when it is damaged and cannot be
repaired or its repair is not efficient. Decree 151/2017/NĐ-CP, Art. 29 cl. 1, says when
a repair is not efficient: "dự toán chi phí sửa chữa lớn hơn 30% nguyên giá tài sản" (the
repair estimate exceeds 30% of the original cost). Decree 186/2025/NĐ-CP replaced
Decree 151/2017 from 1 July 2025; the 30% figure has not been confirmed against its text,
so it is a setting (``REPAIR_NOT_WORTH_SHARE``) whose default names that source.
Methods (Law 15/2017 Art. 45 cl. 2): demolition or destruction (materials recovered are
sold), or sale.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from enum import StrEnum

from procurement.core.errors import DomainError
from procurement.core.money import format_vnd

REPAIR_NOT_WORTH_SHARE = float(os.environ.get("REPAIR_NOT_WORTH_SHARE", "0.30"))
"""Share of the original cost above which a repair is not worth it (Decree 151/2017/NĐ-CP Art. 29 cl. 1)."""


class Ground(StrEnum):
    past_useful_life = "past_useful_life"
    repair_not_worth = "repair_not_worth"


class Method(StrEnum):
    sale = "sale"
    destruction = "destruction"
    other = "other"


@dataclass(frozen=True)
class DeviceFacts:
    """What a disposal ground is judged on, as the register knows it."""

    acquired: dt.date | None
    useful_life_years: int
    original_cost_vnd: int | None


def years_in_use(acquired: dt.date, today: dt.date) -> float:
    return max((today - acquired).days, 0) / 365.25


def check_ground(ground: Ground, facts: DeviceFacts, today: dt.date, repair_estimate_vnd: int | None) -> None:
    """Raise a :class:`DomainError` naming what is missing or wrong when ``ground`` does not
    hold for the device; return quietly when it does."""
    if ground == Ground.past_useful_life:
        if facts.acquired is None:
            raise DomainError(
                "Không rõ ngày mua nên chưa tính được thời gian sử dụng: ghi ngày (hoặc năm) mua trước khi đề nghị thanh lý vì hết thời gian sử dụng.",
                field="ground",
                code="acquired_unknown",
            )
        used = years_in_use(facts.acquired, today)
        if used < facts.useful_life_years:
            raise DomainError(
                f"Thiết bị mới dùng {used:.1f} năm, chưa hết thời gian sử dụng {facts.useful_life_years} năm.",
                field="ground",
                code="within_useful_life",
            )
        return
    if facts.original_cost_vnd is None or facts.original_cost_vnd <= 0:
        raise DomainError(
            "Không rõ nguyên giá nên không so được chi phí sửa chữa: ghi nguyên giá (hoặc giá trị đánh giá lại) của thiết bị.",
            field="ground",
            code="cost_unknown",
        )
    if repair_estimate_vnd is None:
        raise DomainError(
            "Ghi dự toán chi phí sửa chữa (đồng) để chứng minh sửa chữa không hiệu quả.",
            field="repair_estimate_vnd",
            code="required",
        )
    limit = int(facts.original_cost_vnd * REPAIR_NOT_WORTH_SHARE)
    if repair_estimate_vnd <= limit:
        raise DomainError(
            f"Dự toán sửa chữa {format_vnd(repair_estimate_vnd)} không lớn hơn {REPAIR_NOT_WORTH_SHARE:.0%} "
            f"nguyên giá ({format_vnd(limit)}): sửa chữa vẫn hiệu quả, chưa đủ căn cứ thanh lý.",
            field="repair_estimate_vnd",
            code="repair_worth_it",
        )


def under_warranty(ends_on: dt.date | None, today: dt.date) -> bool:
    return ends_on is not None and today <= ends_on
