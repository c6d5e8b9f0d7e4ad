"""Piccolo tables of budgets, procurement and disbursement. Tables only: the
rules live in ``procurement/rules.py`` and the use cases in ``procurement/budget.py``.

Money columns are BigInt whole VND. Nothing here is ever deleted: a package's
moves are logged in ``package_status_change``, a payment is undone by a
reversing row (negative amount, ``reverses_payment`` set).
"""

from piccolo.columns import (
    JSON,
    BigInt,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from models.tables import AppUser, Category, Commune, Province


class BudgetLine(Table, tablename="budget_line"):
    """A budget line (dòng ngân sách): a plan or decision with its amount; a sub-line has a parent."""

    id = Serial(primary_key=True)
    parent: ForeignKey = ForeignKey("self", null=True, default=None, index=True)
    province = ForeignKey(Province, index=True)
    number = Varchar(length=60)  # 65/KH-UBND
    name = Varchar(length=300)
    issuing_body = Varchar(length=200, default="")
    decision_date = Date()
    fiscal_year = Integer()
    amount_vnd = BigInt()
    funding_source = Varchar(length=200, default="")
    deadline = Date(null=True, default=None)
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()


class Milestone(Table, tablename="budget_milestone"):
    """Schedule: ``target_share`` (cumulative, 0–1) of the line paid by ``due_on``."""

    id = Serial(primary_key=True)
    line = ForeignKey(BudgetLine, index=True)
    due_on = Date()
    target_share = DoublePrecision()


class Allocation(Table, tablename="allocation"):
    """A line's share for one commune; a null commune is the province's central purchasing."""

    id = Serial(primary_key=True)
    line = ForeignKey(BudgetLine, index=True)
    commune = ForeignKey(Commune, null=True, default=None, index=True)
    amount_vnd = BigInt()
    note = Text(default="")
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()


class Supplier(Table, tablename="supplier"):
    id = Serial(primary_key=True)
    name = Varchar(length=300)
    tax_code = Varchar(length=14, unique=True, index=True)
    # procurement.core.text.search_key of "name tax_code": "phong vu" finds "Phong Vũ".
    search_text = Varchar(length=400, default="")


class ProcurementPackage(Table, tablename="procurement_package"):
    """A procurement package (gói thầu) bought under a line or one of its allocations."""

    id = Serial(primary_key=True)
    line = ForeignKey(BudgetLine, index=True)
    allocation = ForeignKey(Allocation, null=True, default=None, index=True)
    name = Varchar(length=300)
    method = Varchar(length=40)  # procurement.finance.packages.ProcurementMethod
    estimate_vnd = BigInt()
    status = Varchar(length=20, default="planned", index=True)  # procurement.finance.packages.PackageStatus
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()


class PackageItem(Table, tablename="procurement_package_item"):
    id = Serial(primary_key=True)
    package = ForeignKey(ProcurementPackage, index=True)
    category = ForeignKey(Category)
    quantity = Integer()


class PackageStatusChange(Table, tablename="package_status_change"):
    """Every move of a package's status: who, when, from what to what."""

    id = Serial(primary_key=True)
    package = ForeignKey(ProcurementPackage, index=True)
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20)
    actor = ForeignKey(AppUser, null=True, default=None)
    at = Timestamptz()
    note = Text(default="")


class Contract(Table, tablename="contract"):
    """Signed against an allocation, or (central purchasing) directly against a line."""

    id = Serial(primary_key=True)
    line = ForeignKey(BudgetLine, index=True)
    allocation = ForeignKey(Allocation, null=True, default=None, index=True)
    package = ForeignKey(ProcurementPackage, null=True, default=None, index=True)
    supplier = ForeignKey(Supplier, index=True)
    number = Varchar(length=80)
    signed_on = Date()
    # The CURRENT value: the signed value plus every amendment's change, kept in step by the
    # amendment's own transaction (under the contract's lock), so every ceiling and report that
    # sums contracts counts amendments. The signed value is the first amendment's value_before_vnd.
    value_vnd = BigInt()
    # procurement.core.text.search_key of "number supplier name": "phong vu" finds "Phong Vũ".
    search_text = Varchar(length=400, default="")
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()


class ContractItem(Table, tablename="contract_item"):
    id = Serial(primary_key=True)
    contract = ForeignKey(Contract, index=True)
    category = ForeignKey(Category)
    quantity = Integer()
    unit_price_vnd = BigInt()


class ContractAmendment(Table, tablename="contract_amendment"):
    """A contract amendment (phụ lục hợp đồng): a dated, numbered event; the contract's
    signed terms and items are never edited. ``number`` runs 1, 2, 3… per contract,
    given by the server under the contract's lock. ``item_changes`` is a JSON list of
    ``{"category": code, "quantity_change": ±n, "unit_price_vnd": p}``."""

    id = Serial(primary_key=True)
    contract = ForeignKey(Contract, index=True)
    number = Integer()
    signed_on = Date()
    reason = Text()
    value_before_vnd = BigInt()
    value_change_vnd = BigInt()
    value_after_vnd = BigInt()
    item_changes = JSON(default="[]")
    created_by = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()


class Delivery(Table, tablename="delivery"):
    """An accepted delivery: its devices were registered as assets in ``commune``."""

    id = Serial(primary_key=True)
    contract = ForeignKey(Contract, index=True)
    commune = ForeignKey(Commune)
    delivered_on = Date()
    accepted_on = Date()
    devices = Integer()
    note = Text(default="")
    actor = ForeignKey(AppUser, null=True, default=None)
    at = Timestamptz()


class Payment(Table, tablename="payment"):
    """A disbursement, against a contract or (costs without contract) an allocation.

    A reversal is a row with a negative amount naming the payment it undoes.
    """

    id = Serial(primary_key=True)
    line = ForeignKey(BudgetLine, index=True)
    allocation = ForeignKey(Allocation, null=True, default=None, index=True)
    contract = ForeignKey(Contract, null=True, default=None, index=True)
    amount_vnd = BigInt()
    paid_on = Date()
    voucher_number = Varchar(length=60)  # số chứng từ Kho bạc
    reverses_payment: ForeignKey = ForeignKey("self", null=True, default=None, index=True)
    note = Text(default="")
    actor = ForeignKey(AppUser, null=True, default=None)
    created_at = Timestamptz()


TABLES = [
    BudgetLine,
    Milestone,
    Allocation,
    Supplier,
    ProcurementPackage,
    PackageItem,
    PackageStatusChange,
    Contract,
    ContractItem,
    ContractAmendment,
    Delivery,
    Payment,
]
