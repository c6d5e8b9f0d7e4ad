"""Piccolo tables of a device's life between purchase and disposal: repairs and
warranty, hand-over to officials, disposal files, and photos. Tables only: the rules live in
``procurement/lifecycle/``."""

from piccolo.columns import BigInt, Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from models.tables import AppUser, Asset, Commune


class Warranty(Table, tablename="warranty"):
    """A device's warranty: until when, by whom (one row per device, replaced by a new entry)."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, unique=True, index=True)
    ends_on = Date()
    supplier = Varchar(length=300, default="")
    source = Varchar(length=20, default="entered")  # entered, delivery
    recorded_by = ForeignKey(AppUser, null=True, default=None)
    recorded_at = Timestamptz()


class Repair(Table, tablename="repair"):
    """One repair of a device: dates, who repaired it, what it cost, what was done."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    started_on = Date()
    finished_on = Date(null=True, default=None)
    supplier = Varchar(length=300, default="")
    cost_vnd = BigInt(default=0)
    work_done = Text(default="")
    condition_after = Varchar(length=10, null=True, default=None)
    under_warranty = Boolean(default=False)
    recorded_by = ForeignKey(AppUser, null=True, default=None)
    recorded_at = Timestamptz()


class Handover(Table, tablename="handover"):
    """A device handed to an official; ``returned_on`` is set when it is handed back."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    holder_name = Varchar(length=200)
    holder_position = Varchar(length=200, default="")
    handed_on = Date()
    acknowledged = Boolean(default=False)
    returned_on = Date(null=True, default=None)
    recorded_by = ForeignKey(AppUser, null=True, default=None)
    recorded_at = Timestamptz()


class DisposalFile(Table, tablename="disposal_file"):
    """A disposal (thanh lý) from request to execution: the ground with its figures, the
    province's decision, the method and the proceeds."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    status = Varchar(length=20, default="requested", index=True)  # requested, approved, done
    ground = Varchar(length=30)  # past_useful_life, repair_not_worth
    age_years = Varchar(length=10, default="")  # as computed when requested, for the minutes
    useful_life_years = BigInt(null=True, default=None)
    original_cost_vnd = BigInt(null=True, default=None)
    repair_estimate_vnd = BigInt(null=True, default=None)
    reason = Text(default="")
    requested_by = ForeignKey(AppUser, null=True, default=None)
    requested_at = Timestamptz()
    decision_number = Varchar(length=60, default="")
    decision_date = Date(null=True, default=None)
    approved_by = ForeignKey(AppUser, null=True, default=None)
    method = Varchar(length=20, default="")  # sale, destruction, other
    proceeds_vnd = BigInt(null=True, default=None)
    carried_out_on = Date(null=True, default=None)
    carried_out_by = ForeignKey(AppUser, null=True, default=None)


class Transfer(Table, tablename="transfer"):
    """A transfer (điều chuyển) of devices from one commune to another under a decision;
    the devices are in transit until the receiving commune confirms each one."""

    id = Serial(primary_key=True)
    decision_number = Varchar(length=60)
    decision_date = Date()
    from_commune = ForeignKey(Commune, index=True)
    to_commune = ForeignKey(Commune, index=True)
    status = Varchar(length=20, default="in_transit", index=True)  # in_transit, received
    note = Text(default="")
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()
    received_at = Timestamptz(null=True, default=None)


class TransferItem(Table, tablename="transfer_item"):
    id = Serial(primary_key=True)
    transfer = ForeignKey(Transfer, index=True)
    asset = ForeignKey(Asset, index=True)
    status_before = Varchar(length=20)
    received_at = Timestamptz(null=True, default=None)
    received_by = ForeignKey(AppUser, null=True, default=None)


class AssetPhoto(Table, tablename="asset_photo"):
    """A photo of a device (its condition, a broken part, the label), stored by the server
    under the photo folder with a name it chose; the bytes are checked before a row exists."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    stored_name = Varchar(length=100, unique=True)  # relative to the photo folder, chosen by the server
    content_type = Varchar(length=20)  # image/jpeg, image/png, image/webp (read from the bytes)
    size_bytes = Integer()
    width = Integer()
    height = Integer()
    sha256 = Varchar(length=64)
    caption = Text(default="")
    taken_at = Timestamptz(null=True, default=None)  # when the phone took it (may be sent later)
    client_event_id = Varchar(length=64, null=True, default=None, unique=True)
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()
