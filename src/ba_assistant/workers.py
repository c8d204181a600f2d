"""Running CPU-bound work on someone's content in a worker process, within limits.

Export layout and upload extraction are Python that holds the GIL for seconds on large or
hostile input: in the server process either would stall the event loop, and with it
everyone's streams. A ``WorkerPool`` runs such a function in a spawned process, with a
CPU-time and address-space limit for each task (``resource.setrlimit`` in the worker) and a
wall-clock timeout in the server. A task over its CPU or memory limit fails with
``LimitExceeded`` and its worker lives on; a worker stuck past the timeout, or dead, is
killed and replaced, and the next task gets a fresh one.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import resource
import signal
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any, Literal, TypeVar

T = TypeVar("T")

LimitKind = Literal["cpu", "memory", "time"]
WORKER_NICENESS = 10


@dataclass(frozen=True)
class Limits:
    """What one task may use. ``None`` leaves that resource unlimited."""

    cpu_seconds: float | None
    memory_bytes: int | None
    timeout_seconds: float
    # How long a task may wait for a free worker before the caller gives up.
    queue_seconds: float = 60.0


class WorkerBusy(Exception):
    """Every worker stayed busy for the whole of ``Limits.queue_seconds``."""


class LimitExceeded(Exception):
    """The task used more CPU time, memory or wall-clock time than its limits allow."""

    def __init__(self, kind: LimitKind) -> None:
        super().__init__(kind)
        self.kind: LimitKind = kind


class WorkerLost(Exception):
    """The worker died twice in a row (a crash, or killed from outside)."""


class _CpuTimeUp(BaseException):
    """Raised in the worker by SIGXCPU. A BaseException, so that the task's own ``except
    Exception`` (libraries raise many types on bad input) does not swallow it."""


_running = False


def _on_cpu_limit(_signum: int, _frame: Any) -> None:
    # The kernel repeats SIGXCPU every second past the soft limit; only a task is stopped.
    if _running:
        raise _CpuTimeUp


def _start_worker() -> None:
    # Below the server in the scheduler's eyes: on a busy machine its event loop, which
    # answers everyone, comes before one person's file.
    os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    # The server's Ctrl-C reaches its whole process group; the server stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _set_soft(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = hard if value == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, hard))


def _run_limited(
    cpu_seconds: float | None, memory_bytes: int | None, fn: Callable[..., T], args: tuple[Any, ...]
) -> T:
    """Runs in the worker: ``fn(*args)`` under this task's limits, lifted afterwards."""
    global _running
    try:
        if cpu_seconds is not None:
            used = resource.getrusage(resource.RUSAGE_SELF)
            # RLIMIT_CPU counts the process's whole life: the budget starts from now.
            _set_soft(resource.RLIMIT_CPU, math.ceil(used.ru_utime + used.ru_stime + cpu_seconds))
        if memory_bytes is not None:
            _set_soft(resource.RLIMIT_AS, memory_bytes)
        _running = True
        return fn(*args)
    except _CpuTimeUp:
        raise LimitExceeded("cpu") from None
    except MemoryError:
        raise LimitExceeded("memory") from None
    finally:
        _running = False
        _set_soft(resource.RLIMIT_AS, resource.RLIM_INFINITY)
        _set_soft(resource.RLIMIT_CPU, resource.RLIM_INFINITY)


class WorkerPool:
    """A small pool of worker processes, started on the first task.

    At most ``workers`` tasks run at once; the others wait their turn, and only the running
    time counts against the timeout. A worker that dies breaks the pool (and every task
    running in it): the pool is replaced and the task tried once more.
    """

    def __init__(self, workers: int, tasks_per_worker: int) -> None:
        self._workers = workers
        self._tasks_per_worker = tasks_per_worker
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        # One per event loop: the server has one, the tests start many.
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._turns = weakref.WeakKeyDictionary()

    async def run(self, limits: Limits, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker. ``fn`` and its arguments must be picklable."""
        try:
            async with asyncio.timeout(limits.queue_seconds):
                await self._turn().acquire()
        except TimeoutError:
            raise WorkerBusy from None
        try:
            for attempt in (1, 2):
                pool = self._ensure_pool()
                try:
                    return await self._run(pool, limits, fn, args)
                except BrokenProcessPool:
                    self._discard(pool)
                    if attempt == 2:
                        raise WorkerLost from None
            raise AssertionError("unreachable")
        finally:
            self._turn().release()

    async def _run(
        self, pool: ProcessPoolExecutor, limits: Limits, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> T:
        future = asyncio.get_running_loop().run_in_executor(
            pool, _run_limited, limits.cpu_seconds, limits.memory_bytes, fn, args
        )
        try:
            return await asyncio.wait_for(future, limits.timeout_seconds)
        except TimeoutError:
            self._discard(pool)
            raise LimitExceeded("time") from None

    def processes(self) -> list[BaseProcess]:
        """The worker processes running now (none before the first task)."""
        with self._lock:
            pool = self._pool
        return _processes(pool) if pool is not None else []

    def shutdown(self) -> None:
        """Stops every worker now; a later task starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _stop(pool)

    def _turn(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._turns:
            self._turns[loop] = asyncio.Semaphore(self._workers)
        return self._turns[loop]

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Spawned, not forked: the server has threads, and a fork copies their locks.
                self._pool = ProcessPoolExecutor(
                    self._workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    max_tasks_per_child=self._tasks_per_worker,
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Stops a pool whose worker is stuck or dead; the next task starts a new one."""
        with self._lock:
            if self._pool is not pool:
                return  # someone discarded it already
            self._pool = None
        _stop(pool)


def _processes(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    return list((getattr(pool, "_processes", None) or {}).values())


def _stop(pool: ProcessPoolExecutor) -> None:
    # The executor cannot cancel a running task; its processes can be stopped. Its manager
    # thread may start a replacement meanwhile (a worker retiring after its last task) into
    # the same table, which the executor forgets on shutdown: keep hold of it and look again
    # until no process of the pool is left alive.
    table: dict[int, BaseProcess] = getattr(pool, "_processes", None) or {}
    stopped: dict[int, BaseProcess] = {}
    for attempt in range(20):
        fresh = {id(p): p for p in list(table.values()) if id(p) not in stopped}
        for process in fresh.values():
            process.kill()
        stopped.update(fresh)
        if attempt == 0:
            pool.shutdown(wait=False, cancel_futures=True)
        for process in stopped.values():
            process.join(timeout=5)
        if not fresh and not any(process.is_alive() for process in stopped.values()):
            return
