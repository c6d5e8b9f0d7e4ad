"""Deterministic synthetic disbursement data that respects every rule in :mod:`procurement.finance.rules`.

Uses the real post-2025 administrative map shipped with ``vietnam-provinces``
(34 provinces, 3,321 communes/wards), so the national benchmark is
``synthetic_disbursement(3321, 30_000, 100_000, seed=..., today=...)``.

Shape of the data, per selected province:

* one top-level line (a "KH-UBND" plan) with three milestones
  (≈20 % after two months, ≈50 % after five, 100 % at the deadline);
* one sub-line for the province's central purchasing (≈10 % of the plan),
  without milestones of its own (it inherits the parent's schedule) and
  fully allocated to a single central allocation (commune_code null);
* every selected commune of the province gets an allocation from the
  top-level line; 1–3 % of the line stays unallocated;
* contracts are spread over allocations (some communes get none), each
  allocation is contracted at 60–100 %, signed between the decision date and
  ``today``;
* payments are spread over contracts (some contracts unpaid), paid 20–100 %
  of the value, dated between signing and ``today``; about one contract in
  ten with several payments has one of them (partly or fully) reversed by a
  later negative row that names it in ``reverses_payment_id``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from procurement.core.money import split_by_weights
from procurement.finance.disbursement import (
    ALLOCATIONS_SCHEMA,
    CONTRACTS_SCHEMA,
    LINES_SCHEMA,
    MILESTONES_SCHEMA,
    PAYMENTS_SCHEMA,
)

__all__ = ["DisbursementFrames", "synthetic_disbursement"]

CENTRAL_NAME = "Mua sắm tập trung cấp tỉnh"


@dataclass(frozen=True)
class DisbursementFrames:
    lines: pl.DataFrame
    milestones: pl.DataFrame
    allocations: pl.DataFrame
    contracts: pl.DataFrame
    payments: pl.DataFrame

    def lazy(self) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
        """The five frames as LazyFrames, in report-argument order."""
        return (
            self.lines.lazy(),
            self.milestones.lazy(),
            self.allocations.lazy(),
            self.contracts.lazy(),
            self.payments.lazy(),
        )


def _divisions() -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    from vietnam_provinces import Province, Ward

    provinces = sorted((f"{int(p.code):02d}", p.name) for p in Province.iter_all())
    communes: dict[str, list[tuple[str, str]]] = {code: [] for code, _ in provinces}
    for ward in Ward.iter_all():
        communes[f"{int(ward.province_code):02d}"].append((f"{int(ward.code):05d}", ward.name))
    for rows in communes.values():
        rows.sort()
    return provinces, communes


def _day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def synthetic_disbursement(
    n_communes: int,
    n_contracts: int,
    n_payments: int,
    seed: int = 0,
    today: date = date(2026, 3, 31),
    *,
    n_provinces: int | None = None,
) -> DisbursementFrames:
    """Build the five report input frames (eager DataFrames; ``.lazy()`` for the reports).

    ``n_provinces`` defaults to ``min(34, max(1, n_communes // 20))``.
    The same arguments always give the same frames.  ``payments`` carries an
    extra nullable column ``reverses_payment_id``.
    """
    if not 1 <= n_communes <= 3321:
        raise ValueError("n_communes must be between 1 and 3,321 (the communes of Viet Nam)")
    if n_contracts < 0 or n_payments < 0:
        raise ValueError("n_contracts and n_payments must be >= 0")
    rng = random.Random(seed)
    provinces, communes_by_province = _divisions()
    if n_provinces is None:
        n_provinces = min(len(provinces), max(1, n_communes // 20))
    if not 1 <= n_provinces <= len(provinces):
        raise ValueError(f"n_provinces must be between 1 and {len(provinces)}")
    chosen = sorted(rng.sample(provinces, n_provinces))
    pool = [(pcode, c) for pcode, _ in chosen for c in communes_by_province[pcode]]
    if n_communes > len(pool):
        raise ValueError(f"the {n_provinces} chosen provinces only have {len(pool)} communes")
    picked = sorted(rng.sample(range(len(pool)), n_communes))
    communes: dict[str, list[tuple[str, str]]] = {pcode: [] for pcode, _ in chosen}
    for index in picked:
        pcode, commune = pool[index]
        communes[pcode].append(commune)

    lines: list[dict] = []
    milestones: list[dict] = []
    allocations: list[dict] = []  # plus helper keys prefixed with "_"
    next_line = 1
    for pcode, pname in chosen:
        decision = today - timedelta(days=rng.randint(150, 300))
        deadline = decision + timedelta(days=rng.randint(300, 400))
        n_here = len(communes[pcode])
        amount = (n_here * rng.randint(2_000, 8_000) + rng.randint(5_000, 20_000)) * 1_000_000 + rng.randint(
            0, 999
        ) * 1000
        central, communal = split_by_weights(amount, {"central": 0.1, "communal": 0.9}).values()
        plan_no = rng.randint(10, 199)
        top_id, sub_id = next_line, next_line + 1
        next_line += 2
        common = {"decision_date": decision, "fiscal_year": decision.year, "deadline": deadline, "province_code": pcode}
        lines.append(
            {
                "line_id": top_id,
                "parent_id": None,
                "number": f"{plan_no}/KH-UBND",
                "name": f"Trang bị thiết bị cho xã, phường và điểm phục vụ hành chính công — {pname}",
                "amount_vnd": amount,
                **common,
            }
        )
        lines.append(
            {
                "line_id": sub_id,
                "parent_id": top_id,
                "number": f"{plan_no}/KH-UBND (MSTT)",
                "name": f"Mua sắm tập trung — {pname}",
                "amount_vnd": central,
                **common,
            }
        )
        first = rng.uniform(0.15, 0.3)
        second = rng.uniform(0.45, 0.65)
        for days, share in ((60, first), (150, second)):
            milestones.append(
                {"line_id": top_id, "due_on": decision + timedelta(days=days), "target_share": round(share, 2)}
            )
        milestones.append({"line_id": top_id, "due_on": deadline, "target_share": 1.0})
        allocations.append(
            {
                "line_id": sub_id,
                "commune_code": None,
                "commune_name": CENTRAL_NAME,
                "amount_vnd": central,
                "_decision": decision,
            }
        )
        if n_here:
            reserve = communal * rng.randint(1, 3) // 100
            shares = split_by_weights(communal - reserve, {code: rng.randint(1, 100) for code, _ in communes[pcode]})
            for code, name in communes[pcode]:
                allocations.append(
                    {
                        "line_id": top_id,
                        "commune_code": code,
                        "commune_name": name,
                        "amount_vnd": shares[code],
                        "_decision": decision,
                    }
                )
    for index, allocation in enumerate(allocations, start=1):
        allocation["allocation_id"] = index

    contracts: list[dict] = []
    if n_contracts and allocations:
        weights = {
            a["allocation_id"]: (
                5.0 if a["commune_code"] is None else (0.0 if rng.random() < 0.08 else rng.uniform(0.5, 1.5))
            )
            for a in allocations
        }
        if not any(weights.values()):
            weights[allocations[0]["allocation_id"]] = 1.0
        counts = split_by_weights(n_contracts, weights)
        for allocation in allocations:
            k = counts[allocation["allocation_id"]]
            if not k:
                continue
            usable = allocation["amount_vnd"] * rng.randint(60, 100) // 100
            values = split_by_weights(usable, {i: rng.randint(1, 10) for i in range(k)})
            for i in range(k):
                if values[i] <= 0:
                    raise ValueError("allocation too small for its number of contracts; lower n_contracts")
                contracts.append(
                    {
                        "contract_id": len(contracts) + 1,
                        "allocation_id": allocation["allocation_id"],
                        "line_id": allocation["line_id"],
                        "commune_code": allocation["commune_code"],
                        "value_vnd": values[i],
                        "signed_on": _day_between(rng, allocation["_decision"], today),
                    }
                )

    payments: list[dict] = []
    if n_payments and contracts:
        weights = {c["contract_id"]: (0.0 if rng.random() < 0.1 else rng.uniform(0.5, 1.5)) for c in contracts}
        if not any(weights.values()):
            weights[contracts[0]["contract_id"]] = 1.0
        counts = split_by_weights(n_payments, weights)
        for contract in contracts:
            m = counts[contract["contract_id"]]
            if not m:
                continue
            reversal = m >= 2 and rng.random() < 0.1
            n_positive = m - 1 if reversal else m
            to_pay = contract["value_vnd"] * rng.randint(20, 100) // 100
            parts = split_by_weights(to_pay, {i: rng.randint(1, 10) for i in range(n_positive)})
            paid_days = sorted(_day_between(rng, contract["signed_on"], today) for _ in range(n_positive))
            rows: list[dict[str, Any]] = []
            for i in range(n_positive):
                if parts[i] <= 0:
                    raise ValueError("contract too small for its number of payments; lower n_payments")
                rows.append(
                    {
                        "payment_id": len(payments) + len(rows) + 1,
                        "amount_vnd": parts[i],
                        "paid_on": paid_days[i],
                        "reverses_payment_id": None,
                    }
                )
            if reversal:
                original = rows[rng.randrange(len(rows))]
                amount = original["amount_vnd"] if rng.random() < 0.5 else max(1, original["amount_vnd"] // 3)
                rows.append(
                    {
                        "payment_id": len(payments) + len(rows) + 1,
                        "amount_vnd": -amount,
                        "paid_on": _day_between(rng, original["paid_on"], today),
                        "reverses_payment_id": original["payment_id"],
                    }
                )
            for row in rows:
                payments.append(
                    {
                        **row,
                        "contract_id": contract["contract_id"],
                        "allocation_id": contract["allocation_id"],
                        "line_id": contract["line_id"],
                        "commune_code": contract["commune_code"],
                    }
                )

    payment_schema = {**PAYMENTS_SCHEMA, "reverses_payment_id": pl.Int64()}
    return DisbursementFrames(
        lines=pl.DataFrame(lines, schema=LINES_SCHEMA),
        milestones=pl.DataFrame(milestones, schema=MILESTONES_SCHEMA),
        allocations=pl.DataFrame(
            [{k: v for k, v in a.items() if not k.startswith("_")} for a in allocations], schema=ALLOCATIONS_SCHEMA
        ),
        contracts=pl.DataFrame(contracts, schema=CONTRACTS_SCHEMA),
        payments=pl.DataFrame(payments, schema=payment_schema).select(list(payment_schema)),
    )
