"""The JSON API refuses query parameters its routes do not declare.

A misspelt filter (``?comune=26296``) silently ignored gives a whole province's rows to a script
that believes it asked for one commune; the OpenAPI document lists each operation's parameters, and
an API that keeps to its document says so instead: 400, naming every unknown parameter.

Which names a route takes is read from Litestar's own model of the handler (its signature and its
dependencies, as Litestar fills them), so a new route needs nothing more. Only ``/api/``: pages keep
ignoring what they do not read (links shared with tracking parameters, old bookmarks), and the
automatic OPTIONS answer takes none anyway.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException
from litestar.handlers.base import BaseRouteHandler

API_PREFIX = "/api/"


def declared_query_parameters(app: Any) -> dict[int, frozenset[str]]:
    """``id(handler) -> the query parameter names it reads``, for every HTTP handler of the app."""
    known = getattr(app.state, "_declared_query_parameters", None)
    if known is None:
        known = {}
        for route in app.routes:
            for handler, kwargs_model in getattr(route, "route_handler_map", {}).values():
                known[id(handler)] = frozenset(p.field_alias for p in kwargs_model.expected_query_params)
        app.state._declared_query_parameters = known
    return known


async def refuse_unknown_query_parameters(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Litestar guard (after the role guard: a caller who may not call the route learns nothing more)."""
    if not connection.scope.get("query_string") or not connection.scope.get("path", "").startswith(API_PREFIX):
        return
    if connection.scope.get("method") == "OPTIONS":
        return
    # Litestar hands guards a copy of the handler; the scope holds the one the router chose.
    declared = declared_query_parameters(connection.app).get(id(connection.scope.get("route_handler")))
    if declared is None:  # not a handler the app routes to (cannot happen): leave it to the handler
        return
    unknown = [name for name in dict.fromkeys(connection.query_params.keys()) if name not in declared]
    if not unknown:
        return
    accepted = ", ".join(sorted(declared)) or "không có tham số nào"
    raise ClientException(
        detail="Tham số không được phép: " + ", ".join(unknown) + ".",
        extra=[
            {
                "key": name,
                "message": f"Địa chỉ này không nhận tham số “{name}” (nhận: {accepted}).",
                "code": "unknown_parameter",
                "source": "query",
            }
            for name in unknown
        ],
    )
