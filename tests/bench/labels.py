"""Benchmark label sheets: ``python -m tests.bench.labels [--labels N]``.

Runs the measurement in a fresh child process so "cold" really is cold (no
imported modules, empty QR and fragment caches), and reports:

* process: from launching the child to its first PDF, interpreter start included;
* imports: importing the rendering module and its libraries;
* first call: the first ``label_sheet_pdf`` (QR encoding, font loading);
* cold: imports + first call, i.e. from a started interpreter to PDF bytes;
* again: the same labels printed again in the same process (cached QRs).

The target is cold < 1.5 s and again < 0.3 s for 1,000 labels on A4 3 × 8.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

BASE_URL = "https://ts.dongnai.gov.vn"


def _measure(label_count: int, stock: str) -> dict:
    """Runs in the child process; must be the first thing it does."""
    start = time.perf_counter()
    import random

    from labels.qr import scan_url
    from labels.render import LabelData, label_sheet_pdf
    from labels.tags import new_tag

    imported = time.perf_counter()

    # Distinct, reproducible tags (a set: random tags could repeat).
    rng = random.Random(20260101)
    tags: list[str] = []
    seen: set[str] = set()
    while len(tags) < label_count:
        tag = new_tag(rng.randrange)
        if tag not in seen:
            seen.add(tag)
            tags.append(tag)
    labels = [
        LabelData(
            tag=tag,
            url=scan_url(BASE_URL, tag),
            commune_name="Xã An Viễn",
            category_name="Máy tính để bàn",
            owner_line="Tài sản UBND xã An Viễn",
        )
        for tag in tags
    ]

    first_start = time.perf_counter()
    pdf = label_sheet_pdf(labels, stock=stock)
    first_end = time.perf_counter()
    first_end_wall_clock = time.time()
    again_times = []
    for _ in range(5):
        again_start = time.perf_counter()
        label_sheet_pdf(labels, stock=stock)
        again_times.append(time.perf_counter() - again_start)
    return {
        "imports": imported - start,
        "first_call": first_end - first_start,
        "cold": (imported - start) + (first_end - first_start),
        "again_median": sorted(again_times)[len(again_times) // 2],
        "pdf_bytes": len(pdf),
        "first_end_wall_clock": first_end_wall_clock,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--stock", action="append", help="default: every stock")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(_measure(args.labels, args.stock[0])))
        return

    from labels.render import STOCKS

    for stock in args.stock or list(STOCKS):
        process_start = time.time()  # wall clock: compared with the child's
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.bench.labels",
                "--child",
                "--labels",
                str(args.labels),
                "--stock",
                stock,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout)
        process_time = figures["first_end_wall_clock"] - process_start
        print(
            f"{args.labels} labels on {stock}: "
            f"process to first PDF {process_time:.3f} s | imports {figures['imports']:.3f} s | "
            f"first call {figures['first_call']:.3f} s | "
            f"cold (imports + first call) {figures['cold']:.3f} s | "
            f"again {figures['again_median']:.3f} s | "
            f"PDF {figures['pdf_bytes'] / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()
