"""Benchmark: what province scoping costs the look-up by tag, in requests per second.

On the national synthetic data set, the app is served by uvicorn (one worker) and
loaded by wrk with the same rotating set of tags of one province, twice: as a
national reader (role ``national``: no province to check) and as a planner of that
province (every answer checked against the province's communes). Both get the same
answers, byte for byte; the difference is the scoping. The two runs alternate and
each keeps its best, so a passing load on the machine does not decide the ratio.
Budget: scoping costs at most 5% of the requests per second.

    python -m tests.bench.province --sqlite data/national.sqlite [--postgres URL] [--devices 150000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys

from tests.bench.lookup import cli, ensure_pg_database, free_port, prepare, serve, wrk

PROVINCE = "01"  # Hà Nội: the most communes


def province_tags(env: dict, province: str) -> list[str]:
    script = (
        "import asyncio, sys, models\n"
        "from api import db\n"
        "from models.tables import Asset\n"
        "async def main():\n"
        "    await db.open_pool()\n"
        "    rows = await Asset.select(Asset.tag).where(Asset.commune._.province._.code == sys.argv[1])\n"
        "    print(' '.join(r['tag'] for r in rows))\n"
        "    await db.close_pool()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, province], env=env, check=True, capture_output=True, text=True
    ).stdout
    tags = out.split()
    return random.Random(7).sample(tags, min(2000, len(tags)))


def user_token(env: dict, username: str, *role_args: str) -> str:
    try:
        cli(env, "create-user", "--username", username, *role_args, "--password", "bench-password-long")
    except subprocess.CalledProcessError:
        pass  # made by an earlier run
    return cli(env, "token", "--username", username, "--name", "benchmark").strip()


def bench_engine(name: str, url: str, args) -> tuple[float, float]:
    env = {**os.environ, "DATABASE_URL": url}
    print(f"{name}: preparing {url}", flush=True)
    prepare(env, args.devices)
    tags = province_tags(env, args.province)
    country = user_token(env, "bench-country", "--role", "national")
    provincial = user_token(env, f"bench-province-{args.province}", "--role", "planner", "--province", args.province)
    port = free_port()
    server = serve(env, port)
    try:
        for token in (country, provincial):  # warm up (and check both answer every tag)
            wrk(port, "/api/assets/by-tag/", tags, token, 2, args.connections)
        national = scoped = 0.0
        for _ in range(args.rounds):
            national = max(national, wrk(port, "/api/assets/by-tag/", tags, country, args.seconds, args.connections))
            scoped = max(scoped, wrk(port, "/api/assets/by-tag/", tags, provincial, args.seconds, args.connections))
    finally:
        server.terminate()
        server.wait()
    cost = 1 - scoped / national
    print(f"{name}: national {national:,.0f} req/s; province {scoped:,.0f} req/s; scoping costs {cost:.1%}", flush=True)
    return national, scoped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", default="data/national.sqlite")
    parser.add_argument("--postgres", default=None, help="e.g. postgresql://postgres@127.0.0.1:5432/bench_register")
    parser.add_argument("--devices", type=int, default=150_000)
    parser.add_argument("--province", default=PROVINCE)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results = {"SQLite": bench_engine("SQLite", f"sqlite:///{args.sqlite}", args)}
    if args.postgres:
        asyncio.run(ensure_pg_database(args.postgres))
        results["PostgreSQL"] = bench_engine("PostgreSQL", args.postgres, args)
    print("\n| engine | national reader req/s | provincial reader req/s | cost of scoping |\n|---|---|---|---|")
    worst = 0.0
    for name, (national, scoped) in results.items():
        cost = 1 - scoped / national
        worst = max(worst, cost)
        print(f"| {name} | {national:,.0f} | {scoped:,.0f} | {cost:.1%} |")
    print(f"\nbudget: at most 5% ({'met' if worst <= 0.05 else 'NOT met'})")


if __name__ == "__main__":
    main()
