"""Security headers on every answer: a content security policy the pages satisfy, no framing,
no MIME sniffing, no full URLs leaking in Referer.

The pages load only their own scripts, styles and images: no inline <script>, no style="" and no
inline event handler anywhere in api/templates or what api/static/*.js writes (the browser test
tests/app/pages/test_security_headers.py loads every page and fails on any CSP violation). The
charts are SVG drawn on the server without style attributes. The OpenAPI viewer under /schema
loads its scripts from a CDN, so it alone gets a policy that allows that CDN.
"""

from __future__ import annotations

from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # labels' QR previews and the camera's canvas
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Litestar's Swagger/ReDoc/Stoplight pages: scripts and styles from jsDelivr/unpkg, one inline script.
SCHEMA_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate CSP 2
    (b"cross-origin-opener-policy", b"same-origin"),
]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: runs for every answer, also 404s of unknown addresses and the
    refusals of the middlewares, which a route-level middleware would not see."""
    if message["type"] != "http.response.start":
        return
    policy = SCHEMA_POLICY if scope.get("path", "").startswith("/schema") else CONTENT_SECURITY_POLICY
    headers = list(message.get("headers", []))
    names = {bytes(name).lower() for name, _ in headers}
    headers += [h for h in (*_COMMON, (b"content-security-policy", policy.encode())) if h[0] not in names]
    message["headers"] = headers
