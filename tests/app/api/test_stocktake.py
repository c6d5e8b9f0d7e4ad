"""Stocktakes through the API: start, batched offline actions stored once, the
end-of-stocktake lists, scoping; and the coverage report against plain Python."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl

from labels.tags import display_tag, new_tag
from models.scan import Stocktake, StocktakeResult
from models.tables import Asset, AssetEvent
from procurement.register.stocktake_report import stocktake_coverage
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, dispose_through_file, make_asset


def eid() -> str:
    return uuid.uuid4().hex


async def tag_of(asset_id: int) -> str:
    return (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]


async def test_offline_batch_is_stored_once_and_the_report_sorts_every_device(client, users):
    staff = await users.make("staff", AN_VIEN)
    ids = [await make_asset() for _ in range(6)]
    tags = [await tag_of(i) for i in ids]
    foreign = await tag_of(await make_asset(commune_code=OTHER_COMMUNE))
    unknown = new_tag()
    while unknown in tags or unknown == foreign:
        unknown = new_tag()

    started = await client.post("/api/stocktakes", json={}, headers=staff)
    assert started.status_code == 201, started.text
    stocktake = started.json()
    assert stocktake["commune_code"] == AN_VIEN and stocktake["status"] == "open"
    again = await client.post("/api/stocktakes", json={}, headers=staff)
    assert again.status_code == 409
    devices = (await client.get(f"/api/stocktakes/{stocktake['id']}/devices", headers=staff)).json()
    assert sorted(d["tag"] for d in devices) == sorted(tags)

    actions = [
        {"client_event_id": eid(), "kind": "confirm", "tag": display_tag(tags[0]).lower()},
        {"client_event_id": eid(), "kind": "confirm", "tag": tags[1], "condition": "poor", "note": "quạt kêu"},
        {"client_event_id": eid(), "kind": "not_found", "tag": tags[2]},
        {"client_event_id": eid(), "kind": "moved", "tag": tags[3], "location_detail": "Phòng Tư pháp"},
        {"client_event_id": eid(), "kind": "found", "tag": foreign},
        {"client_event_id": eid(), "kind": "found", "tag": unknown},
        {"client_event_id": eid(), "kind": "found", "description": "Máy in Canon không nhãn"},
    ]
    url = f"/api/stocktakes/{stocktake['id']}/sync"
    first = await client.post(url, json={"actions": actions}, headers=staff)
    assert first.status_code == 200, first.text
    assert [o["outcome"] for o in first.json()] == ["recorded"] * 7
    assert [o["kind"] for o in first.json()] == [
        "confirmed",
        "confirmed",
        "not_found",
        "moved",
        "elsewhere",
        "unregistered",
        "unregistered",
    ]

    ids_sent = [a["client_event_id"] for a in actions]
    events = await AssetEvent.select(AssetEvent.kind).where(AssetEvent.client_event_id.is_in(ids_sent))
    assert sorted(e["kind"] for e in events) == ["moved", "not_found", "stocktake_confirmed", "stocktake_confirmed"]
    assert await StocktakeResult.count() == 7

    resent = await client.post(url, json={"actions": actions}, headers=staff)
    assert [o["outcome"] for o in resent.json()] == ["duplicate"] * 7
    assert await StocktakeResult.count() == 7
    assert await AssetEvent.count().where(AssetEvent.client_event_id.is_in(ids_sent)) == 4

    twice = await client.post(
        url, json={"actions": [{"client_event_id": eid(), "kind": "confirm", "tag": tags[3]}]}, headers=staff
    )
    assert twice.json()[0]["outcome"] == "already_confirmed"
    assert "đã được xác nhận" in twice.json()[0]["message"]
    assert await StocktakeResult.count() == 7

    asset = await Asset.select(Asset.condition, Asset.last_audited_at).where(Asset.id == ids[1]).first()
    assert asset["condition"] == "poor" and asset["last_audited_at"] is not None
    moved = await Asset.select(Asset.location_detail).where(Asset.id == ids[3]).first()
    assert moved["location_detail"] == "Phòng Tư pháp"

    report = (await client.get(f"/api/stocktakes/{stocktake['id']}", headers=staff)).json()
    assert report["expected"] == 6
    assert sorted(report["confirmed"]) == sorted(display_tag(t) for t in tags[:2] + [tags[3]])
    assert report["not_found"] == [display_tag(tags[2])]
    assert sorted(report["unchecked"]) == sorted(display_tag(t) for t in tags[4:])
    assert [e["tag"] for e in report["elsewhere"]] == [foreign]
    assert [(u["tag"], u["description"]) for u in report["unregistered"]] == [
        (unknown, ""),
        (None, "Máy in Canon không nhãn"),
    ]

    finished = await client.post(f"/api/stocktakes/{stocktake['id']}/finish", headers=staff)
    assert finished.json()["status"] == "finished" and finished.json()["finished_at"]
    # A phone that had no signal when the round was finished still delivers its results…
    late = await client.post(
        url, json={"actions": [{"client_event_id": eid(), "kind": "confirm", "tag": tags[4]}]}, headers=staff
    )
    assert late.status_code == 200 and late.json()[0]["outcome"] == "recorded"
    report = (await client.get(f"/api/stocktakes/{stocktake['id']}", headers=staff)).json()
    assert display_tag(tags[4]) in report["confirmed"] and report["received_late"] == 1
    assert report["status"] == "finished"
    # …for a week; after that the round is closed for good, and the answer says why.
    await Stocktake.update({Stocktake.finished_at: Stocktake.finished_at - dt.timedelta(days=8)}).where(
        Stocktake.id == stocktake["id"]
    )
    too_late = await client.post(
        url, json={"actions": [{"client_event_id": eid(), "kind": "confirm", "tag": tags[5]}]}, headers=staff
    )
    assert too_late.status_code == 409
    assert too_late.json()["extra"][0]["code"] == "finished" and "đợt kiểm kê mới" in too_late.json()["detail"]
    assert await StocktakeResult.count() == 8

    # The phone moves what it holds to a new round; an action the old round already
    # took (its answer was lost) is stored once, and the answer says where.
    second = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    resent = await client.post(f"/api/stocktakes/{second['id']}/sync", json={"actions": actions[:1]}, headers=staff)
    assert resent.json()[0]["outcome"] == "duplicate"
    assert f"đợt kiểm kê số {stocktake['id']}" in resent.json()[0]["message"]
    assert await StocktakeResult.count() == 8


async def test_bad_actions_are_rejected_one_by_one_not_the_batch(client, users):
    staff = await users.make("staff", AN_VIEN)
    tag = await tag_of(await make_asset())
    stocktake = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    typo = tag[:-1] + ("1" if tag[-1] != "1" else "2")
    answer = await client.post(
        f"/api/stocktakes/{stocktake['id']}/sync",
        json={
            "actions": [
                {"client_event_id": eid(), "kind": "confirm", "tag": typo},
                {"client_event_id": eid(), "kind": "confirm", "tag": tag},
            ]
        },
        headers=staff,
    )
    assert [o["outcome"] for o in answer.json()] == ["rejected", "recorded"]
    assert "kiểm tra" in answer.json()[0]["message"]
    # A kind the document does not list is malformed (400); an action that lacks what its kind
    # needs breaks a rule between its fields (422, naming the field).
    for bad, status, field in (
        ({"kind": "confirm"}, 422, "actions.0.tag"),
        ({"kind": "moved", "tag": tag}, 422, "actions.0.location_detail"),
        ({"kind": "found"}, 422, "actions.0.description"),
        ({"kind": "teleport", "tag": tag}, 400, None),
    ):
        response = await client.post(
            f"/api/stocktakes/{stocktake['id']}/sync",
            json={"actions": [{"client_event_id": eid(), **bad}]},
            headers=staff,
        )
        assert response.status_code == status, (bad, response.text)
        if field:
            assert response.json()["extra"][0]["key"] == field


async def test_staff_of_another_commune_see_no_stocktake(client, users):
    staff = await users.make("staff", AN_VIEN)
    outsider = await users.make("staff", OTHER_COMMUNE)
    stocktake = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    for path in ("", "/devices"):
        assert (await client.get(f"/api/stocktakes/{stocktake['id']}{path}", headers=outsider)).status_code == 404
    sync = await client.post(f"/api/stocktakes/{stocktake['id']}/sync", json={"actions": []}, headers=outsider)
    assert sync.status_code == 404
    assert (await client.get("/api/stocktakes", headers=outsider)).json() == []
    refused = await client.post("/api/stocktakes", json={"commune_code": AN_VIEN}, headers=outsider)
    assert refused.status_code == 422 and refused.json()["extra"][0]["key"] == "commune_code"


# --- coverage ---------------------------------------------------------------

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_coverage_on_handmade_frames_matches_plain_python():
    communes = [(1, "00001", "Xã Một"), (2, "00002", "Phường Hai"), (3, "00003", "Xã Ba")]
    assets = [  # asset_id, commune_id, status, last_audited_at
        (10, 1, "in_use", None),
        (11, 1, "in_use", T0),
        (12, 1, "disposed", None),
        (13, 1, "in_repair", None),
        (20, 2, "in_use", T0 + dt.timedelta(days=40)),
        (21, 2, "in_use", None),
    ]
    stocktakes = [  # id, commune, started, status
        (100, 1, T0, "finished"),
        (101, 1, T0 + dt.timedelta(days=30), "open"),
        (200, 2, T0, "finished"),
    ]
    results = [  # stocktake, asset, kind, at (in arrival order)
        (100, 10, "confirmed", T0),
        (100, 11, "confirmed", T0),
        (100, 13, "confirmed", T0),
        (101, 10, "confirmed", T0 + dt.timedelta(days=30)),
        (101, 13, "not_found", T0 + dt.timedelta(days=30)),
        (101, 11, "not_found", T0 + dt.timedelta(days=30)),
        (101, 11, "moved", T0 + dt.timedelta(days=31)),
        (101, 12, "confirmed", T0 + dt.timedelta(days=30)),  # disposed: not expected, not counted
        (200, 21, "confirmed", T0),
    ]
    since = T0 + dt.timedelta(days=20)
    frame = stocktake_coverage(
        pl.LazyFrame(communes, schema=["commune_id", "commune_code", "commune_name"], orient="row"),
        pl.LazyFrame(
            assets,
            schema={
                "asset_id": pl.Int64,
                "commune_id": pl.Int64,
                "status": pl.String,
                "last_audited_at": pl.Datetime("us", "UTC"),
            },
            orient="row",
        ),
        pl.LazyFrame(
            stocktakes,
            schema={
                "stocktake_id": pl.Int64,
                "commune_id": pl.Int64,
                "started_at": pl.Datetime("us", "UTC"),
                "status": pl.String,
            },
            orient="row",
        ),
        pl.LazyFrame(
            results,
            schema={"stocktake_id": pl.Int64, "asset_id": pl.Int64, "kind": pl.String, "at": pl.Datetime("us", "UTC")},
            orient="row",
        ),
        since=since,
    ).collect()

    # The same figures from the raw rows, in plain Python.
    expected = {}
    for commune_id, code, _ in communes:
        active = {a for a, c, s, _ in assets if c == commune_id and s != "disposed"}
        mine = [s for s in stocktakes if s[1] == commune_id]
        last = max(mine, key=lambda s: s[2]) if mine else None
        latest = {}
        for st, asset, kind, _ in results:
            if last and st == last[0]:
                latest[asset] = kind
        confirmed_last = (
            len({a for a, k in latest.items() if k in ("confirmed", "moved") and a in active}) if last else None
        )
        seen = {a for _, a, k, at in results if k in ("confirmed", "moved") and at >= since}
        seen |= {a for a, _, _, audited in assets if audited and audited >= since}
        confirmed_since = len(active & seen)
        expected[code] = (
            len(active),
            last[0] if last else None,
            confirmed_last,
            round(confirmed_last / len(active), 4) if last and active else None,
            confirmed_since,
            round(confirmed_since / len(active), 4) if active else None,
        )
    got = {
        row["commune_code"]: (
            row["devices"],
            row["last_stocktake_id"],
            row["confirmed_last"],
            row["share_last"],
            row["confirmed_since"],
            row["share_since"],
        )
        for row in frame.to_dicts()
    }
    assert got == expected
    assert got["00001"] == (3, 101, 2, 0.6667, 2, 0.6667)  # 10 confirmed, 11 moved; 13 not found


async def test_coverage_api_json_and_csv_agree(client, users):
    staff = await users.make("staff", AN_VIEN)
    tags = [await tag_of(await make_asset()) for _ in range(4)]
    stocktake = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    await client.post(
        f"/api/stocktakes/{stocktake['id']}/sync",
        json={"actions": [{"client_event_id": eid(), "kind": "confirm", "tag": t} for t in tags[:3]]},
        headers=staff,
    )
    rows = (await client.get("/api/reports/stocktake-coverage", params={"since": "2020-01-01"}, headers=staff)).json()
    assert len(rows) == 1  # staff: their commune only
    (row,) = rows
    assert (row["commune_code"], row["devices"], row["confirmed_last"], row["share_last"]) == (AN_VIEN, 4, 3, 0.75)
    assert row["confirmed_since"] == 3
    csv = await client.get("/api/reports/stocktake-coverage/csv", headers=staff)
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(csv.content)
    assert frame.row(0, named=True)["Tỷ lệ trong đợt"] == 0.75 and frame.row(0, named=True)["Xã/phường"] == "Xã An Viễn"
    planner = await users.make("planner")
    everywhere = (
        await client.get("/api/reports/stocktake-coverage", params={"province": "75"}, headers=planner)
    ).json()
    assert len(everywhere) == 95


async def test_coverage_counts_equal_a_plain_sql_group_by(client, users):
    from procurement.core.actor import Actor
    from procurement.register import stocktake

    admin = await users.make("admin")
    ids = [await make_asset() for _ in range(3)] + [await make_asset(commune_code=OTHER_COMMUNE) for _ in range(2)]
    await dispose_through_file(client, ids[0], admin)
    assert (await client.post(f"/api/assets/{ids[1]}/stocktake", json={}, headers=admin)).status_code == 200
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    plain = await Asset.raw(
        "SELECT c.code AS code, count(*) AS devices,"
        " sum(CASE WHEN a.last_audited_at >= {} THEN 1 ELSE 0 END) AS audited"
        " FROM asset a JOIN commune c ON c.id = a.commune WHERE a.status <> 'disposed' GROUP BY c.code",
        since,
    )
    frame = await stocktake.coverage(Actor(user_id=0, username="t", role="admin"), since=since)
    got = {r["commune_code"]: (r["devices"], r["confirmed_since"]) for r in frame.iter_rows(named=True) if r["devices"]}
    assert got == {r["code"]: (int(r["devices"]), int(r["audited"])) for r in plain}
    assert got[AN_VIEN] == (2, 1)
