"""Tables of public property (tài sản công): assessed values, classification overrides,
closed years and their yearly wear rows. Tables only: rules live in
``procurement/public_property``."""

from piccolo.columns import BigInt, Date, ForeignKey, Integer, Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.table import Table

from models.tables import AppUser, Asset, Commune


class AssetValuation(Table, tablename="asset_valuation"):
    """An assessed value for a device whose cost is unknown (e.g. reused from a merged
    unit): the value, as of which date, and on what basis. The latest one applies."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    value_vnd = BigInt()
    assessed_on = Date()
    basis = Text()
    recorded_by = ForeignKey(AppUser, null=True, default=None)
    recorded_at = Timestamptz()


class ClassificationOverride(Table, tablename="classification_override"):
    """An administrator's decision that a device is a fixed asset or a tool, with the
    reason. The latest one applies; the device's history also records it."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    kind = Varchar(length=20)  # fixed_asset, tool
    reason = Text()
    decided_by = ForeignKey(AppUser, null=True, default=None)
    decided_at = Timestamptz()


class WearClosing(Table, tablename="wear_closing"):
    """One commune's year closed: its wear rows are written and never rewritten."""

    id = Serial(primary_key=True)
    # "<commune id>:<year>": unique, so two closings of one year cannot both succeed.
    key = Varchar(length=20, unique=True)
    commune = ForeignKey(Commune, index=True)
    year = SmallInt(index=True)
    closed_by = ForeignKey(AppUser, null=True, default=None)
    closed_at = Timestamptz()
    devices = Integer(default=0)
    original_cost_vnd = BigInt(default=0)
    wear_vnd = BigInt(default=0)
    accumulated_vnd = BigInt(default=0)
    remaining_vnd = BigInt(default=0)


class WearRecord(Table, tablename="wear_record"):
    """One fixed asset's figures for one closed year (bảng tính hao mòn)."""

    id = Serial(primary_key=True)
    closing = ForeignKey(WearClosing, index=True)
    asset = ForeignKey(Asset, index=True)
    commune = ForeignKey(Commune)
    year = SmallInt()
    category = Varchar(length=20)
    original_cost_vnd = BigInt()
    rate_bp = Integer()
    life_years = SmallInt()
    wear_vnd = BigInt()
    accumulated_vnd = BigInt()
    remaining_vnd = BigInt()
    years_worn = SmallInt()
    source = Varchar(length=200, default="")
