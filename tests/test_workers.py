"""WorkerPool: a task within limits, or stopped at them, and workers that stop when told."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from ba_assistant.workers import LimitExceeded, Limits, WorkerPool

GENEROUS = Limits(cpu_seconds=30, memory_bytes=1024**3, timeout_seconds=60)


def pid_after_spinning(seconds: float) -> int:
    """Runs in the worker: burns CPU for ``seconds``, then says which process it was."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return os.getpid()


def pid_after_allocating(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return os.getpid() + len(block) * 0


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(1, tasks_per_worker=100)
    yield workers
    workers.shutdown()


class TestRun:
    def test_a_task_over_its_cpu_time_stops_and_its_worker_runs_the_next(
        self, pool: WorkerPool
    ) -> None:
        one_second = Limits(cpu_seconds=1, memory_bytes=None, timeout_seconds=30)

        async def scenario() -> tuple[int, int]:
            first = await pool.run(GENEROUS, pid_after_spinning, 0.0)
            with pytest.raises(LimitExceeded) as stopped:
                await pool.run(one_second, pid_after_spinning, 30.0)
            assert stopped.value.kind == "cpu"
            # The worker has used over a second already; this task's budget starts afresh.
            return first, await pool.run(one_second, pid_after_spinning, 0.5)

        first, after = asyncio.run(scenario())
        assert after == first  # the same worker: nothing was restarted

    def test_a_task_over_its_memory_stops_and_the_limit_is_lifted_after(
        self, pool: WorkerPool
    ) -> None:
        tight = Limits(cpu_seconds=None, memory_bytes=600 * 1024**2, timeout_seconds=30)

        async def scenario() -> int:
            with pytest.raises(LimitExceeded) as stopped:
                await pool.run(tight, pid_after_allocating, 800)
            assert stopped.value.kind == "memory"
            return await pool.run(GENEROUS, pid_after_allocating, 800)

        assert asyncio.run(scenario()) > 0

    def test_a_task_past_its_timeout_is_stopped_and_a_new_worker_takes_the_next(
        self, pool: WorkerPool
    ) -> None:
        async def scenario() -> tuple[int, int]:
            first = await pool.run(GENEROUS, pid_after_spinning, 0.0)
            with pytest.raises(LimitExceeded) as stopped:
                await pool.run(
                    Limits(cpu_seconds=None, memory_bytes=None, timeout_seconds=1),
                    pid_after_spinning,
                    30.0,
                )
            assert stopped.value.kind == "time"
            return first, await pool.run(GENEROUS, pid_after_spinning, 0.0)

        first, after = asyncio.run(scenario())
        assert after != first


class TestShutdown:
    def test_shutdown_stops_every_worker(self, pool: WorkerPool) -> None:
        asyncio.run(pool.run(GENEROUS, pid_after_spinning, 0.0))
        workers = pool.processes()
        assert workers and all(p.is_alive() for p in workers)

        pool.shutdown()

        assert not any(p.is_alive() for p in workers)
        assert pool.processes() == []
