"""The fixed-asset book of a year as plain rows, from devices and what was closed before.

Pure: the database use cases (``service``) load the inputs and write the output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import polars as pl

from procurement.public_property.classification import Kind, Override, Valuation, classify
from procurement.public_property.rules import DEFAULT_RULES, RuleSet
from procurement.public_property.wear import Opening, year_figures


class Device(NamedTuple):  # a tuple: built 150,000 times when a year is closed nationally
    asset_id: int
    commune_id: int
    category: str
    cost_vnd: int | None
    acquired: dt.date | None


# Columns of a book row (one fixed asset in one year).
BOOK_COLUMNS = (
    "asset_id",
    "commune_id",
    "year",
    "category",
    "in_use_on",
    "original_cost_vnd",
    "rate_bp",
    "life_years",
    "wear_vnd",
    "accumulated_vnd",
    "remaining_vnd",
    "years_worn",
    "source",
)


def book_rows(
    devices: Iterable[Device],
    year: int,
    *,
    openings: Mapping[int, Opening] | None = None,
    valuations: Mapping[int, Valuation] | None = None,
    overrides: Mapping[int, Override] | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The book rows of ``year`` (fixed assets in use by the end of it) and a count of the
    devices left out by kind (tool, unvalued, not yet in use)."""
    openings, valuations, overrides = openings or {}, valuations or {}, overrides or {}
    rows: list[dict[str, Any]] = []
    left_out = {"tool": 0, "unvalued": 0, "later": 0}
    for d in devices:
        rating = classify(
            d.category,
            d.cost_vnd,
            d.acquired,
            valuation=valuations.get(d.asset_id),
            override=overrides.get(d.asset_id),
            rules=rules,
        )
        if rating.kind is Kind.tool:
            left_out["tool"] += 1
            continue
        if rating.kind is Kind.unvalued or rating.original_cost_vnd is None or rating.in_use_on is None:
            left_out["unvalued"] += 1
            continue
        if rating.in_use_on.year > year:
            left_out["later"] += 1
            continue
        f = year_figures(
            d.category, rating.original_cost_vnd, rating.in_use_on, year, opening=openings.get(d.asset_id), rules=rules
        )
        rows.append(
            {
                "asset_id": d.asset_id,
                "commune_id": d.commune_id,
                "year": year,
                "category": d.category,
                "in_use_on": rating.in_use_on,
                "original_cost_vnd": f.original_cost_vnd,
                "rate_bp": f.rate_bp,
                "life_years": f.life_years,
                "wear_vnd": f.wear_vnd,
                "accumulated_vnd": f.accumulated_vnd,
                "remaining_vnd": f.remaining_vnd,
                "years_worn": f.years_worn,
                "source": f.source,
            }
        )
    return rows, left_out


_SCHEMA = {
    "asset_id": pl.Int64,
    "commune_id": pl.Int64,
    "year": pl.Int32,
    "category": pl.String,
    "in_use_on": pl.Date,
    "original_cost_vnd": pl.Int64,
    "rate_bp": pl.Int32,
    "life_years": pl.Int32,
    "wear_vnd": pl.Int64,
    "accumulated_vnd": pl.Int64,
    "remaining_vnd": pl.Int64,
    "years_worn": pl.Int32,
    "source": pl.String,
}


def book_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_SCHEMA)


def summary_by_category(book: pl.LazyFrame, *by: str) -> pl.LazyFrame:
    """Quantity, original cost, this year's wear, accumulated wear and remaining value per
    category (and per ``by`` columns, e.g. commune): the yearly summary sent up for the count."""
    keys = [*by, "category"]
    return (
        book.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("quantity"),
            pl.col("original_cost_vnd").sum(),
            pl.col("wear_vnd").sum(),
            pl.col("accumulated_vnd").sum(),
            pl.col("remaining_vnd").sum(),
        )
        .sort(keys)
    )
