"""The kept register frame brought up to date by slices equals filtering and sorting it again."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from procurement.planning import slices as frames
from procurement.planning.slices import replaced_rows


def _frame(ids: list[int], version: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"asset_id": ids, "condition": [f"v{version}-{i}" for i in ids], "cost_vnd": [i * 1000 + version for i in ids]},
        schema={"asset_id": pl.Int64, "condition": pl.String, "cost_vnd": pl.Int64},
    )


def _afresh(kept: pl.DataFrame, changed: list[int], fresh: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([kept.filter(~pl.col("asset_id").is_in(changed)), fresh]).sort("asset_id")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kept_ids=st.sets(st.integers(1, 60), max_size=40),
    changed=st.lists(st.integers(0, 70), max_size=15),
    still_there=st.lists(st.booleans(), min_size=15, max_size=15),
    pieces_before=st.integers(1, 3),
)
def test_rows_put_in_place_by_slices_equal_a_filter_and_a_sort(kept_ids, changed, still_there, pieces_before):
    """Changed devices updated, new ones, ones that left the area or were disposed (changed, not
    fresh), at the start, the end, side by side; the kept frame already in pieces or not."""
    ids = sorted(kept_ids)
    kept = _frame(ids, 0)
    if pieces_before > 1 and kept.height:  # a frame brought up to date before is in pieces
        cut = kept.height // pieces_before
        kept = pl.concat([kept.slice(0, cut), kept.slice(cut)], rechunk=False)
    fresh_ids = sorted({c for c, keep in zip(changed, still_there, strict=False) if keep})
    fresh = _frame(fresh_ids, 1).sample(fraction=1.0, shuffle=True, seed=len(fresh_ids))
    got = replaced_rows(kept, pl.Series("asset_id", changed, pl.Int64), fresh)
    assert_frame_equal(got, _afresh(kept, changed, fresh))
    assert got.n_chunks() <= frames._MAX_CHUNKS


def test_many_changes_and_a_fresh_row_not_among_the_changed_take_the_full_merge():
    kept = _frame(list(range(1, 101)), 0)
    many = list(range(1, frames.SLICED_UPSERT_MAX + 2))
    fresh = _frame([5, 7], 1)
    assert_frame_equal(replaced_rows(kept, pl.Series(many), fresh), _afresh(kept, many, fresh))
    odd = _frame([5, 200], 1)  # 200 was not reported as changed: filtered and sorted in full
    assert replaced_rows(kept, pl.Series([5], dtype=pl.Int64), odd).get_column("asset_id").to_list() == [
        *range(1, 101),
        200,
    ]


def test_repeated_writes_keep_the_frame_in_few_pieces():
    kept = _frame(list(range(1, 5001)), 0)
    for n in range(1, 80):
        changed = [n * 37 % 5000 + 1]
        kept = replaced_rows(kept, pl.Series(changed, dtype=pl.Int64), _frame(changed, n))
        assert kept.n_chunks() <= frames._MAX_CHUNKS
    assert kept.get_column("asset_id").to_list() == list(range(1, 5001))
