"""Refuse an oversized or bomb-like XLSX before any cell is read.

An XLSX is a zip: 1.5 MB on disk can unpack to a million rows, and reading it whole takes a gigabyte
before the row limit could be checked. This module looks only at what the file declares and streams
the first sheet's XML in small chunks: the zip members' uncompressed sizes and ratios, the sheet's
``<dimension ref="A1:K1000000"/>``, and a running count of non-empty ``<row>`` elements that stops as
soon as the limit is passed. Memory stays at one chunk whatever the file holds. Pure: no database.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

# Largest total the members of one workbook may unpack to: 50,000 rows of the template's 19 columns
# take about 60 MB of sheet XML and shared strings; four times that leaves room for styled sheets.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
# Deflate of real sheets reaches 10-40:1 (repetitive sheets up to about 100:1); a bomb is near 1000:1.
MAX_RATIO = 200
_RATIO_FROM_BYTES = 4 * 1024 * 1024  # small members may compress extremely well; only big ones count
_CHUNK = 256 * 1024
_ROW_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s>/])([^>]*)>")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*ref=\"([A-Z]*)(\d*)(?::([A-Z]*)(\d+))?\"")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class SheetRefused(Exception):
    """Why the workbook is refused: ``code`` is ``too_many_rows``, ``too_large`` or ``broken_file``."""

    code: str
    message: str
    rows: int = 0


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The part of the workbook's first sheet (the one the import reads), from workbook.xml and its rels."""
    names = set(archive.namelist())
    workbook: ElementTree.Element | None
    rels: ElementTree.Element | None
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        workbook = rels = None
    if workbook is not None and rels is not None:
        first = next((e for e in workbook.iter() if e.tag.endswith("}sheet") or e.tag == "sheet"), None)
        rel_id = first.get(_REL_NS) if first is not None else None
        for rel in rels:
            if rel.get("Id") == rel_id:
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
                if path in names:
                    return path
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    return sheets[0] if sheets else None


def _check_sizes(archive: zipfile.ZipFile, max_bytes: int, max_ratio: int) -> None:
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > _RATIO_FROM_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise SheetRefused(
                "too_large",
                f"Tệp Excel bị nén bất thường (phần {info.filename} nén {info.file_size // max(info.compress_size, 1)} lần): "
                f"có thể là tệp độc hại, không đọc. Nén tối đa {max_ratio} lần.",
            )
    if total > max_bytes:
        raise SheetRefused(
            "too_large",
            f"Tệp Excel giải nén ra {total / 1024 / 1024:.0f} MB; tối đa {max_bytes // 1024 // 1024} MB. "
            "Hãy chia thành nhiều tệp.",
        )


def _too_many(rows: int, max_rows: int) -> SheetRefused:
    return SheetRefused(
        "too_many_rows",
        f"Tệp có hơn {max_rows:,} dòng; mỗi lần nhập tối đa {max_rows:,} dòng. Hãy chia thành nhiều tệp.".replace(
            ",", "."
        ),
        rows,
    )


def check_xlsx(
    content: bytes,
    max_rows: int,
    *,
    header_rows: int = 20,
    max_bytes: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_RATIO,
) -> None:
    """Raise :class:`SheetRefused` when the workbook declares or holds more than ``max_rows`` data rows
    (plus ``header_rows`` above the header) or unpacks beyond ``max_bytes``; otherwise return quietly.
    Not a zip (an old .xls): nothing to check here, its size on disk bounds it."""
    if not content.startswith(b"PK"):
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise SheetRefused("broken_file", "Tệp Excel bị hỏng hoặc không phải tệp Excel, không đọc được.") from None
    limit = max_rows + header_rows
    with archive:
        _check_sizes(archive, max_bytes, max_ratio)
        path = _first_sheet_path(archive)
        if path is None:
            return
        rows = 0
        carry = b""
        seen_dimension = False
        try:
            with archive.open(path) as stream:
                while chunk := stream.read(_CHUNK):
                    data = carry + chunk
                    cut = data.rfind(b"<")
                    if cut == -1 or data.find(b">", cut) != -1:
                        body, carry = data, b""
                    else:
                        body, carry = data[:cut], data[cut:]
                    if not seen_dimension:
                        found = _DIMENSION.search(body)
                        if found:
                            seen_dimension = True
                            last = found.group(4) or found.group(2)
                            if last and int(last) > limit:
                                raise _too_many(int(last), max_rows)
                    rows += sum(1 for m in _ROW_OPEN.finditer(body) if not m.group(1).endswith(b"/"))
                    if rows > limit:
                        raise _too_many(rows, max_rows)
                    if len(carry) > _CHUNK:  # a tag longer than a chunk: no real sheet has one
                        raise SheetRefused("broken_file", "Tệp Excel bị hỏng, không đọc được.")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError):
            raise SheetRefused("broken_file", "Tệp Excel bị hỏng hoặc không phải tệp Excel, không đọc được.") from None
