"""Whole-dong helpers: formatting, parsing and exact apportionment."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procurement.core.money import MoneyError, format_vnd, parse_vnd, split_by_weights

amounts = st.integers(min_value=-(10**15), max_value=10**15)


def test_format_examples():
    assert format_vnd(161_250_000_000) == "161.250.000.000 đ"
    assert format_vnd(187_000_000_000) == "187.000.000.000 đ"
    assert format_vnd(0) == "0 đ"
    assert format_vnd(999) == "999 đ"
    assert format_vnd(1000) == "1.000 đ"
    assert format_vnd(-1_500) == "-1.500 đ"


@pytest.mark.parametrize("bad", [1.0, True, "1000", None])
def test_format_refuses_non_int(bad):
    with pytest.raises(TypeError):
        format_vnd(bad)


@pytest.mark.parametrize(
    "text",
    [
        "161.250.000.000",
        "161,250,000,000",
        "161250000000",
        "161.250.000.000 đ",
        "161.250.000.000đ",
        "161 250 000 000 VND",
        " 161.250.000.000 ₫ ",
        "161.250.000.000 VNĐ",
    ],
)
def test_parse_accepts_common_spellings(text):
    assert parse_vnd(text) == 161_250_000_000


def test_parse_negative_only_when_signed():
    assert parse_vnd("-1.500 đ", signed=True) == -1500
    assert parse_vnd("−2,000", signed=True) == -2000
    with pytest.raises(MoneyError, match="không được âm"):
        parse_vnd("-5")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("15000000.0", 15_000_000),
        ("15.000.000,00", 15_000_000),
        ("15,000,000.00", 15_000_000),
        ("1,000", 1000),
        ("1.000", 1000),
    ],
)
def test_parse_accepts_a_zero_decimal_part_as_programs_write_it(text, amount):
    assert parse_vnd(text) == amount


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Chưa ghi"),
        ("   ", "Chưa ghi"),
        ("đ", "chữ số nào"),
        ("1.5", "phần lẻ"),
        ("1.500,50", "phần lẻ"),
        ("1,500.50", "phần lẻ"),
        ("12.34.567", "phần lẻ"),
        ("1.2345", "phần lẻ"),
        ("12a3", "không phải chữ số"),
        ("abc", "không phải chữ số"),
        ("1e9", "không phải chữ số"),
        ("1.000 000", "phần lẻ"),
    ],
)
def test_parse_refuses_garbage_with_a_named_problem(text, problem):
    with pytest.raises(MoneyError, match=problem):
        parse_vnd(text)


def test_parse_refuses_non_text():
    with pytest.raises(TypeError):
        parse_vnd(1000)  # type: ignore[arg-type]


@given(amounts)
def test_format_parse_round_trip(amount):
    assert parse_vnd(format_vnd(amount), signed=True) == amount


@given(st.integers(min_value=0, max_value=10**15))
def test_parse_plain_and_comma_grouped(amount):
    assert parse_vnd(str(amount)) == amount
    assert parse_vnd(f"{amount:,}") == amount


weights_st = st.dictionaries(
    keys=st.text(min_size=1, max_size=4),
    values=st.one_of(
        st.integers(min_value=0, max_value=10**9),
        st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=30,
).filter(lambda w: sum(Fraction(v) for v in w.values()) > 0)


@given(st.integers(min_value=0, max_value=10**14), weights_st)
def test_split_sums_exactly_and_parts_within_one_dong_of_quota(total, weights):
    parts = split_by_weights(total, weights)
    assert list(parts) == list(weights)
    assert all(isinstance(p, int) for p in parts.values())
    assert sum(parts.values()) == total
    wsum = sum(Fraction(w) for w in weights.values())
    for key, w in weights.items():
        quota = total * Fraction(w) / wsum
        assert abs(parts[key] - quota) < 1
        if w == 0:
            assert parts[key] == 0


@given(st.integers(min_value=0, max_value=10**14), weights_st)
def test_split_is_monotone_in_weight(total, weights):
    parts = split_by_weights(total, weights)
    items = list(weights.items())
    for ka, wa in items:
        for kb, wb in items:
            if Fraction(wa) > Fraction(wb):
                assert parts[ka] >= parts[kb]


@given(st.integers(min_value=-(10**12), max_value=-1), weights_st)
def test_split_negative_total(total, weights):
    parts = split_by_weights(total, weights)
    assert sum(parts.values()) == total


def test_split_tie_break_by_key_order():
    assert split_by_weights(1, {"b": 1, "a": 1}) == {"b": 1, "a": 0}
    assert split_by_weights(2, {"x": 1, "y": 1, "z": 1}) == {"x": 1, "y": 1, "z": 0}
    assert split_by_weights(10, {"a": 1, "b": 0, "c": 1}) == {"a": 5, "b": 0, "c": 5}


def test_split_example_plan_65():
    parts = split_by_weights(161_250_000_000, {"central": 0.1, "communes": 0.9})
    assert parts == {"central": 16_125_000_000, "communes": 145_125_000_000}


@pytest.mark.parametrize(
    ("weights", "exc"),
    [
        ({}, ValueError),
        ({"a": 0, "b": 0}, ValueError),
        ({"a": -1, "b": 2}, ValueError),
        ({"a": float("nan")}, ValueError),
        ({"a": float("inf")}, ValueError),
        ({"a": True}, TypeError),
        ({"a": "1"}, TypeError),
    ],
)
def test_split_refuses_bad_weights(weights, exc):
    with pytest.raises(exc):
        split_by_weights(100, weights)


def test_split_refuses_float_total():
    with pytest.raises(TypeError):
        split_by_weights(100.0, {"a": 1})  # type: ignore[arg-type]
