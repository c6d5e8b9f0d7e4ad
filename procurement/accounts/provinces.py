"""Which province an account belongs to, and the step that gives existing accounts theirs.

Commune staff and accountants belong to their commune's province. Finance, planner and
admin accounts belong to one province; an admin without one is the national admin, and
a finance or planner account without one only reads, every province (as the national
role does) until an admin gives it a province. Raw SQL on purpose: the migration that
added ``app_user.province`` runs this too, whatever the tables look like later.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.tables import AppUser
from procurement.core.transactions import write_transaction


@dataclass(frozen=True)
class Assignment:
    provinces_in_data: list[str]  # codes of the provinces the data holds
    assigned: list[str]  # user names given a province by this step
    left_national: list[str]  # finance/planner/admin accounts still without one


async def provinces_in_data() -> list[str]:
    """The provinces holding devices, budget lines or commune accounts."""
    rows = await AppUser.raw(
        "SELECT DISTINCT p.code AS code FROM province p WHERE"
        " EXISTS (SELECT 1 FROM asset a JOIN commune c ON c.id = a.commune WHERE c.province = p.id)"
        " OR EXISTS (SELECT 1 FROM budget_line b WHERE b.province = p.id)"
        " OR EXISTS (SELECT 1 FROM app_user u JOIN commune c ON c.id = u.commune WHERE c.province = p.id)"
        " ORDER BY p.code"
    )
    return [r["code"] for r in rows]


async def assign_existing_users() -> Assignment:
    """Commune accounts get their commune's province; accounts of the other roles without a
    province get the one province of the data when it holds exactly one, else stay without."""
    codes = await provinces_in_data()
    assigned: list[str] = []
    async with write_transaction():
        await AppUser.raw(
            "UPDATE app_user SET province = (SELECT c.province FROM commune c WHERE c.id = app_user.commune)"
            " WHERE commune IS NOT NULL"
        )
        if len(codes) == 1:
            rows = await AppUser.raw(
                "SELECT username FROM app_user WHERE province IS NULL AND commune IS NULL"
                " AND role IN ('admin', 'finance', 'planner') ORDER BY username"
            )
            assigned = [r["username"] for r in rows]
            await AppUser.raw(
                "UPDATE app_user SET province = (SELECT id FROM province WHERE code = {})"
                " WHERE province IS NULL AND commune IS NULL AND role IN ('admin', 'finance', 'planner')",
                codes[0],
            )
    left = await AppUser.raw(
        "SELECT username FROM app_user WHERE province IS NULL AND commune IS NULL"
        " AND role IN ('admin', 'finance', 'planner') ORDER BY username"
    )
    return Assignment(codes, assigned, [r["username"] for r in left])
