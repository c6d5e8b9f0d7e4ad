"""Refuse text no database can store: NUL characters and lone UTF-16 surrogates.

PostgreSQL rejects both inside text, and SQLite stores them only to hand back
strings other tools choke on. Rather than teach every schema, this middleware
looks at query parameters, JSON bodies and form bodies before the app does, and
answers 400 naming the field, in the same shape as every other error.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")
_MAX_CHECKED_BODY = 4 * 1024 * 1024


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def find_bad_text(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) that cannot be stored, or None."""
    if isinstance(value, str):
        return path or "body" if _bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _bad_text(str(key)):
                return where
            found = find_bad_text(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_bad_text(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


async def _refuse(send: Send, field: str, source: str) -> None:
    message = "Có ký tự không hợp lệ (ký tự NUL hoặc mã Unicode hỏng)."
    body = json.dumps(
        {
            "status_code": 400,
            "detail": "Dữ liệu không hợp lệ.",
            "extra": [{"key": field, "message": message, "code": "invalid_text", "source": source}],
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RefuseUnstorableText(ASGIMiddleware):
    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            try:
                pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
            except UnicodeDecodeError:
                await _refuse(send, "query", "query")
                return
            for key, value in pairs:
                if _bad_text(key) or _bad_text(value):
                    await _refuse(send, key, "query")
                    return

        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        length = int(headers.get(b"content-length", b"0") or 0) if headers.get(b"content-length", b"0").isdigit() else 0
        if content_type not in _CHECKED_BODIES or length > _MAX_CHECKED_BODY:
            await next_app(scope, receive, send)
            return

        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
            if sum(map(len, chunks)) > _MAX_CHECKED_BODY:
                break
        body = b"".join(chunks)
        field = None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            if content_type == "application/json":
                try:
                    field = find_bad_text(json.loads(text))
                except ValueError:
                    field = None  # not JSON: the app answers that itself
            else:
                field = next(
                    (k for k, v in parse_qsl(text, keep_blank_values=True) if _bad_text(k) or _bad_text(v)), None
                )
        if field:
            await _refuse(send, field, "body")
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        await next_app(scope, replay, send)
