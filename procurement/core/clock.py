"""Vietnam's calendar: what "today" and "now" mean to the people using the app.

Timestamps are stored in UTC; a person reads them, and counts days, in Vietnam
time. Vietnam keeps UTC+7 all year (no daylight saving since 1975), so a fixed
offset is exact and needs no time-zone database on the server.
"""

from __future__ import annotations

import datetime as dt

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")


def today_vn() -> dt.date:
    """The date on a wall calendar in Vietnam, whatever the server's own zone."""
    return dt.datetime.now(VIETNAM).date()


def to_vn(moment: dt.datetime) -> dt.datetime:
    """A stored moment as Vietnam time; a naive one is taken as UTC (how it is stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM)


def now() -> dt.datetime:
    """The current moment, in UTC: how every timestamp is stored."""
    return dt.datetime.now(dt.UTC)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
