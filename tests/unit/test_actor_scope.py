"""The one scoping rule (procurement.core.actor): who sees which commune and province."""

from __future__ import annotations

import polars as pl
import pytest

from procurement.core.actor import Actor
from procurement.core.errors import NotFound

DONG_NAI, HA_NOI = 27, 1
AN_VIEN, THONG_NHAT, HOAN_KIEM = 2600, 2601, 10


def provincial(role: str = "finance") -> Actor:
    return Actor(
        user_id=1,
        username="tn",
        role=role,
        province_id=DONG_NAI,
        province_code="75",
        province_communes=frozenset({AN_VIEN, THONG_NHAT}),
    )


def staff() -> Actor:
    return Actor(
        user_id=2,
        username="cb",
        role="staff",
        commune_id=AN_VIEN,
        commune_code="26296",
        province_id=DONG_NAI,
        province_code="75",
    )


def national(role: str = "national") -> Actor:
    return Actor(user_id=3, username="bo", role=role)


def test_a_provincial_account_sees_its_communes_and_province_only():
    actor = provincial()
    assert actor.sees(AN_VIEN) and actor.sees(THONG_NHAT)
    assert not actor.sees(HOAN_KIEM)
    assert actor.sees_province(DONG_NAI) and not actor.sees_province(HA_NOI)
    assert not actor.is_national


def test_staff_see_their_commune_and_no_province_wide_object():
    actor = staff()
    assert actor.sees(AN_VIEN) and not actor.sees(THONG_NHAT)
    assert not actor.sees_province(DONG_NAI)


@pytest.mark.parametrize("role", ["national", "admin"])
def test_national_accounts_see_every_province(role):
    actor = national(role)
    assert actor.is_national
    assert actor.sees(HOAN_KIEM) and actor.sees_province(HA_NOI)
    assert actor.scope.everything


def test_the_filter_agrees_with_sees():
    frame = pl.DataFrame({"commune_id": [AN_VIEN, THONG_NHAT, HOAN_KIEM], "province_id": [DONG_NAI, DONG_NAI, HA_NOI]})
    for actor in (provincial(), staff(), national()):
        expression = actor.scope.polars()
        kept = frame if expression is None else frame.filter(expression)
        assert set(kept["commune_id"]) == {c for c in frame["commune_id"] if actor.sees(c)}


def test_the_sql_filter_names_the_commune_or_the_province():
    args: list = []

    def arg(value):
        args.append(value)
        return "?"

    assert provincial().scope.sql("c", arg) == "c.province = ?" and args == [DONG_NAI]
    assert staff().scope.sql("c", arg) == "c.id = ?" and args[-1] == AN_VIEN
    assert national().scope.sql("c", arg) is None


def test_a_report_without_a_province_is_my_province_and_another_one_is_missing():
    assert provincial().report_province(None) == "75"
    assert provincial().report_province("75") == "75"
    with pytest.raises(NotFound):
        provincial().report_province("01")
    assert national().report_province(None) is None
    assert national().report_province("01") == "01"
