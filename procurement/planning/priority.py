"""Replacement priority, commune shortage and the budget-limited replacement plan.

Pure functions from polars LazyFrames to a LazyFrame; nothing here knows about
HTTP or the database. Collect the result at the edge (API handler, export,
benchmark). Money is whole VND in ``Int64`` everywhere.

Input frames (required columns are checked; extra columns are ignored)
-----------------------------------------------------------------------
``assets``
    asset_id Int64, tag Utf8, commune_code Utf8, category_code Utf8
    (desktop, laptop, printer, scanner, monitor, network, ups), make Utf8,
    model Utf8, status Utf8 (in_use, in_storage, in_repair, awaiting_disposal,
    disposed), condition Utf8 (good, fair, poor, broken), acquired_on Date
    (nullable), acquired_year Int32 (nullable; used as 1 July of that year when
    acquired_on is null), location Utf8 (office, service_point),
    antimalware_installed Boolean (nullable; computers only), os_supported
    Boolean (nullable; computers only), cost_vnd Int64 (nullable),
    last_audited_at Datetime (nullable); optional: repair_total_vnd Int64
    (what the device's repairs cost in all; absent = no repairs known).
``categories``
    category_code, name (Vietnamese), useful_life_years Int32, is_computer Boolean.
``communes``
    commune_code, commune_name, province_code, province_name, officials Int32,
    remote Boolean, has_service_point Boolean.

Reports
-------
:func:`replacement_priority`
    Ranked, explained list of assets to replace (status in_use / in_repair /
    in_storage only). Output columns: asset_id, tag, commune_code,
    commune_name, province_code, category_code, category_name, make, model,
    status, age_years, years_over_life, condition, location, age_part,
    condition_part, place_part, shortage_part, remote_part, security_part,
    repair_part, score, rank, reason, shortage_group.
:func:`commune_shortage`
    Needed vs working devices per commune for computers, printers, scanners.
    Output columns: commune_code, commune_name, province_code, category_code
    (computer, printer, scanner), needed, working, lacking.
:func:`replacement_plan`
    Replacements and new devices walked in priority order under a budget.
    Output columns: item_kind, asset_id, tag, commune_code, commune_name,
    category_code, unit_price_vnd, score, rank, included, running_total_vnd,
    reason, excluded_reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from procurement.core import vocabulary
from procurement.core.reporting import (
    ACTIVE_STATUSES,
    WORKING_CONDITIONS,
    age_years_expr,
    format_vnd_expr,
    lazy,
    require_columns,
)
from procurement.lifecycle.rules import REPAIR_NOT_WORTH_SHARE
from procurement.public_property.rules import CATEGORIES as RULE_CATEGORIES
from procurement.public_property.rules import rule_in_force

ASSET_COLUMNS = (
    "asset_id",
    "tag",
    "commune_code",
    "category_code",
    "make",
    "model",
    "status",
    "condition",
    "acquired_on",
    "acquired_year",
    "location",
    "antimalware_installed",
    "os_supported",
)
CATEGORY_COLUMNS = ("category_code", "name", "useful_life_years", "is_computer")
COMMUNE_COLUMNS = (
    "commune_code",
    "commune_name",
    "province_code",
    "officials",
    "remote",
    "has_service_point",
)

# The register as frames, column by column with its types: what
# ``procurement.planning.frames`` reads from the database and ``procurement.seed.synthetic``
# builds for the benchmarks (the report functions need only the columns above).
ASSET_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "asset_id": pl.Int64,
    "tag": pl.String,
    "commune_code": pl.String,
    "category_code": pl.String,
    "make": pl.String,
    "model": pl.String,
    "status": pl.String,
    "condition": pl.String,
    "acquired_on": pl.Date,
    "acquired_year": pl.Int32,
    "location": pl.String,
    "antimalware_installed": pl.Boolean,
    "os_supported": pl.Boolean,
    "cost_vnd": pl.Int64,
    "last_audited_at": pl.Datetime("us"),
}
COMMUNE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "commune_code": pl.String,
    "commune_name": pl.String,
    "province_code": pl.String,
    "province_name": pl.String,
    "officials": pl.Int32,
    "remote": pl.Boolean,
    "has_service_point": pl.Boolean,
}

# ---------------------------------------------------------------------------
# Weights and norms
# ---------------------------------------------------------------------------


class PriorityWeights(BaseModel):
    """Weights of the replacement score; the defaults of the first six parts add up
    to 100, and ``repairs`` (10) adds up to 10 for a device whose repairs already
    cost a large share of its price.

    Every part of the score lies between 0 and its weight, so a score reads as
    "points out of 100" with the defaults (110 for a much-repaired device). Pass a
    changed copy per request, e.g. ``PriorityWeights(remote=15)``.

    * ``age`` (40): age over useful life. 0 for a new device, rising linearly,
      full weight at ``age_full_at_life_ratio`` × useful life (1.5) and beyond.
      An unknown age (no date, no year) counts as ``unknown_age_fraction``
      (0.6, i.e. like a device at 0.9 × its useful life) and the reason says
      "không rõ năm mua".
    * ``condition`` (25): broken = full weight, poor = ``condition_poor``
      (0.6), fair = ``condition_fair`` (0.25), good = 0.
    * ``place`` (10): full weight for a device at the service point
      (bộ phận một cửa), which serves citizens every day; 0 in the office.
    * ``shortage`` (10): computers only: weight × (1 − working computers /
      officials) of the commune, clipped to 0..1.
    * ``remote`` (5): full weight in a remote commune (vùng sâu, vùng xa).
    * ``security`` (10): computers only: ``no_antimalware_share`` (0.5) of the
      weight when anti-malware is known to be missing, the rest when the OS is
      known to be unsupported. Unknown (null) counts as nothing.
    * ``repairs`` (10): the device's repairs in all against its original cost:
      weight × (repair total / cost) / ``repairs_full_at_share``, clipped to
      0..weight; full weight at ``repairs_full_at_share`` (default
      ``REPAIR_NOT_WORTH_SHARE``, 0.30: the share above which a repair is not
      worth it, Decree 151/2017/NĐ-CP Art. 29 cl. 1, see
      :mod:`procurement.lifecycle.rules`). No repairs, or no known cost: 0.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    age: float = Field(40.0, ge=0)
    condition: float = Field(25.0, ge=0)
    place: float = Field(10.0, ge=0)
    shortage: float = Field(10.0, ge=0)
    remote: float = Field(5.0, ge=0)
    security: float = Field(10.0, ge=0)
    repairs: float = Field(10.0, ge=0)
    repairs_full_at_share: float = Field(REPAIR_NOT_WORTH_SHARE, gt=0)
    age_full_at_life_ratio: float = Field(1.5, gt=0)
    unknown_age_fraction: float = Field(0.6, ge=0, le=1)
    condition_poor: float = Field(0.6, ge=0, le=1)
    condition_fair: float = Field(0.25, ge=0, le=1)
    no_antimalware_share: float = Field(0.5, ge=0, le=1)
    max_reason_parts: int = Field(4, ge=1)


class ShortageNorms(BaseModel):
    """How many working devices a commune needs (defaults per the brief).

    * computers: ``computers_per_official`` (1) per official, rounded up;
    * printers: 1 per ``officials_per_printer`` (3) officials, rounded up;
    * scanners: ``scanners_per_commune`` (1);
    * plus, when the commune has a service point (bộ phận một cửa):
      ``service_point_computers`` (2), ``service_point_printers`` (1),
      ``service_point_scanners`` (1).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    computers_per_official: float = Field(1.0, ge=0)
    officials_per_printer: int = Field(3, ge=1)
    scanners_per_commune: int = Field(1, ge=0)
    service_point_computers: int = Field(2, ge=0)
    service_point_printers: int = Field(1, ge=0)
    service_point_scanners: int = Field(1, ge=0)


SHORTAGE_GROUPS = ("computer", "printer", "scanner")
GROUP_NAMES_VI = vocabulary.lower("category_group")

DEFAULT_UNIT_PRICES: dict[str, int] = {
    "desktop": 15_000_000,
    "laptop": 20_000_000,
    "printer": 6_000_000,
    "scanner": 8_000_000,
    "monitor": 3_500_000,
    "network": 5_000_000,
    "ups": 3_000_000,
}
"""Default unit prices (VND) for one replacement / new device. New computers
for a shortage are priced as ``unit_prices["computer"]`` if given, else as a
desktop."""

NEW_ITEM_MAX_SCORE: dict[str, float] = {
    "computer": 90.0,
    "printer": 70.0,
    "scanner": 60.0,
}
"""Score of the first missing device of a commune that has none at all; see
:func:`replacement_plan`."""


# ---------------------------------------------------------------------------
# Shortage
# ---------------------------------------------------------------------------


def _shortage_group_expr(is_computer_col: str = "is_computer") -> pl.Expr:
    """computer / printer / scanner for the categories the shortage norms cover, else null."""
    return (
        pl.when(pl.col(is_computer_col))
        .then(pl.lit("computer"))
        .when(pl.col("category_code").is_in(["printer", "scanner"]))
        .then(pl.col("category_code"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _is_working_expr() -> pl.Expr:
    return (pl.col("status") == "in_use") & pl.col("condition").is_in(WORKING_CONDITIONS)


def _working_counts(assets: pl.LazyFrame, categories: pl.LazyFrame) -> pl.LazyFrame:
    """commune_code, category_code (shortage group), working (Int64)."""
    return (
        assets.select("commune_code", "category_code", "status", "condition")
        .join(
            categories.select("category_code", "is_computer"),
            on="category_code",
            how="left",
        )
        .with_columns(pl.col("is_computer").fill_null(False))
        .filter(_is_working_expr())
        .with_columns(_shortage_group_expr().alias("group"))
        .filter(pl.col("group").is_not_null())
        .group_by("commune_code", "group")
        .agg(pl.len().cast(pl.Int64).alias("working"))
        .rename({"group": "category_code"})
    )


def commune_shortage(
    assets: pl.LazyFrame,
    categories: pl.LazyFrame,
    communes: pl.LazyFrame,
    norms: ShortageNorms | None = None,
) -> pl.LazyFrame:
    """Needed, working and lacking devices per commune × (computer, printer, scanner).

    * working: status ``in_use`` and condition good / fair / poor (not broken);
      computers are the categories with ``is_computer`` (desktop + laptop).
    * needed: see :class:`ShortageNorms`.
    * lacking = max(needed − working, 0).

    Every commune appears with all three categories, also with no devices.
    Output: commune_code, commune_name, province_code, category_code, needed
    (Int64), working (Int64), lacking (Int64), sorted by commune then category.
    """
    norms = norms or ShortageNorms()
    assets, categories, communes = lazy(assets), lazy(categories), lazy(communes)
    require_columns(assets, "assets", ("commune_code", "category_code", "status", "condition"))
    require_columns(categories, "categories", ("category_code", "is_computer"))
    require_columns(
        communes,
        "communes",
        (
            "commune_code",
            "commune_name",
            "province_code",
            "officials",
            "has_service_point",
        ),
    )
    officials = pl.col("officials").fill_null(0).cast(pl.Int64)
    sp = pl.col("has_service_point").fill_null(False).cast(pl.Int64)
    needed = (
        pl.when(pl.col("category_code") == "computer")
        .then(
            (officials.cast(pl.Float64) * norms.computers_per_official).ceil().cast(pl.Int64)
            + sp * norms.service_point_computers
        )
        .when(pl.col("category_code") == "printer")
        .then(
            (officials + (norms.officials_per_printer - 1)) // norms.officials_per_printer
            + sp * norms.service_point_printers
        )
        .otherwise(norms.scanners_per_commune + sp * norms.service_point_scanners)
        .cast(pl.Int64)
    )
    groups = pl.LazyFrame({"category_code": list(SHORTAGE_GROUPS), "_order": [0, 1, 2]})
    return (
        communes.select(
            "commune_code",
            "commune_name",
            "province_code",
            "officials",
            "has_service_point",
        )
        .join(groups, how="cross")
        .join(
            _working_counts(assets, categories),
            on=["commune_code", "category_code"],
            how="left",
        )
        .with_columns(pl.col("working").fill_null(0), needed.alias("needed"))
        .with_columns((pl.col("needed") - pl.col("working")).clip(lower_bound=0).alias("lacking"))
        .sort("commune_code", "_order")
        .select(
            "commune_code",
            "commune_name",
            "province_code",
            "category_code",
            "needed",
            "working",
            "lacking",
        )
    )


# ---------------------------------------------------------------------------
# Priority
# ---------------------------------------------------------------------------


# Best first: score, then the older device (unknown age last), then the lower asset_id. The exact
# age (``_age``, kept with ``keep_age=True``) breaks ties, not the rounded ``age_years``.
RANK_KEYS = ["score", "_age", "asset_id"]
RANK_DESCENDING = [True, True, False]


def _rule_lives(today: date) -> dict[str, float]:
    return {code: float(rule_in_force(code, today).life_years) for code in RULE_CATEGORIES}


def replacement_priority(
    assets: pl.LazyFrame,
    categories: pl.LazyFrame,
    communes: pl.LazyFrame,
    *,
    today: date,
    weights: PriorityWeights | None = None,
    keep_age: bool = False,
) -> pl.LazyFrame:
    """Rank replaceable assets (in_use / in_repair / in_storage) by an explained score.

    ``score`` (2 decimals) is the sum of the part columns, each between 0 and
    its weight (see :class:`PriorityWeights`). ``rank`` 1 = replace first;
    ties on score go to the older device (unknown age last), then the lower
    asset_id. ``reason`` joins, largest part first, the Vietnamese phrases of
    the parts that contribute (at most ``weights.max_reason_parts``):

    * age: "quá hạn sử dụng N năm" (N = whole years past useful life),
      "đã hết hạn sử dụng" (less than a year past), "sắp hết hạn sử dụng"
      (within a year before), "không rõ năm mua" (unknown age); a younger
      device's small age part is not named;
    * condition: "hỏng" / "kém" / "trung bình";
    * place: "bộ phận một cửa";
    * shortage: "xã thiếu máy tính (X máy/Y cán bộ)" (X working computers);
    * remote: "xã vùng sâu, vùng xa";
    * security: "chưa cài phần mềm diệt virus tập trung", "hệ điều hành hết hỗ trợ";
    * repairs: "đã sửa chữa hết N% nguyên giá" (N = repair total / original cost, whole percent).

    Also output: ``status`` and ``shortage_group`` (computer / printer /
    scanner / null), used by :func:`replacement_plan`.
    """
    w = weights or PriorityWeights()
    assets, categories, communes = lazy(assets), lazy(categories), lazy(communes)
    require_columns(assets, "assets", ASSET_COLUMNS)
    require_columns(categories, "categories", CATEGORY_COLUMNS)
    require_columns(communes, "communes", COMMUNE_COLUMNS)

    cats = categories.select(
        "category_code",
        pl.col("name").alias("category_name"),
        # Useful life from the public-property rules in force today (procurement.public_property.rules);
        # a category the rules do not list keeps the life set on the category.
        pl.col("category_code")
        .replace_strict(_rule_lives(today), default=pl.col("useful_life_years"), return_dtype=pl.Float64)
        .alias("_life"),
        pl.col("is_computer").fill_null(False).alias("_is_computer"),
    )
    working_computers = (
        _working_counts(assets, categories)
        .filter(pl.col("category_code") == "computer")
        .select("commune_code", pl.col("working").alias("_working_computers"))
    )
    comm = communes.select(
        "commune_code",
        "commune_name",
        "province_code",
        pl.col("officials").fill_null(0).cast(pl.Int64).alias("_officials"),
        pl.col("remote").fill_null(False).alias("_remote"),
    ).join(working_computers, on="commune_code", how="left")

    age = pl.col("_age")
    life = pl.col("_life")
    over = pl.col("years_over_life")
    is_computer = pl.col("_is_computer")
    officials = pl.col("_officials")
    working = pl.col("_working_computers").fill_null(0)

    age_frac = (
        pl.when(age.is_null())
        .then(pl.lit(w.unknown_age_fraction))
        .when(life > 0)
        .then((age / (life * w.age_full_at_life_ratio)).clip(0.0, 1.0))
        .otherwise(pl.lit(1.0))
    )
    cond_frac = pl.col("condition").replace_strict(
        {
            "broken": 1.0,
            "poor": w.condition_poor,
            "fair": w.condition_fair,
            "good": 0.0,
        },
        default=0.0,
        return_dtype=pl.Float64,
    )
    shortage_frac = (
        pl.when(is_computer & (officials > 0))
        .then((1.0 - working.cast(pl.Float64) / officials.cast(pl.Float64)).clip(0.0, 1.0))
        .otherwise(0.0)
    )
    no_av = is_computer & (pl.col("antimalware_installed") == False).fill_null(False)  # noqa: E712
    old_os = is_computer & (pl.col("os_supported") == False).fill_null(False)  # noqa: E712
    av_points = pl.when(no_av).then(w.security * w.no_antimalware_share).otherwise(0.0)
    os_points = pl.when(old_os).then(w.security * (1.0 - w.no_antimalware_share)).otherwise(0.0)

    over_whole = over.floor().cast(pl.Int64).cast(pl.String)
    age_text = (
        pl.when(age.is_null())
        .then(pl.lit("không rõ năm mua"))
        .when(over >= 1)
        .then(pl.concat_str([pl.lit("quá hạn sử dụng "), over_whole, pl.lit(" năm")]))
        .when(over >= 0)
        .then(pl.lit("đã hết hạn sử dụng"))
        .when(over >= -1)
        .then(pl.lit("sắp hết hạn sử dụng"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    cond_text = pl.col("condition").replace_strict(
        {"broken": "hỏng", "poor": "kém", "fair": "trung bình"},
        default=None,
        return_dtype=pl.String,
    )
    names = assets.collect_schema().names()
    repair_total = (
        pl.col("repair_total_vnd").fill_null(0).cast(pl.Int64)
        if "repair_total_vnd" in names
        else pl.lit(0, dtype=pl.Int64)
    )
    cost = pl.col("cost_vnd").cast(pl.Int64) if "cost_vnd" in names else pl.lit(None, dtype=pl.Int64)
    repair_share = pl.when(cost > 0).then(repair_total.cast(pl.Float64) / cost.cast(pl.Float64)).otherwise(0.0)
    repair_points = w.repairs * (repair_share / w.repairs_full_at_share).clip(0.0, 1.0)
    repair_text = pl.concat_str(
        [
            pl.lit("đã sửa chữa hết "),
            (repair_share * 100).round(0).cast(pl.Int64).cast(pl.String),
            pl.lit("% nguyên giá"),
        ]
    )
    shortage_text = pl.concat_str(
        [
            pl.lit("xã thiếu máy tính ("),
            working.cast(pl.String),
            pl.lit(" máy/"),
            officials.cast(pl.String),
            pl.lit(" cán bộ)"),
        ]
    )

    # Reason: the phrases of the contributing parts, largest first. Done with
    # plain columnar expressions (no per-row Python, no list sorting): each
    # phrase's position is the number of contributing phrases ahead of it
    # (larger value, or equal value and listed earlier), then position p takes
    # the phrase whose position is p.
    segments = [
        (pl.col("age_part"), age_text),
        (pl.col("condition_part"), cond_text),
        (pl.col("place_part"), pl.lit("bộ phận một cửa")),
        (pl.col("shortage_part"), shortage_text),
        (pl.col("remote_part"), pl.lit("xã vùng sâu, vùng xa")),
        (av_points, pl.lit("chưa cài phần mềm diệt virus tập trung")),
        (os_points, pl.lit("hệ điều hành hết hỗ trợ")),
        (pl.col("repair_part"), repair_text),
    ]
    n_seg = len(segments)
    seg_columns = [v.alias(f"_v{i}") for i, (v, _) in enumerate(segments)] + [
        pl.when(v > 0).then(t).alias(f"_t{i}") for i, (v, t) in enumerate(segments)
    ]
    v_ = [pl.col(f"_v{i}") for i in range(n_seg)]
    t_ = [pl.col(f"_t{i}") for i in range(n_seg)]
    position_columns = [
        pl.sum_horizontal(
            [
                (t_[j].is_not_null() & ((v_[j] >= v_[i]) if j < i else (v_[j] > v_[i]))).cast(pl.Int8)
                for j in range(n_seg)
                if j != i
            ]
        ).alias(f"_p{i}")
        for i in range(n_seg)
    ]
    reason = pl.concat_str(
        [
            pl.coalesce([pl.when(pl.col(f"_p{i}") == p).then(t_[i]) for i in range(n_seg)])
            for p in range(min(w.max_reason_parts, n_seg))
        ],
        separator="; ",
        ignore_nulls=True,
    )

    parts = [
        "age_part",
        "condition_part",
        "place_part",
        "shortage_part",
        "remote_part",
        "security_part",
        "repair_part",
    ]
    return (
        assets.filter(pl.col("status").is_in(ACTIVE_STATUSES))
        .join(cats, on="category_code", how="left")
        .join(comm, on="commune_code", how="left")
        .with_columns(age_years_expr(today).alias("_age"), pl.col("_is_computer").fill_null(False))
        .with_columns((age - life).round(1).alias("years_over_life"))
        .with_columns(
            (w.age * age_frac).alias("age_part"),
            (w.condition * cond_frac).alias("condition_part"),
            pl.when(pl.col("location") == "service_point").then(w.place).otherwise(0.0).alias("place_part"),
            (w.shortage * shortage_frac).alias("shortage_part"),
            pl.when(pl.col("_remote")).then(w.remote).otherwise(0.0).alias("remote_part"),
            (av_points + os_points).alias("security_part"),
            repair_points.fill_null(0.0).alias("repair_part"),
        )
        .with_columns(pl.sum_horizontal(parts).round(2).alias("score"))
        .with_columns(seg_columns)
        .with_columns(position_columns)
        .with_columns(
            reason.alias("reason"),
            _shortage_group_expr("_is_computer").alias("shortage_group"),
        )
        .with_columns([pl.col(p).round(2) for p in parts])
        .sort(RANK_KEYS, descending=RANK_DESCENDING, nulls_last=True)
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
            age.round(1).alias("age_years"),
        )
        .select(
            "asset_id",
            "tag",
            "commune_code",
            "commune_name",
            "province_code",
            "category_code",
            "category_name",
            "make",
            "model",
            "status",
            "age_years",
            "years_over_life",
            "condition",
            "location",
            *parts,
            "score",
            "rank",
            "reason",
            "shortage_group",
            *(["_age"] if keep_age else []),
        )
    )


# ---------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------

PLAN_SCHEMA = {
    "item_kind": pl.String,
    "asset_id": pl.Int64,
    "tag": pl.String,
    "commune_code": pl.String,
    "commune_name": pl.String,
    "category_code": pl.String,
    "unit_price_vnd": pl.Int64,
    "score": pl.Float64,
    "rank": pl.Int64,
    "included": pl.Boolean,
    "running_total_vnd": pl.Int64,
    "reason": pl.String,
    "excluded_reason": pl.String,
}

# excluded_reason codes of the greedy walk
_FITS, _OVER_GLOBAL, _OVER_COMMUNE, _NO_COMMUNE_BUDGET, _BELOW_MIN_SCORE = 0, 1, 2, 3, 4


def _new_device_lines(
    priority: pl.LazyFrame,
    shortage: pl.LazyFrame,
    prices: Mapping[str, int],
    max_score: Mapping[str, float],
) -> pl.LazyFrame:
    """One candidate line per missing device, scored by how empty the commune is."""
    # A replacement of a non-working device (broken, or not in use) already
    # fills one of the gaps counted in `lacking`; don't buy for it twice.
    pending = (
        priority.filter(
            pl.col("shortage_group").is_not_null()
            & ((pl.col("status") != "in_use") | (pl.col("condition") == "broken"))
        )
        .group_by("commune_code", pl.col("shortage_group").alias("category_code"))
        .agg(pl.len().cast(pl.Int64).alias("_pending"))
    )
    needed = pl.col("needed").cast(pl.Float64)
    return (
        shortage.join(pending, on=["commune_code", "category_code"], how="left")
        .with_columns(
            pl.col("_pending").fill_null(0),
            pl.min_horizontal(pl.col("working") + pl.col("_pending").fill_null(0), pl.col("needed")).alias("_have"),
        )
        .with_columns((pl.col("needed") - pl.col("_have")).clip(lower_bound=0).alias("_new"))
        .filter(pl.col("_new") > 0)
        .with_columns(pl.int_ranges(0, pl.col("_new"), dtype=pl.Int64).alias("_k"))
        .explode("_k")
        .with_columns(
            (
                pl.col("category_code").replace_strict(max_score, default=0.0, return_dtype=pl.Float64)
                * (1.0 - (pl.col("_have") + pl.col("_k")).cast(pl.Float64) / needed)
            )
            .round(2)
            .alias("score"),
            pl.col("category_code").replace_strict(prices, default=None, return_dtype=pl.Int64).alias("unit_price_vnd"),
            pl.concat_str(
                [
                    pl.lit("mua mới: xã thiếu "),
                    pl.col("category_code").replace_strict(GROUP_NAMES_VI, default="thiết bị"),
                    pl.lit(" (có "),
                    pl.col("working").cast(pl.String),
                    pl.lit("/cần "),
                    pl.col("needed").cast(pl.String),
                    pl.lit(")"),
                ]
            ).alias("reason"),
        )
        .select(
            pl.lit("new").alias("item_kind"),
            pl.lit(None, dtype=pl.Int64).alias("asset_id"),
            pl.lit(None, dtype=pl.String).alias("tag"),
            "commune_code",
            "commune_name",
            "category_code",
            "unit_price_vnd",
            "score",
            "reason",
            pl.lit(1, dtype=pl.Int8).alias("_kind_order"),
            pl.lit(None, dtype=pl.Int64).alias("_prank"),
            pl.col("_k").alias("_seq"),
        )
    )


def _greedy_walk(
    price: list[int],
    commune: list[int],
    eligible: list[bool],
    n_communes: int,
    budget: int,
    commune_budget: list[int] | None,
    commune_listed: list[bool] | None,
    floor: int,
) -> tuple[bytearray, list[int], list[int]]:
    """Walk candidates in rank order; take each that fits, skip and go on otherwise.

    Phase 1 (``floor`` > 0): each commune may spend up to ``floor`` on its own
    highest-ranked items. Phase 2: the rest by global rank. Every take checks
    the global remaining money, so the total never exceeds ``budget``.
    """
    n = len(price)
    included = bytearray(n)
    code = [_FITS] * n
    left = [0] * n
    remaining = budget
    spent = [0] * n_communes
    if floor > 0:
        for i in range(n):
            if not eligible[i]:
                continue
            c = commune[i]
            p = price[i]
            s = spent[c] + p
            if s <= floor and p <= remaining and (commune_budget is None or s <= commune_budget[c]):
                included[i] = 1
                spent[c] = s
                remaining -= p
    for i in range(n):
        if included[i]:
            continue
        if not eligible[i]:
            code[i] = _BELOW_MIN_SCORE
            continue
        c = commune[i]
        p = price[i]
        if commune_budget is not None:
            c_left = commune_budget[c] - spent[c]
            if p > c_left:
                code[i] = _OVER_COMMUNE if commune_listed and commune_listed[c] else _NO_COMMUNE_BUDGET
                left[i] = c_left
                continue
        if p > remaining:
            code[i] = _OVER_GLOBAL
            left[i] = remaining
            continue
        included[i] = 1
        spent[c] += p
        remaining -= p
    return included, code, left


_CANDIDATE_KEYS = ["score", "_kind_order", "_prank", "commune_code", "category_code", "_seq"]
_CANDIDATE_DESCENDING = [True, False, False, False, False, False]


def _in_candidate_order(candidates: pl.DataFrame) -> pl.DataFrame:
    """The candidates (replacements, then new lines) sorted by :data:`_CANDIDATE_KEYS`, numbered ``rank``.

    The replacements come from the ranked list, usually already in its order (score best
    first, then priority rank): then only the few new lines are sorted, and each goes in
    after the replacements scoring at least as much (a replacement goes first at equal
    score), a merge of two sorted lists instead of a sort of every row on six keys. Any
    other input (unsorted, null or NaN scores) is sorted in full; the answer is the same.
    """
    kind = pl.col("_kind_order")
    replace = candidates.filter(kind == 0)
    new = candidates.filter(kind != 0).sort(_CANDIDATE_KEYS, descending=_CANDIDATE_DESCENDING, nulls_last=True)
    score, prank = pl.col("score"), pl.col("_prank")
    in_order = replace.select(
        (score.is_not_null() & ~score.is_nan() & prank.is_not_null()).all()
        & ((score.diff() < 0) | ((score.diff() == 0) & (prank.diff() > 0))).slice(1).fill_null(False).all()
    ).item()
    new_score = new.get_column("score")
    if (
        not in_order
        or new.get_column("_kind_order").n_unique() > 1
        or new_score.has_nulls()
        or new_score.is_nan().any()
    ):
        merged = pl.concat([replace, new]).sort(_CANDIDATE_KEYS, descending=_CANDIDATE_DESCENDING, nulls_last=True)
    else:
        # A new line goes after every replacement scoring at least as much.
        after = (-replace.get_column("score")).search_sorted(-new_score, side="right")
        merged = pl.concat(
            [
                replace.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_at") * 2 + 1),
                new.with_columns((after.cast(pl.Int64) * 2).alias("_at")),
            ]
        ).sort("_at", maintain_order=True)
        merged = merged.drop("_at")
    return merged.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))


def replacement_plan(
    priority: pl.LazyFrame,
    shortage: pl.LazyFrame,
    *,
    budget_vnd: int,
    unit_prices: dict[str, int] | None = None,
    per_commune_budget: pl.LazyFrame | None = None,
    min_share_per_commune: float = 0.0,
    min_score: float = 0.0,
    new_item_max_score: dict[str, float] | None = None,
) -> pl.LazyFrame:
    """Cut replacements and new devices to a budget, in priority order.

    Candidates
        * ``replace``: every row of ``priority`` (:func:`replacement_priority`),
          costing the unit price of its category, with its score and reason.
        * ``new``: one line per missing device of :func:`commune_shortage`
          (computer, printer, scanner). Replacing a non-working device (broken,
          or in repair / in storage) already fills a gap, so gaps are reduced
          by those pending replacements. The k-th missing device (k = 0, 1, …)
          of a commune that has ``have`` of ``needed`` scores
          ``max_score × (1 − (have + k) / needed)`` with ``max_score`` from
          ``new_item_max_score`` (default computer 90, printer 70, scanner 60).
          A commune with no working computer at all thus gets a first new
          computer at 90 points, above nearly every replacement, and each
          further unit ranks a little lower, so communes take turns.

    Walk
        All candidates are ranked by score (desc), replacements before new
        lines at equal score, then priority rank, commune, category. Walking
        in that order, a candidate is taken when its price fits the remaining
        money; otherwise it is skipped and the walk goes on (a cheaper later
        item may still fit). With ``per_commune_budget`` (commune_code,
        budget_vnd) each commune is also cut to its own budget; communes not
        listed get nothing. With ``min_share_per_commune`` = s > 0, each
        commune first gets up to ``floor(budget_vnd × s)`` for its own
        highest-ranked items, walked the same skip-and-continue way
        (s × number of communes with candidates must be ≤ 1); the rest
        then goes by global rank. Replacements with score ≤ ``min_score`` are
        never taken. All money arithmetic is on Python ints / Int64: the
        included total never exceeds ``budget_vnd``.

    Output (every candidate, in rank order): item_kind, asset_id (null for
    new), tag, commune_code, commune_name, category_code, unit_price_vnd,
    score, rank, included, running_total_vnd (cumulative over included rows),
    reason, excluded_reason (Vietnamese, null when included).

    The walk needs the whole candidate list, so it runs inside a
    ``map_batches`` node: the result is still a LazyFrame, collected at the edge.
    """
    if budget_vnd < 0:
        raise ValueError("budget_vnd must not be negative")
    if not 0.0 <= min_share_per_commune <= 1.0:
        raise ValueError("min_share_per_commune must be between 0 and 1")
    priority, shortage = lazy(priority), lazy(shortage)
    require_columns(
        priority,
        "priority",
        (
            "asset_id",
            "tag",
            "commune_code",
            "commune_name",
            "category_code",
            "status",
            "condition",
            "score",
            "rank",
            "reason",
            "shortage_group",
        ),
    )
    require_columns(
        shortage,
        "shortage",
        (
            "commune_code",
            "commune_name",
            "category_code",
            "needed",
            "working",
            "lacking",
        ),
    )
    prices = {**DEFAULT_UNIT_PRICES, **(unit_prices or {})}
    prices.setdefault("computer", prices["desktop"])
    for k, v in prices.items():
        if not isinstance(v, int) or v < 0:
            raise ValueError(f"unit price for {k!r} must be a non-negative integer VND, got {v!r}")
    max_score = {**NEW_ITEM_MAX_SCORE, **(new_item_max_score or {})}

    replace = priority.select(
        pl.lit("replace").alias("item_kind"),
        pl.col("asset_id").cast(pl.Int64),
        "tag",
        "commune_code",
        "commune_name",
        "category_code",
        pl.col("category_code").replace_strict(prices, default=None, return_dtype=pl.Int64).alias("unit_price_vnd"),
        pl.col("score").cast(pl.Float64),
        "reason",
        pl.lit(0, dtype=pl.Int8).alias("_kind_order"),
        pl.col("rank").cast(pl.Int64).alias("_prank"),
        pl.lit(0, dtype=pl.Int64).alias("_seq"),
    )
    new = _new_device_lines(priority, shortage, prices, max_score)
    # Put in candidate order (and numbered) inside the walk's node: see _in_candidate_order.
    candidates = pl.concat([replace, new], how="vertical")

    budgets = None
    if per_commune_budget is not None:
        budgets = lazy(per_commune_budget)
        require_columns(budgets, "per_commune_budget", ("commune_code", "budget_vnd"))
        budgets = budgets.select("commune_code", pl.col("budget_vnd").cast(pl.Int64))

    def walk(df: pl.DataFrame, budgets_df: pl.DataFrame | None) -> pl.DataFrame:
        df = _in_candidate_order(df)
        missing_price = df.filter(pl.col("unit_price_vnd").is_null())["category_code"].unique().to_list()
        if missing_price:
            raise ValueError(f"no unit price for category: {', '.join(sorted(map(str, missing_price)))}")
        # Assets of an unknown commune (null code) share one bucket "". Each commune is numbered
        # by a look-up in its own list of codes (a hash look-up, not a sort of every row's code).
        commune_codes = df.get_column("commune_code").fill_null("")
        distinct_codes = commune_codes.unique(maintain_order=True)
        commune_idx = commune_codes.cast(pl.Enum(distinct_codes)).to_physical()
        n_communes = distinct_codes.len()
        floor = 0
        if min_share_per_commune > 0 and n_communes:
            if min_share_per_commune * n_communes > 1.0 + 1e-12:
                raise ValueError(
                    f"min_share_per_commune={min_share_per_commune} × {n_communes} communes exceeds the whole budget"
                )
            floor = math.floor(budget_vnd * min_share_per_commune)
        commune_budget = commune_listed = None
        if budgets_df is not None:
            if budgets_df["commune_code"].is_duplicated().any():
                raise ValueError("per_commune_budget lists a commune more than once")
            if (budgets_df["budget_vnd"].fill_null(0) < 0).any():
                raise ValueError("per_commune_budget has a negative budget")
            mapped = distinct_codes.to_frame("commune_code").join(
                budgets_df, on="commune_code", how="left", maintain_order="left"
            )
            commune_listed = mapped["budget_vnd"].is_not_null().to_list()
            commune_budget = mapped["budget_vnd"].fill_null(0).to_list()
        eligible = ((df["item_kind"] == "new") | (df["score"] > min_score)).to_list()
        included, code, left = _greedy_walk(
            df["unit_price_vnd"].to_list(),
            commune_idx.to_list(),
            eligible,
            n_communes,
            int(budget_vnd),
            commune_budget,
            commune_listed,
            floor,
        )
        left_series = pl.Series("_left", left, dtype=pl.Int64)
        # Each distinct amount left is written out once (most excluded lines share a few).
        amounts = left_series.unique().to_frame()
        amounts = amounts.with_columns(format_vnd_expr(pl.col("_left")).alias("_text"))
        left_vnd = pl.col("_left").replace_strict(amounts["_left"], amounts["_text"], return_dtype=pl.String)
        return (
            df.with_columns(
                pl.Series("included", included, dtype=pl.UInt8).cast(pl.Boolean),
                pl.Series("_code", code, dtype=pl.Int8),
                left_series,
            )
            .with_columns(
                pl.when(pl.col("included"))
                .then(pl.col("unit_price_vnd"))
                .otherwise(0)
                .cum_sum()
                .cast(pl.Int64)
                .alias("running_total_vnd"),
                pl.when(pl.col("_code") == _OVER_GLOBAL)
                .then(pl.concat_str([pl.lit("vượt ngân sách còn lại (còn "), left_vnd, pl.lit(")")]))
                .when(pl.col("_code") == _OVER_COMMUNE)
                .then(pl.concat_str([pl.lit("vượt ngân sách của xã (còn "), left_vnd, pl.lit(")")]))
                .when(pl.col("_code") == _NO_COMMUNE_BUDGET)
                .then(pl.lit("xã chưa được phân bổ ngân sách"))
                .when(pl.col("_code") == _BELOW_MIN_SCORE)
                .then(pl.lit("điểm ưu tiên chưa đến ngưỡng thay thế"))
                .otherwise(pl.lit(None, dtype=pl.String))
                .alias("excluded_reason"),
            )
            .select(list(PLAN_SCHEMA))
        )

    if budgets is None:
        return candidates.map_batches(lambda df: walk(df, None), schema=PLAN_SCHEMA)
    # Carry the budgets through the same lazy node: stack them under a marker.
    both = pl.concat(
        [
            candidates.with_columns(
                pl.lit(None, dtype=pl.Int64).alias("_budget"),
                pl.lit(False).alias("_is_budget"),
            ),
            budgets.select(
                pl.col("commune_code"),
                pl.col("budget_vnd").alias("_budget"),
                pl.lit(True).alias("_is_budget"),
            ),
        ],
        how="diagonal",
    )

    def walk_with_budgets(df: pl.DataFrame) -> pl.DataFrame:
        b = df.filter(pl.col("_is_budget")).select("commune_code", pl.col("_budget").alias("budget_vnd"))
        c = df.filter(~pl.col("_is_budget")).drop("_budget", "_is_budget")
        return walk(c, b)

    return both.map_batches(walk_with_budgets, schema=PLAN_SCHEMA)
