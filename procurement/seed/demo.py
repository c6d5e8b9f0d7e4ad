"""Demo data (Đồng Nai's real communes) and the national synthetic data set.

Everything here is generated from a seed: the same seed gives the same data.
Officials, remoteness and devices are invented for the demo; codes and names
of provinces and communes are the official ones.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable

from models.tables import AppUser, Asset, AssetEvent, Category, Commune, Province
from procurement.accounts import users
from procurement.core.clock import now as clock_now
from procurement.core.clock import today_vn
from procurement.core.transactions import write_transaction
from procurement.geography.places import load_categories, load_geography
from procurement.register.new_device import device_row, draw_free_tags
from procurement.register.schemas import Role

DEMO_PROVINCE = "75"  # Đồng Nai: 95 communes and wards, Xã An Viễn among them
DEMO_STAFF_COMMUNE = "Xã An Viễn"
DEMO_PASSWORD = "demo-2025"
DEMO_USERS = [
    ("admin", "Quản trị hệ thống", Role.admin),
    ("taichinh", "Sở Tài chính", Role.finance),
    ("kehoach", "Sở Khoa học và Công nghệ", Role.planner),
    ("anvien", "Cán bộ Xã An Viễn", Role.staff),
]
MAKES = {
    "desktop": [
        ("Dell", "OptiPlex 3080"),
        ("HP", "ProDesk 400 G7"),
        ("Lenovo", "ThinkCentre M70t"),
        ("FPT Elead", "T7000"),
        ("CMS", "X-Media"),
    ],
    "laptop": [("Dell", "Latitude 3420"), ("HP", "ProBook 440 G8"), ("Lenovo", "ThinkPad E14")],
    "printer": [("Canon", "LBP 2900"), ("HP", "LaserJet Pro M404dn"), ("Brother", "HL-L2321D")],
    "scanner": [("Canon", "DR-C225 II"), ("Fujitsu", "fi-7160"), ("Plustek", "PS186")],
    "monitor": [("Dell", "E2222H"), ("LG", "22MK400H"), ("Samsung", "S22C310")],
    "network": [("TP-Link", "TL-SG1024D"), ("Cisco", "CBS110-16T"), ("DrayTek", "Vigor2915")],
    "ups": [("Santak", "Blazer 1000 Pro"), ("APC", "BX1100CI-MS")],
}
OSES = [("Windows 7", False), ("Windows 10", True), ("Windows 11", True), ("Windows XP", False)]
_CONDITIONS_BY_AGE = [  # (max age, weights good/fair/poor/broken)
    (3, (80, 15, 4, 1)),
    (6, (45, 35, 15, 5)),
    (10, (15, 35, 35, 15)),
    (99, (5, 20, 40, 35)),
]


def _condition(rng: random.Random, age: int) -> str:
    for max_age, weights in _CONDITIONS_BY_AGE:
        if age <= max_age:
            return rng.choices(("good", "fair", "poor", "broken"), weights)[0]
    return "broken"


def commune_profile(rng: random.Random, name: str) -> dict:
    """Invented officials / remoteness, stable for a seed."""
    ward = name.startswith("Phường")
    return {
        "officials": rng.randint(25, 45) if ward else rng.randint(15, 35),
        "remote": (not ward) and rng.random() < 0.3,
        "has_service_point": True,
    }


def fleet_for_commune(rng: random.Random, commune: dict, today: dt.date, scale: float = 1.0) -> list[dict]:
    """A plausible set of devices for one commune: rows ready for ``Asset``."""
    officials = commune["officials"] or 20
    short = commune["remote"] and rng.random() < 0.5  # some remote communes lack machines

    def scaled(expected: float) -> int:
        # Stochastic rounding: small scales keep the right total on average.
        whole = int(expected * scale)
        return whole + (rng.random() < expected * scale - whole)

    counts = {
        "desktop": scaled(officials * rng.uniform(0.4 if short else 0.6, 0.9)),
        "laptop": scaled(rng.randint(0, 3)),
        "printer": scaled(max(1.0, officials / rng.randint(3, 6))),
        "scanner": scaled(rng.randint(1, 3)),
        "monitor": scaled(rng.randint(0, 4)),
        "network": scaled(rng.randint(1, 2)),
        "ups": scaled(rng.randint(0, 3)),
    }
    rows = []
    for category, count in counts.items():
        for _ in range(count):
            age = min(int(rng.expovariate(1 / 5.5)), 18)
            reused = age >= 4 and rng.random() < 0.45
            year = today.year - age
            acquired_on = None if reused else dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
            if acquired_on and acquired_on > today:
                acquired_on = today
            make, model = rng.choice(MAKES[category])
            computer = category in ("desktop", "laptop")
            os_name, os_supported = rng.choice(OSES[:2] if age > 8 else OSES[1:3]) if computer else ("", None)
            rows.append(
                {
                    "category": category,
                    "make": make,
                    "model": model,
                    "serial": f"SN{rng.randrange(16**10):010X}",
                    "location": "service_point" if rng.random() < 0.2 else "office",
                    "acquired_on": acquired_on,
                    "acquired_year": year if reused else None,
                    "cost_vnd": None if reused else rng.choice((6, 8, 12, 15, 18, 22)) * 1_000_000,
                    "acquisition": "reused" if reused else rng.choice(("purchased",) * 9 + ("donated",)),
                    "status": rng.choices(("in_use", "in_storage", "in_repair"), (90, 6, 4))[0],
                    "condition": _condition(rng, age),
                    "antimalware_installed": (rng.random() < 0.6) if computer else None,
                    "os_name": os_name,
                    "os_supported": os_supported,
                }
            )
    return rows


async def insert_assets(
    rows: list[dict],
    commune_ids: list[int],
    actor_id: int | None,
    progress: Callable[[int], None] | None = None,
    batch: int = 1000,
) -> int:
    """Insert generated assets and their 'imported' history events, in batches."""
    categories = {r["code"]: r["id"] for r in await Category.select(Category.code, Category.id)}
    now = clock_now()
    inserted = 0
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        async with write_transaction():
            tags = await draw_free_tags(len(chunk))
            assets = [
                Asset(
                    **device_row(
                        {**row, "tag": tag, "category": categories[row["category"]], "commune": commune_id}, now
                    )
                )
                for row, commune_id, tag in zip(chunk, commune_ids[start : start + batch], tags, strict=True)
            ]
            created = await Asset.insert(*assets).returning(Asset.id)
            await AssetEvent.insert(
                *[
                    AssetEvent(
                        asset=r["id"],
                        kind="imported",
                        actor=actor_id,
                        at=now,
                        changes=json.dumps({"source": {"before": None, "after": "dữ liệu mẫu"}}, ensure_ascii=False),
                    )
                    for r in created
                ]
            )
        inserted += len(chunk)
        if progress:
            progress(inserted)
    return inserted


async def _apply_profiles(rng: random.Random, communes: list[dict]) -> None:
    """Give each commune its invented officials and remoteness (also in ``communes``)."""
    async with write_transaction():
        for commune in communes:
            profile = commune_profile(rng, commune["name"])
            commune.update(profile)
            await Commune.update({getattr(Commune, k): v for k, v in profile.items()}).where(
                Commune.id == commune["id"]
            )


async def ensure_reference_data() -> None:
    await load_geography()
    await load_categories()


async def demo_loaded() -> bool:
    return await AppUser.exists().where(AppUser.username == "admin")


async def load_demo(seed: int = 2025) -> dict:
    """Đồng Nai's communes with invented officials and devices, and one user per role."""
    await ensure_reference_data()
    rng = random.Random(seed)
    today = today_vn()
    communes = (
        await Commune.select(Commune.id, Commune.code, Commune.name)
        .where(Commune.province.code == DEMO_PROVINCE)
        .order_by(Commune.code)
    )
    await _apply_profiles(rng, communes)
    staff_commune = next(c for c in communes if c["name"] == DEMO_STAFF_COMMUNE)
    demo_user_ids = {}
    for username, full_name, role in DEMO_USERS:
        if not await AppUser.exists().where(AppUser.username == username):
            user = await users.create_user(
                users.UserCreate(
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    full_name=full_name,
                    commune_code=staff_commune["code"] if role == Role.staff else None,
                    # The demo's finance and planner accounts belong to the demo province; the
                    # demo admin is the national admin (it manages every province's accounts).
                    province_code=DEMO_PROVINCE if role in (Role.finance, Role.planner) else None,
                ),
                check_rules=False,  # the shared demo password: a production `serve` refuses to run with it
            )
            demo_user_ids[username] = user.id
    rows, commune_ids = [], []
    for commune in communes:
        fleet = fleet_for_commune(rng, commune, today)
        rows += fleet
        commune_ids += [commune["id"]] * len(fleet)
    count = await insert_assets(rows, commune_ids, demo_user_ids.get("admin"))
    budgets = await load_demo_budget_once(seed)
    return {"communes": len(communes), "assets": count, "users": list(demo_user_ids), "budget": budgets}


async def load_demo_budget_once(seed: int) -> dict | None:
    """Plan 65/KH-UBND and its allocations, packages, contracts and payments, entered by the finance user."""
    from models.procurement import BudgetLine
    from procurement.core.actor import Actor
    from procurement.seed.demo_finance import load_demo_budget

    if await BudgetLine.exists():
        return None
    user = await AppUser.select(AppUser.id, AppUser.username).where(AppUser.username == "taichinh").first()
    if user is None:
        return None
    actor = Actor(user_id=user["id"], username=user["username"], role="finance")
    return await load_demo_budget(actor, seed)


async def load_national(seed: int, devices: int, progress: Callable[[int], None] | None = None) -> dict:
    """All 3,321 communes with invented profiles and about ``devices`` devices."""
    await ensure_reference_data()
    rng = random.Random(seed)
    today = today_vn()
    communes = await Commune.select(Commune.id, Commune.code, Commune.name).order_by(Commune.code)
    started = time.perf_counter()
    await _apply_profiles(rng, communes)
    # Scale each commune's fleet so that the whole country comes to about ``devices``:
    # a first pass at scale 1 counts, the second (same seed) generates.
    profiles_seed = rng.getstate()
    unscaled = sum(len(fleet_for_commune(rng, c, today)) for c in communes)
    rng.setstate(profiles_seed)
    scale = devices / max(unscaled, 1)
    rows, commune_ids = [], []
    for commune in communes:
        fleet = fleet_for_commune(rng, commune, today, scale)
        rows += fleet
        commune_ids += [commune["id"]] * len(fleet)
    count = await insert_assets(rows, commune_ids, None, progress)
    return {
        "provinces": await Province.count(),
        "communes": len(communes),
        "assets": count,
        "seconds": round(time.perf_counter() - started, 1),
    }
