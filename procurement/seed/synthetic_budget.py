"""National synthetic budgets in the database: the frames of
:func:`procurement.seed.synthetic_money.synthetic_disbursement` (which respect every
rule) written into the tables in bulk, for the benchmark of reports read from
the database. One synthetic supplier per province signs its contracts.
"""

from __future__ import annotations

import datetime as dt
import time

from models.procurement import Allocation, BudgetLine, Contract, Milestone, Payment, Supplier
from models.tables import Commune, Province
from procurement.core.clock import now as clock_now
from procurement.core.clock import today_vn
from procurement.core.text import search_key
from procurement.core.transactions import refresh_statistics, write_transaction
from procurement.seed.synthetic_money import synthetic_disbursement


async def _insert(table, rows: list[dict], batch: int = 2000) -> None:
    for start in range(0, len(rows), batch):
        async with write_transaction():
            await table.insert(*[table(**row) for row in rows[start : start + batch]])


async def load_national_budget(
    contracts: int = 30_000, payments: int = 100_000, seed: int = 2025, today: dt.date | None = None
) -> dict:
    """Add lines, allocations, contracts and payments over all 3,321 communes of the 34 provinces.

    Ids continue after the rows already in the tables."""
    from procurement.seed.demo import ensure_reference_data

    await ensure_reference_data()
    started = time.perf_counter()
    today = today or today_vn()
    frames = synthetic_disbursement(3321, contracts, payments, seed=seed, today=today, n_provinces=34)
    provinces = {r["code"]: r["id"] for r in await Province.select(Province.code, Province.id)}
    communes = {r["code"]: r["id"] for r in await Commune.select(Commune.code, Commune.id)}
    now = clock_now()

    async def next_id(table) -> int:
        row = await table.select(table.id).order_by(table.id, ascending=False).first()
        return row["id"] if row else 0

    line_base, alloc_base = await next_id(BudgetLine), await next_id(Allocation)
    contract_base, payment_base = await next_id(Contract), await next_id(Payment)
    suppliers, supplier_names = {}, {}
    for code in provinces:
        tax_code = f"99{int(code):02d}{seed % 1_000_000:06d}"
        row = await Supplier.select(Supplier.id).where(Supplier.tax_code == tax_code).first()
        if row is None:
            name = f"Nhà cung cấp thử nghiệm tỉnh {code}"
            supplier = Supplier(name=name, tax_code=tax_code, search_text=search_key(f"{name} {tax_code}"))
            await supplier.save()
            row = {"id": supplier.id}
        suppliers[code] = row["id"]
        supplier_names[code] = f"Nhà cung cấp thử nghiệm tỉnh {code}"
    line_province = {}
    lines = []
    for r in frames.lines.iter_rows(named=True):
        line_province[r["line_id"]] = r["province_code"]
        lines.append(
            {
                "id": line_base + r["line_id"],
                "parent": line_base + r["parent_id"] if r["parent_id"] else None,
                "province": provinces[r["province_code"]],
                "number": r["number"],
                "name": r["name"],
                "decision_date": r["decision_date"],
                "fiscal_year": r["fiscal_year"],
                "amount_vnd": r["amount_vnd"],
                "deadline": r["deadline"],
                "created_at": now,
            }
        )
    await _insert(BudgetLine, sorted(lines, key=lambda r: r["parent"] is not None))
    await _insert(
        Milestone,
        [
            {"line": line_base + r["line_id"], "due_on": r["due_on"], "target_share": r["target_share"]}
            for r in frames.milestones.iter_rows(named=True)
        ],
    )
    await _insert(
        Allocation,
        [
            {
                "id": alloc_base + r["allocation_id"],
                "line": line_base + r["line_id"],
                "commune": communes[r["commune_code"]] if r["commune_code"] else None,
                "amount_vnd": r["amount_vnd"],
                "created_at": now,
            }
            for r in frames.allocations.iter_rows(named=True)
        ],
    )
    await _insert(
        Contract,
        [
            {
                "id": contract_base + r["contract_id"],
                "line": line_base + r["line_id"],
                "allocation": alloc_base + r["allocation_id"],
                "supplier": suppliers[line_province[r["line_id"]]],
                "number": f"{r['contract_id']}/HĐ-TN",
                "search_text": search_key(f"{r['contract_id']}/HĐ-TN {supplier_names[line_province[r['line_id']]]}"),
                "signed_on": r["signed_on"],
                "value_vnd": r["value_vnd"],
                "created_at": now,
            }
            for r in frames.contracts.iter_rows(named=True)
        ],
    )
    await _insert(
        Payment,
        [
            {
                "id": payment_base + r["payment_id"],
                "line": line_base + r["line_id"],
                "allocation": alloc_base + r["allocation_id"],
                "contract": contract_base + r["contract_id"],
                "amount_vnd": r["amount_vnd"],
                "paid_on": r["paid_on"],
                "voucher_number": f"KB-{r['payment_id']}",
                "reverses_payment": payment_base + r["reverses_payment_id"] if r["reverses_payment_id"] else None,
                "created_at": now,
            }
            for r in frames.payments.iter_rows(named=True)
        ],
    )
    await _reset_sequences()
    # PostgreSQL: plan the contract search and payment sums for the tables' new size.
    await refresh_statistics("budget_line", "allocation", "contract", "payment")
    return {
        "lines": frames.lines.height,
        "allocations": frames.allocations.height,
        "contracts": frames.contracts.height,
        "payments": frames.payments.height,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def _reset_sequences() -> None:
    """PostgreSQL: explicit ids leave the serial sequences behind; move them past the rows."""
    from procurement.core.transactions import is_sqlite

    if is_sqlite():
        return
    for table in (BudgetLine, Allocation, Contract, Payment):
        name = table._meta.tablename
        await table.raw(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))")
