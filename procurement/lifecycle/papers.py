"""Disposal minutes (biên bản thanh lý tài sản) as PDF, the Vietnamese font embedded.

The layout follows the usual administrative form: national heading, title, the
decision it carries out, the device and its figures, the ground, the method and
proceeds, and signature blocks. The accounting regime's form code for it was not
confirmed against the official text, so it is a setting (``DISPOSAL_MINUTES_FORM``)."""

from __future__ import annotations

import io
import os

from labels.render import BOLD_FONT, REGULAR_FONT, _prepare_reportlab
from models.lifecycle import DisposalFile
from procurement.core.actor import Actor
from procurement.core.errors import NotFound
from procurement.core.money import format_vnd

DISPOSAL_MINUTES_FORM = os.environ.get("DISPOSAL_MINUTES_FORM", "Mẫu số C51-HD (chưa đối chiếu văn bản gốc)")

GROUND_VI = {
    "past_useful_life": "Đã sử dụng vượt quá thời gian sử dụng theo chế độ (Luật 15/2017/QH14, Điều 45 khoản 1)",
    "repair_not_worth": "Bị hư hỏng, việc sửa chữa không hiệu quả: dự toán sửa chữa lớn hơn 30% nguyên giá "
    "(Nghị định 151/2017/NĐ-CP, Điều 29 khoản 1)",
}
METHOD_VI = {"sale": "Bán", "destruction": "Phá dỡ, hủy bỏ", "other": "Hình thức khác", "": "—"}


async def disposal_minutes(actor: Actor, file_id: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    row = (
        await DisposalFile.select(
            *DisposalFile.all_columns(),
            DisposalFile.asset._.tag.as_alias("tag"),
            DisposalFile.asset._.make.as_alias("make"),
            DisposalFile.asset._.model.as_alias("model"),
            DisposalFile.asset._.serial.as_alias("serial"),
            DisposalFile.asset._.category._.name.as_alias("category_name"),
            DisposalFile.asset._.commune._.id.as_alias("commune_id"),
            DisposalFile.asset._.commune._.name.as_alias("commune_name"),
        )
        .where(DisposalFile.id == file_id)
        .first()
    )
    if row is None or not actor.sees_commune(row["commune_id"]):
        raise NotFound("Không tìm thấy hồ sơ thanh lý.")
    _prepare_reportlab()
    normal = ParagraphStyle("n", fontName=REGULAR_FONT, fontSize=10.5, leading=14)
    bold = ParagraphStyle("b", parent=normal, fontName=BOLD_FONT)
    title = ParagraphStyle("t", parent=bold, fontSize=14, leading=18, alignment=1)
    centre = ParagraphStyle("c", parent=normal, alignment=1)

    def money(value: int | None) -> str:
        return format_vnd(value) if value is not None else "—"

    decision = (
        f"Quyết định số {row['decision_number']} ngày {row['decision_date']:%d/%m/%Y}"
        if row["decision_date"]
        else "Chưa có quyết định phê duyệt"
    )
    facts = [
        ["Mã tài sản", row["tag"]],
        ["Loại, nhãn hiệu", f"{row['category_name']} {row['make']} {row['model']}".strip()],
        ["Số serial", row["serial"] or "—"],
        ["Đơn vị sử dụng", row["commune_name"]],
        ["Nguyên giá", money(row["original_cost_vnd"])],
        [
            "Thời gian đã sử dụng",
            f"{row['age_years']} năm / {row['useful_life_years']} năm" if row["age_years"] else "—",
        ],
        ["Dự toán sửa chữa", money(row["repair_estimate_vnd"])],
        ["Căn cứ thanh lý", Paragraph(GROUND_VI.get(row["ground"], row["ground"]), normal)],
        ["Hình thức thanh lý", METHOD_VI.get(row["method"], row["method"])],
        ["Số tiền thu được", money(row["proceeds_vnd"])],
        ["Ngày thanh lý", f"{row['carried_out_on']:%d/%m/%Y}" if row["carried_out_on"] else "—"],
    ]
    table = Table(
        [[Paragraph(k, bold), v if not isinstance(v, str) else Paragraph(v, normal)] for k, v in facts],
        colWidths=[55 * mm, 115 * mm],
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#555555"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    signatures = Table(
        [
            [
                Paragraph("ĐẠI DIỆN ĐƠN VỊ SỬ DỤNG", bold),
                Paragraph("KẾ TOÁN", bold),
                Paragraph("THỦ TRƯỞNG ĐƠN VỊ", bold),
            ],
            [Paragraph("(Ký, ghi rõ họ tên)", centre)] * 3,
        ],
        colWidths=[57 * mm] * 3,
    )
    signatures.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("BOTTOMPADDING", (0, 1), (-1, 1), 40)]))
    story = [
        Paragraph(DISPOSAL_MINUTES_FORM, ParagraphStyle("f", parent=normal, alignment=2, fontSize=9)),
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ParagraphStyle("h", parent=bold, alignment=1)),
        Paragraph("Độc lập - Tự do - Hạnh phúc", centre),
        Spacer(1, 8 * mm),
        Paragraph("BIÊN BẢN THANH LÝ TÀI SẢN", title),
        Paragraph(f"Căn cứ {decision}", centre),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(f"Lý do, ghi chú: {row['reason'] or '—'}", normal),
        Spacer(1, 10 * mm),
        signatures,
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title="Biên bản thanh lý tài sản", leftMargin=20 * mm, rightMargin=20 * mm
    ).build(story)
    return buffer.getvalue()


TRANSFER_MINUTES_FORM = os.environ.get(
    "TRANSFER_MINUTES_FORM", "Mẫu số 01/TSC-BBGN (Nghị định 151/2017/NĐ-CP; chưa đối chiếu Nghị định 186/2025/NĐ-CP)"
)


async def transfer_minutes(actor: Actor, transfer_id: int) -> bytes:
    """The hand-over minutes of a transfer (biên bản bàn giao, tiếp nhận): the decision, both
    sides, every device with its original cost, what has been received, signature blocks."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from models.tables import Asset
    from procurement.lifecycle.transfers import transfer_view

    transfer = await transfer_view(actor, transfer_id)
    costs = {
        r["id"]: r["cost_vnd"]
        for r in await Asset.select(Asset.id, Asset.cost_vnd).where(
            Asset.id.is_in([i.asset_id for i in transfer.items])
        )
    }
    _prepare_reportlab()
    normal = ParagraphStyle("n", fontName=REGULAR_FONT, fontSize=9.5, leading=12)
    bold = ParagraphStyle("b", parent=normal, fontName=BOLD_FONT)
    centre = ParagraphStyle("c", parent=normal, alignment=1)
    header = ["STT", "Mã tài sản", "Loại", "Nhãn hiệu, model", "Số serial", "Nguyên giá", "Đã nhận"]
    rows = [[Paragraph(h, bold) for h in header]]
    for n, item in enumerate(transfer.items, start=1):
        cost = costs.get(item.asset_id)
        rows.append(
            [
                str(n),
                item.tag,
                item.category,
                Paragraph(f"{item.make} {item.model}".strip(), normal),
                item.serial or "",
                format_vnd(cost) if cost is not None else "—",
                "✓" if item.received else "",
            ]
        )
    total = sum(c for c in costs.values() if c is not None)
    rows.append(
        [
            "",
            Paragraph(f"Cộng: {transfer.devices} thiết bị", bold),
            "",
            "",
            "",
            format_vnd(total),
            str(transfer.received),
        ]
    )
    table = Table(rows, colWidths=[10 * mm, 20 * mm, 18 * mm, 45 * mm, 30 * mm, 30 * mm, 15 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
                ("FONTNAME", (0, 0), (-1, -1), REGULAR_FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (5, 1), (5, -1), "RIGHT"),
            ]
        )
    )
    signatures = Table(
        [
            [
                Paragraph(f"BÊN GIAO<br/>{transfer.from_commune_name}", bold),
                Paragraph(f"BÊN NHẬN<br/>{transfer.to_commune_name}", bold),
            ],
            [Paragraph("(Ký, ghi rõ họ tên, đóng dấu)", centre)] * 2,
        ],
        colWidths=[85 * mm] * 2,
    )
    signatures.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("BOTTOMPADDING", (0, 1), (-1, 1), 40)]))
    story = [
        Paragraph(TRANSFER_MINUTES_FORM, ParagraphStyle("f", parent=normal, alignment=2, fontSize=8)),
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", ParagraphStyle("h", parent=bold, alignment=1)),
        Paragraph("Độc lập - Tự do - Hạnh phúc", centre),
        Spacer(1, 6 * mm),
        Paragraph(
            "BIÊN BẢN BÀN GIAO, TIẾP NHẬN TÀI SẢN CÔNG",
            ParagraphStyle("t", parent=bold, fontSize=13, leading=17, alignment=1),
        ),
        Paragraph(
            f"Căn cứ Quyết định số {transfer.decision_number} ngày {transfer.decision_date:%d/%m/%Y} về việc điều chuyển tài sản",
            centre,
        ),
        Spacer(1, 4 * mm),
        Paragraph(f"Bên giao: {transfer.from_commune_name} (mã {transfer.from_commune})", normal),
        Paragraph(f"Bên nhận: {transfer.to_commune_name} (mã {transfer.to_commune})", normal),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 8 * mm),
        signatures,
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title="Biên bản bàn giao, tiếp nhận tài sản", leftMargin=15 * mm, rightMargin=15 * mm
    ).build(story)
    return buffer.getvalue()
