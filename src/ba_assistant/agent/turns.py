"""A turn's reads and writes: what is loaded before the model is asked (the project brief, the
history window after the thread's memory, the thread's artifacts) and what is saved as the
reply is written (its text, its tool calls with what they found, its usage and cost).

Each function takes a ``Session`` and runs inside one short transaction of the run's own: a
run never holds a connection while it waits for the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic_ai.usage import RunUsage
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ba_assistant.agent.context import (
    ArtifactEntry,
    FoundPassage,
    ProjectBrief,
    Window,
    window,
)
from ba_assistant.agent.memory import after_memory
from ba_assistant.agent.pricing import record_usage
from ba_assistant.agent.tools import thread_artifacts
from ba_assistant.models import Document, Message, Project, Thread, ToolCall
from ba_assistant.models.base import utcnow

MAX_DOCUMENTS_LISTED = 200
PREVIEW_CHARS = 500
FAILED_PREVIEWS = ("Search failed", "Saving failed", "Summary failed", "Reading failed")


@dataclass(frozen=True)
class ReplyJob:
    user_id: str
    project_id: str
    thread_id: str
    message_id: str  # the analyst's message: the stream's key
    reply_id: str  # the assistant message being written


@dataclass(frozen=True)
class ReplyContext:
    prompt: str
    window: Window
    brief: ProjectBrief
    artifacts: list[ArtifactEntry]


def load_context(session: Session, job: ReplyJob, *, messages: int, tokens: int) -> ReplyContext:
    project = session.get(Project, job.project_id)
    thread = session.get(Thread, job.thread_id)
    message = session.get(Message, job.message_id)
    if project is None or thread is None or message is None:
        raise LookupError("the thread or message was deleted")
    earlier = [m for m in after_memory(session, thread, before=message) if m.id != job.reply_id]
    return ReplyContext(
        prompt=message.content,
        window=window(earlier, thread.memory, messages=messages, tokens=tokens),
        brief=ProjectBrief(
            name=project.name,
            description=project.description,
            documents=_document_names(session, project.id),
        ),
        artifacts=thread_artifacts(session, thread.id),
    )


def _document_names(session: Session, project_id: str) -> list[str]:
    names = list(
        session.scalars(
            select(Document.name)
            .where(Document.project_id == project_id)
            .order_by(Document.created_at, Document.id)
            .limit(MAX_DOCUMENTS_LISTED + 1)
        )
    )
    if len(names) > MAX_DOCUMENTS_LISTED:
        total = session.scalar(
            select(func.count()).select_from(Document).where(Document.project_id == project_id)
        )
        names = [
            *names[:MAX_DOCUMENTS_LISTED],
            f"… and {int(total or 0) - MAX_DOCUMENTS_LISTED} more",
        ]
    return names


def first_messages(session: Session, thread_id: str, *, limit: int) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(Message)
        .where(Message.thread_id == thread_id, Message.content != "")
        .order_by(Message.created_at, Message.id)
        .limit(limit)
    ).all()
    return [(m.role, m.content) for m in rows]


def record_tool_call(session: Session, reply_id: str, tool: str, arguments: dict[str, Any]) -> str:
    row = ToolCall(
        message_id=reply_id,
        tool_name=tool,
        input_json=json.dumps(arguments, ensure_ascii=False)[:20_000],
        status="executing",
    )
    session.add(row)
    session.flush()
    return row.id


def finish_tool_call(
    session: Session,
    row_id: str,
    preview: str,
    duration_ms: int,
    found: list[FoundPassage] | None = None,
) -> None:
    failed = preview.startswith(FAILED_PREVIEWS)
    session.execute(
        update(ToolCall)
        .where(ToolCall.id == row_id)
        .values(
            status="error" if failed else "complete",
            result_preview=preview[:PREVIEW_CHARS],
            result_json=(
                json.dumps([p.citation() for p in found], ensure_ascii=False)
                if found is not None
                else None
            ),
            duration_ms=duration_ms,
        )
    )


def save_text(session: Session, reply_id: str, content: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == reply_id, Message.status == "streaming")
        .values(content=content)
    )


@dataclass(frozen=True)
class SavedReply:
    needs_title: bool


def save_reply(
    session: Session,
    job: ReplyJob,
    content: str,
    status: str,
    error: str | None,
    model: str,
    usage: RunUsage,
    cost: Decimal | None,
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


def recover_interrupted(session: Session) -> int:
    """Replies left ``streaming`` by a crash: their run is gone, keep their text."""
    result = session.execute(
        update(Message)
        .where(Message.status == "streaming")
        .values(status="interrupted", completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
