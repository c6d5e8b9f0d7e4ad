"""Piccolo tables of the register. Tables only: rules live in ``procurement/``.

Money columns are BigInt whole VND. ``search_text`` columns hold a lower-case,
diacritic-free copy of the names so that "an vien" finds "Xã An Viễn" with a
plain LIKE on both engines.
"""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


def _procurement(table: str) -> LazyTableReference:
    # The procurement tables import these ones; a lazy reference breaks the cycle.
    return LazyTableReference(table, module_path="models.procurement")


class Province(Table, tablename="province"):
    id = Serial(primary_key=True)
    code = Varchar(length=2, unique=True, index=True)
    name = Varchar(length=100)
    division_type = Varchar(length=40)
    search_text = Varchar(length=100, index=True)


class Commune(Table, tablename="commune"):
    id = Serial(primary_key=True)
    code = Varchar(length=5, unique=True, index=True)
    name = Varchar(length=100)
    division_type = Varchar(length=20)  # xã, phường, đặc khu
    province = ForeignKey(Province, index=True)
    officials = Integer(default=0)
    remote = Boolean(default=False)
    has_service_point = Boolean(default=True)
    search_text = Varchar(length=100, index=True)


class Category(Table, tablename="category"):
    id = Serial(primary_key=True)
    code = Varchar(length=20, unique=True)
    name = Varchar(length=100)
    useful_life_years = SmallInt(default=5)
    is_computer = Boolean(default=False)


class AppUser(Table, tablename="app_user"):
    id = Serial(primary_key=True)
    username = Varchar(length=80, unique=True, index=True)
    full_name = Varchar(length=200, default="")
    password_hash = Varchar(length=255, default="")
    role = Varchar(length=20)  # admin, finance, planner, staff, accountant, national
    commune = ForeignKey(Commune, null=True, default=None)
    # The province the account belongs to (commune roles: their commune's); null: national.
    province = ForeignKey(Province, null=True, default=None, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz()


class AuthToken(Table, tablename="auth_token"):
    id = Serial(primary_key=True)
    user = ForeignKey(AppUser, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    kind = Varchar(length=10)  # session, api
    name = Varchar(length=100, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Asset(Table, tablename="asset"):
    id = Serial(primary_key=True)
    tag = Varchar(length=7, unique=True, index=True)
    category = ForeignKey(Category, index=True)
    commune = ForeignKey(Commune, index=True)
    make = Varchar(length=100, default="")
    model = Varchar(length=100, default="")
    serial = Varchar(length=100, null=True, default=None, index=True)
    location = Varchar(length=20, default="office")  # office, service_point
    location_detail = Varchar(length=200, default="")
    assigned_to = Varchar(length=200, default="")
    acquired_on = Date(null=True, default=None)
    acquired_year = SmallInt(null=True, default=None)
    # acquired_on, or 1 July of acquired_year: one column to filter and sort by age.
    acquired_effective = Date(null=True, default=None, index=True)
    cost_vnd = BigInt(null=True, default=None)
    acquisition = Varchar(length=20, default="purchased")  # purchased, reused, donated
    status = Varchar(length=20, default="in_use", index=True)
    condition = Varchar(length=10, default="good", index=True)
    last_audited_at = Timestamptz(null=True, default=None)
    antimalware_installed = Boolean(null=True, default=None)
    os_name = Varchar(length=100, default="")
    os_supported = Boolean(null=True, default=None)
    notes = Text(default="")
    search_text = Varchar(length=400, default="")
    created_at = Timestamptz()
    # Indexed: the kept planning frames read only the devices changed since their last read.
    updated_at = Timestamptz(index=True)
    # Where a purchased device came from (set when a delivery is accepted).
    contract: ForeignKey = ForeignKey(_procurement("Contract"), null=True, default=None, index=True)
    package: ForeignKey = ForeignKey(_procurement("ProcurementPackage"), null=True, default=None, index=True)
    budget_line: ForeignKey = ForeignKey(_procurement("BudgetLine"), null=True, default=None, index=True)


class AssetEvent(Table, tablename="asset_event"):
    """One change to an asset: who, when, what; the history is append-only."""

    id = Serial(primary_key=True)
    asset = ForeignKey(Asset, index=True)
    kind = Varchar(length=30)
    actor = ForeignKey(AppUser, null=True, default=None)
    at = Timestamptz()
    changes = JSON(default="{}")  # {"field": {"before": .., "after": ..}}
    note = Text(default="")
    # The phone's own id for the action, so a resent offline action counts once.
    client_event_id = Varchar(length=64, null=True, default=None, unique=True)
    # The answer given the first time, replayed verbatim for a resend.
    response = JSON(null=True, default=None)


class ClientEvent(Table, tablename="client_event"):
    """A write sent with the client's own event id, and the answer it got, so that a
    resend (a retried payment, a queued form) is answered again and stored once.
    Written by :mod:`procurement.core.replay` in the same transaction as the write.
    (Device events keep theirs on ``asset_event``, the event itself.)"""

    id = Serial(primary_key=True)
    client_event_id = Varchar(length=64, unique=True)
    action = Varchar(length=60)  # e.g. finance.payment.create
    target = Varchar(length=60, default="")  # the object acted on, e.g. contract:12
    fingerprint = Varchar(length=64, default="")  # sha256 of the request body
    response = JSON(null=True, default=None)  # the answer given the first time
    actor = ForeignKey(AppUser, null=True, default=None)
    at = Timestamptz()


class LoginLimit(Table, tablename="login_limit"):
    """Failed log-ins counted per key: one row per (user name, client address) pair
    ("n:<name>|<address>") and one per client address ("a:<address>"), also for
    names that do not exist. ``username`` lets an admin clear a user's locks."""

    id = Serial(primary_key=True)
    key = Varchar(length=200, unique=True)
    username = Varchar(length=80, null=True, default=None, index=True)
    failures = Integer(default=0)
    first_failure_at = Timestamptz(null=True, default=None)
    locked_until = Timestamptz(null=True, default=None)


class AccountEvent(Table, tablename="account_event"):
    """Who did what to an account (unlock, password reset, token revoked): append-only."""

    id = Serial(primary_key=True)
    user = ForeignKey(AppUser, index=True)
    kind = Varchar(length=30)
    actor = ForeignKey(AppUser, null=True, default=None)
    at = Timestamptz()
    note = Text(default="")


TABLES = [Province, Commune, Category, AppUser, AuthToken, Asset, AssetEvent, ClientEvent, LoginLimit, AccountEvent]
