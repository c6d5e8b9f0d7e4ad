"""Small-on-disk XLSX files that unpack to huge sheets, written straight with zipfile (streamed)."""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
HEADER = ("Loại thiết bị", "Mã xã", "Hãng sản xuất")


def sheet_xlsx(rows: int, *, dimension: bool = True, padding: int = 0, numbered: bool = True) -> bytes:
    """An XLSX whose first sheet has the import's header and ``rows`` data rows (inline strings);
    ``dimension=False`` leaves out the <dimension> element (a lying or missing declaration);
    ``padding`` bytes of spaces in one member make a zip bomb by ratio; ``numbered=False`` writes
    identical rows without ``r=`` (as some writers do), which deflate squeezes a thousandfold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if dimension:
                sheet.write(f'<dimension ref="A1:C{rows + 1}"/>'.encode())
            sheet.write(b"<sheetData>")
            cells = "".join(
                f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>' for c, h in zip("ABC", HEADER, strict=True)
            )
            sheet.write(f'<row r="1">{cells}</row>'.encode())
            if not numbered:
                same = b'<row><c t="inlineStr"><is><t>M\xc3\xa1y in</t></is></c><c><v>26296</v></c></row>' * 10_000
                for _ in range(rows // 10_000):
                    sheet.write(same)
                rows = rows % 10_000
            batch = []
            for n in range(2, rows + 2):
                batch.append(
                    f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Máy in</t></is></c>'
                    f'<c r="B{n}" t="inlineStr"><is><t>26296</t></is></c></row>'
                )
                if len(batch) == 10_000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write("".join(batch).encode())
            sheet.write(b"</sheetData></worksheet>")
        if padding:
            with archive.open("xl/padding.xml", "w", force_zip64=True) as pad:
                block = b" " * (1024 * 1024)
                for _ in range(padding // len(block)):
                    pad.write(block)
    return buffer.getvalue()
