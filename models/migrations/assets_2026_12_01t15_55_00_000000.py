"""Fill contract.search_text (added by the previous migration) for contracts already recorded."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.table import Table

ID = "2026-12-01T15:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "contract.search_text for existing contracts"


class _Contract(Table, tablename="contract"):
    search_text = Varchar(length=400, default="")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="assets", description=DESCRIPTION)

    async def backfill():
        from procurement.core.text import search_key

        rows = await _Contract.raw(
            "SELECT k.id AS id, k.number AS number, s.name AS supplier FROM contract k"
            " JOIN supplier s ON s.id = k.supplier WHERE k.search_text = ''"
        )
        for row in rows:
            key = search_key(f"{row['number']} {row['supplier']}")
            await _Contract.update({_Contract.search_text: key}).where(_Contract.id == row["id"])

    manager.add_raw(backfill)
    return manager
