"""Who is calling: a bearer token (scripts, the API) or the session cookie (pages).

The middleware only identifies the caller; each route says who may call it in
``opt["roles"]`` (or ``opt["public"]``), and ``role_guard`` enforces it. The
access test walks every route and fails on one that declares neither.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from procurement.accounts.users import authenticate
from procurement.core.actor import READ_ROLES, Actor

SESSION_COOKIE = "ca_session"
ALL_ROLES = READ_ROLES  # every role, the read-only national one included


def token_from(headers: dict[str, str] | Any, cookies: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return cookies.get(SESSION_COOKIE) or None


class IdentifyCaller(ASGIMiddleware):
    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection = ASGIConnection(scope)
        token = token_from(connection.headers, connection.cookies)
        actor = await authenticate(token) if token else None
        scope["user"] = actor
        scope["auth"] = token if actor else None
        await next_app(scope, receive, send)


async def role_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # async on purpose: Litestar runs a sync guard in a worker thread, on every request.
    if handler.opt.get("public") or connection.scope.get("method") == "OPTIONS":
        return
    actor: Actor | None = connection.scope.get("user")
    if actor is None:
        raise NotAuthorizedException("Cần đăng nhập.")
    allowed = handler.opt.get("roles")
    if allowed is None:
        # A route that forgot to say who may call it is closed, not open.
        raise PermissionDeniedException("Tuyến này chưa khai báo quyền truy cập.")
    if actor.role not in allowed:
        raise PermissionDeniedException("Vai trò của bạn không được làm việc này.")


def roles(*allowed: str) -> dict[str, Any]:
    return {"roles": allowed}


PUBLIC = {"public": True}


def set_session_cookie(response, request, token: str, expires_at) -> None:
    """The session cookie pages use: HttpOnly, SameSite=Lax (a form posted from
    another site carries no session), Secure when served over https."""
    from procurement.core.clock import now

    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        max_age=int((expires_at - now()).total_seconds()) if expires_at else None,
    )
