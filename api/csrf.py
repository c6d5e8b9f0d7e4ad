"""Refuse forged writes: an unsafe request carried by the browser's session cookie must come from
the app's own origin.

Why a strict Origin/Referer check rather than a CSRF token: every unsafe request a browser sends
carries ``Origin`` (Chromium, Firefox and Safari send it on every POST, also same-origin form posts),
so the check covers every form and every ``fetch`` without a token in each template and script, and
it keeps working for a stocktake queued offline for days and sent later (a token tied to a page
load could have expired). SameSite=Lax alone does not stop a page on another port or sub-domain of
the same site, which is same-site; the origin check does, since the origin includes scheme, host
and port (OWASP CSRF Prevention Cheat Sheet, "Verifying Origin With Standard Headers").

Rules, for POST, PUT, PATCH and DELETE:

* ``Authorization: Bearer …``: passes (a script; a browser cannot add that header across origins
  without a CORS preflight, which this app never grants);
* no session cookie (or an empty one): passes, except on the log-in routes: there is no
  authority to abuse, and the route answers for itself (401 to an anonymous caller);
* ``Origin`` present: it must be ``BASE_URL``'s origin (or one of ``TRUSTED_ORIGINS``); a
  foreign or ``null`` origin is refused, also for the log-in form (log-in CSRF);
* no ``Origin`` but a ``Referer``: the referer's origin must match likewise;
* neither, with the session cookie: refused (a browser always sends one of them), except on the
  log-in routes, which take no authority from the cookie.

Every unsafe operation documents the 403 (``cross_origin``) in the OpenAPI (api/openapi.py).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from api.security import SESSION_COOKIE

_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
_LOG_IN = ("/api/auth/login", "/login")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower case, default ports left out; None if it is not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins(base_url: str, trusted: tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset(o for o in (origin_of(u) for u in (base_url, *trusted)) if o)


def _has_session_cookie(cookie_header: str) -> bool:
    # An empty value carries no session, so no authority to abuse.
    return any(
        name.strip() == SESSION_COOKIE and value.strip()
        for name, _, value in (part.partition("=") for part in cookie_header.split(";"))
    )


def forged(method: str, headers: dict[bytes, bytes], allowed: frozenset[str], path: str = "") -> bool:
    """Whether an unsafe request must be refused by the rules of this module."""
    if method not in _UNSAFE:
        return False
    if headers.get(b"authorization", b"").decode("latin-1").lower().startswith("bearer "):
        return False
    cookie = _has_session_cookie(headers.get(b"cookie", b"").decode("latin-1"))
    if not cookie and path not in _LOG_IN:
        return False  # no session to abuse: the route itself answers (401 to an anonymous caller)
    origin = headers.get(b"origin")
    if origin is not None:
        return origin_of(origin.decode("latin-1")) not in allowed
    referer = headers.get(b"referer")
    if referer is not None:
        return origin_of(referer.decode("latin-1")) not in allowed
    return path not in _LOG_IN


class RefuseForeignOrigin(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        settings = scope["app"].state.settings
        allowed = allowed_origins(settings.base_url, settings.trusted_origins)
        if forged(str(scope.get("method", "GET")), dict(scope.get("headers", [])), allowed, scope.get("path", "")):
            body = json.dumps(
                {
                    "status_code": 403,
                    "detail": "Yêu cầu không đến từ trang của hệ thống nên bị từ chối.",
                    "extra": [
                        {
                            "key": "origin",
                            "message": "Nguồn gửi yêu cầu (Origin/Referer) không phải địa chỉ của hệ thống.",
                            "code": "cross_origin",
                        }
                    ],
                },
                ensure_ascii=False,
            ).encode()
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
            end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
            await send(start)
            await send(end)
            return
        await next_app(scope, receive, send)
