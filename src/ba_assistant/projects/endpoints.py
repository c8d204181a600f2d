from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from ba_assistant.db import SessionDep
from ba_assistant.deps import CurrentUser, OwnedProject, RunsDep
from ba_assistant.projects import service as projects
from ba_assistant.projects.schemas import ProjectCreate, ProjectList, ProjectRead, ProjectUpdate
from ba_assistant.schemas import Page, page_params

router = APIRouter(prefix="/api", tags=["projects"])


@router.get("/projects", response_model=ProjectList, summary="List your projects")
def list_projects(
    user: CurrentUser, session: SessionDep, page: Annotated[Page, Depends(page_params)]
) -> ProjectList:
    items, total = projects.list_projects(session, user, limit=page.limit, offset=page.offset)
    return ProjectList(projects=items, total=total, has_more=page.offset + len(items) < total)


@router.post(
    "/projects",
    response_model=ProjectRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a project",
)
def create_project(body: ProjectCreate, user: CurrentUser, session: SessionDep) -> ProjectRead:
    project = projects.create_project(session, user, body)
    return projects.read_project(session, project)


@router.get("/projects/{project_id}", response_model=ProjectRead, summary="Get a project")
def get_project(project: OwnedProject, session: SessionDep) -> ProjectRead:
    return projects.read_project(session, project)


@router.patch("/projects/{project_id}", response_model=ProjectRead, summary="Rename or describe")
def update_project(body: ProjectUpdate, project: OwnedProject, session: SessionDep) -> ProjectRead:
    projects.update_project(session, project, body)
    return projects.read_project(session, project)


@router.delete(
    "/projects/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a project and everything in it",
)
def delete_project(project: OwnedProject, session: SessionDep, runs: RunsDep) -> None:
    runs.cancel_where(project_id=project.id)
    projects.delete_project(session, project)
