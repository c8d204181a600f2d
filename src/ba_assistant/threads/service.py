from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ba_assistant.errors import Conflict
from ba_assistant.models import (
    AIUsage,
    Artifact,
    ArtifactVersion,
    Message,
    Project,
    Thread,
    ToolCall,
)
from ba_assistant.models.base import utcnow
from ba_assistant.threads.schemas import (
    ArtifactRef,
    MessageRead,
    PassageRef,
    ThreadCreate,
    ThreadRead,
    ThreadUpdate,
    ToolCallRef,
)


def _message_count() -> Any:
    return (
        select(func.count())
        .select_from(Message)
        .where(Message.thread_id == Thread.id)
        .scalar_subquery()
    )


def _read(thread: Thread, message_count: int) -> ThreadRead:
    return ThreadRead(
        id=thread.id,
        project_id=thread.project_id,
        title=thread.title,
        summary=thread.summary,
        message_count=message_count,
        last_message_at=thread.last_message_at,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
    )


def list_threads(
    session: Session, project: Project, *, limit: int, offset: int
) -> tuple[list[ThreadRead], int]:
    total = (
        session.scalar(
            select(func.count()).select_from(Thread).where(Thread.project_id == project.id)
        )
        or 0
    )
    rows = session.execute(
        select(Thread, _message_count())
        .where(Thread.project_id == project.id)
        .order_by(Thread.last_message_at.desc(), Thread.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [_read(thread, count) for thread, count in rows], total


def read_thread(session: Session, thread: Thread) -> ThreadRead:
    count = session.scalar(
        select(func.count()).select_from(Message).where(Message.thread_id == thread.id)
    )
    return _read(thread, count or 0)


def create_thread(session: Session, project: Project, data: ThreadCreate) -> Thread:
    """A new thread; with ``initial_message``, that message is stored as its first."""
    now = utcnow()
    thread = Thread(project_id=project.id, title=data.title, last_message_at=now)
    session.add(thread)
    session.flush()
    if data.initial_message is not None:
        add_message(session, thread, role="user", content=data.initial_message)
    return thread


def add_message(
    session: Session,
    thread: Thread,
    *,
    role: str,
    content: str,
    client_message_id: str | None = None,
) -> Message:
    now = utcnow()
    message = Message(
        thread_id=thread.id,
        role=role,
        content=content,
        created_at=now,
        client_message_id=client_message_id,
    )
    session.add(message)
    thread.last_message_at = now
    session.flush()
    return message


@dataclass(frozen=True)
class PostedMessage:
    message_id: str
    reply_id: str
    # False when the message had been sent before with the same key: no new reply to start.
    created: bool = True


def post_message(
    session: Session, thread_id: str, content: str, *, client_message_id: str | None = None
) -> PostedMessage:
    """The analyst's message and the empty reply (``streaming``) that a run will write. With a
    ``client_message_id`` already used in this thread, the message stored the first time."""
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise LookupError(thread_id)
    if client_message_id is None:
        message = add_message(session, thread, role="user", content=content)
        return _reply_to(session, thread, message)
    try:
        # A savepoint, so that losing the race to another request keeps this transaction.
        with session.begin_nested():
            message = add_message(
                session, thread, role="user", content=content, client_message_id=client_message_id
            )
            return _reply_to(session, thread, message)
    except IntegrityError:
        earlier = sent_before(session, thread_id, client_message_id, content)
        if earlier is None:
            raise
        return earlier


def sent_before(
    session: Session, thread_id: str, client_message_id: str, content: str
) -> PostedMessage | None:
    """The message sent to this thread with this key, if any, with its reply. The same key
    with other text is a client's mistake, refused rather than answered with another message."""
    message = session.scalars(
        select(Message).where(
            Message.thread_id == thread_id, Message.client_message_id == client_message_id
        )
    ).first()
    if message is None:
        return None
    if message.content != content:
        raise Conflict(
            "This client_message_id was already used for another message in this thread.",
            details={"client_message_id": client_message_id},
        )
    reply_id = session.scalars(
        select(Message.id)
        .where(Message.reply_to_id == message.id, Message.role == "assistant")
        .order_by(Message.created_at)
    ).first()
    if reply_id is None:
        raise LookupError(message.id)  # every message posted here is stored with its reply
    return PostedMessage(message.id, reply_id, created=False)


def _reply_to(session: Session, thread: Thread, message: Message) -> PostedMessage:
    reply = Message(
        thread_id=thread.id,
        role="assistant",
        content="",
        status="streaming",
        reply_to_id=message.id,
        # Always listed after the message it answers.
        created_at=message.created_at + timedelta(milliseconds=1),
    )
    session.add(reply)
    session.flush()
    return PostedMessage(message.id, reply.id)


def start_thread(
    session: Session, project_id: str, data: ThreadCreate
) -> tuple[Thread, PostedMessage | None]:
    """A new thread; with ``initial_message``, that message and the reply to be written."""
    project = session.get(Project, project_id)
    if project is None:
        raise LookupError(project_id)
    thread = create_thread(session, project, data)
    if data.initial_message is None:
        return thread, None
    first = session.scalars(select(Message).where(Message.thread_id == thread.id)).one()
    return thread, _reply_to(session, thread, first)


@dataclass(frozen=True)
class Used:
    tokens: int
    cost_usd: Decimal
    unpriced_tokens: int


def tokens_used(session: Session, user_id: str, since: datetime) -> Used:
    """Tokens and cost of the user's AI calls since ``since``, from the usage ledger (which
    deleting threads or projects does not shorten). Calls to a model with no price have no
    cost: their tokens are counted apart."""
    tokens = AIUsage.input_tokens + AIUsage.output_tokens
    row = session.execute(
        select(
            func.coalesce(func.sum(tokens), 0),
            func.coalesce(func.sum(AIUsage.cost_usd), 0),
            func.coalesce(func.sum(case((AIUsage.cost_usd.is_(None), tokens), else_=0)), 0),
        ).where(AIUsage.user_id == user_id, AIUsage.created_at >= since)
    ).one()
    return Used(int(row[0] or 0), Decimal(row[1] or 0), int(row[2] or 0))


def update_thread(session: Session, thread: Thread, data: ThreadUpdate) -> Thread:
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(thread, field, value)
    session.flush()
    return thread


def delete_thread(session: Session, thread: Thread) -> None:
    """Deletes the thread with its messages and artifacts."""
    session.delete(thread)
    session.flush()


def list_messages(
    session: Session, thread: Thread, *, limit: int, offset: int
) -> tuple[list[MessageRead], int]:
    """Oldest first, each with the artifacts it produced."""
    total = (
        session.scalar(
            select(func.count()).select_from(Message).where(Message.thread_id == thread.id)
        )
        or 0
    )
    messages = session.scalars(
        select(Message)
        .where(Message.thread_id == thread.id)
        .order_by(Message.created_at, Message.id)
        .limit(limit)
        .offset(offset)
    ).all()
    artifacts: dict[str, list[ArtifactRef]] = defaultdict(list)
    replies = [m.id for m in messages if m.role == "assistant"]
    for message_id, ref in _written_by(session, replies):
        artifacts[message_id].append(ref)
    tools: dict[str, list[ToolCallRef]] = defaultdict(list)
    if replies:
        calls = session.scalars(
            select(ToolCall)
            .where(ToolCall.message_id.in_(replies))
            .order_by(ToolCall.created_at, ToolCall.id)
        ).all()
        for call in calls:
            tools[call.message_id].append(
                ToolCallRef(
                    tool=call.tool_name,
                    input=_json_object(call.input_json),
                    status=call.status,
                    result_preview=call.result_preview,
                    passages=_passages(call.result_json),
                )
            )
    return [
        MessageRead(
            id=m.id,
            thread_id=m.thread_id,
            role=m.role,
            content=m.content,
            status=m.status,
            reply_to=m.reply_to_id,
            client_message_id=m.client_message_id,
            model=m.model,
            token_count=m.token_count,
            artifacts=artifacts.get(m.id, []),
            tool_calls=tools.get(m.id, []),
            created_at=m.created_at,
        )
        for m in messages
    ], total


def replay_events(session: Session, message_id: str) -> list[tuple[str, dict[str, Any]]]:
    """A finished reply as the events of its stream, from the database: ``start``, its tool
    calls, the text, its artifacts, and ``complete`` or ``error``."""
    reply = session.scalars(
        select(Message).where(Message.reply_to_id == message_id, Message.role == "assistant")
    ).first()
    if reply is None:
        return []
    events: list[tuple[str, dict[str, Any]]] = [
        ("start", {"message_id": reply.id, "reply_to": message_id})
    ]
    for call in session.scalars(
        select(ToolCall).where(ToolCall.message_id == reply.id).order_by(ToolCall.created_at)
    ):
        events.append(
            (
                "tool_call",
                {"tool": call.tool_name, "status": "executing", "input": _json(call.input_json)},
            )
        )
        result: dict[str, Any] = {
            "tool": call.tool_name,
            "result_preview": call.result_preview or "",
        }
        if call.result_json is not None:
            result["passages"] = [p.model_dump() for p in _passages(call.result_json)]
        events.append(("tool_result", result))
    if reply.content:
        events.append(("chunk", {"content": reply.content}))
    for _, ref in _written_by(session, [reply.id]):
        events.append(
            (
                "artifact",
                {
                    "artifact_id": ref.id,
                    "type": ref.type,
                    "title": ref.title,
                    "version": ref.version,
                },
            )
        )
    totals = {
        "message_id": reply.id,
        "status": reply.status,
        "total_tokens": reply.token_count or 0,
        "input_tokens": reply.input_tokens or 0,
        "output_tokens": reply.output_tokens or 0,
        "cache_read_tokens": reply.cache_read_tokens or 0,
        "cache_write_tokens": reply.cache_write_tokens or 0,
        "cost_usd": float(reply.cost_usd) if reply.cost_usd is not None else None,
    }
    if reply.status == "streaming":
        # Being written by another server process: no ending yet; the client reconnects.
        return events
    if reply.status == "error":
        message = reply.error_message or "The AI service failed to answer. Try again."
        events.append(("error", {"error": "ai_service_error", "message": message, **totals}))
    else:
        events.append(("complete", totals))
    return events


def _written_by(session: Session, reply_ids: list[str]) -> list[tuple[str, ArtifactRef]]:
    """The artifact versions these replies wrote (a new artifact, or a new version of an
    earlier one), each with the reply, in the order they were saved."""
    if not reply_ids:
        return []
    rows = session.execute(
        select(
            ArtifactVersion.message_id,
            Artifact.id,
            Artifact.type,
            Artifact.title,
            ArtifactVersion.version,
            Artifact.version,
        )
        .join(Artifact, Artifact.id == ArtifactVersion.artifact_id)
        .where(ArtifactVersion.message_id.in_(reply_ids))
        .order_by(ArtifactVersion.created_at, ArtifactVersion.version)
    ).all()
    return [
        (
            str(message_id),
            ArtifactRef(id=id_, type=type_, title=title, version=version, latest_version=latest),
        )
        for message_id, id_, type_, title, version, latest in rows
    ]


def _passages(text: str | None) -> list[PassageRef]:
    found = _json(text) if text else None
    if not isinstance(found, list):
        return []
    passages = []
    for item in found:
        try:
            passages.append(PassageRef.model_validate(item))
        except ValueError:
            continue
    return passages


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _json_object(text: str) -> dict[str, Any]:
    found = _json(text)
    return found if isinstance(found, dict) else {}
