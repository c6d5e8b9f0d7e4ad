"""Heavy work off the event loop, through one shared limiter.

Building an XLSX, CSV, PDF or SVG, collecting a polars report and reading a large
part of the database are seconds of CPU; on the event loop they would hold every
other request (a commune's scan behind a province's export). :func:`run_heavy`
runs such a function in a worker thread, at most :data:`HEAVY_WORKERS` at a time
in this process, so the loop only parses, awaits and answers, and a burst of
exports queues instead of starving the machine. polars, the ``sqlite3`` module,
xlsxwriter's C parts and reportlab's image code let go of the GIL while they work.

Defined here, not in ``api/``, because the domain's use cases (procurement/) call
it too, and the domain never imports ``api/``; ``api/`` uses this same limiter.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
from collections.abc import Callable
from typing import IO, Concatenate, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread

P = ParamSpec("P")
T = TypeVar("T")

# One heavy job per core by default: each job is itself CPU-bound (polars also
# spreads one job over the cores), so more would only slow every job down.
HEAVY_WORKERS = max(1, int(os.environ.get("HEAVY_WORKERS") or os.cpu_count() or 1))

# One limiter per event loop (tests open several loops in one process).
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = WeakKeyDictionary()


def limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    found = _limiters.get(loop)
    if found is None:
        found = _limiters[loop] = anyio.CapacityLimiter(HEAVY_WORKERS)
    return found


async def run_heavy(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in a worker thread, one of at most ``HEAVY_WORKERS`` at a time."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter())


async def run_heavy_to_file(
    write: Callable[Concatenate[IO[bytes], P], object], *args: P.args, **kwargs: P.kwargs
) -> IO[bytes]:
    """A large file (a national export) written by ``write(file, *args, **kwargs)`` in a
    worker (as :func:`run_heavy`) to a temporary file, rewound and returned open, so the
    web layer streams it in chunks instead of holding it whole in memory.

    The file has no name on disk (``tempfile.TemporaryFile``): closing it, or the
    process ending, frees it, even when a download is cut short. The caller closes it.
    """
    file = tempfile.TemporaryFile()
    try:
        await run_heavy(write, file, *args, **kwargs)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file
