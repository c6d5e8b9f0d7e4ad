"""Which labels to print, for whom, and the record that they were printed.

The rendering itself lives in ``labels.render``; this module reads the assets
(scoped to the caller's commune), builds each label's text and URL, and logs
the print so "only assets never printed" can be asked later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from piccolo.query import WhereRaw
from pydantic import Field, model_validator

from labels.qr import scan_url
from labels.render import STOCKS, LabelData, label_sheet_pdf, sheet_count
from labels.tags import display_tag
from models.scan import LabelPrint
from models.tables import Asset, Commune
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now
from procurement.core.errors import Conflict, DomainError, Forbidden, NotFound, broken_rule
from procurement.core.heavy import run_heavy
from procurement.core.transactions import write_transaction
from procurement.register.schemas import Status, Tag, _Input

MAX_LABELS = 5000  # one request; a whole commune is a few hundred at most
STOCK_NAMES = tuple(STOCKS)


class LabelSelection(_Input):
    """What to print: exactly one of asset_id, tags, commune_code."""

    asset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    tags: list[Tag] | None = Field(default=None, min_length=1, max_length=MAX_LABELS)
    commune_code: str | None = Field(default=None, min_length=1, max_length=5)
    only_unprinted: bool = Field(default=False, description="Skip assets that already had a label printed")
    stock: str = Field(
        default="a4-3x8",
        description=f"Label stock: {', '.join(STOCK_NAMES)}",
        json_schema_extra={"enum": list(STOCK_NAMES)},  # stated in the API document
    )
    skip: int = Field(default=0, ge=0, le=64, description="Used labels to leave blank on the first sheet")

    @model_validator(mode="after")
    def _one_choice(self):
        chosen = [name for name in ("asset_id", "tags", "commune_code") if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise broken_rule("Chọn đúng một trong: asset_id, tags, commune_code.")
        if self.stock not in STOCKS:
            raise ValueError(f"stock: Khổ nhãn không có; chọn một trong {', '.join(STOCK_NAMES)}.")
        if self.skip >= STOCKS[self.stock].labels_per_sheet:
            raise broken_rule(f"skip: Số nhãn bỏ qua phải nhỏ hơn {STOCKS[self.stock].labels_per_sheet}.")
        return self


def owner_line(commune_name: str) -> str:
    """'Xã An Viễn' -> 'Tài sản UBND xã An Viễn' (also phường, đặc khu)."""
    for kind in ("Xã ", "Phường ", "Đặc khu "):
        if commune_name.startswith(kind):
            return f"Tài sản UBND {kind.lower()}{commune_name[len(kind) :]}"
    return f"Tài sản UBND {commune_name}"


# Piccolo names the main table by its own name in a joined SELECT.
_NEVER_PRINTED = WhereRaw("asset.id NOT IN (SELECT asset FROM label_print)")

_COLUMNS = (
    Asset.id,
    Asset.tag,
    Asset.commune.id.as_alias("commune_id"),
    Asset.commune.name.as_alias("commune_name"),
    Asset.category.name.as_alias("category_name"),
)


async def _commune_id(actor: Actor, code: str) -> int:
    row = await Commune.select(Commune.id).where(Commune.code == code).first()
    if row is None:
        raise DomainError(f"Không có xã/phường mã {code}.", field="commune_code", code="unknown_commune")
    if not actor.sees_commune(row["id"]):
        raise Forbidden("Xã/phường này ngoài phạm vi của bạn: chỉ in nhãn trong xã (tỉnh) mình.", field="commune_code")
    return row["id"]


async def select_assets(actor: Actor, selection: LabelSelection) -> list[dict[str, Any]]:
    """The chosen assets in print order (tag order, or the order of the tags given)."""
    actor.require(*REGISTER_WRITERS)
    unprinted = [_NEVER_PRINTED] if selection.only_unprinted else []
    if selection.asset_id is not None:
        rows = await Asset.select(*_COLUMNS).where(Asset.id == selection.asset_id)
        if not rows or not actor.sees_commune(rows[0]["commune_id"]):
            raise NotFound("Không tìm thấy thiết bị.", field="asset_id")
        if unprinted:
            rows = await Asset.select(*_COLUMNS).where(Asset.id == selection.asset_id, *unprinted)
    elif selection.tags is not None:
        wanted = list(dict.fromkeys(selection.tags))
        found = {row["tag"]: row for row in await Asset.select(*_COLUMNS).where(Asset.tag.is_in(wanted))}
        missing = [t for t in wanted if t not in found or not actor.sees_commune(found[t]["commune_id"])]
        if missing:
            raise NotFound(f"Không tìm thấy thiết bị: {', '.join(display_tag(t) for t in missing)}.", field="tags")
        if unprinted:
            kept = {row["id"] for row in await Asset.select(Asset.id).where(Asset.tag.is_in(wanted), *unprinted)}
            wanted = [t for t in wanted if found[t]["id"] in kept]
        rows = [found[t] for t in wanted]
    else:
        commune_id = await _commune_id(actor, selection.commune_code or "")
        rows = await (
            Asset.select(*_COLUMNS)
            .where(Asset.commune.id == commune_id, Asset.status != Status.disposed.value, *unprinted)
            .order_by(Asset.tag)
        )
    if len(rows) > MAX_LABELS:
        raise DomainError(f"Tối đa {MAX_LABELS} nhãn mỗi lần in.", field="commune_code", code="too_many")
    if not rows:
        raise NotFound(
            "Không có thiết bị nào cần in nhãn.", field="only_unprinted" if selection.only_unprinted else None
        )
    return rows


def label_data(rows: list[dict[str, Any]], base_url: str) -> list[LabelData]:
    return [
        LabelData(
            tag=row["tag"],
            url=scan_url(base_url, row["tag"]),
            commune_name=row["commune_name"],
            category_name=row["category_name"],
            owner_line=owner_line(row["commune_name"]),
        )
        for row in rows
    ]


async def record_printed(actor: Actor, asset_ids: list[int], stock: str) -> None:
    """One row per label in the print log, written by one INSERT ... SELECT per
    chunk: building a Piccolo object per row took longer than the PDF's repeat."""
    at = now()
    async with write_transaction():
        # Chunks keep each statement under the engines' bound-parameter limits.
        for start in range(0, len(asset_ids), 5000):
            chunk = asset_ids[start : start + 5000]
            await LabelPrint.raw(
                "INSERT INTO label_print (asset, printed_by, printed_at, stock) "
                f"SELECT id, {{}}, {{}}, {{}} FROM asset WHERE id IN ({', '.join('{}' for _ in chunk)})",
                actor.user_id,
                at,
                stock,
                *chunk,
            )


@dataclass(frozen=True)
class LabelPlan:
    """What a selection would print, shown to the person before anything is printed."""

    count: int
    sheets: int
    first_tags: tuple[str, ...]  # up to PLAN_SHOWN_TAGS, displayed form
    fingerprint: str  # changes whenever the labels, their order, stock or skip change


PLAN_SHOWN_TAGS = 6


def _fingerprint(rows: list[dict[str, Any]], selection: LabelSelection) -> str:
    text = f"{selection.stock}:{selection.skip}:" + ",".join(str(row["id"]) for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plan(rows: list[dict[str, Any]], selection: LabelSelection) -> LabelPlan:
    return LabelPlan(
        count=len(rows),
        sheets=sheet_count(len(rows), selection.stock, selection.skip),
        first_tags=tuple(display_tag(row["tag"]) for row in rows[:PLAN_SHOWN_TAGS]),
        fingerprint=_fingerprint(rows, selection),
    )


async def plan_labels(actor: Actor, selection: LabelSelection) -> LabelPlan:
    """How many labels (and sheets) the selection prints; nothing is printed or logged."""
    return _plan(await select_assets(actor, selection), selection)


async def print_sheet(
    actor: Actor, selection: LabelSelection, base_url: str, *, expected: str | None = None
) -> tuple[bytes, int]:
    """PDF sheets for the selection, recorded as printed; returns (pdf, label count).

    ``expected`` is the fingerprint of the plan the person saw: when the
    selection no longer gives exactly those labels (a device registered or
    printed meanwhile, a field changed after the preview), nothing is printed
    and :class:`SelectionChanged` carries the new plan.
    """
    rows = await select_assets(actor, selection)
    if expected is not None and _fingerprint(rows, selection) != expected:
        raise SelectionChanged(_plan(rows, selection))
    pdf = await run_heavy(label_sheet_pdf, label_data(rows, base_url), stock=selection.stock, skip=selection.skip)
    await record_printed(actor, [row["id"] for row in rows], selection.stock)
    return pdf, len(rows)


class SelectionChanged(Conflict):
    def __init__(self, plan: LabelPlan):
        super().__init__(
            f"Danh sách nhãn đã thay đổi từ lúc xem trước: nay là {plan.count} nhãn. Kiểm tra lại rồi bấm In.",
            code="selection_changed",
        )
        self.plan = plan


async def one_label(actor: Actor, tag: str, base_url: str) -> LabelData:
    rows = await Asset.select(*_COLUMNS).where(Asset.tag == tag)
    if not rows or not actor.sees_commune(rows[0]["commune_id"]):
        raise NotFound("Không tìm thấy thiết bị.", field="tag")
    return label_data(rows, base_url)[0]


async def unprinted_count(actor: Actor, commune_id: int) -> int:
    return await Asset.count().where(
        Asset.commune.id == commune_id,
        Asset.status != Status.disposed.value,
        _NEVER_PRINTED,
    )
