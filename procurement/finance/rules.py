"""Pure money and date invariants of the disbursement chain.

budget line → (sub-lines) → allocations → contracts → payments

Every check takes plain values (``int`` dong, ``datetime.date``) and either
returns ``None`` or raises:

* :class:`LimitExceeded` — a ceiling would be broken; carries the limit, the
  request and ``over_by_vnd`` so the caller can show "vượt 1 đ";
* :class:`RuleViolation` — an incoherent value (non-positive amount, float
  money, date out of order, bad milestone...).

The use-cases are expected to call these inside a database transaction after
locking the parent row (``SELECT ... FOR UPDATE`` on the line / allocation /
contract) and to pass the *current* totals read under that lock.  When an
existing row is being edited, pass totals that exclude that row.

"Remaining" of a budget line is its amount minus everything charged to it
(:class:`LineCharges`): sub-lines, allocations, contracts signed straight on the
line (central purchasing) and payments made straight on the line without a
contract. Money handed down or committed by any of these paths is no longer
available at the line's own level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from procurement.core.money import format_vnd

__all__ = [
    "DomainError",
    "LimitExceeded",
    "LineCharges",
    "RuleViolation",
    "amendment_value_change",
    "check_allocation_fits",
    "check_amendment_date",
    "check_amendment_items",
    "check_amendment_value",
    "check_amount",
    "check_contract_fits",
    "check_contract_signed_after_decision",
    "check_line_charge",
    "check_line_dates",
    "check_milestones",
    "check_payment",
    "check_payment_after_signing",
    "check_payment_date",
    "check_reversal",
    "check_sub_line_fits",
    "check_within",
]


class DomainError(Exception):
    """Base class of business-rule errors (not HTTP, not DB)."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - trivial
        raise NotImplementedError


class LimitExceeded(DomainError):
    """A requested amount does not fit under a ceiling.

    ``limit`` is a stable machine code (e.g. ``"line_remaining"``),
    ``limit_vnd`` what is still available, ``requested_vnd`` what was asked
    and ``over_by_vnd = requested_vnd − limit_vnd`` (always > 0).
    """

    def __init__(
        self,
        limit: str,
        limit_vnd: int,
        requested_vnd: int,
        over_by_vnd: int,
        message_vi: str,
        field: str = "amount_vnd",
    ):
        self.field = field  # the input that asked for the amount: where a form shows the refusal
        self.limit = limit
        self.limit_vnd = limit_vnd
        self.requested_vnd = requested_vnd
        self.over_by_vnd = over_by_vnd
        self.message_vi = message_vi
        super().__init__(message_vi)

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": "limit_exceeded",
            "limit": self.limit,
            "limit_vnd": self.limit_vnd,
            "requested_vnd": self.requested_vnd,
            "over_by_vnd": self.over_by_vnd,
            "message_vi": self.message_vi,
        }


class RuleViolation(DomainError):
    """An incoherent value: ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {"error": "rule_violation", "field": self.field, "message": self.message}


# Vietnamese names of the ceilings, used in messages.
_LIMIT_LABELS_VI = {
    "line_remaining": "số còn lại của dòng ngân sách",
    "parent_line_remaining": "số còn lại của dòng ngân sách cấp trên",
    "allocation_remaining": "số còn lại của phân bổ",
    "contract_unpaid": "giá trị hợp đồng còn chưa thanh toán",
    "payment_reversible": "số tiền của chứng từ thanh toán gốc",
    "paid_total": "tổng số đã thanh toán của hợp đồng",
    "contract_paid": "phần giá trị hợp đồng chưa thanh toán",
}


def check_amount(amount: object, field: str = "amount_vnd") -> int:
    """A money amount must be a positive whole number of dong (``int``, not ``bool``/``float``)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise RuleViolation(field, f"số tiền phải là số nguyên đồng, không nhận {type(amount).__name__} ({amount!r})")
    if amount <= 0:
        raise RuleViolation(field, f"số tiền phải lớn hơn 0, nhận {format_vnd(amount)}")
    return amount


def _total(value: object, field: str) -> int:
    """Totals read from the database: whole dong, may be 0 (never bool/float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(field, f"phải là số nguyên đồng, không nhận {type(value).__name__} ({value!r})")
    return value


def check_within(limit: str, capacity_vnd: int, used_vnd: int, requested_vnd: int) -> None:
    """Generic ceiling: ``used + requested ≤ capacity`` or :class:`LimitExceeded`.

    ``limit_vnd`` reported is what is left (``capacity − used``, floored at 0).
    """
    check_amount(requested_vnd, "requested_vnd")
    capacity_vnd = _total(capacity_vnd, "capacity_vnd")
    used_vnd = _total(used_vnd, "used_vnd")
    available = max(capacity_vnd - used_vnd, 0)
    if requested_vnd > available:
        over = requested_vnd - available
        label = _LIMIT_LABELS_VI.get(limit, limit)
        raise LimitExceeded(
            limit=limit,
            limit_vnd=available,
            requested_vnd=requested_vnd,
            over_by_vnd=over,
            message_vi=(
                f"Số tiền đề nghị {format_vnd(requested_vnd)} vượt {label} "
                f"({format_vnd(available)}) là {format_vnd(over)}."
            ),
        )


@dataclass(frozen=True)
class LineCharges:
    """Everything already charged to one budget line, whole dong (read under the line's lock).

    * ``sub_lines_vnd`` — amounts of its sub-lines;
    * ``allocated_vnd`` — amounts of its allocations (communes or central purchasing);
    * ``contracted_vnd`` — values of contracts signed straight on the line (no allocation);
    * ``paid_direct_vnd`` — net payments made straight on the line with neither
      contract nor allocation (reversals included).

    Payments under a contract are not added: they stay within the contract's value,
    which is already counted (on the line or in its allocation).
    """

    sub_lines_vnd: int = 0
    allocated_vnd: int = 0
    contracted_vnd: int = 0
    paid_direct_vnd: int = 0

    @property
    def total_vnd(self) -> int:
        return sum(
            _total(getattr(self, name), name)
            for name in ("sub_lines_vnd", "allocated_vnd", "contracted_vnd", "paid_direct_vnd")
        )

    def remaining_vnd(self, line_amount_vnd: int) -> int:
        """What the line can still take (never below 0)."""
        return max(_total(line_amount_vnd, "line_amount_vnd") - self.total_vnd, 0)


def check_line_charge(
    line_amount_vnd: int, charges: LineCharges, requested_vnd: int, *, limit: str = "line_remaining"
) -> None:
    """Any new charge on a line (sub-line, allocation, split, contract or payment
    straight on the line) must fit in what every earlier charge has left."""
    check_within(limit, line_amount_vnd, charges.total_vnd, requested_vnd)


def check_sub_line_fits(
    parent_amount_vnd: int, parent_sub_lines_vnd: int, parent_allocated_vnd: int, requested_vnd: int
) -> None:
    """A new sub-line must fit in what the parent line has not yet handed down."""
    charges = LineCharges(sub_lines_vnd=parent_sub_lines_vnd, allocated_vnd=parent_allocated_vnd)
    check_line_charge(parent_amount_vnd, charges, requested_vnd, limit="parent_line_remaining")


def check_allocation_fits(
    line_amount_vnd: int, line_allocated_vnd: int, requested_vnd: int, line_sub_lines_vnd: int = 0
) -> None:
    """An allocation (a commune's share, or central purchasing) must fit in the line's remaining."""
    charges = LineCharges(sub_lines_vnd=line_sub_lines_vnd, allocated_vnd=line_allocated_vnd)
    check_line_charge(line_amount_vnd, charges, requested_vnd)


def check_contract_fits(
    ceiling_vnd: int, contracted_vnd: int, requested_vnd: int, *, central_purchasing: bool = False
) -> None:
    """Contract value must fit in what is left of its allocation.

    For central purchasing the province may also sign against the line
    directly: then ``ceiling_vnd`` is the line's amount and ``contracted_vnd``
    everything already contracted on the line (``central_purchasing=True``
    only changes the limit code / message).
    """
    check_within(
        "line_remaining" if central_purchasing else "allocation_remaining",
        ceiling_vnd,
        _total(contracted_vnd, "contracted_vnd"),
        requested_vnd,
    )


def check_line_dates(decision_date: date, deadline: date | None) -> None:
    """A line's deadline, if any, cannot precede its decision date."""
    if deadline is not None and deadline < decision_date:
        raise RuleViolation(
            "deadline",
            f"hạn hoàn thành {deadline:%d/%m/%Y} trước ngày quyết định {decision_date:%d/%m/%Y}",
        )


def check_contract_signed_after_decision(signed_on: date, line_decision_date: date) -> None:
    """No contract may be signed before the budget line's decision date (same day is fine)."""
    if signed_on < line_decision_date:
        raise RuleViolation(
            "signed_on",
            f"ngày ký hợp đồng {signed_on:%d/%m/%Y} trước ngày quyết định giao dự toán {line_decision_date:%d/%m/%Y}",
        )


def check_payment_after_signing(paid_on: date, contract_signed_on: date) -> None:
    """No payment before the contract is signed (same day is fine)."""
    if paid_on < contract_signed_on:
        raise RuleViolation(
            "paid_on",
            f"ngày thanh toán {paid_on:%d/%m/%Y} trước ngày ký hợp đồng {contract_signed_on:%d/%m/%Y}",
        )


def check_payment_date(paid_on: date, today: date, field: str = "paid_on") -> None:
    """A payment (or reversal) cannot be dated after today — Vietnam's today, see
    :func:`procurement.core.clock.today_vn`: the treasury pays on a day that has come.
    A date in the future is a typo (2099 for 2025), refused rather than hidden from
    the "as of today" figures."""
    if paid_on > today:
        raise RuleViolation(
            field,
            f"ngày thanh toán {paid_on:%d/%m/%Y} sau ngày hôm nay {today:%d/%m/%Y}: không ghi trước khoản chưa chi",
        )


def check_payment(
    contract_value_vnd: int,
    paid_vnd: int,
    amount_vnd: int,
    paid_on: date,
    contract_signed_on: date,
    today: date | None = None,
) -> None:
    """A (positive) payment: after signing, not after ``today`` (when given), and
    ``paid + amount ≤ contract value``.

    ``paid_vnd`` is the contract's net paid so far (payments minus reversals).
    Reversals go through :func:`check_reversal`.
    """
    check_amount(amount_vnd, "amount_vnd")
    check_payment_after_signing(paid_on, contract_signed_on)
    if today is not None:
        check_payment_date(paid_on, today)
    check_within("contract_unpaid", contract_value_vnd, _total(paid_vnd, "paid_vnd"), amount_vnd)


def check_reversal(
    amount_vnd: int,
    *,
    original_amount_vnd: int | None,
    original_paid_on: date | None,
    original_already_reversed: bool,
    paid_vnd: int,
    reversed_on: date,
) -> None:
    """A reversal (bút toán đảo) of an earlier payment.

    * ``amount_vnd`` is negative (the reversing entry), non-zero integer;
    * it must reference an existing original payment (``original_amount_vnd``
      not ``None``) that is itself a positive payment, dated on or before the
      reversal;
    * a payment can be reversed only once (fully or partly);
    * ``|amount| ≤ original`` and the contract's net paid never drops below 0.
    """
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int):
        raise RuleViolation("amount_vnd", f"số tiền phải là số nguyên đồng, không nhận {type(amount_vnd).__name__}")
    if amount_vnd >= 0:
        raise RuleViolation("amount_vnd", "bút toán đảo phải là số âm")
    if original_amount_vnd is None or original_paid_on is None:
        raise RuleViolation("reverses_payment_id", "bút toán đảo phải tham chiếu một chứng từ thanh toán trước đó")
    if isinstance(original_amount_vnd, bool) or not isinstance(original_amount_vnd, int) or original_amount_vnd <= 0:
        raise RuleViolation(
            "reverses_payment_id", "chỉ được đảo một chứng từ thanh toán dương, không đảo một bút toán đảo"
        )
    if original_paid_on > reversed_on:
        raise RuleViolation(
            "paid_on",
            f"ngày đảo {reversed_on:%d/%m/%Y} trước ngày thanh toán gốc {original_paid_on:%d/%m/%Y}",
        )
    if original_already_reversed:
        raise RuleViolation("reverses_payment_id", "chứng từ thanh toán này đã được đảo, chỉ được đảo một lần")
    # |amount| ≤ original payment, and ≤ what has been paid net (never below 0).
    check_within("payment_reversible", original_amount_vnd, 0, -amount_vnd)
    check_within("paid_total", _total(paid_vnd, "paid_vnd"), 0, -amount_vnd)


def check_milestones(milestones: Iterable[tuple[date, float]], decision_date: date | None = None) -> None:
    """Schedule milestones ``(due_on, target_share)`` of one line.

    * ``target_share`` is a real number in (0, 1];
    * ``due_on`` strictly increasing (in the given order), and not before the
      line's decision date if given;
    * shares non-decreasing (cumulative targets).
    """
    items: Sequence[tuple[date, float]] = list(milestones)
    previous: tuple[date, float] | None = None
    for index, (due_on, share) in enumerate(items):
        field = f"milestones[{index}]"
        if isinstance(share, bool) or not isinstance(share, (int, float)) or share != share:
            raise RuleViolation(f"{field}.target_share", f"tỷ lệ mục tiêu phải là số, nhận {share!r}")
        if not 0 < share <= 1:
            raise RuleViolation(f"{field}.target_share", f"tỷ lệ mục tiêu phải trong (0, 1], nhận {share!r}")
        if decision_date is not None and due_on < decision_date:
            raise RuleViolation(
                f"{field}.due_on", f"mốc {due_on:%d/%m/%Y} trước ngày quyết định {decision_date:%d/%m/%Y}"
            )
        if previous is not None:
            if due_on <= previous[0]:
                raise RuleViolation(
                    f"{field}.due_on",
                    f"các mốc phải theo thứ tự ngày tăng dần ({due_on:%d/%m/%Y} ≤ {previous[0]:%d/%m/%Y})",
                )
            if share < previous[1]:
                raise RuleViolation(
                    f"{field}.target_share", f"tỷ lệ lũy kế không được giảm ({share!r} < {previous[1]!r})"
                )
        previous = (due_on, share)


# --- contract amendments (phụ lục hợp đồng) ---------------------------------------------


def check_amendment_date(signed_on: date, contract_signed_on: date, today: date) -> None:
    """An amendment is signed on a day that has come (Vietnam's today), not before the contract."""
    if signed_on > today:
        raise RuleViolation("signed_on", f"ngày ký phụ lục {signed_on:%d/%m/%Y} sau ngày hôm nay {today:%d/%m/%Y}")
    if signed_on < contract_signed_on:
        raise RuleViolation(
            "signed_on",
            f"ngày ký phụ lục {signed_on:%d/%m/%Y} trước ngày ký hợp đồng {contract_signed_on:%d/%m/%Y}",
        )


def amendment_value_change(
    value_vnd: int,
    new_value_vnd: int | None,
    value_change_vnd: int | None,
    items_change_vnd: int,
    has_items: bool,
) -> int:
    """The change of the contract's value an amendment makes: to ``new_value_vnd``, or by
    ``value_change_vnd``, or (neither given) by what its items add or drop
    (``items_change_vnd`` = Σ quantity change × unit price). A value given beside items
    must agree with them; an amendment that changes neither value nor items is refused."""
    if new_value_vnd is not None and value_change_vnd is not None:
        raise RuleViolation("value_change_vnd", "ghi giá trị mới hoặc số tiền thay đổi, không ghi cả hai")
    if new_value_vnd is not None:
        change, field = new_value_vnd - _total(value_vnd, "value_vnd"), "new_value_vnd"
    elif value_change_vnd is not None:
        change, field = value_change_vnd, "value_change_vnd"
    else:
        change, field = items_change_vnd, "value_change_vnd"
    if has_items and change != items_change_vnd:
        raise RuleViolation(
            field,
            f"giá trị thay đổi {format_vnd(change)} khác thay đổi của các mặt hàng {format_vnd(items_change_vnd)}",
        )
    if change == 0 and not has_items:
        raise RuleViolation(field, "phụ lục không thay đổi giá trị hay mặt hàng nào")
    return change


def check_amendment_value(value_vnd: int, paid_vnd: int, change_vnd: int) -> None:
    """A lower value never falls below what is already paid (409 naming the paid amount and
    the excess), and a contract keeps a value above 0. Rises are checked against the
    allocation or line by the caller (:func:`check_within` / :func:`check_line_charge`)."""
    value_vnd = _total(value_vnd, "value_vnd")
    paid_vnd = _total(paid_vnd, "paid_vnd")
    if change_vnd < 0:
        reducible = max(value_vnd - paid_vnd, 0)
        if -change_vnd > reducible:
            over = -change_vnd - reducible
            raise LimitExceeded(
                limit="contract_paid",
                limit_vnd=reducible,
                requested_vnd=-change_vnd,
                over_by_vnd=over,
                message_vi=(
                    f"Giảm {format_vnd(-change_vnd)} làm giá trị hợp đồng ({format_vnd(value_vnd + change_vnd)}) "
                    f"thấp hơn số đã thanh toán ({format_vnd(paid_vnd)}) là {format_vnd(over)}; "
                    f"giảm được nhiều nhất {format_vnd(reducible)}."
                ),
            )
    if value_vnd + change_vnd <= 0:
        raise RuleViolation("value_change_vnd", "giá trị hợp đồng sau phụ lục phải lớn hơn 0")


def check_amendment_items(
    bought: dict[str, int], delivered: dict[str, int], changes: Sequence[tuple[str, int]]
) -> None:
    """Item changes ``(category, quantity change)``: none is 0, and no category ends below
    what has been delivered already (nor below 0)."""
    after = dict(bought)
    for index, (category, change) in enumerate(changes):
        if change == 0:
            raise RuleViolation(f"items[{index}].quantity_change", "số lượng thay đổi phải khác 0")
        after[category] = after.get(category, 0) + change
        floor = delivered.get(category, 0)
        if after[category] < floor:
            raise RuleViolation(
                f"items[{index}].quantity_change",
                f"còn {after[category]} {category} sau phụ lục, ít hơn số đã giao ({floor})",
            )
