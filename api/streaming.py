"""Large downloads streamed from a file, never held whole in memory.

A national export is written by a worker to a temporary file
(``procurement.core.heavy.run_heavy_to_file``); :func:`stream_file` sends it in
chunks, each read in a worker thread, and closes the file at the end, whether the
download finished or was cut short (the file has no name on disk, so closing it
frees it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import IO

import anyio.to_thread
from litestar.response import Stream

CHUNK_BYTES = 1024 * 1024


async def _chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(file.read, CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


def stream_file(file: IO[bytes], name: str, media_type: str) -> Stream:
    """An attachment named ``name`` streamed from ``file`` (open, at its start), its length known."""
    return Stream(
        _chunks(file),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(os.fstat(file.fileno()).st_size),
        },
    )
