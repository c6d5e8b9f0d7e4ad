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


def _compressor(level: int, size: int | None) -> Any:
    """A gzip compressor; for an answer of known ``size``, with a window and hash
    table no larger than the answer needs.

    zlib's default state (32 KB window, 64 KB hash table at ``memLevel`` 8) is
    mostly set up and cleared for nothing on a 3 KB page: that was about half of
    the time compressing one. The window never needs to exceed the input, and
    a hash table as large as the window is zlib's own default ratio, so the
    output is the same size to within a few bytes.
    """
    if size is None:
        return zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip container, 32 KB window
    window_bits = min(15, max(9, (size - 1).bit_length()))
    return zlib.compressobj(level, zlib.DEFLATED, 16 + window_bits, window_bits - 7)


def _gzip_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]] | None:
    """The answer's headers for a gzip body, without Content-Length, or None when
    the answer is to pass untouched (not text, or already encoded). One pass over
    the raw header list: Litestar's header views decode every header on every
    look-up, which showed in a small page's cost."""
    kept: list[tuple[bytes, bytes]] = []
    content_type = b""
    vary = -1
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            continue
        if lower == b"content-encoding":
            return None
        if lower == b"content-type":
            content_type = value
        elif lower == b"vary":
            vary = len(kept)
        kept.append((name, value))
    if not _compressible(content_type.decode("latin-1")):
        return None
    if vary < 0:
        kept.append((b"vary", b"Accept-Encoding"))
    elif b"accept-encoding" not in kept[vary][1].lower():
        kept[vary] = (kept[vary][0], kept[vary][1] + b", Accept-Encoding")
    kept.append((b"content-encoding", b"gzip"))
    return kept


class TextCompression(ASGIMiddleware):
    """gzip for text answers, nothing else.

    Lean on purpose (zlib directly, one compressor per answer sized to it, the
    raw header list read once): Litestar's own CompressionMiddleware builds a
    GzipFile per answer and cost the scan page about a third of its requests per
    second; this costs it under a tenth (tests/bench/scan_page.py). A page is
    compressed at level 1 (7 % larger than level 9, a fraction of its CPU);
    static files, fetched once per version, at 9.
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
                headers = None if not more and len(body) < MINIMUM_SIZE else _gzip_headers(start.get("headers", []))
                if headers is None:
                    passing = True
                    await send(start)
                    await send(message)
                    return
                compressor = _compressor(level, None if more else len(body))
                data = compressor.compress(body)
                if not more:
                    data += compressor.flush()
                    headers.append((b"content-length", str(len(data)).encode()))
                await send({**start, "headers": headers})
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
