"""The planners' kept register frames, brought up to date after writes by reading
only the devices that changed, give what a fresh read gives (both engines)."""

from __future__ import annotations

import datetime as dt

import pytest
from polars.testing import assert_frame_equal

from models.tables import Asset
from procurement.core.actor import Actor
from procurement.planning import frames as frames_module
from procurement.planning import plans
from procurement.planning.frames import kept_frames
from procurement.planning.plans import Area, PlanRequest
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, dispose_through_file, make_asset

DAY = dt.date(2026, 6, 15)
COUNTRY = Actor(user_id=0, username="bo", role="national")
AREAS = [Area(), Area(commune=AN_VIEN), Area(province="75")]


@pytest.fixture
def full_reads(monkeypatch):
    """How many times the register was read in full."""
    calls = []
    real = frames_module._read_register

    async def counted(*args, **kwargs):
        calls.append(args)
        return await real(*args, **kwargs)

    monkeypatch.setattr(frames_module, "_read_register", counted)
    return calls


async def fresh(compute):
    kept_frames.clear()
    return await compute()


async def test_ranked_list_and_plan_after_writes_equal_a_fresh_computation(client, users, full_reads):
    admin = await users.make("admin")
    ids = [
        await make_asset(acquired_on=f"{2012 + n}-03-01", condition=("good", "fair", "poor", "broken")[n % 4])
        for n in range(6)
    ] + [await make_asset(commune_code=OTHER_COMMUNE, acquired_on="2015-01-01") for _ in range(3)]
    kept_frames.clear()
    for area in AREAS:
        await plans.ranked_list(area, on=DAY)
    reads = len(full_reads)

    writes = [
        ("condition", ids[0], {"condition": "broken"}),
        ("move", ids[1], {"commune_code": OTHER_COMMUNE}),  # leaves An Viễn's frame
        ("move", ids[6], {"commune_code": AN_VIEN}),  # joins it
    ]
    for action, asset_id, body in writes:
        answer = await client.post(f"/api/assets/{asset_id}/{action}", json=body, headers=admin)
        assert answer.status_code == 200, answer.text
    await dispose_through_file(client, ids[2], admin)  # leaves every frame
    await make_asset(acquired_on="2010-01-01")  # a new device

    after = [await plans.ranked_list(area, on=DAY) for area in AREAS]
    assert len(full_reads) == reads  # brought up to date, not read again
    for area, ranked in zip(AREAS, after, strict=True):
        assert_frame_equal(ranked, await fresh(lambda area=area: plans.ranked_list(area, on=DAY)))

    request = PlanRequest(budget_vnd=60_000_000)
    await plans.plan(request, actor=COUNTRY, on=DAY)
    await client.post(f"/api/assets/{ids[3]}/condition", json={"condition": "broken"}, headers=admin)
    reads = len(full_reads)
    after_plan = await plans.plan(request, actor=COUNTRY, on=DAY)
    assert len(full_reads) == reads
    assert_frame_equal(after_plan, await fresh(lambda: plans.plan(request, actor=COUNTRY, on=DAY)))


async def test_a_deleted_device_makes_the_frame_read_again(client, users, full_reads):
    ids = [await make_asset() for _ in range(3)]
    kept_frames.clear()
    await plans.ranked_list(Area(commune=AN_VIEN), on=DAY)
    await Asset.delete().where(Asset.id == ids[0])  # nothing in the app deletes; a repair by hand might
    after = await plans.ranked_list(Area(commune=AN_VIEN), on=DAY)
    assert ids[0] not in after["asset_id"].to_list()
    assert_frame_equal(after, await fresh(lambda: plans.ranked_list(Area(commune=AN_VIEN), on=DAY)))
