"""Provinces, communes and categories."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch
from litestar.params import FromPath, JSONBody, Parameter
from pydantic import BaseModel

from api.errors import error_responses
from api.security import ALL_ROLES, roles
from procurement.geography import places
from procurement.geography.places import CategoryOut, CategoryUpdate, CommuneOut, CommuneUpdate, ProvinceOut

READ = roles(*ALL_ROLES)
ADMIN = roles("admin")


class CommunePage(BaseModel):
    items: list[CommuneOut]
    total: int


class GeographyController(Controller):
    path = "/api"
    tags = ["geography"]

    @get("/provinces", opt=READ, responses=error_responses(400, 401))
    async def list_provinces(
        self, q: Annotated[str | None, Parameter(max_length=100, description="Diacritics ignored")] = None
    ) -> list[ProvinceOut]:
        return await places.list_provinces(q)

    @get("/provinces/{code:str}", opt=READ, responses=error_responses(401, 404))
    async def get_province(self, code: FromPath[str]) -> ProvinceOut:
        return await places.get_province(code)

    @get("/communes", opt=READ, responses=error_responses(400, 401))
    async def list_communes(
        self,
        q: Annotated[str | None, Parameter(max_length=100, description="Diacritics ignored")] = None,
        province: Annotated[str | None, Parameter(max_length=2)] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, Parameter(ge=0, le=100000)] = 0,
    ) -> CommunePage:
        items, total = await places.list_communes(q, province, limit, offset)
        return CommunePage(items=items, total=total)

    @get("/communes/{code:str}", opt=READ, responses=error_responses(401, 404))
    async def get_commune(self, code: FromPath[str]) -> CommuneOut:
        return await places.get_commune(code)

    @patch("/communes/{code:str}", opt=ADMIN, responses=error_responses(400, 401, 403, 404))
    async def update_commune(self, request: Request, code: FromPath[str], data: JSONBody[CommuneUpdate]) -> CommuneOut:
        return await places.update_commune(code, data, request.user)

    @get("/categories", opt=READ, responses=error_responses(401))
    async def list_categories(self) -> list[CategoryOut]:
        return await places.list_categories()

    @patch("/categories/{code:str}", opt=ADMIN, responses=error_responses(400, 401, 403, 404))
    async def update_category(
        self, request: Request, code: FromPath[str], data: JSONBody[CategoryUpdate]
    ) -> CategoryOut:
        return await places.update_category(code, data, request.user)
