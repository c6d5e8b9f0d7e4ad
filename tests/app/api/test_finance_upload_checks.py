"""The finance upload's checks on frames, without a database: headers found without
diacritics below a title, each contract's rows counted together against what it still
owes, vouchers once per contract, amounts read exactly as parse_vnd reads them."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from procurement.core.money import MoneyError, parse_vnd
from procurement.finance import uploads

TODAY = dt.date(2026, 3, 15)
CONTRACTS = pl.DataFrame(
    {
        "contract_id": [1, 2, 3],
        "number": ["HĐ 1", "HĐ 2", "HĐ 2"],  # two contracts share a number
        "line_id": [10, 10, 11],
        "allocation_id": [100, None, None],
        "signed_on": [dt.date(2025, 9, 15)] * 3,
        "value_vnd": [100, 50, 50],
    },
    schema_overrides={"allocation_id": pl.Int64},
)
PAID = pl.DataFrame({"contract_id": [1], "paid_vnd": [30]})
VOUCHERS = pl.DataFrame(
    {
        "contract_id": [1],
        "voucher_number": ["V0"],
        "payment_id": [7],
        "payment_on": [dt.date(2025, 9, 20)],
        "payment_vnd": [30],
    }
)


def _csv(*rows: str) -> bytes:
    title = "Bảng kê chứng từ Kho bạc tháng 10;;;;\n"  # as Excel saves a title row in a CSV
    return (title + "So hop dong;so chung tu;Ngay;SO TIEN;Cột lạ\n" + "\n".join(rows) + "\n").encode()


def _check(*rows: str) -> uploads.Checked:
    table = uploads.read_table("payments", _csv(*rows), "kb.csv")
    return uploads.check_payments(table, CONTRACTS, PAID, VOUCHERS, TODAY, on_line=False)


def _errors(checked: uploads.Checked) -> list[tuple[int, str, str]]:
    return [(r["row"], r["field"], r["message"]) for r in checked.errors.iter_rows(named=True)]


def test_headers_without_diacritics_below_a_title_and_unknown_columns_warned():
    table = uploads.read_table("payments", _csv("HĐ 1;V1;01/10/2025;10;x"), "kb.csv")
    assert set(table.columns) == {"contract_number", "voucher_number", "paid_on", "amount_vnd"}
    assert [w.column for w in table.warnings] == ["Cột lạ"]
    assert table.frame.select("row", "contract_number", "amount_vnd").rows() == [(3, "HĐ 1", "10")]


def test_a_contracts_rows_count_together_against_what_it_still_owes():
    # 100 − 30 paid = 70 left: 40 + 30 fits, 40 + 31 is 1 over, said on the row that passes it.
    assert _errors(_check("HĐ 1;V1;01/10/2025;40", "HĐ 1;V2;02/10/2025;30")) == []
    (error,) = _errors(_check("HĐ 1;V1;01/10/2025;40", "HĐ 1;V2;02/10/2025;31"))
    assert error[:2] == (4, "amount_vnd")
    assert "2 dòng của tệp cộng 71 đ" in error[2] and "(70 đ)" in error[2] and "là 1 đ" in error[2]


def test_vouchers_once_per_contract_and_ambiguous_numbers():
    checked = _check(
        "HĐ 1;V0;01/10/2025;1",  # on record
        "HĐ 1;V1;01/10/2025;1",
        "HĐ 1;V1;01/10/2025;1",  # twice in the file
        "HĐ 2;V1;01/10/2025;1",  # the number names two contracts
    )
    found = {(row, field): message for row, field, message in _errors(checked)}
    assert "thanh toán số 7 ngày 20/09/2025" in found[(3, "voucher_number")]
    assert found[(5, "voucher_number")].startswith("Số chứng từ V1 trùng với dòng 4")
    assert "có ở 2 hợp đồng" in found[(6, "contract_number")]
    assert checked.rows.get_column("row").to_list() == [4]


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["{}", "{:,}", "{} đ", "{:,} VND", "{}.0"]))
def test_amounts_are_read_as_parse_vnd_reads_them(amount, form):
    text = form.format(amount).replace(",", ".") if form != "{}.0" else f"{amount}.0"
    frame = pl.DataFrame({"row": [2], "amount_vnd": [text], "note": [None]}, schema_overrides={"note": pl.String})
    errors = uploads._Errors()
    read = uploads._money(frame, errors, required=True)
    try:
        expected: int | None = parse_vnd(text)
    except MoneyError:
        expected = None
    assert read["amount"][0] == expected
    assert (errors.frame().height > 0) == (expected in (None, 0))
