"""Turning an artifact into a file in a format the analyst picked.

Every format is made in a worker process. PDF and Word layout is CPU-bound Python that holds
the GIL for seconds on a long document, and even the text formats parse up to 500 KB of
someone's markdown: in the server process either would stall the event loop, and with it
everyone's streams.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import threading
import unicodedata
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from urllib.parse import quote

import structlog

from ba_assistant.artifacts.export import ExportSource, to_csv, to_feature, to_markdown
from ba_assistant.errors import AppError, ServiceUnavailable, Unprocessable, ValidationFailed

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    media_type: str
    label: str


FORMATS: dict[str, ExportFormat] = {
    "markdown": ExportFormat(".md", "text/markdown; charset=utf-8", "Markdown"),
    "pdf": ExportFormat(".pdf", "application/pdf", "PDF"),
    "docx": ExportFormat(
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word",
    ),
    "feature": ExportFormat(".feature", "text/plain; charset=utf-8", "Gherkin"),
    "csv": ExportFormat(".csv", "text/csv; charset=utf-8", "CSV"),
}
# A 500 KB artifact, the largest there is, takes about 40 s as PDF on a busy 2-core machine.
RENDER_TIMEOUT_SECONDS = 120.0
# How long an export may wait for a free worker before the analyst is told to try later.
QUEUE_TIMEOUT_SECONDS = 60.0
WORKERS = 2
# Long-lived workers are replaced now and then, so a leak in a library cannot grow for ever.
TASKS_PER_WORKER = 100


def export_format(name: str) -> ExportFormat:
    found = FORMATS.get(name)
    if found is None:
        valid = ", ".join(FORMATS)
        raise ValidationFailed(
            f"Unknown export format {name[:40]!r}: choose one of {valid}",
            details={"format": f"one of {valid}"},
        )
    return found


def render(name: str, source: ExportSource, author: str) -> bytes:
    """The file's bytes. Runs in a worker process."""
    if name == "pdf":
        from ba_assistant.artifacts.pdf import to_pdf

        return to_pdf(source, author=author)
    if name == "docx":
        from ba_assistant.artifacts.word import to_docx

        return to_docx(source, author=author)
    makers: dict[str, Callable[[ExportSource], str | bytes]] = {
        "markdown": to_markdown,
        "feature": to_feature,
        "csv": to_csv,
    }
    made = makers[name](source)
    return made.encode("utf-8") if isinstance(made, str) else made


class Renderer:
    """A small pool of worker processes, started on the first export.

    At most ``WORKERS`` exports run at once; the others wait their turn, and only the
    running time counts against the timeout. A worker that dies (killed for memory, say)
    breaks the pool: it is replaced and the export tried once more.
    """

    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        # One per event loop: the server has one, the tests start many.
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._turns = weakref.WeakKeyDictionary()

    async def render(self, name: str, source: ExportSource, author: str) -> bytes:
        label = export_format(name).label
        try:
            async with asyncio.timeout(QUEUE_TIMEOUT_SECONDS):
                await self._turn().acquire()
        except TimeoutError:
            raise ServiceUnavailable(
                "Many exports are being made right now. Try again in a minute."
            ) from None
        try:
            for attempt in (1, 2):
                pool = self._ensure_pool()
                try:
                    return await self._run(pool, name, source, author)
                except BrokenProcessPool:
                    self._discard(pool)
                    if attempt == 2:
                        raise ServiceUnavailable(
                            "The export stopped unexpectedly. Try again in a moment."
                        ) from None
            raise AssertionError("unreachable")
        except AppError:
            raise
        except Exception as exc:  # a library's own failure on this content
            log.warning("export_failed", format=name, error=type(exc).__name__)
            raise Unprocessable(
                f"This artifact could not be made into a {label} file ({type(exc).__name__}). "
                "Export it in another format, or simplify its formatting (very deep nesting, "
                "unusual characters) and try again."
            ) from None
        finally:
            self._turn().release()

    async def _run(
        self, pool: ProcessPoolExecutor, name: str, source: ExportSource, author: str
    ) -> bytes:
        future = asyncio.get_running_loop().run_in_executor(pool, render, name, source, author)
        try:
            return await asyncio.wait_for(future, RENDER_TIMEOUT_SECONDS)
        except TimeoutError:
            self._discard(pool)
            raise ServiceUnavailable(
                "This artifact took too long to lay out. Export it as Markdown, or split it "
                "into smaller artifacts and try again."
            ) from None

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
                    max_tasks_per_child=TASKS_PER_WORKER,
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Stops a pool whose worker is stuck or dead; the next export starts a new one."""
        with self._lock:
            if self._pool is not pool:
                return  # someone discarded it already
            self._pool = None
        # The executor cannot cancel a running task; its processes can be stopped.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


# One pool per server process, whatever the number of apps in it (the tests make many):
# starting a worker and loading its fonts takes seconds. It stops with the process.
RENDERER = Renderer()


def attachment(title: str, extension: str, version: int | None = None) -> str:
    """A Content-Disposition value: an ASCII ``filename`` every client reads, and the real
    title as RFC 6266 / 5987 ``filename*`` for the accents and scripts it may have."""
    name = " ".join(re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", title).split()).strip(" .")
    name = (name or "artifact")[:120]
    if version is not None:
        name = f"{name} (v{version})"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()-]+", "", ascii_name).strip(" .") or "artifact"
    return (
        f'attachment; filename="{ascii_name}{extension}"; '
        f"filename*=UTF-8''{quote(name + extension, safe='')}"
    )
