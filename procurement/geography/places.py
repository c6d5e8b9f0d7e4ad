"""Provinces, communes and device categories of the 2025 two-level structure.

Codes and names come from the pinned ``vietnam-provinces`` package (34
provinces, 3,321 communes and wards), never typed by hand.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from vietnam_provinces import Province as SourceProvince
from vietnam_provinces import Ward as SourceWard

from models.tables import Category, Commune, Province
from procurement.core import vocabulary
from procurement.core.actor import Actor
from procurement.core.errors import Forbidden, NotFound
from procurement.core.text import like_pattern, search_key
from procurement.core.transactions import write_transaction

# Useful life in years: the Finance Ministry's rate for computers and office
# machines of state bodies is 5 years; the same is used for the rest of a
# commune office's IT until a province sets its own (PATCH /api/categories/...).
_CATEGORY = vocabulary.VOCABULARY["category"]
DEFAULT_CATEGORIES = [
    ("desktop", _CATEGORY["desktop"], 5, True),
    ("laptop", _CATEGORY["laptop"], 5, True),
    ("printer", _CATEGORY["printer"], 5, False),
    ("scanner", _CATEGORY["scanner"], 5, False),
    ("monitor", _CATEGORY["monitor"], 5, False),
    ("network", _CATEGORY["network"], 5, False),
    ("ups", _CATEGORY["ups"], 5, False),
]


def province_code(code: int) -> str:
    return f"{int(code):02d}"


def commune_code(code: int) -> str:
    return f"{int(code):05d}"


async def load_geography() -> tuple[int, int]:
    """Insert missing provinces and communes; returns how many were added."""
    have_provinces = {r["code"]: r["id"] for r in await Province.select(Province.code, Province.id)}
    have_communes = {r["code"] for r in await Commune.select(Commune.code)}
    new_provinces = [
        Province(
            code=province_code(p.code),
            name=p.name,
            division_type=p.division_type.value,
            search_text=search_key(p.name),
        )
        for p in SourceProvince.iter_all()
        if province_code(p.code) not in have_provinces
    ]
    async with write_transaction():
        if new_provinces:
            await Province.insert(*new_provinces)
    province_ids = {r["code"]: r["id"] for r in await Province.select(Province.code, Province.id)}
    new_communes = [
        Commune(
            code=commune_code(w.code),
            name=w.name,
            division_type=w.division_type.value,
            province=province_ids[province_code(w.province_code)],
            officials=0,
            remote=False,
            has_service_point=True,
            search_text=search_key(w.name),
        )
        for w in SourceWard.iter_all()
        if commune_code(w.code) not in have_communes
    ]
    async with write_transaction():
        for start in range(0, len(new_communes), 500):
            await Commune.insert(*new_communes[start : start + 500])
    return len(new_provinces), len(new_communes)


async def load_categories() -> int:
    have = {r["code"] for r in await Category.select(Category.code)}
    rows = [
        Category(code=code, name=name, useful_life_years=life, is_computer=computer)
        for code, name, life, computer in DEFAULT_CATEGORIES
        if code not in have
    ]
    if rows:
        async with write_transaction():
            await Category.insert(*rows)
    return len(rows)


class ProvinceOut(BaseModel):
    code: str
    name: str
    division_type: str
    communes: int | None = None


class CommuneOut(BaseModel):
    code: str
    name: str
    division_type: str
    province_code: str
    province_name: str
    officials: int
    remote: bool
    has_service_point: bool


class CommuneUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officials: int | None = Field(default=None, ge=0, le=10000)
    remote: bool | None = None
    has_service_point: bool | None = None


class CategoryOut(BaseModel):
    code: str
    name: str
    useful_life_years: int
    is_computer: bool


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    useful_life_years: int = Field(ge=1, le=50)


_COMMUNE_COLUMNS = (
    Commune.code,
    Commune.name,
    Commune.division_type,
    Commune.province.code.as_alias("province_code"),
    Commune.province.name.as_alias("province_name"),
    Commune.officials,
    Commune.remote,
    Commune.has_service_point,
)


async def list_provinces(q: str | None = None) -> list[ProvinceOut]:
    query = Province.select(Province.code, Province.name, Province.division_type).order_by(Province.code)
    if q:
        query = query.where(Province.search_text.like(like_pattern(q)))
    return [ProvinceOut(**row) for row in await query]


async def get_province(code: str) -> ProvinceOut:
    row = (
        await Province.select(Province.code, Province.name, Province.division_type).where(Province.code == code).first()
    )
    if row is None:
        raise NotFound("Không tìm thấy tỉnh/thành phố.")
    count = await Commune.count().where(Commune.province.code == code)
    return ProvinceOut(**row, communes=count)


async def list_communes(
    q: str | None = None, province: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[CommuneOut], int]:
    where = []
    if q:
        where.append(Commune.search_text.like(like_pattern(q)))
    if province:
        where.append(Commune.province.code == province)
    query = Commune.select(*_COMMUNE_COLUMNS).order_by(Commune.code).limit(limit).offset(offset)
    count = Commune.count()
    if where:
        query = query.where(*where)
        count = count.where(*where)
    return [CommuneOut(**row) for row in await query], await count


async def get_commune(code: str) -> CommuneOut:
    row = await Commune.select(*_COMMUNE_COLUMNS).where(Commune.code == code).first()
    if row is None:
        raise NotFound("Không tìm thấy xã/phường.")
    return CommuneOut(**row)


async def update_commune(code: str, data: CommuneUpdate, actor: Actor | None = None) -> CommuneOut:
    """A commune's profile (officials, remoteness, service point): an admin of its province,
    or the national admin; another province's commune answers like a missing one."""
    current = await get_commune(code)
    if actor is not None and actor.province_code not in (None, current.province_code):
        raise NotFound("Không tìm thấy xã/phường.")
    values: dict[Any, Any] = {getattr(Commune, k): v for k, v in data.model_dump(exclude_none=True).items()}
    if values:
        async with write_transaction():
            await Commune.update(values).where(Commune.code == code)
    return await get_commune(code)


async def list_categories() -> list[CategoryOut]:
    rows = await Category.select(
        Category.code, Category.name, Category.useful_life_years, Category.is_computer
    ).order_by(Category.id)
    return [CategoryOut(**row) for row in rows]


async def update_category(code: str, data: CategoryUpdate, actor: Actor | None = None) -> CategoryOut:
    """Useful lives hold for the whole country: the national admin sets them."""
    if actor is not None and not actor.is_national:
        raise Forbidden("Niên hạn sử dụng áp dụng toàn quốc: chỉ quản trị toàn quốc được sửa.")
    if not await Category.exists().where(Category.code == code):
        raise NotFound("Không tìm thấy loại thiết bị.")
    async with write_transaction():
        await Category.update({Category.useful_life_years: data.useful_life_years}).where(Category.code == code)
    return next(c for c in await list_categories() if c.code == code)
