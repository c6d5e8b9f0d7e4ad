"""Pure rules of contract amendments: the change an amendment makes, the floor of what is
paid, the dates, and items never below what was delivered."""

from __future__ import annotations

from datetime import date

import pytest

from procurement.finance.rules import (
    LimitExceeded,
    RuleViolation,
    amendment_value_change,
    check_amendment_date,
    check_amendment_items,
    check_amendment_value,
)


def test_the_change_comes_from_the_new_value_the_change_or_the_items():
    assert amendment_value_change(100, 130, None, 0, False) == 30
    assert amendment_value_change(100, None, -20, 0, False) == -20
    assert amendment_value_change(100, None, None, 45, True) == 45
    assert amendment_value_change(100, 145, None, 45, True) == 45  # the value agrees with the items
    assert amendment_value_change(100, None, 0, 0, True) == 0  # items swapped at equal value


@pytest.mark.parametrize(
    "args, field",
    [
        ((100, 130, 30, 0, False), "value_change_vnd"),  # both given
        ((100, 100, None, 0, False), "new_value_vnd"),  # changes nothing
        ((100, None, None, 0, False), "value_change_vnd"),
        ((100, None, 10, 45, True), "value_change_vnd"),  # disagrees with the items
        ((100, 150, None, 45, True), "new_value_vnd"),
    ],
)
def test_incoherent_changes_name_their_field(args, field):
    with pytest.raises(RuleViolation) as refused:
        amendment_value_change(*args)
    assert refused.value.field == field


def test_a_fall_stops_at_what_is_paid_and_the_value_stays_above_zero():
    check_amendment_value(100, 60, -40)  # down to exactly what is paid
    with pytest.raises(LimitExceeded) as over:
        check_amendment_value(100, 60, -41)
    assert (over.value.limit, over.value.limit_vnd, over.value.over_by_vnd) == ("contract_paid", 40, 1)
    assert "1 đ" in over.value.message_vi
    with pytest.raises(RuleViolation):
        check_amendment_value(100, 0, -100)
    check_amendment_value(100, 100, 5_000)  # rises are the caller's ceiling to check


def test_dates_between_the_signing_and_today():
    signed, today = date(2025, 9, 15), date(2025, 12, 1)
    check_amendment_date(signed, signed, today)
    check_amendment_date(today, signed, today)
    for day in (date(2025, 9, 14), date(2025, 12, 2)):
        with pytest.raises(RuleViolation) as refused:
            check_amendment_date(day, signed, today)
        assert refused.value.field == "signed_on"


def test_items_never_fall_below_what_was_delivered():
    check_amendment_items({"desktop": 10}, {"desktop": 3}, [("desktop", -7), ("laptop", 2)])
    for changes, index in (([("desktop", -8)], 0), ([("laptop", 1), ("laptop", -2)], 1), ([("desktop", 0)], 0)):
        with pytest.raises(RuleViolation) as refused:
            check_amendment_items({"desktop": 10}, {"desktop": 3}, changes)
        assert refused.value.field == f"items[{index}].quantity_change"
