"""Light on a weak signal: text answers compressed, static files cached for good
under a URL that names their content.

* Compression: Litestar's gzip middleware, but only for text (HTML, JSON, CSV,
  CSS, JavaScript, SVG). XLSX, PDF and PNG are compressed formats already:
  gzip would spend CPU to make them no smaller, so they pass untouched.
* Static files: ``static_url("app.css")`` gives ``/static/app.css?v=<hash>``,
  the hash of the file's bytes computed once at start-up. Such a URL is served
  with ``Cache-Control: public, max-age=31536000, immutable``: a phone never asks
  again, and a changed file gets a new URL. Without the right version (the
  service worker's own list, an old page) the file is served ``no-cache``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import CompressionEncoding, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.middleware.compression import CompressionMiddleware
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


class TextCompression(CompressionMiddleware):
    """Litestar's compression, skipped for answers that are not text or already encoded."""

    def create_compression_send_wrapper(
        self, send: Send, compression_encoding: CompressionEncoding | str, scope: Scope
    ) -> Send:
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        chosen: Send | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal chosen
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders(message)
                text = _compressible(headers.get("content-type") or "") and "content-encoding" not in headers
                chosen = compressing if text else send
            await (chosen or compressing)(message)

        return send_wrapper


# Level 5: for pages of a few KB nearly the size of level 9 at a fraction of the CPU.
COMPRESSION = CompressionConfig(
    backend="gzip", minimum_size=500, gzip_compress_level=5, middleware_class=TextCompression
)
