"""The look-up benchmark compares like with like: its bare-driver baseline route
answers exactly what the real route answers, for every kind of device."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from api.app import create_app
from api.settings import load
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, Users, asset_payload


@pytest.fixture
async def bench_client(database, clean):
    app = create_app(dataclasses.replace(load(), bench_raw_routes=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def test_the_baseline_route_answers_what_the_real_route_answers(bench_client):
    users = Users(bench_client)
    admin = await users.make("admin")
    bodies = [
        asset_payload(make='O\'Brien, "Mới"', antimalware_installed=True, os_supported=False, os_name="Windows 7"),
        # Year only, no cost, no security fields: the nulls and the guessed age.
        asset_payload(category="printer", acquired_on=None, acquired_year=2012, cost_vnd=None, serial=None),
    ]
    tags = []
    for body in bodies:
        created = await bench_client.post("/api/assets", json=body, headers=admin)
        assert created.status_code == 201, created.text
        tags.append(created.json()["tag_display"])
    # A stocktake confirmation sets the audit time, a timestamp with microseconds.
    first = (await bench_client.get(f"/api/assets/by-tag/{tags[0]}", headers=admin)).json()
    await bench_client.post(f"/api/assets/{first['id']}/stocktake", json={}, headers=admin)

    for tag in tags:
        real = await bench_client.get(f"/api/assets/by-tag/{tag}", headers=admin)
        baseline = await bench_client.get(f"/bench/raw-lookup/{tag}", headers=admin)
        assert real.status_code == baseline.status_code == 200
        assert baseline.content == real.content  # byte for byte: types and formats too
    assert real.json()["acquired_on"] is None and real.json()["age_years"] is not None
    audited = (await bench_client.get(f"/bench/raw-lookup/{tags[0]}", headers=admin)).json()
    assert audited["last_audited_at"] is not None and audited["antimalware_installed"] is True

    # Both hide another commune's device and refuse a mistyped tag the same way.
    outsider = await users.make("staff", OTHER_COMMUNE)
    mistyped = tags[0][:-1] + ("A" if tags[0][-1] != "A" else "B")
    for tag, headers in ((tags[0], outsider), (mistyped, admin)):
        real = await bench_client.get(f"/api/assets/by-tag/{tag}", headers=headers)
        baseline = await bench_client.get(f"/bench/raw-lookup/{tag}", headers=headers)
        assert real.status_code == baseline.status_code == 404
    assert (
        await bench_client.get(f"/bench/raw-lookup/{tags[0]}", headers=await users.make("staff", AN_VIEN))
    ).status_code == 200
