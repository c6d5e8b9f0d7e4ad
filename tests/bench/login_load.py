"""Benchmark: a look-up by tag while a burst of wrong log-ins arrives (issue 16).

The app is served by uvicorn (one worker) in a subprocess on a small SQLite data
set, with the production argon2 cost (64 MiB, 3 passes). The benchmark keeps a few
clients looking devices up by tag (GET /api/assets/by-tag/{tag}) and, meanwhile,
fires 50 log-ins with wrong passwords at once, several times. It prints the
look-up latency (p50/p99) when quiet and under the bursts, and what the log-ins
were answered (401 checked, 429 refused because the hashing gate was full).
Target: p99 under 100 ms under the bursts.

    python -m tests.bench.login_load [--devices 3000] [--bursts 5] [--logins 50]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from tests.bench.lookup import cli, free_port, serve

# The production hashing cost: none of the test suite's cheap settings.
PRODUCTION = {k: v for k, v in os.environ.items() if not k.startswith("ARGON2_")}


def prepare(env: dict, devices: int) -> tuple[list[str], str]:
    cli(env, "migrate")
    cli(env, "synthetic", "--seed", "1", "--devices", str(devices))
    script = (
        "import asyncio, models\n"
        "from api import db\n"
        "from models.tables import Asset\n"
        "async def main():\n"
        "    await db.open_pool()\n"
        "    print(' '.join(r['tag'] for r in await Asset.select(Asset.tag)))\n"
        "    await db.close_pool()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    tags = random.Random(7).sample(out.split(), min(500, len(out.split())))
    cli(env, "create-user", "--username", "bench-reader", "--role", "national", "--password", "doc-so-thiet-bi")
    token = cli(env, "token", "--username", "bench-reader", "--name", "benchmark").strip()
    return tags, token


async def look_ups(client: httpx.AsyncClient, tags: list[str], token: str, stop: asyncio.Event, out: list[float]):
    headers = {"Authorization": f"Bearer {token}"}
    i = random.randrange(len(tags))
    while not stop.is_set():
        i += 1
        started = time.perf_counter()
        answer = await client.get(f"/api/assets/by-tag/{tags[i % len(tags)]}", headers=headers)
        out.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"look-up answered {answer.status_code}: {answer.text}")


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms ({len(ms)} look-ups)"


async def run(port: int, tags: list[str], token: str, args) -> None:
    limits = httpx.Limits(max_connections=args.logins + args.readers + 10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=600) as client:
        # Warm up, then the quiet baseline.
        warm: list[float] = []
        stop = asyncio.Event()
        readers = [asyncio.create_task(look_ups(client, tags, token, stop, warm)) for _ in range(args.readers)]
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*readers)
        quiet: list[float] = []
        stop = asyncio.Event()
        readers = [asyncio.create_task(look_ups(client, tags, token, stop, quiet)) for _ in range(args.readers)]
        await asyncio.sleep(args.quiet_seconds)
        stop.set()
        await asyncio.gather(*readers)
        print(f"quiet:        {percentiles(quiet)}", flush=True)

        loaded: list[float] = []
        answers: collections.Counter[int] = collections.Counter()
        burst_times = []
        stop = asyncio.Event()
        readers = [asyncio.create_task(look_ups(client, tags, token, stop, loaded)) for _ in range(args.readers)]
        for burst in range(args.bursts):
            started = time.perf_counter()
            replies = await asyncio.gather(
                *(
                    client.post(
                        "/api/auth/login",
                        json={"username": f"attacker-{burst}-{i}", "password": f"doan-mo-{i:04d}-xyz"},
                    )
                    for i in range(args.logins)
                )
            )
            burst_times.append(time.perf_counter() - started)
            answers.update(r.status_code for r in replies)
        stop.set()
        await asyncio.gather(*readers)
        print(f"under bursts: {percentiles(loaded)}", flush=True)
        print(
            f"log-ins: {args.bursts} bursts of {args.logins}; answers {dict(sorted(answers.items()))}; "
            f"a burst took {statistics.median(burst_times) * 1000:.0f} ms (median)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--readers", type=int, default=4, help="clients looking devices up meanwhile")
    parser.add_argument("--quiet-seconds", type=float, default=3.0)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-login-")
    # Every burst comes from this one address: lift the per-address limit so that each
    # log-in reaches the hashing (the worst case for the server), not the throttle.
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite", "LOGIN_ADDRESS_FREE_ATTEMPTS": "100000"}
    print(f"preparing a SQLite data set of {args.devices} devices in {folder}", flush=True)
    tags, token = prepare(env, args.devices)
    port = free_port()
    server = serve(env, port)
    try:
        asyncio.run(run(port, tags, token, args))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
