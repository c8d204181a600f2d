"""Turning an artifact into a file in a format the analyst picked.

Every format is made in a worker process (``ba_assistant.workers``). PDF and Word layout is
CPU-bound Python that holds the GIL for seconds on a long document, and even the text formats
parse up to 500 KB of someone's markdown: in the server process either would stall the event
loop, and with it everyone's streams.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from urllib.parse import quote

import structlog

from ba_assistant.artifacts.export import ExportSource, to_csv, to_feature, to_markdown
from ba_assistant.errors import AppError, ServiceUnavailable, Unprocessable, ValidationFailed
from ba_assistant.workers import LimitExceeded, Limits, WorkerBusy, WorkerLost, WorkerPool

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
# CPU time bounds the layout even when the machine is idle; memory is not limited: WeasyPrint
# maps fonts and caches generously, and one export is bounded by the artifact's size.
LIMITS = Limits(
    cpu_seconds=RENDER_TIMEOUT_SECONDS,
    memory_bytes=None,
    timeout_seconds=RENDER_TIMEOUT_SECONDS,
    queue_seconds=QUEUE_TIMEOUT_SECONDS,
)
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
    """Exports made in a small pool of worker processes (``ba_assistant.workers``).

    At most ``WORKERS`` exports run at once; the others wait their turn, and only the
    running time counts against the timeout. A worker that dies (killed for memory, say)
    is replaced and the export tried once more.
    """

    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = WorkerPool(workers, tasks_per_worker=TASKS_PER_WORKER)

    async def render(self, name: str, source: ExportSource, author: str) -> bytes:
        label = export_format(name).label
        try:
            return await self._pool.run(LIMITS, render, name, source, author)
        except WorkerBusy:
            raise ServiceUnavailable(
                "Many exports are being made right now. Try again in a minute."
            ) from None
        except WorkerLost:
            raise ServiceUnavailable(
                "The export stopped unexpectedly. Try again in a moment."
            ) from None
        except LimitExceeded as exc:
            if exc.kind == "memory":
                raise Unprocessable(
                    f"This artifact needs more memory than a {label} export may use. Export "
                    "it as Markdown, or split it into smaller artifacts and try again."
                ) from None
            raise ServiceUnavailable(
                "This artifact took too long to lay out. Export it as Markdown, or split it "
                "into smaller artifacts and try again."
            ) from None
        except AppError:
            raise
        except Exception as exc:  # a library's own failure on this content
            log.warning("export_failed", format=name, error=type(exc).__name__)
            raise Unprocessable(
                f"This artifact could not be made into a {label} file ({type(exc).__name__}). "
                "Export it in another format, or simplify its formatting (very deep nesting, "
                "unusual characters) and try again."
            ) from None

    def processes(self) -> list[BaseProcess]:
        return self._pool.processes()

    def shutdown(self) -> None:
        """Stops the workers (the server is stopping); a later export starts new ones."""
        self._pool.shutdown()


# One pool per server process, whatever the number of apps in it (the tests make many):
# starting a worker and loading its fonts takes seconds. The app's shutdown stops it.
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
