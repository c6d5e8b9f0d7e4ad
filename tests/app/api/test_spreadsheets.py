"""Every spreadsheet the app writes, read back cell by cell (openpyxl, csv):
titles, number formats, print setup, Vietnamese names instead of codes, text
kept as typed, CSV cells that cannot run as formulas, one charset.

The routes are found from the app itself (OpenAPI answers listing XLSX or CSV,
and page routes named .xlsx/.csv): a new spreadsheet route fails here until it
is listed below, and then it is checked like the rest."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest

from models.tables import AppUser, Asset, Commune
from procurement.core.actor import Actor
from procurement.core.xlsx import XLSX_MEDIA_TYPE
from procurement.finance.reports import Report
from procurement.seed.demo_finance import load_demo_budget
from tests.app.api.test_stocktake import eid, tag_of
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.support.spreadsheets import check_csv, check_xlsx, read_xlsx

TODAY = dt.date(2026, 3, 15)
FORMULA = '=HYPERLINK("http://ví-dụ.vn","Bấm")'
ESCAPED = "_x0041_ máy _x00E1_"  # read as "A máy á" if written unescaped
PLAN = {"budget_vnd": 100_000_000, "province": "75"}

# (method, route path) -> the requests that exercise it (path with query, JSON body or None).
XLSX_REQUESTS: dict[tuple[str, str], list[tuple[str, dict | None]]] = {
    ("GET", "/api/assets/export"): [("/api/assets/export?format=xlsx", None)],
    ("GET", "/api/import/template"): [("/api/import/template", None)],
    ("GET", "/api/finance/reports/{report:str}"): [
        (f"/api/finance/reports/{r.value}?format=xlsx&as_of={TODAY}", None) for r in Report
    ],
    ("GET", "/api/planning/priority.xlsx"): [("/api/planning/priority.xlsx?province=75", None)],
    ("GET", "/api/planning/shortage.xlsx"): [("/api/planning/shortage.xlsx?province=75", None)],
    ("POST", "/api/planning/plan.xlsx"): [("/api/planning/plan.xlsx", PLAN)],
    ("GET", "/api/planning/fleet.xlsx"): [
        (f"/api/planning/fleet.xlsx?province=75&table={t}", None) for t in ("by_commune", "age", "stocktake")
    ],
    ("GET", "/api/reports/stocktake-coverage/xlsx"): [("/api/reports/stocktake-coverage/xlsx?province=75", None)],
    ("GET", "/planning/plan.xlsx"): [("/planning/plan.xlsx?budget=100.000.000&province=75", None)],
    ("GET", "/api/public-property/book.xlsx"): [(f"/api/public-property/book.xlsx?year=2025&commune={AN_VIEN}", None)],
    ("GET", "/api/public-property/summary.xlsx"): [("/api/public-property/summary.xlsx?year=2025&province=75", None)],
    # {line_id}: the first budget line of the world (filled in when the test runs)
    ("GET", "/api/finance/lines/{line_id:int}/allocations/template"): [
        ("/api/finance/lines/{line_id}/allocations/template", None)
    ],
    ("GET", "/api/finance/payments/template"): [("/api/finance/payments/template", None)],
    ("GET", "/finance/lines/{line_id:int}/allocations-template.xlsx"): [
        ("/finance/lines/{line_id}/allocations-template.xlsx", None)
    ],
    ("GET", "/finance/uploads/payments-template.xlsx"): [("/finance/uploads/payments-template.xlsx", None)],
    # The pages' own download routes (no page links to /api): the same files.
    ("GET", "/assets/export.xlsx"): [("/assets/export.xlsx", None)],
    ("GET", "/import/template.xlsx"): [("/import/template.xlsx", None)],
    ("GET", "/planning/priority.xlsx"): [("/planning/priority.xlsx?province=75", None)],
    ("GET", "/planning/shortage.xlsx"): [("/planning/shortage.xlsx?province=75", None)],
    ("GET", "/planning/fleet.xlsx"): [
        (f"/planning/fleet.xlsx?province=75&table={t}", None) for t in ("by_commune", "age", "stocktake")
    ],
    ("GET", "/public-property/book.xlsx"): [(f"/public-property/book.xlsx?year=2025&commune={AN_VIEN}", None)],
    ("GET", "/public-property/summary.xlsx"): [("/public-property/summary.xlsx?year=2025&province=75", None)],
    # {stocktake_id}: the world's stocktake, finished first (minutes are made when a round ends)
    ("POST", "/api/public-property/stocktakes/{stocktake_id:int}/minutes"): [
        (
            "/api/public-property/stocktakes/{stocktake_id}/minutes",
            {"members": [{"name": "Nguyễn Văn A"}], "format": "xlsx"},
        )
    ],
}
CSV_REQUESTS: dict[tuple[str, str], list[tuple[str, dict | None]]] = {
    ("GET", "/api/assets/export"): [("/api/assets/export?format=csv", None)],
    ("GET", "/api/finance/reports/{report:str}"): [
        (f"/api/finance/reports/{r.value}?format=csv&as_of={TODAY}", None) for r in Report
    ],
    ("GET", "/api/planning/priority.csv"): [("/api/planning/priority.csv?province=75", None)],
    ("GET", "/api/planning/shortage.csv"): [("/api/planning/shortage.csv?province=75", None)],
    ("POST", "/api/planning/plan.csv"): [("/api/planning/plan.csv", PLAN)],
    ("GET", "/api/planning/fleet.csv"): [
        (f"/api/planning/fleet.csv?province=75&table={t}", None) for t in ("by_commune", "age", "stocktake")
    ],
    ("GET", "/api/reports/stocktake-coverage/csv"): [("/api/reports/stocktake-coverage/csv?province=75", None)],
    ("GET", "/planning/plan.csv"): [("/planning/plan.csv?budget=100.000.000&province=75", None)],
    ("GET", "/assets/export.csv"): [("/assets/export.csv", None)],
    ("GET", "/planning/priority.csv"): [("/planning/priority.csv?province=75", None)],
    ("GET", "/planning/shortage.csv"): [("/planning/shortage.csv?province=75", None)],
    ("GET", "/planning/fleet.csv"): [
        (f"/planning/fleet.csv?province=75&table={t}", None) for t in ("by_commune", "age", "stocktake")
    ],
}
EMPTY_ALLOWED = {
    "/api/import/template",
    "/api/finance/payments/template",
    "/finance/uploads/payments-template.xlsx",
    "/import/template.xlsx",
}  # templates: headers, no rows


def _schema_path(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def spreadsheet_routes(app, media_prefix: str, suffixes: tuple[str, ...]) -> set[tuple[str, str]]:
    """Routes whose 200 answer may be ``media_prefix``… (OpenAPI), or whose path ends in ``suffixes``."""
    documented = set()
    for path, item in (app.openapi_schema.to_schema().get("paths") or {}).items():
        for method, operation in item.items():
            content = (operation.get("responses", {}).get("200") or {}).get("content") or {}
            if any(media.startswith(media_prefix) for media in content):
                documented.add((method.upper(), path))
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method in ("OPTIONS", "HEAD"):
                    continue
                if (method, _schema_path(route.path)) in documented or route.path.endswith(suffixes):
                    found.add((method, route.path))
    return found


def test_every_xlsx_and_csv_route_is_checked_here(app):
    assert spreadsheet_routes(app, XLSX_MEDIA_TYPE, (".xlsx", "/xlsx")) == set(XLSX_REQUESTS)
    assert spreadsheet_routes(app, "text/csv", (".csv", "/csv")) == set(CSV_REQUESTS)


@pytest.fixture
async def world(client, users):
    """Devices in two communes with awkward text, a stocktake, a province's budget."""
    admin = await users.make("admin")
    staff = await users.make("staff", AN_VIEN)
    await Commune.update({Commune.officials: 8, Commune.remote: True}).where(Commune.code == AN_VIEN)
    await Commune.update({Commune.officials: 5}).where(Commune.code == OTHER_COMMUNE)
    ids = [
        await make_asset(model=FORMULA, make=ESCAPED, notes="-5 ngày @ghi chú", condition="broken"),
        await make_asset(category="printer", condition="poor", status="in_repair", location="service_point"),
        await make_asset(category="laptop", acquired_on=None, acquired_year=2015, acquisition="reused"),
        await make_asset(category="scanner", commune_code=OTHER_COMMUNE, acquired_on="2012-05-01", condition="fair"),
        await make_asset(category="ups", commune_code=OTHER_COMMUNE, assigned_to="+84 912 345 678"),
    ]
    stocktake = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    sync = await client.post(
        f"/api/stocktakes/{stocktake['id']}/sync",
        json={"actions": [{"client_event_id": eid(), "kind": "confirm", "tag": await tag_of(ids[1])}]},
        headers=staff,
    )
    assert sync.status_code == 200, sync.text
    finance = await users.make("finance", username="taichinh-bang-tinh")
    user = await AppUser.select(AppUser.id).where(AppUser.username == "taichinh-bang-tinh").first()
    await load_demo_budget(
        Actor(user_id=user["id"], username="taichinh-bang-tinh", role="finance"), seed=7, today=TODAY
    )
    return {"admin": admin, "staff": staff, "finance": finance, "ids": ids}


async def _get(client, headers, path: str, body: dict | None):
    if "{line_id}" in path:
        from models.procurement import BudgetLine

        line = await BudgetLine.select(BudgetLine.id).order_by(BudgetLine.id).first()
        path = path.replace("{line_id}", str(line["id"]))
    if "{stocktake_id}" in path:
        from models.scan import Stocktake

        round_ = await Stocktake.select(Stocktake.id, Stocktake.status).order_by(Stocktake.id).first()
        if round_["status"] != "finished":
            finished = await client.post(f"/api/stocktakes/{round_['id']}/finish", headers=headers)
            assert finished.status_code == 200, finished.text
        path = path.replace("{stocktake_id}", str(round_["id"]))
    if body is not None:
        return await client.post(path, json=body, headers=headers)
    return await client.get(path, headers=headers)


async def test_every_xlsx_has_title_formats_print_setup_and_names(client, world):
    for requests in XLSX_REQUESTS.values():
        for path, body in requests:
            answer = await _get(client, world["admin"], path, body)
            assert answer.status_code == 200, (path, answer.text[:300])
            assert answer.headers["content-type"] == XLSX_MEDIA_TYPE, path
            as_of = TODAY if "as_of" in path else None
            min_rows = 0 if path in EMPTY_ALLOWED else 1
            try:
                check_xlsx(answer.content, as_of=as_of, min_rows=min_rows)
            except AssertionError as error:
                raise AssertionError(f"{path}: {error}") from None


async def test_every_csv_quotes_formulas_sends_one_charset_and_names(client, world):
    for requests in CSV_REQUESTS.values():
        for path, body in requests:
            answer = await _get(client, world["admin"], path, body)
            assert answer.status_code == 200, (path, answer.text[:300])
            try:
                check_csv(answer.content, answer.headers["content-type"])
            except AssertionError as error:
                raise AssertionError(f"{path}: {error}") from None


async def test_register_export_keeps_awkward_text_and_reads_back(client, world):
    xlsx = await client.get("/api/assets/export?format=xlsx", headers=world["admin"])
    rows = check_xlsx(xlsx.content)
    headers = [c.value for c in read_xlsx(xlsx.content).worksheets[0][2]]
    by_serial = {r[headers.index("Số serial")]: dict(zip(headers, r, strict=True)) for r in rows}
    first = await Asset.select(Asset.serial).where(Asset.id == world["ids"][0]).first()
    row = by_serial[first["serial"]]
    assert row["Model"] == FORMULA and row["Hãng sản xuất"] == ESCAPED  # text as typed, not a formula
    assert row["Tình trạng"] == "Hỏng" and row["Loại thiết bị"] == "Máy tính để bàn"
    assert row["Nguyên giá (VND)"] == 15_000_000 and row["Ngày mua"] == dt.datetime(2019, 3, 15)
    reused = await Asset.select(Asset.serial).where(Asset.id == world["ids"][2]).first()
    assert by_serial[reused["serial"]]["Ngày mua"] == 2015  # the year alone, as a number
    assert by_serial[reused["serial"]]["Nguồn gốc"] == "Tiếp nhận từ đơn vị sáp nhập"

    csv = await client.get("/api/assets/export?format=csv", headers=world["admin"])
    by_serial_csv = {r["Số serial"]: r for r in check_csv(csv.content, csv.headers["content-type"])}
    assert by_serial_csv[first["serial"]]["Model"] == "'" + FORMULA  # OWASP: a quote in front
    assert by_serial_csv[first["serial"]]["Ghi chú"] == "'-5 ngày @ghi chú"
    assert by_serial_csv[first["serial"]]["Nguyên giá (VND)"] == "15000000"

    # The import reads both files back below their title and changes nothing.
    for content, name in ((xlsx.content, "thiet-bi.xlsx"), (csv.content, "thiet-bi.csv")):
        dry = await client.post(
            "/api/import/dry-run", files={"file": (name, content, "application/octet-stream")}, headers=world["admin"]
        )
        assert dry.status_code == 200, dry.text
        report = dry.json()
        assert (report["error_count"], report["create"], report["update"]) == (0, 0, 0), (name, report)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api", *args], env=os.environ.copy(), capture_output=True, text=True, timeout=300
    )


async def test_every_xlsx_the_cli_writes_is_checked_the_same(world, tmp_path):
    admin = (await AppUser.select(AppUser.username).where(AppUser.role == "admin").first())["username"]
    commands = {
        "disbursement.xlsx": ["report", "disbursement", "--by", "line", "--format", "xlsx", "--as-of", str(TODAY)],
        "priority.xlsx": ["report", "priority", "--province", "75"],
        "plan.xlsx": ["report", "plan", "--province", "75", "--budget", "100000000"],
        "shortage.xlsx": ["report", "shortage", "--province", "75"],
        "fleet.xlsx": ["report", "fleet", "--province", "75", "--table", "age"],
        "export.xlsx": ["export", "--user", admin],
        "template.xlsx": ["import-template"],
        "coverage.xlsx": ["stocktake-coverage", "--province", "75", "--out"],
    }
    for name, args in commands.items():
        out = str(tmp_path / name)
        if args[0] in ("export", "import-template"):
            args = [args[0], out, *args[1:]]
        elif args[-1] == "--out":
            args = [*args, out]
        else:
            args = [*args, "-o", out]
        done = _cli(*args)
        assert done.returncode == 0, (name, done.stderr[-2000:])
        with open(out, "rb") as handle:
            check_xlsx(handle.read(), min_rows=0 if name == "template.xlsx" else 1)
    papers = tmp_path / "papers"
    done = _cli("public-property", "papers", "--year", "2025", "--province", "75", "--out", str(papers))
    assert done.returncode == 0, done.stderr[-2000:]
    for name in (f"so-tscd-{AN_VIEN}-2025.xlsx", "tong-hop-tscd-75-2025.xlsx"):
        check_xlsx((papers / name).read_bytes())
    coverage = _cli("stocktake-coverage", "--province", "75", "--out", str(tmp_path / "coverage.csv"))
    assert coverage.returncode == 0, coverage.stderr
    with open(tmp_path / "coverage.csv", "rb") as handle:
        assert check_csv(handle.read())[0]["Mã xã"]


async def test_the_stocktake_minutes_xlsx_is_checked_the_same(client, world, users):
    """The minutes answer a POST naming the format, so the walk above cannot find them."""
    stocktake = (await client.get("/api/stocktakes", headers=world["staff"])).json()
    stocktake_id = (stocktake["items"] if isinstance(stocktake, dict) else stocktake)[0]["id"]
    finish = await client.post(f"/api/stocktakes/{stocktake_id}/finish", headers=world["staff"])
    assert finish.status_code == 200, finish.text
    accountant = await users.make("accountant", AN_VIEN)
    answer = await client.post(
        f"/api/public-property/stocktakes/{stocktake_id}/minutes",
        json={"members": [{"name": "Nguyễn Văn Bình", "position": "Phó Chủ tịch UBND xã"}], "format": "xlsx"},
        headers=accountant,
    )
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == XLSX_MEDIA_TYPE
    check_xlsx(answer.content)
