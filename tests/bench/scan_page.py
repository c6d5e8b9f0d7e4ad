"""Benchmark: the scan page (/s/TAG, HTML) over HTTP, requests per second, served
plain and gzip-compressed by the same server: ``python -m tests.bench.scan_page``.

The demo data (Đồng Nai) in a temporary SQLite file, the app under uvicorn (one
worker), wrk with a rotating set of real tags and an admin's API token (pages
accept it like the session cookie). Each round loads the page without
``Accept-Encoding`` (the answer as before compression existed: the middleware
only looks at the header and passes it through) and with ``Accept-Encoding:
gzip``; the best of each is kept, so a passing load on the machine does not
decide the ratio. Target: compressed ≥ 90 % of plain.

On a machine shared with other work the requests per second swing with the
neighbours' load; the server's own CPU time per request (read from /proc before
and after each run) does not, and since one server process is CPU-bound under
wrk, plain CPU per request ÷ gzip CPU per request is the capacity ratio a quiet
machine would show. Both ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from tests.bench.lookup import cli, free_port

LUA = """
tags = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/s/" .. tags[(i %% #tags) + 1], {["Authorization"] = "Bearer %s"%s})
end
"""


def serve(env: dict, port: int) -> subprocess.Popen:
    """uvicorn as tests.bench.lookup runs it; waits up to a minute on a busy machine."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server stopped")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    port: int, tags: list[str], token: str, gzip: bool, seconds: int, connections: int, pid: int
) -> tuple[float, float, float]:
    """(requests/s, transfer KB per request, server CPU milliseconds per request)."""
    cpu = cpu_seconds(pid)
    extra = ', ["Accept-Encoding"] = "gzip"' if gzip else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % (",".join(f'"{t}"' for t in tags), token, extra))
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu = cpu_seconds(pid) - cpu
    os.unlink(script.name)
    if re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout):
        raise RuntimeError(f"errors during the run:\n{result.stdout}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
    size, unit = re.search(r"requests in [\d.]+\w+, ([\d.]+)(\w+) read", result.stdout).groups()
    kilobytes = float(size) * {"B": 1 / 1024, "KB": 1, "MB": 1024, "GB": 1024 * 1024}[unit]
    return rate, kilobytes / max(requests, 1), 1000 * cpu / max(requests, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    folder = tempfile.mkdtemp()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/scan.sqlite"}
    cli(env, "migrate")
    cli(env, "demo")
    cli(env, "create-user", "--username", "bench-admin", "--role", "admin", "--password", "bench-password")
    token = cli(env, "token", "--username", "bench-admin", "--name", "benchmark").strip()
    script = (
        "import asyncio, models\n"
        "from api import db\n"
        "from models.tables import Asset\n"
        "async def main():\n"
        "    await db.open_pool()\n"
        "    print(' '.join(r['tag'] for r in await Asset.select(Asset.tag).order_by(Asset.id).limit(500)))\n"
        "    await db.close_pool()\n"
        "asyncio.run(main())\n"
    )
    tags = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    port = free_port()
    server = serve(env, port)
    try:
        wrk(port, tags, token, True, 2, args.connections, server.pid)  # warm up
        plain = compressed = (0.0, 0.0, 0.0)
        plain_cpu: list[float] = []
        compressed_cpu: list[float] = []
        for _ in range(args.rounds):
            run = wrk(port, tags, token, False, args.seconds, args.connections, server.pid)
            plain, plain_cpu = max(plain, run), [*plain_cpu, run[2]]
            run = wrk(port, tags, token, True, args.seconds, args.connections, server.pid)
            compressed, compressed_cpu = max(compressed, run), [*compressed_cpu, run[2]]
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"scan page, {len(tags)} tags, {args.connections} connections: "
        f"plain {plain[0]:,.0f} req/s ({plain[1]:.1f} KB each); "
        f"gzip {compressed[0]:,.0f} req/s ({compressed[1]:.1f} KB each); ratio {compressed[0] / plain[0]:.0%}"
    )
    cpu_plain, cpu_gzip = statistics.median(plain_cpu), statistics.median(compressed_cpu)
    print(
        f"server CPU per request (median of {args.rounds}): plain {cpu_plain:.3f} ms, gzip {cpu_gzip:.3f} ms; "
        f"capacity ratio {cpu_plain / cpu_gzip:.0%}"
    )


if __name__ == "__main__":
    main()
