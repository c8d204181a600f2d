from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ba_assistant.config import Settings
from ba_assistant.db import SessionDep
from ba_assistant.deps import (
    CurrentUser,
    OwnedDocument,
    OwnedProject,
    ProjectAccess,
    SettingsDep,
)
from ba_assistant.documents import search
from ba_assistant.documents import service as documents
from ba_assistant.documents.extract import (
    SUPPORTED,
    TEXT_TYPES,
    Extracted,
    clean_filename,
    extension,
    normalise_text,
)
from ba_assistant.documents.extraction import extract_upload
from ba_assistant.documents.schemas import (
    DocumentCreate,
    DocumentList,
    DocumentRead,
    DocumentWithContent,
    SearchResult,
    SearchResults,
)
from ba_assistant.documents.service import PreparedDocument
from ba_assistant.errors import (
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
    ValidationFailed,
    field_errors,
)
from ba_assistant.schemas import Page, page_params

router = APIRouter(prefix="/api", tags=["documents"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"A {SUPPORTED} file",
                        }
                    },
                }
            },
        },
    }
}


def too_large(settings: Settings) -> PayloadTooLarge:
    mib = settings.max_document_bytes / (1024 * 1024)
    return PayloadTooLarge(
        f"The document is larger than the {mib:g} MB limit. Split it or remove images.",
        details={"max_bytes": settings.max_document_bytes},
    )


@router.get(
    "/projects/{project_id}/documents", response_model=DocumentList, summary="List documents"
)
def list_documents(
    project: OwnedProject, session: SessionDep, page: Annotated[Page, Depends(page_params)]
) -> DocumentList:
    items, total = documents.list_documents(session, project, limit=page.limit, offset=page.offset)
    return DocumentList(
        documents=[DocumentRead.model_validate(d) for d in items],
        total=total,
        has_more=page.offset + len(items) < total,
    )


@router.post(
    "/projects/{project_id}/documents",
    response_model=DocumentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document",
    openapi_extra=_UPLOAD_BODY,
    responses={
        400: {"description": "No name, no content or no file (validation_error)"},
        413: {"description": "Larger than MAX_DOCUMENT_BYTES (`details.max_bytes`)"},
        415: {"description": "Not JSON or multipart, or not a .txt .md .pdf .docx file"},
        422: {"description": "A file that cannot be read: empty, scanned, password-protected"},
    },
)
async def upload_document(
    user: CurrentUser,
    # Whose project it is is settled, in a short read of its own, before a byte of the body
    # is read: someone else's upload is refused without reading or extracting anything.
    _access: ProjectAccess,
    upload: Annotated[PreparedDocument, Depends(read_upload)],
    project: OwnedProject,
    session: SessionDep,
    settings: SettingsDep,
) -> DocumentRead:
    """JSON `{name, content}` for text, or multipart with a `file` (.txt .md .pdf .docx)."""
    document = await run_in_threadpool(documents.store_document, session, project, upload)
    return DocumentRead.model_validate(document)


async def read_upload(request: Request, settings: SettingsDep) -> PreparedDocument:
    """Reads, extracts, encrypts and splits the upload before the request takes its turn to
    write, so a slow client or a large PDF never holds up other people's writes."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        name, extracted, size = await _from_json(request, settings)
    elif media_type == "multipart/form-data":
        name, extracted, size = await _from_multipart(request, settings)
    else:
        raise UnsupportedMediaType(
            "Send JSON {name, content}, or multipart/form-data with the document as 'file'."
        )
    return await run_in_threadpool(
        lambda: documents.prepare_document(
            name=name, extracted=extracted, size_bytes=size, fernet=settings.fernet
        )
    )


async def _from_json(request: Request, settings: Settings) -> tuple[str, Extracted, int]:
    try:
        body = DocumentCreate.model_validate_json(await request.body())
    except ValidationError as exc:
        raise ValidationFailed("Please check your input", details=field_errors(exc)) from exc
    size = len(body.content.encode("utf-8"))
    if size > settings.max_document_bytes:
        raise too_large(settings)
    text = normalise_text(body.content)
    if not text.strip():
        raise ValidationFailed(
            "Please check your input", details={"content": "Content must not be empty"}
        )
    name = clean_filename(body.name)
    content_type = TEXT_TYPES.get(extension(name), "text/plain")
    return name, Extracted(text, content_type), size


async def _from_multipart(request: Request, settings: Settings) -> tuple[str, Extracted, int]:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed(
            "Please check your input", details={"file": "Attach the document as 'file'"}
        )
    data = await upload.read(settings.max_document_bytes + 1)
    await upload.close()
    if len(data) > settings.max_document_bytes:
        raise too_large(settings)
    name = clean_filename(upload.filename or "")
    if not data:
        raise Unprocessable("The file is empty. Choose a file with some content.")
    extracted = await extract_upload(name, data, settings)
    return name, extracted, len(data)


@router.get(
    "/documents/{document_id}", response_model=DocumentWithContent, summary="Get a document"
)
def get_document(document: OwnedDocument, settings: SettingsDep) -> DocumentWithContent:
    content = documents.read_content(document, settings.fernet)
    return DocumentWithContent(
        **DocumentRead.model_validate(document).model_dump(), content=content
    )


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a document",
)
def delete_document(document: OwnedDocument, session: SessionDep) -> None:
    documents.delete_document(session, document)


@router.get(
    "/projects/{project_id}/search",
    response_model=SearchResults,
    summary="Search the project's documents",
)
def search_documents(
    project: OwnedProject,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=20_000, description="Words to find")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResults:
    """Ranked passages. Quotes, operators and symbols in `q` are treated as plain words."""
    hits = search.search(session, project.id, q, limit=limit + 1)
    results = [SearchResult(**vars(hit)) for hit in hits[:limit]]
    return SearchResults(results=results, total=len(results), has_more=len(hits) > limit)
