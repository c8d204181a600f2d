from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ba_assistant.models import Artifact, Message, Project, Thread
from ba_assistant.models.base import utcnow
from ba_assistant.threads.schemas import (
    ArtifactRef,
    MessageRead,
    ThreadCreate,
    ThreadRead,
    ThreadUpdate,
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


def add_message(session: Session, thread: Thread, *, role: str, content: str) -> Message:
    now = utcnow()
    message = Message(thread_id=thread.id, role=role, content=content, created_at=now)
    session.add(message)
    thread.last_message_at = now
    session.flush()
    return message


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
    if messages:
        rows = session.execute(
            select(Artifact.message_id, Artifact.id, Artifact.type, Artifact.title)
            .where(Artifact.message_id.in_([m.id for m in messages]))
            .order_by(Artifact.created_at)
        ).all()
        for message_id, artifact_id, type_, title in rows:
            artifacts[message_id].append(ArtifactRef(id=artifact_id, type=type_, title=title))
    return [
        MessageRead(
            id=m.id,
            thread_id=m.thread_id,
            role=m.role,
            content=m.content,
            status=m.status,
            reply_to=m.reply_to_id,
            model=m.model,
            token_count=m.token_count,
            artifacts=artifacts.get(m.id, []),
            created_at=m.created_at,
        )
        for m in messages
    ], total
