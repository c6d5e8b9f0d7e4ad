"""Fill supplier.search_text (added by the previous migration) for suppliers already recorded."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.table import Table

ID = "2026-12-01T18:22:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "supplier.search_text for existing suppliers"


class _Supplier(Table, tablename="supplier"):
    search_text = Varchar(length=400, default="")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="assets", description=DESCRIPTION)

    async def backfill():
        from procurement.core.text import search_key

        rows = await _Supplier.raw("SELECT id, name, tax_code FROM supplier WHERE search_text = ''")
        for row in rows:
            key = search_key(f"{row['name']} {row['tax_code']}")
            await _Supplier.update({_Supplier.search_text: key}).where(_Supplier.id == row["id"])

    manager.add_raw(backfill)
    return manager
