"""One vocabulary: the codes the app stores and their Vietnamese names.

Every place that shows a code to a person takes its name from here: exports
(XLSX, CSV), charts, pages (the Jinja global ``vocab`` and filter ``vi``) and
the phone's scripts (served from this table at ``/static/vocabulary.js``, not
copied). The import reads both the names and the codes back.

Names are written as a label stands alone (sentence case, "Hỏng"); a sentence
that needs them in lower case uses :func:`lower`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType

_GROUPS: dict[str, dict[str, str]] = {
    # A device's state (models.tables.Asset)
    "condition": {"good": "Tốt", "fair": "Trung bình", "poor": "Kém", "broken": "Hỏng"},
    "status": {
        "in_use": "Đang sử dụng",
        "in_storage": "Trong kho",
        "in_repair": "Đang sửa chữa",
        "in_transit": "Đang điều chuyển",
        "awaiting_disposal": "Chờ thanh lý",
        "disposed": "Đã thanh lý",
    },
    "location": {"office": "Văn phòng", "service_point": "Bộ phận một cửa"},
    "acquisition": {"purchased": "Mua sắm", "reused": "Tiếp nhận từ đơn vị sáp nhập", "donated": "Được tặng"},
    # Categories of device (the default rows of the category table) and the
    # groups the shortage report counts in.
    "category": {
        "desktop": "Máy tính để bàn",
        "laptop": "Máy tính xách tay",
        "printer": "Máy in",
        "scanner": "Máy quét",
        "monitor": "Màn hình",
        "network": "Thiết bị mạng",
        "ups": "Bộ lưu điện (UPS)",
    },
    "category_group": {"computer": "Máy tính", "printer": "Máy in", "scanner": "Máy quét"},
    "role": {
        "admin": "Quản trị",
        "finance": "Tài chính",
        "planner": "Kế hoạch",
        "staff": "Cán bộ xã",
        "accountant": "Kế toán xã",
        "national": "Bộ (toàn quốc, chỉ xem)",
    },
    # Procurement packages (procurement.finance.packages)
    "package_status": {
        "planned": "Đã có kế hoạch",
        "tendering": "Đang lựa chọn nhà thầu",
        "contracted": "Đã ký hợp đồng",
        "delivered": "Đã giao hàng",
        "accepted": "Đã nghiệm thu",
        "closed": "Đã thanh lý, đóng",
        "cancelled": "Đã hủy",
    },
    "procurement_method": {
        "direct_appointment": "Chỉ định thầu",
        "shortened_direct_appointment": "Chỉ định thầu rút gọn",
        "competitive_quotation": "Chào hàng cạnh tranh",
        "open_bidding": "Đấu thầu rộng rãi",
        "direct_procurement": "Mua sắm trực tiếp",
    },
    # Stocktakes (models.scan)
    "stocktake_status": {"open": "Đang kiểm kê", "finished": "Đã kết thúc"},
    "stocktake_result": {"confirmed": "Đã xác nhận", "moved": "Đã chuyển chỗ", "not_found": "Không thấy"},
    # A device's life (models.lifecycle)
    "warranty_source": {"entered": "Đã nhập", "delivery": "Theo ngày giao hàng của hợp đồng", "none": "Chưa có"},
    "disposal_ground": {"past_useful_life": "Hết thời gian sử dụng", "repair_not_worth": "Sửa chữa không hiệu quả"},
    "disposal_method": {"sale": "Bán", "destruction": "Phá dỡ, hủy bỏ", "other": "Hình thức khác"},
    "disposal_status": {"requested": "Chờ phê duyệt", "approved": "Đã duyệt, chờ thực hiện", "done": "Đã thanh lý"},
    "transfer_status": {"in_transit": "Đang chuyển", "received": "Đã nhận đủ"},
    # Planning
    "plan_item": {"replace": "Thay thế", "new": "Mua mới"},
    "age_band": {"0-2": "0–2 năm", "3-4": "3–4 năm", "5-7": "5–7 năm", "8+": "từ 8 năm", "unknown": "không rõ"},
    "yes_no": {"true": "Có", "false": "Không"},
    # A device's history: the kinds of event and the names of the fields they change
    "event_kind": {
        "registered": "Đăng ký",
        "imported": "Nhập từ tệp",
        "delivered": "Nhận theo hợp đồng",
        "updated": "Sửa",
        "moved": "Chuyển",
        "condition_reported": "Báo tình trạng",
        "stocktake_confirmed": "Kiểm kê",
        "not_found": "Không thấy khi kiểm kê",
        "disposal_requested": "Đề nghị thanh lý",
        "disposed": "Thanh lý",
        "valuation": "Xác định giá trị tài sản",
        "classification": "Điều chỉnh phân loại tài sản",
        "repair": "Sửa chữa",
        "warranty": "Bảo hành",
        "handed_over": "Giao cho cán bộ sử dụng",
        "handed_back": "Nhận lại",
        "disposal_approved": "Duyệt thanh lý",
        "transfer_sent": "Điều chuyển đi",
        "transfer_received": "Nhận điều chuyển",
        "photo_added": "Chụp ảnh thiết bị",
    },
    "field": {
        "assessed_value_vnd": "Giá trị đánh giá",
        "assessed_on": "Ngày đánh giá",
        "classification": "Phân loại (TSCĐ/CCDC)",
        "tag": "Mã tài sản",
        "category": "Loại thiết bị",
        "category_name": "Loại thiết bị",
        "commune_code": "Mã xã",
        "commune_name": "Xã",
        "province_code": "Mã tỉnh",
        "make": "Hãng",
        "model": "Model",
        "serial": "Số serial",
        "location": "Nơi đặt",
        "location_detail": "Phòng",
        "assigned_to": "Người sử dụng",
        "acquired_on": "Ngày mua",
        "acquired_year": "Năm mua",
        "cost_vnd": "Nguyên giá",
        "acquisition": "Nguồn gốc",
        "status": "Trạng thái",
        "condition": "Tình trạng",
        "last_audited_at": "Kiểm kê gần nhất",
        "antimalware_installed": "Diệt virus",
        "os_name": "Hệ điều hành",
        "os_supported": "HĐH còn hỗ trợ",
        "notes": "Ghi chú",
        "source": "Nguồn",
        "repair_cost_vnd": "Chi phí sửa chữa",
        "warranty_until": "Bảo hành đến",
    },
}

VOCABULARY: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {group: MappingProxyType(names) for group, names in _GROUPS.items()}
)
"""Group -> code -> Vietnamese name (read-only)."""


def names(*groups: str) -> dict[str, str]:
    """Code -> name of one group, or of several (the first naming a code wins); a copy."""
    merged: dict[str, str] = {}
    for group in reversed(groups):
        merged.update(VOCABULARY[group])
    return merged


def lower(group: str) -> dict[str, str]:
    """Code -> name with a lower-case first letter, for names inside a sentence ("2 máy tính hỏng";
    "bộ lưu điện (UPS)" keeps its acronym)."""
    return {code: name[:1].lower() + name[1:] for code, name in VOCABULARY[group].items()}


def name(group: str, code: str | None) -> str:
    """The Vietnamese name of ``code`` in ``group``; an unknown code is shown as it is, None as ""."""
    if code is None:
        return ""
    return VOCABULARY[group].get(str(code), str(code))


def script(*groups: str) -> str:
    """The vocabulary (only ``groups`` if given) as a small script for the phone's pages: ``window.VOCAB``."""
    chosen = groups or tuple(VOCABULARY)
    body = json.dumps({g: dict(VOCABULARY[g]) for g in chosen}, ensure_ascii=False, sort_keys=True)
    return f"window.VOCAB = Object.freeze({body});\n"
