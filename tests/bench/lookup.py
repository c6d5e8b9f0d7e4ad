"""Benchmark: look-up of one asset by tag, and the scan page, over HTTP, requests per second.

For each engine, on the national synthetic data set (all 3,321 communes, about
150,000 devices), loaded by wrk with a rotating set of real tags, beside two
baselines measured in the same run, alternating, best of each kept:

1. **The minimal app** (:mod:`tests.bench.minimal_app`): a Litestar app with nothing
   of the project, served the same way (uvicorn, same options, same number of
   processes), that checks a Bearer token against an in-memory set, runs the same
   SELECT by tag on the raw driver and returns the row as JSON. The floor: targets
   are the look-up at least 0.6 of it and the scan page (``/s/TAG``) at least 0.5.
2. **The same-answer baseline** in the project's own app (``/bench/raw-lookup/{tag}``,
   :mod:`tests.bench.routes`): same authentication, guard, scoping and answer, byte
   for byte, with a bare driver instead of Piccolo; what the ORM costs.

    python -m tests.bench.lookup --sqlite data/national.sqlite \
        --postgres postgresql://postgres@127.0.0.1:5432/bench_register [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import asyncpg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "api", *args], env=env, check=True, capture_output=True, text=True
    ).stdout


async def ensure_pg_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    connection = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def vacuum_analyze(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def prepare(env: dict, devices: int) -> list[str]:
    """Data set (generated once), a bench user with an API token, and sample tags."""
    cli(env, "migrate")
    script = (
        "import asyncio, models\n"
        "from api import db\n"
        "from models.tables import Asset\n"
        "async def main():\n"
        "    await db.open_pool()\n"
        "    n = await Asset.count()\n"
        "    tags = [r['tag'] for r in await Asset.select(Asset.tag).order_by(Asset.id)]\n"
        "    print(n); print(' '.join(tags))\n"
        "    await db.close_pool()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    count = int(out.splitlines()[0])
    if count < devices * 0.9:
        print(f"  generating the national data set ({devices} devices)...", flush=True)
        cli(env, "synthetic", "--seed", "1", "--devices", str(devices))
        if env["DATABASE_URL"].startswith("postgres"):
            asyncio.run(vacuum_analyze(env["DATABASE_URL"]))
        out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    tags = out.splitlines()[1].split()
    return random.Random(7).sample(tags, min(2000, len(tags)))


def serve(
    env: dict, port: int, app: str = "api.asgi:app", health: str = "/api/health", workers: int = 1
) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        env={**env, "BENCH_RAW_ROUTES": "1"},
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=1)
            return process
        except Exception:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


LUA = """
tags = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "%s" .. tags[(i %% #tags) + 1], {["Authorization"] = "Bearer %s"})
end
"""


def wrk(port: int, prefix: str, tags: list[str], token: str, seconds: int, connections: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % (",".join(f'"{t}"' for t in tags), prefix, token))
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    if re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout):
        raise RuntimeError(f"errors during the run:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def bench_engine(name: str, url: str, args) -> dict[str, float]:
    env = {**os.environ, "DATABASE_URL": url}
    print(f"{name}: preparing {url}", flush=True)
    tags = prepare(env, args.devices)
    username = "bench-reader"
    try:
        cli(env, "create-user", "--username", username, "--role", "national", "--password", "bench-password-long")
    except subprocess.CalledProcessError:
        pass  # made by an earlier run
    token = cli(env, "token", "--username", username, "--name", "benchmark").strip()
    routes = {  # what is measured: (server, path prefix)
        "look-up": ("project", "/api/assets/by-tag/"),
        "scan page": ("project", "/s/"),
        "same answer, bare driver": ("project", "/bench/raw-lookup/"),
        "minimal app": ("minimal", "/minimal/by-tag/"),
    }
    ports = {"project": free_port(), "minimal": free_port()}
    servers = {
        "project": serve(env, ports["project"], workers=args.workers),
        "minimal": serve(
            {**env, "MINIMAL_TOKENS": token},
            ports["minimal"],
            app="tests.bench.minimal_app:app",
            health="/minimal/health",
            workers=args.workers,
        ),
    }
    best = dict.fromkeys(routes, 0.0)
    try:
        for server, prefix in routes.values():  # warm up
            wrk(ports[server], prefix, tags, token, 2, args.connections)
        # Alternate and keep each one's best, so a passing load on the machine
        # (autovacuum, another process) does not decide the ratios.
        for _ in range(args.rounds):
            for label, (server, prefix) in routes.items():
                best[label] = max(best[label], wrk(ports[server], prefix, tags, token, args.seconds, args.connections))
    finally:
        for process in servers.values():
            process.terminate()
            process.wait()
    floor = best["minimal app"]
    print(
        f"{name}: look-up {best['look-up']:,.0f} req/s ({best['look-up'] / floor:.2f} of the minimal app, "
        f"{best['look-up'] / best['same answer, bare driver']:.0%} of the same-answer baseline); "
        f"scan page {best['scan page']:,.0f} ({best['scan page'] / floor:.2f}); "
        f"minimal app {floor:,.0f}; same answer, bare driver {best['same answer, bare driver']:,.0f}",
        flush=True,
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", default="data/national.sqlite")
    parser.add_argument("--postgres", default=None, help="e.g. postgresql://postgres@127.0.0.1:5432/bench_register")
    parser.add_argument("--devices", type=int, default=150_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="server processes, the same for both apps")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results = {"SQLite": bench_engine("SQLite", f"sqlite:///{args.sqlite}", args)}
    if args.postgres:
        asyncio.run(ensure_pg_database(args.postgres))
        results["PostgreSQL"] = bench_engine("PostgreSQL", args.postgres, args)
    print(
        "\n| engine | look-up req/s | scan page req/s | minimal app req/s | same answer, bare driver req/s "
        "| look-up ÷ minimal (≥ 0.6) | scan page ÷ minimal (≥ 0.5) | look-up ÷ same answer |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, best in results.items():
        floor, same = best["minimal app"], best["same answer, bare driver"]
        print(
            f"| {name} | {best['look-up']:,.0f} | {best['scan page']:,.0f} | {floor:,.0f} | {same:,.0f} "
            f"| {best['look-up'] / floor:.2f} | {best['scan page'] / floor:.2f} | {best['look-up'] / same:.0%} |"
        )


if __name__ == "__main__":
    main()
