"""Turn a replacement plan into procurement packages (gói thầu): pure, polars.

A saved plan becomes one package per commune × category: what the commune
receives, how many, and the estimate (the sum of the unit prices of the plan
lines, whole VND). New devices for a shortage of "computer" are bought as
desktops (that is how :func:`procurement.planning.priority.replacement_plan` prices
them). The package store (budget lines, allocations, package rows) belongs to
the procurement use cases (:func:`procurement.finance.budget.create_package`);
:func:`procurement.planning.plans.save_plan_as_packages` saves what this module
says the packages are.
"""

from __future__ import annotations

import polars as pl

from procurement.core import vocabulary
from procurement.core.reporting import lazy, require_columns

PACKAGE_SCHEMA = {
    "commune_code": pl.String,
    "commune_name": pl.String,
    "category_code": pl.String,
    "quantity": pl.Int64,
    "replace_quantity": pl.Int64,
    "new_quantity": pl.Int64,
    "estimate_vnd": pl.Int64,
    "asset_ids": pl.List(pl.Int64),
    "name": pl.String,
}

# The category a "new device" line of a shortage group is bought as.
GROUP_CATEGORY = {"computer": "desktop"}

CATEGORY_NAMES_VI = vocabulary.lower("category")


def plan_packages(plan: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Group the included lines of a plan into packages per commune × category.

    Input: the output of :func:`procurement.planning.priority.replacement_plan`
    (item_kind, asset_id, commune_code, commune_name, category_code,
    unit_price_vnd, included). Excluded lines are ignored.

    Output (sorted by commune, category): commune_code, commune_name,
    category_code, quantity, replace_quantity, new_quantity, estimate_vnd
    (Int64, the exact sum of the lines' prices), asset_ids (the devices that
    are replaced, ascending), name (Vietnamese, e.g. "Thay thế và mua mới 3
    máy in cho Xã An Viễn"). The estimates add up to the plan's included total.
    """
    plan = lazy(plan)
    require_columns(
        plan,
        "plan",
        ("item_kind", "asset_id", "commune_code", "commune_name", "category_code", "unit_price_vnd", "included"),
    )
    is_replace = pl.col("item_kind") == "replace"
    what = (
        pl.when((pl.col("replace_quantity") > 0) & (pl.col("new_quantity") > 0))
        .then(pl.lit("Thay thế và mua mới "))
        .when(pl.col("replace_quantity") > 0)
        .then(pl.lit("Thay thế "))
        .otherwise(pl.lit("Mua mới "))
    )
    return (
        plan.filter(pl.col("included"))
        .with_columns(pl.col("category_code").replace(GROUP_CATEGORY))
        .group_by("commune_code", "category_code")
        .agg(
            pl.col("commune_name").first(),
            pl.len().cast(pl.Int64).alias("quantity"),
            is_replace.sum().cast(pl.Int64).alias("replace_quantity"),
            (~is_replace).sum().cast(pl.Int64).alias("new_quantity"),
            pl.col("unit_price_vnd").sum().cast(pl.Int64).alias("estimate_vnd"),
            pl.col("asset_id").filter(is_replace).drop_nulls().sort().cast(pl.Int64).alias("asset_ids"),
        )
        .with_columns(
            pl.concat_str(
                [
                    what,
                    pl.col("quantity").cast(pl.String),
                    pl.lit(" "),
                    pl.col("category_code").replace_strict(CATEGORY_NAMES_VI, default=pl.col("category_code")),
                    pl.lit(" cho "),
                    pl.col("commune_name").fill_null(pl.col("commune_code")).fill_null(pl.lit("xã chưa rõ")),
                ]
            ).alias("name")
        )
        .sort("commune_code", "category_code", nulls_last=True)
        .select(list(PACKAGE_SCHEMA))
    )
