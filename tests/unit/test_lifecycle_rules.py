import datetime as dt

import pytest

from procurement.core.errors import DomainError
from procurement.lifecycle.rules import REPAIR_NOT_WORTH_SHARE, DeviceFacts, Ground, check_ground, under_warranty

TODAY = dt.date(2026, 6, 1)


def test_past_useful_life_holds_only_after_the_category_life():
    old = DeviceFacts(acquired=dt.date(2020, 5, 1), useful_life_years=5, original_cost_vnd=15_000_000)
    check_ground(Ground.past_useful_life, old, TODAY, None)
    young = DeviceFacts(acquired=dt.date(2023, 1, 1), useful_life_years=5, original_cost_vnd=15_000_000)
    with pytest.raises(DomainError, match="chưa hết thời gian sử dụng 5 năm"):
        check_ground(Ground.past_useful_life, young, TODAY, None)
    unknown = DeviceFacts(acquired=None, useful_life_years=5, original_cost_vnd=15_000_000)
    with pytest.raises(DomainError, match="Không rõ ngày mua"):
        check_ground(Ground.past_useful_life, unknown, TODAY, None)


def test_repair_not_worth_needs_an_estimate_above_the_share_of_the_original_cost():
    facts = DeviceFacts(acquired=dt.date(2024, 1, 1), useful_life_years=5, original_cost_vnd=10_000_001)
    limit = int(10_000_001 * REPAIR_NOT_WORTH_SHARE)  # 3,000,000 đ at the default 30 %
    assert REPAIR_NOT_WORTH_SHARE == 0.30 and limit == 3_000_000
    with pytest.raises(DomainError) as missing:
        check_ground(Ground.repair_not_worth, facts, TODAY, None)
    assert missing.value.field == "repair_estimate_vnd"
    with pytest.raises(DomainError, match="không lớn hơn 30%"):
        check_ground(Ground.repair_not_worth, facts, TODAY, limit)
    check_ground(Ground.repair_not_worth, facts, TODAY, limit + 1)
    no_cost = DeviceFacts(acquired=dt.date(2024, 1, 1), useful_life_years=5, original_cost_vnd=None)
    with pytest.raises(DomainError, match="Không rõ nguyên giá"):
        check_ground(Ground.repair_not_worth, no_cost, TODAY, 5_000_000)


def test_warranty_covers_its_last_day():
    assert under_warranty(TODAY, TODAY) and not under_warranty(TODAY - dt.timedelta(days=1), TODAY)
    assert not under_warranty(None, TODAY)
