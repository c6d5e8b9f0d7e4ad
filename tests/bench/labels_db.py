"""Benchmark the label path end to end: ``python -m tests.bench.labels_db``.

Sets up a database with one commune of 1,000 devices (SQLite in a temporary
folder, or the PostgreSQL of ``--database``), then measures in a fresh child
process, so "cold" includes importing the app's modules and an empty QR cache:

* cold: imports + the first ``print_sheet`` (DB read, QR encoding, PDF, print log);
* again: the same commune printed again in the same process (median of 5).

Each figure is wall time, with the process's CPU time beside it: on a machine
shared with other work the CPU time says more than the wall time.

Targets: 1,000 labels on A4 3 × 8 in under 1.5 s cold and 0.3 s again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

COMMUNE = "26296"  # Xã An Viễn
BASE_URL = "https://ts.dongnai.gov.vn"


def _child(labels: int, stock: str) -> dict:
    start, start_cpu = time.perf_counter(), time.process_time()
    import models  # noqa: F401
    from api import db
    from procurement.core.actor import Actor
    from procurement.register.labelling import LabelSelection, print_sheet

    imported = time.perf_counter()

    async def go():
        await db.open_pool()
        actor = Actor(user_id=None, username="bench", role="admin")
        selection = LabelSelection(commune_code=COMMUNE, stock=stock)
        first_start = time.perf_counter()
        pdf, count = await print_sheet(actor, selection, BASE_URL)
        first = time.perf_counter() - first_start
        cold_cpu = time.process_time() - start_cpu
        again = []
        for _ in range(5):
            t, cpu = time.perf_counter(), time.process_time()
            await print_sheet(actor, selection, BASE_URL)
            again.append((time.perf_counter() - t, time.process_time() - cpu))
        await db.close_pool()
        return first, cold_cpu, sorted(again)[2], len(pdf), count

    first, cold_cpu, (again, again_cpu), size, count = asyncio.run(go())
    return {
        "cold_cpu": cold_cpu,
        "again_cpu": again_cpu,
        "imports": imported - start,
        "first_call": first,
        "cold": imported - start + first,
        "again": again,
        "pdf_bytes": size,
        "labels": count,
    }


async def _setup(labels: int) -> None:
    import random

    from api import db
    from models.tables import Commune
    from procurement.seed.demo import ensure_reference_data, fleet_for_commune, insert_assets

    await db.migrate()
    await ensure_reference_data()
    await db.open_pool()
    commune = await Commune.select(Commune.id, Commune.officials, Commune.remote).where(Commune.code == COMMUNE).first()
    commune.update(officials=30, remote=False)
    rng = random.Random(1)
    rows: list[dict] = []
    while len(rows) < labels:
        rows += fleet_for_commune(rng, commune, __import__("datetime").date.today())
    await insert_assets(rows[:labels], [commune["id"]] * labels, None)
    await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--stock", default="a4-3x8")
    parser.add_argument("--database", default=None, help="An empty database URL; default: a temporary SQLite file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.labels, args.stock)))
        return
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-labels-')}/bench.sqlite"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-c", f"import asyncio, tests.bench.labels_db as b; asyncio.run(b._setup({args.labels}))"],
        env=env,
        check=True,
    )
    for run in (1, 2):
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.bench.labels_db",
                "--child",
                "--labels",
                str(args.labels),
                "--stock",
                args.stock,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        f = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"run {run}: {f['labels']} labels on {args.stock} from the database: imports {f['imports']:.3f} s | "
            f"first print {f['first_call']:.3f} s | cold (imports + first print) {f['cold']:.3f} s "
            f"(cpu {f['cold_cpu']:.3f} s) | again {f['again']:.3f} s (cpu {f['again_cpu']:.3f} s) | "
            f"PDF {f['pdf_bytes'] / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
