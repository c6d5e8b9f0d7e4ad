"""Write collected report frames to an XLSX workbook (xlsxwriter, constant-memory mode).

This is an *edge* helper: it takes already collected ``pl.DataFrame`` s and a
path or binary file object.  ``constant_memory`` streams each row to a temp
file as soon as it is complete, so memory stays flat for national-size
reports; in that mode rows must be written top to bottom, which is what we do.

Formats: ``*_vnd`` columns as whole numbers with thousands separators
(``#,##0``, shown with dots by a Vietnamese-locale Excel), ``share*``
columns as percentages, dates as ``dd/mm/yyyy``.  Excel stores numbers as
IEEE doubles, exact for whole dong up to 2**53 (≈ 9 × 10**15 đ); a larger
amount is written as text rather than silently rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import IO

import polars as pl
import xlsxwriter

__all__ = ["write_xlsx"]

_EXACT = 2**53


def write_xlsx(target: str | IO[bytes], sheets: Mapping[str, pl.DataFrame]) -> None:
    """Write one worksheet per ``sheets`` entry (name → frame), header row frozen."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    try:
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        money = workbook.add_format({"num_format": "#,##0"})
        share = workbook.add_format({"num_format": "0.0%"})
        day = workbook.add_format({"num_format": "dd/mm/yyyy"})
        for name, frame in sheets.items():
            sheet = workbook.add_worksheet(name[:31])
            sheet.freeze_panes(1, 0)
            writers = []
            for col, (column, dtype) in enumerate(frame.schema.items()):
                sheet.write_string(0, col, column, header)
                if column.endswith("_vnd"):
                    sheet.set_column(col, col, 18)
                    writers.append(("number", money))
                elif column.startswith("share") or column.endswith("_share"):
                    sheet.set_column(col, col, 10)
                    writers.append(("number", share))
                elif dtype == pl.Date or dtype == pl.Datetime:
                    sheet.set_column(col, col, 11)
                    writers.append(("date", day))
                elif dtype == pl.Boolean:
                    writers.append(("bool", None))
                elif dtype.is_numeric():
                    writers.append(("number", None))
                else:
                    sheet.set_column(col, col, 24 if column.endswith("name") or column.endswith("_vi") else 12)
                    writers.append(("string", None))
            for r, row in enumerate(frame.iter_rows(), start=1):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    kind, fmt = writers[c]
                    if kind == "number":
                        if isinstance(value, int) and abs(value) >= _EXACT:
                            sheet.write_string(r, c, str(value))
                        else:
                            sheet.write_number(r, c, value, fmt)
                    elif kind == "date":
                        if not isinstance(value, datetime):
                            value = datetime(value.year, value.month, value.day)
                        sheet.write_datetime(r, c, value, fmt)
                    elif kind == "bool":
                        sheet.write_boolean(r, c, value)
                    else:
                        sheet.write_string(r, c, str(value))
    finally:
        workbook.close()
