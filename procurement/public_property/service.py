"""Public-property use cases on the database: the book of a year, closing a year,
asset cards, assessed values and classification overrides.

A closed year's rows (``wear_record``) are read as written; an open year is
computed from the rules, the devices as they are now, and the last closed year.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from models.public_property import AssetValuation, ClassificationOverride, WearClosing, WearRecord
from models.tables import Asset, AssetEvent, Commune, Province
from procurement.core.actor import Actor
from procurement.core.clock import to_vn, today_vn
from procurement.core.errors import Conflict, DomainError, NotFound
from procurement.core.transactions import (
    insert_many,
    is_sqlite,
    is_unique_violation,
    reserve_ids,
    write_transaction,
)
from procurement.public_property.classification import KIND_VI, Kind, Override, Valuation, classify
from procurement.public_property.ledger import Device, book_frame, book_rows, summary_by_category
from procurement.public_property.rules import DEFAULT_RULES, WEAR_MONTH, RuleSet
from procurement.public_property.wear import Opening, last_run_year, schedule

READERS = ("admin", "finance", "accountant", "national")
CLOSERS = ("admin", "finance")
FIRST_YEAR = 2000


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CommuneRef:
    id: int
    code: str
    name: str
    province_code: str
    province_name: str


@dataclass
class Book:
    commune: CommuneRef | None
    year: int
    closed: bool
    frame: pl.DataFrame  # ledger.BOOK_COLUMNS + tag, make, model, commune_code, commune_name
    left_out: dict[str, int] = field(default_factory=dict)
    closed_at: dt.datetime | None = None

    def totals(self) -> dict[str, int]:
        f = self.frame
        return {
            "devices": f.height,
            "original_cost_vnd": int(f["original_cost_vnd"].sum()),
            "wear_vnd": int(f["wear_vnd"].sum()),
            "accumulated_vnd": int(f["accumulated_vnd"].sum()),
            "remaining_vnd": int(f["remaining_vnd"].sum()),
        }


def check_year(year: int, today: dt.date | None = None, *, closing: bool = False) -> None:
    today = today or today_vn()
    if year < FIRST_YEAR or year > today.year:
        raise DomainError(f"Năm phải từ {FIRST_YEAR} đến {today.year}.", field="year")
    if closing and year > last_run_year(today):
        raise DomainError(
            f"Hao mòn năm {year} chỉ được tính vào tháng {WEAR_MONTH}/{year} "
            "(Thông tư 23/2023/TT-BTC, Điều 13); chưa khóa sổ năm này được.",
            field="year",
        )


# --- scope ------------------------------------------------------------------------------


async def _communes(where_sql: str, *args: Any) -> list[CommuneRef]:
    rows = await Commune.raw(
        "SELECT c.id, c.code, c.name, p.code AS province_code, p.name AS province_name "
        "FROM commune c JOIN province p ON p.id = c.province WHERE " + where_sql + " ORDER BY c.code",
        *args,
    )
    return [CommuneRef(**r) for r in rows]


async def commune_scope(actor: Actor, commune: str | None = None, province: str | None = None) -> list[CommuneRef]:
    """The communes an actor asks for and may see: accountants and staff only their own."""
    actor.require(*READERS)
    if actor.is_staff:  # scoped to one commune (staff, accountant)
        if commune and commune != actor.commune_code:
            raise NotFound("Không tìm thấy xã.", field="commune")
        return await _communes("c.id = {}", actor.commune_id)
    if commune:
        found = await _communes("c.code = {}", commune)
        if not found or not actor.sees_commune(found[0].id):
            raise NotFound("Không tìm thấy xã.", field="commune")
        return found
    if province:
        if not await Province.exists().where(Province.code == province):
            raise NotFound("Không tìm thấy tỉnh.", field="province")
        if actor.province_code is not None and province != actor.province_code:
            raise NotFound("Không tìm thấy tỉnh.", field="province")
        return await _communes("p.code = {}", province)
    if actor.province_id is not None:  # no filter: my province
        return await _communes("c.province = {}", actor.province_id)
    return await _communes("1 = 1")


def _in_list(column: str, ids: list[int]) -> str:
    # ids are our own integers: safe to inline, and no engine limit on bound parameters.
    return f"{column} IN ({', '.join(str(int(i)) for i in ids)})" if ids else "1 = 0"


# --- inputs -----------------------------------------------------------------------------


def _effective(acquired_on: Any, acquired_year: Any) -> dt.date | None:
    if acquired_on:
        return acquired_on if isinstance(acquired_on, dt.date) else dt.date.fromisoformat(str(acquired_on))
    if acquired_year:
        return dt.date(int(acquired_year), 7, 1)  # as the register reads "year only"
    return None


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _sqlite_read(path: str, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Plain tuples from a read-only connection of its own: several times faster than rows
    through the ORM's dict rows for the ~150,000 devices of a national closing. Inside the
    closing's write transaction this reads what is committed, and no one else can commit."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        connection.execute("PRAGMA busy_timeout = 10000")
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


async def _tuples(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """``sql`` written with ``?`` placeholders; tuples in column order, on either engine."""
    db: Any = Asset._meta.db
    if is_sqlite():
        return await asyncio.to_thread(_sqlite_read, db.path, sql, args)
    rows = await Asset.raw(sql.replace("?", "{}"), *args)
    return [tuple(r.values()) for r in rows]


# Past this many communes, reading every device and keeping those wanted beats an IN list.
_WIDE_SCOPE = 1000


async def _devices(commune_ids: list[int]) -> list[Device]:
    wide = len(commune_ids) > _WIDE_SCOPE
    rows = await _tuples(
        "SELECT a.id, a.commune, c.code, a.cost_vnd, a.acquired_on, a.acquired_year "
        "FROM asset a JOIN category c ON c.id = a.category "
        f"WHERE a.status <> 'disposed' AND {'1 = 1' if wide else _in_list('a.commune', commune_ids)}"
    )
    wanted = set(commune_ids)
    return [
        Device(asset_id, commune_id, category, cost, _effective(acquired_on, acquired_year))
        for asset_id, commune_id, category, cost, acquired_on, acquired_year in rows
        if not wide or commune_id in wanted
    ]


async def _valuations(commune_ids: list[int]) -> dict[int, Valuation]:
    rows = await AssetValuation.raw(
        "SELECT v.asset, v.value_vnd, v.assessed_on, v.basis FROM asset_valuation v JOIN asset a ON a.id = v.asset "
        f"WHERE {_in_list('a.commune', commune_ids)} ORDER BY v.id"
    )
    return {r["asset"]: Valuation(r["value_vnd"], _date(r["assessed_on"]), r["basis"]) for r in rows}


async def _overrides(commune_ids: list[int]) -> dict[int, Override]:
    rows = await ClassificationOverride.raw(
        "SELECT o.asset, o.kind, o.reason FROM classification_override o JOIN asset a ON a.id = o.asset "
        f"WHERE {_in_list('a.commune', commune_ids)} ORDER BY o.id"
    )
    return {r["asset"]: Override(Kind(r["kind"]), r["reason"]) for r in rows}


async def _openings(commune_ids: list[int], before_year: int) -> dict[int, Opening]:
    """Per asset, where its last closed year before ``before_year`` left it."""
    wide = len(commune_ids) > _WIDE_SCOPE
    rows = await _tuples(
        "SELECT asset, year, accumulated_vnd, years_worn, commune FROM wear_record "
        f"WHERE year < ? AND {'1 = 1' if wide else _in_list('commune', commune_ids)} ORDER BY year",
        before_year,
    )
    wanted = set(commune_ids)
    return {
        asset: Opening(year, accumulated, worn)
        for asset, year, accumulated, worn, commune in rows
        if not wide or commune in wanted
    }


async def _closed(commune_ids: list[int]) -> dict[int, list[int]]:
    rows = await WearClosing.raw(
        f"SELECT commune, year FROM wear_closing WHERE {_in_list('commune', commune_ids)} ORDER BY year"
    )
    out: dict[int, list[int]] = {}
    for r in rows:
        out.setdefault(r["commune"], []).append(r["year"])
    return out


async def computed_rows(
    commune_ids: list[int], year: int, rules: RuleSet = DEFAULT_RULES
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The figures of ``year`` for these communes as they would be closed now."""
    devices = await _devices(commune_ids)
    return book_rows(
        devices,
        year,
        openings=await _openings(commune_ids, year),
        valuations=await _valuations(commune_ids),
        overrides=await _overrides(commune_ids),
        rules=rules,
    )


# --- the book ---------------------------------------------------------------------------


async def _describe(frame: pl.DataFrame, communes: list[CommuneRef]) -> pl.DataFrame:
    """Add each device's tag, make and model, and each commune's code and name."""
    if frame.height == 0:
        return frame.with_columns(
            pl.lit(None, pl.String).alias(c) for c in ("tag", "make", "model", "commune_code", "commune_name")
        )
    ids = frame["asset_id"].to_list()
    described: list[dict[str, Any]] = []
    for start in range(0, len(ids), 20_000):
        described += await Asset.raw(
            "SELECT id AS asset_id, tag, make, model FROM asset WHERE " + _in_list("id", ids[start : start + 20_000])
        )
    names = pl.DataFrame(
        {"commune_id": [c.id for c in communes], "commune_code": [c.code for c in communes]}
        | {"commune_name": [c.name for c in communes]},
        schema={"commune_id": pl.Int64, "commune_code": pl.String, "commune_name": pl.String},
    )
    devices = pl.DataFrame(
        described, schema={"asset_id": pl.Int64, "tag": pl.String, "make": pl.String, "model": pl.String}
    )
    return (
        frame.join(devices, on="asset_id", how="left")
        .join(names, on="commune_id", how="left")
        .sort(["commune_code", "category", "tag"])
    )


async def _closed_rows(commune_ids: list[int], year: int) -> list[dict[str, Any]]:
    rows = await WearRecord.raw(
        "SELECT r.asset AS asset_id, r.commune AS commune_id, r.year, r.category, "
        "r.original_cost_vnd, r.rate_bp, r.life_years, r.wear_vnd, r.accumulated_vnd, r.remaining_vnd, "
        "r.years_worn, r.source, a.acquired_on, a.acquired_year FROM wear_record r JOIN asset a ON a.id = r.asset "
        f"WHERE r.year = {{}} AND {_in_list('r.commune', commune_ids)}",
        year,
    )
    for r in rows:
        r["in_use_on"] = _effective(r.pop("acquired_on"), r.pop("acquired_year"))
    return rows


async def book_for(communes: list[CommuneRef], year: int, rules: RuleSet = DEFAULT_RULES) -> Book:
    """The book of ``year`` for these communes: closed communes as written, open ones computed."""
    ids = [c.id for c in communes]
    closed = await _closed(ids)
    closed_ids = [i for i in ids if year in closed.get(i, [])]
    open_ids = [i for i in ids if i not in set(closed_ids)]
    rows = await _closed_rows(closed_ids, year) if closed_ids else []
    left_out: dict[str, int] = {}
    if open_ids:
        computed, left_out = await computed_rows(open_ids, year, rules)
        rows += computed
    frame = await _describe(book_frame(rows), communes)
    closed_at = None
    if len(communes) == 1 and closed_ids:
        found = await WearClosing.select(WearClosing.closed_at).where(WearClosing.key == f"{ids[0]}:{year}").first()
        closed_at = found["closed_at"] if found else None
    return Book(
        communes[0] if len(communes) == 1 else None,
        year,
        bool(ids) and not open_ids,
        frame,
        left_out,
        closed_at,
    )


async def book(actor: Actor, year: int, commune: str | None = None, province: str | None = None) -> Book:
    check_year(year)
    return await book_for(await commune_scope(actor, commune, province), year)


async def summary(
    actor: Actor, year: int, commune: str | None = None, province: str | None = None, by_commune: bool = False
) -> pl.DataFrame:
    """Per category (and commune): quantity, original cost, the year's wear, accumulated wear, remaining."""
    b = await book(actor, year, commune, province)
    by = ("commune_code", "commune_name") if by_commune else ()
    return summary_by_category(b.frame.lazy(), *by).collect()


# --- closing a year ---------------------------------------------------------------------


@dataclass
class CloseResult:
    year: int
    closed: list[str]  # commune codes closed now
    already_closed: list[str]
    devices: int
    wear_vnd: int


_RECORD_COLUMNS = [
    "id",
    "closing",
    "asset",
    "commune",
    "year",
    "category",
    "original_cost_vnd",
    "rate_bp",
    "life_years",
    "wear_vnd",
    "accumulated_vnd",
    "remaining_vnd",
    "years_worn",
    "source",
]
_CLOSING_COLUMNS = [
    "id",
    "key",
    "commune",
    "year",
    "closed_by",
    "closed_at",
    "devices",
    "original_cost_vnd",
    "wear_vnd",
    "accumulated_vnd",
    "remaining_vnd",
]


async def close_year(
    actor: Actor,
    year: int,
    commune: str | None = None,
    province: str | None = None,
    *,
    today: dt.date | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> CloseResult:
    """Write the year's wear rows of each commune in scope, once. A commune whose year is
    already closed is left as it is (asked for one commune: 409); so is one with a later
    year closed (its book has moved on)."""
    actor.require(*CLOSERS)
    check_year(year, today, closing=True)
    communes = await commune_scope(actor, commune, province)
    try:
        async with write_transaction():
            result = await _close(actor, year, communes, rules)
    except Exception as error:
        if is_unique_violation(error):
            raise Conflict(f"Năm {year} vừa được khóa sổ bởi người khác.", field="year") from error
        raise
    if commune and not result.closed:
        raise Conflict(f"Năm {year} của xã này đã khóa sổ (hoặc đã khóa năm sau).", field="year")
    return result


async def _close(actor: Actor, year: int, communes: list[CommuneRef], rules: RuleSet) -> CloseResult:
    ids = [c.id for c in communes]
    closed = await _closed(ids)  # read inside the write transaction: SQLite holds the lock
    code = {c.id: c.code for c in communes}
    todo = [i for i in ids if not any(y >= year for y in closed.get(i, []))]
    skipped = [code[i] for i in ids if i not in set(todo)]
    if not todo:
        return CloseResult(year, [], skipped, 0, 0)
    rows, _ = await computed_rows(todo, year, rules)
    per_commune: dict[int, list[dict[str, Any]]] = {i: [] for i in todo}
    for r in rows:
        per_commune[r["commune_id"]].append(r)
    at = now()
    closing_ids = await reserve_ids("wear_closing", len(todo))
    closing_of = dict(zip(todo, closing_ids, strict=True))
    await insert_many(
        "wear_closing",
        _CLOSING_COLUMNS,
        [
            (
                closing_of[i],
                f"{i}:{year}",
                i,
                year,
                actor.user_id or None,
                at,
                len(per_commune[i]),
                sum(r["original_cost_vnd"] for r in per_commune[i]),
                sum(r["wear_vnd"] for r in per_commune[i]),
                sum(r["accumulated_vnd"] for r in per_commune[i]),
                sum(r["remaining_vnd"] for r in per_commune[i]),
            )
            for i in todo
        ],
    )
    record_ids = await reserve_ids("wear_record", len(rows))
    await insert_many(
        "wear_record",
        _RECORD_COLUMNS,
        [
            (
                rid,
                closing_of[r["commune_id"]],
                r["asset_id"],
                r["commune_id"],
                year,
                r["category"],
                r["original_cost_vnd"],
                r["rate_bp"],
                r["life_years"],
                r["wear_vnd"],
                r["accumulated_vnd"],
                r["remaining_vnd"],
                r["years_worn"],
                r["source"][:200],
            )
            for rid, r in zip(record_ids, rows, strict=True)
        ],
    )
    return CloseResult(year, [code[i] for i in todo], skipped, len(rows), sum(r["wear_vnd"] for r in rows))


async def closings(actor: Actor, commune: str | None = None, province: str | None = None) -> list[dict[str, Any]]:
    communes = await commune_scope(actor, commune, province)
    ids = [c.id for c in communes]
    return await WearClosing.raw(
        "SELECT w.year, c.code AS commune_code, c.name AS commune_name, w.closed_at, w.devices, "
        "w.original_cost_vnd, w.wear_vnd, w.accumulated_vnd, w.remaining_vnd "
        f"FROM wear_closing w JOIN commune c ON c.id = w.commune WHERE {_in_list('w.commune', ids)} "
        "ORDER BY w.year DESC, c.code"
    )


# --- one device: card, assessed value, override -----------------------------------------


async def _asset(actor: Actor, asset_id: int) -> dict[str, Any]:
    rows = await Asset.raw(
        "SELECT a.id, a.tag, a.make, a.model, a.serial, a.cost_vnd, a.acquired_on, a.acquired_year, a.status, "
        "a.location, a.assigned_to, a.acquisition, a.commune AS commune_id, c.code AS category, "
        "c.name AS category_name, m.code AS commune_code, m.name AS commune_name "
        "FROM asset a JOIN category c ON c.id = a.category JOIN commune m ON m.id = a.commune WHERE a.id = {}",
        asset_id,
    )
    if not rows or not actor.sees_commune(rows[0]["commune_id"]):
        raise NotFound("Không tìm thấy thiết bị.")
    return rows[0]


@dataclass
class Card:
    asset: dict[str, Any]
    kind: Kind
    kind_name: str
    reason: str
    source: str
    original_cost_vnd: int | None
    in_use_on: dt.date | None
    valuation: Valuation | None
    years: list[dict[str, Any]]  # closed rows, then the open years computed
    events: list[dict[str, Any]]  # value history: cost changes, valuations, overrides


async def card(actor: Actor, asset_id: int, today: dt.date | None = None, rules: RuleSet = DEFAULT_RULES) -> Card:
    actor.require(*READERS)
    a = await _asset(actor, asset_id)
    valuations = await _valuations_of(asset_id)
    overrides = await ClassificationOverride.raw(
        "SELECT kind, reason FROM classification_override WHERE asset = {} ORDER BY id", asset_id
    )
    valuation = valuations[-1] if valuations else None
    override = Override(Kind(overrides[-1]["kind"]), overrides[-1]["reason"]) if overrides else None
    acquired = _effective(a["acquired_on"], a["acquired_year"])
    rating = classify(a["category"], a["cost_vnd"], acquired, valuation=valuation, override=override, rules=rules)
    closed = await WearRecord.raw(
        "SELECT year, original_cost_vnd, rate_bp, life_years, wear_vnd, accumulated_vnd, remaining_vnd, years_worn, "
        "source FROM wear_record WHERE asset = {} ORDER BY year",
        asset_id,
    )
    years = [{**r, "closed": True} for r in closed]
    if rating.kind is Kind.fixed_asset and rating.original_cost_vnd is not None and rating.in_use_on is not None:
        opening = (
            Opening(closed[-1]["year"], closed[-1]["accumulated_vnd"], closed[-1]["years_worn"]) if closed else None
        )
        through = last_run_year(today or today_vn())
        for w in schedule(
            a["category"], rating.original_cost_vnd, rating.in_use_on, through, opening=opening, rules=rules
        ):
            years.append({**w.__dict__, "closed": False})
    events = await AssetEvent.raw(
        "SELECT kind, at, changes, note FROM asset_event WHERE asset = {} ORDER BY at, id", asset_id
    )
    value_events = []
    for e in events:
        changes = e["changes"] if isinstance(e["changes"], dict) else json.loads(e["changes"] or "{}")
        if e["kind"] in ("registered", "imported", "delivered", "valuation", "classification") or "cost_vnd" in changes:
            value_events.append({**e, "changes": changes})
    return Card(
        a,
        rating.kind,
        KIND_VI[rating.kind],
        rating.reason,
        rating.source,
        rating.original_cost_vnd,
        rating.in_use_on,
        valuation,
        years,
        value_events,
    )


async def _valuations_of(asset_id: int) -> list[Valuation]:
    rows = await AssetValuation.raw(
        "SELECT value_vnd, assessed_on, basis FROM asset_valuation WHERE asset = {} ORDER BY id", asset_id
    )
    return [Valuation(r["value_vnd"], _date(r["assessed_on"]), r["basis"]) for r in rows]


async def _event(asset_id: int, kind: str, actor: Actor, changes: dict[str, Any], note: str, at: dt.datetime) -> None:
    await AssetEvent.insert(
        AssetEvent(
            asset=asset_id,
            kind=kind,
            actor=actor.user_id or None,
            at=at,
            changes=json.dumps(changes, ensure_ascii=False, default=str),
            note=note,
        )
    )


async def set_valuation(actor: Actor, asset_id: int, value_vnd: int, assessed_on: dt.date, basis: str) -> Card:
    """Record an assessed value (with its date and basis) for a device; history keeps it."""
    actor.require(*CLOSERS)
    basis = basis.strip()
    if not basis:
        raise DomainError("Cần ghi căn cứ xác định giá trị.", field="basis")
    if value_vnd <= 0:
        raise DomainError("Giá trị đánh giá phải lớn hơn 0.", field="value_vnd")
    if assessed_on > today_vn():
        raise DomainError("Ngày đánh giá không được sau hôm nay.", field="assessed_on")
    a = await _asset(actor, asset_id)
    at = now()
    async with write_transaction():
        await AssetValuation.insert(
            AssetValuation(
                asset=asset_id,
                value_vnd=value_vnd,
                assessed_on=assessed_on,
                basis=basis,
                recorded_by=actor.user_id or None,
                recorded_at=at,
            )
        )
        changes = {"assessed_value_vnd": {"before": None, "after": value_vnd}, "assessed_on": {"after": assessed_on}}
        await _event(a["id"], "valuation", actor, changes, basis, at)
    return await card(actor, asset_id)


async def override_kind(actor: Actor, asset_id: int, kind: Kind, reason: str) -> Card:
    """An administrator's decision: fixed asset or tool, whatever the cost says, with the reason."""
    actor.require("admin")
    reason = reason.strip()
    if not reason:
        raise DomainError("Cần ghi lý do điều chỉnh.", field="reason")
    if kind not in (Kind.fixed_asset, Kind.tool):
        raise DomainError("Chỉ chọn tài sản cố định hoặc công cụ, dụng cụ.", field="kind")
    before = await card(actor, asset_id)
    at = now()
    async with write_transaction():
        await ClassificationOverride.insert(
            ClassificationOverride(
                asset=asset_id, kind=kind.value, reason=reason, decided_by=actor.user_id or None, decided_at=at
            )
        )
        changes = {"classification": {"before": before.kind.value, "after": kind.value}}
        await _event(asset_id, "classification", actor, changes, reason, at)
    return await card(actor, asset_id)


# --- stocktake minutes ------------------------------------------------------------------

MINUTES_READERS = ("admin", "finance", "accountant", "staff", "national")
_CONDITION_VI = {"good": "Tốt", "fair": "Trung bình", "poor": "Kém", "broken": "Hỏng"}
_PLACE_VI = {"office": "Văn phòng", "service_point": "Bộ phận một cửa"}


def _proposal(found: bool, condition: str | None) -> str:
    if not found:
        return "Tìm, làm rõ nguyên nhân thiếu"
    if condition == "broken":
        return "Đề nghị sửa chữa hoặc thanh lý"
    if condition == "poor":
        return "Theo dõi, sửa chữa"
    return "Tiếp tục sử dụng"


async def minutes_round(actor: Actor, stocktake_id: int) -> dict[str, Any]:
    """The stocktake round the minutes are of, if the actor may see it (else 404)."""
    actor.require(*MINUTES_READERS)
    rows = await Asset.raw(
        "SELECT s.id, s.status, s.finished_at, s.commune AS commune_id FROM stocktake s WHERE s.id = {}", stocktake_id
    )
    if not rows or not actor.sees_commune(rows[0]["commune_id"]):
        raise NotFound("Không tìm thấy đợt kiểm kê.")
    return rows[0]


async def stocktake_minutes(actor: Actor, stocktake_id: int, members: list[Any]) -> Any:
    """The minutes of a finished stocktake round: per device, what the books say (quantity,
    original cost, remaining value after the last December run before the count) against
    what was counted; devices found but not on the books are surplus."""
    from procurement.public_property.papers import CATEGORY_VI, Member, Minutes

    round_ = await minutes_round(actor, stocktake_id)
    if round_["status"] != "finished" or round_["finished_at"] is None:
        raise Conflict("Đợt kiểm kê chưa kết thúc: biên bản lập khi kết thúc đợt.", field="status")
    if not members or not all(getattr(m, "name", "").strip() for m in members):
        raise DomainError("Cần ít nhất một thành viên Ban kiểm kê, có họ tên.", field="members")
    finished = round_["finished_at"]
    if not isinstance(finished, dt.datetime):
        finished = dt.datetime.fromisoformat(str(finished))
    counted_on = to_vn(finished).date()
    commune = (await _communes("c.id = {}", round_["commune_id"]))[0]
    book_year = last_run_year(counted_on)
    values = {r["asset_id"]: r for r in (await book_for([commune], book_year)).frame.iter_rows(named=True)}
    devices = await Asset.raw(
        "SELECT a.id, a.tag, a.make, a.model, a.location, a.condition, a.cost_vnd, c.code AS category "
        "FROM asset a JOIN category c ON c.id = a.category WHERE a.commune = {} AND a.status <> 'disposed' "
        "ORDER BY a.tag",
        commune.id,
    )
    results = await Asset.raw(
        "SELECT asset, kind, condition, tag, description FROM stocktake_result WHERE stocktake = {} ORDER BY id",
        stocktake_id,
    )
    latest: dict[int, dict[str, Any]] = {}
    for r in results:
        if r["asset"] is not None:
            latest[r["asset"]] = r
    out = []
    for d in devices:
        result = latest.get(d["id"])
        found = result is not None and result["kind"] in ("confirmed", "moved")
        value = values.get(d["id"])
        cost = value["original_cost_vnd"] if value else (d["cost_vnd"] or 0)
        remaining = value["remaining_vnd"] if value else 0
        condition = (result or {}).get("condition") or d["condition"]
        out.append(
            {
                "tag": d["tag"],
                "category_name": CATEGORY_VI.get(d["category"], d["category"]),
                "description": f"{d['make']} {d['model']}".strip(),
                "place": _PLACE_VI.get(d["location"], d["location"]),
                "book_qty": 1,
                "book_cost_vnd": cost,
                "book_remaining_vnd": remaining,
                "count_qty": 1 if found else 0,
                "count_cost_vnd": cost if found else 0,
                "count_remaining_vnd": remaining if found else 0,
                "diff_qty": 0 if found else -1,
                "diff_cost_vnd": 0 if found else -cost,
                "condition": _CONDITION_VI.get(condition or "", "") if found else "Không thấy",
                "proposal": _proposal(found, condition),
            }
        )
    for r in results:
        if r["kind"] == "unregistered":
            out.append(
                {
                    "tag": r["tag"] or "",
                    "category_name": "Chưa có trong sổ",
                    "description": r["description"] or "",
                    "place": "",
                    "book_qty": 0,
                    "book_cost_vnd": 0,
                    "book_remaining_vnd": 0,
                    "count_qty": 1,
                    "count_cost_vnd": 0,
                    "count_remaining_vnd": 0,
                    "diff_qty": 1,
                    "diff_cost_vnd": 0,
                    "condition": _CONDITION_VI.get(r["condition"] or "", ""),
                    "proposal": "Xác định nguồn gốc, nguyên giá và ghi sổ",
                }
            )
    schema = {
        "tag": pl.String,
        "category_name": pl.String,
        "description": pl.String,
        "place": pl.String,
        **dict.fromkeys(("book_qty", "book_cost_vnd", "book_remaining_vnd", "count_qty"), pl.Int64),
        **dict.fromkeys(("count_cost_vnd", "count_remaining_vnd", "diff_qty", "diff_cost_vnd"), pl.Int64),
        "condition": pl.String,
        "proposal": pl.String,
    }
    return Minutes(
        stocktake_id,
        commune.name,
        commune.province_name,
        counted_on,
        [Member(m.name.strip(), m.position.strip(), getattr(m, "role", "") or "") for m in members],
        pl.DataFrame(out, schema=schema),
        [f"Giá trị theo sổ: số liệu sau lần tính hao mòn năm {book_year}."],
    )


async def finished_rounds(actor: Actor, commune: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """The commune's latest finished stocktake rounds, whose minutes can be made."""
    communes = await commune_scope(actor, commune)
    if len(communes) != 1:
        return []
    return await Asset.raw(
        "SELECT id, finished_at FROM stocktake WHERE commune = {} AND status = 'finished' "
        f"ORDER BY id DESC LIMIT {int(limit)}",
        communes[0].id,
    )
