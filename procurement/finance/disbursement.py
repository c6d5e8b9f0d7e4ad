"""Disbursement reports: pure functions from polars LazyFrames to a LazyFrame.

Every report has the shape of polars-benchmark's ``q1``::

    def q(lines: pl.LazyFrame, milestones: pl.LazyFrame, allocations: pl.LazyFrame,
          contracts: pl.LazyFrame, payments: pl.LazyFrame, *, today: date) -> pl.LazyFrame

and is collected by the caller (the HTTP handler, the XLSX export, the
benchmark).  Nothing here knows about HTTP or databases.

Input frames (extra columns are allowed and ignored; missing columns or
wrong dtypes raise :class:`FrameSchemaError` naming every problem):

``lines``
    line_id Int64, parent_id Int64 (null for a top-level line), number Utf8
    (``"65/KH-UBND"``), name Utf8, decision_date Date, fiscal_year Int32,
    amount_vnd Int64, deadline Date (nullable), province_code Utf8
``milestones``
    line_id Int64, due_on Date, target_share Float64 in (0, 1] (cumulative)
``allocations``
    allocation_id Int64, line_id Int64, commune_code Utf8 (null = the
    province's central purchasing), commune_name Utf8, amount_vnd Int64
``contracts``
    contract_id Int64, allocation_id Int64 (nullable), line_id Int64,
    commune_code Utf8 (nullable), value_vnd Int64, signed_on Date.
    A contract's commitments as dated rows: one at its signed value on its
    signing day, and one per amendment at the amendment's change (+ or −) on
    the amendment's day, all with the contract's id, allocation, line and
    commune.  A contract with no amendment is one row at its value.
``payments``
    payment_id Int64, contract_id Int64 (nullable), allocation_id Int64
    (nullable), line_id Int64, commune_code Utf8 (nullable), amount_vnd Int64
    (reversals are negative rows), paid_on Date

Conventions
-----------
* Money is ``Int64`` whole dong everywhere.  Money derived from a float share
  is ``round(share × amount)`` half away from zero, cast to ``Int64``.
* *Paid* is net: the plain sum of payment rows, reversals included.
* "As of ``today``" reports (by line, by commune, lagging, province) only
  count contract rows (signings and amendments) and payments dated on or
  before ``today``: a contract amended later counts at its value as it
  stood that day.  The monthly report shows every row, including
  later-dated ones: a contract commits its signed value in its signing
  month and each amendment's change in the amendment's month.
* The number of contracts is the number of distinct ``contract_id`` values
  (a contract's amendment rows are not more contracts).
* **Schedule = step function**: the scheduled share of a line on day *d* is
  the ``target_share`` of the latest milestone with ``due_on ≤ d``, and 0
  before the first milestone.  No interpolation: a milestone is a deadline
  ("30% paid by 30/9"), so nobody is "behind" for a target not yet due.
  A line with no milestones of its own uses the milestones of its nearest
  ancestor line; with none at all its scheduled share is 0.
* **Sub-lines roll up** in :func:`progress_by_line` and
  :func:`progress_by_month`: a line's figures include the allocations,
  contracts and payments of its sub-lines (up to :data:`MAX_LINE_DEPTH`
  levels below it).  Per-commune figures use the allocation's own line.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = [
    "ALLOCATIONS_SCHEMA",
    "CONTRACTS_SCHEMA",
    "FrameSchemaError",
    "LINES_SCHEMA",
    "MAX_LINE_DEPTH",
    "MILESTONES_SCHEMA",
    "PAYMENTS_SCHEMA",
    "lagging_communes",
    "paid_as_of",
    "progress_by_commune",
    "progress_by_line",
    "progress_by_month",
    "province_summary",
    "validate_inputs",
]

MAX_LINE_DEPTH = 5
"""Levels of sub-lines rolled up into a parent line (line → sub-line → ... )."""

MONEY = pl.Int64

LINES_SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "parent_id": pl.Int64(),
    "number": pl.String(),
    "name": pl.String(),
    "decision_date": pl.Date(),
    "fiscal_year": pl.Int32(),
    "amount_vnd": pl.Int64(),
    "deadline": pl.Date(),
    "province_code": pl.String(),
}
MILESTONES_SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "due_on": pl.Date(),
    "target_share": pl.Float64(),
}
ALLOCATIONS_SCHEMA: dict[str, pl.DataType] = {
    "allocation_id": pl.Int64(),
    "line_id": pl.Int64(),
    "commune_code": pl.String(),
    "commune_name": pl.String(),
    "amount_vnd": pl.Int64(),
}
CONTRACTS_SCHEMA: dict[str, pl.DataType] = {
    "contract_id": pl.Int64(),
    "allocation_id": pl.Int64(),
    "line_id": pl.Int64(),
    "commune_code": pl.String(),
    "value_vnd": pl.Int64(),
    "signed_on": pl.Date(),
}
PAYMENTS_SCHEMA: dict[str, pl.DataType] = {
    "payment_id": pl.Int64(),
    "contract_id": pl.Int64(),
    "allocation_id": pl.Int64(),
    "line_id": pl.Int64(),
    "commune_code": pl.String(),
    "amount_vnd": pl.Int64(),
    "paid_on": pl.Date(),
}
_MONEY_COLUMNS = {"amount_vnd", "value_vnd"}
_ID_COLUMNS = {"line_id", "parent_id", "allocation_id", "contract_id", "payment_id"}


class FrameSchemaError(ValueError):
    """An input frame lacks columns or has the wrong dtypes; ``problems`` lists each one."""

    def __init__(self, frame: str, problems: list[str]):
        self.frame = frame
        self.problems = problems
        super().__init__(f"{frame}: " + "; ".join(problems))


def _validate(lf: pl.LazyFrame, frame: str, schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    """Check columns and dtypes, return ``lf`` reduced to the schema's columns in canonical dtypes.

    Money must already be Int64 (a float money column is refused, never
    rounded silently).  Integer ids of another width are widened to Int64,
    Float32 shares to Float64, and all-null columns (dtype Null) are accepted
    for nullable columns.
    """
    if not isinstance(lf, pl.LazyFrame):
        raise TypeError(f"{frame}: expected a polars LazyFrame, got {type(lf).__name__} (use .lazy())")
    actual = lf.collect_schema()
    problems: list[str] = []
    casts: list[pl.Expr] = []
    for column, dtype in schema.items():
        if column not in actual:
            problems.append(f"missing column {column!r} ({dtype})")
            continue
        got = actual[column]
        if got == dtype:
            casts.append(pl.col(column))
        elif got == pl.Null:
            casts.append(pl.col(column).cast(dtype))
        elif column in _MONEY_COLUMNS:
            problems.append(f"column {column!r} is money and must be Int64 whole dong, got {got}")
        elif column in _ID_COLUMNS and got.is_integer():
            casts.append(pl.col(column).cast(dtype))
        elif dtype == pl.Float64 and got.is_numeric():
            casts.append(pl.col(column).cast(dtype))
        elif dtype == pl.Int32 and got.is_integer():
            casts.append(pl.col(column).cast(dtype))
        else:
            problems.append(f"column {column!r} must be {dtype}, got {got}")
    if problems:
        raise FrameSchemaError(frame, problems)
    return lf.select(casts)


def validate_inputs(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """Validate the five input frames (schema only, no data is read)."""
    return (
        _validate(lines, "lines", LINES_SCHEMA),
        _validate(milestones, "milestones", MILESTONES_SCHEMA),
        _validate(allocations, "allocations", ALLOCATIONS_SCHEMA),
        _validate(contracts, "contracts", CONTRACTS_SCHEMA),
        _validate(payments, "payments", PAYMENTS_SCHEMA),
    )


# --- building blocks ---------------------------------------------------------------


def _round_money(expr: pl.Expr) -> pl.Expr:
    """Float dong → whole dong, half away from zero, Int64."""
    return expr.round(0, mode="half_away_from_zero").cast(MONEY)


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    """``numerator / denominator`` as Float64, null when the denominator is 0."""
    return (
        pl.when(pl.col(denominator) != 0)
        .then(pl.col(numerator).cast(pl.Float64) / pl.col(denominator).cast(pl.Float64))
        .otherwise(None)
    )


def _ancestors(lines: pl.LazyFrame) -> pl.LazyFrame:
    """(line_id, ancestor_id, depth) for every line and each ancestor, itself included at depth 0."""
    parents = lines.select("line_id", "parent_id")
    frames = [lines.select("line_id", pl.col("line_id").alias("ancestor_id"), pl.lit(0, pl.Int32).alias("depth"))]
    level = parents.filter(pl.col("parent_id").is_not_null()).select(
        "line_id", pl.col("parent_id").alias("ancestor_id")
    )
    for depth in range(1, MAX_LINE_DEPTH + 1):
        frames.append(level.with_columns(pl.lit(depth, pl.Int32).alias("depth")))
        level = (
            level.join(parents, left_on="ancestor_id", right_on="line_id", how="inner")
            .filter(pl.col("parent_id").is_not_null())
            .select("line_id", pl.col("parent_id").alias("ancestor_id"))
        )
    return pl.concat(frames)


def _schedule_line(lines: pl.LazyFrame, milestones: pl.LazyFrame) -> pl.LazyFrame:
    """(line_id, schedule_line_id): the nearest line, itself or an ancestor, that has milestones."""
    with_milestones = milestones.select(pl.col("line_id").alias("ancestor_id")).unique()
    found = (
        _ancestors(lines)
        .join(with_milestones, on="ancestor_id", how="inner")
        .group_by("line_id")
        .agg(pl.col("ancestor_id").sort_by("depth").first().alias("schedule_line_id"))
    )
    return lines.select("line_id").join(found, on="line_id", how="left")


def _share_as_of(lines: pl.LazyFrame, milestones: pl.LazyFrame, today: date) -> pl.LazyFrame:
    """(line_id, scheduled_share) as of ``today``: step function over the effective milestones."""
    reached = (
        milestones.filter(pl.col("due_on") <= today)
        .group_by("line_id")
        .agg(pl.col("target_share").sort_by("due_on").last().alias("scheduled_share"))
        .rename({"line_id": "schedule_line_id"})
    )
    return (
        _schedule_line(lines, milestones)
        .join(reached, on="schedule_line_id", how="left")
        .select("line_id", pl.col("scheduled_share").fill_null(0.0))
    )


def paid_as_of(payments: pl.LazyFrame, day: date) -> pl.LazyFrame:
    """*Paid as of a day*: the payment rows (reversals included, so sums are net)
    dated on or before ``day``. The one definition; the database side
    (:func:`procurement.finance.budget.paid_as_of_clause`) is the same filter in SQL."""
    return payments.filter(pl.col("paid_on") <= day)


def _as_of(contracts: pl.LazyFrame, payments: pl.LazyFrame, today: date) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    return contracts.filter(pl.col("signed_on") <= today), paid_as_of(payments, today)


# --- reports ----------------------------------------------------------------------


def progress_by_line(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
    *,
    today: date,
) -> pl.LazyFrame:
    """One row per budget line, sub-lines rolled up into their parents.

    Output columns: line_id, parent_id, province_code, number, name,
    fiscal_year, decision_date, deadline, amount_vnd, allocated_vnd,
    committed_vnd, paid_vnd, remaining_vnd (amount − paid), unallocated_vnd
    (amount − allocated), uncharged_vnd (amount − everything charged to the
    line itself: its sub-lines, its own allocations, contracts signed straight on
    it and payments straight on it without contract or allocation — what it can
    still take; not rolled up), share_paid (paid / amount), scheduled_share,
    scheduled_vnd (round(scheduled_share × amount)), schedule_gap_vnd
    (scheduled − paid; > 0 behind, < 0 ahead), days_to_deadline (Int64,
    negative once overdue, null without deadline).  Sorted by line_id.
    """
    lines, milestones, allocations, contracts, payments = validate_inputs(
        lines, milestones, allocations, contracts, payments
    )
    contracts, payments = _as_of(contracts, payments, today)
    ancestors = _ancestors(lines).select("line_id", "ancestor_id")

    def rolled(frame: pl.LazyFrame, value: str, alias: str) -> pl.LazyFrame:
        return (
            frame.select("line_id", value)
            .join(ancestors, on="line_id", how="inner")
            .group_by("ancestor_id")
            .agg(pl.col(value).sum().cast(MONEY).alias(alias))
            .rename({"ancestor_id": "line_id"})
        )

    def own(frame: pl.LazyFrame, key: str, value: str) -> pl.LazyFrame:
        return frame.select(pl.col(key).alias("line_id"), pl.col(value).alias("charge"))

    charged = (
        pl.concat(
            [
                own(lines.filter(pl.col("parent_id").is_not_null()), "parent_id", "amount_vnd"),
                own(allocations, "line_id", "amount_vnd"),
                own(contracts.filter(pl.col("allocation_id").is_null()), "line_id", "value_vnd"),
                own(
                    payments.filter(pl.col("allocation_id").is_null() & pl.col("contract_id").is_null()),
                    "line_id",
                    "amount_vnd",
                ),
            ]
        )
        .group_by("line_id")
        .agg(pl.col("charge").sum().cast(MONEY).alias("charged_vnd"))
    )

    return (
        lines.join(rolled(allocations, "amount_vnd", "allocated_vnd"), on="line_id", how="left")
        .join(charged, on="line_id", how="left")
        .join(rolled(contracts, "value_vnd", "committed_vnd"), on="line_id", how="left")
        .join(rolled(payments, "amount_vnd", "paid_vnd"), on="line_id", how="left")
        .join(_share_as_of(lines, milestones, today), on="line_id", how="left")
        .with_columns(pl.col("allocated_vnd", "committed_vnd", "paid_vnd", "charged_vnd").fill_null(0))
        .with_columns(
            (pl.col("amount_vnd") - pl.col("paid_vnd")).alias("remaining_vnd"),
            (pl.col("amount_vnd") - pl.col("allocated_vnd")).alias("unallocated_vnd"),
            (pl.col("amount_vnd") - pl.col("charged_vnd")).alias("uncharged_vnd"),
            _ratio("paid_vnd", "amount_vnd").alias("share_paid"),
            _round_money(pl.col("scheduled_share") * pl.col("amount_vnd")).alias("scheduled_vnd"),
            (pl.col("deadline") - pl.lit(today)).dt.total_days().cast(pl.Int64).alias("days_to_deadline"),
        )
        .with_columns((pl.col("scheduled_vnd") - pl.col("paid_vnd")).alias("schedule_gap_vnd"))
        .select(
            "line_id",
            "parent_id",
            "province_code",
            "number",
            "name",
            "fiscal_year",
            "decision_date",
            "deadline",
            "amount_vnd",
            "allocated_vnd",
            "committed_vnd",
            "paid_vnd",
            "remaining_vnd",
            "unallocated_vnd",
            "uncharged_vnd",
            "share_paid",
            "scheduled_share",
            "scheduled_vnd",
            "schedule_gap_vnd",
            "days_to_deadline",
        )
        .sort("line_id")
    )


_KEYS = ["line_id", "commune_code"]


def _commune_rows(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
    today: date,
) -> pl.LazyFrame:
    """progress_by_commune on already validated frames."""
    contracts, payments = _as_of(contracts, payments, today)
    allocated = allocations.group_by(_KEYS).agg(
        pl.col("commune_name").drop_nulls().first(),
        pl.col("amount_vnd").sum().cast(MONEY).alias("allocated_vnd"),
    )
    committed = contracts.group_by(_KEYS).agg(
        pl.col("value_vnd").sum().cast(MONEY).alias("committed_vnd"),
        pl.col("contract_id").n_unique().cast(pl.Int64).alias("contracts"),
    )
    paid = payments.group_by(_KEYS).agg(
        pl.col("amount_vnd").sum().cast(MONEY).alias("paid_vnd"),
        pl.col("paid_on").max().alias("last_paid_on"),
    )
    joined = (
        allocated.join(committed, on=_KEYS, how="full", coalesce=True, nulls_equal=True)
        .join(paid, on=_KEYS, how="full", coalesce=True, nulls_equal=True)
        .with_columns(pl.col("allocated_vnd", "committed_vnd", "paid_vnd", "contracts").fill_null(0))
    )
    return (
        joined.join(lines.select("line_id", "province_code", "number"), on="line_id", how="left")
        .join(_share_as_of(lines, milestones, today), on="line_id", how="left")
        .with_columns(
            pl.col("scheduled_share").fill_null(0.0),
            pl.col("commune_code").is_null().alias("is_central"),
        )
        .with_columns(
            (pl.col("allocated_vnd") - pl.col("paid_vnd")).alias("remaining_vnd"),
            _ratio("paid_vnd", "allocated_vnd").alias("share_paid"),
            _round_money(pl.col("scheduled_share") * pl.col("allocated_vnd")).alias("scheduled_vnd"),
        )
        .with_columns(
            pl.max_horizontal(pl.col("scheduled_vnd") - pl.col("paid_vnd"), pl.lit(0, MONEY)).alias("behind_vnd")
        )
        .select(
            "province_code",
            "line_id",
            "number",
            "commune_code",
            "commune_name",
            "is_central",
            "allocated_vnd",
            "contracts",
            "committed_vnd",
            "paid_vnd",
            "last_paid_on",
            "remaining_vnd",
            "share_paid",
            "scheduled_share",
            "scheduled_vnd",
            "behind_vnd",
        )
        .sort(["line_id", "commune_code"], nulls_last=True)
    )


def progress_by_commune(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
    *,
    today: date,
) -> pl.LazyFrame:
    """One row per (line, commune); central purchasing is the row with a null commune_code.

    Grouping uses the line_id / commune_code carried by each allocation,
    contract and payment row.  A (line, commune) with contracts or payments
    but no allocation still appears (allocated 0) so no money goes missing.

    Output columns: province_code, line_id, number, commune_code,
    commune_name, is_central (Boolean), allocated_vnd, contracts (count),
    committed_vnd, paid_vnd, last_paid_on, remaining_vnd (allocated − paid),
    share_paid (paid / allocated, null if nothing allocated),
    scheduled_share (the line's schedule as of today), scheduled_vnd
    (round(scheduled_share × allocated)), behind_vnd (max(scheduled − paid,
    0)).  Sorted by line_id, commune_code (central last).
    """
    frames = validate_inputs(lines, milestones, allocations, contracts, payments)
    return _commune_rows(*frames, today)


def _lagging(commune_rows: pl.LazyFrame) -> pl.LazyFrame:
    pct = ((pl.col("scheduled_share") - pl.col("share_paid").fill_null(0.0)) * 100).round(1)
    return (
        commune_rows.filter(pl.col("behind_vnd") > 0, pl.col("commune_code").is_not_null())
        .sort(["behind_vnd", "line_id", "commune_code"], descending=[True, False, False])
        .with_row_index("rank", offset=1)
        .with_columns(
            pl.col("rank").cast(pl.Int64),
            pl.when(pl.col("committed_vnd") <= 0)
            .then(pl.lit("chưa ký hợp đồng"))
            .when(pl.col("paid_vnd") <= 0)
            .then(pl.lit("đã ký hợp đồng nhưng chưa thanh toán"))
            .otherwise(
                pl.format(
                    "thanh toán chậm {}% so với kế hoạch", pct.cast(pl.String).str.replace(".", ",", literal=True)
                )
            )
            .alias("reason_vi"),
        )
        .select(
            "rank",
            "province_code",
            "line_id",
            "number",
            "commune_code",
            "commune_name",
            "allocated_vnd",
            "committed_vnd",
            "paid_vnd",
            "share_paid",
            "scheduled_share",
            "scheduled_vnd",
            "behind_vnd",
            "reason_vi",
        )
    )


def lagging_communes(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
    *,
    today: date,
) -> pl.LazyFrame:
    """Communes behind schedule (behind_vnd > 0), largest money at risk first.

    Central purchasing rows are excluded (they are not a commune).  Ties on
    behind_vnd are broken by line_id then commune_code.

    Output columns: rank (Int64, 1 = most money at risk), province_code,
    line_id, number, commune_code, commune_name, allocated_vnd,
    committed_vnd, paid_vnd, share_paid, scheduled_share, scheduled_vnd,
    behind_vnd, reason_vi — one of "chưa ký hợp đồng" (no contract yet),
    "đã ký hợp đồng nhưng chưa thanh toán" (contract, nothing paid), or
    "thanh toán chậm X% so với kế hoạch" (X = scheduled − paid share, in
    percentage points, one decimal with a comma).
    """
    frames = validate_inputs(lines, milestones, allocations, contracts, payments)
    return _lagging(_commune_rows(*frames, today))


def progress_by_month(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
    *,
    today: date,
) -> pl.LazyFrame:
    """One row per line × calendar month, sub-lines rolled up, with no month missing.

    Months run from the line's decision month (or its earliest contract or
    payment month, if earlier) to the latest of ``today``'s month and its
    last contract / payment month (a line decided after ``today`` gets at
    least its decision month).  ``allocations`` is accepted for a uniform
    signature (and validated) but not needed.

    Output columns: line_id, province_code, number, month (Date, first day),
    committed_vnd (contracts' signed values in their signing month, amendments'
    changes in the amendment's month), paid_vnd (net payments in
    the month), cumulative_committed_vnd, cumulative_paid_vnd,
    scheduled_share (step schedule at the month's last day),
    scheduled_cumulative_vnd (round(scheduled_share × line amount)).
    Sorted by line_id, month.
    """
    lines, milestones, _allocations, contracts, payments = validate_inputs(
        lines, milestones, allocations, contracts, payments
    )
    ancestors = _ancestors(lines).select("line_id", "ancestor_id")

    def monthly(frame: pl.LazyFrame, day: str, value: str, alias: str) -> pl.LazyFrame:
        return (
            frame.select("line_id", pl.col(day).dt.month_start().alias("month"), value)
            .join(ancestors, on="line_id", how="inner")
            .group_by("ancestor_id", "month")
            .agg(pl.col(value).sum().cast(MONEY).alias(alias))
            .rename({"ancestor_id": "line_id"})
        )

    committed = monthly(contracts, "signed_on", "value_vnd", "committed_vnd")
    paid = monthly(payments, "paid_on", "amount_vnd", "paid_vnd")
    today_month = date(today.year, today.month, 1)
    fact_bounds = (
        pl.concat([committed.select("line_id", "month"), paid.select("line_id", "month")])
        .group_by("line_id")
        .agg(pl.col("month").min().alias("first_fact"), pl.col("month").max().alias("last_fact"))
    )
    spine = (
        lines.select(
            "line_id", "province_code", "number", "amount_vnd", pl.col("decision_date").dt.month_start().alias("start")
        )
        .join(fact_bounds, on="line_id", how="left")
        .with_columns(
            pl.min_horizontal("start", "first_fact").alias("start"),
            pl.max_horizontal(pl.lit(today_month), "last_fact", "start").alias("end"),
        )
        .with_columns(pl.date_ranges("start", "end", "1mo").alias("month"))
        .explode("month")
        .filter(pl.col("month").is_not_null())
        .select("line_id", "province_code", "number", "amount_vnd", "month")
    )
    schedule_line = _schedule_line(lines, milestones)
    shares = (
        spine.select("line_id", "month")
        .join(schedule_line, on="line_id", how="inner")
        .join(milestones.rename({"line_id": "schedule_line_id"}), on="schedule_line_id", how="inner")
        .filter(pl.col("due_on") <= pl.col("month").dt.month_end())
        .group_by("line_id", "month")
        .agg(pl.col("target_share").sort_by("due_on").last().alias("scheduled_share"))
    )
    return (
        spine.join(committed, on=["line_id", "month"], how="left")
        .join(paid, on=["line_id", "month"], how="left")
        .join(shares, on=["line_id", "month"], how="left")
        .with_columns(
            pl.col("committed_vnd", "paid_vnd").fill_null(0),
            pl.col("scheduled_share").fill_null(0.0),
        )
        .sort("line_id", "month")
        .with_columns(
            pl.col("committed_vnd").cum_sum().over("line_id").cast(MONEY).alias("cumulative_committed_vnd"),
            pl.col("paid_vnd").cum_sum().over("line_id").cast(MONEY).alias("cumulative_paid_vnd"),
            _round_money(pl.col("scheduled_share") * pl.col("amount_vnd")).alias("scheduled_cumulative_vnd"),
        )
        .select(
            "line_id",
            "province_code",
            "number",
            "month",
            "committed_vnd",
            "paid_vnd",
            "cumulative_committed_vnd",
            "cumulative_paid_vnd",
            "scheduled_share",
            "scheduled_cumulative_vnd",
        )
    )


def province_summary(
    lines: pl.LazyFrame,
    milestones: pl.LazyFrame,
    allocations: pl.LazyFrame,
    contracts: pl.LazyFrame,
    payments: pl.LazyFrame,
    *,
    today: date,
) -> pl.LazyFrame:
    """One row per province (as of ``today``).

    Output columns: province_code, lines (top-level lines), sub_lines,
    amount_vnd (sum of top-level line amounts — sub-lines are carved out of
    their parent so they are not added again), allocated_vnd, committed_vnd,
    paid_vnd (all lines of the province), share_paid (paid / amount),
    communes (distinct communes with a row), communes_behind (distinct
    communes with behind_vnd > 0 on some line).  Sorted by province_code.
    """
    lines, milestones, allocations, contracts, payments = validate_inputs(
        lines, milestones, allocations, contracts, payments
    )
    rows = _commune_rows(lines, milestones, allocations, contracts, payments, today)
    per_lines = lines.group_by("province_code").agg(
        pl.col("parent_id").is_null().sum().cast(pl.Int64).alias("lines"),
        pl.col("parent_id").is_not_null().sum().cast(pl.Int64).alias("sub_lines"),
        pl.col("amount_vnd").filter(pl.col("parent_id").is_null()).sum().cast(MONEY).alias("amount_vnd"),
    )
    money = rows.group_by("province_code").agg(
        pl.col("allocated_vnd").sum().cast(MONEY),
        pl.col("committed_vnd").sum().cast(MONEY),
        pl.col("paid_vnd").sum().cast(MONEY),
        pl.col("commune_code").drop_nulls().n_unique().cast(pl.Int64).alias("communes"),
        pl.col("commune_code")
        .filter(pl.col("behind_vnd") > 0)
        .drop_nulls()
        .n_unique()
        .cast(pl.Int64)
        .alias("communes_behind"),
    )
    return (
        per_lines.join(money, on="province_code", how="full", coalesce=True, nulls_equal=True)
        .with_columns(
            pl.col(
                "lines",
                "sub_lines",
                "amount_vnd",
                "allocated_vnd",
                "committed_vnd",
                "paid_vnd",
                "communes",
                "communes_behind",
            ).fill_null(0)
        )
        .with_columns(_ratio("paid_vnd", "amount_vnd").alias("share_paid"))
        .select(
            "province_code",
            "lines",
            "sub_lines",
            "amount_vnd",
            "allocated_vnd",
            "committed_vnd",
            "paid_vnd",
            "share_paid",
            "communes",
            "communes_behind",
        )
        .sort("province_code", nulls_last=True)
    )
