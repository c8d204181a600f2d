"""Dependencies endpoints declare in their signature: settings, the user, owned rows."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ba_assistant.agent.hub import EventHub
from ba_assistant.agent.runs import RunManager
from ba_assistant.auth import service as auth
from ba_assistant.auth.tokens import verify_access_token
from ba_assistant.config import Settings
from ba_assistant.db import Database, SessionDep
from ba_assistant.errors import Forbidden, NotFound, Unauthorized
from ba_assistant.models import Artifact, Document, Project, Thread, User
from ba_assistant.ratelimit import RateLimiter


# Trivial dependencies are async: a sync one would cost a worker-thread round trip each.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


async def get_runs(request: Request) -> RunManager:
    runs: RunManager = request.app.state.runs
    return runs


async def get_hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.hub
    return hub


RunsDep = Annotated[RunManager, Depends(get_runs)]
HubDep = Annotated[EventHub, Depends(get_hub)]

_bearer = HTTPBearer(auto_error=False, description="An access token from a sign-in route")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_by_ip(request: Request, limiter: RateLimiterDep) -> None:
    limiter.check_ip(client_ip(request))


IpRateLimit = Depends(limit_by_ip)


def get_current_user(
    request: Request,
    settings: SettingsDep,
    limiter: RateLimiterDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        limiter.check_ip(client_ip(request))
        raise Unauthorized("Authentication required")
    try:
        claims = verify_access_token(settings, credentials.credentials)
    except Unauthorized:
        limiter.check_ip(client_ip(request))
        raise
    # A short read of its own, so that authenticating never waits for the request's write turn.
    database: Database = request.app.state.db
    with database.session(write=False) as session:
        user = auth.get_user(session, str(claims["sub"]))
        active = user is not None and auth.session_is_active(session, str(claims["sid"]))
    if user is not None and not active:
        raise Unauthorized("This sign-in has ended, please sign in again")
    if user is None:
        raise Unauthorized("This account no longer exists")
    request.state.user_id = user.id
    request.state.session_id = str(claims["sid"])
    limiter.check_user(user.id)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def _valid_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def load_owned_project(session: Session, user: User, project_id: str) -> Project:
    project = session.get(Project, project_id) if _valid_id(project_id) else None
    if project is None:
        raise NotFound("Project not found")
    if project.user_id != user.id:
        raise Forbidden("You don't have access to this project")
    return project


def _owned_project(project_id: str, user: CurrentUser, session: SessionDep) -> Project:
    return load_owned_project(session, user, project_id)


def _load_owned(
    session: Session, user: User, model: type[Document] | type[Thread], row_id: str, label: str
) -> Document | Thread:
    """A row of a project's, or NotFound / Forbidden when it is missing or someone else's."""
    row = (
        session.execute(
            select(model, Project.user_id)
            .join(Project, Project.id == model.project_id)
            .where(model.id == row_id)
        ).first()
        if _valid_id(row_id)
        else None
    )
    if row is None:
        raise NotFound(f"{label} not found")
    if row.user_id != user.id:
        raise Forbidden(f"You don't have access to this {label.lower()}")
    found = row[0]
    assert isinstance(found, (Document, Thread))
    return found


def _owned_document(document_id: str, user: CurrentUser, session: SessionDep) -> Document:
    document = _load_owned(session, user, Document, document_id, "Document")
    assert isinstance(document, Document)
    return document


def _owned_thread(thread_id: str, user: CurrentUser, session: SessionDep) -> Thread:
    thread = _load_owned(session, user, Thread, thread_id, "Thread")
    assert isinstance(thread, Thread)
    return thread


def _project_access(project_id: str, user: CurrentUser, request: Request) -> Project:
    database: Database = request.app.state.db
    with database.session(write=False) as session:
        return load_owned_project(session, user, project_id)


def _thread_access(thread_id: str, user: CurrentUser, request: Request) -> Thread:
    database: Database = request.app.state.db
    with database.session(write=False) as session:
        thread = _load_owned(session, user, Thread, thread_id, "Thread")
    assert isinstance(thread, Thread)
    return thread


def load_owned_artifact(session: Session, user: User, artifact_id: str) -> Artifact:
    row = (
        session.execute(
            select(Artifact, Project.user_id)
            .join(Thread, Thread.id == Artifact.thread_id)
            .join(Project, Project.id == Thread.project_id)
            .where(Artifact.id == artifact_id)
        ).first()
        if _valid_id(artifact_id)
        else None
    )
    if row is None:
        raise NotFound("Artifact not found")
    if row.user_id != user.id:
        raise Forbidden("You don't have access to this artifact")
    artifact: Artifact = row[0]
    return artifact


def _owned_artifact(artifact_id: str, user: CurrentUser, session: SessionDep) -> Artifact:
    return load_owned_artifact(session, user, artifact_id)


OwnedProject = Annotated[Project, Depends(_owned_project)]
OwnedArtifact = Annotated[Artifact, Depends(_owned_artifact)]
# The same checks in a short read-only session, closed before the endpoint runs: for the AI
# routes, which write on their own (Database.write) or stream. Holding a pooled connection
# while queueing for the write gate would let a burst of requests exhaust the pool.
ProjectAccess = Annotated[Project, Depends(_project_access)]
ThreadAccess = Annotated[Thread, Depends(_thread_access)]
OwnedDocument = Annotated[Document, Depends(_owned_document)]
OwnedThread = Annotated[Thread, Depends(_owned_thread)]
