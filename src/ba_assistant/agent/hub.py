"""The event hub: one numbered event log per reply, replayed and followed by SSE subscribers.

A run publishes ``start``, ``chunk``, ``tool_call``, ``tool_result``, ``artifact`` and finally
``complete`` or ``error``. Subscribers read the log from any point (``Last-Event-ID``) and then
follow it live, so a client that reconnects gets exactly the events it missed. Finished logs
are kept for ``RETENTION`` so that late reconnects still resume exactly; after that the reply
is replayed from the database.

``MemoryHub`` serves one process. The interface is small on purpose: a Redis Streams hub
(``XADD``/``XREAD BLOCK`` per reply) implements the same four methods for several instances.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

RETENTION_SECONDS = 120.0  # reconnecting clients come back within seconds
SWEEP_EVERY_SECONDS = 1.0
TERMINAL_EVENTS = frozenset({"complete", "error"})


@dataclass(frozen=True)
class StreamEvent:
    id: int
    event: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.event}\ndata: {payload}\n\n".encode()

    @property
    def is_terminal(self) -> bool:
        return self.event in TERMINAL_EVENTS


class EventHub(Protocol):
    async def publish(self, key: str, event: str, data: dict[str, Any]) -> StreamEvent:
        """Appends an event to the reply's log (creating the log) and wakes its followers."""
        ...

    def has(self, key: str) -> bool:
        """True while the reply's log is available (running, or finished within retention)."""
        ...

    def position(self, key: str) -> LogPosition | None:
        """The last event id of the reply's log, and whether the log is finished."""
        ...

    def follow(self, key: str, after: int, *, wait: float) -> AsyncIterator[StreamEvent | None]:
        """The events after ``after``, then new ones as they come, until a terminal event.
        Yields ``None`` after ``wait`` seconds without an event (time for a keep-alive)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class LogPosition:
    last_id: int
    finished: bool


@dataclass
class _Log:
    events: list[StreamEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    finished_at: float | None = None


class MemoryHub:
    def __init__(self, retention: float = RETENTION_SECONDS) -> None:
        self.retention = retention
        self._logs: dict[str, _Log] = {}
        self._finished: deque[tuple[float, str]] = deque()  # in the order they finished
        self._swept_at = 0.0

    async def publish(self, key: str, event: str, data: dict[str, Any]) -> StreamEvent:
        self._sweep()
        log = self._logs.setdefault(key, _Log())
        if log.finished_at is not None:
            raise RuntimeError(f"the event log of {key} is finished")
        item = StreamEvent(len(log.events) + 1, event, data)
        log.events.append(item)
        if item.is_terminal:
            log.finished_at = time.monotonic()
            self._finished.append((log.finished_at, key))
        # Wake every follower, then give the next wait a fresh event.
        log.changed.set()
        log.changed = asyncio.Event()
        return item

    def has(self, key: str) -> bool:
        self._sweep()
        return key in self._logs

    def position(self, key: str) -> LogPosition | None:
        log = self._logs.get(key)
        if log is None:
            return None
        return LogPosition(len(log.events), log.finished_at is not None)

    async def follow(
        self, key: str, after: int, *, wait: float
    ) -> AsyncIterator[StreamEvent | None]:
        log = self._logs.get(key)
        if log is None:
            return
        position = max(0, after)
        while True:
            while position < len(log.events):
                item = log.events[position]
                position += 1
                yield item
                if item.is_terminal:
                    return
            if log.finished_at is not None:
                return  # a client that already has everything
            changed = log.changed
            try:
                async with asyncio.timeout(wait):  # no task per wait, unlike wait_for
                    await changed.wait()
            except TimeoutError:
                yield None

    async def close(self) -> None:
        self._logs.clear()

    def _sweep(self) -> None:
        """Drops logs finished longer ago than the retention; at most once a second."""
        now = time.monotonic()
        if now - self._swept_at < SWEEP_EVERY_SECONDS:
            return
        self._swept_at = now
        while self._finished and now - self._finished[0][0] > self.retention:
            _, key = self._finished.popleft()
            self._logs.pop(key, None)
