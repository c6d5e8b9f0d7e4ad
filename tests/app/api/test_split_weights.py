"""A split by given weights (basis "weights"), as the split page sends it from a sheet: exact to
the dong, only over the communes listed, all of the line's province; refused naming ``weights``."""

from __future__ import annotations

from models.procurement import Allocation
from tests.app.api.test_budget import API, line_body, post
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE


async def test_a_split_by_weights_is_exact_and_only_over_the_communes_listed(client, users):
    finance = await users.make("finance")
    line = await post(client, finance, "/lines", line_body(), 201)
    url = f"/lines/{line['id']}/allocations/split"
    body = {"total_vnd": 100_000_001, "basis": "weights", "weights": {AN_VIEN: 3, OTHER_COMMUNE: 1.5}}
    preview = await post(client, finance, url, {**body, "dry_run": True}, 200)
    parts = {a["commune_code"]: a["amount_vnd"] for a in preview["allocations"]}
    assert parts == {AN_VIEN: 66_666_667, OTHER_COMMUNE: 33_333_334} and not preview["written"]
    assert await Allocation.count() == 0
    written = await post(client, finance, url, body, 200)
    assert {a["commune_code"]: a["amount_vnd"] for a in written["allocations"]} == parts and written["written"]
    assert await Allocation.count() == 2

    for wrong, status in (
        ({"total_vnd": 10, "basis": "weights"}, 422),  # no weights: a rule between two fields
        ({"total_vnd": 10, "basis": "equal", "weights": {AN_VIEN: 1}}, 422),  # weights with another basis
        ({"total_vnd": 10, "basis": "weights", "weights": {AN_VIEN: -1}}, 400),
        ({"total_vnd": 10, "basis": "weights", "weights": {"00101": 1}}, 422),  # Hà Nội, on a Đồng Nai line
        ({"total_vnd": 10, "basis": "weights", "weights": {AN_VIEN: 0}}, 422),  # nothing to split by
    ):
        answer = await client.post(f"{API}{url}", json=wrong, headers=finance)
        assert answer.status_code == status, (wrong, answer.text)
        keys = [item["key"] for item in answer.json()["extra"]]
        assert any(k.startswith("weights") or k == "basis" for k in keys), (wrong, answer.text)
    assert await Allocation.count() == 2
