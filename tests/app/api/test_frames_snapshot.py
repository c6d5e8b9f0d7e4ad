"""The register frames kept between reads on SQLite are used with no query while nothing is written."""

from __future__ import annotations

import pytest

from procurement.planning.frames import RegisterFilter, kept_frames, load_register
from tests.app.conftest import AN_VIEN, ENGINE, asset_payload

pytestmark = pytest.mark.skipif(
    ENGINE != "sqlite", reason="PRAGMA data_version is SQLite's (test_kept_frames covers both engines)"
)


async def test_kept_frames_are_reused_until_something_is_written(client, users):
    admin = await users.make("admin")
    asset = (await client.post("/api/assets", json=asset_payload(condition="good"), headers=admin)).json()
    area = RegisterFilter(commune=AN_VIEN)
    first = await load_register(area)
    assert await load_register(area) is first  # nothing written: the same frames
    other_area = await load_register(RegisterFilter(province="75"))
    assert other_area is not first

    await client.post(f"/api/assets/{asset['id']}/condition", json={"condition": "broken"}, headers=admin)
    after = await load_register(area)
    assert after is not first
    condition = after.assets.filter(asset_id=asset["id"]).collect()["condition"].to_list()
    assert condition == ["broken"]


async def test_kept_frames_can_be_dropped(clean):
    area = RegisterFilter(commune=AN_VIEN)
    first = await load_register(area)
    kept_frames.clear()
    assert await load_register(area) is not first
