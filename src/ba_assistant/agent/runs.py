"""Replies as background runs owned by the server, not by the HTTP connection.

``POST /threads/{id}/messages`` stores the analyst's message and an empty reply (status
``streaming``) and starts a run. The run talks to the model, publishes numbered events to the
hub (``start``, ``chunk``, ``tool_call``, ``tool_result``, ``artifact``, then ``complete`` or
``error``) and saves the reply: its text every few seconds while it is written, and at the end
with the model, token counts and cost. A client that disconnects, reloads or switches device
loses nothing: the run goes on and the stream can be picked up again.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import structlog
from pydantic_ai import AgentRunResultEvent
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelHTTPError,
    ModelRequestTimeout,
    UsageLimitExceeded,
)
from pydantic_ai.messages import (
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.usage import RunUsage, UsageLimits
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ba_assistant.agent.agent import ModelChoice, analyst, choose_model, history
from ba_assistant.agent.hub import EventHub
from ba_assistant.agent.pricing import cost_of, record_usage
from ba_assistant.agent.summaries import Summarizer
from ba_assistant.agent.tools import (
    MAX_TOOL_CALLS,
    AnalystDeps,
    ProjectBrief,
    Publish,
    SearchCache,
)
from ba_assistant.config import Settings
from ba_assistant.db import Database
from ba_assistant.models import Document, Message, Project, Thread, ToolCall
from ba_assistant.models.base import utcnow
from ba_assistant.observability import Metrics

log = structlog.get_logger(__name__)

MAX_RUNNING_PER_USER = 2
SAVE_EVERY_SECONDS = 3.0
STREAM_ATTEMPTS = 3  # for failures the SDK does not retry, before anything was shown
RETRY_BACKOFF_SECONDS = 1.0
FINAL_SAVE_ATTEMPTS = 3
MAX_MODEL_REQUESTS = MAX_TOOL_CALLS + 3  # a hard stop for a model that keeps calling tools
MAX_DOCUMENTS_LISTED = 200
PREVIEW_CHARS = 500


@dataclass(frozen=True)
class ReplyJob:
    user_id: str
    project_id: str
    thread_id: str
    message_id: str  # the analyst's message: the stream's key
    reply_id: str  # the assistant message being written


@dataclass
class _Progress:
    text: list[str] = field(default_factory=list)
    saved_at: float = field(default_factory=time.monotonic)
    saving: asyncio.Task[None] | None = None
    first_chunk_at: float | None = None
    published: int = 0  # events after "start": nothing to retry once the analyst saw any
    tool_rows: dict[str, tuple[str, float]] = field(default_factory=dict)
    usage: RunUsage | None = None
    events: Any = None  # the run's event handle, for its usage when it fails part-way
    finishing: bool = False
    closed: bool = False

    @property
    def content(self) -> str:
        return "".join(self.text)


class RunManager:
    """Starts, tracks and cancels the replies being written in this process."""

    def __init__(
        self, settings: Settings, database: Database, hub: EventHub, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.database = database
        self.hub = hub
        self.metrics = metrics
        self.search_cache = SearchCache()
        self._choice: ModelChoice | None = None
        self._summarizer: Summarizer | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._jobs: dict[str, ReplyJob] = {}
        self._cancelled: set[str] = set()
        self._finishing: set[str] = set()
        self._reserved: dict[str, int] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def model(self) -> ModelChoice:
        if self._choice is None:
            self._choice = choose_model(self.settings)
        return self._choice

    @property
    def summarizer(self) -> Summarizer:
        if self._summarizer is None:
            self._summarizer = Summarizer(self.settings, self.model, self.database)
        return self._summarizer

    def running_for(self, user_id: str) -> int:
        running = sum(1 for job in self._jobs.values() if job.user_id == user_id)
        return running + self._reserved.get(user_id, 0)

    def reserve(self, user_id: str) -> bool:
        """Takes one of the user's reply slots before any await, so that parallel requests
        cannot all pass the check. ``start`` uses it; ``release`` gives it back on failure."""
        if self.running_for(user_id) >= MAX_RUNNING_PER_USER:
            return False
        self._reserved[user_id] = self._reserved.get(user_id, 0) + 1
        return True

    def release(self, user_id: str) -> None:
        left = self._reserved.get(user_id, 0) - 1
        if left > 0:
            self._reserved[user_id] = left
        else:
            self._reserved.pop(user_id, None)

    def is_running(self, message_id: str) -> bool:
        return message_id in self._tasks

    def start(self, job: ReplyJob, *, reserved: bool = True) -> None:
        if reserved:
            self.release(job.user_id)
        self._loop = asyncio.get_running_loop()
        task = asyncio.create_task(self._run(job), name=f"reply-{job.reply_id}")
        self._tasks[job.message_id] = task
        self._jobs[job.message_id] = job
        task.add_done_callback(lambda _: self._forget(job.message_id))

    def cancel(self, message_id: str) -> bool:
        """Stops the reply to this message; its partial text is kept as ``cancelled``. A reply
        already being saved is left to finish."""
        task = self._tasks.get(message_id)
        if task is None or message_id in self._finishing:
            return False
        self._cancelled.add(message_id)
        task.cancel()
        return True

    def cancel_where(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        thread_id: str | None = None,
    ) -> None:
        """Stops the replies of a thread, project or user being deleted. Safe from any thread."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return
        for key, job in list(self._jobs.items()):
            if (
                (user_id is not None and job.user_id == user_id)
                or (project_id is not None and job.project_id == project_id)
                or (thread_id is not None and job.thread_id == thread_id)
            ):
                loop.call_soon_threadsafe(self.cancel, key)

    async def wait(self, message_id: str) -> None:
        task = self._tasks.get(message_id)
        if task is not None:
            await asyncio.wait({task})

    async def shutdown(self) -> None:
        """Server stopping: replies still running end as ``interrupted`` with their text."""
        tasks = [*self._tasks.values(), *self._background]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    def _forget(self, message_id: str) -> None:
        self._tasks.pop(message_id, None)
        self._jobs.pop(message_id, None)
        self._cancelled.discard(message_id)
        self._finishing.discard(message_id)

    # --- one run ------------------------------------------------------------------------------

    async def _run(self, job: ReplyJob) -> None:
        progress = _Progress()
        started = time.monotonic()
        choice = self.model

        async def publish(event: str, data: dict[str, Any]) -> None:
            await self.hub.publish(job.message_id, event, data)
            if event != "start":
                progress.published += 1

        status, error = "complete", None
        try:
            try:
                await publish("start", {"message_id": job.reply_id, "reply_to": job.message_id})
                context = await self.database.read(
                    lambda session: load_context(session, job, self.settings.ai_history_messages)
                )
                deps = AnalystDeps(
                    user_id=job.user_id,
                    project_id=job.project_id,
                    thread_id=job.thread_id,
                    reply_id=job.reply_id,
                    database=self.database,
                    publish=publish,
                    search_cache=self.search_cache,
                    summarize=self.summarizer.summarize,
                    brief=context.brief,
                )
                for attempt in range(1, STREAM_ATTEMPTS + 1):
                    try:
                        await self._converse(job, context, deps, choice, progress, publish, started)
                        break
                    except Exception as exc:
                        if progress.published or attempt == STREAM_ATTEMPTS:
                            raise
                        if not retry_in_app(exc):
                            raise
                        log.info("reply_retry", reply_id=job.reply_id, attempt=attempt)
                        deps.tool_calls = 0
                        await asyncio.sleep(RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
            except asyncio.CancelledError:
                status = "cancelled" if job.message_id in self._cancelled else "interrupted"
            except Exception as exc:
                status, error = "error", friendly_error(exc)
                log.warning(
                    "reply_failed",
                    reply_id=job.reply_id,
                    error=type(exc).__name__,
                    status_code=getattr(exc, "status_code", None),
                )
            self._finishing.add(job.message_id)
            await self._finish(job, progress, choice, status, error, publish)
        finally:
            if not progress.closed:
                # Whatever went wrong while saving, followers must not wait for ever.
                await self.hub.publish(
                    job.message_id,
                    "error",
                    {
                        "error": "ai_service_error",
                        "message": "This reply could not be saved. Try again.",
                        "message_id": job.reply_id,
                        "status": "error",
                    },
                )

    async def _converse(
        self,
        job: ReplyJob,
        context: ReplyContext,
        deps: AnalystDeps,
        choice: ModelChoice,
        progress: _Progress,
        publish: Publish,
        started: float,
    ) -> None:
        async with analyst.run_stream_events(
            context.prompt,
            message_history=history(context.history),
            deps=deps,
            model=choice.model,
            model_settings=choice.settings,
            usage_limits=UsageLimits(request_limit=MAX_MODEL_REQUESTS),
        ) as events:
            progress.events = events
            async for event in events:
                await self._on_event(job, event, progress, deps, publish, started)

    async def _on_event(
        self,
        job: ReplyJob,
        event: object,
        progress: _Progress,
        deps: AnalystDeps,
        publish: Publish,
        started: float,
    ) -> None:
        if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
            separator = "\n\n" if progress.text and not progress.content.endswith("\n") else ""
            await self._chunk(job, separator + event.part.content, progress, publish, started)
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
            await self._chunk(job, event.delta.content_delta, progress, publish, started)
        elif isinstance(event, FunctionToolCallEvent):
            call = event.part
            arguments = call.args_as_dict() if event.args_valid else {}
            await publish(
                "tool_call", {"tool": call.tool_name, "status": "executing", "input": arguments}
            )
            row_id = await self.database.write(
                lambda session: _record_tool_call(session, job.reply_id, call.tool_name, arguments)
            )
            progress.tool_rows[call.tool_call_id] = (row_id, time.monotonic())
            self.metrics.tool_calls.labels(call.tool_name).inc()
        elif isinstance(event, FunctionToolResultEvent):
            result = event.part
            preview = deps.previews.pop(result.tool_call_id, None) or _preview(result.content)
            await publish("tool_result", {"tool": result.tool_name, "result_preview": preview})
            row = progress.tool_rows.pop(result.tool_call_id, None)
            if row is not None:
                row_id, began = row
                duration = int((time.monotonic() - began) * 1000)
                await self.database.write(
                    lambda session: _finish_tool_call(session, row_id, preview, duration)
                )
        elif isinstance(event, AgentRunResultEvent):
            progress.usage = event.result.usage

    async def _chunk(
        self, job: ReplyJob, text: str, progress: _Progress, publish: Publish, started: float
    ) -> None:
        if not text:
            return
        if progress.first_chunk_at is None:
            progress.first_chunk_at = time.monotonic()
            self.metrics.first_chunk.labels(self.model.name).observe(
                progress.first_chunk_at - started
            )
        progress.text.append(text)
        await publish("chunk", {"content": text})
        saving = progress.saving
        if time.monotonic() - progress.saved_at > SAVE_EVERY_SECONDS and (
            saving is None or saving.done()
        ):
            # In the background: a busy write gate must never hold up the stream.
            content = progress.content
            progress.saved_at = time.monotonic()
            progress.saving = asyncio.create_task(self._save_text(job.reply_id, content))

    async def _save_text(self, reply_id: str, content: str) -> None:
        try:
            await self.database.write(lambda session: _save_text(session, reply_id, content))
        except Exception as exc:  # the final save writes the whole text anyway
            log.warning("reply_save_failed", reply_id=reply_id, error=type(exc).__name__)

    async def _finish(
        self,
        job: ReplyJob,
        progress: _Progress,
        choice: ModelChoice,
        status: str,
        error: str | None,
        publish: Publish,
    ) -> None:
        usage = progress.usage or _usage_so_far(progress) or RunUsage()
        cost = cost_of(self.settings, choice.name, usage)
        content = progress.content
        open_tools = [row_id for row_id, _ in progress.tool_rows.values()]
        if progress.saving is not None:
            await asyncio.wait({progress.saving})
        saved = SavedReply(needs_title=False)
        for attempt in range(1, FINAL_SAVE_ATTEMPTS + 1):
            save = partial(
                _save_reply,
                job=job,
                content=content,
                status=status,
                error=error,
                model=choice.name,
                usage=usage,
                cost=cost,
                open_tools=open_tools,
            )
            try:
                saved = await asyncio.shield(self.database.write(save))
                break
            except Exception as exc:
                log.error(
                    "reply_final_save_failed",
                    reply_id=job.reply_id,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                if attempt == FINAL_SAVE_ATTEMPTS:
                    status, error = "error", "This reply could not be saved. Try again."
                else:
                    await asyncio.sleep(0.5 * attempt)
        totals = {
            "message_id": job.reply_id,
            "status": status,
            "total_tokens": usage.input_tokens + usage.output_tokens,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cost_usd": float(cost),
        }
        if status == "error":
            await publish("error", {"error": "ai_service_error", "message": error, **totals})
        else:
            await publish("complete", totals)
        progress.closed = True
        self.metrics.replies.labels(status, choice.name).inc()
        for kind, count in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cache_read", usage.cache_read_tokens),
            ("cache_write", usage.cache_write_tokens),
        ):
            self.metrics.tokens.labels(choice.name, kind).inc(count)
        self.metrics.cost.labels(choice.name).inc(float(cost))
        log.info(
            "reply_finished",
            reply_id=job.reply_id,
            status=status,
            model=choice.name,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
        )
        if status == "complete" and saved.needs_title:
            # Outside the run: the reply is done, and must not count against the user's limit.
            titling = asyncio.create_task(self._title(job), name=f"title-{job.thread_id}")
            self._background.add(titling)
            titling.add_done_callback(self._background.discard)

    async def _title(self, job: ReplyJob) -> None:
        try:
            conversation = await self.database.read(
                lambda session: [
                    (m.role, m.content) for m in _messages(session, job.thread_id, limit=4)
                ]
            )
            title = await self.summarizer.title(conversation, user_id=job.user_id)
            if title:
                await self.database.write(
                    lambda session: session.execute(
                        update(Thread)
                        .where(Thread.id == job.thread_id, Thread.title.is_(None))
                        .values(title=title)
                    )
                )
        except Exception as exc:  # a title is a nicety: never let it fail the reply
            log.warning("thread_title_failed", thread_id=job.thread_id, error=type(exc).__name__)


# --- the database side ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyContext:
    prompt: str
    history: list[tuple[str, str]]
    brief: ProjectBrief


@dataclass(frozen=True)
class SavedReply:
    needs_title: bool


def load_context(session: Session, job: ReplyJob, history_limit: int) -> ReplyContext:
    project = session.get(Project, job.project_id)
    thread = session.get(Thread, job.thread_id)
    message = session.get(Message, job.message_id)
    if project is None or thread is None or message is None:
        raise LookupError("the thread or message was deleted")
    names = list(
        session.scalars(
            select(Document.name)
            .where(Document.project_id == project.id)
            .order_by(Document.created_at, Document.id)
            .limit(MAX_DOCUMENTS_LISTED + 1)
        )
    )
    if len(names) > MAX_DOCUMENTS_LISTED:
        total = session.scalar(
            select(func.count()).select_from(Document).where(Document.project_id == project.id)
        )
        names = [
            *names[:MAX_DOCUMENTS_LISTED],
            f"… and {int(total or 0) - MAX_DOCUMENTS_LISTED} more",
        ]
    earlier = session.scalars(
        select(Message)
        .where(
            Message.thread_id == thread.id,
            Message.created_at <= message.created_at,
            Message.id != message.id,
            Message.id != job.reply_id,
            Message.content != "",
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(history_limit + 1)
    ).all()
    older_exist = len(earlier) > history_limit
    window = list(reversed(earlier[:history_limit]))
    brief = ProjectBrief(
        name=project.name,
        description=project.description,
        documents=names,
        summary=thread.summary if older_exist else None,
    )
    return ReplyContext(
        prompt=message.content,
        history=[(m.role, m.content) for m in window],
        brief=brief,
    )


def _messages(session: Session, thread_id: str, *, limit: int) -> list[Message]:
    rows = session.scalars(
        select(Message)
        .where(Message.thread_id == thread_id, Message.content != "")
        .order_by(Message.created_at, Message.id)
        .limit(limit)
    ).all()
    return list(rows)


def _record_tool_call(session: Session, reply_id: str, tool: str, arguments: dict[str, Any]) -> str:
    row = ToolCall(
        message_id=reply_id,
        tool_name=tool,
        input_json=json.dumps(arguments, ensure_ascii=False)[:20_000],
        status="executing",
    )
    session.add(row)
    session.flush()
    return row.id


def _finish_tool_call(session: Session, row_id: str, preview: str, duration_ms: int) -> None:
    failed = preview.startswith(("Search failed", "Saving failed", "Summary failed"))
    session.execute(
        update(ToolCall)
        .where(ToolCall.id == row_id)
        .values(
            status="error" if failed else "complete",
            result_preview=preview[:PREVIEW_CHARS],
            duration_ms=duration_ms,
        )
    )


def _save_text(session: Session, reply_id: str, content: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == reply_id, Message.status == "streaming")
        .values(content=content)
    )


def _save_reply(
    session: Session,
    job: ReplyJob,
    content: str,
    status: str,
    error: str | None,
    model: str,
    usage: RunUsage,
    cost: Decimal,
    open_tools: list[str] | None = None,
) -> SavedReply:
    now = utcnow()
    if open_tools:  # tools still running when the reply stopped
        session.execute(
            update(ToolCall)
            .where(ToolCall.id.in_(open_tools), ToolCall.status == "executing")
            .values(status="cancelled" if status != "error" else "error")
        )
    session.execute(
        update(Message)
        .where(Message.id == job.reply_id)
        .values(
            content=content,
            status=status,
            error_message=error,
            model=model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            token_count=usage.input_tokens + usage.output_tokens,
            cost_usd=cost,
            completed_at=now,
        )
    )
    record_usage(session, job.user_id, "reply", model, usage, cost)
    thread = session.get(Thread, job.thread_id)
    if thread is None:
        return SavedReply(needs_title=False)
    thread.last_message_at = now
    return SavedReply(needs_title=thread.title is None)


def _preview(content: object) -> str:
    text = content if isinstance(content, str) else json.dumps(content, default=str)
    return " ".join(text.split())[:200]


def recover_interrupted(session: Session) -> int:
    """Replies left ``streaming`` by a crash: their run is gone, keep their text."""
    result = session.execute(
        update(Message)
        .where(Message.status == "streaming")
        .values(status="interrupted", completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _usage_so_far(progress: _Progress) -> RunUsage | None:
    """The usage of a run that ended early (cancelled, failed): the requests made still count."""
    if progress.events is None:
        return None
    try:
        usage: RunUsage = progress.events.usage
    except Exception:  # the run never started
        return None
    return usage


def retry_in_app(exc: BaseException) -> bool:
    """Failures the SDK does not retry but a fresh attempt may cure, when nothing has been
    shown yet: an error event inside the stream (Anthropic's ``overloaded_error`` as its first
    event), a connection dropped after the headers. HTTP errors (429, 5xx, 529) and timeouts
    were already retried by the SDK with backoff: retrying them again would make nine."""
    if isinstance(exc, UsageLimitExceeded):
        return False
    if getattr(exc, "in_stream", False):
        return getattr(exc, "status_code", None) not in (400, 401, 403, 404, 413)
    if isinstance(exc, ModelRequestTimeout | TimeoutError) or "Timeout" in type(exc).__name__:
        return False
    if isinstance(getattr(exc, "status_code", None), int):
        return False
    return (
        isinstance(exc, ModelAPIError)
        or "Protocol" in type(exc).__name__
        or ("ReadError" in type(exc).__name__)
    )


def friendly_error(exc: BaseException) -> str:
    """What the analyst reads when the AI service fails: what happened, what to do."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ModelHTTPError) or isinstance(status, int):
        if status == 429:
            return "The AI service is busy right now (rate limited). Try again in a minute."
        if status in (529, 503):
            return "The AI service is overloaded right now. Try again in a few moments."
        if status in (401, 403):
            return (
                "The AI service refused our credentials. Ask the administrator to check the "
                "API key."
            )
        if status == 400:
            return "The AI service could not process this message. Try rephrasing it."
        return "The AI service failed to answer. Try again."
    if isinstance(exc, ModelRequestTimeout | TimeoutError) or "Timeout" in type(exc).__name__:
        return "The AI service did not answer in time. Try again."
    if isinstance(exc, LookupError):
        return "This thread was deleted while the reply was being written."
    if isinstance(exc, UsageLimitExceeded):
        return "This reply took too many steps. Try a narrower question."
    return "The connection to the AI service failed while writing this reply. Try again."
