"""Finance setup pages at the largest province's scale:
``python -m tests.bench.finpages`` (a fresh SQLite file), or with
``DATABASE_URL=postgresql://…`` (a fresh database next to the one named, dropped after).

Through the whole app (HTTP handler, use case, template), best of ``--repeat``, on the
province with the most communes (every commune with officials): the split page's preview
by officials, its confirm (the split written, on a fresh line each time), the same preview
by weights read from an uploaded XLSX, and the line page once it lists every allocation.
Target: a preview and a write each under 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import time

from tests.bench.importing import _database_url, _drop

TARGET_S = 0.5


async def _best(repeat: int, make):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await make()
        best = min(best, time.perf_counter() - start)
    return best, result


def _weights_xlsx(codes: list[str]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã xã", "Trọng số"])
    for n, code in enumerate(codes):
        sheet.append([code, 1 + n % 9])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _run(repeat: int) -> list[tuple[str, float, str]]:
    import httpx
    from piccolo.query.functions.aggregate import Count

    from api import db
    from api.app import create_app
    from models.tables import Commune
    from procurement.accounts import users
    from procurement.seed.demo import ensure_reference_data

    await db.migrate()
    await ensure_reference_data()
    await db.open_pool()
    try:
        rows = await Commune.select(Commune.province.code.as_alias("p"), Count(Commune.id).as_alias("n")).group_by(
            Commune.province.code
        )
        province = max(rows, key=lambda r: r["n"])["p"]
        codes = [
            r["code"]
            for r in await Commune.select(Commune.code).where(Commune.province.code == province).order_by(Commune.code)
        ]
        for n, code in enumerate(codes):
            await Commune.update({Commune.officials: 5 + n % 17}).where(Commune.code == code)
        await users.create_user(
            users.UserCreate(username="bench-finance", password="do-toc-do-trang-tai-chinh-2025", role="finance")
        )
        app = create_app()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            login = await client.post(
                "/api/auth/login", json={"username": "bench-finance", "password": "do-toc-do-trang-tai-chinh-2025"}
            )
            client.cookies.clear()
            headers = {"Authorization": f"Bearer {login.json()['token']}"}

            async def new_line() -> int:
                answer = await client.post(
                    "/finance/lines",
                    data={
                        "number": "BENCH/KH",
                        "name": "Dòng ngân sách đo tốc độ",
                        "decision_date": "22/08/2025",
                        "fiscal_year": "2025",
                        "amount_vnd": "500.000.000.000",
                        "province_code": province,
                    },
                    headers=headers,
                )
                assert answer.status_code == 303, answer.text
                return int(re.search(r"/finance/lines/(\d+)", answer.headers["location"]).group(1))

            line_id = await new_line()
            split = {"total_vnd": (None, "123.456.789.012"), "basis": (None, "officials")}

            async def preview():
                answer = await client.post(f"/finance/lines/{line_id}/split", files=split, headers=headers)
                assert answer.status_code == 200, answer.text
                return answer

            preview_s, shown = await _best(repeat, preview)
            parts = len(re.findall(r'<tr data-code="\d{5}"><td>', shown.text.split('id="preview-table"')[1]))
            results = [("split preview (officials)", preview_s, f"{parts} communes of province {province}")]

            async def confirm():
                target = await new_line()
                page = await client.post(f"/finance/lines/{target}/split", files=split, headers=headers)
                form = {
                    name: re.search(rf'name="{name}" value="([^"]*)"', page.text).group(1)
                    for name in ("client_event_id", "total_vnd", "basis", "weights", "fingerprint")
                }
                start = time.perf_counter()
                answer = await client.post(f"/finance/lines/{target}/split/confirm", data=form, headers=headers)
                assert answer.status_code == 303, answer.text
                return time.perf_counter() - start

            confirm_s = min([await confirm() for _ in range(repeat)])
            results.append(("split confirm (written)", confirm_s, f"{parts} allocations in one transaction"))

            content = _weights_xlsx(codes)

            async def by_weights():
                answer = await client.post(
                    f"/finance/lines/{line_id}/split",
                    files={
                        "total_vnd": (None, "123.456.789.012"),
                        "basis": (None, "weights"),
                        "weights_file": ("w.xlsx", content, "application/octet-stream"),
                    },
                    headers=headers,
                )
                assert answer.status_code == 200, answer.text
                return answer

            weights_s, _ = await _best(repeat, by_weights)
            results.append(("split preview (XLSX weights)", weights_s, f"{len(content) // 1024} KB sheet"))
            written_line = line_id + 1  # the first confirmed line holds every commune's allocation

            async def line_page():
                answer = await client.get(f"/finance/lines/{written_line}", headers=headers)
                assert answer.status_code == 200
                return answer

            page_s, page = await _best(repeat, line_page)
            results.append(("line page (all allocations)", page_s, f"{len(page.content) // 1024} KB HTML"))
        return results
    finally:
        await db.close_pool()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    source = os.environ.get("DATABASE_URL", "")
    url, created = _database_url()
    os.environ["DATABASE_URL"] = url
    try:
        import models  # noqa: F401  (reads DATABASE_URL)
        from api import db

        engine = type(db.engine()).__name__
        results = asyncio.run(_run(args.repeat))
    finally:
        if created:
            _drop(source, created)
    print(f"finance setup pages on {engine}, best of {args.repeat}")
    for step, seconds, note in results:
        verdict = "" if "line page" in step else ("  OK" if seconds < TARGET_S else f"  SLOW (target < {TARGET_S} s)")
        print(f"  {step:<30} {seconds * 1000:7.0f} ms   {note}{verdict}")


if __name__ == "__main__":
    main()
