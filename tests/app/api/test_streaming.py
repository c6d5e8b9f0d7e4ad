"""Large downloads are streamed from their temporary file in chunks, with their
length, and the file is closed (so freed) when the download ends or is cut short."""

from __future__ import annotations

import asyncio
import gc

from litestar import Litestar, get
from litestar.response import Stream

from api.streaming import CHUNK_BYTES, stream_file
from procurement.core.heavy import run_heavy_to_file

SIZE = 2 * CHUNK_BYTES + 12345
opened: list = []


def _write(out, size: int) -> None:
    block = bytes(range(256)) * 4096
    while size > 0:
        out.write(block[:size])
        size -= len(block)


@get("/big")
async def big() -> Stream:
    file = await run_heavy_to_file(_write, SIZE)
    opened.append(file)
    return stream_file(file, "lon.bin", "application/octet-stream")


APP = Litestar([big])


async def _call(stop_after: int | None = None) -> list[dict]:
    sent: list[dict] = []
    disconnected = asyncio.Event()

    async def receive():
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            disconnected.set()  # as a server does: the answer is complete, the client gone
        if stop_after is not None and len(sent) >= stop_after:
            disconnected.set()
            raise OSError("the phone lost its signal")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/big",
        "raw_path": b"/big",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"example.vn")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    try:
        await APP(scope, receive, send)
    except Exception:  # the lost connection, as Litestar reports it after the start was sent
        if stop_after is None:
            raise
    return sent


async def test_a_large_file_goes_out_in_chunks_with_its_length_and_is_closed():
    opened.clear()
    sent = await _call()
    start, bodies = sent[0], [m for m in sent[1:] if m.get("body")]
    headers = dict(start["headers"])
    assert headers[b"content-length"] == str(SIZE).encode()
    assert headers[b"content-disposition"] == b'attachment; filename="lon.bin"'
    assert len(bodies) == 3 and max(len(m["body"]) for m in bodies) == CHUNK_BYTES
    body = b"".join(m["body"] for m in bodies)
    assert len(body) == SIZE and body[:512] == bytes(range(256)) * 2
    assert opened[0].closed


async def test_a_download_cut_short_closes_the_file_and_leaves_nothing_on_disk():
    opened.clear()
    await _call(stop_after=2)  # the start and one chunk, then the client is gone
    for _ in range(3):
        gc.collect()
        await asyncio.sleep(0)
    assert opened[0].closed
    # A temporary file without a name (its "name" is the descriptor): nothing is left on disk.
    assert isinstance(opened[0].name, int)
