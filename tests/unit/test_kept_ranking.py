"""The kept ranked list, brought up to date commune by commune, equals ranking afresh, row for row."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from procurement.planning import kept_ranking
from procurement.planning.priority import PriorityWeights, commune_shortage, replacement_plan, replacement_priority
from procurement.seed.synthetic import synthetic_fleet
from tests.support.fleet_helpers import TODAY


@pytest.fixture(autouse=True)
def _fresh():
    kept_ranking.clear()
    yield
    kept_ranking.clear()


def fleet(seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    assets, categories, communes = synthetic_fleet(40, 2_000, seed)
    return assets.collect(), categories.collect(), communes.collect()


def afresh(assets, categories, communes, weights=None) -> pl.DataFrame:
    return replacement_priority(
        assets.lazy(), categories.lazy(), communes.lazy(), today=TODAY, weights=weights, keep_age=True
    ).collect()


def kept(assets, categories, communes, weights=None, area="country") -> pl.DataFrame:
    return kept_ranking.ranked(area, assets, categories, communes, today=TODAY, weights=weights)


CONDITIONS = ["good", "fair", "poor", "broken"]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(["condition", "move", "dispose", "remove", "age", "antimalware"]),
            st.integers(0, 1_999),
            st.integers(0, 39),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_writes_ranked_again_commune_by_commune_equal_ranking_afresh(changes):
    kept_ranking.clear()
    assets, categories, communes = fleet()
    kept(assets, categories, communes)  # keep the first ranking
    codes = communes["commune_code"].to_list()
    for kind, index, commune in changes:
        asset_id = assets["asset_id"][index % assets.height]
        this = pl.col("asset_id") == asset_id
        if kind == "condition":
            wanted = CONDITIONS[commune % 4]
            assets = assets.with_columns(pl.when(this).then(pl.lit(wanted)).otherwise("condition").alias("condition"))
        elif kind == "move":
            assets = assets.with_columns(
                pl.when(this).then(pl.lit(codes[commune])).otherwise("commune_code").alias("commune_code")
            )
        elif kind == "dispose":
            assets = assets.with_columns(pl.when(this).then(pl.lit("disposed")).otherwise("status").alias("status"))
        elif kind == "remove":
            assets = assets.filter(~this)
        elif kind == "age":
            assets = assets.with_columns(
                pl.when(this).then(pl.lit(None)).otherwise("acquired_on").alias("acquired_on"),
                pl.when(this).then(pl.lit(None)).otherwise("acquired_year").alias("acquired_year"),
            )
        else:
            assets = assets.with_columns(
                pl.when(this).then(pl.lit(False)).otherwise("antimalware_installed").alias("antimalware_installed")
            )
        assert_frame_equal(kept(assets, categories, communes), afresh(assets, categories, communes))
    # The plan under a budget drawn from the kept list equals the plan drawn afresh.
    shortage = commune_shortage(assets.lazy(), categories.lazy(), communes.lazy())
    budget = 500_000_000 + 10_000_000 * len(changes)
    assert_frame_equal(
        replacement_plan(kept(assets, categories, communes).drop("_age").lazy(), shortage, budget_vnd=budget).collect(),
        replacement_plan(
            afresh(assets, categories, communes).drop("_age").lazy(), shortage, budget_vnd=budget
        ).collect(),
    )


def test_a_new_device_and_a_changed_commune_are_ranked_as_afresh():
    assets, categories, communes = fleet()
    kept(assets, categories, communes)
    newcomer = assets.head(1).with_columns(
        pl.lit(10**9, dtype=assets.schema["asset_id"]).alias("asset_id"), pl.lit("broken").alias("condition")
    )
    assets = pl.concat([assets, newcomer])
    assert_frame_equal(kept(assets, categories, communes), afresh(assets, categories, communes))
    # A commune's officials change every computer's shortage there: ranked afresh, still equal.
    communes = communes.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.col("officials") + 50).otherwise("officials").alias("officials")
    )
    assert_frame_equal(kept(assets, categories, communes), afresh(assets, categories, communes))


def test_nothing_changed_answers_the_kept_list_and_weights_are_kept_apart():
    assets, categories, communes = fleet()
    first = kept(assets, categories, communes)
    assert kept(assets.clone(), categories, communes) is first
    heavy_age = PriorityWeights(age=90)
    assert_frame_equal(
        kept(assets, categories, communes, weights=heavy_age), afresh(assets, categories, communes, heavy_age)
    )
    assert kept(assets, categories, communes) is first  # the other weights did not replace it


def test_only_the_last_few_areas_are_kept():
    assets, categories, communes = fleet()
    for area in range(kept_ranking.KEPT_AREAS + 2):
        kept(assets, categories, communes, area=area)
    assert len(kept_ranking._kept) == kept_ranking.KEPT_AREAS
