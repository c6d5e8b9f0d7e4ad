"""What people read is Vietnamese and in Vietnam's time: validation messages (pydantic
and the query-parameter parser), Litestar's own errors, pages for addresses that do
not exist, times and dates (stored in UTC, shown at UTC+7), a device's history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from api.errors import _vietnamese
from api.pages.common import change_vi, date_vi, datetime_vi, decimal_vi
from models.tables import AssetEvent
from tests.app.conftest import AN_VIEN, make_asset

ENGLISH = re.compile(r"\b(should|Input|Expected|List|valid|item|items|got|pattern|required|after|Object|enum)\b")


def pydantic_message(annotation, value) -> str:
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as error:
        return error.errors()[0]["msg"]
    raise AssertionError("the value was accepted")


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (Annotated[list[int], Field(min_length=1)], [], "Cần ít nhất 1 phần tử."),
        (Annotated[list[int], Field(max_length=2)], [1, 2, 3], "Nhiều nhất 2 phần tử."),
        (Annotated[tuple[int, ...], Field(max_length=2)], (1, 2, 3), "Nhiều nhất 2 phần tử."),
        (float, "abc", "Phải là số."),
        (int, 1.5, "Phải là số nguyên, không có phần thập phân."),
        (int, "abc", "Phải là số nguyên."),
        (dt.date, "2020-02-30", "Ngày không hợp lệ (dạng YYYY-MM-DD)."),
        (Annotated[str, Field(pattern=r"^\d+$")], "x", "Không đúng định dạng."),
        (Annotated[str, Field(max_length=3)], "abcd", "Quá dài: tối đa 3 ký tự."),
        (Annotated[int, Field(ge=0)], -1, "Phải lớn hơn hoặc bằng 0."),
        (Annotated[int, Field(lt=5)], 9, "Phải nhỏ hơn 5."),
        (Literal["a", "b"], "c", "Giá trị không hợp lệ; phải là 'a' hoặc 'b'."),
        (list[int], "x", "Phải là một danh sách."),
        (dict[str, int], 5, "Phải là một đối tượng JSON."),
    ],
)
def test_pydantic_messages_are_said_whole_in_vietnamese(annotation, value, expected):
    message = pydantic_message(annotation, value)
    assert _vietnamese(message) == expected, message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Expected `int`, got `str`", "Sai kiểu: phải là số nguyên."),
        ("Expected `int | null`, got `str`", "Sai kiểu: phải là số nguyên."),
        ("Expected `int` >= 1", "Phải lớn hơn hoặc bằng 1."),
        ("Expected `int` <= 500", "Phải nhỏ hơn hoặc bằng 500."),
        ("Expected `str` of length <= 5", "Quá dài: tối đa 5 ký tự."),
        ("Invalid enum value 'zzz'", "Giá trị không hợp lệ: 'zzz'."),
        ("Value should have at most 10 items after validation, not 11", "Nhiều nhất 10 phần tử."),
        # Our own messages pass through untouched.
        ("Value error, Ngày mua không được ở tương lai.", "Ngày mua không được ở tương lai."),
    ],
)
def test_parser_messages_are_said_in_vietnamese(message, expected):
    assert _vietnamese(message) == expected


async def test_api_errors_carry_no_english(client, users):
    headers = await users.make("admin")
    answers = [
        await client.get("/api/assets?limit=abc", headers=headers),
        await client.get("/api/assets?status=zzz", headers=headers),
        await client.post("/api/labels/sheet", json={"tags": []}, headers=headers),
        await client.post(
            "/api/assets",
            json={"category": "desktop", "commune_code": AN_VIEN, "acquired_on": "2020-02-30"},
            headers=headers,
        ),
        await client.post("/api/assets", json=[], headers=headers),
        await client.post("/api/assets", content=b"{bad", headers={**headers, "content-type": "application/json"}),
        await client.get("/api/no-such-thing", headers=headers),
        await client.put("/api/assets", headers=headers),
    ]
    for answer in answers:
        body = answer.json()
        assert 400 <= answer.status_code < 500, answer.text
        texts = [body["detail"]] + [item["message"] for item in body.get("extra") or []]
        for text in texts:
            assert not ENGLISH.search(text), (answer.request.url, text)
    assert answers[2].json()["extra"][0] == {
        "key": "tags",
        "message": "Cần ít nhất 1 phần tử.",
        "code": "invalid",
        "source": "body",
    }
    assert answers[3].json()["extra"][0]["message"] == "Ngày không hợp lệ (dạng YYYY-MM-DD)."
    assert answers[6].json()["detail"] == "Không tìm thấy địa chỉ này."


async def test_a_mistyped_address_gets_a_vietnamese_page_not_json(client, users):
    for headers in ({}, await users.make("staff", AN_VIEN)):
        answer = await client.get("/planing", headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy trang" in answer.text and "Not Found" not in answer.text
    wrong_method = await client.get("/logout")
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"].startswith("text/html")
    assert "Method Not Allowed" not in wrong_method.text and "không nhận" in wrong_method.text


def test_times_are_shown_in_vietnam_time():
    utc = dt.UTC
    assert datetime_vi(dt.datetime(2025, 11, 24, 22, 7, tzinfo=utc)) == "05:07 25/11/2025"
    assert datetime_vi(dt.datetime(2025, 11, 24, 22, 7)) == "05:07 25/11/2025"  # stored naive = UTC
    assert datetime_vi("2025-11-24T22:07:00Z") == "05:07 25/11/2025"  # as a history event keeps it
    assert date_vi(dt.datetime(2025, 12, 31, 17, 30, tzinfo=utc)) == "01/01/2026"
    assert date_vi(dt.date(2025, 8, 22)) == "22/08/2025"
    assert date_vi(None) == "" and datetime_vi(None) == ""


def test_decimals_use_a_comma_and_changes_read_as_words():
    assert decimal_vi(3.5) == "3,5" and decimal_vi(12) == "12,0" and decimal_vi(None) == ""
    assert change_vi("poor", "condition") == "Kém"
    assert change_vi("awaiting_disposal", "status") == "Chờ thanh lý"
    assert change_vi(16_000_000, "cost_vnd") == "16.000.000 đ"
    assert change_vi("2023-06-07", "acquired_on") == "07/06/2023"
    assert change_vi(True, "antimalware_installed") == "Có"
    assert change_vi("", "location_detail") == "—" and change_vi(None, "serial") == "—"
    assert change_vi("laptop", "category", {"laptop": "Máy tính xách tay"}) == "Máy tính xách tay"


async def test_device_history_reads_in_vietnamese_and_vietnam_time(client, users):
    headers = await users.make("staff", AN_VIEN)
    asset_id = await make_asset(serial="HIS-1", cost_vnd=15_000_000, condition="good")
    assert (
        await client.post(
            f"/api/assets/{asset_id}/condition", json={"condition": "poor", "note": "quạt kêu"}, headers=headers
        )
    ).status_code == 200
    assert (
        await client.patch(f"/api/assets/{asset_id}", json={"cost_vnd": 16_000_000}, headers=headers)
    ).status_code == 200
    html = (await client.get(f"/assets/{asset_id}", headers=headers)).text
    assert "Tình trạng: Tốt → Kém" in html
    assert "Nguyên giá: 15.000.000 đ → 16.000.000 đ" in html
    assert "cost_vnd" not in html and "condition:" not in html
    assert "Giá trị còn lại" in html
    latest = (
        await AssetEvent.select(AssetEvent.at)
        .where(AssetEvent.asset == asset_id)
        .order_by(AssetEvent.id, ascending=False)
        .first()
    )
    at = latest["at"] if latest["at"].tzinfo else latest["at"].replace(tzinfo=dt.UTC)
    shown = at.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%H:%M %d/%m/%Y")
    assert shown in html
