"""Demo budgets for Đồng Nai: the 187 bn supplementary budget, Plan 65/KH-UBND of
22/8/2025 (161.25 bn) inside it, allocated across the province's 95 communes,
with packages at every status, contracts, accepted deliveries that registered
devices, and payments on and behind the schedule.

Everything goes through the use cases of :mod:`procurement.finance.budget`, so the
demo obeys the same rules as real entries. Dates are the plan's real dates;
payments are never later than today.
"""

from __future__ import annotations

import datetime as dt
import random

from models.tables import Commune
from procurement.core.actor import Actor
from procurement.core.clock import today_vn
from procurement.finance import budget
from procurement.finance.packages import PackageStatus
from procurement.finance.schemas import (
    AllocationCreate,
    AllocationSplit,
    ContractCreate,
    DeliveryCreate,
    LineCreate,
    PackageCreate,
    PackageMove,
    PaymentCreate,
    ReversalCreate,
    SplitBasis,
)

PROVINCE = "75"
BUDGET_187 = 187_000_000_000
PLAN_65 = 161_250_000_000
CENTRAL = 16_125_000_000  # 10 % bought centrally by the province
DESKTOP_PRICE = 15_490_000
PRINTER_PRICE = 6_350_000
SUPPLIERS = [
    ("Công ty Cổ phần Công nghệ Biên Hòa", "3600111222"),
    ("Công ty TNHH Tin học Đồng Nai", "3600333444"),
    ("Công ty TNHH Thiết bị văn phòng Long Khánh", "3600555666"),
]
# Where each commune's package stands; the rest of the communes have no package yet.
_STATUS_PLAN = (
    [PackageStatus.PLANNED] * 8
    + [PackageStatus.TENDERING] * 8
    + [PackageStatus.CONTRACTED] * 10
    + [PackageStatus.DELIVERED] * 6
    + [PackageStatus.ACCEPTED] * 12
    + [PackageStatus.CLOSED] * 8
    + [PackageStatus.CANCELLED] * 3
)
_PATH = [
    PackageStatus.TENDERING,
    PackageStatus.CONTRACTED,
    PackageStatus.DELIVERED,
    PackageStatus.ACCEPTED,
    PackageStatus.CLOSED,
]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start if end <= start else start + dt.timedelta(days=rng.randint(0, (end - start).days))


async def load_demo_budget(actor: Actor, seed: int = 2025, today: dt.date | None = None) -> dict:
    rng = random.Random(seed)
    today = today or today_vn()
    parent = await budget.create_line(
        actor,
        LineCreate(
            number="2150/QĐ-UBND",
            name="Bổ sung dự toán chi ngân sách tỉnh năm 2025",
            issuing_body="UBND tỉnh Đồng Nai",
            decision_date=dt.date(2025, 8, 15),
            fiscal_year=2025,
            amount_vnd=BUDGET_187,
            funding_source="Ngân sách tỉnh (bổ sung)",
            province_code=PROVINCE,
        ),
    )
    decision = dt.date(2025, 8, 22)
    plan = await budget.create_line(
        actor,
        LineCreate(
            number="65/KH-UBND",
            name="Trang bị máy móc, thiết bị cho xã, phường và điểm phục vụ hành chính công",
            issuing_body="UBND tỉnh Đồng Nai",
            decision_date=decision,
            fiscal_year=2025,
            amount_vnd=PLAN_65,
            funding_source="Ngân sách tỉnh (bổ sung)",
            parent_id=parent.id,
            deadline=dt.date(2026, 12, 31),
            milestones=[
                {"due_on": dt.date(2025, 12, 31), "target_share": 0.3},
                {"due_on": dt.date(2026, 6, 30), "target_share": 0.6},
                {"due_on": dt.date(2026, 12, 31), "target_share": 1.0},
            ],
        ),
    )
    central = await budget.create_allocation(
        actor, plan.id, AllocationCreate(commune_code=None, amount_vnd=CENTRAL, note="Mua sắm tập trung")
    )
    basis = SplitBasis.devices_short
    try:
        split = await budget.split_allocation(actor, plan.id, AllocationSplit(total_vnd=PLAN_65 - CENTRAL, basis=basis))
    except Exception:  # no shortage anywhere (e.g. no devices loaded): by officials
        split = await budget.split_allocation(
            actor, plan.id, AllocationSplit(total_vnd=PLAN_65 - CENTRAL, basis=SplitBasis.officials)
        )
    allocations = sorted(split.allocations, key=lambda a: a.commune_code or "")
    rng.shuffle(allocations)
    counts = {"packages": 0, "contracts": 0, "payments": 0, "reversals": 0, "devices": 0}

    async def procure(allocation_id, commune_code, amount, status, name, supplier, *, central_commune=None):
        package = await budget.create_package(
            actor,
            PackageCreate(
                line_id=plan.id,
                allocation_id=allocation_id,
                name=name,
                method=rng.choice(["shortened_direct_appointment", "competitive_quotation", "direct_appointment"]),
                estimate_vnd=amount,
                items=[{"category": "desktop", "quantity": max(1, amount // DESKTOP_PRICE)}],
            ),
        )
        counts["packages"] += 1
        if status == PackageStatus.PLANNED:
            return
        if status == PackageStatus.CANCELLED:
            await budget.move_package(
                actor, package.id, PackageMove(status=PackageStatus.CANCELLED, note="Xã đề nghị điều chỉnh danh mục")
            )
            return
        await budget.move_package(actor, package.id, PackageMove(status=PackageStatus.TENDERING))
        if status == PackageStatus.TENDERING:
            return
        usable = amount * rng.randint(70, 95) // 100
        printers = max(1, usable // (DESKTOP_PRICE * 6))
        desktops = max(1, (usable - printers * PRINTER_PRICE) // DESKTOP_PRICE)
        signed = _day(rng, decision + dt.timedelta(days=20), min(today, dt.date(2026, 3, 31)))
        contract = await budget.create_contract(
            actor,
            ContractCreate(
                allocation_id=allocation_id,
                package_id=package.id,
                supplier={"name": supplier[0], "tax_code": supplier[1]},
                number=f"{rng.randint(10, 99)}/2025/HĐMB-{commune_code or 'MSTT'}",
                signed_on=signed,
                items=[
                    {"category": "desktop", "quantity": desktops, "unit_price_vnd": DESKTOP_PRICE},
                    {"category": "printer", "quantity": printers, "unit_price_vnd": PRINTER_PRICE},
                ],
            ),
        )
        counts["contracts"] += 1
        # An advance (tạm ứng) for most contracts; ahead or behind the schedule by chance.
        paid_on = _day(rng, signed, today)
        if rng.random() < 0.7:
            await budget.record_payment(
                actor,
                PaymentCreate(
                    contract_id=contract.id,
                    amount_vnd=contract.value_vnd * 30 // 100,
                    paid_on=paid_on,
                    voucher_number=f"KBNN-{rng.randint(10000, 99999)}",
                    note="Tạm ứng 30%",
                ),
            )
            counts["payments"] += 1
        if status == PackageStatus.CONTRACTED:
            return
        delivered = _day(rng, signed, today)
        delivery = await budget.accept_delivery(
            actor,
            contract.id,
            DeliveryCreate(
                delivered_on=delivered,
                accepted_on=delivered,
                commune_code=central_commune,
                items=[
                    {"category": "desktop", "quantity": desktops, "make": "Dell", "model": "OptiPlex 7010"},
                    {"category": "printer", "quantity": printers, "make": "HP", "model": "LaserJet Pro M404dn"},
                ],
            ),
        )
        counts["devices"] += delivery.devices
        if status == PackageStatus.DELIVERED:
            return
        await budget.move_package(
            actor, package.id, PackageMove(status=PackageStatus.ACCEPTED, note="Biên bản nghiệm thu")
        )
        paid = (await budget.get_contract(actor, contract.id)).paid_vnd
        rest = contract.value_vnd - paid
        if status == PackageStatus.ACCEPTED and rng.random() < 0.5:
            rest = rest // 2  # behind: only part of the balance paid
        if rest > 0:
            payment = await budget.record_payment(
                actor,
                PaymentCreate(
                    contract_id=contract.id,
                    amount_vnd=rest,
                    paid_on=_day(rng, delivered, today),
                    voucher_number=f"KBNN-{rng.randint(10000, 99999)}",
                    note="Thanh toán sau nghiệm thu",
                ),
            )
            counts["payments"] += 1
            room = contract.value_vnd - paid - rest
            if rng.random() < 0.2 and room >= 1_000_000:  # a voucher entered twice by mistake, then reversed
                duplicate = await budget.record_payment(
                    actor,
                    PaymentCreate(
                        contract_id=contract.id,
                        amount_vnd=1_000_000,
                        paid_on=payment.paid_on,
                        voucher_number=payment.voucher_number + "-TRÙNG",
                    ),
                )
                await budget.reverse_payment(
                    actor,
                    duplicate.id,
                    ReversalCreate(
                        paid_on=duplicate.paid_on,
                        voucher_number=duplicate.voucher_number + "-Đ",
                        note="Nhập trùng chứng từ",
                    ),
                )
                counts["reversals"] += 1
        if status == PackageStatus.CLOSED:
            await budget.move_package(
                actor, package.id, PackageMove(status=PackageStatus.CLOSED, note="Thanh lý hợp đồng")
            )

    names = {
        r["code"]: r["name"]
        for r in await Commune.select(Commune.code, Commune.name).where(Commune.province.code == PROVINCE)
    }
    for allocation, status in zip(allocations, _STATUS_PLAN, strict=False):
        code = allocation.commune_code
        await procure(
            allocation.id,
            code,
            allocation.amount_vnd,
            status,
            f"Mua sắm máy tính, máy in cho {names.get(code, code)}",
            rng.choice(SUPPLIERS),
        )
    await procure(
        central.id,
        None,
        CENTRAL // 4,
        PackageStatus.ACCEPTED,
        "Mua sắm tập trung máy tính cho điểm phục vụ hành chính công",
        SUPPLIERS[0],
        central_commune=allocations[0].commune_code,
    )
    return {"lines": 2, "allocations": len(split.allocations) + 1, **counts}
