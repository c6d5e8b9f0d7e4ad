"""Refuse input no handler should see: text no database can store, bodies that are not what
they claim, JSON nested too deep.

* NUL characters and lone UTF-16 surrogates: PostgreSQL rejects both inside text, and SQLite
  stores them only to hand back strings other tools choke on.
* Bytes that are not UTF-8 (raw or percent-encoded) in a query, a form or a JSON body: refused,
  never stored as replacement characters.
* JSON deeper than :data:`MAX_JSON_DEPTH`: measured without recursion before it is parsed (a
  deep enough document makes Python's and msgspec's parsers hit the recursion limit).
* A body sent to the JSON API (``/api/``) as anything but ``application/json`` (or a file upload
  as ``multipart/form-data``): 415. A browser can post ``text/plain`` across sites without asking;
  it cannot post ``application/json`` without a CORS preflight.

Rather than teach every schema, this middleware looks before the app does, and answers 4xx naming
the field, in the same shape as every other error.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")
_MAX_CHECKED_BODY = 4 * 1024 * 1024
# Deepest JSON accepted: the API's own bodies nest 4 levels; 32 leaves room without risk.
MAX_JSON_DEPTH = 32
_API_BODY_TYPES = ("application/json", "multipart/form-data")
_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, counted without recursion and without
    parsing: strings are cut out, then the brackets left are summed. Malformed text gives some
    number; the parser then refuses it."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def find_bad_text(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) that cannot be stored, or None (iterative, in order)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _bad_text(item):
                return where or "body"
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                at = f"{where}.{key}" if where else str(key)
                if _bad_text(str(key)):
                    return at
                children.append((child, at))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(child, f"{where}.{i}" if where else str(i)) for i, child in enumerate(item)]))
    return None


def _shown(text: str) -> str:
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


async def _refuse(
    send: Send,
    field: str,
    source: str,
    message: str = "Có ký tự không hợp lệ (ký tự NUL hoặc mã Unicode hỏng).",
    code: str = "invalid_text",
    status: int = 400,
    detail: str = "Dữ liệu không hợp lệ.",
) -> None:
    body = json.dumps(
        {
            "status_code": status,
            "detail": detail,
            # The key may be the refused text itself: shown escaped, so that the answer is storable text too.
            "extra": [{"key": _shown(field), "message": message, "code": code, "source": source}],
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RefuseUnstorableText(ASGIMiddleware):
    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if _bad_text(scope.get("path", "")):  # /static/app.css%00.js: no file or route has a NUL
            await _refuse(send, "path", "path")
            return
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
        has_body = length > 0 or b"transfer-encoding" in headers
        if (
            has_body
            and scope.get("method") in _UNSAFE
            and scope.get("path", "").startswith("/api/")
            and content_type not in _API_BODY_TYPES
        ):
            await _refuse(
                send,
                "content-type",
                "header",
                f"API chỉ nhận dữ liệu dạng application/json (nhận được: {content_type or 'không ghi'}).",
                code="unsupported_media_type",
                status=415,
                detail="Kiểu dữ liệu không được hỗ trợ.",
            )
            return
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
            await _refuse(send, "body", "body", "Dữ liệu gửi lên không phải văn bản UTF-8.", code="invalid_encoding")
            return
        if content_type == "application/json":
            if json_depth(body) > MAX_JSON_DEPTH:
                await _refuse(
                    send,
                    "body",
                    "body",
                    f"JSON lồng nhau quá sâu (tối đa {MAX_JSON_DEPTH} cấp).",
                    code="too_deep",
                )
                return
            try:
                field = find_bad_text(json.loads(text))
            except ValueError:
                field = None  # not JSON: the app answers that itself
        else:
            try:
                pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
            except UnicodeDecodeError:
                await _refuse(
                    send, "body", "body", "Dữ liệu biểu mẫu không phải văn bản UTF-8.", code="invalid_encoding"
                )
                return
            field = next((k for k, v in pairs if _bad_text(k) or _bad_text(v)), None)
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
