"""Weights of a split read from a sheet's cells: the two columns found under a title, codes
as Excel keeps them, decimal commas, and every wrong row named with its row and column."""

from __future__ import annotations

import pytest

from procurement.core.errors import DomainError
from procurement.finance.split_sheet import weights_from_grid


def test_the_columns_are_found_below_a_title_whatever_their_accents_and_order():
    grid = [
        ["Bảng trọng số phân bổ 65/KH-UBND", None, None],
        [None, None, None],
        ["Tên xã", "TRỌNG SỐ", "Ma xa"],
        ["Xã An Viễn", "3", "26296"],
        ["Xã khác", "1,5", "26299.0"],  # a decimal comma; a code Excel stored as a number
        [None, None, None],
        ["Hà Nội", "0", "101"],  # a leading zero Excel dropped
    ]
    assert weights_from_grid(grid) == {"26296": 3.0, "26299": 1.5, "00101": 0.0}


def test_every_wrong_row_is_named_and_nothing_is_kept():
    grid = [
        ["Mã xã", "Trọng số"],
        ["26296", "abc"],
        ["2629x", "1"],
        ["26296", "2"],  # the code again, even though its first row was wrong
        ["26299", "-1"],
        ["", "4"],
        ["26300", ""],
    ]
    with pytest.raises(DomainError) as refused:
        weights_from_grid(grid)
    message = refused.value.message
    assert refused.value.field == "weights_file"
    assert "dòng 2, cột Trọng số" in message and "dòng 3, cột Mã xã" in message
    assert "dòng 4, cột Mã xã: 26296 đã có ở dòng 2" in message
    assert "dòng 5, cột Trọng số" in message and "(và 1 lỗi khác)" in message
    assert message.startswith("Tệp trọng số có 6 lỗi")


@pytest.mark.parametrize(
    ("grid", "words"),
    [
        ([["Xã", "Số"], ["26296", "1"]], "Không tìm thấy dòng tiêu đề"),
        ([["Mã xã", "Trọng số"]], "không có dòng nào"),
        ([["Mã xã", "Trọng số"], ["26296", "0"]], "đều bằng 0"),
        ([["Mã xã", "Trọng số"], ["26296", "1"], ["26296", "2"]], "đã có ở dòng 2"),
    ],
)
def test_a_sheet_with_nothing_to_split_by_is_refused(grid, words):
    with pytest.raises(DomainError) as refused:
        weights_from_grid(grid)
    assert words in refused.value.message
