from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ba_assistant.artifacts.export import ExportSource
from ba_assistant.artifacts.schemas import ArtifactRead, ArtifactSummary, ArtifactUpdate
from ba_assistant.deps import load_owned_artifact
from ba_assistant.errors import Conflict, NotFound, ValidationFailed
from ba_assistant.models import Artifact, ArtifactVersion, Project, Thread, User
from ba_assistant.models.base import utcnow


def read_artifact(session: Session, artifact: Artifact) -> ArtifactRead:
    versions = session.scalar(
        select(func.count())
        .select_from(ArtifactVersion)
        .where(ArtifactVersion.artifact_id == artifact.id)
    )
    project_id = session.scalar(select(Thread.project_id).where(Thread.id == artifact.thread_id))
    return ArtifactRead(
        **ArtifactSummary.model_validate(artifact).model_dump(),
        content=artifact.content,
        project_id=project_id or "",
        versions=versions or 1,
    )


def edit_artifact(session: Session, artifact: Artifact, data: ArtifactUpdate) -> Artifact:
    """Saves the edit as a new version; every earlier version stays readable."""
    if data.title is None and data.content is None:
        raise ValidationFailed(
            "Nothing to change", details={"content": "Send a new title or content, or both"}
        )
    if data.base_version is not None and data.base_version != artifact.version:
        raise Conflict(
            f"Version {artifact.version} was saved since you opened version "
            f"{data.base_version}: reload it and make your edit again",
            details={"version": artifact.version},
        )
    title = data.title if data.title is not None else artifact.title
    content = data.content if data.content is not None else artifact.content
    if title == artifact.title and content == artifact.content:
        return artifact  # nothing changed: no new version
    return _save_version(session, artifact, title, content, message_id=None)


def create_artifact(
    session: Session, *, thread_id: str, message_id: str, kind: str, title: str, content: str
) -> Artifact:
    """A new artifact written by the AI reply ``message_id``: its version 1."""
    artifact = Artifact(
        message_id=message_id,
        thread_id=thread_id,
        type=kind,
        title=title,
        content=content,
        version=1,
    )
    session.add(artifact)
    session.flush()
    session.add(
        ArtifactVersion(
            artifact_id=artifact.id, version=1, title=title, content=content, message_id=message_id
        )
    )
    session.flush()
    return artifact


def revise_artifact(
    session: Session, artifact: Artifact, *, title: str, content: str, message_id: str
) -> Artifact:
    """The AI's new version of an artifact, whatever was saved since it read it: the analyst's
    edits stay as earlier versions."""
    if title == artifact.title and content == artifact.content:
        return artifact
    return _save_version(session, artifact, title, content, message_id=message_id)


def _save_version(
    session: Session, artifact: Artifact, title: str, content: str, *, message_id: str | None
) -> Artifact:
    number = artifact.version + 1
    claimed = session.execute(
        update(Artifact)
        .where(Artifact.id == artifact.id, Artifact.version == artifact.version)
        .values(title=title, content=content, version=number, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("Someone saved this artifact at the same moment: reload it")
    session.add(
        ArtifactVersion(
            artifact_id=artifact.id,
            version=number,
            title=title,
            content=content,
            message_id=message_id,
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("Someone saved this artifact at the same moment: reload it") from exc
    session.refresh(artifact)
    return artifact


def list_versions(session: Session, artifact: Artifact) -> list[ArtifactVersion]:
    return list(
        session.scalars(
            select(ArtifactVersion)
            .where(ArtifactVersion.artifact_id == artifact.id)
            .order_by(ArtifactVersion.version.desc())
        )
    )


def get_version(session: Session, artifact: Artifact, number: int) -> ArtifactVersion:
    version = session.scalar(
        select(ArtifactVersion).where(
            ArtifactVersion.artifact_id == artifact.id, ArtifactVersion.version == number
        )
    )
    if version is None:
        raise NotFound(f"Version {number} of this artifact does not exist")
    return version


def list_for_thread(
    session: Session, thread: Thread, *, limit: int, offset: int
) -> tuple[list[Artifact], int]:
    query = select(Artifact).where(Artifact.thread_id == thread.id)
    return _page(session, query, limit=limit, offset=offset)


def list_for_project(
    session: Session, project: Project, *, kind: str | None, limit: int, offset: int
) -> tuple[list[Artifact], int]:
    query = (
        select(Artifact)
        .join(Thread, Thread.id == Artifact.thread_id)
        .where(Thread.project_id == project.id)
    )
    if kind is not None:
        query = query.where(Artifact.type == kind)
    return _page(session, query, limit=limit, offset=offset)


def _page(
    session: Session, query: Select[Artifact], *, limit: int, offset: int
) -> tuple[list[Artifact], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Artifact.updated_at.desc(), Artifact.id).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def export_source(
    session: Session, user: User, artifact_id: str, version: int | None
) -> ExportSource:
    """What an export needs, read in one short transaction: the export itself can take
    seconds and must not hold a connection."""
    artifact = load_owned_artifact(session, user, artifact_id)
    title, content, number = artifact.title, artifact.content, artifact.version
    if version is not None and version != artifact.version:
        earlier = get_version(session, artifact, version)
        title, content, number = earlier.title, earlier.content, earlier.version
    project = session.scalar(
        select(Project.name)
        .join(Thread, Thread.project_id == Project.id)
        .where(Thread.id == artifact.thread_id)
    )
    return ExportSource(
        title=title,
        type=artifact.type,
        content=content,
        project=project or "",
        version=number,
        exported_on=datetime.now(UTC).date(),
    )
