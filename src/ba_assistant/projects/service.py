from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ba_assistant.models import Document, Project, Thread, User
from ba_assistant.projects.schemas import ProjectCreate, ProjectRead, ProjectUpdate


def _counts() -> tuple[Any, Any, Any]:
    document_count = (
        select(func.count())
        .select_from(Document)
        .where(Document.project_id == Project.id)
        .scalar_subquery()
    )
    thread_count = (
        select(func.count())
        .select_from(Thread)
        .where(Thread.project_id == Project.id)
        .scalar_subquery()
    )
    last_thread = (
        select(func.max(Thread.last_message_at))
        .where(Thread.project_id == Project.id)
        .scalar_subquery()
    )
    return document_count, thread_count, last_thread


def _read(project: Project, document_count: int, thread_count: int, last: Any) -> ProjectRead:
    activity: datetime = project.updated_at
    if isinstance(last, datetime):
        activity = max(activity, last)
    return ProjectRead(
        id=project.id,
        name=project.name,
        description=project.description,
        document_count=document_count,
        thread_count=thread_count,
        last_activity_at=activity,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


def list_projects(
    session: Session, user: User, *, limit: int, offset: int
) -> tuple[list[ProjectRead], int]:
    document_count, thread_count, last_thread = _counts()
    total = (
        session.scalar(select(func.count()).select_from(Project).where(Project.user_id == user.id))
        or 0
    )
    rows = session.execute(
        select(Project, document_count, thread_count, last_thread)
        .where(Project.user_id == user.id)
        .order_by(Project.updated_at.desc(), Project.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [_read(*row) for row in rows], total


def read_project(session: Session, project: Project) -> ProjectRead:
    document_count, thread_count, last_thread = _counts()
    row = session.execute(
        select(document_count, thread_count, last_thread).where(Project.id == project.id)
    ).one()
    return _read(project, *row)


def create_project(session: Session, user: User, data: ProjectCreate) -> Project:
    project = Project(user_id=user.id, name=data.name, description=data.description)
    session.add(project)
    session.flush()
    return project


def update_project(session: Session, project: Project, data: ProjectUpdate) -> Project:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")  # a name can be changed, never removed
    for field, value in changes.items():
        setattr(project, field, value)
    session.flush()
    return project


def delete_project(session: Session, project: Project) -> None:
    """Deletes the project with its documents, passages, threads, messages and artifacts."""
    session.delete(project)
    session.flush()
