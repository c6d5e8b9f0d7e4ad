"""Tables of labels and stocktakes. Tables only: rules live in ``procurement/``."""

from piccolo.columns import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from models.tables import AppUser, Asset, Commune


class LabelPrint(Table, tablename="label_print"):
    """One label printed for one asset: tells which assets never had a label."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    printed_by = ForeignKey(AppUser, null=True, default=None)
    printed_at = Timestamptz()
    stock = Varchar(length=20)


class Stocktake(Table, tablename="stocktake"):
    """One round of checking a commune's devices on the spot (kiểm kê)."""

    id = Serial(primary_key=True)
    commune = ForeignKey(Commune, index=True)
    started_by = ForeignKey(AppUser, null=True, default=None)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    status = Varchar(length=10, default="open", index=True)  # open, finished


class StocktakeResult(Table, tablename="stocktake_result"):
    """One action of a stocktake, as the phone sent it (stored once per event id)."""

    id = Serial(primary_key=True)
    stocktake = ForeignKey(Stocktake, index=True)
    # confirmed, not_found, moved, elsewhere (another commune's tag), unregistered
    kind = Varchar(length=20)
    asset = ForeignKey(Asset, null=True, default=None, index=True)
    tag = Varchar(length=7, null=True, default=None)
    description = Text(default="")
    condition = Varchar(length=10, null=True, default=None)
    note = Text(default="")
    actor = ForeignKey(AppUser, null=True, default=None)
    at = Timestamptz()  # when the phone recorded it
    received_at = Timestamptz()
    client_event_id = Varchar(length=64, unique=True)


TABLES = [LabelPrint, Stocktake, StocktakeResult]
