"""The one way yiju starts Python processes: spawned, never forked.

A fork copies only the calling thread; every lock another thread held at that
moment (logging's, the allocator's, an SSL context's, paho's) stays locked in the
child forever, which hangs it at random. yiju forks from threaded processes
otherwise: the district day plans routes while ingest's writer and paho's network
threads run in the same process. A spawned child starts a fresh interpreter instead,
so its worker functions must be importable and their arguments picklable, and a
script that starts processes needs an `if __name__ == "__main__":` guard.

Spawning costs start-up (each worker imports what it runs: OR-Tools, NumPy,
pandas), so pools are kept for the life of the process (`process_pool`) and a
district day pays it once, not at every plan. Ingest's and the simulators' own
processes, queues and shared counters come from `spawn_context()`.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import SpawnContext
from typing import Final

START_METHOD: Final = "spawn"

_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def spawn_context() -> SpawnContext:
    """The multiprocessing context for every process, queue, event and shared array."""
    return multiprocessing.get_context(START_METHOD)


def _configure_worker(level: int) -> None:
    # A spawned worker has none of its parent's logging set-up; without it the
    # solver's progress and warnings would vanish (or lose their names).
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s[w%(process)d]: %(message)s",
        datefmt="%H:%M:%S",
    )


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=spawn_context(),
        initializer=_configure_worker,
        initargs=(logging.getLogger().getEffectiveLevel(),),
    )


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """This process's pool of `workers` spawned processes, started on first use and
    kept for later calls (threads that use it at once share its workers). Leaving the
    block normally leaves the pool running for the next caller; an error in the block
    (a failed task, a worker killed, Ctrl-C) shuts it down like leaving a
    `with ProcessPoolExecutor()` block, cancelling what was queued and waiting for what
    runs, so no orphaned task holds a worker; the next call starts a new pool."""
    if workers < 1:
        raise ValueError(f"a pool needs at least one worker, not {workers}")
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = _new_pool(workers)
    try:
        yield pool
    except BaseException:
        with _pools_lock:
            if _pools.get(workers) is pool:
                del _pools[workers]
        pool.shutdown(wait=True, cancel_futures=True)
        raise


def shutdown_pools() -> None:
    """Stop every kept pool (tests; the interpreter also stops them at exit)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)
