"""Heavy work off the event loop, through one shared limiter.

Building an XLSX, CSV, PDF or SVG, collecting a polars report and reading a large
part of the database are seconds of CPU; on the event loop they would hold every
other request (a commune's scan behind a province's export). :func:`run_heavy`
runs such a function in one of :data:`HEAVY_WORKERS` threads of this process, so
the loop only parses, awaits and answers, and a burst of exports queues instead of
starving the machine. polars, the ``sqlite3`` module, xlsxwriter's C parts and
reportlab's image code let go of the GIL while they work.

Those threads run at a lower CPU priority (``HEAVY_NICE``, on Linux a thread has its
own nice value): when the cores are busy, the event loops that answer phones get the
CPU first, and a province's export takes a little longer instead of every scan
waiting behind it.

Defined here, not in ``api/``, because the domain's use cases (procurement/) call
it too, and the domain never imports ``api/``; ``api/`` uses this same limiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# One heavy job per core by default: each job is itself CPU-bound (polars also
# spreads one job over the cores), so more would only slow every job down.
HEAVY_WORKERS = max(1, int(os.environ.get("HEAVY_WORKERS") or os.cpu_count() or 1))

# Added to the nice value of the heavy threads (0: same priority as the event loop).
HEAVY_NICE = int(os.environ.get("HEAVY_NICE") or 10)


def lower_thread_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority by ``nice`` (Linux: the nice value belongs
    to the thread; elsewhere nothing happens). For a pool's initializer."""
    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + nice))


# One pool for the process: its size is the bound, whichever event loop asks.
_POOL = ThreadPoolExecutor(
    HEAVY_WORKERS, thread_name_prefix="heavy", initializer=lower_thread_priority, initargs=(HEAVY_NICE,)
)


async def run_heavy(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` in one of the ``HEAVY_WORKERS`` lower-priority threads."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))


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
