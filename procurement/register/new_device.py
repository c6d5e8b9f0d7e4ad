"""The one factory for a new device row: its tag, search text, effective acquisition
date, timestamps and the changes its first history event records.

Registration, the spreadsheet import, delivery acceptance and the demo data all make
devices. Each used to draw tags and build search text its own way, and the import
drew tags only against its own sheet, so a commit could break the table's unique
constraint. Every path now draws tags here, against the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from labels.tags import new_tag
from models.tables import Asset
from procurement.core.text import search_key

SEARCHED_FIELDS = ("tag", "make", "model", "serial", "assigned_to", "location_detail")
"""What the register's word search looks in (diacritics and case ignored)."""

_LOOKUP_BATCH = 500  # tags per IN (...) look-up: well under every engine's parameter limit


def effective_acquired(acquired_on: dt.date | None, acquired_year: int | None) -> dt.date | None:
    """The date ages are counted from: the day, or mid-year when only the year is known."""
    if acquired_on:
        return acquired_on
    if acquired_year:
        return dt.date(acquired_year, 7, 1)  # mid-year: the honest guess for "year only"
    return None


def search_text(values: Mapping[str, Any]) -> str:
    """The stored search key of a device, from the fields in :data:`SEARCHED_FIELDS`."""
    return search_key(" ".join(str(values.get(field) or "") for field in SEARCHED_FIELDS))


async def draw_free_tags(count: int, *, reserved: Collection[str] = ()) -> list[str]:
    """``count`` new tags, all different, none already stored and none in ``reserved``
    (tags that the same request is about to use, e.g. the pre-printed ones of a sheet).

    Call inside the write transaction that inserts the devices. Candidates are checked
    against the table in batches; a candidate that is taken is drawn again."""
    seen = set(reserved)
    chosen: list[str] = []
    while len(chosen) < count:
        candidates: list[str] = []
        while len(candidates) < count - len(chosen):
            tag = new_tag()
            if tag not in seen:
                seen.add(tag)
                candidates.append(tag)
        stored: set[str] = set()
        for start in range(0, len(candidates), _LOOKUP_BATCH):
            batch = candidates[start : start + _LOOKUP_BATCH]
            stored |= {row["tag"] for row in await Asset.select(Asset.tag).where(Asset.tag.is_in(batch))}
        chosen += [tag for tag in candidates if tag not in stored]
    return chosen


def device_row(values: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    """The column values of a new device: ``values`` (tag, category and commune ids,
    make, model, …) plus its effective acquisition date, search text and timestamps."""
    row = dict(values)
    row["acquired_effective"] = effective_acquired(values.get("acquired_on"), values.get("acquired_year"))
    row["search_text"] = search_text(values)
    row["created_at"] = row["updated_at"] = at
    return row


def creation_changes(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What the new device's first history event records: each filled field, from nothing."""
    return {field: {"before": None, "after": value} for field, value in values.items() if value not in (None, "")}
