"""Benchmark: uploading a 200 KB photo of a device, server time (the app called in-process
through its ASGI interface: multipart parsing, the type check that decodes the whole image,
the file written and synced, the row and the history event in one transaction).

    python -m tests.bench.photos                       # SQLite (a temporary file)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m tests.bench.photos

Target (issue 14): under 0.2 s per upload. Also prints a resend (same client_event_id:
answered from the store) and the read of the bytes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid

from tests.bench.importing import _database_url, _drop

UPLOADS = int(os.environ.get("BENCH_UPLOADS", "40"))


def _summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return (
        f"{name}: median {statistics.median(ordered) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms ({len(ordered)} requests)"
    )


async def _run() -> None:
    import httpx

    from api import db
    from api.app import create_app
    from procurement.accounts import users as accounts
    from procurement.accounts.users import UserCreate
    from procurement.core.actor import Actor
    from procurement.register.devices import register_asset
    from procurement.register.schemas import AssetCreate
    from procurement.seed.demo import ensure_reference_data
    from tests.support.images import jpeg_near

    await db.migrate()
    await ensure_reference_data()
    await db.open_pool()
    try:
        password = "bench-mat-khau-anh"
        await accounts.create_user(
            UserCreate(username="bench.photo", password=password, role="staff", commune_code="26296")
        )
        admin = await accounts.create_user(UserCreate(username="bench.admin", password=password, role="admin"))
        asset = await register_asset(
            Actor(user_id=admin.id, username="bench.admin", role="admin"),
            AssetCreate(category="desktop", commune_code="26296", make="Dell", model="OptiPlex 3080"),
        )
        photo = jpeg_near(200 * 1024)
        app = create_app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answer = await client.post("/api/auth/login", json={"username": "bench.photo", "password": password})
            headers = {"Authorization": f"Bearer {answer.json()['token']}"}
            client.cookies.clear()
            url = f"/api/assets/{asset.id}/photos"

            async def upload(event_id: str) -> tuple[float, dict]:
                started = time.perf_counter()
                answer = await client.post(
                    url,
                    headers=headers,
                    files={"file": ("anh.jpg", photo, "image/jpeg")},
                    data={"client_event_id": event_id, "caption": "Ảnh kiểm kê"},
                )
                elapsed = time.perf_counter() - started
                assert answer.status_code == 201, answer.text
                return elapsed, answer.json()

            await upload(str(uuid.uuid4()))  # warm-up: imports, first connection
            firsts, resends, reads = [], [], []
            last: dict = {}
            for _ in range(UPLOADS):
                event_id = str(uuid.uuid4())
                elapsed, last = await upload(event_id)
                firsts.append(elapsed)
                elapsed, again = await upload(event_id)
                assert again == last
                resends.append(elapsed)
                started = time.perf_counter()
                served = await client.get(last["url"], headers=headers)
                reads.append(time.perf_counter() - started)
                assert served.content == photo
        # The parts: the type check (a full decode) and the file written and synced, alone.
        from procurement.lifecycle.photos import _write, check_image, photo_dir

        decode, write = [], []
        for i in range(UPLOADS):
            started = time.perf_counter()
            check_image(photo, len(photo))
            decode.append(time.perf_counter() - started)
            started = time.perf_counter()
            _write(photo_dir() / "bench" / f"{i}.jpg", photo)
            write.append(time.perf_counter() - started)
        print(
            f"photo: {len(photo):,} bytes JPEG, {last['width']} × {last['height']}; engine {type(db.engine()).__name__}"
        )
        print(_summary("upload (new)", firsts) + " — target < 200 ms")
        print(_summary("resend (same client_event_id)", resends))
        print(_summary("read the bytes", reads))
        print(_summary("of an upload: the type check (decode) alone", decode))
        print(_summary("of an upload: the file written and fsynced alone", write))
    finally:
        await db.close_pool()


def main() -> None:
    url, created = _database_url()
    source = os.environ.get("DATABASE_URL", "")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PHOTO_DIR", tempfile.mkdtemp(prefix="bench-photos-"))
    try:
        asyncio.run(_run())
    finally:
        if created:
            _drop(source, created)


if __name__ == "__main__":
    main()
