"""Light on a weak signal: text answers compressed, static files cached for good
under a URL that names their content.

* Compression: gzip, only for text (HTML, JSON, CSV, CSS, JavaScript, SVG). XLSX, PDF and PNG are compressed formats already:
  gzip would spend CPU to make them no smaller, so they pass untouched.
* Static files: ``static_url("app.css")`` gives ``/static/app.css?v=<hash>``,
  the hash of the file's bytes computed once at start-up. Such a URL is served
  with ``Cache-Control: public, max-age=31536000, immutable``: a phone never asks
  again, and a changed file gets a new URL. Without the right version (the
  service worker's own list, an old page) the file is served ``no-cache``.
"""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Text compresses 3-8×; these are compressed formats already (or tiny).
_COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml", "application/xml")
_COMPRESSIBLE_SUFFIXES = ("+json", "+xml")


def _versions() -> dict[str, str]:
    return {
        path.relative_to(STATIC).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(STATIC.rglob("*"))
        if path.is_file()
    }


STATIC_VERSIONS = _versions()


def static_url(name: str) -> str:
    """``/static/NAME?v=HASH`` for a file under api/static (Jinja: ``{{ static('app.css') }}``)."""
    version = STATIC_VERSIONS.get(name)
    return f"/static/{name}?v={version}" if version else f"/static/{name}"


class VersionedStaticCache(ASGIMiddleware):
    """Cache-Control of the static router: immutable for the current version's URL."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        name = scope["path"].removeprefix("/static/")
        wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        policy = IMMUTABLE if wanted and wanted == STATIC_VERSIONS.get(name) else REVALIDATE

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders(message)["Cache-Control"] = policy
            await send(message)

        await next_app(scope, receive, send_with_policy)


def _compressible(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith(_COMPRESSIBLE) or media_type.endswith(_COMPRESSIBLE_SUFFIXES)


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False


class TextCompression(ASGIMiddleware):
    """gzip for text answers, nothing else.

    Lean on purpose (zlib directly, one compressor per answer): Litestar's own
    CompressionMiddleware builds a GzipFile per answer and cost the scan page
    about a third of its requests per second; this costs it well under a tenth
    (tests/bench/scan_page.py). A page is compressed at level 1 (7 % larger than
    level 9, a fraction of its CPU); static files, fetched once per version, at 9.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not _accepts_gzip(scope):
            await next_app(scope, receive, send)
            return
        level = STATIC_LEVEL if scope["path"].startswith("/static/") else PAGE_LEVEL
        start: Any = None  # the response start, held until the first body decides
        compressor: Any = None
        passing = False

        async def send_compressed(message: Message) -> None:
            nonlocal start, compressor, passing
            if passing or message["type"] not in ("http.response.start", "http.response.body"):
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if compressor is None:
                assert start is not None
                headers = MutableScopeHeaders(start)
                if (
                    not _compressible(headers.get("content-type") or "")
                    or "content-encoding" in headers
                    or (not more and len(body) < MINIMUM_SIZE)
                ):
                    passing = True
                    await send(start)
                    await send(message)
                    return
                compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip container
                headers["Content-Encoding"] = "gzip"
                headers.extend_header_value("vary", "Accept-Encoding")
                data = compressor.compress(body)
                if more:
                    del headers["Content-Length"]
                else:
                    data += compressor.flush()
                    headers["Content-Length"] = str(len(data))
                await send(start)
                await send({"type": "http.response.body", "body": data, "more_body": more})
                return
            data = compressor.compress(body)
            if not more:
                data += compressor.flush()
            await send({"type": "http.response.body", "body": data, "more_body": more})

        await next_app(scope, receive, send_compressed)


MINIMUM_SIZE = 500  # bytes: below this gzip's own header and a round trip matter more
PAGE_LEVEL = 1
STATIC_LEVEL = 9
