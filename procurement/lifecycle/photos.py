"""Photos of a device: condition evidence, a broken part, the label.

A phone shrinks the photo before sending it (under ``PHOTO_MAX_BYTES``, 200 KB by default)
and may queue it offline for hours, so each upload carries the phone's own event id: a
resend is stored once and answered as the first (the register's one mechanism,
:func:`procurement.core.idempotency.run_once`, over the device's history event).

What the server trusts: nothing the client says about the file. The type is read from the
bytes (JPEG, PNG or WebP magic, then decoded by Pillow), the size is counted, the name on
disk is chosen here (never the client's), and the folder is a setting (``PHOTO_DIR``,
default ``data/photos`` beside the default database). A refused upload leaves nothing: the
checks run before anything is written, and a file written for a change that then fails
(a racing resend, a dropped connection) is removed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel

from models.lifecycle import AssetPhoto
from models.tables import AssetEvent
from procurement.core.actor import REGISTER_WRITERS, Actor
from procurement.core.clock import now
from procurement.core.errors import Conflict, DomainError, NotFound
from procurement.core.heavy import run_heavy
from procurement.core.idempotency import StoredEvent, parse_event_id, run_once
from procurement.core.lookups import Lookup
from procurement.core.text import nfc
from procurement.core.transactions import write_transaction
from procurement.lifecycle.service import _device as visible_device
from procurement.register.devices import describe_stored, stored_event
from procurement.register.importing import check_file_name
from procurement.register.schemas import AssetOut, Status

EVENT_KIND = "photo_added"  # the device's history event (vocabulary: event_kind)
DEFAULT_MAX_BYTES = 200 * 1024
# A photo larger than this is a mistake or a trap (a small PNG can declare a huge
# canvas): refused before it is decoded. The phone sends 1280 px on the longest side.
MAX_SIDE = 8192
MAX_PIXELS = 16_000_000
CAPTION_MAX = 2000

# Pillow's format -> (content type, file extension); the only types accepted.
TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


def photo_dir() -> Path:
    """Where photos are stored (``PHOTO_DIR``; default ``data/photos``, beside the default database)."""
    return Path(os.environ.get("PHOTO_DIR") or "data/photos")


def max_bytes() -> int:
    """Largest photo accepted, in bytes (``PHOTO_MAX_BYTES``, default 200 KB = 204,800 bytes)."""
    return int(os.environ.get("PHOTO_MAX_BYTES") or DEFAULT_MAX_BYTES)


class PhotoTooLarge(DomainError):
    status_code = 413


class BadInput(DomainError):
    status_code = 400


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    size: int


@dataclass(frozen=True)
class PhotoUpload:
    """What a client sent, as received: nothing in it is trusted yet."""

    content: bytes
    file_name: str = ""
    caption: str = ""
    taken_at: str | None = None
    client_event_id: str | None = None


class PhotoOut(BaseModel):
    id: int
    asset_id: int
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    caption: str
    taken_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime
    url: str


def sniff(content: bytes) -> str | None:
    """The image format the first bytes announce (JPEG, PNG, WEBP), or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "WEBP"
    return None


def check_image(content: bytes, limit: int) -> CheckedImage:
    """The photo's real type and size, read from its bytes; DomainError naming ``file`` otherwise.
    CPU work (decodes the whole image): call it through run_heavy."""
    if not content:
        raise DomainError("Tệp ảnh rỗng: hãy chụp hoặc chọn lại ảnh.", field="file", code="empty")
    if len(content) > limit:
        raise PhotoTooLarge(
            f"Ảnh quá lớn ({len(content) / 1024:.0f} KB); tối đa {limit / 1024:.0f} KB. "
            "Hãy gửi từ trang quét nhãn (ảnh được thu nhỏ trên điện thoại) hoặc thu nhỏ ảnh trước khi gửi.",
            field="file",
            code="too_large",
        )
    fmt = sniff(content)
    not_an_image = DomainError(
        "Tệp không phải ảnh JPEG, PNG hoặc WebP (kiểm tra theo nội dung tệp, không theo tên hay kiểu khai báo).",
        field="file",
        code="not_an_image",
    )
    if fmt is None:
        raise not_an_image
    try:
        with Image.open(io.BytesIO(content), formats=[fmt]) as image:
            width, height = image.size
            if width < 1 or height < 1 or max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                raise DomainError(
                    f"Ảnh {width} × {height} điểm ảnh vượt giới hạn (cạnh dài tối đa {MAX_SIDE}, "
                    f"tổng tối đa {MAX_PIXELS // 1_000_000} triệu điểm ảnh).",
                    field="file",
                    code="too_many_pixels",
                )
            image.load()  # the whole image decodes: a truncated or forged file is refused here
    except DomainError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError):
        raise not_an_image from None
    content_type, extension = TYPES[fmt]
    return CheckedImage(
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def _caption(text: str) -> str:
    caption = nfc(text or "").strip()
    if len(caption) > CAPTION_MAX:
        raise DomainError(f"Ghi chú ảnh dài quá {CAPTION_MAX} ký tự.", field="caption", code="too_long")
    if "\x00" in caption:
        raise BadInput("Ghi chú ảnh có ký tự không hợp lệ.", field="caption", code="invalid_text")
    return caption


def _taken_at(text: str | None) -> dt.datetime | None:
    if not text or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            "Thời điểm chụp phải theo dạng ISO 8601, ví dụ 2026-12-01T08:30:00Z.", field="taken_at"
        ) from None
    if moment.tzinfo is None:
        raise BadInput("Thời điểm chụp phải ghi múi giờ, ví dụ 2026-12-01T08:30:00+07:00.", field="taken_at")
    if moment > now() + dt.timedelta(hours=1):
        raise DomainError("Thời điểm chụp không được ở tương lai.", field="taken_at")
    return moment.astimezone(dt.UTC)


def _event_id(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_event_id(text)
    except ValueError as error:
        raise BadInput(str(error), field="client_event_id") from None


def photo_url(asset_id: int, photo_id: int) -> str:
    return f"/api/assets/{asset_id}/photos/{photo_id}"


def _out(row: dict[str, Any]) -> PhotoOut:
    return PhotoOut(
        id=row["id"],
        asset_id=row["asset"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        width=row["width"],
        height=row["height"],
        sha256=row["sha256"],
        caption=row["caption"],
        taken_at=row["taken_at"],
        created_by=row.get("created_by_username"),
        created_at=row["created_at"],
        url=photo_url(row["asset"], row["id"]),
    )


_COLUMNS = (*AssetPhoto.all_columns(), AssetPhoto.created_by._.username.as_alias("created_by_username"))


def _inside(folder: Path, name: str) -> Path:
    """The stored file's path; a name that would leave the folder is refused (names are ours)."""
    base = folder.resolve()
    path = (base / name).resolve()
    if base not in path.parents:
        raise NotFound("Không tìm thấy ảnh.")
    return path


def _write(path: Path, content: bytes) -> None:
    """Write the file whole, then give it its name: a reader never sees half a photo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    try:
        with open(partial, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


async def add_photo(actor: Actor, asset_id: int, upload: PhotoUpload) -> PhotoOut:
    """Store a photo of a device the caller may change; its history gets an event.
    Refusals (wrong type, too large, another commune's device, bad fields) store nothing."""
    actor.require(*REGISTER_WRITERS)
    check_file_name(upload.file_name)
    caption = _caption(upload.caption)
    taken_at = _taken_at(upload.taken_at)
    event_id = _event_id(upload.client_event_id)
    await visible_device(actor, asset_id)  # another commune's device: 404 before the file is read
    folder = photo_dir()

    async def change() -> PhotoOut:
        # Checked here, not before run_once: a resend is answered from the store undecoded.
        checked = await run_heavy(check_image, upload.content, max_bytes())
        token = uuid.uuid4().hex
        stored_name = f"{token[:2]}/{token}.{checked.extension}"
        path = _inside(folder, stored_name)
        written = False
        try:
            async with write_transaction():
                device = await visible_device(actor, asset_id)
                if device["status"] == Status.disposed:
                    raise Conflict("Thiết bị đã thanh lý.", field="asset_id", code="disposed")
                # Set before the write: a request cancelled meanwhile waits for the worker
                # thread to finish the file, then removes it below.
                written = True
                await run_heavy(_write, path, upload.content)
                at = now()
                photo = AssetPhoto(
                    asset=asset_id,
                    stored_name=stored_name,
                    content_type=checked.content_type,
                    size_bytes=checked.size,
                    width=checked.width,
                    height=checked.height,
                    sha256=checked.sha256,
                    caption=caption,
                    taken_at=taken_at,
                    client_event_id=event_id,
                    created_by=actor.user_id or None,
                    created_at=at,
                )
                await photo.save()
                out = PhotoOut(
                    id=photo.id,
                    asset_id=asset_id,
                    content_type=checked.content_type,
                    size_bytes=checked.size,
                    width=checked.width,
                    height=checked.height,
                    sha256=checked.sha256,
                    caption=caption,
                    taken_at=taken_at,
                    created_by=actor.username if actor.user_id else None,
                    created_at=at,
                    url=photo_url(asset_id, photo.id),
                )
                await AssetEvent.insert(
                    AssetEvent(
                        asset=asset_id,
                        kind=EVENT_KIND,
                        actor=actor.user_id,
                        at=at,
                        changes=json.dumps({"photo_id": photo.id}),
                        note=caption,
                        client_event_id=event_id,
                        response=out.model_dump_json(),
                    )
                )
            return out
        except BaseException:
            if written:
                path.unlink(missing_ok=True)
            raise

    def same(stored: StoredEvent) -> bool:
        return (
            stored.route == "asset"
            and stored.action == EVENT_KIND
            and stored.object_id == asset_id
            and stored.commune_id is not None
            and actor.sees_commune(stored.commune_id)
        )

    return await run_once(
        event_id,
        find=stored_event,
        same=same,
        replay=lambda stored: PhotoOut.model_validate(stored.answer),
        change=change,
        describe=lambda stored: describe_stored(actor, stored),
    )


async def photos(actor: Actor, asset_id: int) -> list[PhotoOut]:
    """A device's photos, oldest first, to a caller who may see the device."""
    await visible_device(actor, asset_id)
    rows = await AssetPhoto.select(*_COLUMNS).where(AssetPhoto.asset == asset_id).order_by(AssetPhoto.id)
    return [_out(r) for r in rows]


_PHOTOS_OF_DEVICE = Lookup(lambda: AssetPhoto.select(*_COLUMNS).where(AssetPhoto.asset == 0).order_by(AssetPhoto.id))


async def photos_of_seen(asset: AssetOut) -> list[PhotoOut]:
    """The photos of a device the caller has just been shown (its scope already checked), by a
    compiled look-up: the scan page's path."""
    return [_out(r) for r in await _PHOTOS_OF_DEVICE.rows(asset.id)]


@dataclass(frozen=True)
class PhotoFile:
    path: Path
    content_type: str
    size: int
    sha256: str


async def photo_file(actor: Actor, asset_id: int, photo_id: int) -> PhotoFile:
    """Where one photo's bytes are, to a caller who may see the device (else 404)."""
    await visible_device(actor, asset_id)
    row = (
        await AssetPhoto.select(
            AssetPhoto.stored_name, AssetPhoto.content_type, AssetPhoto.size_bytes, AssetPhoto.sha256
        )
        .where(AssetPhoto.id == photo_id, AssetPhoto.asset == asset_id)
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy ảnh.")
    path = _inside(photo_dir(), row["stored_name"])
    if not path.is_file():
        raise NotFound("Tệp ảnh không còn trên máy chủ.")
    return PhotoFile(path=path, content_type=row["content_type"], size=row["size_bytes"], sha256=row["sha256"])
