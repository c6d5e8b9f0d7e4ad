"""Form numbers and the accounting regime printed on the papers: settings, because none
was confirmed against the official appendix.

Defaults and their sources (all chưa đối chiếu văn bản gốc / not confirmed against the
official text):

* Sổ tài sản cố định: S24-H, Thông tư 24/2024/TT-BTC (17/04/2024, in force 01/01/2025),
  seen only in third-party code headers. Note: TT 24/2024 excludes commune People's
  Committees that use the commune budget; they keep the commune budget and finance regime
  (Thông tư 70/2019/TT-BTC), whose form codes were not found. Set the variables below to
  the regime your commune applies.
* Thẻ tài sản cố định: S25-H (recollection of TT 107/2017, kept by TT 24/2024?).
* Biên bản kiểm kê tài sản cố định: C53-HD (third-party code, under TT 107/2017).
* Yearly summary for the national count: no form number found; the title cites
  Quyết định 213/QĐ-TTg ngày 01/03/2024 (confirmed: official text).

Environment variables: PP_REGIME, PP_FORM_BOOK, PP_FORM_CARD, PP_FORM_STOCKTAKE, PP_FORM_SUMMARY.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FormCodes:
    regime: str = "Thông tư số 24/2024/TT-BTC ngày 17/04/2024 của Bộ Tài chính"
    book: str = "S24-H"
    card: str = "S25-H"
    stocktake: str = "C53-HD"
    summary: str = ""
    count_basis: str = "Quyết định số 213/QĐ-TTg ngày 01/03/2024 của Thủ tướng Chính phủ"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FormCodes:
        base = cls()
        return cls(
            regime=env.get("PP_REGIME", base.regime),
            book=env.get("PP_FORM_BOOK", base.book),
            card=env.get("PP_FORM_CARD", base.card),
            stocktake=env.get("PP_FORM_STOCKTAKE", base.stocktake),
            summary=env.get("PP_FORM_SUMMARY", base.summary),
        )


DEFAULT_FORMS = FormCodes()
