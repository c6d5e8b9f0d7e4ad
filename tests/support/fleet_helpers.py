"""Tiny hand-built fleets for the report tests: give only what a test is about."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from procurement.planning.priority import ASSET_SCHEMA, COMMUNE_SCHEMA
from procurement.seed.synthetic import CATEGORIES

TODAY = date(2026, 6, 1)


def years_ago(years: float, today: date = TODAY) -> date:
    """The date ``years`` (may be fractional) before ``today`` on the 365.25-day year."""
    from datetime import timedelta

    return today - timedelta(days=round(years * 365.25))


def asset(asset_id: int, **overrides) -> dict:
    """A good desktop in use in the office of commune C1, one year old, secure."""
    row = {
        "asset_id": asset_id,
        "tag": f"T{asset_id:06d}",
        "commune_code": "C1",
        "category_code": "desktop",
        "make": "Dell",
        "model": "OptiPlex",
        "status": "in_use",
        "condition": "good",
        "acquired_on": years_ago(1),
        "acquired_year": None,
        "location": "office",
        "antimalware_installed": True,
        "os_supported": True,
        "cost_vnd": 15_000_000,
        "last_audited_at": datetime(2026, 1, 1),
    }
    if "age" in overrides:
        age = overrides.pop("age")
        row["acquired_on"] = None if age is None else years_ago(age)
    row.update(overrides)
    return row


def commune(code: str = "C1", **overrides) -> dict:
    """A non-remote commune without a service point and no officials (so no shortage part)."""
    row = {
        "commune_code": code,
        "commune_name": f"Xã {code}",
        "province_code": "P1",
        "province_name": "Tỉnh P1",
        "officials": 0,
        "remote": False,
        "has_service_point": False,
    }
    row.update(overrides)
    return row


def frames(assets: list[dict], communes: list[dict] | None = None):
    """(assets, categories, communes) LazyFrames."""
    communes = communes if communes is not None else [commune("C1")]
    a = pl.DataFrame(assets, schema=ASSET_SCHEMA) if assets else pl.DataFrame(schema=ASSET_SCHEMA)
    m = pl.DataFrame(communes, schema=COMMUNE_SCHEMA)
    return a.lazy(), CATEGORIES.lazy(), m.lazy()
