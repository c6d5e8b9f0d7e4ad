"""Photos of a device: upload (multipart, from the phone's queue or any client), list, and
the bytes. Thin handlers over procurement/lifecycle/photos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import File
from litestar.status_codes import HTTP_201_CREATED

from api.errors import error_responses
from api.openapi import downloads
from api.params import RowId
from api.security import ALL_ROLES, roles
from procurement.core.actor import Actor
from procurement.core.errors import DomainError
from procurement.lifecycle import photos
from procurement.lifecycle.photos import PhotoOut, PhotoUpload

# Litestar refuses a larger body before reading it (413, key "body"); below that the domain
# names the field ("file") and the limit in Vietnamese. Room for a photo straight from a
# camera (a few MB), so the person who sent one unshrunk reads the real reason.
UPLOAD_BODY_LIMIT = max(8 * 1024 * 1024, 4 * photos.max_bytes())


@dataclass
class PhotoForm:
    file: UploadFile | None = None
    caption: str = ""
    taken_at: str | None = None
    client_event_id: str | None = None


async def upload_of(form: PhotoForm) -> PhotoUpload:
    upload = form.file
    if upload is None or not isinstance(upload, UploadFile):
        raise DomainError("Chưa chọn ảnh.", field="file", code="no_file")
    content = await upload.read(photos.max_bytes() + 1)  # one byte more says "too large"
    return PhotoUpload(
        content=content,
        file_name=upload.filename or "",
        caption=form.caption or "",
        taken_at=form.taken_at,
        client_event_id=form.client_event_id,
    )


async def photo_response(actor: Actor, asset_id: int, photo_id: int) -> File:
    """The stored bytes, streamed with the type read when they were checked (never guessed)."""
    found = await photos.photo_file(actor, asset_id, photo_id)
    return File(
        path=found.path,
        media_type=found.content_type,
        filename=found.path.name,
        content_disposition_type="inline",
        headers={
            "X-Content-Type-Options": "nosniff",
            # The bytes of a photo id never change; only this browser keeps them.
            "Cache-Control": "private, max-age=86400",
            "ETag": f'"{found.sha256}"',
        },
    )


class PhotoController(Controller):
    path = "/api/assets/{asset_id:int}/photos"
    tags = ["lifecycle"]

    @post(
        "/",
        opt=roles("admin", "staff"),
        status_code=HTTP_201_CREATED,
        responses=error_responses(400, 401, 403, 404, 409, 413, 422),
        request_max_body_size=UPLOAD_BODY_LIMIT,
        description="A photo of the device (multipart: `file`, optional `caption`, `taken_at` ISO 8601 with a "
        "zone, `client_event_id` UUID). JPEG, PNG or WebP, read from the bytes; at most `PHOTO_MAX_BYTES` "
        "(200 KB). A resend with the same `client_event_id` is stored once and answered as the first.",
    )
    async def add_photo(
        self,
        request: Request,
        asset_id: RowId,
        data: Annotated[PhotoForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> PhotoOut:
        return await photos.add_photo(request.user, asset_id, await upload_of(data))

    @get("/", opt=roles(*ALL_ROLES), responses=error_responses(401, 404))
    async def list_photos(self, request: Request, asset_id: RowId) -> list[PhotoOut]:
        return await photos.photos(request.user, asset_id)

    @get(
        "/{photo_id:int}",
        opt=roles(*ALL_ROLES),
        responses=error_responses(401, 404),
        operation_class=downloads("image/jpeg", "image/png", "image/webp"),
        description="The photo's bytes (image/jpeg, image/png or image/webp, as stored).",
    )
    async def photo(self, request: Request, asset_id: RowId, photo_id: RowId) -> File:
        return await photo_response(request.user, asset_id, photo_id)
