"""Stocktake coverage per commune: a report from LazyFrames to a LazyFrame.

Inputs (one row each):
* communes: commune_id, commune_code, commune_name
* assets: asset_id, commune_id, status, last_audited_at
* stocktakes: stocktake_id, commune_id, started_at, status
* results: stocktake_id, asset_id, kind, at

A device counts as confirmed in a stocktake when its latest result there says
it was seen (confirmed or moved). "Since a date" counts devices confirmed
after it anywhere: in a stocktake, or from the scan page (last_audited_at).
Disposed devices are not expected anywhere.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from procurement.core.xlsx import Column, scope_text, write_csv, write_xlsx

FOUND_KINDS = ("confirmed", "moved")


def stocktake_coverage(
    communes: pl.LazyFrame,
    assets: pl.LazyFrame,
    stocktakes: pl.LazyFrame,
    results: pl.LazyFrame,
    since: dt.datetime | None = None,
) -> pl.LazyFrame:
    active = assets.filter(pl.col("status") != "disposed")
    devices = active.group_by("commune_id").agg(pl.len().cast(pl.Int64).alias("devices"))
    confirmed_since = None
    if since is not None:
        seen_in_stocktake = results.filter(pl.col("kind").is_in(FOUND_KINDS) & (pl.col("at") >= since)).select(
            "asset_id"
        )
        audited = active.filter(pl.col("last_audited_at") >= since).select("asset_id")
        seen = pl.concat([seen_in_stocktake, audited]).unique()
        confirmed_since = (
            active.join(seen, on="asset_id", how="semi")
            .group_by("commune_id")
            .agg(pl.len().cast(pl.Int64).alias("confirmed_since"))
        )
    return coverage_from_counts(
        communes, devices, active.select("asset_id", "commune_id"), stocktakes, results, confirmed_since
    )


def coverage_from_counts(
    communes: pl.LazyFrame,
    devices: pl.LazyFrame,
    active: pl.LazyFrame,
    stocktakes: pl.LazyFrame,
    results: pl.LazyFrame,
    confirmed_since: pl.LazyFrame | None,
) -> pl.LazyFrame:
    """The report from per-commune counts (``devices``: commune_id, devices;
    ``confirmed_since``: commune_id, confirmed_since, or None without a date), so a
    database can count the register itself. ``active`` needs to hold (asset_id,
    commune_id) of the devices not disposed that appear in ``results`` (more is fine).
    """
    last = (
        stocktakes.sort(["started_at", "stocktake_id"])
        .group_by("commune_id")
        .agg(
            pl.col("stocktake_id").last().alias("last_stocktake_id"),
            pl.col("started_at").last().alias("last_stocktake_started_at"),
            pl.col("status").last().alias("last_stocktake_status"),
        )
    )
    latest_result = (
        results.with_row_index("_order")
        .sort("_order")
        .group_by(["stocktake_id", "asset_id"])
        .agg(pl.col("kind").last())
    )
    confirmed_last = (
        latest_result.filter(pl.col("kind").is_in(FOUND_KINDS))
        .join(last.select("commune_id", pl.col("last_stocktake_id").alias("stocktake_id")), on="stocktake_id")
        # Only devices the commune still has and that are registered there.
        .join(active, on=["asset_id", "commune_id"])
        .group_by("commune_id")
        .agg(pl.col("asset_id").n_unique().cast(pl.Int64).alias("confirmed_last"))
    )

    report = (
        communes.join(devices, on="commune_id", how="left")
        .join(last, on="commune_id", how="left")
        .join(confirmed_last, on="commune_id", how="left")
        .with_columns(
            pl.col("devices").fill_null(0),
            pl.when(pl.col("last_stocktake_id").is_not_null())
            .then(pl.col("confirmed_last").fill_null(0))
            .alias("confirmed_last"),
        )
    )
    if confirmed_since is not None:
        report = report.join(confirmed_since, on="commune_id", how="left").with_columns(
            pl.col("confirmed_since").fill_null(0)
        )
    else:
        report = report.with_columns(pl.lit(None, dtype=pl.Int64).alias("confirmed_since"))

    def share(column: str) -> pl.Expr:
        return (
            pl.when(pl.col("devices") > 0)
            .then((pl.col(column) / pl.col("devices")).round(4))
            .otherwise(None)
            .alias(column.replace("confirmed", "share"))
        )

    return (
        report.with_columns(share("confirmed_last"), share("confirmed_since"))
        .select(
            "commune_code",
            "commune_name",
            "devices",
            "last_stocktake_id",
            "last_stocktake_started_at",
            "last_stocktake_status",
            "confirmed_last",
            "share_last",
            "confirmed_since",
            "share_since",
        )
        .sort("commune_code")
    )


COVERAGE_COLUMNS = [
    Column("commune_code", "Mã xã"),
    Column("commune_name", "Xã/phường"),
    Column("devices", "Số thiết bị", "int"),
    Column("last_stocktake_id", "Đợt kiểm kê gần nhất", "int"),
    Column("last_stocktake_started_at", "Bắt đầu lúc", "datetime"),
    Column("last_stocktake_status", "Trạng thái đợt", vocabulary="stocktake_status"),
    Column("confirmed_last", "Đã xác nhận trong đợt", "int"),
    Column("share_last", "Tỷ lệ trong đợt", "share"),
    Column("confirmed_since", "Đã xác nhận từ ngày chọn", "int"),
    Column("share_since", "Tỷ lệ từ ngày chọn", "share"),
]
"""Columns of the coverage files, with Vietnamese headers (JSON keeps the column names)."""


def coverage_file_frame(report: pl.DataFrame) -> pl.DataFrame:
    """The report as people read it: start times in Vietnam's wall-clock time (UTC+7, no DST)."""
    started = pl.col("last_stocktake_started_at")
    return report.with_columns(
        (started + dt.timedelta(hours=7)).dt.replace_time_zone(None).alias(started.meta.output_name())
    )


def coverage_csv(report: pl.DataFrame) -> bytes:
    return write_csv(coverage_file_frame(report), COVERAGE_COLUMNS, date_format="%d/%m/%Y")


def coverage_xlsx(report: pl.DataFrame, province: str | None, since: dt.datetime | None) -> bytes:
    scope = scope_text(province)
    if since is not None:
        scope += f", xác nhận từ ngày {since:%d/%m/%Y}"
    return write_xlsx(
        coverage_file_frame(report), COVERAGE_COLUMNS, "Kiểm kê", title="Mức độ kiểm kê thiết bị theo xã", scope=scope
    )
