"""A kept frame brought up to date by slices: a few changed rows put in place without copying or
sorting the unchanged ones (:mod:`procurement.planning.frames` after a write to the register).

Pure polars, no database: tests/unit/test_replaced_rows.py checks it against a filter and a sort.
"""

from __future__ import annotations

import polars as pl

# Up to this many changed devices are put in place by slices of the kept frame; more are merged
# by a filter and a sort of the whole frame.
SLICED_UPSERT_MAX = 2_000
# A frame put together from more pieces than this is copied into one piece (later reads stay fast).
_MAX_CHUNKS = 32


def replaced_rows(kept: pl.DataFrame, changed: pl.Series, fresh: pl.DataFrame) -> pl.DataFrame:
    """``kept`` (sorted by ``asset_id``) without the rows whose id is in ``changed``, with the rows
    of ``fresh`` (ids among ``changed``), sorted by ``asset_id``.

    A few changed devices are put in place by slicing the kept frame around them (no copy of the
    150,000 unchanged rows, no sort); the answer is the same as filtering and sorting again.
    """
    changed = changed.unique().sort()
    fresh = fresh.sort("asset_id")
    fresh_ids = fresh.get_column("asset_id")
    if changed.len() > SLICED_UPSERT_MAX or not fresh_ids.is_in(changed.implode()).all():
        return pl.concat([kept.filter(~pl.col("asset_id").is_in(changed.implode())), fresh]).sort("asset_id")
    ids = kept.get_column("asset_id")
    at = ids.search_sorted(changed, side="left")
    found = at < ids.len()
    removed = set(at.filter(found).filter(ids.gather(at.filter(found)) == changed.filter(found)).to_list())
    inserted = ids.search_sorted(fresh_ids, side="left").to_list()
    pieces, start, next_fresh = [], 0, 0
    for position in sorted(removed | set(inserted)):
        pieces.append(kept.slice(start, position - start))
        while next_fresh < len(inserted) and inserted[next_fresh] == position:
            pieces.append(fresh.slice(next_fresh, 1))
            next_fresh += 1
        start = position + 1 if position in removed else position
    pieces.append(kept.slice(start))
    merged = pl.concat([piece for piece in pieces if piece.height] or [kept.clear()], how="vertical")
    return merged.rechunk() if merged.n_chunks() > _MAX_CHUNKS else merged
