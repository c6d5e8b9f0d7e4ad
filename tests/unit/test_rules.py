"""Every invariant on both sides of its boundary: exactly at the limit is fine, one dong over is refused."""

from datetime import date

import pytest

from procurement.finance.rules import (
    LimitExceeded,
    LineCharges,
    RuleViolation,
    check_allocation_fits,
    check_amount,
    check_contract_fits,
    check_contract_signed_after_decision,
    check_line_charge,
    check_line_dates,
    check_milestones,
    check_payment,
    check_payment_after_signing,
    check_payment_date,
    check_reversal,
    check_sub_line_fits,
)

LINE = 161_250_000_000
D = date(2025, 8, 22)


def over(exc_info) -> int:
    return exc_info.value.over_by_vnd


# --- amounts -----------------------------------------------------------------


@pytest.mark.parametrize("good", [1, 10**12])
def test_amount_positive_int_ok(good):
    assert check_amount(good) == good


@pytest.mark.parametrize("bad", [0, -1, 1.0, 100.5, True, False, "100", None])
def test_amount_refuses_non_positive_bool_float(bad):
    with pytest.raises(RuleViolation) as e:
        check_amount(bad, "value_vnd")
    assert e.value.field == "value_vnd"


# --- sub-lines -----------------------------------------------------------------


def test_sub_line_exactly_at_remaining_ok():
    check_sub_line_fits(LINE, 100, 200, LINE - 300)


def test_sub_line_one_dong_over_refused():
    with pytest.raises(LimitExceeded) as e:
        check_sub_line_fits(LINE, 100, 200, LINE - 299)
    assert e.value.limit == "parent_line_remaining"
    assert e.value.limit_vnd == LINE - 300
    assert e.value.requested_vnd == LINE - 299
    assert over(e) == 1
    assert "vượt" in e.value.message_vi and "1 đ" in e.value.message_vi


# --- allocations ---------------------------------------------------------------


def test_allocation_exactly_at_remaining_ok():
    check_allocation_fits(LINE, LINE - 5_000, 5_000)
    check_allocation_fits(LINE, 0, LINE)
    check_allocation_fits(LINE, 1_000, 4_000, line_sub_lines_vnd=LINE - 5_000)


@pytest.mark.parametrize(("allocated", "sub"), [(LINE - 5_000, 0), (1_000, LINE - 5_000)])
def test_allocation_one_dong_over_refused(allocated, sub):
    with pytest.raises(LimitExceeded) as e:
        check_allocation_fits(LINE, allocated, 5_001 if sub == 0 else 4_001, line_sub_lines_vnd=sub)
    assert e.value.limit == "line_remaining"
    assert over(e) == 1


def test_allocation_on_fully_used_line():
    with pytest.raises(LimitExceeded) as e:
        check_allocation_fits(LINE, LINE, 1)
    assert e.value.limit_vnd == 0 and over(e) == 1


def test_allocation_refuses_float_totals_and_amounts():
    with pytest.raises(RuleViolation):
        check_allocation_fits(LINE, 0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        check_allocation_fits(float(LINE), 0, 1)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        check_allocation_fits(LINE, 0, 0)


# --- contracts -----------------------------------------------------------------


def test_contract_exactly_at_allocation_remaining_ok():
    check_contract_fits(2_000_000_000, 1_200_000_000, 800_000_000)


def test_contract_one_dong_over_allocation_refused():
    with pytest.raises(LimitExceeded) as e:
        check_contract_fits(2_000_000_000, 1_200_000_000, 800_000_001)
    assert e.value.limit == "allocation_remaining"
    assert e.value.limit_vnd == 800_000_000
    assert over(e) == 1


def test_central_purchasing_contract_against_line():
    check_contract_fits(LINE, LINE - 10, 10, central_purchasing=True)
    with pytest.raises(LimitExceeded) as e:
        check_contract_fits(LINE, LINE - 10, 11, central_purchasing=True)
    assert e.value.limit == "line_remaining" and over(e) == 1


def test_contract_signing_date_vs_decision():
    check_contract_signed_after_decision(D, D)
    with pytest.raises(RuleViolation) as e:
        check_contract_signed_after_decision(date(2025, 8, 21), D)
    assert e.value.field == "signed_on"


def test_line_dates():
    check_line_dates(D, None)
    check_line_dates(D, D)
    with pytest.raises(RuleViolation) as e:
        check_line_dates(D, date(2025, 8, 21))
    assert e.value.field == "deadline"


# --- payments ------------------------------------------------------------------

SIGNED = date(2025, 9, 15)


def test_payment_exactly_up_to_contract_value_ok():
    check_payment(1_000_000, 400_000, 600_000, SIGNED, SIGNED)


def test_payment_one_dong_over_refused():
    with pytest.raises(LimitExceeded) as e:
        check_payment(1_000_000, 400_000, 600_001, SIGNED, SIGNED)
    assert e.value.limit == "contract_unpaid"
    assert e.value.limit_vnd == 600_000
    assert over(e) == 1


def test_payment_before_signing_refused():
    check_payment_after_signing(SIGNED, SIGNED)
    with pytest.raises(RuleViolation) as e:
        check_payment(1_000_000, 0, 1, date(2025, 9, 14), SIGNED)
    assert e.value.field == "paid_on"


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_payment_amount_must_be_positive_int(bad):
    with pytest.raises(RuleViolation):
        check_payment(1_000_000, 0, bad, SIGNED, SIGNED)


# --- reversals -----------------------------------------------------------------


def reversal(
    amount, *, original=500_000, original_on=date(2025, 10, 1), reversed_=False, paid=500_000, on=date(2025, 10, 2)
):
    check_reversal(
        amount,
        original_amount_vnd=original,
        original_paid_on=original_on,
        original_already_reversed=reversed_,
        paid_vnd=paid,
        reversed_on=on,
    )


def test_full_reversal_ok_brings_paid_to_zero():
    reversal(-500_000)


def test_partial_reversal_ok():
    reversal(-1)


def test_reversal_one_dong_more_than_original_refused():
    with pytest.raises(LimitExceeded) as e:
        reversal(-500_001, paid=900_000)
    assert e.value.limit == "payment_reversible"
    assert over(e) == 1


def test_reversal_cannot_bring_paid_below_zero():
    # the contract's net paid is only 300,000 (an earlier partial reversal of another payment)
    reversal(-300_000, paid=300_000)
    with pytest.raises(LimitExceeded) as e:
        reversal(-300_001, paid=300_000)
    assert e.value.limit == "paid_total"
    assert over(e) == 1


def test_reversal_only_once():
    with pytest.raises(RuleViolation, match="một lần"):
        reversal(-1, reversed_=True)


def test_reversal_must_reference_earlier_payment():
    with pytest.raises(RuleViolation) as e:
        check_reversal(
            -1,
            original_amount_vnd=None,
            original_paid_on=None,
            original_already_reversed=False,
            paid_vnd=10,
            reversed_on=D,
        )
    assert e.value.field == "reverses_payment_id"
    reversal(-1, original_on=date(2025, 10, 2), on=date(2025, 10, 2))  # same day is fine
    with pytest.raises(RuleViolation) as e:
        reversal(-1, original_on=date(2025, 10, 3), on=date(2025, 10, 2))
    assert e.value.field == "paid_on"


def test_reversal_of_a_reversal_refused():
    with pytest.raises(RuleViolation):
        reversal(-1, original=-500_000)


@pytest.mark.parametrize("bad", [0, 1, -1.0, True])
def test_reversal_amount_must_be_negative_int(bad):
    with pytest.raises(RuleViolation):
        reversal(bad)


# --- milestones ----------------------------------------------------------------


def test_milestones_ok():
    check_milestones([(date(2025, 10, 1), 0.3), (date(2025, 12, 1), 0.3), (date(2026, 3, 31), 1.0)], D)
    check_milestones([])
    check_milestones([(D, 1)], D)


@pytest.mark.parametrize("share", [0, 0.0, -0.1, 1.0000001, 2, float("nan"), True, "0.5"])
def test_milestone_share_outside_0_1_refused(share):
    with pytest.raises(RuleViolation) as e:
        check_milestones([(date(2025, 10, 1), share)])
    assert e.value.field == "milestones[0].target_share"


def test_milestone_dates_must_increase():
    with pytest.raises(RuleViolation) as e:
        check_milestones([(date(2025, 10, 1), 0.3), (date(2025, 10, 1), 0.5)])
    assert e.value.field == "milestones[1].due_on"
    with pytest.raises(RuleViolation):
        check_milestones([(date(2025, 10, 2), 0.3), (date(2025, 10, 1), 0.5)])


def test_milestone_shares_must_not_decrease():
    with pytest.raises(RuleViolation) as e:
        check_milestones([(date(2025, 10, 1), 0.5), (date(2025, 11, 1), 0.4999)])
    assert e.value.field == "milestones[1].target_share"


def test_milestone_before_decision_refused():
    with pytest.raises(RuleViolation):
        check_milestones([(date(2025, 8, 21), 0.5)], D)


def test_errors_serialise_for_the_api_layer():
    with pytest.raises(LimitExceeded) as e:
        check_allocation_fits(10, 10, 1)
    assert e.value.to_dict() == {
        "error": "limit_exceeded",
        "limit": "line_remaining",
        "limit_vnd": 0,
        "requested_vnd": 1,
        "over_by_vnd": 1,
        "message_vi": e.value.message_vi,
    }


# --- every charge of a line counts (issue 12, defect 1) -------------------------------


@pytest.mark.parametrize("kind", ["sub_lines_vnd", "allocated_vnd", "contracted_vnd", "paid_direct_vnd"])
def test_each_kind_of_charge_uses_the_line(kind):
    charges = LineCharges(**{kind: 600_000})
    assert charges.total_vnd == 600_000 and charges.remaining_vnd(1_000_000) == 400_000
    check_line_charge(1_000_000, charges, 400_000)
    with pytest.raises(LimitExceeded) as exc_info:
        check_line_charge(1_000_000, charges, 400_001)
    assert (exc_info.value.limit, exc_info.value.limit_vnd, over(exc_info)) == ("line_remaining", 400_000, 1)
    assert "vượt" in exc_info.value.message_vi


def test_charges_add_up_and_never_report_below_zero():
    charges = LineCharges(sub_lines_vnd=1, allocated_vnd=2, contracted_vnd=3, paid_direct_vnd=4)
    assert charges.total_vnd == 10 and charges.remaining_vnd(9) == 0
    with pytest.raises(LimitExceeded) as exc_info:
        check_line_charge(10, charges, 1, limit="parent_line_remaining")
    assert exc_info.value.limit == "parent_line_remaining"
    with pytest.raises(RuleViolation):
        check_line_charge(10, LineCharges(contracted_vnd=1.5), 1)  # type: ignore[arg-type]


# --- payment dates (issue 12, defect 3) ------------------------------------------------


def test_a_payment_cannot_be_dated_after_today():
    today = date(2025, 10, 1)
    check_payment_date(today, today)
    with pytest.raises(RuleViolation) as exc_info:
        check_payment_date(date(2025, 10, 2), today)
    assert exc_info.value.field == "paid_on" and "sau ngày hôm nay" in exc_info.value.message
    with pytest.raises(RuleViolation):
        check_payment(100, 0, 1, date(2099, 1, 1), date(2025, 9, 1), today)
    check_payment(100, 0, 1, today, date(2025, 9, 1), today)
