"""Contract list searched by supplier name without diacritics, 30,000 contracts:
``DATABASE_URL=... python -m tests.bench.contract_search [--load]``.

``--load`` first adds the national synthetic budgets (30,000 contracts, 100,000
payments; as ``python -m tests.bench.finance_db --load``) to the database named by
``DATABASE_URL``. Then times, best of ``--repeat``, the contract list of the finance
pages (:func:`procurement.finance.budget.contract_summaries`, 200 rows at most)
filtered by words typed without diacritics, beside two baselines in the same run:
the bare SQL of the filter (a count over ``contract.search_text``) and the former
way (every contract read, then matched in Python). Target: under 0.2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

import models  # noqa: F401
from api import db
from models.procurement import Contract
from procurement.core.actor import Actor
from procurement.core.text import has_words, like_pattern, search_key
from procurement.finance import budget

QUERIES = ("nha cung cap tinh 75", "thu nghiem 12345", "tinh 01 hd-tn")


async def _best(repeat: int, make):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await make()
        best = min(best, time.perf_counter() - start)
    return best, result


async def _former(q: str) -> int:
    rows = await Contract.select(Contract.id, Contract.number, Contract.supplier.name.as_alias("supplier_name"))
    return len([r for r in rows if has_words(q, f"{r['number']} {r['supplier_name']}")][:200])


async def _bare(q: str) -> int:
    query = Contract.count()
    for word in search_key(q).split():
        query = query.where(Contract.search_text.like(like_pattern(word)))
    return await query


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    await db.migrate()
    await db.open_pool()
    try:
        if args.load:
            from procurement.seed.synthetic_budget import load_national_budget

            print("loaded", await load_national_budget(today=date(2026, 6, 30)))
        actor = Actor(user_id=0, username="bench", role="finance")
        print(f"engine {type(db.engine()).__name__}, {await Contract.count()} contracts")
        for q in QUERIES:
            ours, rows = await _best(args.repeat, lambda q=q: budget.contract_summaries(actor, q=q))
            bare, count = await _best(args.repeat, lambda q=q: _bare(q))
            former, _ = await _best(max(1, args.repeat // 2), lambda q=q: _former(q))
            print(
                f"{q!r:<26} ours {ours * 1000:7.1f} ms ({len(rows or [])} rows of {count} matching)"
                f" | bare SQL count {bare * 1000:7.1f} ms | former read-all {former * 1000:8.1f} ms"
            )
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
