"""Who is acting, and what the role may see: the rules every use case applies."""

from __future__ import annotations

from dataclasses import dataclass

from procurement.core.errors import Forbidden

# Roles that see one commune only.
COMMUNE_ROLES = ("staff", "accountant")


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str  # admin, finance, planner, staff, accountant
    commune_id: int | None = None  # set for staff and accountants: the only commune they see
    commune_code: str | None = None

    @property
    def is_staff(self) -> bool:
        """Scoped to one commune: commune staff, and the commune accountant (who only reads)."""
        return self.role in COMMUNE_ROLES

    def sees_commune(self, commune_id: int) -> bool:
        return not self.is_staff or self.commune_id == commune_id

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden()


# Roles allowed to change the register (staff only inside their own commune).
REGISTER_WRITERS = ("admin", "staff")
