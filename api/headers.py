"""Security headers on every answer: a content security policy the pages satisfy, no framing,
no MIME sniffing, no full URLs leaking in Referer.

The pages load only their own scripts, styles and images: no inline <script>, no style="" and no
inline event handler anywhere in api/templates or what api/static/*.js writes (the browser test
tests/app/pages/test_security_headers.py loads every page and fails on any CSP violation). The
charts are SVG drawn on the server without style attributes. The OpenAPI viewer under /schema
(Litestar's Swagger UI, served from api/static/vendor) alone gets inline script and style.
"""

from __future__ import annotations

import re
from typing import Any

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
# The OpenAPI viewer (/schema/swagger) loads Swagger UI from our own static files (api/app.py), but
# Litestar writes its start-up as an inline <script> holding the whole document (so its hash changes
# with every API change) and Swagger UI sets style attributes: this page alone allows inline script
# and style, and nothing from another origin.
SCHEMA_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self'; img-src 'self' data:; connect-src 'self'; "
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


async def list_every_allowed_method(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: the automatic OPTIONS answer names every method of its path.

    Litestar makes that answer when the first handler of a path is registered and keeps that first
    route object, so a path whose handlers arrive one by one (GET, then POST) answered
    ``Allow: OPTIONS, POST``; the methods are read here from the route the app finally holds."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    template = scope.get("path_template")
    methods = _methods_by_path(scope["app"]).get(template) if template else None
    if methods:
        headers = [(name, value) for name, value in message.get("headers", []) if bytes(name).lower() != b"allow"]
        message["headers"] = [*headers, (b"allow", ", ".join(sorted(methods)).encode())]


def _methods_by_path(app: Any) -> dict[str, frozenset[str]]:
    known = getattr(app.state, "_methods_by_path", None)
    if known is None:
        known = {}
        for route in app.routes:
            if methods := getattr(route, "methods", None):
                # The router names paths without parameter types: /x/{id:int} is /x/{id} there.
                template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                known[template] = known.get(template, frozenset()) | frozenset(methods)
        app.state._methods_by_path = known
    return known
