"""Worker processes for CPU-bound batch work (parsing, enrichment), with results in order."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from groundswell.errors import GroundswellError

T = TypeVar("T")


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes by fork: spawn and forkserver would re-run the caller's ``__main__``,
    which breaks scripts without a main guard. Forking is safe here because the pool forks
    all its workers at the first submit, before the caller starts its writer thread; the only
    other threads are DuckDB's idle workers, and the children never touch DuckDB."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in threaded processes
        warnings.simplefilter("ignore", DeprecationWarning)
        pool.submit(int).result()  # start every worker now
    return pool


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: batch work makes many small objects and no
    cycles, and each collection would walk every live object (a third of the time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _start_worker(parent: int) -> None:
    """Worker initializer. The objects inherited from the parent (compiled patterns, models)
    are frozen out of the garbage collector's reach: collections no longer walk them, nor
    write to their pages (which stay shared with the parent). And a worker ends when its
    parent process does, even when the parent is killed (SIGKILL leaves no chance to stop
    the pool, and forked workers hold the pipe ends that would otherwise tell them); Linux
    only, elsewhere the pool's own shutdown does it."""
    gc.freeze()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def in_order(
    workers: int, jobs: Callable[[ProcessPoolExecutor], Iterator[Future[T]]]
) -> Iterator[T]:
    """The results of the jobs that ``jobs`` submits to a fresh pool, in submission order,
    with at most two jobs per worker in flight. When the job source fails with a
    GroundswellError (a file broke half-way), the results of the jobs already submitted are
    still yielded before the error is raised."""
    pending: deque[Future[T]] = deque()
    with worker_pool(workers) as pool:
        try:
            for job in jobs(pool):
                pending.append(job)
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except GroundswellError:
            while pending:
                yield pending.popleft().result()
            raise
        finally:  # stopped early (strict, interrupted): drop the jobs not yet done
            for f in pending:
                f.cancel()
