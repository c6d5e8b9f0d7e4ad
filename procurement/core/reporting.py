"""Shared helpers for the procurement reports: column checks, codes, age.

Plain polars, no HTTP or database knowledge.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

ACTIVE_STATUSES = ("in_use", "in_repair", "in_storage")
"""Statuses an asset can be replaced from (not disposed, not awaiting disposal)."""

WORKING_CONDITIONS = ("good", "fair", "poor")
"""Conditions that still count as a working device (everything but ``broken``)."""

DAYS_PER_YEAR = 365.25


class MissingColumnsError(ValueError):
    """A frame handed to a report lacks columns the report needs."""


def require_columns(frame: pl.LazyFrame | pl.DataFrame, name: str, required: Iterable[str]) -> None:
    """Raise :class:`MissingColumnsError` naming every missing column of ``frame``.

    Only the schema is resolved (no data is read).
    """
    if isinstance(frame, pl.LazyFrame):
        present = set(frame.collect_schema().names())
    else:
        present = set(frame.columns)
    missing = [c for c in required if c not in present]
    if missing:
        raise MissingColumnsError(
            f"frame '{name}' is missing required column(s): {', '.join(missing)}; "
            f"it has: {', '.join(sorted(present)) or '(none)'}"
        )


def lazy(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Accept a DataFrame too, for convenience at call sites and in tests."""
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def acquired_date_expr() -> pl.Expr:
    """Acquisition date: ``acquired_on``, else 1 July of ``acquired_year`` (mid-year), else null."""
    mid_year = pl.date(pl.col("acquired_year").cast(pl.Int32), 7, 1)
    return pl.coalesce(pl.col("acquired_on").cast(pl.Date), mid_year)


def age_years_expr(today: date) -> pl.Expr:
    """Unrounded age in years (Float64) at ``today``; null when the age is unknown.

    Acquisition dates after ``today`` give age 0.
    """
    days = (pl.lit(today, dtype=pl.Date) - acquired_date_expr()).dt.total_days()
    return (days.cast(pl.Float64) / DAYS_PER_YEAR).clip(lower_bound=0.0)


def format_vnd_expr(amount: pl.Expr) -> pl.Expr:
    """Format an integer VND amount Vietnamese-style: 1500000 -> "1.500.000 đ"."""
    digits = amount.abs().cast(pl.Int64).cast(pl.String)
    # Insert a dot every three digits from the right: reverse, chunk, join, reverse.
    grouped = digits.str.reverse().str.extract_all(r"\d{1,3}").list.join(".").str.reverse()
    sign = pl.when(amount < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, grouped, pl.lit(" đ")])


def format_vnd(amount: int) -> str:
    """Python twin of :func:`format_vnd_expr` (for messages)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,} đ".replace(",", ".")
