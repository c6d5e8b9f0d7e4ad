"""Fleet overview reports: what each commune has, how old it is, how well audited.

Pure functions from polars LazyFrames to a LazyFrame (collect at the edge).
Input frames are those described in :mod:`procurement.planning.priority`; each
function checks only the columns it uses. Devices with status ``disposed`` are
left out of every count here (they are no longer in the commune).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from procurement.core import vocabulary
from procurement.core.reporting import age_years_expr, lazy, require_columns

CONDITIONS = ("good", "fair", "poor", "broken")
CONDITION_NAMES_VI = vocabulary.lower("condition")

AGE_BANDS = ("0-2", "3-4", "5-7", "8+", "unknown")
AGE_BAND_NAMES_VI = vocabulary.names("age_band")


def _present(assets: pl.LazyFrame) -> pl.LazyFrame:
    return assets.filter(pl.col("status") != "disposed")


def fleet_by_commune(assets: pl.LazyFrame, categories: pl.LazyFrame, communes: pl.LazyFrame) -> pl.LazyFrame:
    """Device counts per commune × category × condition (disposed devices left out).

    Only combinations that occur are listed (no zero rows).
    Input: assets (commune_code, category_code, condition, status),
    categories (category_code, name), communes (commune_code, commune_name,
    province_code, province_name).
    Output: commune_code, commune_name, province_code, province_name,
    category_code, category_name, condition, condition_name (Vietnamese),
    devices (Int64); sorted by commune, category, condition (good→broken).
    """
    assets, categories, communes = lazy(assets), lazy(categories), lazy(communes)
    require_columns(assets, "assets", ("commune_code", "category_code", "condition", "status"))
    require_columns(categories, "categories", ("category_code", "name"))
    require_columns(
        communes,
        "communes",
        ("commune_code", "commune_name", "province_code", "province_name"),
    )
    order = {c: i for i, c in enumerate(CONDITIONS)}
    return (
        _present(assets)
        .group_by("commune_code", "category_code", "condition")
        .agg(pl.len().cast(pl.Int64).alias("devices"))
        .join(
            communes.select("commune_code", "commune_name", "province_code", "province_name"),
            on="commune_code",
            how="left",
        )
        .join(
            categories.select("category_code", pl.col("name").alias("category_name")),
            on="category_code",
            how="left",
        )
        .with_columns(
            pl.col("condition").replace_strict(CONDITION_NAMES_VI, default=pl.col("condition")).alias("condition_name"),
            pl.col("condition").replace_strict(order, default=len(order), return_dtype=pl.Int32).alias("_o"),
        )
        .sort("commune_code", "category_code", "_o")
        .select(
            "commune_code",
            "commune_name",
            "province_code",
            "province_name",
            "category_code",
            "category_name",
            "condition",
            "condition_name",
            "devices",
        )
    )


def age_profile(assets: pl.LazyFrame, categories: pl.LazyFrame, today: date) -> pl.LazyFrame:
    """Device counts per category × age band (disposed devices left out).

    Age uses ``acquired_on``, else 1 July of ``acquired_year``; bands are whole
    years of age: 0-2 (< 3 years), 3-4, 5-7, 8+ and unknown (no date or year).
    Every category of ``categories`` gets all five bands (zero counts kept).
    Input: assets (category_code, status, acquired_on, acquired_year),
    categories (category_code, name).
    Output: category_code, category_name, age_band, age_band_name
    (Vietnamese), devices (Int64).
    """
    assets, categories = lazy(assets), lazy(categories)
    require_columns(assets, "assets", ("category_code", "status", "acquired_on", "acquired_year"))
    require_columns(categories, "categories", ("category_code", "name"))
    age = pl.col("_age")
    band = (
        pl.when(age.is_null())
        .then(pl.lit("unknown"))
        .when(age < 3)
        .then(pl.lit("0-2"))
        .when(age < 5)
        .then(pl.lit("3-4"))
        .when(age < 8)
        .then(pl.lit("5-7"))
        .otherwise(pl.lit("8+"))
    )
    counts = (
        _present(assets)
        .select("category_code", age_years_expr(today).alias("_age"))
        .with_columns(band.alias("age_band"))
        .group_by("category_code", "age_band")
        .agg(pl.len().cast(pl.Int64).alias("devices"))
    )
    bands = pl.LazyFrame({"age_band": list(AGE_BANDS), "_o": list(range(len(AGE_BANDS)))})
    return (
        categories.select("category_code", pl.col("name").alias("category_name"))
        .join(bands, how="cross")
        .join(counts, on=["category_code", "age_band"], how="left")
        .with_columns(
            pl.col("devices").fill_null(0),
            pl.col("age_band").replace_strict(AGE_BAND_NAMES_VI).alias("age_band_name"),
        )
        .sort("category_code", "_o")
        .select("category_code", "category_name", "age_band", "age_band_name", "devices")
    )


def _since_literal(since: datetime, dtype: pl.DataType) -> pl.Expr:
    """``since`` as a literal comparable with a Datetime column of ``dtype``.

    A naive ``since`` against a zoned column is taken as UTC; an aware one
    against a naive column is converted to naive UTC.
    """
    tz = getattr(dtype, "time_zone", None)
    if tz is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return pl.lit(since).dt.convert_time_zone(tz).cast(dtype)
    if since.tzinfo is not None:
        since = since.astimezone(UTC).replace(tzinfo=None)
    return pl.lit(since).cast(dtype if isinstance(dtype, pl.Datetime) else pl.Datetime("us"))


def stocktake_coverage(assets: pl.LazyFrame, communes: pl.LazyFrame, since: datetime) -> pl.LazyFrame:
    """Per commune: devices, how many were audited at or after ``since``, and the share.

    Every commune is listed, also with no devices (share null then).
    Input: assets (commune_code, status, last_audited_at), communes
    (commune_code, commune_name, province_code, province_name).
    Output: commune_code, commune_name, province_code, province_name,
    devices (Int64), audited (Int64), share (Float64, 0..1, 4 decimals).
    """
    assets, communes = lazy(assets), lazy(communes)
    require_columns(assets, "assets", ("commune_code", "status", "last_audited_at"))
    require_columns(
        communes,
        "communes",
        ("commune_code", "commune_name", "province_code", "province_name"),
    )
    dtype = assets.collect_schema()["last_audited_at"]
    since_lit = _since_literal(since, dtype)
    counts = (
        _present(assets)
        .group_by("commune_code")
        .agg(
            pl.len().cast(pl.Int64).alias("devices"),
            (pl.col("last_audited_at") >= since_lit).fill_null(False).sum().cast(pl.Int64).alias("audited"),
        )
    )
    return (
        communes.select("commune_code", "commune_name", "province_code", "province_name")
        .join(counts, on="commune_code", how="left")
        .with_columns(pl.col("devices").fill_null(0), pl.col("audited").fill_null(0))
        .with_columns(
            pl.when(pl.col("devices") > 0)
            .then((pl.col("audited") / pl.col("devices")).round(4))
            .otherwise(None)
            .alias("share")
        )
        .sort("commune_code")
    )
