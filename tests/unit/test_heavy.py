"""run_heavy: work off the event loop, never more jobs at once than the limiter allows."""

from __future__ import annotations

import asyncio
import threading

from procurement.core import heavy


def test_no_more_heavy_jobs_at_once_than_the_limit_and_the_loop_stays_free():
    limit = heavy.HEAVY_WORKERS
    lock = threading.Lock()
    running = 0
    most = 0
    release = threading.Event()
    all_in = threading.Event()

    def job(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == limit:
                all_in.set()
        release.wait(10)
        with lock:
            running -= 1
        return n * 2

    async def main():
        jobs = [asyncio.ensure_future(heavy.run_heavy(job, n)) for n in range(limit + 3)]
        # The loop answers while every worker is busy...
        assert await asyncio.to_thread(all_in.wait, 10)
        await asyncio.sleep(0)
        with lock:
            assert running == limit  # ...and the extra jobs wait for a free worker.
        release.set()
        return await asyncio.gather(*jobs)

    assert asyncio.run(main()) == [n * 2 for n in range(limit + 3)]
    assert most == limit


def test_errors_come_back_to_the_caller():
    def fails():
        raise ValueError("min_share")

    async def main():
        try:
            await heavy.run_heavy(fails)
        except ValueError as error:
            return str(error)

    assert asyncio.run(main()) == "min_share"


def test_heavy_jobs_run_below_the_event_loops_priority():
    """On Linux the nice value is per thread: the pool's threads are the lower-priority ones,
    the caller's thread (an event loop's) keeps its own."""
    import os

    def nice_of_this_thread() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    caller = nice_of_this_thread()
    worker = asyncio.run(heavy.run_heavy(nice_of_this_thread))
    assert worker == min(19, caller + heavy.HEAVY_NICE)
    assert nice_of_this_thread() == caller
