"""Several server processes on one database: each process's caches stay right
when another process writes.

The app runs in a subprocess (a second worker); this test process is the first.
"""

from __future__ import annotations

import time

import httpx
import polars as pl
import pytest

from procurement.planning.frames import load_register
from tests.app.conftest import make_asset
from tests.support.browser import running_server

TOKEN_BOUND = 1.0  # TOKEN_CACHE_SECONDS of the second worker


@pytest.fixture(scope="module")
def other_worker(database):
    with running_server(TOKEN_CACHE_SECONDS=str(TOKEN_BOUND)) as base_url:
        yield base_url


async def test_a_token_revoked_in_one_worker_stops_working_in_the_other_within_the_bound(client, users, other_worker):
    headers = await users.make("planner")
    async with httpx.AsyncClient(base_url=other_worker) as other:
        assert (await other.get("/api/auth/me", headers=headers)).status_code == 200  # now in its cache
        assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
        revoked_at = time.monotonic()
        assert (await client.get("/api/auth/me", headers=headers)).status_code == 401  # this worker: at once
        status = 200
        while status == 200 and time.monotonic() - revoked_at < TOKEN_BOUND + 5:
            status = (await other.get("/api/auth/me", headers=headers)).status_code
        assert status == 401
        assert time.monotonic() - revoked_at < TOKEN_BOUND + 5


async def test_kept_register_frames_see_a_write_made_by_another_worker(client, users, other_worker):
    admin = await users.make("admin")
    asset_id = await make_asset()
    before = (await load_register()).assets.collect()
    assert before.filter(pl.col("asset_id") == asset_id)["condition"].to_list() == ["good"]
    assert (await load_register()).assets.collect().equals(before)  # unchanged: kept or re-read, the same

    async with httpx.AsyncClient(base_url=other_worker) as other:
        answer = await other.post(f"/api/assets/{asset_id}/condition", json={"condition": "broken"}, headers=admin)
        assert answer.status_code == 200, answer.text

    after = (await load_register()).assets.collect()
    assert after.filter(pl.col("asset_id") == asset_id)["condition"].to_list() == ["broken"]
