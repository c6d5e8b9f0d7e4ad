"""Planning reports through the database and the API.

The expected figures are computed here from Piccolo's own rows (an
independent read of the register), by the pure report functions or by plain
Python, and compared with what the fast loader and the API answer.
"""

from __future__ import annotations

import datetime as dt
import io

import fastexcel
import polars as pl
import pytest

from models.tables import Asset, Category, Commune
from procurement.core.clock import today_vn, years_before
from procurement.planning.frames import RegisterFilter, load_register
from procurement.planning.plan_packages import plan_packages
from procurement.planning.priority import DEFAULT_UNIT_PRICES, replacement_priority
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.support.fleet_helpers import ASSET_SCHEMA, COMMUNE_SCHEMA

OLD = years_before(today_vn(), 9)
MIDDLE = years_before(today_vn(), 4)
# Quotes of both kinds, a comma, a backslash, a tab, a new line, Vietnamese and an emoji.
AWKWARD_TEXT = 'O\'Brien, "Mới"\\ \tđời\n2 🖨'
NEW = years_before(today_vn(), 1)


async def piccolo_frames(province: str | None = None):
    """(assets, categories, communes) from Piccolo's rows: the independent read."""
    rows = await Asset.select(
        Asset.id.as_alias("asset_id"),
        Asset.tag,
        Asset.commune.code.as_alias("commune_code"),
        Asset.category.code.as_alias("category_code"),
        Asset.make,
        Asset.model,
        Asset.status,
        Asset.condition,
        Asset.acquired_on,
        Asset.acquired_year,
        Asset.location,
        Asset.antimalware_installed,
        Asset.os_supported,
        Asset.cost_vnd,
        Asset.last_audited_at,
        Asset.commune.province.code.as_alias("province_code"),
    ).where(Asset.status != "disposed")
    rows = [r for r in rows if province is None or r.pop("province_code") == province]
    for r in rows:
        r.pop("province_code", None)
        for flag in ("antimalware_installed", "os_supported"):
            r[flag] = None if r[flag] is None else bool(r[flag])
        if r["last_audited_at"] is not None:
            r["last_audited_at"] = r["last_audited_at"].astimezone(dt.UTC).replace(tzinfo=None)
    assets = pl.DataFrame(rows, schema=ASSET_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ASSET_SCHEMA)
    communes = await Commune.select(
        Commune.code.as_alias("commune_code"),
        Commune.name.as_alias("commune_name"),
        Commune.province.code.as_alias("province_code"),
        Commune.province.name.as_alias("province_name"),
        Commune.officials,
        Commune.remote,
        Commune.has_service_point,
    )
    communes = [c for c in communes if province is None or c["province_code"] == province]
    for c in communes:
        c["remote"], c["has_service_point"] = bool(c["remote"]), bool(c["has_service_point"])
    categories = await Category.select(
        Category.code.as_alias("category_code"), Category.name, Category.useful_life_years, Category.is_computer
    )
    for c in categories:
        c["is_computer"] = bool(c["is_computer"])
    return (
        assets.lazy(),
        pl.DataFrame(
            categories,
            schema={
                "category_code": pl.String,
                "name": pl.String,
                "useful_life_years": pl.Int32,
                "is_computer": pl.Boolean,
            },
        ).lazy(),
        pl.DataFrame(communes, schema=COMMUNE_SCHEMA).lazy(),
    )


@pytest.fixture
async def fleet(clean):
    """A small fleet in two communes of Đồng Nai; An Viễn is remote and short of computers."""
    await Commune.update({Commune.officials: 6, Commune.remote: True}).where(Commune.code == AN_VIEN)
    await Commune.update({Commune.officials: 3}).where(Commune.code == OTHER_COMMUNE)
    ids = {
        "old_broken_desktop": await make_asset(
            acquired_on=OLD.isoformat(), condition="broken", location="service_point"
        ),
        "old_printer": await make_asset(category="printer", acquired_on=OLD.isoformat(), condition="poor"),
        "young_desktop": await make_asset(acquired_on=NEW.isoformat(), antimalware_installed=False),
        "reused_laptop": await make_asset(
            category="laptop", acquired_on=None, acquired_year=MIDDLE.year, condition="fair"
        ),
        "unknown_age_scanner": await make_asset(category="scanner", acquired_on=None),
        "other_desktop": await make_asset(commune_code=OTHER_COMMUNE, acquired_on=MIDDLE.isoformat(), condition="poor"),
        "other_monitor": await make_asset(commune_code=OTHER_COMMUNE, category="monitor", acquired_on=OLD.isoformat()),
        "in_repair": await make_asset(commune_code=OTHER_COMMUNE, status="in_repair", acquired_on=MIDDLE.isoformat()),
        "gone": await make_asset(acquired_on=OLD.isoformat()),
    }
    # A disposed device is left out; awkward text must survive the text transport of the loader.
    await Asset.update({Asset.status: "disposed"}).where(Asset.id == ids["gone"])
    await Asset.update({Asset.make: AWKWARD_TEXT, Asset.model: ""}).where(Asset.id == ids["young_desktop"])
    audited = dt.datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=dt.UTC)
    await Asset.update({Asset.last_audited_at: audited}).where(Asset.id == ids["old_printer"])
    return ids


def _same_frame(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    from polars.testing import assert_frame_equal

    assert_frame_equal(got, expected, check_column_order=False)


async def test_the_fast_loader_reads_what_piccolo_reads(fleet):
    frames = await load_register()
    assets, categories, communes = await piccolo_frames()
    columns = list(ASSET_SCHEMA)
    got = frames.assets.collect().select(columns).with_columns(pl.col("last_audited_at").dt.replace_time_zone(None))
    _same_frame(got.sort("asset_id"), assets.collect().sort("asset_id"))
    assert got.filter(pl.col("asset_id") == fleet["young_desktop"])["make"].item() == AWKWARD_TEXT
    assert got.filter(pl.col("asset_id") == fleet["young_desktop"])["model"].item() == ""
    assert fleet["gone"] not in got["asset_id"].to_list()
    _same_frame(
        frames.communes.collect().drop("commune_id").sort("commune_code"), communes.collect().sort("commune_code")
    )
    _same_frame(
        frames.categories.collect().drop("category_id").sort("category_code"),
        categories.collect().sort("category_code"),
    )


async def test_loader_filters_are_applied_in_the_query(fleet):
    only = await load_register(RegisterFilter(commune=OTHER_COMMUNE, category="desktop"))
    assert sorted(only.assets.collect()["asset_id"].to_list()) == sorted([fleet["other_desktop"], fleet["in_repair"]])
    assert only.communes.collect()["commune_code"].to_list() == [OTHER_COMMUNE]
    province = await load_register(RegisterFilter(province="75"))
    assert set(province.communes.collect()["province_code"].to_list()) == {"75"}
    assert province.assets.collect().height == 8
    nowhere = await load_register(RegisterFilter(province="01"))
    assert nowhere.assets.collect().height == 0 and nowhere.communes.collect().height > 0


async def test_ranked_list_from_the_database_matches_the_pure_function(fleet, client, users):
    headers = await users.make("planner")
    answer = await client.get("/api/planning/priority", params={"limit": 500}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = replacement_priority(*await piccolo_frames(), today=today_vn()).collect()
    assert body["total"] == expected.height == 8  # nine devices, one disposed
    got = [(i["asset_id"], i["score"], i["reason"], i["rank"]) for i in body["items"]]
    assert got == list(zip(*(expected[c].to_list() for c in ("asset_id", "score", "reason", "rank")), strict=False))
    # The old broken desktop at the service point of a remote, short commune comes first.
    assert body["items"][0]["asset_id"] == fleet["old_broken_desktop"]
    assert "hỏng" in body["items"][0]["reason"] and "bộ phận một cửa" in body["items"][0]["reason"]


async def test_filters_cut_the_list_and_keep_the_area_ranks(fleet, client, users):
    headers = await users.make("finance")
    full = (await client.get("/api/planning/priority", params={"limit": 500}, headers=headers)).json()["items"]
    rank_of = {i["asset_id"]: i["rank"] for i in full}

    desktops = (await client.get("/api/planning/priority", params={"category": "desktop"}, headers=headers)).json()
    assert {i["category_code"] for i in desktops["items"]} == {"desktop"}
    assert [i["asset_id"] for i in desktops["items"]] == [
        i["asset_id"] for i in full if i["category_code"] == "desktop"
    ]
    assert all(i["rank"] == rank_of[i["asset_id"]] for i in desktops["items"])

    threshold = full[3]["score"]
    top = (await client.get("/api/planning/priority", params={"min_score": threshold}, headers=headers)).json()
    assert [i["asset_id"] for i in top["items"]] == [i["asset_id"] for i in full if i["score"] >= threshold]

    other = (await client.get("/api/planning/priority", params={"commune": OTHER_COMMUNE}, headers=headers)).json()
    assert {i["asset_id"] for i in other["items"]} == {
        fleet["other_desktop"],
        fleet["other_monitor"],
        fleet["in_repair"],
    }
    # Ranked within the commune now: 1, 2, 3.
    assert [i["rank"] for i in other["items"]] == [1, 2, 3]

    # Another province than the caller's (Đồng Nai) answers like a missing one.
    nowhere = await client.get("/api/planning/priority", params={"province": "01"}, headers=headers)
    assert nowhere.status_code == 404

    page = (await client.get("/api/planning/priority", params={"limit": 3, "offset": 2}, headers=headers)).json()
    assert [i["asset_id"] for i in page["items"]] == [i["asset_id"] for i in full[2:5]]
    assert page["total"] == len(full)


async def test_a_heavier_weight_moves_its_devices_up(fleet, client, users):
    headers = await users.make("planner")

    def position(items, asset_id):
        return [i["asset_id"] for i in items].index(asset_id)

    base = (await client.get("/api/planning/priority", headers=headers)).json()
    # The young desktop lacks anti-malware: only its security part (and An Viễn's) lift it.
    secure = (await client.get("/api/planning/priority", params={"w_security": 200}, headers=headers)).json()
    assert secure["weights"]["security"] == 200
    assert position(secure["items"], fleet["young_desktop"]) < position(base["items"], fleet["young_desktop"])
    # Weighting remoteness moves An Viễn's devices (remote) ahead of the other commune's.
    remote = (await client.get("/api/planning/priority", params={"w_remote": 300}, headers=headers)).json()
    an_vien = {
        fleet[k] for k in ("old_broken_desktop", "old_printer", "young_desktop", "reused_laptop", "unknown_age_scanner")
    }
    assert {i["asset_id"] for i in remote["items"][:5]} == an_vien
    assert position(remote["items"], fleet["other_desktop"]) >= position(base["items"], fleet["other_desktop"])
    # Only condition counts: broken first, then poor, fair, good.
    order = {"broken": 0, "poor": 1, "fair": 2, "good": 3}
    only_condition = {f"w_{k}": 0 for k in ("age", "place", "shortage", "remote", "security")}
    cond = (await client.get("/api/planning/priority", params=only_condition, headers=headers)).json()
    ranks = [order[i["condition"]] for i in cond["items"]]
    assert ranks == sorted(ranks)
    bad = await client.get("/api/planning/priority", params={"w_age": -1}, headers=headers)
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "w_age"


def _independent_plan_check(items: list[dict], budget: int, prices: dict[str, int]) -> None:
    """Re-walk the lines in rank order with plain integers: nothing included over the money,
    every 'over the remaining budget' exclusion really did not fit, the running total is right."""
    spent = 0
    for line in sorted(items, key=lambda i: i["rank"]):
        price = prices.get(line["category_code"], prices.get("desktop"))
        assert line["unit_price_vnd"] == price
        if line["included"]:
            spent += price
            assert spent <= budget
        elif line["excluded_reason"].startswith("vượt ngân sách còn lại"):
            assert price > budget - spent
        assert line["running_total_vnd"] == spent


async def test_plan_never_spends_more_than_the_budget(fleet, client, users):
    headers = await users.make("planner")
    prices = {**DEFAULT_UNIT_PRICES, "computer": DEFAULT_UNIT_PRICES["desktop"], "printer": 7_000_000}
    for budget in (0, 6_999_999, 21_000_000, 50_000_000, 10**12):
        answer = await client.post(
            "/api/planning/plan",
            params={"limit": 500},
            json={"budget_vnd": budget, "province": "75", "unit_prices": {"printer": 7_000_000}},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        _independent_plan_check(body["items"], budget, prices)
        included = [i for i in body["items"] if i["included"]]
        assert body["summary"]["spent_vnd"] == sum(i["unit_price_vnd"] for i in included) <= budget
        assert body["summary"]["left_vnd"] == budget - body["summary"]["spent_vnd"]
        if budget == 0:
            assert included == []
        if budget == 10**12:  # everything fits: every candidate is bought
            assert len(included) == body["total"]
            assert any(i["item_kind"] == "new" for i in included)  # An Viễn lacks computers


async def test_plan_with_commune_budgets_keeps_each_commune_within_its_own(fleet, client, users):
    headers = await users.make("planner")
    body = {
        "budget_vnd": 100_000_000,
        "province": "75",
        "commune_budgets": [
            {"commune_code": AN_VIEN, "budget_vnd": 20_000_000},
            {"commune_code": OTHER_COMMUNE, "budget_vnd": 15_000_000},
        ],
    }
    answer = (await client.post("/api/planning/plan", params={"limit": 500}, json=body, headers=headers)).json()
    own = {AN_VIEN: 20_000_000, OTHER_COMMUNE: 15_000_000}
    spent: dict[str, int] = {}
    for line in sorted(answer["items"], key=lambda i: i["rank"]):
        commune, price = line["commune_code"], line["unit_price_vnd"]
        before = spent.get(commune, 0)
        if line["included"]:
            spent[commune] = before + price
            assert spent[commune] <= own[commune]
        elif commune not in own:
            assert line["excluded_reason"] == "xã chưa được phân bổ ngân sách"
        elif line["excluded_reason"].startswith("vượt ngân sách của xã"):
            assert price > own[commune] - before  # it really did not fit
    assert set(spent) == {AN_VIEN, OTHER_COMMUNE}
    assert answer["summary"]["spent_vnd"] == sum(spent.values()) <= 35_000_000


async def test_plan_refusals_name_the_field(fleet, client, users):
    headers = await users.make("planner")
    cases = [
        ({"budget_vnd": 10**9, "unit_prices": {"toaster": 1_000}}, "unit_prices.toaster"),
        ({"budget_vnd": 10**9, "min_share_per_commune": 0.9}, "min_share_per_commune"),
        (
            {
                "budget_vnd": 10**9,
                "commune_budgets": [
                    {"commune_code": AN_VIEN, "budget_vnd": 1},
                    {"commune_code": AN_VIEN, "budget_vnd": 2},
                ],
            },
            "commune_budgets",
        ),
    ]
    for body, field in cases:
        answer = await client.post("/api/planning/plan", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["extra"][0]["key"] == field
    answer = await client.post("/api/planning/plan", json={"budget_vnd": 1.5}, headers=headers)
    assert answer.status_code == 400


def _read_xlsx(content: bytes) -> pl.DataFrame:
    return fastexcel.read_excel(content).load_sheet(0, header_row=1).to_polars()  # row 1: the title


async def test_xlsx_and_csv_downloads_have_the_rows_of_the_json(fleet, client, users):
    headers = await users.make("planner")
    items = (await client.get("/api/planning/priority", params={"limit": 500}, headers=headers)).json()["items"]
    xlsx = await client.get("/api/planning/priority.xlsx", headers=headers)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = _read_xlsx(xlsx.content)
    assert sheet.columns[:3] == ["Thứ tự", "Mã tài sản", "Mã tỉnh"]
    assert sheet["Mã tài sản"].to_list() == [i["tag"] for i in items]
    assert sheet["Điểm ưu tiên"].to_list() == [i["score"] for i in items]

    csv = await client.get("/api/planning/priority.csv", params={"category": "desktop"}, headers=headers)
    frame = pl.read_csv(io.BytesIO(csv.content))
    assert frame["Mã tài sản"].to_list() == [i["tag"] for i in items if i["category_code"] == "desktop"]

    plan = await client.post(
        "/api/planning/plan.xlsx", json={"budget_vnd": 30_000_000, "province": "75"}, headers=headers
    )
    lines = (
        await client.post(
            "/api/planning/plan",
            params={"limit": 500},
            json={"budget_vnd": 30_000_000, "province": "75"},
            headers=headers,
        )
    ).json()["items"]
    sheet = _read_xlsx(plan.content)
    assert sheet.height == len(lines)
    assert sheet["Được chọn"].to_list() == ["có" if i["included"] else "không" for i in lines]
    assert sheet["Lũy kế"].to_list() == [i["running_total_vnd"] for i in lines]

    shortage = (
        await client.get("/api/planning/shortage", params={"province": "75", "limit": 500}, headers=headers)
    ).json()
    assert shortage["total"] < 500
    sheet = _read_xlsx(
        (await client.get("/api/planning/shortage.xlsx", params={"province": "75"}, headers=headers)).content
    )
    assert sheet["Còn thiếu"].to_list() == [i["lacking"] for i in shortage["items"]]


async def test_shortage_counts_working_devices_against_the_officials(fleet, client, users):
    headers = await users.make("planner")
    body = (await client.get("/api/planning/shortage", params={"commune": AN_VIEN}, headers=headers)).json()
    computers = next(i for i in body["items"] if i["category_code"] == "computer")
    # 6 officials + 2 at the service point; working: the young desktop and the fair laptop (the broken one does not count).
    assert (computers["needed"], computers["working"], computers["lacking"]) == (8, 2, 6)
    svg = await client.get("/api/planning/shortage.svg", params={"province": "75"}, headers=headers)
    assert svg.headers["content-type"].startswith("image/svg+xml") and "An Viễn" in svg.text


async def test_fleet_overview_counts_devices_by_commune_category_condition(fleet, client, users):
    headers = await users.make("finance")
    body = (
        await client.get("/api/planning/fleet", params={"province": "75", "since": "2025-12-01"}, headers=headers)
    ).json()
    got = {(r["commune_code"], r["category_code"], r["condition"]): r["devices"] for r in body["by_commune"]}
    rows = await Asset.select(Asset.commune.code, Asset.category.code, Asset.condition).where(
        Asset.status != "disposed"
    )
    expected: dict = {}
    for r in rows:
        key = (r["commune.code"], r["category.code"], r["condition"])
        expected[key] = expected.get(key, 0) + 1
    assert got == expected
    an_vien = next(s for s in body["stocktake"] if s["commune_code"] == AN_VIEN)
    assert (an_vien["devices"], an_vien["audited"]) == (5, 1)
    assert sum(a["devices"] for a in body["age_profile"]) == len(rows)
    sheet = _read_xlsx(
        (
            await client.get("/api/planning/fleet.xlsx", params={"province": "75", "table": "age"}, headers=headers)
        ).content
    )
    assert sheet["Số thiết bị"].sum() == len(rows)
    svg = await client.get("/api/planning/fleet.svg", params={"chart": "age"}, headers=headers)
    assert svg.status_code == 200 and "<svg" in svg.text


async def test_cli_writes_the_same_ranked_list_and_plan(fleet, client, users, tmp_path):
    import subprocess
    import sys

    headers = await users.make("planner")
    items = (await client.get("/api/planning/priority", params={"limit": 500, "w_remote": 30}, headers=headers)).json()[
        "items"
    ]
    out = tmp_path / "uu-tien.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "api", "report", "priority", "--weight", "remote=30", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert _read_xlsx(out.read_bytes())["Mã tài sản"].to_list() == [i["tag"] for i in items]

    out = tmp_path / "ke-hoach.json"
    done = subprocess.run(
        [sys.executable, "-m", "api", "report", "plan", "--budget", "40000000", "--province", "75", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = (
        await client.post(
            "/api/planning/plan",
            params={"limit": 500},
            json={"budget_vnd": 40_000_000, "province": "75"},
            headers=headers,
        )
    ).json()["items"]
    written = pl.read_json(out)
    assert written["included"].to_list() == [i["included"] for i in lines]
    assert written.filter("included")["unit_price_vnd"].sum() <= 40_000_000

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "api",
            "report",
            "plan",
            "--budget",
            "1",
            "--min-share",
            "0.9",
            "-o",
            str(tmp_path / "x.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "min_share_per_commune" in done.stderr


async def test_staff_may_not_read_planning_reports(fleet, client, users):
    headers = await users.make("staff", AN_VIEN)
    assert (await client.get("/api/planning/priority", headers=headers)).status_code == 403


def test_plan_lines_become_one_package_per_commune_and_category():
    plan = pl.DataFrame(
        {
            "item_kind": ["replace", "replace", "new", "replace", "new", "replace"],
            "asset_id": [7, 3, None, 9, None, 11],
            "commune_code": ["A", "A", "A", "A", "B", "B"],
            "commune_name": ["Xã A", "Xã A", "Xã A", "Xã A", "Xã B", "Xã B"],
            "category_code": ["desktop", "desktop", "computer", "printer", "scanner", "printer"],
            "unit_price_vnd": [15_000_000, 15_000_000, 15_000_000, 6_000_000, 8_000_000, 6_000_000],
            "included": [True, True, True, True, True, False],
        }
    )
    packages = plan_packages(plan).collect()
    got = {(r["commune_code"], r["category_code"]): r for r in packages.to_dicts()}
    assert set(got) == {("A", "desktop"), ("A", "printer"), ("B", "scanner")}  # B's printer was left out
    desktops = got[("A", "desktop")]
    assert (desktops["quantity"], desktops["replace_quantity"], desktops["new_quantity"]) == (3, 2, 1)
    assert desktops["estimate_vnd"] == 45_000_000 and desktops["asset_ids"] == [3, 7]
    assert desktops["name"] == "Thay thế và mua mới 3 máy tính để bàn cho Xã A"
    assert got[("B", "scanner")]["name"] == "Mua mới 1 máy quét cho Xã B"
    assert packages["estimate_vnd"].sum() == plan.filter("included")["unit_price_vnd"].sum()


async def test_saving_a_plan_makes_one_package_per_commune_and_category(fleet, client, users):
    from models.procurement import PackageItem, ProcurementPackage
    from procurement.core.actor import Actor
    from procurement.finance import budget
    from procurement.finance.schemas import AllocationCreate, LineCreate

    headers = await users.make("planner")
    finance = Actor(user_id=0, username="finance", role="finance")
    line = await budget.create_line(
        finance,
        LineCreate(
            number="65/KH-UBND",
            name="Trang bị thiết bị cho xã",
            decision_date=dt.date(2025, 8, 22),
            fiscal_year=2025,
            amount_vnd=1_000_000_000,
            province_code="75",
        ),
    )
    allocation = await budget.create_allocation(
        finance, line.id, AllocationCreate(commune_code=AN_VIEN, amount_vnd=500_000_000)
    )
    plan_body = {
        "budget_vnd": 60_000_000,
        "province": "75",
        "commune_budgets": [
            {"commune_code": AN_VIEN, "budget_vnd": 40_000_000},
            {"commune_code": OTHER_COMMUNE, "budget_vnd": 20_000_000},
        ],
    }
    lines = (await client.post("/api/planning/plan", params={"limit": 500}, json=plan_body, headers=headers)).json()[
        "items"
    ]
    answer = await client.post(
        "/api/planning/plan/packages", json={"plan": plan_body, "line_id": line.id}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    packages = answer.json()
    # Independent grouping of the included lines (new computers are bought as desktops).
    expected: dict[tuple, list[int]] = {}
    for i in lines:
        if i["included"]:
            key = (i["commune_code"], "desktop" if i["category_code"] == "computer" else i["category_code"])
            expected.setdefault(key, []).append(i["unit_price_vnd"])
    assert len(packages) == len(expected)
    assert sum(p["estimate_vnd"] for p in packages) == sum(sum(v) for v in expected.values()) <= 60_000_000
    assert sorted((p["items"][0]["category"], p["items"][0]["quantity"]) for p in packages) == sorted(
        (k[1], len(v)) for k, v in expected.items()
    )
    an_vien = [p for p in packages if "An Viễn" in p["name"]]
    assert an_vien and all(p["allocation_id"] == allocation.id for p in an_vien)
    assert all(p["allocation_id"] is None for p in packages if p not in an_vien)  # no allocation for that commune
    assert all(p["status"] == "planned" and p["line_id"] == line.id for p in packages)
    assert await ProcurementPackage.count() == len(packages) == await PackageItem.count()

    missing = await client.post(
        "/api/planning/plan/packages", json={"plan": plan_body, "line_id": 999999}, headers=headers
    )
    assert missing.status_code == 404 and await ProcurementPackage.count() == len(packages)  # nothing half-saved
    finance_headers = await users.make("finance")
    refused = await client.post(
        "/api/planning/plan/packages", json={"plan": plan_body, "line_id": line.id}, headers=finance_headers
    )
    assert refused.status_code == 403


async def test_a_plan_can_take_its_money_from_a_budget_line_and_its_allocations(client, users):
    """The line's free money is its amount less contracts; each commune is cut to
    what is free of its own allocation. Checked against sums made here."""
    from tests.app.api.test_budget import contract_body, line_body, post

    finance = await users.make("finance")
    planner = await users.make("planner")
    for i in range(6):
        await make_asset(commune_code=AN_VIEN, condition="broken", acquired_on=None, acquired_year=2010 + i)
        await make_asset(commune_code=OTHER_COMMUNE, condition="broken", acquired_on=None, acquired_year=2010 + i)
    line = await post(client, finance, "/lines", line_body(amount_vnd=200_000_000), 201)
    an_vien = await post(
        client, finance, f"/lines/{line['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": 50_000_000}, 201
    )
    await post(
        client,
        finance,
        f"/lines/{line['id']}/allocations",
        {"commune_code": OTHER_COMMUNE, "amount_vnd": 40_000_000},
        201,
    )
    await post(client, finance, "/contracts", contract_body(an_vien["id"], unit_price=10_000_000, quantity=2), 201)
    line_free = 200_000_000 - 20_000_000
    area = {"province": "75"}

    whole = await client.post("/api/planning/plan", json={"line_id": line["id"], **area}, headers=planner)
    assert whole.status_code == 200, whole.text
    assert whole.json()["summary"]["budget_vnd"] == line_free
    assert whole.json()["summary"]["spent_vnd"] <= line_free

    capped = await client.post(
        "/api/planning/plan", json={"line_id": line["id"], "budget_vnd": 5_000_000, **area}, headers=planner
    )
    assert capped.json()["summary"]["budget_vnd"] == 5_000_000

    by_commune = await client.post(
        "/api/planning/plan?limit=500", json={"line_id": line["id"], "use_allocations": True, **area}, headers=planner
    )
    assert by_commune.status_code == 200, by_commune.text
    free = {AN_VIEN: 50_000_000 - 20_000_000, OTHER_COMMUNE: 40_000_000}
    assert by_commune.json()["summary"]["budget_vnd"] == sum(free.values())
    spent: dict[str, int] = {}
    for item in by_commune.json()["items"]:
        if item["included"]:
            spent[item["commune_code"]] = spent.get(item["commune_code"], 0) + item["unit_price_vnd"]
    assert set(spent) <= set(free) and spent
    assert all(spent[code] <= free[code] for code in spent)

    neither = await client.post("/api/planning/plan", json=area, headers=planner)
    assert neither.status_code == 422 and neither.json()["extra"][0]["key"] == "line_id"


async def _hanoi_commune() -> str:
    row = await Commune.select(Commune.code).where(Commune.province.code == "01").order_by(Commune.code).first()
    assert row is not None
    return row["code"]


async def test_saved_packages_stay_in_the_lines_province_and_within_its_free_money(client, users):
    from models.procurement import ProcurementPackage
    from tests.app.api.test_budget import contract_body, line_body, post

    finance = await users.make("finance")
    planner = await users.make("planner")
    hanoi = await _hanoi_commune()
    for i in range(4):
        await make_asset(commune_code=AN_VIEN, condition="broken", acquired_on=None, acquired_year=2010 + i)
        await make_asset(commune_code=hanoi, condition="broken", acquired_on=None, acquired_year=2005 + i)
    line = await post(client, finance, "/lines", line_body(amount_vnd=100_000_000), 201)
    alloc = await post(
        client, finance, f"/lines/{line['id']}/allocations", {"commune_code": AN_VIEN, "amount_vnd": 60_000_000}, 201
    )
    await post(client, finance, "/contracts", contract_body(alloc["id"], unit_price=10_000_000, quantity=2), 201)
    save = "/api/planning/plan/packages"
    # Also the communes with nothing on record, so that the plan spreads over the province.
    everyone = {"include_uninventoried": True}

    # No province: the line's (Đồng Nai) is used; the Hà Nội ward's older devices are not planned.
    first = await client.post(
        save, json={"plan": {"budget_vnd": 30_000_000, **everyone}, "line_id": line["id"]}, headers=planner
    )
    assert first.status_code == 201, first.text
    names = [p["name"] for p in first.json()]
    communes = {
        r["code"]
        for r in await Commune.select(Commune.code, Commune.province.code.as_alias("province")).where(
            Commune.province.code == "75"
        )
    }
    saved = await ProcurementPackage.select(ProcurementPackage.allocation, ProcurementPackage.estimate_vnd)
    assert names and sum(p["estimate_vnd"] for p in saved) <= 30_000_000
    assert all(p["line_id"] == line["id"] for p in first.json())
    assert not any("Hà Nội" in n or hanoi in n for n in names) and communes

    # Another province or a commune outside it: refused, nothing written.
    count = await ProcurementPackage.count()
    other = await client.post(
        save, json={"plan": {"budget_vnd": 30_000_000, "province": "01"}, "line_id": line["id"]}, headers=planner
    )
    assert other.status_code == 422 and other.json()["extra"][0]["key"] == "plan.province"
    outside = await client.post(
        save, json={"plan": {"budget_vnd": 30_000_000, "commune": hanoi}, "line_id": line["id"]}, headers=planner
    )
    assert outside.status_code == 422 and outside.json()["extra"][0]["key"] == "plan.commune"

    # The line had 100M - 20M contracted = 80M free; the first save holds its estimates. A large budget
    # is cut to what is left, and once nothing is left the save is refused.
    held = sum(p["estimate_vnd"] for p in saved)
    second = await client.post(
        save, json={"plan": {"budget_vnd": 10_000_000_000, **everyone}, "line_id": line["id"]}, headers=planner
    )
    assert second.status_code == 201, second.text
    total = sum(p["estimate_vnd"] for p in await ProcurementPackage.select(ProcurementPackage.estimate_vnd))
    assert held < total <= 80_000_000
    assert await ProcurementPackage.count() > count
    while True:  # the walk leaves less than one device's price: eventually nothing fits
        again = await client.post(
            save, json={"plan": {"budget_vnd": 10_000_000_000, **everyone}, "line_id": line["id"]}, headers=planner
        )
        if again.status_code != 201:
            break
    assert again.status_code == 422
    total = sum(p["estimate_vnd"] for p in await ProcurementPackage.select(ProcurementPackage.estimate_vnd))
    assert total <= 80_000_000


async def test_concurrent_plan_saves_never_exceed_the_line(client, users):
    import asyncio

    from models.procurement import ProcurementPackage
    from tests.app.api.test_budget import line_body, post

    finance = await users.make("finance")
    planner = await users.make("planner")
    for i in range(6):
        await make_asset(commune_code=AN_VIEN, condition="broken", acquired_on=None, acquired_year=2010 + i)
    line = await post(client, finance, "/lines", line_body(amount_vnd=50_000_000), 201)
    body = {"plan": {"budget_vnd": 40_000_000}, "line_id": line["id"]}
    answers = await asyncio.gather(
        *[client.post("/api/planning/plan/packages", json=body, headers=planner) for _ in range(4)]
    )
    codes = sorted(a.status_code for a in answers)
    assert codes[0] == 201 and all(c in (201, 409, 422) for c in codes), [a.text for a in answers]
    total = sum(p["estimate_vnd"] for p in await ProcurementPackage.select(ProcurementPackage.estimate_vnd))
    assert 0 < total <= 50_000_000
    refused = [a for a in answers if a.status_code == 409]
    assert all(a.json()["extra"][0]["key"] for a in refused)


async def test_the_country_is_ranked_for_the_ministry_from_every_province(client, users):
    """The national reader's register is read whole (on SQLite in id ranges on parallel
    connections): every province's devices are ranked, also with repairs on record."""
    from tests.app.conftest import HA_NOI_COMMUNE

    ids = {await make_asset(), await make_asset(commune_code=HA_NOI_COMMUNE), await make_asset(category="printer")}
    staff = await users.make("staff", AN_VIEN)
    repaired = await client.post(
        f"/api/assets/{min(ids)}/repairs",
        json={"started_on": "2025-10-01", "supplier": "Sửa chữa A", "cost_vnd": 500_000, "work_done": "Thay ổ cứng"},
        headers=staff,
    )
    assert repaired.status_code in (200, 201), repaired.text
    national = await users.make("national")
    answer = await client.get("/api/planning/priority", params={"limit": 500}, headers=national)
    assert answer.status_code == 200, answer.text
    assert {row["asset_id"] for row in answer.json()["items"]} == ids
    # The whole register, disposed devices too: its query has no WHERE of its own but the repairs'
    # subquery has one (SQLite's id ranges once appended theirs after the subquery's).
    everything = await load_register(RegisterFilter(include_disposed=True))
    assert set(everything.assets.collect()["asset_id"].to_list()) == ids
