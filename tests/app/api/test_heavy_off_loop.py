"""Heavy work runs off the event loop: while a report file is being built, a
health check and a look-up by tag are answered before it ends.

The heavy step is replaced by one that holds until the test lets it go, so the
order is decided by where it runs, not by timing: on the event loop it would
hold every other request until its safety bound ran out and end first.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from api.controllers import planning as planning_controller
from procurement.finance import reports
from procurement.register import labelling
from tests.app.conftest import AN_VIEN, make_asset

SAFETY_BOUND = 20  # seconds: only reached when the heavy step runs on the loop (the test then fails)


class Gate:
    """A heavy step that says when it started and holds until released."""

    def __init__(self, real):
        self.real = real
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args, **kwargs):
        self.started.set()
        self.release.wait(SAFETY_BOUND)
        return self.real(*args, **kwargs)


HEAVY = {
    "ranked list XLSX": (
        planning_controller,
        "write_xlsx",
        "GET",
        "/api/planning/priority.xlsx",
        None,
    ),
    "disbursement report XLSX": (
        reports,
        "encode",
        "GET",
        "/api/finance/reports/by_month?format=xlsx",
        None,
    ),
    "label sheet PDF": (
        labelling,
        "label_sheet_pdf",
        "POST",
        "/api/labels/sheet",
        {"commune_code": AN_VIEN},
    ),
}


@pytest.mark.parametrize("name", list(HEAVY))
async def test_health_and_lookup_answer_while_a_heavy_file_is_built(name, client, users, monkeypatch):
    module, attribute, method, url, body = HEAVY[name]
    admin = await users.make("admin")
    await make_asset()
    tag = (await client.get("/api/assets", headers=admin)).json()["items"][0]["tag"]
    gate = Gate(getattr(module, attribute))
    monkeypatch.setattr(module, attribute, gate)
    finished: list[str] = []

    async def heavy():
        response = await client.request(method, url, json=body, headers=admin)
        finished.append("heavy")
        return response

    async def light():
        # Waits in a thread of its own: on the loop, this wait would hold the heavy request back.
        assert await asyncio.to_thread(gate.started.wait, SAFETY_BOUND)
        health = await client.get("/api/health")
        lookup = await client.get(f"/api/assets/by-tag/{tag}", headers=admin)
        finished.append("light")
        gate.release.set()
        return health, lookup

    heavy_response, (health, lookup) = await asyncio.gather(heavy(), light())
    assert finished == ["light", "heavy"]
    assert health.status_code == 200
    assert lookup.status_code == 200 and lookup.json()["tag"] == tag
    assert heavy_response.status_code in (200, 201), heavy_response.text
    assert len(heavy_response.content) > 0
