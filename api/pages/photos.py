"""A device's photo for the pages (the scan page and the device page show them): the same
bytes as the API, behind the page log-in (a browser with no session is sent to log in)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import File

from api.controllers.photos import photo_response
from api.pages.common import page
from api.params import RowId
from api.security import ALL_ROLES


@get("/assets/{asset_id:int}/photos/{photo_id:int}", opt=page(*ALL_ROLES), include_in_schema=False)
async def photo_page(request: Request, asset_id: RowId, photo_id: RowId) -> File:
    return await photo_response(request.user, asset_id, photo_id)


PHOTO_PAGES = [photo_page]
