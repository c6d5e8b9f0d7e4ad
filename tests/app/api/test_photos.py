"""Photos of a device through the API: stored, listed and served to those who may see the
device; wrong types, oversize files, another commune's device and bad file names refused
with nothing stored (no row, no file); a resend stored once."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image

from models.lifecycle import AssetPhoto
from models.tables import AssetEvent
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, dispose_through_file, make_asset
from tests.support.images import image_bytes, jpeg_near

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def photo_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "photos"
    monkeypatch.setenv("PHOTO_DIR", str(folder))
    return folder


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def upload(content: bytes, name: str = "anh.jpg", declared: str = "image/jpeg", **fields: str) -> dict:
    return {"files": {"file": (name, content, declared)}, "data": fields}


async def nothing_stored(folder: Path) -> None:
    assert await AssetPhoto.count() == 0
    assert await AssetEvent.count().where(AssetEvent.kind == "photo_added") == 0
    assert files_in(folder) == []


async def test_a_photo_is_stored_listed_served_and_in_the_history(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    accountant = await users.make("accountant", AN_VIEN)
    asset_id = await make_asset()
    content = image_bytes(1280, 960)
    event_id = str(uuid.uuid4())
    answer = await client.post(
        f"/api/assets/{asset_id}/photos",
        headers=staff,
        # The client's name and declared type are not trusted: the bytes say JPEG.
        **upload(
            content,
            "../../etc/passwd",
            "text/plain",
            caption="Màn hình nứt góc trái",
            client_event_id=event_id,
            taken_at="2026-12-01T08:30:00+07:00",
        ),
    )
    assert answer.status_code == 201, answer.text
    photo = answer.json()
    assert photo["content_type"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (1280, 960)
    assert photo["size_bytes"] == len(content)
    assert photo["sha256"] == hashlib.sha256(content).hexdigest()
    assert photo["caption"] == "Màn hình nứt góc trái"
    assert photo["taken_at"].startswith("2026-12-01T01:30:00")

    stored = files_in(photo_dir)
    assert len(stored) == 1 and stored[0].read_bytes() == content
    assert "passwd" not in str(stored[0]) and stored[0].suffix == ".jpg"
    row = await AssetPhoto.select().first()
    assert row["client_event_id"] == event_id and (photo_dir / row["stored_name"]) == stored[0]

    listed = await client.get(f"/api/assets/{asset_id}/photos", headers=accountant)
    assert listed.status_code == 200 and [p["id"] for p in listed.json()] == [photo["id"]]

    served = await client.get(photo["url"], headers=accountant)
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"

    history = (await client.get(f"/api/assets/{asset_id}/history", headers=staff)).json()
    event = history[-1]
    assert event["kind"] == "photo_added" and event["changes"] == {"photo_id": photo["id"]}
    assert event["note"] == "Màn hình nứt góc trái" and event["client_event_id"] == event_id


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
async def test_png_and_webp_are_accepted_by_their_bytes(client, users, photo_dir, fmt, content_type):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    answer = await client.post(
        f"/api/assets/{asset_id}/photos", headers=staff, **upload(image_bytes(40, 30, fmt), "anh.jpg", "image/jpeg")
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["content_type"] == content_type
    served = await client.get(answer.json()["url"], headers=staff)
    assert served.headers["content-type"] == content_type


@pytest.mark.parametrize(
    "content,name,declared",
    [
        ("Đây là văn bản, không phải ảnh.\n".encode(), "anh.jpg", "image/jpeg"),  # a text file named .jpg
        (PDF, "bien-ban.jpg", "image/jpeg"),  # a PDF
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "hong.jpg", "image/jpeg"),  # JPEG magic, not a JPEG
        (image_bytes(640, 480)[:600], "cut.jpg", "image/jpeg"),  # a truncated JPEG
        (b"GIF89a" + image_bytes()[6:], "anh.gif", "image/gif"),  # another type
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "anh.svg", "image/svg+xml"),
        (b"", "rong.jpg", "image/jpeg"),
    ],
)
async def test_what_is_not_a_photo_is_refused_and_nothing_is_stored(client, users, photo_dir, content, name, declared):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(content, name, declared))
    assert answer.status_code == 422, answer.text
    item = answer.json()["extra"][0]
    assert item["key"] == "file" and item["code"] in ("not_an_image", "empty")
    assert "ảnh" in item["message"].lower()
    await nothing_stored(photo_dir)


async def test_a_photo_over_the_limit_is_refused_naming_the_field(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    fits = jpeg_near(200 * 1024)
    too_big = image_bytes(700, 500, quality=90, noise=True)  # about 310 KB
    assert len(too_big) > 200 * 1024
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(too_big))
    assert answer.status_code == 413, answer.text
    item = answer.json()["extra"][0]
    assert item["key"] == "file" and item["code"] == "too_large" and "tối đa 200 KB" in item["message"]
    # A photo straight from a camera (a few MB) is told the same.
    camera = b"\xff\xd8\xff" * 1_000_000
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(camera))
    assert answer.status_code == 413 and answer.json()["extra"][0]["key"] == "file"
    # Far beyond: refused by the body limit before it is read.
    huge = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(b"\xff\xd8\xff" * 3_000_000))
    assert huge.status_code == 413
    await nothing_stored(photo_dir)
    # The shrunk photo just under the limit passes.
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(fits))
    assert answer.status_code == 201, answer.text


async def test_a_canvas_too_large_to_decode_is_refused(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # a few KB of PNG, 81 million pixels
    bomb = out.getvalue()
    assert len(bomb) < 200 * 1024
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(bomb, "a.png", "image/png"))
    assert answer.status_code == 422 and answer.json()["extra"][0]["code"] == "too_many_pixels"
    await nothing_stored(photo_dir)


async def test_another_communes_device_is_404_and_nothing_is_stored(client, users, photo_dir):
    outsider = await users.make("staff", OTHER_COMMUNE)
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=outsider, **upload(image_bytes()))
    assert answer.status_code == 404, answer.text
    await nothing_stored(photo_dir)
    assert (await client.post("/api/assets/999999/photos", headers=staff, **upload(image_bytes()))).status_code == 404
    await nothing_stored(photo_dir)
    # A photo stored by the commune's own staff is not shown or served to the other commune.
    photo = (await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(image_bytes()))).json()
    assert (await client.get(f"/api/assets/{asset_id}/photos", headers=outsider)).status_code == 404
    assert (await client.get(photo["url"], headers=outsider)).status_code == 404
    page = await client.get(f"/assets/{asset_id}/photos/{photo['id']}", headers=outsider)
    assert page.status_code == 404 and "image" not in page.headers["content-type"]
    # A photo id under another device's address is not found either.
    other_device = await make_asset()
    assert (await client.get(f"/api/assets/{other_device}/photos/{photo['id']}", headers=staff)).status_code == 404


async def test_roles_that_only_read_cannot_upload(client, users, photo_dir):
    asset_id = await make_asset()
    for role in ("finance", "planner", "accountant"):
        headers = await users.make(role, AN_VIEN if role == "accountant" else None)
        answer = await client.post(f"/api/assets/{asset_id}/photos", headers=headers, **upload(image_bytes()))
        assert answer.status_code == 403, (role, answer.text)
    await nothing_stored(photo_dir)


async def test_a_nul_in_the_file_name_is_refused_and_nothing_is_stored(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="anh\x00.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + image_bytes() + b"\r\n--XyZ--\r\n"
    )
    answer = await client.post(
        f"/api/assets/{asset_id}/photos",
        content=body,
        headers={**staff, "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["extra"][0]["key"] == "file"
    assert answer.json()["extra"][0]["code"] == "invalid_file_name"
    await nothing_stored(photo_dir)


@pytest.mark.parametrize(
    "fields,key",
    [
        ({"client_event_id": "not-a-uuid"}, "client_event_id"),
        ({"taken_at": "hôm qua"}, "taken_at"),
        ({"taken_at": "2026-12-01T08:30:00"}, "taken_at"),  # no zone
        ({"taken_at": "2999-01-01T00:00:00Z"}, "taken_at"),
        ({"caption": "x" * 2001}, "caption"),
        ({"caption": "a\x00b"}, "caption"),
    ],
)
async def test_bad_fields_are_refused_naming_them(client, users, photo_dir, fields, key):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(image_bytes(), **fields))
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["extra"][0]["key"] == key
    await nothing_stored(photo_dir)


async def test_a_missing_file_is_refused(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=staff, files={"caption": (None, "không ảnh")})
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["extra"][0]["key"] == "file"
    await nothing_stored(photo_dir)


async def test_a_resend_is_stored_once_and_answered_as_the_first(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    event_id = str(uuid.uuid4())
    content = image_bytes(320, 240)
    first = await client.post(
        f"/api/assets/{asset_id}/photos", headers=staff, **upload(content, client_event_id=event_id)
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        f"/api/assets/{asset_id}/photos", headers=staff, **upload(content, client_event_id=event_id.upper())
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert await AssetPhoto.count() == 1 and len(files_in(photo_dir)) == 1
    # Racing resends (a phone that lost the reply while another tab sends too): still one.
    racing_id = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(
            client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(content, client_event_id=racing_id))
            for _ in range(8)
        )
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await AssetPhoto.count() == 2 and len(files_in(photo_dir)) == 2
    assert await AssetEvent.count().where(AssetEvent.client_event_id == racing_id) == 1
    # The id of another action, or on another device, is a conflict, and stores nothing.
    other = await make_asset()
    reused = await client.post(
        f"/api/assets/{other}/photos", headers=staff, **upload(content, client_event_id=event_id)
    )
    assert reused.status_code == 409 and reused.json()["extra"][0]["key"] == "client_event_id"
    confirmed = str(uuid.uuid4())
    await client.post(f"/api/assets/{asset_id}/stocktake", headers=staff, json={"client_event_id": confirmed})
    reused = await client.post(
        f"/api/assets/{asset_id}/photos", headers=staff, **upload(content, client_event_id=confirmed)
    )
    assert reused.status_code == 409
    assert await AssetPhoto.count() == 2 and len(files_in(photo_dir)) == 2


async def test_a_disposed_device_takes_no_photo(client, users, photo_dir):
    admin = await users.make("admin")
    asset_id = await make_asset()
    await dispose_through_file(client, asset_id, admin)
    answer = await client.post(f"/api/assets/{asset_id}/photos", headers=admin, **upload(image_bytes()))
    assert answer.status_code == 409
    await nothing_stored(photo_dir)


async def test_a_photo_whose_file_is_gone_is_404_not_500(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    photo = (await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(image_bytes()))).json()
    for path in files_in(photo_dir):
        path.unlink()
    assert (await client.get(photo["url"], headers=staff)).status_code == 404


async def test_a_rounds_device_list_carries_the_id_a_photo_is_sent_to(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    started = (await client.post("/api/stocktakes", json={}, headers=staff)).json()
    devices = (await client.get(f"/api/stocktakes/{started['id']}/devices", headers=staff)).json()
    assert [d["asset_id"] for d in devices] == [asset_id]


async def test_the_device_page_links_each_photo_from_its_history(client, users, photo_dir):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    photo = (await client.post(f"/api/assets/{asset_id}/photos", headers=staff, **upload(image_bytes()))).json()
    page = await client.get(f"/assets/{asset_id}", headers=staff)
    assert "Chụp ảnh thiết bị" in page.text and f"/assets/{asset_id}/photos/{photo['id']}" in page.text
    served = await client.get(f"/assets/{asset_id}/photos/{photo['id']}", headers=staff)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    scan = await client.get(
        f"/s/{(await client.get(f'/api/assets/{asset_id}', headers=staff)).json()['tag']}", headers=staff
    )
    assert f'src="/assets/{asset_id}/photos/{photo["id"]}"' in scan.text


async def test_a_photo_sent_as_a_plain_field_is_a_clear_400_not_a_500(client, users, photo_dir):
    """A multipart part without a file name is a text field: bytes that are not UTF-8 there."""
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    body = b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + image_bytes() + b"\r\n--XyZ--\r\n"
    answer = await client.post(
        f"/api/assets/{asset_id}/photos",
        content=body,
        headers={**staff, "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["extra"][0]["code"] == "invalid_encoding"
    # As UTF-8 text, it is a field that is not a file.
    answer = await client.post(
        f"/api/assets/{asset_id}/photos", headers=staff, files={"file": (None, "không phải tệp")}
    )
    assert answer.status_code in (400, 422) and answer.json()["extra"][0]["key"] == "file", answer.text
    assert "tệp" in answer.json()["extra"][0]["message"]
    await nothing_stored(photo_dir)
