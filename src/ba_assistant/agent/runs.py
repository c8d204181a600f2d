"""Replies as background runs owned by the server, not by the HTTP connection.

``POST /threads/{id}/messages`` stores the analyst's message and an empty reply (status
``streaming``) and starts a run. The run searches the project's documents with the message,
talks to the model, publishes numbered events to the hub (``start``, ``progress``, ``chunk``,
``tool_call``, ``tool_result``, ``artifact``, then ``complete`` or ``error``) and saves the
reply: its text every few seconds while it is written, and at the end with the model, token
counts and cost. A client that disconnects, reloads or switches device loses nothing: the run
goes on and the stream can be picked up again. After the reply, in the background, the thread
gets a title, and messages that left the history window are folded into its memory.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from pydantic_ai import AgentRunResultEvent
from pydantic_ai.messages import (
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ThinkingPart,
    ToolCallPart,
    UserContent,
)
from pydantic_ai.usage import RunUsage, UsageLimits
from sqlalchemy import update

from ba_assistant.agent.agent import ModelChoice, analyst, choose_model
from ba_assistant.agent.context import FoundPassage, TurnContext, history, turn_prompt
from ba_assistant.agent.failures import friendly_error, retry_in_app
from ba_assistant.agent.hub import EventHub
from ba_assistant.agent.memory import plan_fold, store_fold
from ba_assistant.agent.offline_content import key_terms
from ba_assistant.agent.pricing import cost_of
from ba_assistant.agent.summaries import Summarizer
from ba_assistant.agent.tools import (
    MAX_TOOL_CALLS,
    AnalystDeps,
    Publish,
    SearchCache,
    search_passages,
    search_preview,
)
from ba_assistant.agent.turns import (
    ReplyContext,
    ReplyJob,
    SavedReply,
    finish_tool_call,
    first_messages,
    load_context,
    record_tool_call,
    save_reply,
    save_text,
)
from ba_assistant.config import Settings
from ba_assistant.db import Database
from ba_assistant.documents.excerpts import excerpt
from ba_assistant.models import Thread
from ba_assistant.observability import Metrics

__all__ = ["MAX_RUNNING_PER_USER", "ReplyJob", "RunManager"]

log = structlog.get_logger(__name__)

MAX_RUNNING_PER_USER = 2
SAVE_EVERY_SECONDS = 3.0
STREAM_ATTEMPTS = 3  # for failures the SDK does not retry, before anything was shown
RETRY_BACKOFF_SECONDS = 1.0
FINAL_SAVE_ATTEMPTS = 3
MAX_MODEL_REQUESTS = MAX_TOOL_CALLS + 3  # a hard stop for a model that keeps calling tools
FIRST_SEARCH_RESULTS = 4
FIRST_SEARCH_WORDS = 120  # per passage: whole sentences around the match
FOLD_WAIT_SECONDS = 15.0
# What the analyst is told is going on while no text flows, by the tool the model is calling.
TOOL_ACTIVITY = {"DocumentSearch": "searching"}
MODEL_EVENTS = frozenset({"chunk", "tool_call", "tool_result", "artifact"})


@dataclass
class _Progress:
    text: list[str] = field(default_factory=list)
    saved_at: float = field(default_factory=time.monotonic)
    saving: asyncio.Task[None] | None = None
    first_chunk_at: float | None = None
    shown: int = 0  # the model's events seen by the analyst: nothing to retry once there are any
    activity: str | None = None  # the last progress published, None while text flows
    tool_rows: dict[str, tuple[str, float]] = field(default_factory=dict)
    usage: RunUsage | None = None
    events: Any = None  # the run's event handle, for its usage when it fails part-way
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
        self._folds: dict[str, asyncio.Task[None]] = {}
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

    async def settled(self, thread_id: str) -> None:
        """Waits for the thread's background work (its memory being folded) to finish."""
        fold = self._folds.get(thread_id)
        if fold is not None:
            await asyncio.wait({fold})

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

    def _in_background(self, name: str, work: Any) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # --- one run ------------------------------------------------------------------------------

    async def _run(self, job: ReplyJob) -> None:
        progress = _Progress()
        started = time.monotonic()
        choice = self.model

        async def publish(event: str, data: dict[str, Any]) -> None:
            await self.hub.publish(job.message_id, event, data)
            if event in MODEL_EVENTS:
                progress.shown += 1

        status, error = "complete", None
        try:
            try:
                await publish("start", {"message_id": job.reply_id, "reply_to": job.message_id})
                context = await self._context(job)
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
                found = await self._search_first(job, context, deps, progress, publish)
                progress.shown = 0  # the server's own search: the model has shown nothing yet
                messages = history(context.window)
                prompt = turn_prompt(context.prompt, found, after_history=bool(messages))
                for attempt in range(1, STREAM_ATTEMPTS + 1):
                    try:
                        await self._activity("thinking", progress, publish)
                        await self._converse(job, prompt, messages, deps, choice, progress, started)
                        break
                    except Exception as exc:
                        if progress.shown or attempt == STREAM_ATTEMPTS or not retry_in_app(exc):
                            raise
                        log.info("reply_retry", reply_id=job.reply_id, attempt=attempt)
                        deps.tool_calls = 0
                        await asyncio.sleep(RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
            except asyncio.CancelledError:
                status = "cancelled" if job.message_id in self._cancelled else "interrupted"
            except Exception as exc:
                status = "error"
                error = friendly_error(exc, model=choice.name, setting=choice.setting)
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

    async def _context(self, job: ReplyJob) -> ReplyContext:
        """The turn's context. When older messages have not reached the memory yet (its fold
        is still running, or failed last time), the fold gets a chance first: a message that
        is in neither is not seen by the model."""
        load = partial(
            load_context,
            job=job,
            messages=self.settings.ai_history_messages,
            tokens=self.settings.ai_history_tokens,
        )
        context = await self.database.read(lambda session: load(session))
        if context.window.unsummarised:
            self._fold_later(job)
            fold = self._folds.get(job.thread_id)
            if fold is not None:
                await asyncio.wait({fold}, timeout=FOLD_WAIT_SECONDS)
            context = await self.database.read(lambda session: load(session))
        return context

    async def _search_first(
        self,
        job: ReplyJob,
        context: ReplyContext,
        deps: AnalystDeps,
        progress: _Progress,
        publish: Publish,
    ) -> TurnContext:
        """The project's documents searched with the analyst's message before the model is
        asked, so that a first reply is grounded even if the model never calls a tool."""
        if not context.brief.documents:
            return TurnContext(artifacts=context.artifacts)
        query = " ".join(key_terms(context.prompt, limit=8)) or context.prompt[:500]
        await self._activity("searching", progress, publish)
        arguments = {"query": query, "max_results": FIRST_SEARCH_RESULTS}
        await publish(
            "tool_call", {"tool": "DocumentSearch", "status": "executing", "input": arguments}
        )
        row_id = await self.database.write(
            lambda session: record_tool_call(session, job.reply_id, "DocumentSearch", arguments)
        )
        began = time.monotonic()
        try:
            hits = await search_passages(deps, query, FIRST_SEARCH_RESULTS)
        except Exception as exc:  # the model can still search for itself
            log.warning("first_search_failed", reply_id=job.reply_id, error=type(exc).__name__)
            await self._tool_done(row_id, "DocumentSearch", "Search failed", began, None, publish)
            return TurnContext(artifacts=context.artifacts)
        found = [
            FoundPassage(
                hit.document_id,
                hit.document_name,
                hit.passage,
                excerpt(hit.text, query, max_words=FIRST_SEARCH_WORDS),
            )
            for hit in hits
        ]
        await self._tool_done(
            row_id, "DocumentSearch", search_preview(found), began, found, publish
        )
        return TurnContext(searched=True, query=query, passages=found, artifacts=context.artifacts)

    async def _tool_done(
        self,
        row_id: str,
        tool: str,
        preview: str,
        began: float,
        found: list[FoundPassage] | None,
        publish: Publish,
    ) -> None:
        data: dict[str, Any] = {"tool": tool, "result_preview": preview}
        if found is not None:
            data["passages"] = [p.citation() for p in found]
        await publish("tool_result", data)
        duration = int((time.monotonic() - began) * 1000)
        await self.database.write(
            lambda session: finish_tool_call(session, row_id, preview, duration, found)
        )

    async def _activity(self, activity: str, progress: _Progress, publish: Publish) -> None:
        """Tells the analyst what is going on while no text flows (never the same twice)."""
        if progress.activity != activity:
            progress.activity = activity
            await publish("progress", {"activity": activity})

    async def _converse(
        self,
        job: ReplyJob,
        prompt: list[UserContent],
        messages: list[Any],
        deps: AnalystDeps,
        choice: ModelChoice,
        progress: _Progress,
        started: float,
    ) -> None:
        async with analyst.run_stream_events(
            prompt,
            message_history=messages,
            deps=deps,
            model=choice.model,
            model_settings=choice.settings,
            usage_limits=UsageLimits(request_limit=MAX_MODEL_REQUESTS),
        ) as events:
            progress.events = events
            async for event in events:
                await self._on_event(job, event, progress, deps, started)

    async def _on_event(
        self,
        job: ReplyJob,
        event: object,
        progress: _Progress,
        deps: AnalystDeps,
        started: float,
    ) -> None:
        publish = deps.publish
        if isinstance(event, PartStartEvent):
            part = event.part
            if isinstance(part, TextPart):
                separator = "\n\n" if progress.text and not progress.content.endswith("\n") else ""
                await self._chunk(job, separator + part.content, progress, publish, started)
            elif isinstance(part, ThinkingPart):
                await self._activity("thinking", progress, publish)
            elif isinstance(part, ToolCallPart):
                activity = TOOL_ACTIVITY.get(part.tool_name, "writing")
                await self._activity(activity, progress, publish)
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
            await self._chunk(job, event.delta.content_delta, progress, publish, started)
        elif isinstance(event, FunctionToolCallEvent):
            call = event.part
            arguments = _arguments(call) if event.args_valid is not False else {}
            await publish(
                "tool_call", {"tool": call.tool_name, "status": "executing", "input": arguments}
            )
            row_id = await self.database.write(
                lambda session: record_tool_call(session, job.reply_id, call.tool_name, arguments)
            )
            progress.tool_rows[call.tool_call_id] = (row_id, time.monotonic())
            self.metrics.tool_calls.labels(call.tool_name).inc()
        elif isinstance(event, FunctionToolResultEvent):
            result = event.part
            if getattr(result, "outcome", "success") == "retried":
                preview = "Input did not fit the tool: the AI was asked to correct it"
            else:
                preview = deps.previews.pop(result.tool_call_id, "") or _preview(result.content)
            found = deps.found.pop(result.tool_call_id, None)
            row = progress.tool_rows.pop(result.tool_call_id, None)
            data: dict[str, Any] = {"tool": result.tool_name, "result_preview": preview}
            if found is not None:
                data["passages"] = [p.citation() for p in found]
            await publish("tool_result", data)
            if row is not None:
                row_id, began = row
                duration = int((time.monotonic() - began) * 1000)
                await self.database.write(
                    lambda session: finish_tool_call(session, row_id, preview, duration, found)
                )
            await self._activity("thinking", progress, publish)  # the model reads the result
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
        progress.activity = None
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
            await self.database.write(lambda session: save_text(session, reply_id, content))
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
                save_reply,
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
            "cost_usd": float(cost) if cost is not None else None,
        }
        if status == "error":
            await publish("error", {"error": "ai_service_error", "message": error, **totals})
        else:
            await publish("complete", totals)
        progress.closed = True
        self._count(choice, status, usage, cost)
        log.info(
            "reply_finished",
            reply_id=job.reply_id,
            status=status,
            model=choice.name,
            input_tokens=usage.input_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            output_tokens=usage.output_tokens,
        )
        if status == "complete" and saved.needs_title:
            # Outside the run: the reply is done, and must not count against the user's limit.
            self._in_background(f"title-{job.thread_id}", self._title(job))
        if status in ("complete", "cancelled", "error"):
            self._fold_later(job)

    def _count(self, choice: ModelChoice, status: str, usage: RunUsage, cost: Any) -> None:
        self.metrics.replies.labels(status, choice.name).inc()
        for kind, count in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cache_read", usage.cache_read_tokens),
            ("cache_write", usage.cache_write_tokens),
        ):
            self.metrics.tokens.labels(choice.name, kind).inc(count)
        if cost is not None:
            self.metrics.cost.labels(choice.name).inc(float(cost))

    async def _title(self, job: ReplyJob) -> None:
        try:
            conversation = await self.database.read(
                lambda session: first_messages(session, job.thread_id, limit=4)
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

    # --- the thread's memory ------------------------------------------------------------------

    def _fold_later(self, job: ReplyJob) -> None:
        """Folds the messages that left the window into the memory, one fold per thread at a
        time, after the reply (and outside it)."""
        running = self._folds.get(job.thread_id)
        if running is not None and not running.done():
            return
        task = self._in_background(f"memory-{job.thread_id}", self._fold(job))
        self._folds[job.thread_id] = task
        task.add_done_callback(lambda done: self._fold_done(job.thread_id, done))

    def _fold_done(self, thread_id: str, task: asyncio.Task[None]) -> None:
        if self._folds.get(thread_id) is task:
            del self._folds[thread_id]

    async def _fold(self, job: ReplyJob) -> None:
        limits = {
            "messages": self.settings.ai_history_messages,
            "tokens": self.settings.ai_history_tokens,
        }
        try:
            fold = await self.database.read(
                lambda session: plan_fold(session, job.thread_id, **limits)
            )
            if fold is None:
                return
            memory = await self.summarizer.fold(fold, user_id=job.user_id)
            stored = await self.database.write(lambda session: store_fold(session, fold, memory))
            log.info(
                "thread_memory_folded",
                thread_id=job.thread_id,
                messages=len(fold.messages),
                stored=stored,
            )
        except Exception as exc:  # the next reply tries again; nothing is lost meanwhile
            log.warning("thread_memory_failed", thread_id=job.thread_id, error=type(exc).__name__)


def _arguments(call: ToolCallPart) -> dict[str, Any]:
    try:
        return call.args_as_dict()
    except ValueError:
        return {}


def _preview(content: object) -> str:
    text = content if isinstance(content, str) else json.dumps(content, default=str)
    return " ".join(text.split())[:200]


def _usage_so_far(progress: _Progress) -> RunUsage | None:
    """The usage of a run that ended early (cancelled, failed): the requests made still count."""
    if progress.events is None:
        return None
    try:
        usage: RunUsage = progress.events.usage
    except Exception:  # the run never started
        return None
    return usage
