"""Existing accounts get their province (see procurement.accounts.provinces).

Commune roles: their commune's province. Finance, planner and admin accounts: the
province when the data holds exactly one, else none (finance and planner then read
every province and change nothing until an admin gives them one; an admin stays the
national admin). ``python -m api assign-province`` runs the same step again later.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T18:22:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "app_user.province for existing accounts"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="assets", description=DESCRIPTION)

    async def assign():
        from procurement.accounts.provinces import assign_existing_users

        await assign_existing_users()

    manager.add_raw(assign)
    return manager
