"""Turning an artifact into a file in a format the analyst picked.

Markdown, Gherkin and CSV are instant and made in the request. PDF and Word layout is
CPU-bound Python that holds the GIL for seconds on a long document, so it runs in worker
processes: the event loop, and everyone's streams, carry on meanwhile.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from urllib.parse import quote

from ba_assistant.artifacts.export import ExportSource, to_csv, to_feature, to_markdown
from ba_assistant.errors import ServiceUnavailable, ValidationFailed


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    media_type: str
    in_worker: bool


FORMATS: dict[str, ExportFormat] = {
    "markdown": ExportFormat(".md", "text/markdown; charset=utf-8", in_worker=False),
    "pdf": ExportFormat(".pdf", "application/pdf", in_worker=True),
    "docx": ExportFormat(
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        in_worker=True,
    ),
    "feature": ExportFormat(".feature", "text/plain; charset=utf-8", in_worker=False),
    "csv": ExportFormat(".csv", "text/csv; charset=utf-8", in_worker=False),
}
# A 500 KB artifact, the largest there is, takes about 40 s as PDF on a busy 2-core machine.
RENDER_TIMEOUT_SECONDS = 120.0
WORKERS = 2


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
    """The file's bytes. Runs in a worker process for PDF and Word."""
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
    """A small pool of worker processes, started on the first PDF or Word export."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    async def render(self, name: str, source: ExportSource, author: str) -> bytes:
        if not export_format(name).in_worker:
            return render(name, source, author)
        pool = self._ensure_pool()
        future = asyncio.get_running_loop().run_in_executor(pool, render, name, source, author)
        try:
            return await asyncio.wait_for(future, RENDER_TIMEOUT_SECONDS)
        except TimeoutError:
            self._discard(pool)
            raise ServiceUnavailable(
                "This artifact took too long to lay out. Export it as Markdown, or split it "
                "into smaller artifacts and try again."
            ) from None
        except BrokenProcessPool:
            self._discard(pool)
            raise ServiceUnavailable(
                "The export stopped unexpectedly. Try again in a moment."
            ) from None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # Spawned, not forked: the server has threads, and a fork copies their locks.
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Kills a pool whose worker is stuck or dead; the next export starts a new one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        # The executor cannot cancel a running task; its processes can be stopped.
        for process in list(getattr(pool, "_processes", {}).values()):
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
