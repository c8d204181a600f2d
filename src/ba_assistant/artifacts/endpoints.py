from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ba_assistant.artifacts import service as artifacts
from ba_assistant.artifacts.rendering import FORMATS, Renderer, attachment, export_format
from ba_assistant.artifacts.schemas import (
    ArtifactList,
    ArtifactRead,
    ArtifactSummary,
    ArtifactType,
    ArtifactUpdate,
    ArtifactVersionList,
    ArtifactVersionRead,
    ArtifactVersionSummary,
)
from ba_assistant.db import DatabaseDep, SessionDep
from ba_assistant.deps import CurrentUser, OwnedArtifact, OwnedProject, OwnedThread
from ba_assistant.models import Artifact
from ba_assistant.schemas import Page, PositiveInt, page_params

router = APIRouter(prefix="/api", tags=["artifacts"])


@router.get("/artifacts/{artifact_id}", response_model=ArtifactRead, summary="Get an artifact")
def get_artifact(artifact: OwnedArtifact, session: SessionDep) -> ArtifactRead:
    """The latest version, with how many versions there are."""
    return artifacts.read_artifact(session, artifact)


@router.patch(
    "/artifacts/{artifact_id}",
    response_model=ArtifactRead,
    summary="Edit an artifact (saved as a new version)",
    responses={409: {"description": "A newer version was saved since base_version"}},
)
def edit_artifact(
    body: ArtifactUpdate, artifact: OwnedArtifact, session: SessionDep
) -> ArtifactRead:
    """Every edit is a new version; earlier versions stay readable. Send `base_version` (the
    version you started from) to be told, instead of overwriting, when someone saved a newer
    one meanwhile."""
    edited = artifacts.edit_artifact(session, artifact, body)
    return artifacts.read_artifact(session, edited)


@router.get(
    "/artifacts/{artifact_id}/versions",
    response_model=ArtifactVersionList,
    summary="An artifact's version history",
)
def list_versions(artifact: OwnedArtifact, session: SessionDep) -> ArtifactVersionList:
    versions = artifacts.list_versions(session, artifact)
    return ArtifactVersionList(
        versions=[ArtifactVersionSummary.model_validate(v) for v in versions]
    )


@router.get(
    "/artifacts/{artifact_id}/versions/{number}",
    response_model=ArtifactVersionRead,
    summary="One version of an artifact",
)
def get_version(
    artifact: OwnedArtifact, session: SessionDep, number: Annotated[PositiveInt, Path()]
) -> ArtifactVersionRead:
    return ArtifactVersionRead.model_validate(artifacts.get_version(session, artifact, number))


_FILE_TYPES = {
    format.media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for format in FORMATS.values()
}


@router.get(
    "/artifacts/{artifact_id}/export",
    response_class=Response,
    summary="Download an artifact as Markdown, PDF, Word, Gherkin or CSV",
    responses={
        200: {"description": "The file, as an attachment", "content": _FILE_TYPES},
        400: {"description": "Unknown format, or a version below 1"},
        403: {"description": "The artifact is someone else's"},
        404: {"description": "No such artifact, or no such version of it"},
        422: {"description": "Nothing in the artifact fits this format (Gherkin, CSV)"},
        503: {"description": "Too many exports at once, or this one took too long"},
    },
)
async def export_artifact(
    artifact_id: str,
    user: CurrentUser,
    database: DatabaseDep,
    request: Request,
    format: Annotated[
        str,
        Query(
            description="markdown | pdf | docx | feature (Gherkin) | csv (Jira, Azure DevOps)",
            # Checked by export_format, whose 400 lists the formats.
            json_schema_extra={"enum": list(FORMATS)},
        ),
    ],
    version: Annotated[PositiveInt | None, Query(description="An earlier version")] = None,
) -> Response:
    """`feature` turns each Given/When/Then scenario into a `Scenario:`; `csv` has one row per
    user story, for Jira's and Azure DevOps' CSV import. Both answer 422 when the artifact
    has none. The file name is the artifact's title."""
    chosen = export_format(format)
    source = await database.read(
        lambda session: artifacts.export_source(session, user, artifact_id, version)
    )
    renderer: Renderer = request.app.state.renderer
    body = await renderer.render(format, source, author=user.name or user.email)
    return Response(
        body,
        media_type=chosen.media_type,
        headers={
            "Content-Disposition": attachment(source.title, chosen.extension, version),
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/threads/{thread_id}/artifacts",
    response_model=ArtifactList,
    summary="The artifacts written in a thread",
)
def thread_artifacts(
    thread: OwnedThread, session: SessionDep, page: Annotated[Page, Depends(page_params)]
) -> ArtifactList:
    """Most recently edited first."""
    rows, total = artifacts.list_for_thread(session, thread, limit=page.limit, offset=page.offset)
    return _list(rows, total, page)


@router.get(
    "/projects/{project_id}/artifacts",
    response_model=ArtifactList,
    summary="The artifacts of a project",
)
def project_artifacts(
    project: OwnedProject,
    session: SessionDep,
    page: Annotated[Page, Depends(page_params)],
    type: Annotated[ArtifactType | None, Query(description="Only this type")] = None,
) -> ArtifactList:
    """Most recently edited first; `type` keeps one kind."""
    rows, total = artifacts.list_for_project(
        session, project, kind=type, limit=page.limit, offset=page.offset
    )
    return _list(rows, total, page)


def _list(rows: list[Artifact], total: int, page: Page) -> ArtifactList:
    items = [ArtifactSummary.model_validate(row) for row in rows]
    return ArtifactList(artifacts=items, total=total, has_more=page.offset + len(items) < total)
