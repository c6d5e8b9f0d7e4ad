"""Who is acting, and what the role may see: the rules every use case applies.

Scope, one definition: commune staff and accountants see their commune; finance,
planner and admin accounts see their province; the national role (the ministry)
and an admin without a province see the whole country. ``Actor.sees`` answers
"may this actor see commune X / province P"; ``Actor.scope`` gives the same rule
as a filter for Piccolo queries, raw SQL and polars frames, so a list, an export
and a report leave out exactly what a look-up answers 404 for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procurement.core.errors import Forbidden, NotFound

# Roles that see one commune only.
COMMUNE_ROLES = ("staff", "accountant")
# Roles that belong to one province (an admin without one is the national admin).
PROVINCE_ROLES = ("admin", "finance", "planner")
# The ministry: every province, read only.
NATIONAL = "national"


@dataclass(frozen=True)
class Scope:
    """What an actor may see, as a filter: a commune, a province, or everything (both None)."""

    commune_id: int | None = None
    province_id: int | None = None

    @property
    def everything(self) -> bool:
        return self.commune_id is None and self.province_id is None

    def where(self, commune_column: Any) -> Any | None:
        """A Piccolo condition on a foreign key to ``Commune`` (e.g. ``Asset.commune``);
        None when nothing is left out."""
        if self.commune_id is not None:
            return commune_column == self.commune_id
        if self.province_id is not None:
            return commune_column._.province == self.province_id
        return None

    def where_province(self, province_column: Any) -> Any | None:
        """A Piccolo condition on a foreign key to ``Province`` (e.g. ``BudgetLine.province``)."""
        if self.province_id is not None:
            return province_column == self.province_id
        return None

    def sql(self, commune_alias: str, arg: Any) -> str | None:
        """A raw SQL condition on a commune table aliased ``commune_alias``; ``arg(value)``
        adds a parameter and returns its placeholder. None when nothing is left out."""
        if self.commune_id is not None:
            return f"{commune_alias}.id = {arg(self.commune_id)}"
        if self.province_id is not None:
            return f"{commune_alias}.province = {arg(self.province_id)}"
        return None

    def polars(self, *, commune_id: str = "commune_id", province_id: str = "province_id") -> Any | None:
        """A polars expression on a frame's commune and province id columns."""
        import polars as pl

        if self.commune_id is not None:
            return pl.col(commune_id) == self.commune_id
        if self.province_id is not None:
            return pl.col(province_id) == self.province_id
        return None


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str  # admin, finance, planner, staff, accountant, national
    commune_id: int | None = None  # set for staff and accountants: the only commune they see
    commune_code: str | None = None
    # The province the actor belongs to; None: the whole country (national role, national admin).
    province_id: int | None = None
    province_code: str | None = None
    # The ids of the communes of ``province_id``, so that ``sees`` needs no query.
    province_communes: frozenset[int] = frozenset()

    @property
    def is_staff(self) -> bool:
        """Scoped to one commune: commune staff, and the commune accountant (who only reads)."""
        return self.role in COMMUNE_ROLES

    @property
    def is_national(self) -> bool:
        """Sees every province (the ministry's read-only role, or the national admin)."""
        return not self.is_staff and self.province_id is None

    @property
    def scope(self) -> Scope:
        if self.is_staff:
            # A staff account without a commune sees nothing (id 0 matches no row).
            return Scope(commune_id=self.commune_id or 0)
        return Scope(province_id=self.province_id)

    def sees(self, commune_id: int | None = None, *, province_id: int | None = None) -> bool:
        """May this actor see commune ``commune_id`` / province ``province_id``? (One of the two.)"""
        if self.is_staff:
            return commune_id is not None and commune_id == self.commune_id
        if self.province_id is None:
            return True
        if commune_id is not None:
            return commune_id in self.province_communes
        return province_id == self.province_id

    def sees_commune(self, commune_id: int) -> bool:
        return self.sees(commune_id)

    def sees_province(self, province_id: int | None) -> bool:
        """A province-wide object (a budget line, the province's central purchasing):
        staff see none, a provincial account its own, national accounts every one."""
        return province_id is not None and self.sees(province_id=province_id)

    def report_province(self, province_code: str | None) -> str | None:
        """The province a report or plan covers: the one asked for if the actor may see it
        (another one answers like a missing one), else the actor's own; None: the country."""
        if self.province_code is None and not self.is_staff:
            return province_code
        if province_code is not None and province_code != self.province_code:
            raise NotFound("Không tìm thấy tỉnh/thành.", field="province")
        return self.province_code

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden()


# Roles allowed to change the register (staff only inside their own commune).
REGISTER_WRITERS = ("admin", "staff")
# Every role that may read (the national role reads everything, changes nothing).
READ_ROLES = ("admin", "finance", "planner", "staff", "accountant", NATIONAL)
