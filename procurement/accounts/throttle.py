"""Log-in throttling: by user name *and* client address together, plus per address.

Why this scheme (and not a lock on the name alone): a lock on the name alone lets
anyone lock a real user out for good, by sending a wrong password every few minutes.
Here the failures of one name from one address lock only that pair: the right
password from a place that has not been failing still works. Guessing stays slow
for an attacker at one address (5 free tries per name, then 30 s doubling to
15 minutes), and trying many names from one address meets the per-address limit
(``LOGIN_ADDRESS_FREE_ATTEMPTS``, default 30, then the same doubling). An attacker
with many addresses meets the password rules (at least 12 characters, no common
password: see ``passwords.py``) and the hashing cost; OWASP's Authentication Cheat
Sheet ("Account lockout") recommends exactly this: throttle, do not lock accounts
indefinitely, and let an administrator unlock.

Counting is atomic: each attempt is counted *before* the password is checked, in one
write transaction that holds the rows (``INSERT … ON CONFLICT DO NOTHING`` to make
them, then ``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
excludes every other writer). Of simultaneous attempts only the free ones are
checked; a success gives its attempt back.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from models.tables import LoginLimit
from procurement.core.errors import TooManyAttempts
from procurement.core.transactions import is_sqlite, write_transaction

FREE_ATTEMPTS = 5  # per user name from one address
ADDRESS_FREE_ATTEMPTS = int(os.environ.get("LOGIN_ADDRESS_FREE_ATTEMPTS") or 30)  # per address, any names
FIRST_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
# Failures older than this are forgotten (a typo last week does not count towards a lock).
PAIR_MEMORY = dt.timedelta(hours=24)
ADDRESS_MEMORY = dt.timedelta(hours=1)


def lock_seconds(failures: int, free: int = FREE_ATTEMPTS) -> int:
    """0 for the first free attempts, then doubling from 30 s up to 15 minutes."""
    if failures < free:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** min(failures - free, 20), MAX_LOCK_SECONDS)


def pair_key(username: str, address: str) -> str:
    return f"n:{username}|{address}"[:200]


def address_key(address: str) -> str:
    return f"a:{address}"[:200]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _held(key: str, username: str | None) -> dict[str, Any]:
    """The key's row, made if missing, held until the transaction ends."""
    await LoginLimit.insert(LoginLimit(key=key, username=username, failures=0)).on_conflict(
        target=LoginLimit.key, action="DO NOTHING"
    )
    query = LoginLimit.select().where(LoginLimit.key == key)
    if not is_sqlite():
        query = query.lock_rows()
    row = await query.first()
    assert row is not None
    return row


def _refusal(wait_seconds: float) -> TooManyAttempts:
    wait = int(wait_seconds) + 1
    return TooManyAttempts(f"Đăng nhập sai quá nhiều lần. Thử lại sau {wait} giây.", wait)


async def count_attempt(username: str, address: str) -> None:
    """Count this attempt as a failure before the password is checked, or refuse it
    (``TooManyAttempts``, not counted) while the pair or the address is locked."""
    at = _now()
    limits = (
        (pair_key(username, address), username, FREE_ATTEMPTS, PAIR_MEMORY),
        (address_key(address), None, ADDRESS_FREE_ATTEMPTS, ADDRESS_MEMORY),
    )
    async with write_transaction():
        rows = [await _held(key, name) for key, name, _, _ in limits]
        locked = [r["locked_until"] for r in rows if r["locked_until"] and r["locked_until"] > at]
        if locked:
            raise _refusal((max(locked) - at).total_seconds())
        for row, (key, _, free, memory) in zip(rows, limits, strict=True):
            fresh = row["first_failure_at"] is None or at - row["first_failure_at"] > memory
            failures = 1 if fresh else row["failures"] + 1
            seconds = lock_seconds(failures, free)
            await LoginLimit.update(
                {
                    LoginLimit.failures: failures,
                    LoginLimit.first_failure_at: at if fresh else row["first_failure_at"],
                    LoginLimit.locked_until: at + dt.timedelta(seconds=seconds) if seconds else None,
                }
            ).where(LoginLimit.key == key)


async def succeeded(username: str, address: str) -> None:
    """The right password: the pair starts afresh; the address gets this attempt back."""
    async with write_transaction():
        await LoginLimit.delete().where(LoginLimit.key == pair_key(username, address))
        key = address_key(address)
        row = await _held(key, None)
        failures = max(row["failures"] - 1, 0)
        values: dict = {LoginLimit.failures: failures}
        if not lock_seconds(failures, ADDRESS_FREE_ATTEMPTS):
            values[LoginLimit.locked_until] = None
        await LoginLimit.update(values).where(LoginLimit.key == key)


async def clear_name(username: str) -> int:
    """Remove every lock and count of a user name (from all addresses); how many there were."""
    async with write_transaction():
        count = await LoginLimit.count().where(LoginLimit.username == username)
        await LoginLimit.delete().where(LoginLimit.username == username)
    return count


async def locked_names(at: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """User name -> until when some address is locked out of it (for the users page)."""
    at = at or _now()
    rows = await LoginLimit.select(LoginLimit.username, LoginLimit.locked_until).where(
        LoginLimit.username.is_not_null() & (LoginLimit.locked_until > at)
    )
    found: dict[str, dt.datetime] = {}
    for row in rows:
        name = row["username"]
        found[name] = max(found.get(name, row["locked_until"]), row["locked_until"])
    return found
