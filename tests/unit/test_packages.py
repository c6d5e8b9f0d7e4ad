"""Package state machine: every ordered pair of statuses is either allowed or refused, as specified."""

import itertools

import pytest

from procurement.finance.packages import (
    InvalidTransition,
    ProcurementMethod,
    check_transition,
    is_final,
    next_statuses,
)
from procurement.finance.packages import (
    PackageStatus as S,
)

ALLOWED = {
    (S.PLANNED, S.TENDERING),
    (S.TENDERING, S.CONTRACTED),
    (S.CONTRACTED, S.DELIVERED),
    (S.DELIVERED, S.ACCEPTED),
    (S.ACCEPTED, S.CLOSED),
    (S.PLANNED, S.CANCELLED),
    (S.TENDERING, S.CANCELLED),
    (S.CONTRACTED, S.CANCELLED),
    (S.DELIVERED, S.CANCELLED),
    (S.ACCEPTED, S.CANCELLED),
}
ALL_PAIRS = list(itertools.product(S, S))


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current, target):
    check_transition(current, target)
    check_transition(current.value, target.value)  # plain strings from the DB work too


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_forbidden_transitions(current, target):
    with pytest.raises(InvalidTransition) as e:
        check_transition(current, target)
    assert e.value.current is current and e.value.target is target
    assert e.value.message_vi.startswith("Không thể chuyển gói thầu")
    assert e.value.to_dict()["error"] == "invalid_transition"


def test_next_statuses_matches_the_table():
    for status in S:
        assert set(next_statuses(status)) == {t for c, t in ALLOWED if c is status}


def test_final_states():
    assert {s for s in S if is_final(s)} == {S.CLOSED, S.CANCELLED}
    assert next_statuses(S.CLOSED) == () and next_statuses(S.CANCELLED) == ()


def test_skipping_and_going_back_have_specific_reasons():
    with pytest.raises(InvalidTransition, match="bỏ qua bước"):
        check_transition(S.PLANNED, S.CONTRACTED)
    with pytest.raises(InvalidTransition, match="quay lại"):
        check_transition(S.ACCEPTED, S.TENDERING)
    with pytest.raises(InvalidTransition, match="trạng thái cuối"):
        check_transition(S.CANCELLED, S.PLANNED)


def test_unknown_status_is_a_value_error():
    with pytest.raises(ValueError, match="unknown package status"):
        next_statuses("signed")


def test_vietnamese_labels():
    assert ProcurementMethod.DIRECT_APPOINTMENT.label_vi == "Chỉ định thầu"
    assert ProcurementMethod.SHORTENED_DIRECT_APPOINTMENT.label_vi == "Chỉ định thầu rút gọn"
    assert ProcurementMethod.COMPETITIVE_QUOTATION.label_vi == "Chào hàng cạnh tranh"
    assert ProcurementMethod.OPEN_BIDDING.label_vi == "Đấu thầu rộng rãi"
    assert ProcurementMethod.DIRECT_PROCUREMENT.label_vi == "Mua sắm trực tiếp"
    assert all(s.label_vi for s in S)
    assert len({s.label_vi for s in S}) == len(S)
