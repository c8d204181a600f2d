"""Reading an uploaded file's text without holding up anyone else.

PDF and Word files are read in worker processes (``ba_assistant.workers``) with a CPU-time,
memory and wall-clock limit from the settings: a hostile file costs at most that, and the
server keeps answering everyone else meanwhile. Plain text is decoded here, in a thread: its
cost is a single pass over at most ``MAX_DOCUMENT_BYTES``.
"""

from __future__ import annotations

import functools

from starlette.concurrency import run_in_threadpool

from ba_assistant.config import Settings
from ba_assistant.documents.extract import TEXT_TYPES, Extracted, extension, extract
from ba_assistant.errors import ServiceUnavailable, Unprocessable
from ba_assistant.workers import LimitExceeded, Limits, WorkerBusy, WorkerLost, WorkerPool

WORKERS = 2
# Long-lived workers are replaced now and then, so a leak in a library cannot grow for ever.
TASKS_PER_WORKER = 200
QUEUE_TIMEOUT_SECONDS = 60.0

# One pool per server process, whatever the number of apps in it; the app's shutdown stops it.
EXTRACTION = WorkerPool(WORKERS, tasks_per_worker=TASKS_PER_WORKER)


def limits(settings: Settings) -> Limits:
    return Limits(
        cpu_seconds=settings.extract_cpu_seconds,
        memory_bytes=settings.extract_memory_mb * 1024 * 1024,
        timeout_seconds=settings.extract_timeout_seconds,
        queue_seconds=QUEUE_TIMEOUT_SECONDS,
    )


async def extract_upload(name: str, data: bytes, settings: Settings) -> Extracted:
    """The upload's text, or the AppError ``extract`` raises for it (415, 422)."""
    if extension(name) in TEXT_TYPES:
        return await run_in_threadpool(extract, name, data)
    try:
        read = functools.partial(extract, max_characters=settings.max_document_bytes)
        return await EXTRACTION.run(limits(settings), read, name, data)
    except LimitExceeded as exc:
        raise _too_costly(exc) from None
    except WorkerBusy:
        raise ServiceUnavailable(
            "Many documents are being read right now. Try again in a minute."
        ) from None
    except WorkerLost:
        raise Unprocessable(
            "Reading this document stopped unexpectedly. If it is very large, split it into "
            "smaller files; otherwise try again in a moment."
        ) from None


def _too_costly(exc: LimitExceeded) -> Unprocessable:
    resource = {"cpu": "processing time", "time": "time", "memory": "memory"}[exc.kind]
    return Unprocessable(
        f"This document needs more {resource} to read than one upload may use, so it was "
        "not read. Split it into smaller files, or save it again without embedded objects, "
        "and upload those.",
        details={"limit": "memory" if exc.kind == "memory" else "time"},
    )
