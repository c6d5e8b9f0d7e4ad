"""Deterministic synthetic commune fleets for tests and benchmarks.

``synthetic_fleet(n_communes, n_assets, seed)`` returns ``(assets, categories,
communes)`` LazyFrames with exactly the columns the reports expect (see
:mod:`procurement.planning.priority`). The same seed always gives the same frames.

The mix (categories, statuses, conditions, ages, service points, remote
communes) is invented to look plausible, not measured: use it to exercise
code and to benchmark, never to plan.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl

from labels.tags import new_tag
from procurement.core.vocabulary import VOCABULARY
from procurement.planning.priority import ASSET_SCHEMA, COMMUNE_SCHEMA, DEFAULT_UNIT_PRICES

CATEGORIES = pl.DataFrame(
    {
        "category_code": [
            "desktop",
            "laptop",
            "printer",
            "scanner",
            "monitor",
            "network",
            "ups",
        ],
        "name": [
            VOCABULARY["category"][code]
            for code in ("desktop", "laptop", "printer", "scanner", "monitor", "network", "ups")
        ],
        "useful_life_years": [5, 5, 5, 5, 5, 5, 3],
        "is_computer": [True, True, False, False, False, False, False],
    },
    schema={
        "category_code": pl.String,
        "name": pl.String,
        "useful_life_years": pl.Int32,
        "is_computer": pl.Boolean,
    },
)
"""Reference categories. Useful lives are illustrative (5 years for IT equipment, 3 for UPS)."""

_CATEGORY_WEIGHTS = [40, 10, 20, 7, 13, 5, 5]
_STATUSES = ["in_use", "in_storage", "in_repair", "awaiting_disposal", "disposed"]
_STATUS_WEIGHTS = [80, 5, 4, 5, 6]
_CONDITIONS = ["good", "fair", "poor", "broken"]
_CONDITION_WEIGHTS = [40, 30, 20, 10]
_MAKES = {
    "desktop": [
        ("Dell", "OptiPlex 3080"),
        ("HP", "ProDesk 400"),
        ("Lenovo", "ThinkCentre M70"),
        ("FPT", "Elead"),
    ],
    "laptop": [
        ("Dell", "Latitude 3420"),
        ("HP", "ProBook 440"),
        ("Lenovo", "ThinkPad E14"),
    ],
    "printer": [
        ("Canon", "LBP 2900"),
        ("HP", "LaserJet M211"),
        ("Brother", "HL-L2321D"),
    ],
    "scanner": [("Canon", "LiDE 300"), ("Epson", "DS-530"), ("Fujitsu", "fi-7160")],
    "monitor": [("Dell", "E2222H"), ("LG", "22MK430"), ("Samsung", "S22")],
    "network": [
        ("TP-Link", "TL-SG1016"),
        ("Cisco", "CBS110"),
        ("Draytek", "Vigor2915"),
    ],
    "ups": [("Santak", "Blazer 1000"), ("APC", "BX1100"), ("Ares", "AR610")],
}
N_PROVINCES = 34


def synthetic_communes(n_communes: int, seed: int) -> pl.DataFrame:
    """``n_communes`` communes spread over 34 provinces (codes "01".."34")."""
    rng = random.Random(f"communes-{seed}")
    codes = [f"{i + 1:05d}" for i in range(n_communes)]
    provinces = [f"{(i % N_PROVINCES) + 1:02d}" for i in range(n_communes)]
    return pl.DataFrame(
        {
            "commune_code": codes,
            "commune_name": [f"Xã Thử Nghiệm {i + 1}" for i in range(n_communes)],
            "province_code": provinces,
            "province_name": [f"Tỉnh Thử Nghiệm {p}" for p in provinces],
            "officials": [rng.randint(18, 45) for _ in codes],
            "remote": [rng.random() < 0.25 for _ in codes],
            "has_service_point": [rng.random() < 0.9 for _ in codes],
        },
        schema=COMMUNE_SCHEMA,
    )


def synthetic_fleet(n_communes: int, n_assets: int, seed: int) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """Return ``(assets, categories, communes)`` LazyFrames, deterministic for ``seed``.

    Ages run from new to ~18 years; about 15% of assets only know their
    acquisition year and 10% nothing at all. Anti-malware and OS support are
    filled for computers only (with some nulls), null elsewhere.
    """
    if n_communes < 1:
        raise ValueError("n_communes must be at least 1")
    rng = random.Random(seed)
    communes = synthetic_communes(n_communes, seed)
    codes = communes["commune_code"].to_list()
    sp = dict(zip(codes, communes["has_service_point"].to_list(), strict=False))
    cats = CATEGORIES["category_code"].to_list()
    computers = {"desktop", "laptop"}

    n = n_assets
    commune_of = [codes[i % n_communes] if i < n_communes else rng.choice(codes) for i in range(n)]
    category = rng.choices(cats, weights=_CATEGORY_WEIGHTS, k=n)
    status = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS, k=n)
    condition = rng.choices(_CONDITIONS, weights=_CONDITION_WEIGHTS, k=n)
    make_model = [rng.choice(_MAKES[c]) for c in category]
    location = ["service_point" if sp[c] and rng.random() < 0.2 else "office" for c in commune_of]
    ref = date(2026, 1, 1)
    acquired_on: list[date | None] = []
    acquired_year: list[int | None] = []
    for _ in range(n):
        r = rng.random()
        days_old = rng.randint(0, 18 * 365)
        d = ref - timedelta(days=days_old)
        if r < 0.75:
            acquired_on.append(d)
            acquired_year.append(d.year)
        elif r < 0.90:
            acquired_on.append(None)
            acquired_year.append(d.year)
        else:
            acquired_on.append(None)
            acquired_year.append(None)

    def tri(p_true: float, p_false: float) -> bool | None:
        r = rng.random()
        return True if r < p_true else (False if r < p_true + p_false else None)

    antimalware = [tri(0.6, 0.3) if c in computers else None for c in category]
    os_supported = [tri(0.7, 0.25) if c in computers else None for c in category]
    cost = [
        (None if rng.random() < 0.1 else int(DEFAULT_UNIT_PRICES[c] * rng.uniform(0.6, 1.3)) // 1000 * 1000)
        for c in category
    ]
    audit_base = datetime(2026, 1, 1)
    audited = [
        (audit_base - timedelta(days=rng.randint(0, 730), minutes=rng.randint(0, 1439)) if rng.random() < 0.7 else None)
        for _ in range(n)
    ]
    tags: list[str] = []
    seen: set[str] = set()
    for _ in range(n):
        t = new_tag(randbelow=rng.randrange)
        while t in seen:
            t = new_tag(randbelow=rng.randrange)
        seen.add(t)
        tags.append(t)

    assets = pl.DataFrame(
        {
            "asset_id": list(range(1, n + 1)),
            "tag": tags,
            "commune_code": commune_of,
            "category_code": category,
            "make": [m for m, _ in make_model],
            "model": [m for _, m in make_model],
            "status": status,
            "condition": condition,
            "acquired_on": acquired_on,
            "acquired_year": acquired_year,
            "location": location,
            "antimalware_installed": antimalware,
            "os_supported": os_supported,
            "cost_vnd": cost,
            "last_audited_at": audited,
        },
        schema=ASSET_SCHEMA,
    )
    return assets.lazy(), CATEGORIES.lazy(), communes.lazy()
