"""Nobody waits behind anybody: look-ups by tag while heavy requests run.

``DATABASE_URL=... python -m tests.bench.contention [--workers N]``

Serves the app (uvicorn, ``--workers`` processes, default one per core) on the
database ``DATABASE_URL`` names (the national synthetic set), then measures the
latency of look-ups by tag from 4 phones asking one after another:

1. alone (the baseline of the same run);
2. while, all at once, a planner downloads the whole register as XLSX and the
   XLSX of the whole ranked list,
   a commune uploads a 20,000-row sheet for an import dry run, and 20 people
   log in; until the last of them has its answer.

Prints p50 / p99 / max of each and the heavy requests' times. Target: p99 under
50 ms while the heavy requests run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid

import httpx

import models  # noqa: F401  (sets PICCOLO_CONF)
from api import db
from tests.bench.importing import _sheet
from tests.bench.lookup import free_port

PHONES = 4
LOGINS = 20
PASSWORD = "mat-khau-bench-123"


def _serve(port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 180  # every worker imports the app; slow on a busy machine
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return process
        except Exception:
            time.sleep(0.5)
    process.terminate()
    process.wait(timeout=30)
    raise RuntimeError("server did not start")


async def _prepare() -> tuple[list[str], list[str], bytes]:
    """Users (an admin and LOGINS others), sample tags, the 20,000-row sheet."""
    from models.tables import Asset
    from procurement.accounts import users
    from procurement.accounts.users import UserCreate

    await db.open_pool()
    try:
        run = uuid.uuid4().hex[:6]
        names = [f"bench-{run}-{n}" for n in range(LOGINS + 1)]
        for name in names:
            await users.create_user(UserCreate(username=name, password=PASSWORD, role="admin"))
        tags = [r["tag"] for r in await Asset.select(Asset.tag).limit(20_000)]
        sheet = await _sheet(20_000)
    finally:
        await db.close_pool()
    return names, random.Random(7).sample(tags, min(500, len(tags))), sheet


def _summary(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{len(ms):6d} look-ups  p50 {statistics.median(ms):6.1f} ms  p99 {p99:6.1f} ms  max {ms[-1]:7.1f} ms"


def _p99(latencies: list[float]) -> float:
    ms = sorted(x * 1000 for x in latencies)
    return ms[min(len(ms) - 1, int(len(ms) * 0.99))]


async def _phones(client: httpx.AsyncClient, tags: list[str], token: str, done: asyncio.Event, count: int | None):
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def phone(seed: int):
        rng = random.Random(seed)
        n = 0
        while not done.is_set() and (count is None or n < count):
            started = time.perf_counter()
            response = await client.get(f"/api/assets/by-tag/{rng.choice(tags)}", headers=headers)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            n += 1

    await asyncio.gather(*(phone(seed) for seed in range(PHONES)))
    return latencies


async def _run(port: int, names: list[str], tags: list[str], sheet: bytes) -> None:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits) as client:
        login = await client.post("/api/auth/login", json={"username": names[0], "password": PASSWORD})
        token = login.json()["token"]
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        await _phones(client, tags, token, asyncio.Event(), 50)  # warm up every worker
        alone = await _phones(client, tags, token, asyncio.Event(), 250)
        print(f"alone:                  {_summary(alone)}")

        done = asyncio.Event()
        timings: dict[str, float] = {}
        failures: list[str] = []

        async def timed(label: str, request):
            started = time.perf_counter()
            response = await request
            timings[label] = time.perf_counter() - started
            if response.status_code not in (200, 201):
                failures.append(f"{label}: {response.status_code} {response.text[:200]}")
            return response

        async def heavy():
            await asyncio.gather(
                timed("register XLSX", client.get("/api/assets/export?format=xlsx", headers=headers)),
                timed("ranked-list XLSX", client.get("/api/planning/priority.xlsx", headers=headers)),
                timed(
                    "20,000-row import dry run",
                    client.post(
                        "/api/import/dry-run",
                        headers=headers,
                        files={"file": ("thiet-bi.xlsx", sheet, "application/octet-stream")},
                    ),
                ),
                *(
                    timed(f"log-in {n}", client.post("/api/auth/login", json={"username": name, "password": PASSWORD}))
                    for n, name in enumerate(names[1:])
                ),
            )
            done.set()

        _, loaded = await asyncio.gather(heavy(), _phones(client, tags, token, done, None))
        print(f"while heavy requests:   {_summary(loaded)}")
        logins = [v for k, v in timings.items() if k.startswith("log-in")]
        print(
            f"heavy requests: register XLSX {timings['register XLSX']:.2f} s, "
            f"ranked-list XLSX {timings['ranked-list XLSX']:.2f} s, import dry run "
            f"{timings['20,000-row import dry run']:.2f} s, {len(logins)} log-ins slowest {max(logins):.2f} s"
        )
        for failure in failures:
            print(f"FAILED {failure}")
        p99 = _p99(loaded)
        print(f"look-up p99 under load {p99:.1f} ms: {'OK' if p99 < 50 else 'SLOW (target < 50 ms)'}")


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a server: its own process and every worker under it."""
    pids = [pid]
    children = f"/proc/{pid}/task/{pid}/children"
    if os.path.exists(children):
        with open(children) as file:
            pids += [int(child) for child in file.read().split()]
    total_kb = 0
    for each in pids:
        with open(f"/proc/{each}/status") as file:
            total_kb += next(int(line.split()[1]) for line in file if line.startswith("VmHWM:"))
    return total_kb / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print(f"engine from DATABASE_URL={os.environ.get('DATABASE_URL', '(default)')}; {args.workers} worker(s)")
    names, tags, sheet = asyncio.run(_prepare())
    port = free_port()
    server = _serve(port, args.workers)
    try:
        asyncio.run(_run(port, names, tags, sheet))
        print(f"server peak resident memory, all processes: {peak_memory_mb(server.pid):,.0f} MB (target < 1 GB)")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
