"""The gzip middleware on its own: every size and shape of answer comes back byte
for byte, with headers that say what was sent; what must pass, passes untouched."""

from __future__ import annotations

import gzip
import random

import pytest

from api.weak_signal import MINIMUM_SIZE, TextCompression


def _app(chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        for index, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1})

    return app


async def _serve(chunks, headers, accept: bytes | None = b"gzip, deflate, br"):
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    request_headers = [(b"host", b"example.vn")] + ([(b"accept-encoding", accept)] if accept else [])
    scope = {"type": "http", "path": "/s/ABC1234", "headers": request_headers}
    await TextCompression().handle(scope, receive, send, _app(chunks, headers))
    start, bodies = sent[0], sent[1:]
    assert start["type"] == "http.response.start"
    assert [m.get("more_body", False) for m in bodies] == [True] * (len(bodies) - 1) + [False]
    return dict(start["headers"]), b"".join(m["body"] for m in bodies)


def _text(size: int) -> bytes:
    rng = random.Random(size)
    words = ["thiết bị", "máy tính", "xã An Viễn", "<div class='row'>", "</div>", "kiểm kê", "0123"]
    text = " ".join(rng.choice(words) for _ in range(size)).encode()
    return text[:size]


HTML = [(b"content-type", b"text/html; charset=utf-8")]


@pytest.mark.parametrize("size", [MINIMUM_SIZE, 1000, 3444, 5000, 40_000, 300_000])
async def test_one_body_of_any_size_comes_back_whole_with_its_length(size):
    body = _text(size)
    headers, sent = await _serve([body], [*HTML, (b"content-length", str(size).encode())])
    assert headers[b"content-encoding"] == b"gzip"
    assert headers[b"content-length"] == str(len(sent)).encode()
    assert headers[b"vary"] == b"Accept-Encoding"
    assert gzip.decompress(sent) == body
    assert len(sent) < size


async def test_a_streamed_answer_is_compressed_as_a_stream_without_length():
    chunks = [_text(70_000 + n) for n in range(4)]
    headers, sent = await _serve(chunks, [*HTML, (b"content-length", b"280006"), (b"vary", b"Cookie")])
    assert b"content-length" not in headers
    assert headers[b"vary"] == b"Cookie, Accept-Encoding"
    assert gzip.decompress(sent) == b"".join(chunks)


@pytest.mark.parametrize(
    ("chunks", "headers", "accept"),
    [
        ([b"%PDF-1.4 " * 1000], [(b"content-type", b"application/pdf")], b"gzip"),
        ([_text(5000)], [*HTML, (b"content-encoding", b"br")], b"gzip"),
        ([_text(MINIMUM_SIZE - 1)], HTML, b"gzip"),
        ([_text(5000)], HTML, None),
        ([_text(5000)], HTML, b"identity"),
    ],
)
async def test_what_is_not_worth_compressing_passes_untouched(chunks, headers, accept):
    got, sent = await _serve(chunks, headers, accept)
    assert got == dict(headers) and sent == b"".join(chunks)
