"""Procurement package (gói thầu) lifecycle and procurement methods.

State machine::

    planned → tendering → contracted → delivered → accepted → closed
       ↘          ↘            ↘            ↘           ↘
                            cancelled

* A package moves **forward exactly one step** at a time; skipping a step
  (e.g. planned → contracted) is refused, so every stage leaves a trace
  (tender documents, contract, delivery note, acceptance record).
* Any non-final state may move to ``cancelled``.
* ``closed`` and ``cancelled`` are final: nothing leaves them.
* Staying in the same state is not a transition and is refused too.

This module is pure: the use-case reads the current status under a row lock,
calls :func:`check_transition`, then writes the new status.
"""

from __future__ import annotations

from enum import StrEnum

from procurement.core import vocabulary

__all__ = [
    "FINAL_STATUSES",
    "InvalidTransition",
    "PackageStatus",
    "ProcurementMethod",
    "check_transition",
    "is_final",
    "next_statuses",
]


class PackageStatus(StrEnum):
    PLANNED = "planned"
    TENDERING = "tendering"
    CONTRACTED = "contracted"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label_vi(self) -> str:
        return _STATUS_LABELS_VI[self]


_STATUS_LABELS_VI = {PackageStatus(code): name for code, name in vocabulary.names("package_status").items()}

# The forward path, in order.
_PATH = (
    PackageStatus.PLANNED,
    PackageStatus.TENDERING,
    PackageStatus.CONTRACTED,
    PackageStatus.DELIVERED,
    PackageStatus.ACCEPTED,
    PackageStatus.CLOSED,
)

FINAL_STATUSES = frozenset({PackageStatus.CLOSED, PackageStatus.CANCELLED})


class ProcurementMethod(StrEnum):
    """Contractor selection methods (hình thức lựa chọn nhà thầu), Law on Bidding 22/2023/QH15."""

    DIRECT_APPOINTMENT = "direct_appointment"
    SHORTENED_DIRECT_APPOINTMENT = "shortened_direct_appointment"
    COMPETITIVE_QUOTATION = "competitive_quotation"
    OPEN_BIDDING = "open_bidding"
    DIRECT_PROCUREMENT = "direct_procurement"

    @property
    def label_vi(self) -> str:
        return _METHOD_LABELS_VI[self]


_METHOD_LABELS_VI = {ProcurementMethod(code): name for code, name in vocabulary.names("procurement_method").items()}


class InvalidTransition(Exception):
    """Refused status change; ``message_vi`` is ready to show to the user."""

    def __init__(self, current: PackageStatus, target: PackageStatus, message_vi: str):
        self.current = current
        self.target = target
        self.message_vi = message_vi
        super().__init__(message_vi)

    def to_dict(self) -> dict[str, str]:
        return {
            "error": "invalid_transition",
            "current": self.current.value,
            "target": self.target.value,
            "message_vi": self.message_vi,
        }


def _status(value: PackageStatus | str) -> PackageStatus:
    try:
        return PackageStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in PackageStatus)
        raise ValueError(f"unknown package status {value!r}; expected one of: {allowed}") from None


def is_final(status: PackageStatus | str) -> bool:
    return _status(status) in FINAL_STATUSES


def next_statuses(status: PackageStatus | str) -> tuple[PackageStatus, ...]:
    """Statuses reachable in one move: the next step on the path, then ``cancelled``."""
    current = _status(status)
    if current in FINAL_STATUSES:
        return ()
    following = _PATH[_PATH.index(current) + 1]
    return (following, PackageStatus.CANCELLED)


def check_transition(current: PackageStatus | str, target: PackageStatus | str) -> None:
    """Raise :class:`InvalidTransition` unless ``current → target`` is allowed."""
    cur, tgt = _status(current), _status(target)
    if tgt in next_statuses(cur):
        return
    if cur in FINAL_STATUSES:
        reason = f"gói thầu đang ở trạng thái cuối «{cur.label_vi}», không thể chuyển tiếp"
    elif cur == tgt:
        reason = f"gói thầu đã ở trạng thái «{cur.label_vi}»"
    elif tgt in _PATH and _PATH.index(tgt) < _PATH.index(cur):
        reason = "không được quay lại trạng thái trước"
    else:
        nxt = next_statuses(cur)[0]
        reason = (
            f"không được bỏ qua bước; bước tiếp theo phải là «{nxt.label_vi}» hoặc «{PackageStatus.CANCELLED.label_vi}»"
        )
    raise InvalidTransition(
        cur,
        tgt,
        f"Không thể chuyển gói thầu từ «{cur.label_vi}» sang «{tgt.label_vi}»: {reason}.",
    )
